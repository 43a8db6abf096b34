/**
 * nearestWithinGemm (GEMM tiles over norm windows) must answer exactly what the plain reference
 * answers — knnExact's nearest neighbour, kept when its float32 distance is ≤ eps — on random
 * inputs (fast-check; small blocks so that many windows and data blocks are crossed), with eps
 * on exact distances (integral data), duplicates, rows as their own queries, zero vectors under
 * cosine, and rows whose norms differ hugely (the window must rule out only what is truly far).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { loadGemm, type Gemm } from '../../../server/engine/index/gemm';
import { squaredNorms, type MetricOptions } from '../../../server/engine/index/knnExact';
import { mergeShares, nearestWithin, nearestWithinBlocks, nearestWithinFast, nearestWithinGemm, type NearestWithin, type NearestWithinShare, type RowProjection } from '../../../server/engine/index/nearestWithin';
import { mulberry32 } from '../features/rng';
import { covarianceColumns, principalBasis, projectRowRange } from '../../../server/engine/index/projectedKnn';
import { projectionBounds } from '../../../server/engine/index/rowProjection';

const METRICS: MetricOptions[] = [{ metric: 'euclidean' }, { metric: 'sqeuclidean' }, { metric: 'cosine' }, { metric: 'manhattan' }];

function randomMatrix(seed: number, n: number, dim: number, integral: boolean): Float32Array {
  const rng = mulberry32(seed);
  // Rows at several scales, so that norms spread and the windows cut.
  return Float32Array.from({ length: n * dim }, (_, t) => {
    const scale = 1 + (Math.floor(t / dim) % 5);
    return integral ? Math.floor(rng() * 4 * scale) - scale : (rng() - 0.5) * 4 * scale;
  });
}

/**
 * With `smallest` m: every answer given is the reference's, and at least min(m, answers within
 * eps) are given. Returns the reference's distances within eps, sorted.
 */
function assertSmallestGiven(got: NearestWithin, want: NearestWithin, m: number): number[] {
  assert.equal(got.nq, want.nq);
  let given = 0;
  for (let q = 0; q < want.nq; q++) {
    if (got.index[q]! < 0) continue;
    given++;
    assert.equal(got.index[q], want.index[q], `query ${q}: index`);
    assert.equal(got.distance[q], want.distance[q], `query ${q}: distance`);
  }
  const answered = Array.from(want.distance).filter((_, q) => want.index[q]! >= 0).sort((a, b) => a - b);
  assert.ok(given >= Math.min(m, answered.length), `${given} answers given, ${answered.length} within eps, m ${m}`);
  return answered;
}

function assertSame(got: NearestWithin, want: NearestWithin, what: string): void {
  assert.equal(got.nq, want.nq, `${what}: nq`);
  assert.deepEqual(Array.from(got.index), Array.from(want.index), `${what}: index`);
  assert.deepEqual(Array.from(got.distance), Array.from(want.distance), `${what}: distance`);
}

let gemm: Gemm;

void describe('nearestWithinGemm', () => {
  before(async () => {
    const g = await loadGemm();
    assert.ok(g, 'the wasm backend initialises in Node');
    gemm = g;
  });

  void it('equals the reference on random data (own queries, data rows, chosen rows), eps on exact distances', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 140 }), fc.integer({ min: 1, max: 12 }), fc.boolean(), fc.constantFrom(...METRICS), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }), (seed, n, dim, integral, metric, qb, db) => {
        const data = randomMatrix(seed, n, dim, integral);
        // A few exact copies of earlier rows.
        for (let i = 3; i < n; i += 7) data.copyWithin(i * dim, (i - 3) * dim, (i - 2) * dim);
        const scale = metric.metric === 'cosine' ? 0.2 : metric.metric === 'sqeuclidean' ? dim : Math.sqrt(dim);
        const eps = integral && metric.metric !== 'cosine' ? seed % Math.max(2, Math.round(scale * 2)) : scale * ((seed % 100) / 100);
        const blocks: [number, number] = [qb, db];
        const queries = randomMatrix(seed + 1, 1 + (seed % 23), dim, integral);
        assertSame(nearestWithinGemm(gemm, data, n, dim, eps, { ...metric, queries, blocks }), nearestWithin(data, n, dim, eps, { ...metric, queries }), `own queries, eps ${eps}`);
        assertSame(nearestWithinGemm(gemm, data, n, dim, eps, { ...metric, blocks }), nearestWithin(data, n, dim, eps, metric), 'every row, without itself');
        const rows = Int32Array.from({ length: 1 + (seed % 13) }, (_, t) => (seed * (t + 7)) % n);
        assertSame(nearestWithinGemm(gemm, data, n, dim, eps, { ...metric, rows, blocks }), nearestWithin(data, n, dim, eps, { ...metric, rows }), 'chosen rows');
      }),
      { seed: 7201, numRuns: 150 },
    );
  });

  void it('with `smallest` m: every answer given is the reference answer, and the m smallest of its answers are all given', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 2, max: 160 }), fc.integer({ min: 1, max: 10 }), fc.boolean(), fc.constantFrom(...METRICS), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 12 }), (seed, n, dim, integral, metric, qb, db, m) => {
        const data = randomMatrix(seed, n, dim, integral);
        for (let i = 5; i < n; i += 11) data.copyWithin(i * dim, (i - 5) * dim, (i - 4) * dim);
        const scale = metric.metric === 'cosine' ? 0.4 : metric.metric === 'sqeuclidean' ? 2 * dim : Math.sqrt(2 * dim);
        const eps = scale * (0.2 + (seed % 100) / 100);
        const rows = Int32Array.from({ length: 1 + (seed % 37) }, (_, t) => (seed * (t + 3)) % n);
        for (const opts of [{ rows }, {}, { queries: randomMatrix(seed + 2, 1 + (seed % 29), dim, integral) }]) {
          const want = nearestWithin(data, n, dim, eps, { ...metric, ...opts });
          const got = nearestWithinGemm(gemm, data, n, dim, eps, { ...metric, ...opts, blocks: [qb, db], smallest: m });
          const answered = assertSmallestGiven(got, want, m);
          // Strictly below the m-th smallest distance: strictly below its exact key, so never pruned.
          const t = answered.length >= m ? answered[m - 1]! : Infinity;
          for (let q = 0; q < want.nq; q++) if (want.index[q]! >= 0 && want.distance[q]! < t) assert.equal(got.index[q], want.index[q], `query ${q} at ${want.distance[q]} < ${t} is given`);
        }
      }),
      { seed: 7203, numRuns: 150 },
    );
  });

  void it('shares over claimed data blocks merge to the reference answer; with `smallest`, every merged answer is exact and the m smallest are given', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 2, max: 160 }), fc.integer({ min: 1, max: 10 }), fc.boolean(), fc.constantFrom(...METRICS.slice(0, 3)), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 4 }), fc.option(fc.integer({ min: 1, max: 12 })), (seed, n, dim, integral, metric, qb, db, threads, m) => {
        const data = randomMatrix(seed, n, dim, integral);
        for (let i = 4; i < n; i += 9) data.copyWithin(i * dim, (i - 4) * dim, (i - 3) * dim);
        const scale = metric.metric === 'cosine' ? 0.4 : metric.metric === 'sqeuclidean' ? 2 * dim : Math.sqrt(2 * dim);
        const eps = scale * (0.1 + (seed % 100) / 100);
        // The data blocks dealt to the threads at random, each thread's in ascending order (as
        // a shared counter hands them out).
        const rng = mulberry32(seed ^ 0x5eed);
        const owned: number[][] = Array.from({ length: threads }, () => []);
        for (let b = 0; b < Math.ceil(n / db); b++) owned[Math.floor(rng() * threads)]!.push(b);
        const rows = Int32Array.from({ length: 1 + (seed % 17) }, (_, t) => (seed * (t + 5)) % n);
        for (const opts of [{ rows }, {}, { queries: randomMatrix(seed + 3, 1 + (seed % 31), dim, integral) }]) {
          const options = { ...metric, ...opts, blocks: [qb, db] as [number, number], ...(m !== null ? { smallest: m } : {}) };
          const shares = owned.map((blocks) => {
            let t = 0;
            return nearestWithinBlocks(gemm, data, n, dim, eps, () => (t < blocks.length ? blocks[t++]! : Infinity), options) as NearestWithinShare;
          });
          const want = nearestWithin(data, n, dim, eps, { ...metric, ...opts });
          const got = mergeShares(shares, want.nq);
          if (m === null) {
            assertSame(got, want, `${threads} shares`);
            continue;
          }
          assertSmallestGiven(got, want, m);
        }
      }),
      { seed: 7204, numRuns: 150 },
    );
  });

  void it('with a projection (lower bounds from m principal directions): the reference answer, with and without `smallest`, one by one and as full tiles', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 2, max: 150 }), fc.integer({ min: 1, max: 24 }), fc.boolean(), fc.constantFrom<MetricOptions>({ metric: 'euclidean' }, { metric: 'sqeuclidean' }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 24 }), fc.option(fc.integer({ min: 1, max: 12 })), (seed, n, dim, integral, metric, qb, db, mWanted, m) => {
        const data = randomMatrix(seed, n, dim, integral);
        // Near copies (a small offset) and exact ones, so that some pairs sit just inside eps.
        for (let i = 4; i < n; i += 6) for (let t = 0; t < dim; t++) data[i * dim + t] = data[(i - 4) * dim + t]! + (i % 12 === 4 ? 0 : 0.01 * ((t % 3) - 1));
        const spec = { components: Math.min(dim, mWanted), seed, sampleRows: Math.min(n, 64), iterations: 4 };
        const basis = principalBasis(covarianceColumns(data, n, dim, 0, dim, spec), data, n, dim, spec);
        const queries = randomMatrix(seed + 5, 1 + (seed % 29), dim, integral);
        for (let q = 0; q < queries.length / dim; q += 3) queries.set(data.subarray(((q * 7) % n) * dim, ((q * 7) % n + 1) * dim).map((v, t) => v + (t === 0 ? 0.02 : 0)), q * dim);
        const projection: RowProjection = { m: basis.m, data: projectRowRange(data, n, dim, basis), queries: projectRowRange(queries, queries.length / dim, dim, basis), ...projectionBounds(basis, dim) };
        const scale = metric.metric === 'sqeuclidean' ? 2 * dim : Math.sqrt(2 * dim);
        const eps = [0.03, 0.2, 1, 3][seed % 4]! * (seed % 8 < 4 ? 1 : scale / 4);
        const rows = Int32Array.from({ length: 1 + (seed % 19) }, (_, t) => (seed * (t + 5)) % n);
        for (const opts of [{ rows }, {}, { queries }]) {
          const want = nearestWithin(data, n, dim, eps, { ...metric, ...opts });
          const got = nearestWithinGemm(gemm, data, n, dim, eps, { ...metric, ...opts, projection, blocks: [qb, db], ...(m !== null ? { smallest: m } : {}) });
          if (m === null) {
            assertSame(got, want, `projection m ${basis.m}, eps ${eps}`);
            continue;
          }
          assertSmallestGiven(got, want, m);
        }
      }),
      { seed: 7205, numRuns: 200 },
    );
  });

  void it('projection bounds: an orthonormal basis has scale ≈ 1; a stretched one is bounded; the rounding term grows with dim', () => {
    const dim = 6;
    const m = 2;
    const basis = new Float32Array(dim * m);
    basis[0 * m + 0] = 1;
    basis[1 * m + 1] = 1;
    const b = projectionBounds({ basis, mean: new Float32Array(dim), m }, dim);
    assert.ok(b.scale >= 1 && b.scale < 1 + 1e-12, `scale ${b.scale}`);
    basis[2 * m + 0] = 1;
    // Columns (1,0,1,…) and (0,1,0,…): ‖B‖₂ = √2.
    assert.ok(projectionBounds({ basis, mean: new Float32Array(dim), m }, dim).scale >= Math.SQRT2);
    const wide = projectionBounds({ basis: new Float32Array(784 * 4).fill(0.0357), mean: new Float32Array(784).fill(0.3), m: 4 }, 784);
    assert.ok(wide.errorPerNorm > b.errorPerNorm && wide.errorFloor > 0);
  });

  void it('stays exact with huge norm gaps, near-duplicates at large norms and zero vectors', async () => {
    const dim = 16;
    const n = 400;
    const rng = mulberry32(7202);
    const data = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < dim; t++) data[i * dim + t] = i < 100 ? 1e3 + (i % 7) : i < 200 ? (t === 0 ? 1e4 : rng() * 0.03) : i < 215 ? 0 : (rng() - 0.5) * (i % 3 === 0 ? 3e3 : 3);
    }
    const queries = data.slice(90 * dim, 230 * dim).map((v, t) => (t % 5 === 0 ? v + 0.01 : v));
    for (const metric of METRICS) {
      for (const eps of metric.metric === 'cosine' ? [0, 1e-9, 1e-4, 0.5, 1.5] : [0, 0.02, 0.05, 3, 300]) {
        assertSame(nearestWithinGemm(gemm, data, n, dim, eps, { ...metric, blocks: [32, 64] }), nearestWithin(data, n, dim, eps, metric), `${metric.metric} eps ${eps}`);
        assertSame(nearestWithinGemm(gemm, data, n, dim, eps, { ...metric, queries, blocks: [16, 48] }), nearestWithin(data, n, dim, eps, { ...metric, queries }), `${metric.metric} eps ${eps}, queries`);
      }
    }
    assertSame(await nearestWithinFast(data, n, dim, 3, { queries }), nearestWithin(data, n, dim, 3, { queries }), 'nearestWithinFast');
    assert.throws(() => nearestWithinGemm(gemm, data, n, dim, -1), RangeError);
  });

  void it('with the data norms given (dataNorms): the same answers; a non-finite value still throws', () => {
    const n = 300;
    const dim = 6;
    const data = randomMatrix(91, n, dim, true);
    const queries = randomMatrix(92, 70, dim, true);
    const dataNorms = squaredNorms(data, n, dim);
    const blocks: [number, number] = [16, 32];
    for (const metric of METRICS.slice(0, 3)) {
      const eps = metric.metric === 'cosine' ? 0.05 : metric.metric === 'sqeuclidean' ? 9 : 3;
      assertSame(nearestWithinGemm(gemm, data, n, dim, eps, { ...metric, queries, dataNorms, blocks }), nearestWithin(data, n, dim, eps, { ...metric, queries }), `${metric.metric} queries`);
      assertSame(nearestWithinGemm(gemm, data, n, dim, eps, { ...metric, dataNorms, blocks }), nearestWithin(data, n, dim, eps, metric), `${metric.metric} every row`);
      assertSame(nearestWithinGemm(gemm, data, n, dim, eps, { ...metric, rows: Int32Array.of(3, 299, 3), dataNorms, blocks }), nearestWithin(data, n, dim, eps, { ...metric, rows: Int32Array.of(3, 299, 3) }), `${metric.metric} rows`);
    }
    const bad = Float32Array.from(data);
    bad[12 * dim + 5] = Infinity;
    assert.throws(() => nearestWithinGemm(gemm, bad, n, dim, 3, { queries, dataNorms: squaredNorms(bad, n, dim) }), /row 12, column 5 is not a finite number/);
    assert.throws(() => nearestWithinGemm(gemm, data, n, dim, 3, { queries, dataNorms: dataNorms.subarray(0, n - 1) }), RangeError);
  });
});
