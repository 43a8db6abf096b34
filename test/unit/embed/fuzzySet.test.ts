// The CSR fuzzy simplicial set against a dense transcription of umap-learn's formulas
// (smooth_knn_dist, compute_membership_strengths, the fuzzy union/intersection) on random kNN
// graphs, including duplicate distances, zero distances and missing neighbours (−1).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { checkKnnGraph, fuzzySimplicialSet, smoothKnnDistances, type KnnGraph } from '../../../server/engine/embed/fuzzySet';
import { mulberry32 } from '../features/rng';
import { blobs, bruteKnn } from './blobs';

function denseReference(knn: KnnGraph, mix: number): Float64Array {
  const { n, k } = knn;
  const { sigmas, rhos } = smoothKnnDistances(knn);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const c = knn.indices[i * k + j];
      if (c === -1) continue;
      const d = knn.distances[i * k + j];
      const v = c === i ? 0 : d - rhos[i] <= 0 || sigmas[i] === 0 ? 1 : Math.exp(-((d - rhos[i]) / sigmas[i]));
      A[i * n + c] = Math.max(A[i * n + c], v);
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const a = A[i * n + j];
      const b = A[j * n + i];
      out[i * n + j] = mix * (a + b - a * b) + (1 - mix) * a * b;
    }
  }
  return out;
}

function randomKnn(seed: number, n: number, k: number): KnnGraph {
  const rng = mulberry32(seed);
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const picked = new Set<number>([i]);
    indices[i * k] = i;
    distances[i * k] = 0;
    let last = 0;
    for (let j = 1; j < k; j++) {
      let c = Math.floor(rng() * n);
      while (picked.has(c)) c = (c + 1) % n;
      picked.add(c);
      indices[i * k + j] = rng() < 0.05 ? -1 : c;
      // Some ties and some exact zeros (duplicate points).
      last += rng() < 0.2 ? 0 : rng() * 2;
      distances[i * k + j] = last;
    }
  }
  return { n, k, indices, distances };
}

void test('fuzzySimplicialSet equals the dense reference (union and intersection, random graphs)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 12, max: 60 }), fc.integer({ min: 2, max: 10 }), fc.constantFrom(1, 0, 0.4), (seed, n, k, mix) => {
      const knn = randomKnn(seed, n, Math.min(k, n - 1));
      const g = fuzzySimplicialSet(knn, { setOpMixRatio: mix });
      const want = denseReference(knn, mix);
      const got = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let p = g.rowPtr[i]; p < g.rowPtr[i + 1]; p++) {
          if (p > g.rowPtr[i]) assert.ok(g.cols[p] > g.cols[p - 1], 'columns ascending within a row');
          assert.ok(g.weights[p] !== 0, 'no explicit zeros');
          got[i * n + g.cols[p]] = g.weights[p];
        }
      }
      for (let e = 0; e < n * n; e++) assert.ok(Math.abs(got[e] - want[e]) < 1e-6, `entry ${Math.floor(e / n)},${e % n}: ${got[e]} vs ${want[e]}`);
    }),
    { numRuns: 150, seed: 11 },
  );
});

void test('smoothKnnDistances: Σ_j exp(−(d_j − ρ)/σ) over the neighbours after the first is log2(k)', () => {
  const { data, dim } = blobs(3, 40, 5, 3);
  const k = 15;
  const knn = bruteKnn(data, dim, k);
  const { sigmas, rhos } = smoothKnnDistances(knn);
  for (let i = 0; i < knn.n; i++) {
    assert.equal(rhos[i], knn.distances[i * k + 1], 'ρ is the nearest non-zero distance');
    let psum = 0;
    for (let j = 1; j < k; j++) psum += Math.exp(-Math.max(0, knn.distances[i * k + j] - rhos[i]) / sigmas[i]);
    assert.ok(Math.abs(psum - Math.log2(k)) < 1e-4, `row ${i}: ${psum}`);
  }
});

void test('checkKnnGraph names the row and neighbour of a bad entry', () => {
  const knn = randomKnn(1, 10, 3);
  knn.indices[7] = 10;
  assert.throws(() => checkKnnGraph(knn), /row 2, neighbour 1: index 10/);
  const bad = randomKnn(1, 10, 3);
  bad.distances[4] = Number.NaN;
  assert.throws(() => checkKnnGraph(bad), /row 1, neighbour 1: distance NaN/);
  assert.throws(() => checkKnnGraph({ ...bad, indices: new Int32Array(5) }), /indices has 5 entries/);
});
