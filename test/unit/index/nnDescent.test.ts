/**
 * NN-descent (nnDescent.ts) against exact kNN (knnExact.ts): recall@15 ≥ 0.95 on a real slice
 * (600 scikit-learn digits, test/fixtures/models) and on random clustered data, with small
 * leaves and few trees so that the descent, not the trees, has to find the neighbours; lists
 * sorted nearest first with exact distances, no self, no duplicates; the same seed gives the same
 * lists; rerankCandidates with every row as a candidate is exactly knnExact.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recallAtK } from '../../../server/engine/index/knnApprox';
import { knnExact, type KnnResult } from '../../../server/engine/index/knnExact';
import { nnDescent } from '../../../server/engine/index/nnDescent';
import { rerankCandidates } from '../../../server/engine/index/rerank';
import { gaussian, mulberry32 } from '../features/rng';
import { readDigits } from '../digitsFixture';

/** n rows of dim values around `clusters` random centres (spread 1 around centres of scale 4). */
function clustered(seed: number, n: number, dim: number, clusters: number): Float32Array {
  const rng = mulberry32(seed);
  const centres = Float32Array.from({ length: clusters * dim }, () => 4 * gaussian(rng));
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rng() * clusters);
    for (let t = 0; t < dim; t++) out[i * dim + t] = centres[c * dim + t] + gaussian(rng);
  }
  return out;
}

function assertWellFormed(r: KnnResult, data: Float32Array, n: number, dim: number): void {
  assert.equal(r.nq, n);
  for (let q = 0; q < n; q++) {
    const row = Array.from(r.indices.subarray(q * r.k, (q + 1) * r.k));
    assert.ok(!row.includes(q), `row ${q} lists itself`);
    assert.equal(new Set(row).size, r.k, `row ${q} has duplicates or gaps: ${row.join(',')}`);
    for (let t = 0; t < r.k; t++) {
      const j = row[t];
      assert.ok(j >= 0 && j < n, `row ${q}: neighbour ${j}`);
      let s = 0;
      for (let u = 0; u < dim; u++) s += (data[q * dim + u] - data[j * dim + u]) ** 2;
      assert.equal(r.distances[q * r.k + t], Math.fround(Math.sqrt(s)), `row ${q} slot ${t}: distance`);
      if (t > 0) assert.ok(r.distances[q * r.k + t - 1] <= r.distances[q * r.k + t], `row ${q} not sorted at ${t}`);
    }
  }
}

void describe('nnDescent', () => {
  void it('digits (600 × 64): recall@15 ≥ 0.95, well-formed, seeded', () => {
    const { data, n, dim } = readDigits(1);
    const options = { trees: 2, leafSize: 12, seed: 5 };
    const got = nnDescent(data, n, dim, 15, options);
    const want = knnExact(data, n, dim, 15);
    const recall = recallAtK(got, want, 15);
    assert.ok(recall >= 0.95, `recall@15 ${recall}`);
    assertWellFormed(got, data, n, dim);
    assert.ok(got.stats.iterations >= 1);
    // The trees alone are worse: the descent is what finds the neighbours.
    const treesOnly = nnDescent(data, n, dim, 15, { ...options, maxIterations: 0 });
    assert.ok(recallAtK(treesOnly, want, 15) < recall, 'descent did not improve on the trees');
    const again = nnDescent(data, n, dim, 15, options);
    assert.deepEqual(again.indices, got.indices, 'same seed, same lists');
    assert.deepEqual(again.distances, got.distances);
  });

  void it('clustered random data (3,000 × 24, 30 clusters): recall@15 ≥ 0.95; far fewer distances than all pairs', () => {
    const n = 3000;
    const dim = 24;
    const data = clustered(8101, n, dim, 30);
    const got = nnDescent(data, n, dim, 15, { trees: 3, leafSize: 24, seed: 1 });
    const recall = recallAtK(got, knnExact(data, n, dim, 15), 15);
    assert.ok(recall >= 0.95, `recall@15 ${recall}`);
    assertWellFormed(got, data, n, dim);
    assert.ok(got.stats.distances < (n * (n - 1)) / 2 / 3, `${got.stats.distances} distances`);
    const sq = nnDescent(data, n, dim, 15, { trees: 3, leafSize: 24, seed: 1, metric: 'sqeuclidean' });
    assert.deepEqual(sq.indices, got.indices, 'sqeuclidean: the same lists');
    assert.ok(Math.abs(sq.distances[7] - got.distances[7] ** 2) < 1e-3 * sq.distances[7]);
  });

  void it('small and degenerate inputs: k capped at n − 1, identical rows, progress and cancellation', () => {
    const tiny = clustered(3, 10, 3, 2);
    const r = nnDescent(tiny, 10, 3, 20);
    assert.equal(r.k, 9);
    assert.deepEqual(r.indices, knnExact(tiny, 10, 3, 9).indices, 'one leaf: exact');
    const same = new Float32Array(200 * 4).fill(1);
    const s = nnDescent(same, 200, 4, 5, { leafSize: 8 });
    for (let q = 0; q < 200; q++) {
      const row = Array.from(s.indices.subarray(q * 5, q * 5 + 5));
      assert.ok(!row.includes(q) && new Set(row).size === 5 && row.every((j) => j >= 0));
    }
    let last = 0;
    nnDescent(clustered(4, 500, 5, 5), 500, 5, 5, { onProgress: (done, total) => {
      assert.ok(done >= last && done <= total);
      last = done;
    } });
    assert.ok(last > 0);
    assert.throws(() => nnDescent(clustered(4, 500, 5, 5), 500, 5, 5, { onProgress: () => { throw new Error('stop'); } }), /stop/);
    assert.throws(() => nnDescent(tiny, 10, 3, 3, { metric: 'cosine' as 'euclidean' }), /euclidean/);
  });

  void it('rerankCandidates with every other row as a candidate is knnExact', () => {
    const n = 120;
    const dim = 6;
    const data = clustered(77, n, dim, 4);
    const all = new Int32Array(n * n).fill(-1);
    for (let q = 0; q < n; q++) for (let j = 0; j < n; j++) all[q * n + j] = (j * 37 + q) % n; // every row, itself included, shuffled
    const got = rerankCandidates(data, n, dim, { nq: n, k: n, indices: all, distances: new Float32Array(n * n) }, 8);
    const want = knnExact(data, n, dim, 8);
    assert.deepEqual(got.indices, want.indices);
    assert.deepEqual(got.distances, want.distances);
  });
});
