// The nearest data row within eps of each query, exactly: what knnExact with k = 1 answers when
// that neighbour's (float32) distance is ≤ eps, else nothing. Leakage asks exactly this (is a test
// record a copy of a training record?), and so does the eps rule's sample (each row's nearest
// other row, but only the small distances matter; see jobs/findLeaks.ts).
//
// Where the time goes is the GEMM (./knnGemm.ts), so the point is to multiply fewer pairs. For
// euclidean and sqeuclidean, ‖q − r‖ ≥ |‖q‖ − ‖r‖| (the triangle inequality): a data row whose
// norm differs from the query's by more than eps cannot be within eps. Queries and data are sorted
// by norm; each block of queries (a narrow band of norms) is multiplied only with the data rows
// in its norm window [min ‖q‖ − eps, max ‖q‖ + eps]. On Fashion-MNIST pixels (norms ≈ 3–20, eps
// ≈ 1.2) that is a fraction of the data per block. Cosine has no such window: all rows.
//
// Exactness as in knnGemm.ts: a pair whose lower key (tile value minus the rounding slack)
// exceeds the limit or the query's best upper key is ruled out; the rest are candidates, computed
// exactly at the end; the smallest (exact key, index) wins, then its float32 distance is compared
// with eps as the reference does. The limit is eps's key with a 1e-5 relative margin, and the
// norm window is widened to match, so no pair that the reference could report is ever ruled out.
//
// Inside the windows, a projection onto a few principal directions (`projection`) is a second,
// much tighter lower bound: a tile is multiplied in those m dimensions first (24× cheaper at 784
// → 32), and only the pairs it cannot rule out are computed in full. Several threads can share
// one search by claiming data blocks (nearestWithinShare, mergeShares).

import { loadGemm, type Gemm, type GemmOperand } from './gemm';
import { checkMatrixByNorms, knnExact, ownRow, plan, resolveMetric, squaredNorms, type Plan, type QueryOptions } from './knnExact';
import { blockSizes, Candidates, dotForm, type DotForm, type GemmQueryOptions } from './knnGemm';
import { largestError, projectedLimit, type RowProjection } from './rowProjection';

export type { RowProjection };

export interface NearestWithin {
  nq: number;
  /** Per query: the nearest data row (ties: the smaller index) when its distance is ≤ eps, else −1. */
  index: Int32Array;
  /** Its distance (0 where index is −1). */
  distance: Float32Array;
}

/**
 * Options of the GEMM path. `smallest`: the caller needs only the `smallest` nearest distances
 * of these queries (the eps rule reads a low quantile of them): as pairs are found the limit
 * shrinks to the `smallest`-th smallest upper key among the queries, and with it the norm windows.
 * Every answer given is still exact (the true nearest, within eps); a query whose nearest lies
 * beyond the final limit may be answered −1 — never one of the `smallest` nearest (see below).
 */
export interface NearestWithinOptions extends QueryOptions, GemmQueryOptions {
  smallest?: number;
  /**
   * squaredNorms(data, n, dim), when the caller has them (the same data searched many times, by
   * many chunks): not computed again, and the data are not scanned again for non-finite values
   * (a finite norm means finite values; checkMatrixByNorms). The answer is the same.
   */
  dataNorms?: Float64Array;
  /**
   * Euclidean and sqeuclidean: the data (and own queries) projected onto a few principal
   * directions, whose distances bound the true ones from below (see RowProjection). A tile is
   * then first multiplied in the m projected dimensions, and only the pairs that this bound
   * cannot rule out are computed further (one by one, or as a full tile where many remain).
   */
  projection?: RowProjection;
}

/** Relative margin on eps for the candidate limit and the norm window (float32 rounding of the reported distance is 6e-8). */
const MARGIN = 1e-5;

function checkEps(eps: number): void {
  if (!(eps >= 0) || eps === Infinity) throw new RangeError(`eps must be a finite number ≥ 0, got ${eps}`);
}

/** The plain reference: knnExact's nearest neighbour of each query, kept when its distance is ≤ eps. */
export function nearestWithin(data: Float32Array, n: number, dim: number, eps: number, options: QueryOptions = {}): NearestWithin {
  checkEps(eps);
  const r = knnExact(data, n, dim, 1, options);
  const index = new Int32Array(r.nq).fill(-1);
  const distance = new Float32Array(r.nq);
  for (let q = 0; r.k === 1 && q < r.nq; q++) {
    if (r.distances[q] <= eps) {
      index[q] = r.indices[q];
      distance[q] = r.distances[q];
    }
  }
  return { nq: r.nq, index, distance };
}

/** Indices 0..m−1 ordered by value (ties by index). */
function argsort(values: Float64Array): Int32Array {
  const order = Int32Array.from({ length: values.length }, (_, i) => i);
  order.sort((a, b) => values[a] - values[b] || a - b);
  return order;
}

/** First position p in ascending `sorted` with sorted[p] ≥ x (or > x with `after`). */
function searchSorted(sorted: Float64Array, x: number, after: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x || (after && sorted[mid] === x)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Rows `order[from..to)` of a row-major matrix, packed into `out`. */
function gather(m: Float32Array, order: Int32Array, from: number, to: number, dim: number, out: Float32Array): Float32Array {
  for (let p = from; p < to; p++) {
    const r = order[p];
    out.set(m.subarray(r * dim, (r + 1) * dim), (p - from) * dim);
  }
  return out;
}

/**
 * Query rows per block and data rows per block: smaller than knnGemm's (256, 2048) because a
 * block's product is spent on its whole norm band and window; on Fashion-MNIST (eps 1.2) 19 % of
 * all pairs are multiplied with these against 23 % with knnGemm's, 17 % being the bound.
 */
const BLOCKS: [number, number] = [128, 512];

/** nearestWithin with the GEMM and the norm window (see the file comment): the same result. */
export function nearestWithinGemm(gemm: Gemm, data: Float32Array, n: number, dim: number, eps: number, options: NearestWithinOptions = {}): NearestWithin {
  let next = 0;
  const share = searchDataBlocks(gemm, data, n, dim, eps, options, () => next++);
  if (!share) return nearestWithin(data, n, dim, eps, options);
  return { nq: share.nq, index: share.index, distance: share.distance };
}

/**
 * One thread's share of nearestWithinGemm when several search the same queries together: the
 * data blocks (of the norm-sorted data) are claimed one at a time from a counter they share
 * (`Atomics.add(claim, 0, 1)`), so a thread that finishes early takes the next block instead of
 * waiting for the others (cutting the queries into fixed chunks left one worker idle up to a
 * quarter of the search, and uploaded the data blocks where the chunks' windows overlap twice).
 * Each share answers every query from the blocks it claimed; {@link mergeShares} keeps, per
 * query, the smallest (exact key, index) over the shares: the answer of nearestWithinGemm.
 * Null when the data have no dot form (metric, or norms that could overflow): then nothing was claimed.
 */
export function nearestWithinShare(gemm: Gemm, data: Float32Array, n: number, dim: number, eps: number, claim: Int32Array, options: NearestWithinOptions = {}): NearestWithinShare | null {
  return searchDataBlocks(gemm, data, n, dim, eps, options, () => Atomics.add(claim, 0, 1));
}

/** A share over the data blocks `nextBlock` hands out (ascending; past the last ends it): nearestWithinShare without threads, for tests. */
export function nearestWithinBlocks(gemm: Gemm, data: Float32Array, n: number, dim: number, eps: number, nextBlock: () => number, options: NearestWithinOptions = {}): NearestWithinShare | null {
  return searchDataBlocks(gemm, data, n, dim, eps, options, nextBlock);
}

/** A share's answers, with what {@link mergeShares} needs to choose between shares. */
export interface NearestWithinShare extends NearestWithin {
  /** Exact key of each answer (∞ where none), the order the reference ranks by. */
  key: Float64Array;
  /** This share's final limit on keys (`smallest` lowers it): an answer above the smallest cap of all shares may not be the nearest. */
  cap: number;
}

/**
 * Per query, the answer with the smallest (key, index) over the shares; with `smallest`, only
 * answers at or below every share's cap. Why that is exact: a share drops a pair only when its
 * lower key exceeds that share's cap, so the true nearest (key k*) is found by the share that
 * holds it whenever k* ≤ its cap; an answer above the smallest cap may therefore hide a nearer
 * pair that another share dropped, while one at or below every cap cannot. And each share's cap
 * is at least the m-th smallest true key (its bounds are upper keys of true pairs), so the m
 * smallest answers of the reference are all kept, as `smallest` promises.
 */
export function mergeShares(shares: readonly NearestWithinShare[], nq: number): NearestWithin {
  const index = new Int32Array(nq).fill(-1);
  const distance = new Float32Array(nq);
  let cap = Infinity;
  for (const s of shares) cap = Math.min(cap, s.cap);
  for (let q = 0; q < nq; q++) {
    let best: NearestWithinShare | undefined;
    for (const s of shares) {
      if (s.index[q] < 0 || s.key[q] > cap) continue;
      if (!best || s.key[q] < best.key[q] || (s.key[q] === best.key[q] && s.index[q] < best.index[q])) best = s;
    }
    if (best) {
      index[q] = best.index[q];
      distance[q] = best.distance[q];
    }
  }
  return { nq, index, distance };
}

/** The search of nearestWithinGemm over the data blocks that `nextBlock` hands out (ascending), or null without a dot form. */
function searchDataBlocks(gemm: Gemm, data: Float32Array, n: number, dim: number, eps: number, options: NearestWithinOptions, nextBlock: () => number): NearestWithinShare | null {
  const [QB, DB] = blockSizes({ blocks: options.blocks ?? BLOCKS });
  checkEps(eps);
  const dataNorms = options.dataNorms;
  if (dataNorms) checkMatrixByNorms(data, n, dim, dataNorms);
  const pl = plan(data, n, dim, options, dataNorms !== undefined);
  const { Q, nq } = pl;
  const D = data.subarray(0, n * dim);
  const Qm = pl.selfOffset === 0 && !pl.selfRows && nq === n ? D : Q;
  const form = dotForm(gemm, Qm, nq, D, n, dim, options, dataNorms);
  if (!form) return null;
  const { metric } = resolveMetric(options);
  const { lowerQ, lowerD, upperQ, upperD, cosine, zero, cosSlack, cosUnder } = form;
  const index = new Int32Array(nq).fill(-1);
  const distance = new Float32Array(nq);
  const keys = new Float64Array(nq).fill(Infinity);
  const limit = form.toKey(eps) * (1 + MARGIN);
  if (nq === 0 || n === 0) return { nq, index, distance, key: keys, cap: limit };

  const dNorm = (dataNorms ? dataNorms.subarray(0, n) : squaredNorms(D, n, dim)).map(Math.sqrt);
  const qNorm = Qm === D ? dNorm : squaredNorms(Qm, nq, dim).map(Math.sqrt);
  let maxNorm = 0;
  for (const v of dNorm) if (v > maxNorm) maxNorm = v;
  for (const v of qNorm) if (v > maxNorm) maxNorm = v;
  // Norm units: eps is a distance (euclidean) or a squared one (sqeuclidean); the absolute term
  // covers the float64 rounding of the norms themselves.
  const reachOf = (d: number): number => (cosine ? Infinity : (metric === 'sqeuclidean' ? Math.sqrt(d) : d) * (1 + MARGIN) + 1e-9 * maxNorm);
  const reach = reachOf(eps);
  const qOrder = argsort(qNorm);
  const dOrder = argsort(dNorm);
  const sortedNorm = Float64Array.from(dOrder, (j) => dNorm[j]);
  const own = new Int32Array(nq);
  for (let q = 0; q < nq; q++) own[q] = pl.excludeSelf ? ownRow(pl, q) : -1;
  const proj = !cosine && options.projection ? projectedSide(gemm, options.projection, pl, n, qNorm, dNorm) : null;

  // Query blocks over norm-sorted positions, each with its window [lo, hi) of sorted data positions.
  const blocks = Math.ceil(nq / QB);
  const lo = new Int32Array(blocks);
  const hi = new Int32Array(blocks);
  for (let b = 0; b < blocks; b++) {
    const q0 = b * QB;
    const q1 = Math.min(nq, q0 + QB);
    lo[b] = reach === Infinity ? 0 : searchSorted(sortedNorm, qNorm[qOrder[q0]] - reach, false);
    hi[b] = reach === Infinity ? n : searchSorted(sortedNorm, qNorm[qOrder[q1 - 1]] + reach, true);
  }
  const sel = new Candidates(nq, 1);
  // The shrinking limit of `smallest`: the m-th smallest upper key (each query's best so far).
  // A query whose nearest has exact key ≤ the final cap was never pruned (its lower keys are
  // ≤ that key ≤ every cap on the way), and the m smallest exact keys are ≤ the m-th smallest
  // upper key: those m are found exactly. The windows narrow with the cap's distance.
  const m = options.smallest;
  let cap = limit;
  const bounds = m !== undefined && m < nq ? new Float64Array(nq) : null;
  const shrink = (): void => {
    if (!bounds) return;
    bounds.set(sel.bound);
    bounds.sort();
    const next = Math.min(limit, bounds[m! - 1]);
    if (!(next < cap)) return;
    cap = next;
    if (reach === Infinity) return;
    const r = reachOf(form.toDistance(cap));
    for (let b = 0; b < blocks; b++) {
      lo[b] = Math.max(lo[b], searchSorted(sortedNorm, qNorm[qOrder[b * QB]] - r, false));
      hi[b] = Math.min(hi[b], searchSorted(sortedNorm, qNorm[qOrder[Math.min(nq, (b + 1) * QB) - 1]] + r, true));
    }
  };
  const scratch = new Float32Array(Math.min(n, DB) * dim);
  // Full-dimension query blocks (norm order), uploaded when a tile first needs them (with a projection, few do).
  let Qs: Float32Array | undefined;
  const left: (GemmOperand | undefined)[] = new Array(blocks);
  const leftOf = (b: number): GemmOperand => (left[b] ??= gemm.left((Qs ??= gather(Qm, qOrder, 0, nq, dim, new Float32Array(nq * dim))), b * QB, Math.min(nq, (b + 1) * QB), dim));
  const leftP: GemmOperand[] = [];
  // Pairs of a tile that the projection cannot rule out: (query position, data position).
  const survivorQ = proj ? new Int32Array(QB * Math.min(n, DB)) : new Int32Array(0);
  const survivorP = proj ? new Int32Array(QB * Math.min(n, DB)) : new Int32Array(0);
  const scratchP = proj ? new Float32Array(Math.min(n, DB) * proj.m) : new Float32Array(0);
  // A survivor costs dim multiply-adds in JavaScript, a full tile QB·DB·dim on the GEMM at ~30×
  // the speed: past this share of survivors the tile is multiplied in full.
  const FULL_TILE_SHARE = 1 / 24;
  try {
    if (proj) {
      const Ps = gather(proj.queries, qOrder, 0, nq, proj.m, new Float32Array(nq * proj.m));
      for (let b = 0; b < blocks; b++) leftP.push(gemm.left(Ps, b * QB, Math.min(nq, (b + 1) * QB), proj.m));
    }
    // Windows move up with the blocks: the first block that reaches data block j0 only grows.
    let firstBlock = 0;
    const blocksOfData = Math.ceil(n / DB);
    for (let claimed = nextBlock(); claimed < blocksOfData; claimed = nextBlock()) {
      const j0 = claimed * DB;
      const j1 = Math.min(n, j0 + DB);
      while (firstBlock < blocks && hi[firstBlock] <= j0) firstBlock++;
      if (firstBlock === blocks || lo[firstBlock] >= j1) {
        options.onProgress?.(Math.round((nq * j1) / n), nq);
        continue;
      }
      const w = j1 - j0;
      let right: GemmOperand | undefined;
      const rightOf = (): GemmOperand => (right ??= gemm.right(gather(D, dOrder, j0, j1, dim, scratch), 0, w, dim));
      const rightP = proj ? gemm.right(gather(proj.data, dOrder, j0, j1, proj.m, scratchP), 0, w, proj.m) : undefined;
      try {
        for (let b = firstBlock; b < blocks && lo[b] < j1; b++) {
          if (hi[b] <= j0 || lo[b] >= hi[b]) continue;
          const q0 = b * QB;
          const q1 = Math.min(nq, q0 + QB);
          const from = Math.max(j0, lo[b]);
          const to = Math.min(j1, hi[b]);
          if (proj && rightP) {
            // The projected tile first: only its survivors go further.
            const tileP = gemm.multiply(leftP[b], rightP);
            let count = 0;
            for (let qs = q0; qs < q1; qs++) {
              const q = qOrder[qs];
              const o = (qs - q0) * w - j0;
              const skip = own[q];
              const limitP = proj.limitOf(q, Math.min(sel.bound[q], cap));
              const lq = proj.form.lowerQ[q];
              for (let p = from; p < to; p++) {
                const j = dOrder[p];
                if (lq + proj.form.lowerD[j] - 2 * tileP[o + p] > limitP || j === skip) continue;
                survivorQ[count] = qs;
                survivorP[count++] = p;
              }
            }
            if (count === 0) continue;
            if (count > FULL_TILE_SHARE * (q1 - q0) * w) {
              const tile = gemm.multiply(leftOf(b), rightOf());
              for (let c = 0; c < count; c++) {
                const q = qOrder[survivorQ[c]];
                const p = survivorP[c];
                const j = dOrder[p];
                const t2 = 2 * tile[(survivorQ[c] - q0) * w + p - j0];
                const lower = lowerQ[q] + lowerD[j] - t2;
                if (lower > Math.min(sel.bound[q], cap)) continue;
                sel.add(q, j, lower, upperQ[q] + upperD[j] - t2);
              }
            } else {
              for (let c = 0; c < count; c++) {
                const q = qOrder[survivorQ[c]];
                const j = dOrder[survivorP[c]];
                const e = form.exact(q, j);
                if (e > Math.min(sel.bound[q], cap)) continue;
                sel.add(q, j, e, e);
              }
            }
            continue;
          }
          const tile = gemm.multiply(leftOf(b), rightOf());
          for (let qs = q0; qs < q1; qs++) {
            const q = qOrder[qs];
            const o = (qs - q0) * w - j0;
            const skip = own[q];
            let bound = Math.min(sel.bound[q], cap);
            if (zero && zero[q]) {
              for (let p = from; p < to; p++) if (dOrder[p] !== skip) sel.add(q, dOrder[p], -Infinity, Infinity);
            } else if (cosine) {
              const aq = lowerQ[q];
              for (let p = from; p < to; p++) {
                const j = dOrder[p];
                const ab = aq * lowerD[j];
                const t = tile[o + p];
                const lower = 1 - cosSlack + ab * (t + cosUnder);
                if (lower > bound || j === skip) continue;
                bound = Math.min(sel.add(q, j, lower, 1 + cosSlack + ab * (t - cosUnder)), cap);
              }
            } else {
              const lq = lowerQ[q];
              const uq = upperQ[q];
              for (let p = from; p < to; p++) {
                const j = dOrder[p];
                const t2 = 2 * tile[o + p];
                const lower = lq + lowerD[j] - t2;
                if (lower > bound || j === skip) continue;
                bound = Math.min(sel.add(q, j, lower, uq + upperD[j] - t2), cap);
              }
            }
          }
        }
      } finally {
        if (right) gemm.dispose(right);
        if (rightP) gemm.dispose(rightP);
      }
      shrink();
      options.onProgress?.(Math.round((nq * j1) / n), nq);
    }
  } finally {
    gemm.dispose(...left.filter((o): o is GemmOperand => o !== undefined), ...leftP);
  }
  const key = new Float64Array(1);
  for (let q = 0; q < nq; q++) {
    const j = sel.nearest(q, form.exact, cap, key);
    if (j < 0 || (bounds && key[0] > cap)) continue;
    const d = Math.fround(form.toDistance(key[0]));
    if (d <= eps) {
      index[q] = j;
      distance[q] = d;
      keys[q] = key[0];
    }
  }
  return { nq, index, distance, key: keys, cap };
}

/**
 * The projected side of a search: the lower keys of the projected rows (dotForm, sqeuclidean on
 * the m-dimensional rows) and, per query, the largest projected lower key that a pair within key
 * K of it may have. A pair at true distance d ≤ √K has ‖ŷ(q) − ŷ(r)‖ ≤ scale·d + E(q) + E(r)
 * (RowProjection), and the projected lower key is at most that squared; so a pair whose lower
 * key exceeds (scale·√K + E(q) + max E)² is farther than √K (with a relative margin on top).
 */
function projectedSide(gemm: Gemm, projection: RowProjection, pl: Plan, n: number, qNorm: Float64Array, dNorm: Float64Array): { m: number; data: Float32Array; queries: Float32Array; form: DotForm; limitOf: (q: number, key: number) => number } | null {
  const { m, data } = projection;
  if (data.length !== n * m) throw new RangeError(`projection: ${data.length} values for ${n} rows of ${m}`);
  const nq = qNorm.length;
  let queries: Float32Array;
  if (pl.selfRows) queries = gather(data, pl.selfRows, 0, nq, m, new Float32Array(nq * m));
  else if (pl.selfOffset >= 0) queries = data.subarray(pl.selfOffset * m, (pl.selfOffset + nq) * m);
  else if (projection.queries && projection.queries.length === nq * m) queries = projection.queries;
  else throw new RangeError(`projection: own queries need their projected rows (${nq} × ${m})`);
  const form = dotForm(gemm, queries, nq, data, n, m, { metric: 'sqeuclidean' });
  if (!form) return null;
  const errorData = largestError(projection, dNorm);
  return { m, data, queries, form, limitOf: (q, key) => projectedLimit(projection, key, qNorm[q], errorData) };
}

/** nearestWithin on the fastest kernel available in this thread. */
export async function nearestWithinFast(data: Float32Array, n: number, dim: number, eps: number, options: NearestWithinOptions = {}): Promise<NearestWithin> {
  const gemm = options.gemm === undefined ? await loadGemm() : options.gemm;
  return gemm ? nearestWithinGemm(gemm, data, n, dim, eps, options) : nearestWithin(data, n, dim, eps, options);
}
