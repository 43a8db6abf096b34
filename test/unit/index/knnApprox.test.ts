/**
 * Approximate kNN (LSH + exact re-ranking): recall on clustered synthetic data, exact agreement
 * when every neighbour is a candidate (many tables of few bits), determinism per seed, the
 * collision probabilities against simulation, the parameter rule, and recallAtK itself.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hyperplaneCollision, hyperplaneFamily } from '../../../server/engine/index/hyperplaneLsh';
import { buildApproxIndex, chooseApproxParams, knnApprox, queryApprox, recallAtK } from '../../../server/engine/index/knnApprox';
import { knnExact, type KnnResult } from '../../../server/engine/index/knnExact';
import { pStableCollision, pStableFamily } from '../../../server/engine/index/pStableLsh';
import { gaussian, mulberry32 } from '../features/rng';

/** n points around `centres` Gaussian centres in dim dimensions (σ = spread). */
function clustered(seed: number, n: number, dim: number, centres: number, spread: number): Float32Array {
  const rng = mulberry32(seed);
  const c = Array.from({ length: centres }, () => Array.from({ length: dim }, () => gaussian(rng) * 10));
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const centre = c[Math.floor(rng() * centres)];
    for (let t = 0; t < dim; t++) data[i * dim + t] = centre[t] + gaussian(rng) * spread;
  }
  return data;
}

void describe('approximate kNN', () => {
  const n = 2000;
  const dim = 32;
  const data = clustered(5701, n, dim, 20, 2);

  for (const metric of ['euclidean', 'cosine'] as const) {
    void it(`${metric}: recall@10 ≥ 0.8 at the default target 0.9, with far fewer candidates than n`, () => {
      const exact = knnExact(data, n, dim, 10, { metric });
      const approx = knnApprox(data, n, dim, 10, { metric, seed: 7 });
      const recall = recallAtK(approx, exact, 10);
      assert.ok(recall >= 0.8, `recall ${recall} with ${JSON.stringify(approx.params)}`);
      assert.ok(approx.meanCandidates < n / 3, `mean candidates ${approx.meanCandidates}`);
      assert.ok((approx.params.predictedRecall ?? 0) >= 0.9);
      // Returned distances are exact and sorted by (distance, index).
      for (let q = 0; q < 50; q++) {
        for (let t = 1; t < 10; t++) {
          const a = approx.distances[q * 10 + t - 1];
          const b = approx.distances[q * 10 + t];
          assert.ok(a < b || (a === b && approx.indices[q * 10 + t - 1] < approx.indices[q * 10 + t]));
        }
      }
      // A higher target gives at least as high a recall.
      const better = knnApprox(data, n, dim, 10, { metric, seed: 7, recall: 0.99 });
      assert.ok(recallAtK(better, exact, 10) >= recall - 0.01);
    });
  }

  void it('equals exact kNN when every neighbour is a candidate (many tables, few bits; wide buckets)', () => {
    const small = clustered(5702, 400, 8, 5, 1);
    const queries = clustered(5703, 30, 8, 5, 1);
    for (const metric of ['euclidean', 'cosine', 'sqeuclidean'] as const) {
      const index = buildApproxIndex(small, 400, 8, { metric, tables: 60, bits: 2, width: 1e4, seed: 3 });
      assert.deepEqual(knnExact(small, 400, 8, 10, { metric }), pick(queryApprox(index, 10)), metric);
      assert.deepEqual(knnExact(small, 400, 8, 10, { metric, queries }), pick(queryApprox(index, 10, { queries })), `${metric} own queries`);
    }
  });

  void it('is deterministic per seed, and the seed matters', () => {
    const a = knnApprox(data, n, dim, 5, { metric: 'cosine', seed: 11, tables: 4, bits: 12 });
    const b = knnApprox(data, n, dim, 5, { metric: 'cosine', seed: 11, tables: 4, bits: 12 });
    const c = knnApprox(data, n, dim, 5, { metric: 'cosine', seed: 12, tables: 4, bits: 12 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.indices, c.indices);
    assert.deepEqual(chooseApproxParams(data, n, dim, { seed: 4 }), chooseApproxParams(data, n, dim, { seed: 4 }));
  });

  void it('falls back to an exact scan for queries with fewer than k candidates', () => {
    const small = clustered(5704, 300, 6, 3, 1);
    // 24 hyperplane bits in one table: most buckets are tiny.
    const r = knnApprox(small, 300, 6, 10, { metric: 'cosine', tables: 1, bits: 24 });
    assert.ok(r.fallbacks > 0);
    const exact = knnExact(small, 300, 6, 10, { metric: 'cosine' });
    // Fallback answers are exact.
    let exactRows = 0;
    for (let q = 0; q < 300; q++) if (r.indices.subarray(q * 10, q * 10 + 10).every((v, t) => v === exact.indices[q * 10 + t])) exactRows++;
    assert.ok(exactRows >= r.fallbacks);
  });

  void it('collision probabilities match simulation of the families', () => {
    const rng = mulberry32(5705);
    const dim = 16;
    const pairs = 400;
    const a = new Float32Array(pairs * dim);
    const b = new Float32Array(pairs * dim);
    const dist = 1.5;
    for (let p = 0; p < pairs; p++) {
      const dir = Array.from({ length: dim }, () => gaussian(rng));
      const norm = Math.hypot(...dir);
      for (let t = 0; t < dim; t++) {
        a[p * dim + t] = gaussian(rng) * 3;
        b[p * dim + t] = a[p * dim + t] + (dir[t] / norm) * dist;
      }
    }
    const agree = (fa: Uint32Array, fb: Uint32Array) => fa.reduce((s, v, i) => s + (v === fb[i] ? 1 : 0), 0) / fa.length;
    const ps = pStableFamily(dim, 200, 1, 2, 9);
    const simulatedP = agree(ps.keys(a, pairs), ps.keys(b, pairs));
    assert.ok(Math.abs(simulatedP - pStableCollision(dist, 2)) < 0.02, `p-stable ${simulatedP} vs ${pStableCollision(dist, 2)}`);
    const hp = hyperplaneFamily(dim, 200, 1, 9);
    let meanP = 0;
    for (let p = 0; p < pairs; p++) {
      const x = a.subarray(p * dim, (p + 1) * dim);
      const y = b.subarray(p * dim, (p + 1) * dim);
      let dot = 0, nx = 0, ny = 0; // prettier-ignore
      for (let t = 0; t < dim; t++) {
        dot += x[t] * y[t];
        nx += x[t] * x[t];
        ny += y[t] * y[t];
      }
      meanP += hyperplaneCollision(1 - dot / Math.sqrt(nx * ny)) / pairs;
    }
    const simulatedH = agree(hp.keys(a, pairs), hp.keys(b, pairs));
    assert.ok(Math.abs(simulatedH - meanP) < 0.02, `hyperplane ${simulatedH} vs ${meanP}`);
    // Limits: identical points always collide; far points rarely.
    assert.equal(pStableCollision(0, 1), 1);
    assert.ok(pStableCollision(100, 1) < 0.01);
    assert.equal(hyperplaneCollision(0), 1);
    assert.ok(Math.abs(hyperplaneCollision(1) - 0.5) < 1e-12);
  });

  void it('recallAtK: ties with the k-th count as found', () => {
    const exact: KnnResult = { nq: 2, k: 2, indices: Int32Array.of(1, 2, 0, 3), distances: Float32Array.of(1, 2, 0.5, 0.7) };
    const approx: KnnResult = { nq: 2, k: 2, indices: Int32Array.of(1, 5, 0, 9), distances: Float32Array.of(1, 2, 0.5, 0.9) };
    assert.equal(recallAtK(approx, exact, 2), 3 / 4);
    assert.equal(recallAtK(exact, exact, 2), 1);
    assert.throws(() => recallAtK({ ...approx, nq: 1 }, exact), RangeError);
  });
});

function pick(r: KnnResult): KnnResult {
  return { nq: r.nq, k: r.k, indices: r.indices, distances: r.distances };
}
