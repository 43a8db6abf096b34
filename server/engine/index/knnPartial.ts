// Partial kNN results and their merge: the symmetric all-rows path (./knnGemm.ts
// knnSymmetricPartial) gives each pool worker the pairs of the tile columns it claims, so each row's
// neighbours come in parts from several workers. Apart from the GEMM so that the host
// (jobs/vectorSearch.ts) merges without importing the tfjs loader.

import { resolveMetric, type KnnResult, type MetricOptions } from './knnExact';

/**
 * A partial kNN of every data row from some of the pairs: per row, up to k neighbours sorted by
 * (exact key, index), `count[r]` of them, with their exact keys (float64, so that partials merge
 * with the reference's ties: distances rounded to float32 could tie where keys do not).
 */
export interface KnnPartial {
  n: number;
  k: number;
  count: Int32Array;
  indices: Int32Array;
  keys: Float64Array;
}

/** knnExact's distance of a key (the metric's square root for euclidean, else the key itself). */
function keyToDistance(options: MetricOptions): (key: number) => number {
  return resolveMetric(options).metric === 'euclidean' ? Math.sqrt : (key) => key;
}

/**
 * Partials over disjoint sets of pairs (knnSymmetricPartial of disjoint tile columns) merged into the
 * kNN of every row: per row the k smallest by (exact key, index), knnExact's order of ties.
 */
export function mergeKnnPartials(parts: KnnPartial[], n: number, options: MetricOptions = {}): KnnResult {
  const k = parts.length > 0 ? parts[0].k : 0;
  const toDistance = keyToDistance(options);
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  const at = new Int32Array(parts.length);
  for (let r = 0; r < n; r++) {
    at.fill(0);
    // Each part's row is sorted: a k-way merge by (key, index), smallest first.
    for (let t = 0; t < k; t++) {
      let best = -1;
      let bestKey = Infinity;
      let bestJ = -1;
      for (let p = 0; p < parts.length; p++) {
        if (at[p] >= parts[p].count[r]) continue;
        const key = parts[p].keys[r * k + at[p]];
        const j = parts[p].indices[r * k + at[p]];
        if (best < 0 || key < bestKey || (key === bestKey && j < bestJ)) {
          best = p;
          bestKey = key;
          bestJ = j;
        }
      }
      if (best < 0) throw new Error(`mergeKnnPartials: row ${r} has fewer than ${k} neighbours in the partials (do they cover every tile row?)`);
      at[best]++;
      indices[r * k + t] = bestJ;
      distances[r * k + t] = toDistance(bestKey);
    }
  }
  return { nq: n, k, indices, distances };
}
