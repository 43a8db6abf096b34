/**
 * Exact kNN and range queries against a brute-force reference built on vector.ts's measures, on
 * random inputs (fast-check): integer-valued points (many exact ties and duplicates, where the
 * (distance, index) order is tested hardest) and real-valued ones, for every metric, with the
 * data as queries (self excluded or not, a row range) and with queries of their own.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { knnExact, rangeQuery, vectorDistance, VECTOR_METRICS, type MetricOptions } from '../../../server/engine/index/knnExact';
import { mulberry32 } from '../features/rng';

type Metric = MetricOptions & { metric: (typeof VECTOR_METRICS)[number] };

const METRICS: Metric[] = [
  { metric: 'euclidean' },
  { metric: 'sqeuclidean' },
  { metric: 'cosine' },
  { metric: 'manhattan' },
  { metric: 'chebyshev' },
  { metric: 'minkowski', p: 3 },
  { metric: 'minkowski', p: 1.5 },
  { metric: 'minkowski', p: 2 },
];

function rows(m: Float32Array, dim: number): Float32Array[] {
  return Array.from({ length: m.length / dim }, (_, r) => m.subarray(r * dim, (r + 1) * dim));
}

/** Brute force: every distance by vector.ts, sorted by (distance, index). */
function referenceKnn(data: Float32Array, queries: Float32Array, dim: number, k: number, self: number | null | Int32Array, opts: MetricOptions): { indices: number[]; distances: number[] }[] {
  const d = vectorDistance(opts);
  const D = rows(data, dim);
  const own = (qi: number) => (self === null ? -1 : typeof self === 'number' ? self + qi : self[qi]);
  return rows(queries, dim).map((q, qi) => {
    const all = D.map((x, j) => ({ j, dist: d(q, x) })).filter(({ j }) => j !== own(qi));
    all.sort((a, b) => a.dist - b.dist || a.j - b.j);
    const top = all.slice(0, k);
    return { indices: top.map((t) => t.j), distances: top.map((t) => Math.fround(t.dist)) };
  });
}

function assertKnnEqual(got: ReturnType<typeof knnExact>, want: ReturnType<typeof referenceKnn>, what: string): void {
  assert.equal(got.nq, want.length, `${what}: query count`);
  for (let q = 0; q < want.length; q++) {
    const k = got.k;
    assert.deepEqual(Array.from(got.indices.subarray(q * k, (q + 1) * k)), want[q].indices, `${what}: indices of query ${q}`);
    assert.deepEqual(Array.from(got.distances.subarray(q * k, (q + 1) * k)), want[q].distances, `${what}: distances of query ${q}`);
  }
}

/** n × dim values: small integers (ties, duplicates, zero vectors) or reals. */
function randomMatrix(seed: number, n: number, dim: number, integral: boolean): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n * dim }, () => (integral ? Math.floor(rng() * 4) - 1 : (rng() - 0.5) * 10));
}

void describe('knnExact', () => {
  void it('equals brute force for every metric, data as queries (self excluded), integer and real data', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 2, max: 150 }), fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 12 }), fc.boolean(), fc.constantFrom(...METRICS), (seed, n, dim, k, integral, metric) => {
        const data = randomMatrix(seed, n, dim, integral);
        const got = knnExact(data, n, dim, k, metric);
        assert.equal(got.k, Math.min(k, n - 1));
        assertKnnEqual(got, referenceKnn(data, data, dim, got.k, 0, metric), `${metric.metric} n=${n} dim=${dim}`);
      }),
      { seed: 5301, numRuns: 200 },
    );
  });

  void it('equals brute force with queries of their own, and with a row range including self', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 90 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 9 }), fc.boolean(), fc.constantFrom(...METRICS), (seed, n, nq, dim, integral, metric) => {
        const data = randomMatrix(seed, n, dim, integral);
        const queries = randomMatrix(seed + 1, nq, dim, integral);
        const k = 1 + (seed % 10);
        assertKnnEqual(knnExact(data, n, dim, k, { ...metric, queries }), referenceKnn(data, queries, dim, Math.min(k, n), null, metric), 'own queries');
        const from = seed % n;
        const to = Math.min(n, from + 1 + (seed % 37));
        const ranged = knnExact(data, n, dim, k, { ...metric, from, to, excludeSelf: false });
        assertKnnEqual(ranged, referenceKnn(data, data.subarray(from * dim, to * dim), dim, Math.min(k, n), null, metric), 'row range with self');
        // Chosen rows (a sample, in any order, repeats allowed), each without itself.
        const picked = Int32Array.from({ length: 1 + (seed % 13) }, (_, t) => (seed * (t + 7)) % n);
        const pickedRows = Float32Array.from(Array.from(picked, (r) => Array.from(data.subarray(r * dim, (r + 1) * dim))).flat());
        if (n > 1) assertKnnEqual(knnExact(data, n, dim, k, { ...metric, rows: picked }), referenceKnn(data, pickedRows, dim, Math.min(k, n - 1), picked, metric), 'chosen rows');
      }),
      { seed: 5302, numRuns: 200 },
    );
  });

  void it('is exact where the dot-product form rounds: large norms, near-duplicates, zero vectors', () => {
    // Rows 100–199 share a first coordinate of 1e8 and differ by O(1) in the others: there the
    // rounding of ‖a‖² + ‖b‖² − 2a·b (ulp(10¹⁶) = 2) exceeds the differences between distances.
    const dim = 24;
    const n = 260;
    const rng = mulberry32(5303);
    const data = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < dim; t++) data[i * dim + t] = i < 100 ? 1e4 + (i % 7) : i < 200 ? (t === 0 ? 1e8 : rng() * 3) : i < 210 ? 0 : rng() * 3e4;
    }
    for (const metric of METRICS) {
      const got = knnExact(data, n, dim, 15, metric);
      assertKnnEqual(got, referenceKnn(data, data, dim, 15, 0, metric), metric.metric);
    }
    // The range test on the same rows decides the boundary exactly too.
    const sq = vectorDistance({ metric: 'sqeuclidean' });
    const row = (i: number) => data.subarray(i * dim, (i + 1) * dim);
    for (const eps of [2, 2.5, 3]) {
      const got = rangeQuery(data, n, dim, eps);
      for (let q = 100; q < 200; q++) {
        const want = Array.from({ length: n }, (_, j) => j).filter((j) => j !== q && sq(row(q), row(j)) <= eps * eps);
        assert.deepEqual(Array.from(got.neighbours.subarray(got.offsets[q], got.offsets[q + 1])), want, `range ${eps} of ${q}`);
      }
    }
  });

  void it('blocks of queries and data larger than one tile, progress per query block, cancellation by throwing', () => {
    const n = 700;
    const dim = 5;
    const data = randomMatrix(5304, n, dim, false);
    const seen: number[] = [];
    const got = knnExact(data, n, dim, 3, { onProgress: (done, total) => seen.push(done / total) });
    assertKnnEqual(got, referenceKnn(data, data, dim, 3, 0, {}), 'euclidean 700');
    assert.ok(seen.length > 2 && seen[seen.length - 1] === 1, `progress ${seen.join(',')}`);
    assert.throws(
      () =>
        knnExact(data, n, dim, 3, {
          onProgress: () => {
            throw new Error('stop');
          },
        }),
      /stop/,
    );
  });

  void it('rejects bad input with the row and column', () => {
    assert.throws(() => knnExact(Float32Array.of(0, 1, NaN, 2), 2, 2, 1), /row 1, column 0/);
    assert.throws(() => knnExact(Float32Array.of(0, 1), 1, 2, 0), RangeError);
    assert.throws(() => knnExact(Float32Array.of(0, 1), 1, 2, 1, { metric: 'minkowski', p: 0.5 }), /p must be/);
    assert.throws(() => knnExact(Float32Array.of(0, 1), 1, 2, 1, { queries: Float32Array.of(1, 2, 3) }), /queries/);
    assert.throws(() => knnExact(Float32Array.of(0, 1), 1, 2, 1, { from: 0, to: 2 }), /query rows/);
    // One row, self excluded: no neighbours at all.
    const empty = knnExact(Float32Array.of(0, 1), 1, 2, 4);
    assert.equal(empty.k, 0);
    assert.equal(empty.indices.length, 0);
  });
});

void describe('rangeQuery', () => {
  function referenceRange(data: Float32Array, dim: number, eps: number, opts: MetricOptions, after: boolean): number[][] {
    const D = rows(data, dim);
    const d = vectorDistance(opts);
    // The euclidean neighbourhood is Σ(a − b)² ≤ eps² (the grid DBSCAN's test).
    const within = opts.metric === 'euclidean' || opts.metric === undefined ? (a: Float32Array, b: Float32Array) => vectorDistance({ metric: 'sqeuclidean' })(a, b) <= eps * eps : (a: Float32Array, b: Float32Array) => d(a, b) <= eps;
    return D.map((a, i) => D.map((_, j) => j).filter((j) => j !== i && (!after || j > i) && within(a, D[j])));
  }

  void it('equals brute force for every metric (all pairs and pairs j > i only), with exact distances', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 0, max: 140 }), fc.integer({ min: 1, max: 8 }), fc.boolean(), fc.constantFrom(...METRICS), fc.boolean(), (seed, n, dim, integral, metric, after) => {
        const data = randomMatrix(seed, n, dim, integral);
        // Integer data: eps exactly at achievable distances (ties on the boundary).
        const scale = metric.metric === 'cosine' ? 0.3 : metric.metric === 'sqeuclidean' ? dim : Math.sqrt(dim);
        const eps = integral && metric.metric !== 'cosine' ? 1 + (seed % Math.max(1, Math.round(scale))) : scale * (0.2 + (seed % 100) / 100);
        const got = rangeQuery(data, n, dim, eps, { ...metric, onlyAfter: after });
        const want = referenceRange(data, dim, eps, metric, after);
        const d = vectorDistance(metric);
        assert.equal(got.offsets.length, n + 1);
        for (let q = 0; q < n; q++) {
          const list = Array.from(got.neighbours.subarray(got.offsets[q], got.offsets[q + 1]));
          assert.deepEqual(list, want[q], `${metric.metric}: neighbours of ${q} within ${eps}`);
          for (let t = got.offsets[q]; t < got.offsets[q + 1]; t++) {
            assert.equal(got.distances[t], Math.fround(d(data.subarray(q * dim, (q + 1) * dim), data.subarray(got.neighbours[t] * dim, (got.neighbours[t] + 1) * dim))));
          }
        }
      }),
      { seed: 5305, numRuns: 300 },
    );
  });

  void it('own queries: every data row within eps', () => {
    const data = randomMatrix(5306, 200, 3, false);
    const queries = randomMatrix(5307, 40, 3, false);
    const got = rangeQuery(data, 200, 3, 2.5, { queries, metric: 'manhattan' });
    for (let q = 0; q < 40; q++) {
      const want: number[] = [];
      for (let j = 0; j < 200; j++) if (vectorDistance({ metric: 'manhattan' })(queries.subarray(q * 3, q * 3 + 3), data.subarray(j * 3, j * 3 + 3)) <= 2.5) want.push(j);
      assert.deepEqual(Array.from(got.neighbours.subarray(got.offsets[q], got.offsets[q + 1])), want);
    }
    assert.throws(() => rangeQuery(data, 200, 3, -1), RangeError);
  });
});
