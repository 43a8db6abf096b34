// Test data for the embedding tests: seeded Gaussian blobs and a brute-force kNN graph.
import type { KnnGraph } from '../../../server/engine/embed/fuzzySet';
import { gaussian, mulberry32 } from '../features/rng';

export interface Blobs {
  data: Float32Array;
  n: number;
  dim: number;
  labels: Int32Array;
}

/** `clusters` blobs of `perCluster` points in `dim` dimensions: centres 20 apart per axis, σ = 1. */
export function blobs(clusters: number, perCluster: number, dim: number, seed = 1): Blobs {
  const rng = mulberry32(seed);
  const n = clusters * perCluster;
  const data = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  const centres = Array.from({ length: clusters }, () => Array.from({ length: dim }, () => (rng() - 0.5) * 60));
  for (let i = 0; i < n; i++) {
    const c = i % clusters;
    labels[i] = c;
    for (let d = 0; d < dim; d++) data[i * dim + d] = centres[c][d] + gaussian(rng);
  }
  return { data, n, dim, labels };
}

/** Exact kNN by brute force (self included first, as umap-learn's graph), ties by index. */
export function bruteKnn(data: Float32Array, dim: number, k: number): KnnGraph {
  const n = data.length / dim;
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  const order = Array.from({ length: n }, (_, j) => j);
  const dist = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) {
        const t = data[i * dim + d] - data[j * dim + d];
        s += t * t;
      }
      dist[j] = j === i ? -1 : Math.sqrt(s);
    }
    order.sort((x, y) => dist[x] - dist[y] || x - y);
    for (let t = 0; t < k; t++) {
      indices[i * k + t] = order[t];
      distances[i * k + t] = Math.max(0, dist[order[t]]);
    }
  }
  return { n, k, indices, distances };
}
