/**
 * clusterVectors: the graph path (exact range queries → CSR → DBSCAN) against density-clustering
 * on small random inputs, for several metrics; the grid path (≤ 3-D) and the graph path agree
 * exactly; eps estimated when absent; blobs recovered in 10-D.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DBSCAN } from 'density-clustering';
import { coreMask, dbscanGraph } from '../../../server/engine/cluster/dbscan';
import { clusterVectors, clusterVectorsByCommunity, graphFromRanges, nearestOfKnn, TooFewRecordsError, usesGrid } from '../../../server/engine/cluster/vectorClustering';
import { rangeQuery, vectorDistance, type MetricOptions } from '../../../server/engine/index/knnExact';
import { adjustedRandIndex, evaluateClustering } from '../../../server/engine/eval/clustering';
import { StandardScaler } from '../../../server/engine/features/scaler';
import { readDigits } from '../digitsFixture';
import { gaussian, mulberry32, randomInt } from '../features/rng';

/** density-clustering's labels (−1 noise); its neighbourhood is strict (d < eps). */
function referenceLabels(points: number[][], epsStrict: number, minPts: number, distance: (a: number[], b: number[]) => number): Int32Array {
  const clusters = new DBSCAN().run(points, epsStrict, minPts, distance);
  const labels = new Int32Array(points.length).fill(-1);
  clusters.forEach((members, c) => {
    for (const p of members) labels[p] = c;
  });
  return labels;
}

function unpack(data: Float32Array, dim: number): number[][] {
  return Array.from({ length: data.length / dim }, (_, p) => Array.from(data.subarray(p * dim, (p + 1) * dim)));
}

const METRICS: MetricOptions[] = [{ metric: 'euclidean' }, { metric: 'manhattan' }, { metric: 'chebyshev' }, { metric: 'minkowski', p: 3 }];

void describe('clusterVectors', () => {
  void it('graph path equals density-clustering on random integer points (ties on the eps boundary), several metrics', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 4, max: 7 }), fc.integer({ min: 1, max: 6 }), fc.constantFrom(...METRICS), (seed, n, dim, minPts, metric) => {
        const rng = mulberry32(seed);
        const data = Float32Array.from({ length: n * dim }, () => randomInt(rng, 0, 4));
        const eps = randomInt(rng, 1, 4);
        const got = clusterVectors(data, n, dim, { ...metric, eps, minPts });
        assert.equal(got.method, 'graph');
        const d = vectorDistance(metric);
        // Integer coordinates: every distance at or below eps is below eps + 1e-6, every larger one above it.
        const strict = metric.metric === 'euclidean' ? Math.sqrt(eps * eps + 0.5) : eps + 1e-6;
        assert.deepEqual(got.labels, referenceLabels(unpack(data, dim), strict, minPts, (a, b) => d(a, b)));
      }),
      { seed: 5501, numRuns: 250 },
    );
  });

  void it('graph path equals density-clustering on random real points (cosine, euclidean)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 0, max: 80 }), fc.integer({ min: 1, max: 6 }), fc.boolean(), (seed, n, minPts, cosine) => {
        const rng = mulberry32(seed);
        const dim = 6;
        const centres = Array.from({ length: 3 }, () => Array.from({ length: dim }, () => rng() * 4 - 2));
        const data = new Float32Array(n * dim);
        for (let p = 0; p < n; p++) {
          const c = centres[randomInt(rng, 0, 3)];
          for (let t = 0; t < dim; t++) data[p * dim + t] = c[t] + gaussian(rng) * 0.6;
        }
        const metric: MetricOptions = { metric: cosine ? 'cosine' : 'euclidean' };
        const eps = cosine ? 0.05 + rng() * 0.2 : 0.5 + rng();
        const got = clusterVectors(data, n, dim, { ...metric, eps, minPts });
        const d = vectorDistance(metric);
        // Real points: no distance equals eps, so strict and non-strict neighbourhoods coincide.
        assert.deepEqual(got.labels, referenceLabels(unpack(data, dim), eps, minPts, (a, b) => d(a, b)));
      }),
      { seed: 5502, numRuns: 200 },
    );
  });

  void it('grid path (1–3-D) equals the graph path, for euclidean and squared euclidean', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 200 }), fc.boolean(), fc.integer({ min: 1, max: 7 }), (seed, dim, n, integral, minPts) => {
        const rng = mulberry32(seed);
        const data = new Float32Array(n * dim);
        for (let t = 0; t < data.length; t++) data[t] = integral ? randomInt(rng, 0, 12) : rng() * 12;
        const eps = integral ? randomInt(rng, 1, 4) : 0.3 + rng() * 1.5;
        assert.ok(usesGrid(dim, {}));
        const grid = clusterVectors(data, n, dim, { eps, minPts });
        assert.equal(grid.method, 'grid');
        const graph = graphFromRanges(n, [{ from: 0, range: rangeQuery(data, n, dim, eps, { onlyAfter: true }) }]);
        assert.deepEqual(grid.labels, dbscanGraph(graph, minPts));
        // Squared euclidean eps is in squared units.
        assert.deepEqual(clusterVectors(data, n, dim, { metric: 'sqeuclidean', eps: eps * eps, minPts }).labels, grid.labels);
      }),
      { seed: 5503, numRuns: 200 },
    );
  });

  void it('estimates eps when absent and recovers 10-D blobs', () => {
    const rng = mulberry32(5504);
    const dim = 10;
    const per = 150;
    const truth: number[] = [];
    const data = new Float32Array(4 * per * dim);
    for (let b = 0; b < 4; b++) {
      const centre = Array.from({ length: dim }, () => rng() * 60);
      for (let i = 0; i < per; i++) {
        truth.push(b);
        for (let t = 0; t < dim; t++) data[(b * per + i) * dim + t] = centre[t] + gaussian(rng);
      }
    }
    const got = clusterVectors(data, 4 * per, dim, { minPts: 5 });
    assert.ok(got.epsEstimate, 'eps estimated');
    assert.equal(got.eps, got.epsEstimate.eps);
    assert.equal(got.method, 'graph');
    assert.ok((got.edges ?? 0) > 0);
    const ari = adjustedRandIndex(truth, Array.from(got.labels, (l, i) => (l < 0 ? `noise ${i}` : `c${l}`)));
    assert.ok(ari > 0.95, `ARI ${ari}`);
    // Every core point is clustered.
    const graph = graphFromRanges(4 * per, [{ from: 0, range: rangeQuery(data, 4 * per, dim, got.eps, { onlyAfter: true }) }]);
    const core = coreMask(graph, 5);
    for (let p = 0; p < core.length; p++) if (core[p]) assert.ok(got.labels[p] >= 0);
  });

  void it('rejects bad parameters; tiny inputs without eps are too few records', () => {
    assert.throws(() => clusterVectors(new Float32Array(4), 2, 2, { eps: 0, minPts: 2 }), /eps/);
    assert.throws(() => clusterVectors(new Float32Array(4), 2, 2, { eps: 1, minPts: 0 }), /minPts/);
    assert.throws(() => clusterVectors(Float32Array.of(1, NaN, 0, 0), 2, 2, { eps: 1, minPts: 2 }), /row 0, column 1/);
    assert.throws(() => clusterVectors(new Float32Array(4), 2, 2, { minPts: 3 }), (e: unknown) => e instanceof TooFewRecordsError && /too few records to cluster: 2; at least minPts \(3\)/u.test(e.message));
  });

  void it('mutualNeighbours: on digits, where plain DBSCAN chains the classes together, the mutual 8-NN links separate them', () => {
    const { data, labels, n, dim } = readDigits();
    const x = StandardScaler.fit(data, dim).transform(data);
    const plain = clusterVectors(x, n, dim, { minPts: 5 });
    const mutual = clusterVectors(x, n, dim, { minPts: 5, mutualNeighbours: 8 });
    assert.equal(mutual.method, 'graph');
    assert.equal(mutual.eps, plain.eps, 'the same eps-graph');
    assert.equal(mutual.edges, plain.edges);
    assert.ok(mutual.keptEdges! < mutual.edges!, `kept ${mutual.keptEdges} of ${mutual.edges} links`);
    const truth = Array.from(labels);
    const nmiPlain = evaluateClustering(truth, Array.from(plain.labels)).nmi;
    const nmiMutual = evaluateClustering(truth, Array.from(mutual.labels)).nmi;
    assert.ok(nmiMutual > nmiPlain + 0.2, `NMI plain ${nmiPlain.toFixed(3)}, mutual ${nmiMutual.toFixed(3)}`);
    assert.throws(() => clusterVectors(x, n, dim, { minPts: 5, mutualNeighbours: 1.5 }), /mutualNeighbours/);
  });

  void it('communities (the default method): digits, where DBSCAN with the mutual filter scores NMI ≈ 0.6, come out near the classes; seeded; small communities are noise', () => {
    const { data, labels, n, dim } = readDigits();
    const x = StandardScaler.fit(data, dim).transform(data);
    const truth = Array.from(labels);
    const r = clusterVectorsByCommunity(x, n, dim, { minPts: 5 });
    const nmi = evaluateClustering(truth, Array.from(r.labels)).nmi;
    const dbscan = evaluateClustering(truth, Array.from(clusterVectors(x, n, dim, { minPts: 5, mutualNeighbours: 8 }).labels)).nmi;
    assert.ok(nmi > 0.75 && nmi > dbscan + 0.1, `NMI communities ${nmi.toFixed(3)}, DBSCAN ${dbscan.toFixed(3)}`);
    assert.deepEqual(clusterVectorsByCommunity(x, n, dim, { minPts: 5 }).labels, r.labels);
    // Labels follow dbscan.ts: clusters numbered by smallest member, every cluster at least minPts.
    const sizes = new Map<number, number>();
    let next = 0;
    for (const c of r.labels) {
      if (c === -1) continue;
      assert.ok(c <= next);
      if (c === next) next++;
      sizes.set(c, (sizes.get(c) ?? 0) + 1);
    }
    for (const [c, size] of sizes) assert.ok(size >= 5, `cluster ${c} has ${size} members`);
    // A minPts above every community's size makes everything noise; below n records there is nothing to cluster.
    assert.ok(clusterVectorsByCommunity(x, n, dim, { minPts: n }).labels.every((c) => c === -1));
    assert.throws(() => clusterVectorsByCommunity(x, n, dim, { minPts: n + 1 }), (e: unknown) => e instanceof TooFewRecordsError && /too few records to cluster: 600; at least 601/u.test(e.message));
    assert.throws(() => clusterVectorsByCommunity(x, n, dim, { minPts: 5, neighbours: 1 }), /neighbours/);
  });

  void it('communities: well separated 10-D blobs are recovered exactly, whatever their sizes and spreads', () => {
    const rng = mulberry32(18);
    const dim = 10;
    const groups = [
      { size: 300, spread: 0.3 },
      { size: 40, spread: 1 },
      { size: 120, spread: 2 },
    ];
    const n = groups.reduce((a, g) => a + g.size, 0);
    const data = new Float32Array(n * dim);
    const truth: number[] = [];
    let at = 0;
    groups.forEach((g, c) => {
      for (let p = 0; p < g.size; p++, at++) {
        for (let t = 0; t < dim; t++) data[at * dim + t] = c * 40 + g.spread * gaussian(rng);
        truth.push(c);
      }
    });
    const r = clusterVectorsByCommunity(data, n, dim, { minPts: 5 });
    assert.equal(adjustedRandIndex(truth, Array.from(r.labels)), 1);
  });
});

/** The first m neighbours of each row as pairs, each once, kept where first listed: by a set of the pairs seen. */
function nearestBySet(indices: Int32Array, distances: Float32Array, nq: number, k: number, m: number, within: number): { i: number[]; j: number[]; distance: number[] } {
  const seen = new Set<string>();
  const out = { i: [] as number[], j: [] as number[], distance: [] as number[] };
  for (let q = 0; q < nq; q++) {
    for (let t = 0; t < Math.min(m, k); t++) {
      const u = indices[q * k + t];
      if (u < 0 || distances[q * k + t] > within) break;
      if (u === q) continue;
      const key = `${Math.min(q, u)},${Math.max(q, u)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.i.push(Math.min(q, u));
      out.j.push(Math.max(q, u));
      out.distance.push(distances[q * k + t]);
    }
  }
  return out;
}

void describe('nearestOfKnn', () => {
  void it('gives each pair of the first m neighbours (up to -1 or a distance beyond `within`) once, where first listed, as a set of the pairs seen does (rows listing themselves, repeats)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 10 }), fc.constantFrom(Infinity, 0.5, 0.9), (seed, nq, k, m, within) => {
        const rng = mulberry32(seed);
        // Small ids, so that rows list each other often; -1 (no neighbour) and the row itself now and then.
        const indices = Int32Array.from({ length: nq * k }, (_, t) => (rng() < 0.1 ? -1 : rng() < 0.05 ? Math.floor(t / k) : randomInt(rng, 0, Math.min(nq, 12))));
        const distances = Float32Array.from({ length: nq * k }, () => rng());
        const got = nearestOfKnn({ nq, k, indices, distances }, m, within);
        const want = nearestBySet(indices, distances, nq, k, m, within);
        assert.deepEqual({ i: Array.from(got.i), j: Array.from(got.j), distance: Array.from(got.distance) }, { i: want.i, j: want.j, distance: want.distance.map(Math.fround) });
      }),
      { numRuns: 400 },
    );
  });
});
