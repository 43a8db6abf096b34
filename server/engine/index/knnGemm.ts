// Exact kNN and range queries with the dot products done by a GEMM (./gemm.ts: the tfjs wasm
// backend's float32 XNNPACK kernel, or ./intGemm.ts's integer kernel where every value is a small
// integer, or one / 255), for the metrics of the dot-product form: euclidean and sqeuclidean
// (‖a‖² + ‖b‖² − 2a·b) and cosine (1 − a·b/(‖a‖‖b‖)). Other metrics, and data whose norms could
// overflow float32 products, go to the JavaScript tiles of ./knnExact.ts.
//
// Same answers as knnExact / rangeQuery, bit for bit. A tile value t differs from the exact
// a·b by at most γ(dim)·‖a‖‖b‖ + dim·2⁻¹²⁶ (gemm.ts), and 2‖a‖‖b‖ ≤ ‖a‖² + ‖b‖², so
//   exact key ≥ fast key − slack,  slack = c·(‖a‖² + ‖b‖²) + 4·dim·2⁻¹²⁶,
//   c = 2·(γ(dim) + (2·dim + 4)·2⁻⁵³)
// (the second term covers the float64 norms and the rounding of vector.ts's own loop, as in
// knnExact.ts; the factor 2 is margin). The "lower key" fast − slack only rules pairs out:
// a pair is dropped when its lower key is beyond the current k-th exact key (kNN) or beyond
// eps (range); every other pair is computed exactly with vector.ts's loop, so the heaps,
// the reported distances and the ties are those of knnExact. With ‖a‖² ≈ ‖b‖² ≈ 784 (scaled
// pixels) the slack is about 0.15 on squared distances in the hundreds: a few exact loops per
// query, against thousands of pairs ruled out.
//
// Loop order: data blocks outside (each uploaded and transposed once), query blocks inside (all
// uploaded once), heaps for every query. Progress is reported after each data block.

import { cosineDistance } from '../measures/vector';
import { loadGemm, productErrorBound, type Gemm } from './gemm';
import { integerScale, intGemm } from './intGemm';
import {
  checkMatrix,
  checkMatrixByNorms,
  checkMatrixShape,
  FEW_QUERIES,
  grow,
  knnExact,
  ownRow,
  plan,
  rangeQuery,
  resolveMetric,
  squaredNorms,
  type KnnResult,
  type MetricOptions,
  type QueryOptions,
  type RangeOptions,
  type RangeResult,
} from './knnExact';
import { mergeKnnPartials, type KnnPartial } from './knnPartial';

export { mergeKnnPartials, type KnnPartial };

/** Query rows per left operand and data rows per right operand of a GEMM tile. */
const QUERY_BLOCK = 256;
const DATA_BLOCK = 2048;
const U64 = 2 ** -53;
/** Products of norms at or above this could overflow float32 (largest float32 ≈ 2¹²⁸). */
const MAX_NORM_PRODUCT = 2 ** 126;

export interface GemmQueryOptions {
  /** The GEMM to use; default loadGemm() (null: the JavaScript tiles of knnExact.ts). */
  gemm?: Gemm | null;
  /** Rows per query block and per data block of a tile (default 256 and 2048; tests use small ones). */
  blocks?: [number, number];
  /**
   * squaredNorms(data, n, dim), when the caller has them (computed once for several workers that
   * search the same data): not computed again, and the data checked by them (checkMatrixByNorms)
   * instead of scanned. Same answer.
   */
  dataNorms?: Float64Array;
}

export function blockSizes(options: GemmQueryOptions): [number, number] {
  const [qb, db] = options.blocks ?? [QUERY_BLOCK, DATA_BLOCK];
  if (!(Number.isInteger(qb) && qb >= 1 && Number.isInteger(db) && db >= 1)) throw new RangeError(`blocks must be two positive integers, got ${qb}, ${db}`);
  return [qb, db];
}

/**
 * How a pair's key is bounded by its tile value t, and computed exactly. Euclidean family:
 * lower = lowerQ[q] + lowerD[j] − 2t, upper = upperQ[q] + upperD[j] − 2t. Cosine: lower =
 * 1 − c + lowerQ[q]·lowerD[j]·(t + cosUnder), upper = 1 + c + lowerQ[q]·lowerD[j]·(t − cosUnder)
 * (lowerQ = −1/‖a‖, lowerD = 1/‖b‖); a zero query (`zero[q]`) has no bounds: all its pairs are
 * computed exactly (vector.ts defines them specially).
 */
export interface DotForm {
  lowerQ: Float64Array;
  lowerD: Float64Array;
  upperQ: Float64Array;
  upperD: Float64Array;
  cosine: boolean;
  zero: Uint8Array | null;
  /** Cosine's c. */
  cosSlack: number;
  cosUnder: number;
  /**
   * True when a pair's lower key is its exact key (an exact Gemm on integer data: products, norms
   * and keys are exact integers below 2⁵³, the value vector.ts's loop sums): the exact loop need
   * not run for pairs whose lower key is known (Candidates, rangeQueryGemm).
   */
  exactKeys: boolean;
  exact(q: number, j: number): number;
  toDistance(key: number): number;
  toKey(distance: number): number;
}

function maxOf(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}

/**
 * The GEMM for these operands: our integer kernel (./intGemm.ts, about 1.4× on pixels) in place
 * of the wasm backend's float32 one when every value is a small integer (counts, one-hot codes,
 * pixels as read: exact products) or one divided by 255 (the 'raw' features of images and uint8
 * volumes: products within 3u, against dim·u for float32 sums), else `gemm`. Native TensorFlow
 * (tfjs-node) keeps its own.
 */
export function gemmFor(gemm: Gemm, Q: Float32Array, nq: number, D: Float32Array, n: number, dim: number): Gemm {
  if (gemm.backend !== 'wasm') return gemm;
  const scale = integerScale(D, n, dim);
  if (scale === 0 || (Q !== D && integerScale(Q, nq, dim, [scale]) === 0)) return gemm;
  return intGemm(scale) ?? gemm;
}

/** What a tile value is multiplied by to give the product: 1 / valueScale² (gemm.ts). */
function tileUnit(gemm: Gemm): number {
  const s = gemm.valueScale ?? 1;
  return 1 / (s * s);
}

/** The dot form of a metric, or null when the GEMM cannot be used (metric, or overflow risk). */
export function dotForm(gemm: Gemm, Q: Float32Array, nq: number, D: Float32Array, n: number, dim: number, options: QueryOptions, dataNorms?: Float64Array): DotForm | null {
  const { metric } = resolveMetric(options);
  if (metric !== 'euclidean' && metric !== 'sqeuclidean' && metric !== 'cosine') return null;
  // `dataNorms`: squaredNorms(D, n, dim) from the caller (computed once for many searches).
  const dn = dataNorms ? dataNorms.subarray(0, n) : squaredNorms(D, n, dim);
  const qn = Q === D ? dn : squaredNorms(Q, nq, dim);
  if (Math.sqrt(maxOf(qn)) * Math.sqrt(maxOf(dn)) >= MAX_NORM_PRODUCT) return null;
  const { gamma, underflow } = productErrorBound(gemm, dim);
  if (metric === 'cosine') {
    // |t·(1/‖a‖)(1/‖b‖) − cos| ≤ γ + underflow·(1/‖a‖)(1/‖b‖); c adds vector.ts's rounding.
    const c = 2 * (gamma + 2 * (2 * dim + 4) * U64 + 8 * U64);
    const lowerQ = qn.map((s) => (s > 0 ? -1 / Math.sqrt(s) : 0));
    const lowerD = dn.map((s) => (s > 0 ? 1 / Math.sqrt(s) : 0));
    const zero = Uint8Array.from(qn, (s) => (s > 0 ? 0 : 1));
    const row = (m: Float32Array, r: number) => m.subarray(r * dim, (r + 1) * dim);
    return {
      lowerQ,
      lowerD,
      upperQ: lowerQ,
      upperD: lowerD,
      cosine: true,
      zero,
      cosSlack: c,
      cosUnder: 2 * underflow,
      exactKeys: false,
      exact: (q, j) => cosineDistance(row(Q, q), row(D, j)),
      toDistance: (key) => key,
      toKey: (d) => d,
    };
  }
  const sq = metric === 'sqeuclidean';
  const toDistance = sq ? (key: number) => key : Math.sqrt;
  const toKey = sq ? (d: number) => d : (d: number) => d * d;
  // vector.ts's sqeuclidean loop, on offsets (same order of summation, same value).
  const exact = (q: number, j: number): number => {
    const a = q * dim;
    const b = j * dim;
    let s = 0;
    for (let t = 0; t < dim; t++) {
      const d = Q[a + t] - D[b + t];
      s += d * d;
    }
    return s;
  };
  // An exact Gemm multiplies integers only (gemmFor): ‖a‖² + ‖b‖² − 2t is then the exact key.
  if (gemm.exact) return { lowerQ: qn, lowerD: dn, upperQ: qn, upperD: dn, cosine: false, zero: null, cosSlack: 0, cosUnder: 0, exactKeys: true, exact, toDistance, toKey };
  // fast key ‖a‖² + ‖b‖² − 2t, ± c·(‖a‖² + ‖b‖²) + 4·underflow.
  const c = 2 * (gamma + (2 * dim + 4) * U64);
  return {
    lowerQ: qn.map((s) => (1 - c) * s - 4 * underflow),
    lowerD: dn.map((s) => (1 - c) * s),
    upperQ: qn.map((s) => (1 + c) * s + 4 * underflow),
    upperD: dn.map((s) => (1 + c) * s),
    cosine: false,
    zero: null,
    cosSlack: 0,
    cosUnder: 0,
    exactKeys: false,
    exact,
    toDistance,
    toKey,
  };
}

/**
 * knnExact with the GEMM: the same result (see the file comment). Falls back to knnExact for
 * metrics without a dot form and for data whose norms could overflow float32 products.
 *
 * Selection: per query, a max-heap of the k smallest upper keys gives U, an upper bound on the
 * k-th exact key (k pairs have exact keys ≤ U); a pair whose lower key exceeds U cannot be among
 * the k nearest (U only decreases), every other pair is kept as a candidate (lists are pruned
 * against the current U as they grow). At the end the candidates with lower key ≤ U — the k
 * nearest, pairs within the rounding slack of them, nothing else — get their exact key, and the
 * k smallest by (exact key, index) are the answer. So the exact loop runs about k times a query.
 */
export function knnExactGemm(gemm: Gemm, data: Float32Array, n: number, dim: number, k: number, options: QueryOptions & GemmQueryOptions = {}): KnnResult {
  let next = 0;
  const s = searchKnnBlocks(gemm, data, n, dim, k, options, () => next++);
  if (!s) return knnExact(data, n, dim, k, options);
  const { nq, sel, form } = s;
  if (!sel) return { nq, k: s.k, indices: new Int32Array(0), distances: new Float32Array(0) };
  const indices = new Int32Array(nq * s.k);
  const distances = new Float32Array(nq * s.k);
  for (let q = 0; q < nq; q++) sel.finish(q, form.exact, form.toDistance, indices, distances);
  return { nq, k: s.k, indices, distances };
}

/**
 * One worker's share of a kNN that several search together: the queries against the data blocks
 * this worker claims from a counter they share (`Atomics.add(claim, 0, 1)`), so one that finishes
 * a block early takes the next instead of waiting for a fixed cut, and each data block is
 * uploaded and transposed once in all (chunks of queries each uploaded every block). The answer
 * is partial, per query the k nearest of the claimed blocks by (exact key, index): the shares of
 * all the workers merge (mergeKnnPartials) into knnExact's result, bit for bit, by the argument
 * of knnSymmetricPartial. Null when the data have no dot form: then nothing was claimed.
 */
export function knnShareGemm(gemm: Gemm, data: Float32Array, n: number, dim: number, k: number, claim: Int32Array, options: QueryOptions & GemmQueryOptions = {}): KnnPartial | null {
  return knnBlocksPartial(gemm, data, n, dim, k, () => Atomics.add(claim, 0, 1), options);
}

/** knnShareGemm over the data blocks `nextBlock` hands out (ascending; past the last ends it), without threads: for tests. */
export function knnBlocksPartial(gemm: Gemm, data: Float32Array, n: number, dim: number, k: number, nextBlock: () => number, options: QueryOptions & GemmQueryOptions = {}): KnnPartial | null {
  const s = searchKnnBlocks(gemm, data, n, dim, k, options, nextBlock);
  if (!s) return null;
  const { nq, sel, form } = s;
  const count = new Int32Array(nq);
  const indices = new Int32Array(nq * s.k).fill(-1);
  const keys = new Float64Array(nq * s.k).fill(Infinity);
  if (sel) for (let q = 0; q < nq; q++) count[q] = sel.partial(q, form.exact, indices, keys);
  return { n: nq, k: s.k, count, indices, keys };
}

/** What the data-block loop leaves: per query its candidates (null: nothing to search) and the form that computes their exact keys. */
interface KnnSearch {
  nq: number;
  k: number;
  sel: Candidates | null;
  form: DotForm;
}

/**
 * knnExactGemm's selection over the data blocks that `nextBlock` hands out (ascending; an index
 * past the last block ends it), or null when the data have no dot form (before any block is taken).
 */
function searchKnnBlocks(gemm: Gemm, data: Float32Array, n: number, dim: number, k: number, options: QueryOptions & GemmQueryOptions, nextBlock: () => number): KnnSearch | null {
  const [QB, DB] = blockSizes(options);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const dataNorms = options.dataNorms;
  if (dataNorms) checkMatrixByNorms(data, n, dim, dataNorms);
  const pl = plan(data, n, dim, options, dataNorms !== undefined);
  const { Q, nq } = pl;
  const self = pl.excludeSelf;
  k = Math.max(0, Math.min(k, self ? n - 1 : n));
  const D = data.subarray(0, n * dim);
  const Qm = pl.selfOffset === 0 && !pl.selfRows && nq === n ? D : Q;
  gemm = gemmFor(gemm, Qm, nq, D, n, dim);
  const unit = tileUnit(gemm);
  const form = dotForm(gemm, Qm, nq, D, n, dim, options, dataNorms);
  if (!form) return null;
  if (k <= 0 || nq === 0) return { nq, k, sel: null, form };
  const { lowerQ, lowerD, upperQ, upperD, cosine, zero, cosSlack, cosUnder } = form;
  const own = new Int32Array(nq);
  for (let q = 0; q < nq; q++) own[q] = self ? ownRow(pl, q) : -1;
  const sel = new Candidates(nq, k, form.exactKeys);
  const blocks = Math.ceil(n / DB);

  const left = [];
  try {
    for (let q0 = 0; q0 < nq; q0 += QB) left.push(gemm.left(Qm, q0, Math.min(nq, q0 + QB), dim));
    for (let block = nextBlock(); block < blocks; block = nextBlock()) {
      const j0 = block * DB;
      const j1 = Math.min(n, j0 + DB);
      const w = j1 - j0;
      const right = gemm.right(D, j0, j1, dim);
      try {
        for (let b = 0; b < left.length; b++) {
          const tile = gemm.multiply(left[b], right);
          const q0 = b * QB;
          const q1 = q0 + left[b].rows;
          for (let q = q0; q < q1; q++) {
            const o = (q - q0) * w - j0;
            const skip = own[q];
            let bound = sel.bound[q];
            if (zero && zero[q]) {
              for (let j = j0; j < j1; j++) if (j !== skip) sel.add(q, j, -Infinity, Infinity);
            } else if (cosine) {
              const aq = lowerQ[q];
              for (let j = j0; j < j1; j++) {
                const ab = aq * lowerD[j];
                const t = tile[o + j] * unit;
                const lower = 1 - cosSlack + ab * (t + cosUnder);
                if (lower > bound || j === skip) continue;
                bound = sel.add(q, j, lower, 1 + cosSlack + ab * (t - cosUnder));
              }
            } else {
              const lq = lowerQ[q];
              const uq = upperQ[q];
              for (let j = j0; j < j1; j++) {
                const t2 = 2 * unit * tile[o + j];
                const lower = lq + lowerD[j] - t2;
                if (lower > bound || j === skip) continue;
                bound = sel.add(q, j, lower, uq + upperD[j] - t2);
              }
            }
          }
        }
      } finally {
        gemm.dispose(right);
      }
      options.onProgress?.(Math.round((nq * j1) / n), nq);
    }
  } finally {
    gemm.dispose(...left);
  }
  return { nq, k, sel, form };
}

/** Rows per square block of the symmetric all-rows path (tiles of SYMMETRIC_BLOCK²). */
const SYMMETRIC_BLOCK = 512;

export interface SymmetricOptions extends MetricOptions {
  /** Rows per square block (default 512; tests use small ones). */
  block?: number;
  /** Tiles done here so far of all the tiles, after each tile column. */
  onProgress?: (done: number, total: number) => void;
  /** squaredNorms(data, n, dim) from the caller (GemmQueryOptions.dataNorms): not computed again, the data checked by them. */
  dataNorms?: Float64Array;
}

/** Square blocks of the symmetric path for n rows. */
export function symmetricBlocks(n: number, block = SYMMETRIC_BLOCK): number {
  if (!(Number.isInteger(block) && block >= 1)) throw new RangeError(`block must be a positive integer, got ${block}`);
  return Math.ceil(n / block);
}

/**
 * The kNN of every data row (each without itself) from the upper-triangle tiles only: each pair's
 * product is needed once, so tile (b, c) with b ≤ c feeds row i of block b with column j and row j
 * of block c with row i (the tile's transpose); the diagonal tiles feed their pairs j > i both ways.
 * Half the GEMM work of knnExactGemm on all rows. Here only the tiles of the columns c that
 * `nextColumn` hands out (column c: tiles (0..c, c); an index outside [0, blocks) ends it), so the
 * answer is partial: it covers the pairs of those tiles, and partials of disjoint columns merge
 * (mergeKnnPartials) into knnExact's result, bit for bit — each worker's candidates pass the same
 * bounds as in knnExactGemm (a pair pruned by a partial's bound has an exact key strictly above
 * that partial's k-th, so it is in no merged top k). Null when the metric has no dot form or the
 * norms could overflow float32 products (callers use knnExact's paths then); nothing was taken then.
 */
export function knnSymmetricPartial(gemm: Gemm, data: Float32Array, n: number, dim: number, k: number, nextColumn: () => number, options: SymmetricOptions = {}): KnnPartial | null {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  checkMatrixShape(data, n, dim);
  const B = options.block ?? SYMMETRIC_BLOCK;
  const nb = symmetricBlocks(n, B);
  const dataNorms = options.dataNorms;
  if (dataNorms) checkMatrixByNorms(data, n, dim, dataNorms);
  else checkMatrix(data, n, dim);
  k = Math.min(k, n - 1);
  const count = new Int32Array(n);
  const indices = new Int32Array(n * Math.max(k, 0)).fill(-1);
  const keys = new Float64Array(n * Math.max(k, 0)).fill(Infinity);
  if (k <= 0) return { n, k: Math.max(k, 0), count, indices, keys };
  const D = data.subarray(0, n * dim);
  gemm = gemmFor(gemm, D, n, D, n, dim);
  const unit = tileUnit(gemm);
  const form = dotForm(gemm, D, n, D, n, dim, options, dataNorms);
  if (!form) return null;
  const { lowerQ, lowerD, upperQ, upperD, cosine, zero, cosSlack, cosUnder } = form;
  const sel = new Candidates(n, k, form.exactKeys);
  const bound = sel.bound;
  const total = (nb * (nb + 1)) / 2;
  let done = 0;
  for (let c = nextColumn(); c >= 0 && c < nb; c = nextColumn()) {
    const j0 = c * B;
    const j1 = Math.min(n, j0 + B);
    const w = j1 - j0;
    // One transposed right operand per column; the left operands are plain copies (a twentieth of
    // a transpose), uploaded for each tile: no worker holds all the rows in its backend.
    const right = gemm.right(D, j0, j1, dim);
    try {
      for (let b = 0; b <= c; b++) {
        const i0 = b * B;
        const i1 = Math.min(n, i0 + B);
        const left = gemm.left(D, i0, i1, dim);
        try {
          const tile = gemm.multiply(left, right);
          for (let i = i0; i < i1; i++) {
            const o = (i - i0) * w - j0;
            const start = b === c ? i + 1 : j0;
            // Both directions of each pair; NaN bounds fail `>` and go on as candidates, as in knnExactGemm.
            if (cosine) {
              const zi = zero !== null && zero[i] === 1;
              const aqi = lowerQ[i];
              const adi = lowerD[i];
              let bi = bound[i];
              for (let j = start; j < j1; j++) {
                const t = tile[o + j] * unit;
                if (zi) bi = sel.add(i, j, -Infinity, Infinity);
                else {
                  const ab = aqi * lowerD[j];
                  const lower = 1 - cosSlack + ab * (t + cosUnder);
                  if (!(lower > bi)) bi = sel.add(i, j, lower, 1 + cosSlack + ab * (t - cosUnder));
                }
                if (zero !== null && zero[j] === 1) sel.add(j, i, -Infinity, Infinity);
                else {
                  const ab = lowerQ[j] * adi;
                  const lower = 1 - cosSlack + ab * (t + cosUnder);
                  if (!(lower > bound[j])) sel.add(j, i, lower, 1 + cosSlack + ab * (t - cosUnder));
                }
              }
            } else {
              const lqi = lowerQ[i];
              const uqi = upperQ[i];
              const ldi = lowerD[i];
              const udi = upperD[i];
              let bi = bound[i];
              for (let j = start; j < j1; j++) {
                const t2 = 2 * unit * tile[o + j];
                const li = lqi + lowerD[j] - t2;
                if (!(li > bi)) bi = sel.add(i, j, li, uqi + upperD[j] - t2);
                const lj = lowerQ[j] + ldi - t2;
                if (!(lj > bound[j])) sel.add(j, i, lj, upperQ[j] + udi - t2);
              }
            }
          }
        } finally {
          gemm.dispose(left);
        }
      }
    } finally {
      gemm.dispose(right);
    }
    done += c + 1;
    options.onProgress?.(done, total);
  }
  for (let r = 0; r < n; r++) count[r] = sel.partial(r, form.exact, indices, keys);
  return { n, k, count, indices, keys };
}

/**
 * One worker's share of the symmetric all-rows kNN: the tile columns it claims from a counter
 * shared with the others (`Atomics.add(claim, 0, 1)`), the longest first (column c has c + 1
 * tiles), so the workers end together whatever else the machine runs. A fixed cut of tile rows
 * left one worker idle for 8 % of the job (10,000 × 784 on 2 workers).
 */
export function knnSymmetricShare(gemm: Gemm, data: Float32Array, n: number, dim: number, k: number, claim: Int32Array, options: SymmetricOptions = {}): KnnPartial | null {
  const last = symmetricBlocks(n, options.block ?? SYMMETRIC_BLOCK) - 1;
  return knnSymmetricPartial(gemm, data, n, dim, k, () => last - Atomics.add(claim, 0, 1), options);
}

/** knnExact of every data row (each without itself) on the symmetric tiles, in this thread. */
export function knnAllRowsGemm(gemm: Gemm, data: Float32Array, n: number, dim: number, k: number, options: SymmetricOptions = {}): KnnResult {
  let c = symmetricBlocks(n, options.block ?? SYMMETRIC_BLOCK);
  const part = knnSymmetricPartial(gemm, data, n, dim, k, () => --c, options);
  return part ? mergeKnnPartials([part], n, options) : knnExact(data, n, dim, k, options.metric !== undefined ? { metric: options.metric, ...(options.p !== undefined ? { p: options.p } : {}) } : {});
}

/** Per-query candidate lists and heaps of upper keys (see knnExactGemm). */
export class Candidates {
  /** U per query: the k-th smallest upper key so far (∞ until k pairs were seen). */
  readonly bound: Float64Array;
  private readonly upper: Float64Array;
  private readonly upperSize: Int32Array;
  private readonly js: Int32Array[];
  private readonly lows: Float64Array[];
  private readonly count: Int32Array;

  /** `exactLows`: every lower key added is the pair's exact key (DotForm.exactKeys), so no exact loop runs. */
  constructor(
    nq: number,
    private readonly k: number,
    private readonly exactLows = false,
  ) {
    this.bound = new Float64Array(nq).fill(Infinity);
    this.upper = new Float64Array(nq * k);
    this.upperSize = new Int32Array(nq);
    this.count = new Int32Array(nq);
    const cap = 2 * k + 16;
    this.js = Array.from({ length: nq }, () => new Int32Array(cap));
    this.lows = Array.from({ length: nq }, () => new Float64Array(cap));
  }

  /** Adds a candidate; returns the query's (possibly lowered) bound. */
  add(q: number, j: number, lower: number, upper: number): number {
    let c = this.count[q];
    if (c === this.js[q].length) c = this.makeRoom(q);
    this.js[q][c] = j;
    this.lows[q][c] = lower;
    this.count[q] = c + 1;
    const k = this.k;
    const h = q * k;
    const heap = this.upper;
    const size = this.upperSize[q];
    if (size < k) {
      // Sift up in a max-heap of keys.
      let at = size;
      while (at > 0) {
        const parent = (at - 1) >> 1;
        if (heap[h + parent] >= upper) break;
        heap[h + at] = heap[h + parent];
        at = parent;
      }
      heap[h + at] = upper;
      this.upperSize[q] = size + 1;
      if (size + 1 === k) this.bound[q] = heap[h];
    } else if (upper < heap[h]) {
      let at = 0;
      for (;;) {
        let child = 2 * at + 1;
        if (child >= k) break;
        if (child + 1 < k && heap[h + child + 1] > heap[h + child]) child++;
        if (heap[h + child] <= upper) break;
        heap[h + at] = heap[h + child];
        at = child;
      }
      heap[h + at] = upper;
      this.bound[q] = heap[h];
    }
    return this.bound[q];
  }

  /** Drops candidates beyond the bound; doubles the list when that frees less than half. */
  private makeRoom(q: number): number {
    const js = this.js[q];
    const lows = this.lows[q];
    const bound = this.bound[q];
    let c = 0;
    for (let t = 0; t < js.length; t++) {
      if (lows[t] > bound) continue;
      js[c] = js[t];
      lows[c] = lows[t];
      c++;
    }
    if (c > js.length / 2) {
      const bigJ = new Int32Array(js.length * 2);
      const bigL = new Float64Array(js.length * 2);
      bigJ.set(js.subarray(0, c));
      bigL.set(lows.subarray(0, c));
      this.js[q] = bigJ;
      this.lows[q] = bigL;
    }
    return c;
  }

  /**
   * k = 1: the candidate of query q with the smallest (exact key, index) among those whose lower
   * key is ≤ both the bound and `limit`; −1 when there is none. Its key goes to `key[0]`.
   */
  nearest(q: number, exact: (q: number, j: number) => number, limit: number, key: Float64Array): number {
    const js = this.js[q];
    const lows = this.lows[q];
    const bound = Math.min(this.bound[q], limit);
    let best = -1;
    let bestKey = Infinity;
    for (let t = 0; t < this.count[q]; t++) {
      if (!(lows[t] <= bound)) continue;
      const j = js[t];
      const e = this.exactLows ? lows[t] : exact(q, j);
      if (best < 0 || e < bestKey || (e === bestKey && j < best)) {
        best = j;
        bestKey = e;
      }
    }
    key[0] = bestKey;
    return best;
  }

  /**
   * Like finish, for a partial kNN: up to k of the surviving candidates (fewer when fewer pairs
   * were seen), their exact keys, sorted by (key, index), into row q; returns how many.
   */
  partial(q: number, exact: (q: number, j: number) => number, indices: Int32Array, keys: Float64Array): number {
    const js = this.js[q];
    const lows = this.lows[q];
    const bound = this.bound[q];
    const keep: { j: number; key: number }[] = [];
    for (let t = 0; t < this.count[q]; t++) if (lows[t] <= bound) keep.push({ j: js[t], key: this.exactLows ? lows[t] : exact(q, js[t]) });
    keep.sort((a, b) => a.key - b.key || a.j - b.j);
    const k = this.k;
    const m = Math.min(k, keep.length);
    for (let t = 0; t < m; t++) {
      indices[q * k + t] = keep[t].j;
      keys[q * k + t] = keep[t].key;
    }
    return m;
  }

  /** Exact keys of the surviving candidates; the k smallest by (key, index) into row q. */
  finish(q: number, exact: (q: number, j: number) => number, toDistance: (key: number) => number, indices: Int32Array, distances: Float32Array): void {
    const js = this.js[q];
    const lows = this.lows[q];
    const bound = this.bound[q];
    const keep: { j: number; key: number }[] = [];
    for (let t = 0; t < this.count[q]; t++) if (lows[t] <= bound) keep.push({ j: js[t], key: this.exactLows ? lows[t] : exact(q, js[t]) });
    keep.sort((a, b) => a.key - b.key || a.j - b.j);
    const k = this.k;
    for (let t = 0; t < k; t++) {
      indices[q * k + t] = keep[t].j;
      distances[q * k + t] = toDistance(keep[t].key);
    }
  }
}

/**
 * rangeQuery with the GEMM: the same result (see the file comment). With `distances: false`
 * (membership only) a pair is also decided by its upper key: upper ≤ eps is a neighbour without
 * the exact loop, so that loop runs only for pairs whose slack band straddles eps — on dense
 * clusters (DBSCAN's graph) nearly every reported pair would otherwise cost one.
 */
export function rangeQueryGemm(gemm: Gemm, data: Float32Array, n: number, dim: number, eps: number, options: RangeOptions & GemmQueryOptions = {}): RangeResult {
  const [QB, DB] = blockSizes(options);
  if (!(eps >= 0) || eps === Infinity) throw new RangeError(`eps must be a finite number ≥ 0, got ${eps}`);
  const pl = plan(data, n, dim, options);
  const { Q, nq } = pl;
  const D = data.subarray(0, n * dim);
  const Qm = pl.selfOffset === 0 && !pl.selfRows && nq === n ? D : Q;
  gemm = gemmFor(gemm, Qm, nq, D, n, dim);
  const unit = tileUnit(gemm);
  const form = dotForm(gemm, Qm, nq, D, n, dim, options);
  if (!form) return rangeQuery(data, n, dim, eps, options);
  const { lowerQ, lowerD, upperQ, upperD, exact, exactKeys, cosine, zero, cosSlack, cosUnder } = form;
  const members = options.distances === false;
  const after = options.onlyAfter === true && pl.selfOffset >= 0 && !pl.selfRows;
  const threshold = form.toKey(eps);
  const own = new Int32Array(nq);
  for (let q = 0; q < nq; q++) own[q] = ownRow(pl, q);
  let hq = new Int32Array(1024);
  let hj = new Int32Array(1024);
  let hd = new Float32Array(members ? 0 : 1024);
  let hits = 0;
  const left = [];
  try {
    for (let q0 = 0; q0 < nq; q0 += QB) left.push(gemm.left(Qm, q0, Math.min(nq, q0 + QB), dim));
    for (let j0 = 0; j0 < n; j0 += DB) {
      const j1 = Math.min(n, j0 + DB);
      const w = j1 - j0;
      // onlyAfter: queries whose own row is ≥ j1 − 1 have nothing in this block.
      const qEnd = after ? Math.min(nq, j1 - 1 - pl.selfOffset) : nq;
      if (qEnd <= 0) {
        options.onProgress?.(Math.round((nq * j1) / n), nq);
        continue;
      }
      const right = gemm.right(D, j0, j1, dim);
      try {
        for (let b = 0; b * QB < qEnd; b++) {
          const tile = gemm.multiply(left[b], right);
          const q0 = b * QB;
          const q1 = Math.min(q0 + left[b].rows, qEnd);
          for (let q = q0; q < q1; q++) {
            const o = (q - q0) * w - j0;
            const mine = own[q];
            const skip = pl.excludeSelf ? mine : -1;
            const lq = lowerQ[q];
            const uq = upperQ[q];
            const undecided = zero !== null && zero[q] === 1;
            const start = after ? Math.max(j0, mine + 1) : j0;
            for (let j = start; j < j1; j++) {
              if (j === skip) continue;
              let lower: number;
              let upper: number;
              if (cosine) {
                const ab = lq * lowerD[j];
                const t = tile[o + j] * unit;
                lower = 1 - cosSlack + ab * (t + cosUnder);
                // A zero data row (ab = 0) has no upper bound: vector.ts defines its distance specially.
                upper = ab === 0 ? Infinity : 1 + cosSlack + ab * (t - cosUnder);
              } else {
                const t2 = 2 * unit * tile[o + j];
                lower = lq + lowerD[j] - t2;
                upper = uq + upperD[j] - t2;
              }
              let key = NaN;
              if (undecided) {
                key = exact(q, j);
                if (key > threshold) continue;
              } else {
                if (lower > threshold) continue;
                // NaN bounds fail both tests and go to the exact loop; products cannot overflow
                // (dotForm refuses norms that could), so no −∞ upper key accepts a pair wrongly.
                if (exactKeys) key = lower;
                else if (!(members && upper <= threshold)) {
                  key = exact(q, j);
                  if (key > threshold) continue;
                }
              }
              if (hits === hq.length) {
                hq = grow(hq);
                hj = grow(hj);
                if (!members) hd = grow(hd);
              }
              hq[hits] = q;
              hj[hits] = j;
              if (!members) hd[hits] = form.toDistance(key);
              hits++;
            }
          }
        }
      } finally {
        gemm.dispose(right);
      }
      options.onProgress?.(Math.round((nq * j1) / n), nq);
    }
  } finally {
    gemm.dispose(...left);
  }
  // Hits come in data-block order, ascending j per query: a stable counting sort by query keeps it.
  const offsets = new Int32Array(nq + 1);
  for (let t = 0; t < hits; t++) offsets[hq[t] + 1]++;
  for (let q = 0; q < nq; q++) offsets[q + 1] += offsets[q];
  const fill = offsets.slice(0, nq);
  const neighbours = new Int32Array(hits);
  const distances = new Float32Array(members ? 0 : hits);
  for (let t = 0; t < hits; t++) {
    const at = fill[hq[t]]++;
    neighbours[at] = hj[t];
    if (!members) distances[at] = hd[t];
  }
  return { nq, offsets, neighbours, distances };
}

/** knnExact on the fastest kernel available in this thread (the GEMM, else the JavaScript tiles). */
export async function knnExactFast(data: Float32Array, n: number, dim: number, k: number, options: QueryOptions & GemmQueryOptions = {}): Promise<KnnResult> {
  if (queryCount(n, dim, options) < FEW_QUERIES) return knnExact(data, n, dim, k, options);
  const gemm = options.gemm === undefined ? await loadGemm() : options.gemm;
  return gemm ? knnExactGemm(gemm, data, n, dim, k, options) : knnExact(data, n, dim, k, options);
}

/** How many queries the options ask for (rows, own queries, or the row range). */
function queryCount(n: number, dim: number, options: QueryOptions): number {
  if (options.rows) return options.rows.length;
  if (options.queries) return Math.floor(options.queries.length / dim);
  return (options.to ?? n) - (options.from ?? 0);
}

/** rangeQuery on the fastest kernel available in this thread. */
export async function rangeQueryFast(data: Float32Array, n: number, dim: number, eps: number, options: RangeOptions & GemmQueryOptions = {}): Promise<RangeResult> {
  const gemm = options.gemm === undefined ? await loadGemm() : options.gemm;
  return gemm ? rangeQueryGemm(gemm, data, n, dim, eps, options) : rangeQuery(data, n, dim, eps, options);
}
