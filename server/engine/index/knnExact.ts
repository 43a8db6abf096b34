// Exact k-nearest neighbours and exact range queries over vectors stored as one row-major
// Float32Array (n × dim), under the vector measures of ../measures/vector.ts.
//
// Work is done in tiles: a block of queries against a block of data rows, so that both blocks
// stay in cache while every pair of the tile is computed (data rows are streamed once per query
// block, not once per query). Inside a tile a register-blocked micro-kernel computes 4 queries ×
// 2 data rows at once: each loaded value is used 2–4 times.
//
// - euclidean / sqeuclidean: ‖a − b‖² = ‖a‖² + ‖b‖² − 2 a·b, with the norms computed once and the
//   tile reduced to dot products (the cheapest inner loop there is);
// - cosine: 1 − a·b · (1/‖a‖)(1/‖b‖), the inverse norms computed once (no normalised copy of the
//   data); zero vectors follow vector.ts (both zero: distance 0; one zero: distance 1);
// - manhattan, chebyshev, minkowski p: computed directly, pair by pair, like vector.ts.
//
// Exactness. Products of float32 values are exact in float64 and the sums run in float64, so the
// dot-product form differs from the direct sum only by rounding, at most about
// (2·dim + 4)·2⁻⁵³·(‖a‖² + ‖b‖²). The kNN heaps hold exact keys (the very loops of vector.ts):
// the fast form only rules out pairs beyond the current k-th by more than that bound, and the
// exact loop decides the rest (few: those that may enter the heap), so the selection, the
// reported values and the (distance, index) order are exactly those of vector.ts. Range queries drop a pair by the fast form only when it is
// beyond eps by more than that bound; every other pair is computed directly, so "d ≤ eps" is
// decided on vector.ts's values (for euclidean as Σ(aᵢ − bᵢ)² ≤ eps², the test the grid DBSCAN of
// ../cluster/dbscanVectors.ts uses, so both paths see the same neighbours).
//
// Results are { indices: Int32Array(nq·k), distances: Float32Array(nq·k) }, row q holding the
// neighbours of query q sorted ascending by distance, ties by index.

import { MeasureError } from '../measures/errors';
import { chebyshev, cosineDistance, euclidean, manhattan, minkowski, sqeuclidean, type NumericVector } from '../measures/vector';

export const VECTOR_METRICS = ['euclidean', 'sqeuclidean', 'cosine', 'manhattan', 'chebyshev', 'minkowski'] as const;
export type VectorMetric = (typeof VECTOR_METRICS)[number];

export interface MetricOptions {
  /** Default 'euclidean'. */
  metric?: VectorMetric;
  /** Minkowski's p (≥ 1; Infinity is Chebyshev). Required for 'minkowski'. */
  p?: number;
}

export interface QueryOptions extends MetricOptions {
  /** Query vectors of their own (row-major, `length / dim` rows); default: rows of the data. */
  queries?: Float32Array;
  /** Without `queries`: these data rows are the queries (e.g. a sample); else `from`/`to`. */
  rows?: Int32Array;
  /** Without `queries` and `rows`: the data rows [from, to) are the queries (default 0 and n). */
  from?: number;
  to?: number;
  /**
   * Queries that are data rows (`rows` or `from`/`to`): leave each query's own row out of its
   * answer (by index; a duplicate row of the data is still a neighbour at distance 0). Default true.
   */
  excludeSelf?: boolean;
  /** Called after each block of queries; throw from it to stop (cancellation). */
  onProgress?: (done: number, total: number) => void;
}

export interface KnnResult {
  /** Number of queries. */
  nq: number;
  /** Neighbours per query: the k asked for, or fewer when the data have fewer candidates. */
  k: number;
  /** Row q = indices [q·k, (q + 1)·k) of data rows, nearest first (ties: smaller index first). */
  indices: Int32Array;
  distances: Float32Array;
}

export interface RangeOptions extends QueryOptions {
  /** Queries given by `from`/`to`: report only data rows j > the query's own row (each pair once). */
  onlyAfter?: boolean;
  /**
   * false: membership only — the same neighbours, `distances` empty. DBSCAN needs only who is
   * within eps; the GEMM path (knnGemm.ts) then computes a pair exactly only when its rounding
   * slack straddles eps, instead of once per reported pair. Default true.
   */
  distances?: boolean;
}

/** Neighbours within eps, CSR: query q's are neighbours[offsets[q], offsets[q + 1]), ascending index. */
export interface RangeResult {
  nq: number;
  offsets: Int32Array;
  neighbours: Int32Array;
  /** Parallel to `neighbours`; empty with `distances: false`. */
  distances: Float32Array;
}

/** Rows per query block and per data block of a tile. */
const QUERY_BLOCK = 64;
const DATA_BLOCK = 32;
/** Unit roundoff of float64. */
const U = 2 ** -53;

export type Distance = (a: NumericVector, b: NumericVector) => number;

/** The distance function of vector.ts for a metric (the plain reference the fast paths must equal). */
export function vectorDistance(options: MetricOptions = {}): Distance {
  const metric = options.metric ?? 'euclidean';
  switch (metric) {
    case 'euclidean':
      return euclidean;
    case 'sqeuclidean':
      return sqeuclidean;
    case 'cosine':
      return cosineDistance;
    case 'manhattan':
      return manhattan;
    case 'chebyshev':
      return chebyshev;
    case 'minkowski': {
      const p = checkP(options.p);
      return (a, b) => minkowski(a, b, p);
    }
    default:
      throw new MeasureError(`unknown vector metric '${String(metric)}' (expected one of ${VECTOR_METRICS.join(', ')})`);
  }
}

function checkP(p: number | undefined): number {
  if (p === undefined || !(p >= 1)) throw new MeasureError(`minkowski: p must be a number ≥ 1 (got ${p})`);
  return p;
}

/** The metric actually computed: minkowski with p = 1, 2, ∞ is manhattan, euclidean, chebyshev. */
export function resolveMetric(options: MetricOptions): { metric: VectorMetric; p: number } {
  const metric = options.metric ?? 'euclidean';
  vectorDistance(options); // validates the name and p
  if (metric !== 'minkowski') return { metric, p: 2 };
  const p = checkP(options.p);
  if (p === 1) return { metric: 'manhattan', p };
  if (p === 2) return { metric: 'euclidean', p };
  if (p === Infinity) return { metric: 'chebyshev', p };
  return { metric, p };
}

/** Throws a RangeError naming the row and column of the first non-finite value. */
export function checkMatrix(data: Float32Array, n: number, dim: number, what = 'data'): void {
  checkMatrixRows(data, n, dim, 0, n, what);
}

/** checkMatrix, scanning the values of rows [from, to) only (a task that reads only those). */
export function checkMatrixRows(data: Float32Array, n: number, dim: number, from: number, to: number, what = 'data'): void {
  checkMatrixShape(data, n, dim, what);
  if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to && to <= n)) throw new RangeError(`${what}: rows [${from}, ${to}) are not within [0, ${n})`);
  for (let t = from * dim; t < to * dim; t++) {
    const v = data[t];
    if (v - v !== 0) throw new RangeError(`${what}: row ${Math.floor(t / dim)}, column ${t % dim} is not a finite number (${v})`);
  }
}

/** checkMatrix without the scan of the values: n and dim, and enough values for them. */
export function checkMatrixShape(data: Float32Array, n: number, dim: number, what = 'data'): void {
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`${what}: dim must be a positive integer, got ${dim}`);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${what}: row count must be a non-negative integer, got ${n}`);
  if (data.length < n * dim) throw new RangeError(`${what}: ${data.length} values cannot hold ${n} rows of ${dim}`);
}

/**
 * checkMatrix from the rows' squared norms (squaredNorms of the same rows), without scanning the
 * values again: a row's sum of squares (float64, it cannot overflow from float32 values) is
 * finite exactly when all its values are. On a non-finite norm, checkMatrix names the value.
 */
export function checkMatrixByNorms(data: Float32Array, n: number, dim: number, norms: Float64Array, what = 'data'): void {
  checkMatrixShape(data, n, dim, what);
  if (norms.length < n) throw new RangeError(`${what}: ${norms.length} squared norms for ${n} rows`);
  for (let r = 0; r < n; r++) {
    const s = norms[r];
    if (s - s === 0) continue;
    for (let t = r * dim; t < (r + 1) * dim; t++) {
      const v = data[t];
      if (v - v !== 0) throw new RangeError(`${what}: row ${r}, column ${t % dim} is not a finite number (${v})`);
    }
  }
}

/** Σ a[i]² over each row, summed in order (the same loop as the tile's dot products). */
export function squaredNorms(m: Float32Array, rows: number, dim: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let s = 0;
    for (let t = 0; t < dim; t++) s += m[o + t] * m[o + t];
    out[r] = s;
  }
  return out;
}

/**
 * A prepared pair of matrices (queries Q, data D): `tile` fills out[qi·DATA_BLOCK + jj] with the
 * selection key of queries [q0, q1) × data [j0, j1); keys order pairs like the distances do.
 */
interface Kernel {
  /** Key of the pair (query row q of Q, data row j): exact form, from vector.ts's loops. */
  exact(q: number, j: number): number;
  /** Fills the tile with keys. */
  tile(q0: number, q1: number, j0: number, j1: number, out: Float64Array): void;
  /** Key → distance. */
  toDistance(key: number): number;
  /** Distance → key (for eps). */
  toKey(distance: number): number;
  /** Bound on |fast key − exact key| for the pair (approximate tiles only). */
  slack(q: number, j: number): number;
  /** True when tile keys are computed by the fast form and may differ from `exact` by rounding. */
  approximate: boolean;
}

function makeKernel(Q: Float32Array, D: Float32Array, nq: number, n: number, dim: number, options: MetricOptions): Kernel {
  const { metric, p } = resolveMetric(options);
  const row = (m: Float32Array, r: number) => m.subarray(r * dim, (r + 1) * dim);
  if (metric === 'euclidean' || metric === 'sqeuclidean' || metric === 'cosine') {
    const qn = squaredNorms(Q, nq, dim);
    const dn = Q === D ? qn : squaredNorms(D, n, dim);
    const bound = (2 * dim + 4) * U;
    if (metric === 'cosine') {
      const inv = (a: Float64Array) => a.map((s) => (s > 0 ? 1 / Math.sqrt(s) : 0));
      const qi = inv(qn);
      const di = Q === D ? qi : inv(dn);
      return {
        exact: (q, j) => cosineDistance(row(Q, q), row(D, j)),
        tile: (q0, q1, j0, j1, out) => {
          dotTile(Q, D, dim, q0, q1, j0, j1, out);
          for (let q = q0; q < q1; q++) {
            const o = (q - q0) * DATA_BLOCK;
            const a = qi[q];
            for (let j = j0; j < j1; j++) {
              const s = out[o + j - j0] * a * di[j];
              // Both zero: distance 0 (vector.ts); one zero: the product is 0, distance 1.
              out[o + j - j0] = a === 0 && di[j] === 0 ? 0 : 1 - (s > 1 ? 1 : s < -1 ? -1 : s);
            }
          }
        },
        toDistance: (key) => key,
        toKey: (d) => d,
        slack: () => bound * 2 + 8 * U,
        approximate: true,
      };
    }
    const sq = metric === 'sqeuclidean';
    return {
      exact: (q, j) => sqeuclidean(row(Q, q), row(D, j)),
      tile: (q0, q1, j0, j1, out) => {
        dotTile(Q, D, dim, q0, q1, j0, j1, out);
        for (let q = q0; q < q1; q++) {
          const o = (q - q0) * DATA_BLOCK;
          const a = qn[q];
          for (let j = j0; j < j1; j++) {
            const s = a + dn[j] - 2 * out[o + j - j0];
            out[o + j - j0] = s > 0 ? s : 0;
          }
        }
      },
      toDistance: sq ? (key) => key : Math.sqrt,
      toKey: sq ? (d) => d : (d) => d * d,
      slack: (q, j) => bound * (qn[q] + dn[j]),
      approximate: true,
    };
  }
  const exact =
    metric === 'manhattan'
      ? (q: number, j: number) => manhattan(row(Q, q), row(D, j))
      : metric === 'chebyshev'
        ? (q: number, j: number) => chebyshev(row(Q, q), row(D, j))
        : (q: number, j: number) => minkowski(row(Q, q), row(D, j), p);
  return {
    exact,
    tile: (q0, q1, j0, j1, out) => directTile(Q, D, dim, metric, p, q0, q1, j0, j1, out),
    toDistance: (key) => key,
    toKey: (d) => d,
    slack: () => 0,
    approximate: false,
  };
}

/** out[(q − q0)·DATA_BLOCK + (j − j0)] = Q[q]·D[j], 4 queries × 2 data rows per inner loop. */
function dotTile(Q: Float32Array, D: Float32Array, dim: number, q0: number, q1: number, j0: number, j1: number, out: Float64Array): void {
  let q = q0;
  for (; q + 3 < q1; q += 4) {
    const a0 = q * dim;
    const a1 = a0 + dim;
    const a2 = a1 + dim;
    const a3 = a2 + dim;
    const o = (q - q0) * DATA_BLOCK - j0;
    let j = j0;
    for (; j + 1 < j1; j += 2) {
      const b0 = j * dim;
      const b1 = b0 + dim;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0; // prettier-ignore
      for (let t = 0; t < dim; t++) {
        const y0 = D[b0 + t];
        const y1 = D[b1 + t];
        let x = Q[a0 + t];
        s00 += x * y0;
        s01 += x * y1;
        x = Q[a1 + t];
        s10 += x * y0;
        s11 += x * y1;
        x = Q[a2 + t];
        s20 += x * y0;
        s21 += x * y1;
        x = Q[a3 + t];
        s30 += x * y0;
        s31 += x * y1;
      }
      out[o + j] = s00;
      out[o + j + 1] = s01;
      out[o + DATA_BLOCK + j] = s10;
      out[o + DATA_BLOCK + j + 1] = s11;
      out[o + 2 * DATA_BLOCK + j] = s20;
      out[o + 2 * DATA_BLOCK + j + 1] = s21;
      out[o + 3 * DATA_BLOCK + j] = s30;
      out[o + 3 * DATA_BLOCK + j + 1] = s31;
    }
    for (; j < j1; j++) {
      for (let r = 0; r < 4; r++) out[o + r * DATA_BLOCK + j] = dot(Q, (q + r) * dim, D, j * dim, dim);
    }
  }
  for (; q < q1; q++) {
    const o = (q - q0) * DATA_BLOCK - j0;
    for (let j = j0; j < j1; j++) out[o + j] = dot(Q, q * dim, D, j * dim, dim);
  }
}

/**
 * All dot products of the rows of A (rowsA × dim) with the rows of B (rowsB × dim), by the tiled
 * kernel: out[a·rowsB + b] = A[a]·B[b] (e.g. random projections for LSH).
 */
export function dotProducts(A: Float32Array, rowsA: number, B: Float32Array, rowsB: number, dim: number): Float64Array {
  const out = new Float64Array(rowsA * rowsB);
  const tile = new Float64Array(QUERY_BLOCK * DATA_BLOCK);
  for (let a0 = 0; a0 < rowsA; a0 += QUERY_BLOCK) {
    const a1 = Math.min(rowsA, a0 + QUERY_BLOCK);
    for (let b0 = 0; b0 < rowsB; b0 += DATA_BLOCK) {
      const b1 = Math.min(rowsB, b0 + DATA_BLOCK);
      dotTile(A, B, dim, a0, a1, b0, b1, tile);
      for (let a = a0; a < a1; a++) for (let b = b0; b < b1; b++) out[a * rowsB + b] = tile[(a - a0) * DATA_BLOCK + b - b0];
    }
  }
  return out;
}

function dot(A: Float32Array, a: number, B: Float32Array, b: number, dim: number): number {
  let s = 0;
  for (let t = 0; t < dim; t++) s += A[a + t] * B[b + t];
  return s;
}

/** Distances computed pair by pair, with the loops (and summation order) of vector.ts. */
function directTile(Q: Float32Array, D: Float32Array, dim: number, metric: VectorMetric, p: number, q0: number, q1: number, j0: number, j1: number, out: Float64Array): void {
  for (let q = q0; q < q1; q++) {
    const a = q * dim;
    const o = (q - q0) * DATA_BLOCK - j0;
    for (let j = j0; j < j1; j++) {
      const b = j * dim;
      let s = 0;
      if (metric === 'manhattan') {
        for (let t = 0; t < dim; t++) s += Math.abs(Q[a + t] - D[b + t]);
      } else {
        let max = 0;
        for (let t = 0; t < dim; t++) {
          const d = Math.abs(Q[a + t] - D[b + t]);
          if (d > max) max = d;
        }
        if (metric === 'chebyshev' || max === 0) s = max;
        else {
          for (let t = 0; t < dim; t++) s += Math.pow(Math.abs(Q[a + t] - D[b + t]) / max, p);
          s = max * Math.pow(s, 1 / p);
        }
      }
      out[o + j] = s;
    }
  }
}

/** Which rows are the queries (shared with the GEMM path of ./knnGemm.ts). */
export interface Plan {
  Q: Float32Array;
  nq: number;
  /** Data row of query q (self-exclusion, onlyAfter) is selfOffset + q, or selfRows[q]; −1: external queries. */
  selfOffset: number;
  selfRows?: Int32Array;
  excludeSelf: boolean;
}

/** The data row query q is, or −1. */
/**
 * Below this many queries the plain tiles answer first (knnGemm.ts knnExactFast; the pool's
 * knnInPool likewise): the GEMM path uploads and transposes every data block on each call.
 * Measured at 50,000 × 784 (Fashion-MNIST): GEMM 0.58–0.77 s for 1 to 16 queries, tiles 0.18 s
 * for 1, 0.33 s for 8, 0.43 s for 16, 0.73 s for 32 (GEMM 0.66 s). Find Similar on one record
 * is the case: 3× faster.
 */
export const FEW_QUERIES = 16;

export function ownRow(pl: Plan, q: number): number {
  return pl.selfRows ? pl.selfRows[q] : pl.selfOffset >= 0 ? pl.selfOffset + q : -1;
}

export function plan(data: Float32Array, n: number, dim: number, options: QueryOptions, dataChecked = false): Plan {
  resolveMetric(options);
  // `dataChecked`: the caller has checked the data already (its finite squared norms, say).
  if (dataChecked) checkMatrixShape(data, n, dim);
  else checkMatrix(data, n, dim);
  if (options.queries) {
    const Q = options.queries;
    if (Q.length % dim !== 0) throw new RangeError(`queries: ${Q.length} values are not a whole number of rows of ${dim}`);
    checkMatrix(Q, Q.length / dim, dim, 'queries');
    return { Q, nq: Q.length / dim, selfOffset: -1, excludeSelf: false };
  }
  if (options.rows) {
    const rows = options.rows;
    const Q = new Float32Array(rows.length * dim);
    for (let q = 0; q < rows.length; q++) {
      const r = rows[q];
      if (!(Number.isInteger(r) && r >= 0 && r < n)) throw new RangeError(`query row ${r} is not within [0, ${n})`);
      Q.set(data.subarray(r * dim, (r + 1) * dim), q * dim);
    }
    return { Q, nq: rows.length, selfOffset: 0, selfRows: rows, excludeSelf: options.excludeSelf ?? true };
  }
  const from = options.from ?? 0;
  const to = options.to ?? n;
  if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to && to <= n)) throw new RangeError(`query rows [${from}, ${to}) are not within [0, ${n})`);
  return { Q: data.subarray(from * dim, to * dim), nq: to - from, selfOffset: from, excludeSelf: options.excludeSelf ?? true };
}

/**
 * The k nearest data rows of each query (rows of the data by default), exact. k larger than the
 * number of candidates is reduced to it (the result's k says how many).
 */
export function knnExact(data: Float32Array, n: number, dim: number, k: number, options: QueryOptions = {}): KnnResult {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const pl = plan(data, n, dim, options);
  const { Q, nq } = pl;
  const self = pl.excludeSelf;
  k = Math.min(k, self ? n - 1 : n);
  const indices = new Int32Array(nq * Math.max(k, 0));
  const distances = new Float32Array(nq * Math.max(k, 0));
  if (k <= 0 || nq === 0) return { nq, k: Math.max(k, 0), indices, distances };
  // Shared data rows: the queries are a view into the data, so Q === D only when they coincide.
  const D = data.subarray(0, n * dim);
  const Qm = pl.selfOffset === 0 && !pl.selfRows && nq === n ? D : Q;
  const kernel = makeKernel(Qm, D, nq, n, dim, options);
  const approximate = kernel.approximate;
  const tile = new Float64Array(QUERY_BLOCK * DATA_BLOCK);
  const heapKey = new Float64Array(QUERY_BLOCK * k);
  const heapIdx = new Int32Array(QUERY_BLOCK * k);
  const size = new Int32Array(QUERY_BLOCK);
  for (let q0 = 0; q0 < nq; q0 += QUERY_BLOCK) {
    const q1 = Math.min(nq, q0 + QUERY_BLOCK);
    size.fill(0);
    for (let j0 = 0; j0 < n; j0 += DATA_BLOCK) {
      const j1 = Math.min(n, j0 + DATA_BLOCK);
      kernel.tile(q0, q1, j0, j1, tile);
      for (let q = q0; q < q1; q++) {
        const h = (q - q0) * k;
        const o = (q - q0) * DATA_BLOCK - j0;
        const own = self ? ownRow(pl, q) : -1;
        let s = size[q - q0];
        for (let j = j0; j < j1; j++) {
          if (j === own) continue;
          let key = tile[o + j];
          if (s < k) {
            heapPush(heapKey, heapIdx, h, s++, approximate ? kernel.exact(q, j) : key, j);
            continue;
          }
          // The heap holds exact keys: a fast key can only rule a pair out when it is beyond the
          // current k-th by more than its rounding bound; otherwise the exact key decides.
          if (approximate) {
            if (key > heapKey[h] + kernel.slack(q, j)) continue;
            key = kernel.exact(q, j);
          }
          if (key < heapKey[h] || (key === heapKey[h] && j < heapIdx[h])) heapReplaceTop(heapKey, heapIdx, h, k, key, j);
        }
        size[q - q0] = s;
      }
    }
    // The chosen k sorted by (distance, index).
    const order = new Array<number>(k);
    const exactD = new Float64Array(k);
    for (let q = q0; q < q1; q++) {
      const h = (q - q0) * k;
      for (let t = 0; t < k; t++) {
        exactD[t] = kernel.toDistance(heapKey[h + t]);
        order[t] = t;
      }
      order.sort((x, y) => exactD[x] - exactD[y] || heapIdx[h + x] - heapIdx[h + y]);
      for (let t = 0; t < k; t++) {
        indices[q * k + t] = heapIdx[h + order[t]];
        distances[q * k + t] = exactD[order[t]];
      }
    }
    options.onProgress?.(q1, nq);
  }
  return { nq, k, indices, distances };
}

/** Max-heap on (key, index) in keys/idx[h .. h + size): sift up a new last element. */
export function heapPush(keys: Float64Array, idx: Int32Array, h: number, at: number, key: number, j: number): void {
  let c = at;
  while (c > 0) {
    const parent = (c - 1) >> 1;
    const pk = keys[h + parent];
    if (pk > key || (pk === key && idx[h + parent] > j)) break;
    keys[h + c] = pk;
    idx[h + c] = idx[h + parent];
    c = parent;
  }
  keys[h + c] = key;
  idx[h + c] = j;
}

/** Replaces the top (largest) of a full heap of `size` and sifts it down. */
export function heapReplaceTop(keys: Float64Array, idx: Int32Array, h: number, size: number, key: number, j: number): void {
  let c = 0;
  for (;;) {
    let child = 2 * c + 1;
    if (child >= size) break;
    const r = child + 1;
    if (r < size && (keys[h + r] > keys[h + child] || (keys[h + r] === keys[h + child] && idx[h + r] > idx[h + child]))) child = r;
    const ck = keys[h + child];
    if (ck < key || (ck === key && idx[h + child] < j)) break;
    keys[h + c] = ck;
    idx[h + c] = idx[h + child];
    c = child;
  }
  keys[h + c] = key;
  idx[h + c] = j;
}

/**
 * Every data row within eps (d ≤ eps) of each query, exact (see the file comment), in ascending
 * index order, excluding the query's own row by default (`excludeSelf`).
 */
export function rangeQuery(data: Float32Array, n: number, dim: number, eps: number, options: RangeOptions = {}): RangeResult {
  if (!(eps >= 0) || eps === Infinity) throw new RangeError(`eps must be a finite number ≥ 0, got ${eps}`);
  const pl = plan(data, n, dim, options);
  const { Q, nq } = pl;
  const D = data.subarray(0, n * dim);
  const Qm = pl.selfOffset === 0 && !pl.selfRows && nq === n ? D : Q;
  const kernel = makeKernel(Qm, D, nq, n, dim, options);
  const after = options.onlyAfter === true && pl.selfOffset >= 0 && !pl.selfRows;
  const threshold = kernel.toKey(eps);
  const approximate = kernel.approximate;
  const tile = new Float64Array(QUERY_BLOCK * DATA_BLOCK);
  const offsets = new Int32Array(nq + 1);
  let nbr = new Int32Array(1024);
  let dist = new Float32Array(1024);
  let len = 0;
  // Hits of one query block, in data-block order; counting-sorted by query at the block's end.
  let hq = new Int32Array(1024);
  let hj = new Int32Array(1024);
  let hd = new Float32Array(1024);
  for (let q0 = 0; q0 < nq; q0 += QUERY_BLOCK) {
    const q1 = Math.min(nq, q0 + QUERY_BLOCK);
    let hits = 0;
    const firstRow = after ? pl.selfOffset + q0 + 1 : 0;
    for (let j0 = firstRow - (firstRow % DATA_BLOCK); j0 < n; j0 += DATA_BLOCK) {
      const j1 = Math.min(n, j0 + DATA_BLOCK);
      kernel.tile(q0, q1, j0, j1, tile);
      for (let q = q0; q < q1; q++) {
        const o = (q - q0) * DATA_BLOCK - j0;
        const own = ownRow(pl, q);
        const start = after ? Math.max(j0, own + 1) : j0;
        for (let j = start; j < j1; j++) {
          const key = tile[o + j];
          if (j === own && pl.excludeSelf) continue;
          let exact = key;
          if (approximate) {
            // Clearly outside: skip; else decide (and report) with the exact loop.
            if (key > threshold + kernel.slack(q, j)) continue;
            exact = kernel.exact(q, j);
          }
          if (exact > threshold) continue;
          if (hits === hq.length) {
            hq = grow(hq);
            hj = grow(hj);
            hd = grow(hd);
          }
          hq[hits] = q - q0;
          hj[hits] = j;
          hd[hits] = kernel.toDistance(exact);
          hits++;
        }
      }
    }
    while (len + hits > nbr.length) {
      nbr = grow(nbr);
      dist = grow(dist);
    }
    for (let t = 0; t < hits; t++) offsets[q0 + hq[t] + 1]++;
    const fill = new Int32Array(q1 - q0);
    let at = len;
    for (let q = q0; q < q1; q++) {
      fill[q - q0] = at;
      at += offsets[q + 1];
      offsets[q + 1] = at;
    }
    for (let t = 0; t < hits; t++) {
      const w = fill[hq[t]]++;
      nbr[w] = hj[t];
      dist[w] = hd[t];
    }
    len += hits;
    options.onProgress?.(q1, nq);
  }
  return { nq, offsets, neighbours: nbr.slice(0, len), distances: options.distances === false ? new Float32Array(0) : dist.slice(0, len) };
}

export function grow<T extends Int32Array | Float32Array>(a: T): T {
  const b = new (a.constructor as new (length: number) => T)(a.length * 2);
  b.set(a);
  return b;
}
