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
 * When the squared norms underflow or overflow (entries below ~1e-154 or above ~1e154), the
 * vectors are rescaled by their largest entry and the sums redone, so tiny or huge vectors
 * still get their true angle.
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
  // √(na·nb) rather than √na·√nb: a vector against itself then gives exactly 1.
  const nn = na * nb;
  if (!(na >= MIN_NORMAL && nb >= MIN_NORMAL && nn >= MIN_NORMAL && nn < Infinity)) return cosineRescaled(a, b);
  return clampUnit(dot / Math.sqrt(nn));
}

/** Smallest normal double: below it (subnormals) precision is lost. */
const MIN_NORMAL = 2.2250738585072014e-308;

function clampUnit(s: number): number {
  return s > 1 ? 1 : s < -1 ? -1 : s;
}

function maxAbs(v: NumericVector): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) {
    const x = Math.abs(v[i]);
    if (x > m) m = x;
    else if (x !== x) return Number.NaN;
  }
  return m;
}

/** The slow path of cosineSimilarity: zero vectors, and entries too small or large to square. */
function cosineRescaled(a: NumericVector, b: NumericVector): number {
  const ma = maxAbs(a);
  const mb = maxAbs(b);
  if (ma !== ma || mb !== mb) return Number.NaN;
  if (ma === 0 || mb === 0) return ma === 0 && mb === 0 ? 1 : 0;
  if (ma === Infinity || mb === Infinity) return Number.NaN;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] / ma;
    const y = b[i] / mb;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return clampUnit(dot / Math.sqrt(na * nb));
}

/** Cosine distance 1 − cosineSimilarity, in [0, 2] (zero vectors: see cosineSimilarity). */
export function cosineDistance(a: NumericVector, b: NumericVector): number {
  return 1 - cosineSimilarity(a, b);
}
