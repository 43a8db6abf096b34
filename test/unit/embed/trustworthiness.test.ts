// Trustworthiness against a plain transcription of sklearn.manifold.trustworthiness (full
// argsort of every row, stable ties), on random data with fast-check; sampled queries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { trustworthiness } from '../../../server/engine/embed/trustworthiness';
import { mulberry32 } from '../features/rng';

function sq(x: Float32Array, dim: number, i: number, j: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) {
    const t = x[i * dim + d] - x[j * dim + d];
    s += t * t;
  }
  return s;
}

function reference(high: Float32Array, hd: number, low: Float32Array, ld: number, k: number, queries: number[]): number {
  const n = high.length / hd;
  let t = 0;
  for (const i of queries) {
    const others = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i);
    const byHigh = [...others].sort((a, b) => sq(high, hd, i, a) - sq(high, hd, i, b) || a - b);
    const byLow = [...others].sort((a, b) => sq(low, ld, i, a) - sq(low, ld, i, b) || a - b);
    const rank = new Map(byHigh.map((j, r) => [j, r + 1]));
    for (const j of byLow.slice(0, k)) {
      const r = rank.get(j) as number;
      if (r > k) t += r - k;
    }
  }
  return 1 - (2 / (queries.length * k * (2 * n - 3 * k - 1))) * t;
}

function randomMatrix(seed: number, n: number, dim: number, grid: boolean): Float32Array {
  const rng = mulberry32(seed);
  // Values on a coarse grid make ties common.
  return Float32Array.from({ length: n * dim }, () => (grid ? Math.floor(rng() * 4) : rng()));
}

void test('trustworthiness equals the plain sklearn transcription (all queries and a sample)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 12, max: 50 }), fc.integer({ min: 1, max: 5 }), fc.boolean(), (seed, n, k, grid) => {
      const high = randomMatrix(seed, n, 6, grid);
      const low = randomMatrix(seed + 1, n, 2, grid);
      const kk = Math.min(k, Math.ceil(n / 2) - 1);
      const all = Array.from({ length: n }, (_, i) => i);
      const got = trustworthiness(high, 6, low, 2, { k: kk });
      const want = reference(high, 6, low, 2, kk, all);
      assert.ok(Math.abs(got - want) < 1e-12, `all: ${got} vs ${want}`);
      const sample = all.filter((i) => (i * 7 + seed) % 3 === 0);
      if (sample.length > 0) {
        const gotS = trustworthiness(high, 6, low, 2, { k: kk, queries: sample });
        assert.ok(Math.abs(gotS - reference(high, 6, low, 2, kk, sample)) < 1e-12);
      }
    }),
    { numRuns: 120, seed: 5 },
  );
});

void test('trustworthiness: 1 for a faithful embedding, low for a shuffled one', () => {
  const rng = mulberry32(9);
  const n = 200;
  const high = Float32Array.from({ length: n * 3 }, (_, e) => (e % 3 === 2 ? 0.001 * rng() : rng()));
  const low = Float32Array.from({ length: n * 2 }, (_, e) => high[Math.floor(e / 2) * 3 + (e % 2)]);
  assert.ok(trustworthiness(high, 3, low, 2, { k: 5 }) > 0.999);
  const shuffled = Float32Array.from({ length: n * 2 }, () => rng());
  assert.ok(trustworthiness(high, 3, shuffled, 2, { k: 5 }) < 0.6);
  assert.throws(() => trustworthiness(high, 3, low, 2, { k: 100 }), /k must be an integer in \[1, n\/2\)/);
  assert.throws(() => trustworthiness(high, 3, low.subarray(2), 2), /expected 200 rows/);
});
