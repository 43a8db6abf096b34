import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DBSCAN } from 'density-clustering';
import { NOISE, clusterCount, coreMask, dbscanGraph } from '../../../server/engine/cluster/dbscan';
import { bruteForceNeighbours, dbscanVectors, dbscanWithNeighbours } from '../../../server/engine/cluster/dbscanVectors';
import { NeighbourGraph, buildNeighbourGraph } from '../../../server/engine/cluster/graph';
import { gaussian, mulberry32, randomInt } from '../features/rng';

/** The eps-graph of packed points by brute force (d ≤ eps). */
function epsGraph(points: ArrayLike<number>, dim: number, eps: number): NeighbourGraph {
  const n = points.length / dim;
  const i: number[] = [];
  const j: number[] = [];
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += (points[a * dim + k] - points[b * dim + k]) ** 2;
      if (s <= eps * eps) {
        i.push(a);
        j.push(b);
      }
    }
  }
  return buildNeighbourGraph(n, { i: Uint32Array.from(i), j: Uint32Array.from(j) });
}

/** density-clustering's DBSCAN as labels (−1 noise). Its neighbourhood is strict (d < eps). */
function referenceLabels(points: number[][], epsStrict: number, minPts: number): Int32Array {
  const clusters = new DBSCAN().run(points, epsStrict, minPts);
  const labels = new Int32Array(points.length).fill(-1);
  clusters.forEach((members, c) => {
    for (const p of members) labels[p] = c;
  });
  return labels;
}

function unpack(points: ArrayLike<number>, dim: number): number[][] {
  const out: number[][] = [];
  for (let p = 0; p < points.length / dim; p++) out.push(Array.from({ length: dim }, (_, k) => points[p * dim + k]));
  return out;
}

/**
 * The comparison the brief asks for, then the stronger one our conventions allow:
 * core partitions equal; each border point in a cluster that reaches it; then labels identical
 * (same core rule, same discovery order, same first-reaching cluster for border points).
 */
function assertSameClustering(graph: NeighbourGraph, minPts: number, ours: Int32Array, reference: Int32Array): void {
  const core = coreMask(graph, minPts);
  const n = graph.n;
  for (let p = 0; p < n; p++) {
    if (core[p] === 1) {
      assert.ok(ours[p] >= 0 && reference[p] >= 0, `core point ${p} must be clustered`);
      continue;
    }
    if (ours[p] === NOISE) continue;
    let reached = false;
    for (let e = graph.offsets[p]; e < graph.offsets[p + 1]; e++) {
      const q = graph.neighbours[e];
      if (core[q] === 1 && ours[q] === ours[p]) reached = true;
    }
    assert.ok(reached, `border point ${p} is in cluster ${ours[p]} which no core neighbour reaches`);
  }
  for (let p = 0; p < n; p++) {
    for (let q = p + 1; q < n; q++) {
      if (core[p] === 1 && core[q] === 1) assert.equal(ours[p] === ours[q], reference[p] === reference[q], `core points ${p}, ${q}`);
    }
  }
  assert.deepEqual(ours, reference);
}

const smallIntegerPoints = (dim: number) =>
  fc.array(fc.array(fc.integer({ min: 0, max: 12 }), { minLength: dim, maxLength: dim }), { maxLength: 45 }).map((ps) => Float64Array.from(ps.flat()));

void describe('DBSCAN', () => {
  void it('graph DBSCAN equals density-clustering on random integer points (many ties and duplicates)', () => {
    fc.assert(
      fc.property(smallIntegerPoints(2), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), (points, eps, minPts) => {
        const graph = epsGraph(points, 2, eps);
        // Integer squared distances: d ≤ eps ⇔ d < √(eps² + 0.5).
        assertSameClustering(graph, minPts, dbscanGraph(graph, minPts), referenceLabels(unpack(points, 2), Math.sqrt(eps * eps + 0.5), minPts));
      }),
      { seed: 6101, numRuns: 300 },
    );
  });

  void it('graph DBSCAN equals density-clustering on random real points', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 0, max: 80 }), fc.double({ min: 0.05, max: 0.4, noNaN: true }), fc.integer({ min: 1, max: 8 }), (seed, n, eps, minPts) => {
        const rng = mulberry32(seed);
        const points = Float64Array.from({ length: 2 * n }, () => rng());
        const graph = epsGraph(points, 2, eps);
        assertSameClustering(graph, minPts, dbscanGraph(graph, minPts), referenceLabels(unpack(points, 2), eps, minPts));
      }),
      { seed: 6102, numRuns: 200 },
    );
  });

  void it('grid DBSCAN (1-D, 2-D, 3-D) and the generic fallback equal graph DBSCAN', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 150 }), fc.boolean(), fc.integer({ min: 1, max: 7 }), (seed, dim, n, integral, minPts) => {
        const rng = mulberry32(seed);
        const centres = Array.from({ length: 4 }, () => Array.from({ length: dim }, () => rng() * 20));
        const points = new Float64Array(n * dim);
        for (let p = 0; p < n; p++) {
          const c = centres[randomInt(rng, 0, centres.length)];
          for (let k = 0; k < dim; k++) {
            const v = c[k] + gaussian(rng) * 1.5;
            points[p * dim + k] = integral ? Math.round(v) : v;
          }
        }
        const eps = integral ? randomInt(rng, 1, 4) : 0.2 + rng() * 1.5;
        const expected = dbscanGraph(epsGraph(points, dim, eps), minPts);
        assert.deepEqual(dbscanVectors(points, dim, { eps, minPts }), expected);
        assert.deepEqual(dbscanWithNeighbours(n, minPts, bruteForceNeighbours(points, dim, eps)), expected);
      }),
      { seed: 6103, numRuns: 250 },
    );
  });

  void it('grid DBSCAN equals density-clustering in 2-D', () => {
    fc.assert(
      fc.property(smallIntegerPoints(2), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), (points, eps, minPts) => {
        const graph = epsGraph(points, 2, eps);
        assertSameClustering(graph, minPts, dbscanVectors(points, 2, { eps, minPts }), referenceLabels(unpack(points, 2), Math.sqrt(eps * eps + 0.5), minPts));
      }),
      { seed: 6104, numRuns: 200 },
    );
  });

  void it('grid DBSCAN uses its hash table on sparse, wide data and still equals graph DBSCAN', () => {
    const rng = mulberry32(6105);
    const n = 1500;
    const points = new Float64Array(2 * n);
    for (let p = 0; p < n; p++) {
      // Clumps scattered over a 1e6 × 1e6 square: the bounding grid is far too big to be dense.
      const cx = Math.floor(p / 30) * 20011.7;
      points[2 * p] = cx + gaussian(rng);
      points[2 * p + 1] = (cx * 7.3) % 1e6 + gaussian(rng);
    }
    points[0] = 1e6;
    points[1] = 1e6;
    for (const minPts of [1, 3, 10]) assert.deepEqual(dbscanVectors(points, 2, { eps: 0.8, minPts }), dbscanGraph(epsGraph(points, 2, 0.8), minPts));
  });

  void it('falls back to brute force above 3 dimensions', () => {
    const rng = mulberry32(6106);
    const points = Float64Array.from({ length: 60 * 5 }, () => Math.round(rng() * 4));
    assert.deepEqual(dbscanVectors(points, 5, { eps: 2, minPts: 3 }), dbscanGraph(epsGraph(points, 5, 2), 3));
  });

  void it('hand-made cases: a chain, two blobs, all noise, minPts = 1, a contested border point', () => {
    // A chain spaced 1 apart, eps 1, minPts 3: inner points core, ends border, one cluster.
    const chain = Float64Array.from({ length: 10 }, (_, i) => i);
    assert.deepEqual([...dbscanVectors(chain, 1, { eps: 1, minPts: 3 })], new Array(10).fill(0));
    // The ends are border points: with minPts 3 they have only 2 points in their neighbourhood.
    assert.deepEqual([...coreMask(epsGraph(chain, 1, 1), 3)], [0, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    // Two blobs, listed interleaved: ids by the smallest core point.
    const blobs = Float64Array.of(10, 10, 0, 0, 10, 10.5, 0, 0.5, 10.5, 10, 0.5, 0, 50, 50);
    assert.deepEqual([...dbscanVectors(blobs, 2, { eps: 1, minPts: 3 })], [0, 1, 0, 1, 0, 1, NOISE]);
    // All noise.
    const far = Float64Array.of(0, 0, 10, 0, 0, 10, 10, 10);
    assert.deepEqual([...dbscanVectors(far, 2, { eps: 1, minPts: 2 })], [NOISE, NOISE, NOISE, NOISE]);
    // minPts = 1: every point is core, isolated points are clusters of one.
    assert.deepEqual([...dbscanVectors(far, 2, { eps: 1, minPts: 1 })], [0, 1, 2, 3]);
    // A border point (1.3) within eps of two clusters joins the first discovered (smallest id),
    // whichever way round the clusters are listed.
    const contested = Float64Array.of(2.3, 2.4, 2.5, 2.6, 1.3, 0, 0.1, 0.2, 0.3);
    let labels = dbscanVectors(contested, 1, { eps: 1.05, minPts: 4 });
    assert.deepEqual([...labels], [0, 0, 0, 0, 0, 1, 1, 1, 1]);
    assert.equal(clusterCount(labels), 2);
    labels = dbscanVectors(Float64Array.of(0, 0.1, 0.2, 0.3, 1.3, 2.3, 2.4, 2.5, 2.6), 1, { eps: 1.05, minPts: 4 });
    assert.deepEqual([...labels], [0, 0, 0, 0, 0, 1, 1, 1, 1]);
    // Empty input.
    assert.equal(dbscanVectors(new Float64Array(0), 2, { eps: 1, minPts: 2 }).length, 0);
  });

  void it('rejects bad parameters and non-finite coordinates', () => {
    assert.throws(() => dbscanVectors(Float64Array.of(0, 0), 2, { eps: 0, minPts: 2 }), RangeError);
    assert.throws(() => dbscanVectors(Float64Array.of(0, 0), 2, { eps: 1, minPts: 0 }), RangeError);
    assert.throws(() => dbscanVectors(Float64Array.of(0, 0, 1), 2, { eps: 1, minPts: 2 }), RangeError);
    assert.throws(() => dbscanVectors(Float64Array.of(0, NaN), 2, { eps: 1, minPts: 2 }), RangeError);
    assert.throws(() => dbscanVectors(Float64Array.of(0, 1e300), 1, { eps: 1e-300, minPts: 2 }), RangeError);
    assert.throws(() => dbscanGraph(epsGraph(Float64Array.of(0), 1, 1), 0), RangeError);
  });
});
