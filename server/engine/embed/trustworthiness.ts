/**
 * Trustworthiness of an embedding (Venna & Kaski 2001; sklearn.manifold.trustworthiness):
 *   T(k) = 1 − 2 / (m·k·(2n − 3k − 1)) · Σ_i Σ_{j ∈ U_i} (r(i, j) − k)
 * where U_i are the k nearest neighbours of i in the embedding that are not among its k nearest in
 * the input space, and r(i, j) is j's rank among i's input-space neighbours (1 = nearest; ties by
 * index, as a stable sort). 1 means every embedding neighbourhood is a true one.
 * With every point as a query (m = n) this is sklearn's value; `queries` restricts the sum to a
 * sample of m points (ranks still over all n points: an unbiased estimate of the full value at
 * m/n of the cost, O(m·n·dim)). Euclidean distances in both spaces.
 */

export interface TrustworthinessOptions {
  /** Neighbourhood size; default 5 (sklearn's default). Must be < n/2. */
  k?: number;
  /** Indices of the query points; default all n. */
  queries?: ArrayLike<number>;
  /** Called after each block of queries; throw from it to stop. */
  onProgress?: (done: number, total: number) => void;
}

/** Queries whose input-space rows are computed together (each data value loaded once for all). */
const BLOCK = 4;

export function trustworthiness(
  high: Float32Array,
  highDim: number,
  low: Float32Array,
  lowDim: number,
  options: TrustworthinessOptions = {},
): number {
  const n = high.length / highDim;
  if (!Number.isInteger(n)) throw new RangeError(`high-dimensional data: ${high.length} values are not a whole number of rows of ${highDim}`);
  if (low.length !== n * lowDim) throw new RangeError(`embedding has ${low.length} values, expected ${n} rows × ${lowDim} = ${n * lowDim}`);
  const k = options.k ?? 5;
  if (!Number.isInteger(k) || k < 1 || k >= n / 2) throw new RangeError(`k must be an integer in [1, n/2) (n = ${n}), got ${k}`);
  const queries = options.queries ?? Int32Array.from({ length: n }, (_, i) => i);
  const m = queries.length;
  if (m === 0) throw new RangeError('trustworthiness needs at least one query point');
  for (let q = 0; q < m; q++) {
    const i = queries[q];
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`query ${q}: point ${i} outside [0, ${n})`);
  }

  const rows = Array.from({ length: BLOCK }, () => new Float64Array(n));
  const lowRow = new Float64Array(n);
  const highNn = new Int32Array(k);
  const lowNn = new Int32Array(k);
  let penalty = 0;
  for (let q0 = 0; q0 < m; q0 += BLOCK) {
    const count = Math.min(BLOCK, m - q0);
    squaredDistanceRows(high, highDim, n, queries, q0, count, rows);
    for (let b = 0; b < count; b++) {
      const i = queries[q0 + b];
      const row = rows[b];
      for (let l = 0; l < n; l++) {
        let s = 0;
        for (let d = 0; d < lowDim; d++) {
          const t = low[i * lowDim + d] - low[l * lowDim + d];
          s += t * t;
        }
        lowRow[l] = s;
      }
      nearest(row, i, k, highNn);
      nearest(lowRow, i, k, lowNn);
      for (let t = 0; t < k; t++) {
        const j = lowNn[t];
        let inHigh = false;
        for (let u = 0; u < k; u++) if (highNn[u] === j) inHigh = true;
        if (inHigh) continue;
        penalty += rankOf(row, i, j) - k;
      }
    }
    options.onProgress?.(Math.min(m, q0 + BLOCK), m);
  }
  return 1 - (2 / (m * k * (2 * n - 3 * k - 1))) * penalty;
}

/** rows[b][l] = ‖x_{queries[q0+b]} − x_l‖² for b < count, four queries per pass over the data. */
function squaredDistanceRows(x: Float32Array, dim: number, n: number, queries: ArrayLike<number>, q0: number, count: number, rows: Float64Array[]): void {
  const a0 = queries[q0] * dim;
  const a1 = queries[q0 + Math.min(1, count - 1)] * dim;
  const a2 = queries[q0 + Math.min(2, count - 1)] * dim;
  const a3 = queries[q0 + Math.min(3, count - 1)] * dim;
  const [r0, r1, r2, r3] = rows;
  for (let l = 0; l < n; l++) {
    const o = l * dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let d = 0; d < dim; d++) {
      const v = x[o + d];
      const t0 = x[a0 + d] - v;
      const t1 = x[a1 + d] - v;
      const t2 = x[a2 + d] - v;
      const t3 = x[a3 + d] - v;
      s0 += t0 * t0;
      s1 += t1 * t1;
      s2 += t2 * t2;
      s3 += t3 * t3;
    }
    r0[l] = s0;
    r1[l] = s1;
    r2[l] = s2;
    r3[l] = s3;
  }
}

/** The k smallest of row (excluding `self`), ties by index, into out (ascending). */
function nearest(row: Float64Array, self: number, k: number, out: Int32Array): void {
  let size = 0;
  for (let l = 0; l < row.length; l++) {
    if (l === self) continue;
    const v = row[l];
    if (size === k && v >= row[out[k - 1]]) continue; // equal: the earlier index stays
    let p = size < k ? size++ : k - 1;
    while (p > 0 && row[out[p - 1]] > v) {
      out[p] = out[p - 1];
      p--;
    }
    out[p] = l;
  }
}

/** 1-based rank of j among all l ≠ self by row value, ties by index. */
function rankOf(row: Float64Array, self: number, j: number): number {
  const v = row[j];
  let r = 1;
  for (let l = 0; l < row.length; l++) {
    if (l === self || l === j) continue;
    const w = row[l];
    if (w < v || (w === v && l < j)) r++;
  }
  return r;
}
