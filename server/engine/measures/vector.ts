/**
 * Distances and similarities between numeric vectors. Every function takes Float32Array,
 * Float64Array or a plain number array, throws MeasureError when the lengths differ, and runs
 * one tight loop without allocating. NaN anywhere in the input gives NaN.
 */
import { checkSameLength, MeasureError } from './errors';

export type NumericVector = Float32Array | Float64Array | readonly number[];

/** Σ (aᵢ − bᵢ)². */
export function sqeuclidean(a: NumericVector, b: NumericVector): number {
  checkSameLength('sqeuclidean', a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    sum += d * d;
  }
  return sum;
}

/** √Σ (aᵢ − bᵢ)². */
export function euclidean(a: NumericVector, b: NumericVector): number {
  checkSameLength('euclidean', a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    sum += d * d;
  }
  return Math.sqrt(sum);
}

/** Σ |aᵢ − bᵢ| (city block, L1). */
export function manhattan(a: NumericVector, b: NumericVector): number {
  checkSameLength('manhattan', a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum;
}

/** max |aᵢ − bᵢ| (L∞); 0 for empty vectors. */
export function chebyshev(a: NumericVector, b: NumericVector): number {
  checkSameLength('chebyshev', a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > max) max = d;
    else if (d !== d) return Number.NaN;
  }
  return max;
}

/**
 * (Σ |aᵢ − bᵢ|^p)^(1/p) for any p ≥ 1 (p < 1 is not a metric: MeasureError). p = 1 is
 * Manhattan, p = 2 Euclidean, p = Infinity Chebyshev. The differences are scaled by their
 * maximum first, so large p neither overflows nor underflows.
 */
export function minkowski(a: NumericVector, b: NumericVector, p: number): number {
  if (!(p >= 1)) throw new MeasureError(`minkowski: p must be a number ≥ 1 (got ${p})`);
  checkSameLength('minkowski', a.length, b.length);
  if (p === 1) return manhattan(a, b);
  if (p === 2) return euclidean(a, b);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > max) max = d;
    else if (d !== d) return Number.NaN;
  }
  if (p === Infinity || max === 0 || max === Infinity) return max;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.pow(Math.abs(a[i] - b[i]) / max, p);
  return max * Math.pow(sum, 1 / p);
}

/**
 * Cosine similarity a·b / (|a| |b|), clamped to [−1, 1] against rounding.
 * Zero vectors have no direction, so the rule is: both zero → 1 (identical inputs are at
 * distance 0); exactly one zero → 0 (as if orthogonal). Empty vectors count as zero vectors.
 */
export function cosineSimilarity(a: NumericVector, b: NumericVector): number {
  checkSameLength('cosine', a.length, b.length);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return na === 0 && nb === 0 ? 1 : 0;
  const s = dot / (Math.sqrt(na) * Math.sqrt(nb));
  return s > 1 ? 1 : s < -1 ? -1 : s;
}

/** Cosine distance 1 − cosineSimilarity, in [0, 2] (zero vectors: see cosineSimilarity). */
export function cosineDistance(a: NumericVector, b: NumericVector): number {
  return 1 - cosineSimilarity(a, b);
}
