import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DBSCAN } from 'density-clustering';
import {
  MatrixTooLargeError,
  checkMatrixSize,
  computeDistanceMatrix,
  condensedIndex,
  estimateMatrixBytes,
  exactMatrixDbscan,
  fillDistanceMatrixRows,
  matrixDistance,
  matrixNeighbourGraph,
  matrixNeighbours,
} from '../../../server/engine/cluster/exactMatrix';
import { dbscanGraph } from '../../../server/engine/cluster/dbscan';
import { dbscanWithNeighbours } from '../../../server/engine/cluster/dbscanVectors';
import { buildNeighbourGraph } from '../../../server/engine/cluster/graph';
import { mulberry32, randomDna, randomInt } from '../features/rng';

/** Plain dynamic-programming Levenshtein: the test's own reference distance. */
function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length];
}

/** Families of related short sequences: integer distances, plenty of ties at eps. */
function relatedSequences(seed: number, n: number): string[] {
  const rng = mulberry32(seed);
  const roots = Array.from({ length: 4 }, () => randomDna(rng, 24));
  return Array.from({ length: n }, () => {
    const chars = roots[randomInt(rng, 0, roots.length)].split('');
    const edits = randomInt(rng, 0, 6);
    for (let e = 0; e < edits; e++) chars[randomInt(rng, 0, chars.length)] = 'ACGT'[randomInt(rng, 0, 4)];
    return chars.join('');
  });
}

void describe('exact distance matrix', () => {
  void it('estimates its memory and guards the size with a message that says what it needs', () => {
    assert.equal(estimateMatrixBytes(0), 0);
    assert.equal(estimateMatrixBytes(1), 0);
    assert.equal(estimateMatrixBytes(5000), 49_990_000);
    assert.doesNotThrow(() => checkMatrixSize(5000));
    let called = false;
    const err = (() => {
      try {
        computeDistanceMatrix(50_000, () => {
          called = true;
          return 0;
        });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof MatrixTooLargeError);
    assert.equal(called, false);
    assert.equal(err.records, 50_000);
    assert.equal(err.bytes, 4_999_900_000);
    assert.match(err.message, /50,000 records would need 4\.66 GiB/);
    assert.match(err.message, /1,249,975,000 pairs/);
    assert.match(err.message, /5,000 records and 512 MiB/);
    assert.match(err.message, /MinHash \+ LSH/);
    // The bounds are configurable, separately.
    assert.throws(() => checkMatrixSize(5001), MatrixTooLargeError);
    assert.doesNotThrow(() => checkMatrixSize(10_000, { maxRecords: 20_000 }));
    assert.throws(() => checkMatrixSize(20_000, { maxRecords: Infinity }), /762\.9 MiB/);
    assert.throws(() => checkMatrixSize(100, { maxBytes: 1000 }), MatrixTooLargeError);
  });

  void it('lays out the condensed matrix like scipy, and fills it in chunks', () => {
    for (const n of [2, 3, 7, 20]) {
      const seen = new Set<number>();
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const at = condensedIndex(i, j, n);
          assert.equal(condensedIndex(j, i, n), at);
          seen.add(at);
        }
      }
      assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: (n * (n - 1)) / 2 }, (_, t) => t));
    }
    const n = 13;
    const d = (i: number, j: number) => i * 100 + j;
    const whole = computeDistanceMatrix(n, d);
    const chunked = new Float32Array(whole.length);
    fillDistanceMatrixRows(chunked, n, d, 5, n);
    fillDistanceMatrixRows(chunked, n, d, 0, 5);
    assert.deepEqual(chunked, whole);
    assert.equal(matrixDistance(whole, n)(7, 3), 307);
    assert.equal(matrixDistance(whole, n)(4, 4), 0);
  });

  void it('matrix DBSCAN equals graph DBSCAN on directly computed edges, the generic DBSCAN, and density-clustering', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 5 }), (seed, n, eps, minPts) => {
        const seqs = relatedSequences(seed, n);
        const dist = (i: number, j: number) => levenshtein(seqs[i], seqs[j]);
        const { labels, matrix } = exactMatrixDbscan(n, dist, { eps, minPts });
        const i: number[] = [];
        const j: number[] = [];
        for (let a = 0; a < n; a++) {
          for (let b = a + 1; b < n; b++) {
            if (dist(a, b) <= eps) {
              i.push(a);
              j.push(b);
            }
          }
        }
        assert.deepEqual(labels, dbscanGraph(buildNeighbourGraph(n, { i: Uint32Array.from(i), j: Uint32Array.from(j) }), minPts));
        assert.deepEqual(dbscanWithNeighbours(n, minPts, matrixNeighbours(matrix, n, eps)), labels);
        // density-clustering over record indices with the matrix as its distance; strict < eps + 0.5 ≡ ≤ eps.
        const clusters = new DBSCAN().run(Array.from({ length: n }, (_, t) => t), eps + 0.5, minPts, matrixDistance(matrix, n));
        const reference = new Int32Array(n).fill(-1);
        clusters.forEach((members, c) => members.forEach((p) => (reference[p] = c)));
        assert.deepEqual(labels, reference);
      }),
      { seed: 7101, numRuns: 120 },
    );
  });

  void it('builds the neighbour graph of the matrix with distances', () => {
    const n = 4;
    const m = computeDistanceMatrix(n, (i, j) => Math.abs(i - j));
    const g = matrixNeighbourGraph(m, n, 1);
    assert.deepEqual([...g.offsets], [0, 1, 3, 5, 6]);
    assert.deepEqual([...g.neighbours], [1, 0, 2, 1, 3, 2]);
    assert.deepEqual([...(g.distances ?? [])], [1, 1, 1, 1, 1, 1]);
  });
});
