/**
 * Jaccard measures.
 *
 * - Sets: |A ∩ B| / |A ∪ B|. Any iterables are taken as sets (duplicates ignored).
 * - Weighted sets and multisets (Map from key to a non-negative weight or count) and
 *   non-negative numeric vectors: Σ min(aᵢ, bᵢ) / Σ max(aᵢ, bᵢ) (the weighted Jaccard or
 *   Ruzicka similarity; for 0/1 weights it is the set Jaccard, for counts the multiset one).
 *
 * Rule for nothing at all: two empty sets (or all-zero weights) are identical, similarity 1 and
 * distance 0. Negative weights have no meaning here: MeasureError.
 */
import { checkSameLength, MeasureError } from './errors';
import type { NumericVector } from './vector';

function asSet<T>(items: Iterable<T>): ReadonlySet<T> {
  return items instanceof Set ? (items as ReadonlySet<T>) : new Set(items);
}

/** |A ∩ B| / |A ∪ B|; both empty → 1. */
export function jaccardSimilarity<T>(a: Iterable<T>, b: Iterable<T>): number {
  const sa = asSet(a);
  const sb = asSet(b);
  const [small, large] = sa.size <= sb.size ? [sa, sb] : [sb, sa];
  if (large.size === 0) return 1;
  let common = 0;
  for (const x of small) if (large.has(x)) common++;
  return common / (sa.size + sb.size - common);
}

/** 1 − jaccardSimilarity; both empty → 0. */
export function jaccardDistance<T>(a: Iterable<T>, b: Iterable<T>): number {
  return 1 - jaccardSimilarity(a, b);
}

/** Counts of each item: a multiset as a Map, ready for weightedJaccard. */
export function multiset<T>(items: Iterable<T>): Map<T, number> {
  const m = new Map<T, number>();
  for (const x of items) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

function checkWeight(w: number): void {
  if (!(w >= 0)) throw new MeasureError(`jaccard: weights must be non-negative numbers (got ${w})`);
}

/**
 * Weighted Jaccard (Ruzicka) similarity Σ min / Σ max, for two Maps of weights (a missing key
 * weighs 0) or two non-negative numeric vectors of the same length. All weights zero → 1.
 */
export function weightedJaccard<K>(a: ReadonlyMap<K, number>, b: ReadonlyMap<K, number>): number;
export function weightedJaccard(a: NumericVector, b: NumericVector): number;
export function weightedJaccard<K>(a: ReadonlyMap<K, number> | NumericVector, b: ReadonlyMap<K, number> | NumericVector): number {
  let num = 0;
  let den = 0;
  if (a instanceof Map && b instanceof Map) {
    const ma = a as ReadonlyMap<K, number>;
    const mb = b as ReadonlyMap<K, number>;
    for (const [k, x] of ma) {
      checkWeight(x);
      const y = mb.get(k) ?? 0;
      checkWeight(y);
      num += x < y ? x : y;
      den += x > y ? x : y;
    }
    for (const [k, y] of mb) {
      if (ma.has(k)) continue;
      checkWeight(y);
      den += y;
    }
  } else if (!(a instanceof Map) && !(b instanceof Map)) {
    const va = a as NumericVector;
    const vb = b as NumericVector;
    checkSameLength('jaccard', va.length, vb.length);
    for (let i = 0; i < va.length; i++) {
      const x = va[i];
      const y = vb[i];
      if (!(x >= 0) || !(y >= 0)) checkWeight(x >= 0 ? y : x);
      num += x < y ? x : y;
      den += x > y ? x : y;
    }
  } else {
    throw new MeasureError('jaccard: compare two Maps or two vectors, not one of each');
  }
  return den === 0 ? 1 : num / den;
}

/** 1 − weightedJaccard. */
export function weightedJaccardDistance<K>(a: ReadonlyMap<K, number>, b: ReadonlyMap<K, number>): number;
export function weightedJaccardDistance(a: NumericVector, b: NumericVector): number;
export function weightedJaccardDistance<K>(a: ReadonlyMap<K, number> | NumericVector, b: ReadonlyMap<K, number> | NumericVector): number {
  return 1 - (weightedJaccard as (x: typeof a, y: typeof b) => number)(a, b);
}
