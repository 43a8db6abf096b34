import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dbscanGraph } from '../../../server/engine/cluster/dbscan';
import { dereplicate, sequenceKey } from '../../../server/engine/cluster/derep';
import { buildNeighbourGraph } from '../../../server/engine/cluster/graph';
import { greedyCentroids, greedyOrder } from '../../../server/engine/cluster/greedy';
import { abundanceOf, graphMedoids, missingIdentities } from '../../../server/engine/cluster/representatives';

/** A graph with distances 1 − identity from [a, b, identity] triples. */
function graphOf(n: number, edges: [number, number, number][]) {
  return buildNeighbourGraph(n, {
    i: Uint32Array.from(edges, (e) => e[0]),
    j: Uint32Array.from(edges, (e) => e[1]),
    distance: Float32Array.from(edges, (e) => 1 - e[2]),
  });
}

void describe('cluster representatives (graph medoid)', () => {
  void it('picks the member with the highest mean identity to the others; missing pairs stay NaN until aligned', () => {
    // Chain 0 – 1 – 2 – 3 plus 1 – 3: record 1 is closest to the rest; record 4 is noise.
    const g = graphOf(5, [
      [0, 1, 0.95],
      [1, 2, 0.96],
      [2, 3, 0.94],
      [1, 3, 0.93],
    ]);
    const labels = Int32Array.from([0, 0, 0, 0, -1]);
    const reps = graphMedoids(g, labels);
    assert.deepEqual([...reps.representative], [1, 1, 1, 1, -1]);
    assert.equal(reps.identity[1], 1);
    assert.ok(Math.abs(reps.identity[0]! - 0.95) < 1e-6 && Math.abs(reps.identity[2]! - 0.96) < 1e-6 && Math.abs(reps.identity[3]! - 0.93) < 1e-6);
    assert.ok(Number.isNaN(reps.identity[4]!));
    assert.deepEqual(missingIdentities(reps), { i: new Uint32Array(0), j: new Uint32Array(0) });
    // A triangle of equal identities: a true tie.
    const tie = graphOf(3, [
      [0, 1, 0.95],
      [1, 2, 0.95],
      [0, 2, 0.95],
    ]);
    const three = Int32Array.from([0, 0, 0]);
    assert.equal(graphMedoids(tie, three).representative[0], 0, 'a tie goes to file order');
    assert.equal(graphMedoids(tie, three, Int32Array.from([1, 1, 7])).representative[0], 2, 'then abundance first');
    // Chain 0 – 1 – 2 – 3: the medoid is 1 (first of the tie 1, 2), and 3 is not its neighbour.
    const chain = graphOf(4, [
      [0, 1, 0.95],
      [1, 2, 0.95],
      [2, 3, 0.95],
    ]);
    const r = graphMedoids(chain, Int32Array.from([0, 0, 0, 0]));
    assert.equal(r.representative[0], 1);
    assert.ok(Number.isNaN(r.identity[3]!), 'record 3 is no neighbour of its medoid 1');
    assert.deepEqual(missingIdentities(r), { i: Uint32Array.from([3]), j: Uint32Array.from([1]) });
  });

  void it('reads ;size=N abundances as vsearch writes them', () => {
    assert.equal(abundanceOf('seq1;size=12;'), 12);
    assert.equal(abundanceOf('seq1;size=3'), 3);
    assert.equal(abundanceOf('seq1'), 1);
    assert.equal(abundanceOf('seq1;size=0'), 1);
  });
});

void describe('greedy centroids (vsearch --cluster_fast on a verified graph)', () => {
  void it('takes records by decreasing length (or abundance), joins the closest centroid, else starts one', () => {
    assert.deepEqual([...greedyOrder([100, 300, 200, 300])], [1, 3, 2, 0]);
    assert.deepEqual([...greedyOrder([100, 300, 200, 300], [9, 1, 1, 1])], [0, 1, 3, 2]);
    // Order 0, 1, 2, 3. 1 is not within the threshold of 0 (no edge): a new centroid. 2 is near
    // both; 1 is closer. 3 is near 2 only, which is no centroid: a new centroid, though DBSCAN would chain it.
    const g = graphOf(4, [
      [0, 2, 0.95],
      [1, 2, 0.97],
      [2, 3, 0.99],
    ]);
    const c = greedyCentroids(g, [0, 1, 2, 3]);
    assert.deepEqual([...c.labels], [0, 1, 1, 2]);
    assert.deepEqual([...c.representative], [0, 1, 1, 3]);
    assert.ok(Math.abs(c.identity[2]! - 0.97) < 1e-6);
  });

  void it('every member is a graph neighbour of its centroid (so within the threshold), every centroid its own', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 25 }).chain((n) =>
          fc.record({ n: fc.constant(n), edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1), fc.integer({ min: 90, max: 100 })), { maxLength: 80 }), lengths: fc.array(fc.nat(50), { minLength: n, maxLength: n }) }),
        ),
        ({ n, edges, lengths }) => {
          const g = graphOf(n, edges.map(([a, b, p]) => [a, b, p / 100] as [number, number, number]));
          const c = greedyCentroids(g, greedyOrder(lengths));
          const near = new Set(edges.filter(([a, b]) => a !== b).flatMap(([a, b]) => [`${a},${b}`, `${b},${a}`]));
          for (let v = 0; v < n; v++) {
            const r = c.representative[v]!;
            assert.equal(c.labels[r], c.labels[v]);
            assert.equal(c.representative[r], r);
            if (r !== v) {
              assert.ok(near.has(`${v},${r}`), `${v} joined ${r} without an edge`);
              assert.ok(lengths[r]! >= lengths[v]!, 'a centroid is at least as long as its members');
            }
          }
        },
      ),
      { numRuns: 100, seed: 15 },
    );
  });
});

void describe('dereplication', () => {
  void it('groups sequences identical up to case and strand, first record first; weighted DBSCAN counts the copies', () => {
    const seqs = ['ACGGT', 'acggt', 'ACCGT', 'TTTTA', 'ACGGA'].map((s) => Buffer.from(s, 'latin1'));
    // ACCGT is the reverse complement of ACGGT.
    const d = dereplicate(seqs.length, (r) => sequenceKey(seqs[r]!, true));
    assert.deepEqual([...d.groupOf], [0, 0, 0, 1, 2]);
    assert.deepEqual([...d.first], [0, 3, 4]);
    assert.deepEqual([...d.size], [3, 1, 1]);
    assert.deepEqual([...dereplicate(seqs.length, (r) => sequenceKey(seqs[r]!, false)).groupOf], [0, 0, 1, 2, 3], 'one strand: the reverse complement stays apart');
    // A lone vertex standing for two copies is a cluster at minPts 2; unweighted it is noise.
    const g = buildNeighbourGraph(2, { i: new Uint32Array(0), j: new Uint32Array(0) });
    assert.deepEqual([...dbscanGraph(g, 2)], [-1, -1]);
    assert.deepEqual([...dbscanGraph(g, 2, [2, 1])], [0, -1]);
  });
});
