// DBSCAN's eps from the k-distance curve (Ester et al. 1996): sort the distances of points to
// their k-th nearest neighbour (k = minPts, not counting the point itself); points inside
// clusters lie on the long flat part, noise on the steep tail, and eps is read at the knee
// between them.
//
// The knee is found as in Kneedle (Satopää et al. 2011): scale the sorted curve to the unit
// square and take the point farthest below the chord from its first to its last point (for an
// increasing convex curve that is the point of maximum curvature in the discrete sense, and it
// needs no smoothing parameter). The curve is computed on a seeded sample of at most
// `sampleSize` points (each against all n): the curve's shape, and so its knee, is a quantile
// property and needs no more, and it keeps the estimate O(sample · n · dim).

import { mulberry32 } from '../random';
import { knnExact, type MetricOptions } from '../index/knnExact';

export interface EpsEstimate {
  /** The chosen eps: the curve's value at the knee. */
  eps: number;
  /** Neighbour rank used (minPts). */
  k: number;
  /** k-distances of the sampled points, sorted ascending (what a CLI prints or plots). */
  curve: Float32Array;
  /** Position of the knee in `curve`. */
  knee: number;
  /** The sampled data rows, ascending. */
  rows: Int32Array;
  /**
   * Every sampled point has k identical neighbours (k-distance 0: duplicates, or a dataset of one
   * record repeated): there is no curve to read, and eps is a radius too small to join anything
   * but identical points (see DUPLICATE_EPS).
   */
  duplicates?: boolean;
}

/**
 * eps when every sampled k-distance is 0, relative to the data's largest absolute value (at least
 * 1): identical records are one cluster, and records that differ beyond float32 rounding are not
 * joined to them.
 */
export const DUPLICATE_EPS = 1e-6;

/** The largest absolute value of the sampled rows, at least 1: the scale of DUPLICATE_EPS. */
export function sampleScale(data: Float32Array, dim: number, rows: Int32Array): number {
  let scale = 1;
  for (const r of rows) {
    for (let t = r * dim; t < (r + 1) * dim; t++) {
      const v = Math.abs(data[t] as number);
      if (v > scale) scale = v;
    }
  }
  return scale;
}

export interface EpsEstimateOptions extends MetricOptions {
  minPts: number;
  /** Default 2000. */
  sampleSize?: number;
  /** Seed of the sample (default 1). */
  seed?: number;
}

/**
 * The knee of an ascending curve: the index farthest below the chord from the first to the last
 * point, both axes scaled to [0, 1]. A curve with no point below its chord (straight or concave)
 * has its knee at the end: there is no flat part to separate from a tail.
 */
export function kneeIndex(sorted: ArrayLike<number>): number {
  const m = sorted.length;
  if (m < 3) return m - 1;
  const y0 = sorted[0];
  const span = sorted[m - 1] - y0;
  if (!(span > 0)) return m - 1;
  let best = m - 1;
  let bestGap = 0;
  for (let i = 1; i < m - 1; i++) {
    const x = i / (m - 1);
    const gap = x - (sorted[i] - y0) / span; // chord minus curve, in unit coordinates
    if (gap > bestGap) {
      bestGap = gap;
      best = i;
    }
  }
  return best;
}

/** `size` distinct rows of [0, n), ascending, drawn with a seeded generator (all rows when n ≤ size). */
export function sampleRows(n: number, size: number, seed = 1): Int32Array {
  if (n <= size) return Int32Array.from({ length: n }, (_, i) => i);
  const rng = mulberry32(seed);
  // Floyd's algorithm: exactly `size` distinct values in O(size).
  const chosen = new Set<number>();
  for (let j = n - size; j < n; j++) {
    const t = Math.floor(rng() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  return Int32Array.from([...chosen].sort((a, b) => a - b));
}


/**
 * The estimate from k-distances already computed (e.g. by workers): sorts them and finds the knee.
 * `scale` (the data's largest absolute value, see sampleScale) sizes eps when every k-distance is 0.
 */
export function epsFromKDistances(kDistances: Float32Array, k: number, rows: Int32Array, scale = 1): EpsEstimate {
  const curve = Float32Array.from(kDistances).sort();
  if (curve.length === 0) throw new RangeError('eps cannot be estimated without points');
  const knee = kneeIndex(curve);
  let eps = curve[knee];
  // eps must be positive (a sample of duplicates has k-distance 0): take the smallest positive value.
  if (!(eps > 0)) eps = curve.find((v) => v > 0) ?? 0;
  if (!(eps > 0)) return { eps: DUPLICATE_EPS * Math.max(1, scale), k, curve, knee, rows, duplicates: true };
  return { eps, k, curve, knee, rows };
}

/** eps from the k-distance curve of a sample of the data (k = minPts). Needs n > minPts. */
export function estimateEps(data: Float32Array, n: number, dim: number, options: EpsEstimateOptions): EpsEstimate {
  const k = options.minPts;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`minPts must be a positive integer, got ${k}`);
  if (n <= k) throw new RangeError(`eps cannot be estimated from ${n} points with minPts ${k}: need more than ${k}`);
  const rows = sampleRows(n, options.sampleSize ?? 2000, options.seed ?? 1);
  const knn = knnExact(data, n, dim, k, { metric: options.metric ?? 'euclidean', ...(options.p !== undefined ? { p: options.p } : {}), rows });
  const kDist = new Float32Array(rows.length);
  for (let q = 0; q < rows.length; q++) kDist[q] = knn.distances[q * knn.k + knn.k - 1];
  return epsFromKDistances(kDist, k, rows, sampleScale(data, dim, rows));
}
