/**
 * Exact re-ranking of approximate neighbour candidates: the projected kNN and NN-descent find
 * candidates cheaply (in a projection of the rows), this puts them in the true order by the
 * full-dimensional distance. The distance is vector.ts's sqeuclidean loop on offsets (no subarray
 * per pair), so results equal knnExact's when the true neighbours are among the candidates; the k
 * smallest by (distance, index) are kept by insertion (k ≪ candidates) instead of a sort.
 */
import { checkMatrix, type KnnResult } from './knnExact';

/**
 * The k nearest of each query row's candidates (query rows `from`, `from + 1`, … one per row of
 * `candidates`; a candidate is a data row, −1 for none; the query row itself is skipped). Sorted
 * nearest first, ties by smaller index; −1 / Infinity pad a row with fewer than k candidates.
 */
export function rerankCandidates(
  data: Float32Array,
  n: number,
  dim: number,
  candidates: KnnResult,
  k: number,
  metric: 'euclidean' | 'sqeuclidean' = 'euclidean',
  from = 0,
): KnnResult {
  checkMatrix(data, n, dim);
  const nq = candidates.nq;
  if (from < 0 || from + nq > n) throw new RangeError(`rerankCandidates: ${nq} candidate rows from row ${from} for ${n} data rows`);
  const c = candidates.k;
  const kk = Math.min(k, c);
  const indices = new Int32Array(nq * kk).fill(-1);
  const distances = new Float32Array(nq * kk).fill(Infinity);
  const topD = new Float64Array(kk);
  const topJ = new Int32Array(kk);
  for (let q = 0; q < nq; q++) {
    const self = from + q;
    const a = self * dim;
    let size = 0;
    for (let t = 0; t < c; t++) {
      const j = candidates.indices[q * c + t];
      if (j < 0 || j === self) continue;
      const b = j * dim;
      let d = 0;
      for (let u = 0; u < dim; u++) {
        const x = data[a + u] - data[b + u];
        d += x * x;
      }
      if (size === kk && (d > topD[kk - 1] || (d === topD[kk - 1] && j > topJ[kk - 1]))) continue;
      let at = size < kk ? size++ : kk - 1;
      while (at > 0 && (topD[at - 1] > d || (topD[at - 1] === d && topJ[at - 1] > j))) {
        topD[at] = topD[at - 1];
        topJ[at] = topJ[at - 1];
        at--;
      }
      topD[at] = d;
      topJ[at] = j;
    }
    for (let t = 0; t < size; t++) {
      indices[q * kk + t] = topJ[t];
      distances[q * kk + t] = metric === 'euclidean' ? Math.sqrt(topD[t]) : topD[t];
    }
  }
  return { nq, k: kk, indices, distances };
}
