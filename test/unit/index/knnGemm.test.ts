/**
 * The GEMM path (knnGemm.ts on the tfjs wasm backend's float32 products) must return exactly
 * what knnExact / rangeQuery return — indices, float32 distances, tie order — on random inputs
 * (fast-check; small tiles so that many query and data blocks are crossed), on inputs where the
 * float32 dot-product form is far off (large norms, near-duplicates: the rounding slack must
 * send those pairs to the exact loop), and with zero vectors under cosine. It must also fall
 * back (other metrics, norms that could overflow float32) and free its tensors.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { loadGemm, type Gemm } from '../../../server/engine/index/gemm';
import { knnExact, rangeQuery, squaredNorms, type KnnResult, type MetricOptions, type RangeResult } from '../../../server/engine/index/knnExact';
import { knnAllRowsGemm, knnBlocksPartial, knnExactFast, knnExactGemm, knnSymmetricPartial, knnSymmetricShare, mergeKnnPartials, rangeQueryFast, rangeQueryGemm, symmetricBlocks } from '../../../server/engine/index/knnGemm';
import { mulberry32 } from '../features/rng';

const DOT_METRICS: MetricOptions[] = [{ metric: 'euclidean' }, { metric: 'sqeuclidean' }, { metric: 'cosine' }, { metric: 'minkowski', p: 2 }];

function randomMatrix(seed: number, n: number, dim: number, integral: boolean): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n * dim }, () => (integral ? Math.floor(rng() * 4) - 1 : (rng() - 0.5) * 10));
}

function assertSameKnn(got: KnnResult, want: KnnResult, what: string): void {
  assert.equal(got.nq, want.nq, `${what}: nq`);
  assert.equal(got.k, want.k, `${what}: k`);
  assert.deepEqual(Array.from(got.indices), Array.from(want.indices), `${what}: indices`);
  assert.deepEqual(Array.from(got.distances), Array.from(want.distances), `${what}: distances`);
}

function assertSameRange(got: RangeResult, want: RangeResult, what: string): void {
  assert.deepEqual(Array.from(got.offsets), Array.from(want.offsets), `${what}: offsets`);
  assert.deepEqual(Array.from(got.neighbours), Array.from(want.neighbours), `${what}: neighbours`);
  assert.deepEqual(Array.from(got.distances), Array.from(want.distances), `${what}: distances`);
}

let gemm: Gemm;

void describe('knnExactGemm / rangeQueryGemm', () => {
  before(async () => {
    const g = await loadGemm();
    assert.ok(g, 'the wasm backend initialises in Node');
    gemm = g;
  });

  void it('equal knnExact on random data (data as queries, own queries, chosen rows, row ranges), across many tiles', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e9 }),
        fc.integer({ min: 2, max: 120 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        fc.constantFrom(...DOT_METRICS),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 40 }),
        (seed, n, dim, k, integral, metric, qb, db) => {
          const data = randomMatrix(seed, n, dim, integral);
          const blocks: [number, number] = [qb, db];
          assertSameKnn(knnExactGemm(gemm, data, n, dim, k, { ...metric, blocks }), knnExact(data, n, dim, k, metric), 'all rows');
          const queries = randomMatrix(seed + 1, 1 + (seed % 17), dim, integral);
          assertSameKnn(knnExactGemm(gemm, data, n, dim, k, { ...metric, queries, blocks }), knnExact(data, n, dim, k, { ...metric, queries }), 'own queries');
          const rows = Int32Array.from({ length: 1 + (seed % 13) }, (_, t) => (seed * (t + 7)) % n);
          assertSameKnn(knnExactGemm(gemm, data, n, dim, k, { ...metric, rows, blocks }), knnExact(data, n, dim, k, { ...metric, rows }), 'chosen rows');
          const from = seed % n;
          const to = Math.min(n, from + 1 + (seed % 37));
          assertSameKnn(knnExactGemm(gemm, data, n, dim, k, { ...metric, from, to, excludeSelf: false, blocks }), knnExact(data, n, dim, k, { ...metric, from, to, excludeSelf: false }), 'row range');
        },
      ),
      { seed: 7101, numRuns: 120 },
    );
  });

  void it('symmetric all-rows path: upper-triangle tiles, any split of tile rows merged, equal knnExact with ties and duplicate rows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e9 }),
        fc.integer({ min: 2, max: 120 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        fc.constantFrom(...DOT_METRICS),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 30 }),
        (seed, n, dim, k, integral, metric, block, duplicates) => {
          // Integral data in {−1, 0, 1, 2} gives many equal distances; copied rows give zero
          // distances between distinct indices (and, under cosine, zero rows).
          const data = randomMatrix(seed, n, dim, integral);
          const rng = mulberry32(seed ^ 0x5eed);
          for (let d = 0; d < duplicates; d++) {
            const from = Math.floor(rng() * n);
            const to = Math.floor(rng() * n);
            data.copyWithin(to * dim, from * dim, (from + 1) * dim);
          }
          const want = knnExact(data, n, dim, k, metric);
          assertSameKnn(knnAllRowsGemm(gemm, data, n, dim, k, { ...metric, block }), want, 'one partial');
          // Tile columns dealt at random to up to 3 workers, as the shared counter deals them
          // (largest first): each part alone is partial.
          const nb = symmetricBlocks(n, block);
          const workers = 1 + Math.floor(rng() * 3);
          const dealt: number[][] = Array.from({ length: workers }, () => []);
          for (let c = nb - 1; c >= 0; c--) dealt[Math.floor(rng() * workers)].push(c);
          const parts = dealt.map((mine) => {
            let at = 0;
            const part = knnSymmetricPartial(gemm, data, n, dim, k, () => (at < mine.length ? mine[at++] : -1), { ...metric, block });
            assert.ok(part);
            return part;
          });
          assertSameKnn(mergeKnnPartials(parts.reverse(), n, metric), want, `columns dealt ${JSON.stringify(dealt)}`);
        },
      ),
      { seed: 7105, numRuns: 150 },
    );
  });

  void it('shares over claimed data blocks (own queries, chosen rows), blocks dealt at random to up to 3 workers, merged equal knnExact', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e9 }),
        fc.integer({ min: 2, max: 120 }),
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        fc.constantFrom(...DOT_METRICS),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        (seed, n, dim, k, integral, metric, dataBlock, workers, ownQueries) => {
          const data = randomMatrix(seed, n, dim, integral);
          const rng = mulberry32(seed ^ 0xb10c);
          // Duplicated rows: zero distances between distinct indices, ties across shares.
          for (let d = 0; d < 10; d++) data.copyWithin(Math.floor(rng() * n) * dim, Math.floor(rng() * n) * dim, Math.floor(rng() * n) * dim + dim);
          const query = ownQueries
            ? { queries: data.slice(0, Math.min(n, 30) * dim).map((v, i) => (i % 3 === 0 ? v : v + 1)) }
            : { rows: Int32Array.from({ length: 25 }, () => Math.floor(rng() * n)), excludeSelf: rng() < 0.7 };
          // Half the time with the data's norms given, as the pool gives them to every worker.
          const options = { ...metric, ...query, blocks: [7, dataBlock] as [number, number], ...(rng() < 0.5 ? { dataNorms: squaredNorms(data, n, dim) } : {}) };
          const want = knnExact(data, n, dim, k, { ...metric, ...query });
          // The blocks in ascending order, each to a random worker, as the shared counter deals them.
          const blocks = Math.ceil(n / dataBlock);
          const dealt: number[][] = Array.from({ length: workers }, () => []);
          for (let b = 0; b < blocks; b++) dealt[Math.floor(rng() * workers)].push(b);
          const parts = dealt.map((mine) => {
            let at = 0;
            const part = knnBlocksPartial(gemm, data, n, dim, k, () => (at < mine.length ? mine[at++] : blocks), options);
            assert.ok(part);
            return part;
          });
          assertSameKnn(mergeKnnPartials(parts, want.nq, metric), want, `${workers} workers, blocks of ${dataBlock}`);
        },
      ),
      { seed: 7107, numRuns: 150 },
    );
    assert.equal(knnBlocksPartial(gemm, randomMatrix(1, 10, 3, false), 10, 3, 2, () => 0, { metric: 'manhattan' }), null, 'no dot form');
  });

  void it('symmetric path: exact where float32 products are far off, null for metrics without a dot form', () => {
    const dim = 24;
    const n = 300;
    const rng = mulberry32(7106);
    const data = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < dim; t++) data[i * dim + t] = i < 100 ? 1e3 + (i % 7) : i < 200 ? (t === 0 ? 1e4 : rng() * 0.03) : i < 215 ? 0 : (rng() - 0.5) * 3e3;
    }
    for (const metric of DOT_METRICS) {
      const want = knnExact(data, n, dim, 15, metric);
      assertSameKnn(knnAllRowsGemm(gemm, data, n, dim, 15, { ...metric, block: 37 }), want, `${metric.metric}`);
      // Three workers taking the columns in turn, largest first; then one share that claims them all
      // from a shared counter, beside a second share that finds none left.
      const nb = symmetricBlocks(n, 37);
      const parts = [0, 1, 2].map((w) => {
        let c = nb - 1 - w + 3;
        return knnSymmetricPartial(gemm, data, n, dim, 15, () => (c -= 3), { ...metric, block: 37 })!;
      });
      assertSameKnn(mergeKnnPartials(parts, n, metric), want, `${metric.metric} in 3 parts`);
      const claim = new Int32Array(new SharedArrayBuffer(4));
      const shares = [0, 1].map(() => knnSymmetricShare(gemm, data, n, dim, 15, claim, { ...metric, block: 37 })!);
      assert.ok(shares[1].count.every((c) => c === 0), 'the second share found no column left');
      assertSameKnn(mergeKnnPartials(shares, n, metric), want, `${metric.metric} in claimed shares`);
    }
    assert.equal(knnSymmetricPartial(gemm, data, n, dim, 5, () => 0, { metric: 'manhattan' }), null);
    assertSameKnn(knnAllRowsGemm(gemm, data, n, dim, 5, { metric: 'manhattan' }), knnExact(data, n, dim, 5, { metric: 'manhattan' }), 'manhattan falls back');
    // A column outside [0, blocks) ends the claims: nothing is computed, every row has no neighbour yet.
    const none = knnSymmetricPartial(gemm, data, n, dim, 5, () => symmetricBlocks(n, 37), { block: 37 })!;
    assert.ok(none.count.every((c) => c === 0));
  });

  void it('equal rangeQuery on random data (all pairs, j > i only, a row range), ties on the boundary', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 0, max: 130 }), fc.integer({ min: 1, max: 10 }), fc.boolean(), fc.constantFrom(...DOT_METRICS), fc.boolean(), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }), (seed, n, dim, integral, metric, after, qb, db) => {
        const data = randomMatrix(seed, n, dim, integral);
        const scale = metric.metric === 'cosine' ? 0.3 : metric.metric === 'sqeuclidean' ? dim : Math.sqrt(dim);
        const eps = integral && metric.metric !== 'cosine' ? 1 + (seed % Math.max(1, Math.round(scale))) : scale * (0.2 + (seed % 100) / 100);
        const blocks: [number, number] = [qb, db];
        assertSameRange(rangeQueryGemm(gemm, data, n, dim, eps, { ...metric, onlyAfter: after, blocks }), rangeQuery(data, n, dim, eps, { ...metric, onlyAfter: after }), `eps ${eps}`);
        if (n > 0) {
          const from = seed % n;
          const to = Math.min(n, from + 1 + (seed % 29));
          assertSameRange(rangeQueryGemm(gemm, data, n, dim, eps, { ...metric, from, to, onlyAfter: after, blocks }), rangeQuery(data, n, dim, eps, { ...metric, from, to, onlyAfter: after }), 'row range');
        }
      }),
      { seed: 7102, numRuns: 150 },
    );
  });

  void it('membership only (distances: false): the same neighbours as rangeQuery, no distances, also where products are far off', () => {
    const membersOf = (r: RangeResult): RangeResult => ({ ...r, distances: new Float32Array(0) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 0, max: 130 }), fc.integer({ min: 1, max: 10 }), fc.boolean(), fc.constantFrom(...DOT_METRICS), fc.boolean(), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }), (seed, n, dim, integral, metric, after, qb, db) => {
        const data = randomMatrix(seed, n, dim, integral);
        const scale = metric.metric === 'cosine' ? 0.3 : metric.metric === 'sqeuclidean' ? dim : Math.sqrt(dim);
        // Integral data put many pairs exactly on eps: the upper-key shortcut must not take them wrongly.
        const eps = integral && metric.metric !== 'cosine' ? 1 + (seed % Math.max(1, Math.round(scale))) : scale * (0.2 + (seed % 100) / 100);
        const blocks: [number, number] = [qb, db];
        const got = rangeQueryGemm(gemm, data, n, dim, eps, { ...metric, onlyAfter: after, blocks, distances: false });
        assert.equal(got.distances.length, 0);
        assertSameRange(got, membersOf(rangeQuery(data, n, dim, eps, { ...metric, onlyAfter: after })), `eps ${eps}`);
        assertSameRange(rangeQuery(data, n, dim, eps, { ...metric, onlyAfter: after, distances: false }), got, 'JavaScript tiles');
      }),
      { seed: 7105, numRuns: 150 },
    );
    // Near-duplicates with large norms and zero vectors: pairs inside the slack band are decided exactly.
    const dim = 24;
    const n = 300;
    const rng = mulberry32(7106);
    const data = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < dim; t++) data[i * dim + t] = i < 100 ? 1e3 + (i % 7) : i < 200 ? (t === 0 ? 1e4 : rng() * 0.03) : i < 215 ? 0 : (rng() - 0.5) * 3e3;
    }
    for (const metric of DOT_METRICS) {
      for (const eps of metric.metric === 'cosine' ? [1e-9, 1e-4, 0.5, 1, 1.5] : [0.02, 0.05, 3]) {
        const want = membersOf(rangeQuery(data, n, dim, eps, metric));
        assertSameRange(rangeQueryGemm(gemm, data, n, dim, eps, { ...metric, blocks: [32, 64], distances: false }), want, `${metric.metric} eps ${eps}`);
      }
    }
  });

  void it('stays exact where float32 products are far off: large norms, near-duplicates, zero vectors', () => {
    // Rows 100–199 share a first coordinate of 1e4 and differ by O(0.01): the float32 error of
    // ‖a‖² + ‖b‖² − 2a·b (about 10⁸·2⁻²⁴·dim) dwarfs the differences between their distances.
    const dim = 24;
    const n = 300;
    const rng = mulberry32(7103);
    const data = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < dim; t++) data[i * dim + t] = i < 100 ? 1e3 + (i % 7) : i < 200 ? (t === 0 ? 1e4 : rng() * 0.03) : i < 215 ? 0 : (rng() - 0.5) * 3e3;
    }
    for (const metric of DOT_METRICS) {
      assertSameKnn(knnExactGemm(gemm, data, n, dim, 15, { ...metric, blocks: [32, 64] }), knnExact(data, n, dim, 15, metric), `${metric.metric}`);
      for (const eps of metric.metric === 'cosine' ? [1e-9, 1e-4, 0.5] : [0.02, 0.05, 3]) {
        assertSameRange(rangeQueryGemm(gemm, data, n, dim, eps, { ...metric, blocks: [32, 64] }), rangeQuery(data, n, dim, eps, metric), `${metric.metric} eps ${eps}`);
      }
    }
  });

  void it('falls back to the JavaScript tiles for other metrics and for norms that could overflow float32', () => {
    const data = randomMatrix(7104, 80, 6, false);
    for (const metric of [{ metric: 'manhattan' }, { metric: 'chebyshev' }, { metric: 'minkowski', p: 3 }] as MetricOptions[]) {
      assertSameKnn(knnExactGemm(gemm, data, 80, 6, 5, metric), knnExact(data, 80, 6, 5, metric), metric.metric ?? '');
      assertSameRange(rangeQueryGemm(gemm, data, 80, 6, 4, metric), rangeQuery(data, 80, 6, 4, metric), metric.metric ?? '');
    }
    const huge = data.map((v) => v * 1e37);
    assertSameKnn(knnExactGemm(gemm, huge, 80, 6, 5), knnExact(huge, 80, 6, 5), 'norms near float32 max');
  });

  void it('frees its tensors, reports progress per data block, and stops when onProgress throws', async () => {
    const n = 500;
    const data = randomMatrix(7105, n, 7, false);
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    knnExactGemm(gemm, data, n, 7, 4, { blocks: [64, 128], onProgress: (done, total) => seen.push(done / total) });
    assert.deepEqual(seen, [128 / 500, 256 / 500, 384 / 500, 1].map((f) => Math.round(f * n) / n));
    assert.throws(
      () =>
        rangeQueryGemm(gemm, data, n, 7, 2, {
          blocks: [64, 128],
          onProgress: () => {
            throw new Error('stop');
          },
        }),
      /stop/,
    );
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
    // The async entry points: with the GEMM and with the JavaScript tiles (gemm: null).
    assertSameKnn(await knnExactFast(data, n, 7, 4, { metric: 'cosine' }), knnExact(data, n, 7, 4, { metric: 'cosine' }), 'knnExactFast');
    assertSameKnn(await knnExactFast(data, n, 7, 4, { gemm: null }), knnExact(data, n, 7, 4), 'knnExactFast without GEMM');
    assertSameRange(await rangeQueryFast(data, n, 7, 2.5, { onlyAfter: true }), rangeQuery(data, n, 7, 2.5, { onlyAfter: true }), 'rangeQueryFast');
    assert.throws(() => knnExactGemm(gemm, data, n, 7, 4, { blocks: [0, 4] }), /blocks/);
  });
});
