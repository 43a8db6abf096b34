/**
 * Projected approximate kNN (projectedKnn.ts): with every direction kept and every row a
 * candidate it is exhaustive, so it must equal knnExact bit for bit (the re-ranking is exact);
 * on low-rank data plus noise (most variance in a few directions, as images) its recall@10 with
 * 16 directions and 4k candidates is high; the projection is seeded (same seed, same rows) and
 * keeps distances no longer than the originals (an orthonormal basis). The pool's split
 * projection (covariance by column ranges, rows by row ranges) equals projectRows bit for bit.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadGemm, type Gemm } from '../../../server/engine/index/gemm';
import { recallAtK } from '../../../server/engine/index/knnApprox';
import { knnExact } from '../../../server/engine/index/knnExact';
import { covarianceColumns, knnProjected, principalBasis, projectRowRange, projectRows } from '../../../server/engine/index/projectedKnn';
import { gaussian, mulberry32 } from '../features/rng';

/** n rows of dim values: a rank-r signal (scale 10) plus unit noise. */
function lowRank(seed: number, n: number, dim: number, r: number): Float32Array {
  const rng = mulberry32(seed);
  const basis = Float32Array.from({ length: r * dim }, () => gaussian(rng));
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const coef = Array.from({ length: r }, () => 10 * gaussian(rng));
    for (let t = 0; t < dim; t++) {
      let v = 0.3 * gaussian(rng);
      for (let c = 0; c < r; c++) v += (coef[c] * basis[c * dim + t]) / Math.sqrt(dim);
      out[i * dim + t] = v;
    }
  }
  return out;
}

let gemm: Gemm;

void describe('projectedKnn', () => {
  before(async () => {
    const g = await loadGemm();
    assert.ok(g);
    gemm = g;
  });

  void it('all directions and all rows as candidates: exactly knnExact (euclidean and sqeuclidean)', () => {
    const n = 150;
    const dim = 12;
    const data = lowRank(7201, n, dim, 3);
    const projection = projectRows(data, n, dim, { components: dim, seed: 3 });
    for (const metric of ['euclidean', 'sqeuclidean'] as const) {
      const got = knnProjected(gemm, data, n, dim, projection, 7, { candidates: n - 1, metric });
      const want = knnExact(data, n, dim, 7, { metric });
      assert.deepEqual(Array.from(got.indices), Array.from(want.indices), metric);
      assert.deepEqual(Array.from(got.distances), Array.from(want.distances), metric);
    }
    const part = knnProjected(gemm, data, n, dim, projection, 5, { candidates: n - 1, from: 40, to: 60 });
    const want = knnExact(data, n, dim, 5, { from: 40, to: 60 });
    assert.deepEqual(Array.from(part.indices), Array.from(want.indices), 'rows [40, 60)');
  });

  void it('split projection: covariance columns and row ranges cut anywhere give projectRows exactly', () => {
    const n = 700;
    const dim = 90;
    const data = lowRank(7203, n, dim, 6);
    const options = { components: 20, seed: 5, sampleRows: 400 };
    const whole = projectRows(data, n, dim, options);
    const rng = mulberry32(7204);
    for (let trial = 0; trial < 4; trial++) {
      // Random cuts of the columns and of the rows (pieces of any width, empty ones included).
      const cutsOf = (length: number): number[] => [0, ...Array.from({ length: 1 + Math.floor(rng() * 4) }, () => Math.floor(rng() * (length + 1))).sort((a, b) => a - b), length];
      const colCuts = cutsOf(dim);
      const cov = new Float32Array(dim * dim);
      for (let c = 0; c + 1 < colCuts.length; c++) {
        const [c0, c1] = [colCuts[c], colCuts[c + 1]];
        const part = covarianceColumns(data, n, dim, c0, c1, options);
        assert.equal(part.length, dim * (c1 - c0));
        for (let r = 0; r < dim; r++) cov.set(part.subarray(r * (c1 - c0), (r + 1) * (c1 - c0)), r * dim + c0);
      }
      assert.deepEqual(cov, covarianceColumns(data, n, dim, 0, dim, options), `columns cut at ${colCuts.join(',')}`);
      const basis = principalBasis(cov, data, n, dim, options);
      assert.equal(basis.m, whole.m);
      const points = new Float32Array(n * basis.m);
      const rowCuts = cutsOf(n);
      for (let c = 0; c + 1 < rowCuts.length; c++) points.set(projectRowRange(data, n, dim, basis, rowCuts[c], rowCuts[c + 1]), rowCuts[c] * basis.m);
      assert.ok(points.every((v, t) => Object.is(v, whole.points[t])), `rows cut at ${rowCuts.join(',')}`);
    }
  });

  void it('low-rank data: recall@10 ≥ 0.95 with 16 of 200 directions; seeded; never lengthens a distance', () => {
    const n = 1500;
    const dim = 200;
    const data = lowRank(7202, n, dim, 10);
    const projection = projectRows(data, n, dim, { components: 16, seed: 9 });
    assert.equal(projection.m, 16);
    assert.deepEqual(projectRows(data, n, dim, { components: 16, seed: 9 }).points, projection.points, 'same seed, same projection');
    const got = knnProjected(gemm, data, n, dim, projection, 10);
    const want = knnExact(data, n, dim, 10);
    const recall = recallAtK(got, want, 10);
    assert.ok(recall >= 0.95, `recall@10 ${recall}`);
    // Returned distances are exact full-dimensional ones.
    for (let q = 0; q < n; q += 97) {
      const j = got.indices[q * 10];
      let s = 0;
      for (let t = 0; t < dim; t++) s += (data[q * dim + t] - data[j * dim + t]) ** 2;
      assert.equal(got.distances[q * 10], Math.fround(Math.sqrt(s)));
      let p = 0;
      for (let t = 0; t < 16; t++) p += (projection.points[q * 16 + t] - projection.points[j * 16 + t]) ** 2;
      assert.ok(p <= s * (1 + 1e-4) + 1e-6, `projected ${p} > original ${s}`);
    }
    // Fewer candidates, lower recall: the candidates count is what is re-ranked.
    assert.ok(recallAtK(knnProjected(gemm, data, n, dim, projection, 10, { candidates: 10 }), want, 10) <= recall);
  });
});
