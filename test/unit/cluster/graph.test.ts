import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildNeighbourGraph, countRows, degree, fillRows, nearestInGraph } from '../../../server/engine/cluster/graph';

/** Reference: a Map of neighbour → smallest distance per vertex. */
function referenceGraph(n: number, edges: [number, number, number][], eps?: number): Map<number, number>[] {
  const rows = Array.from({ length: n }, () => new Map<number, number>());
  for (const [a, b, d] of edges) {
    if (a === b || (eps !== undefined && d > eps)) continue;
    for (const [x, y] of [[a, b], [b, a]]) {
      const old = rows[x].get(y);
      rows[x].set(y, old === undefined ? d : Math.min(old, d));
    }
  }
  return rows;
}

const edgeCase = fc.integer({ min: 0, max: 30 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    edges: n === 0 ? fc.constant([] as [number, number, number][]) : fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1), fc.integer({ min: 0, max: 9 })), { maxLength: 120 }),
    eps: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }),
  }),
);

void describe('neighbour graph (CSR)', () => {
  void it('is symmetric, deduplicated, sorted, without self loops, keeping the smallest distance', () => {
    fc.assert(
      fc.property(edgeCase, fc.boolean(), ({ n, edges, eps }, float32) => {
        const Ctor = float32 ? Float32Array : Float64Array;
        const g = buildNeighbourGraph(
          n,
          { i: Uint32Array.from(edges.map((e) => e[0])), j: Uint32Array.from(edges.map((e) => e[1])), distance: Ctor.from(edges.map((e) => e[2])) },
          { eps },
        );
        const ref = referenceGraph(n, edges, eps);
        assert.equal(g.offsets.length, n + 1);
        assert.equal(g.offsets[n], g.neighbours.length);
        assert.ok(g.distances instanceof Ctor);
        for (let v = 0; v < n; v++) {
          const row = [...g.neighbours.subarray(g.offsets[v], g.offsets[v + 1])];
          const expected = [...ref[v].keys()].sort((a, b) => a - b);
          assert.deepEqual(row, expected);
          assert.equal(degree(g, v), expected.length);
          row.forEach((u, t) => assert.equal(g.distances?.[g.offsets[v] + t], ref[v].get(u)));
        }
      }),
      { seed: 5101, numRuns: 300 },
    );
  });

  void it('is built row range by row range, in any order (as the pool builds it), with the repeats counted', () => {
    fc.assert(
      fc.property(edgeCase, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }), ({ n, edges, eps }, cuts) => {
        const list = { i: Uint32Array.from(edges, (e) => e[0]), j: Uint32Array.from(edges, (e) => e[1]), similarity: Float32Array.from(edges, (e) => 1 - e[2] / 10) };
        const bounds = [0, ...cuts.map((c) => Math.floor(c * n)).sort((a, b) => a - b), n];
        const ranges = bounds.slice(1).map((to, t) => [bounds[t], to] as const).reverse();
        const offsets = new Int32Array(n + 1);
        let entries = 0;
        for (const [from, to] of ranges) entries += countRows(n, list, from, to, offsets, { eps: eps === undefined ? undefined : eps / 10 + 1e-6 });
        for (let v = 0; v < n; v++) offsets[v + 1] += offsets[v];
        assert.equal(offsets[n], entries);
        const pieces = { n, offsets, neighbours: new Int32Array(entries), distances: new Float32Array(entries) };
        let repeated = 0;
        for (const [from, to] of ranges) repeated += fillRows(list, from, to, pieces, { eps: eps === undefined ? undefined : eps / 10 + 1e-6 });
        // The same edges with the distances a Float32Array of 1 − similarity holds.
        const distance = new Float32Array(list.similarity.length);
        for (let e = 0; e < distance.length; e++) distance[e] = 1 - list.similarity[e];
        const whole = buildNeighbourGraph(n, { i: list.i, j: list.j, distance }, { eps: eps === undefined ? undefined : eps / 10 + 1e-6 });
        assert.equal(repeated, entries - whole.neighbours.length, 'every entry beyond the deduplicated graph is a repeat');
        if (repeated === 0) {
          assert.deepEqual([...pieces.offsets], [...whole.offsets]);
          assert.deepEqual([...pieces.neighbours], [...whole.neighbours]);
          assert.deepEqual([...pieces.distances], [...(whole.distances as Float32Array)]);
        }
        assert.deepEqual(buildNeighbourGraph(n, list, { eps: eps === undefined ? undefined : eps / 10 + 1e-6 }), whole, 'similarities or their distances: one graph');
      }),
      { seed: 5102, numRuns: 300 },
    );
  });

  void it('from pairs sorted by (i, j), as range queries list them (one pass, not two sorts): the same graph, built whole or by row ranges', () => {
    fc.assert(
      fc.property(edgeCase, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }), fc.boolean(), ({ n, edges, eps }, cuts, withDistance) => {
        // Distinct pairs, smaller end first, ascending: the sorted list fillRows takes in one pass.
        const byPair = new Map<number, [number, number, number]>();
        for (const [a, b, d] of edges) if (a !== b) byPair.set(Math.min(a, b) * 64 + Math.max(a, b), [Math.min(a, b), Math.max(a, b), d]);
        const sorted = [...byPair.entries()].sort((x, y) => x[0] - y[0]).map(([, e]) => e);
        const list = { i: Uint32Array.from(sorted, (e) => e[0]), j: Uint32Array.from(sorted, (e) => e[1]), ...(withDistance ? { distance: Float32Array.from(sorted, (e) => e[2]) } : {}) };
        const cut = withDistance ? eps : undefined;
        const g = buildNeighbourGraph(n, list, { eps: cut });
        const ref = referenceGraph(n, sorted, cut);
        for (let v = 0; v < n; v++) {
          const row = [...g.neighbours.subarray(g.offsets[v], g.offsets[v + 1])];
          assert.deepEqual(row, [...ref[v].keys()].sort((a, b) => a - b));
          if (withDistance) row.forEach((u, t) => assert.equal(g.distances?.[g.offsets[v] + t], ref[v].get(u)));
        }
        const bounds = [0, ...cuts.map((c) => Math.floor(c * n)).sort((a, b) => a - b), n];
        const ranges = bounds.slice(1).map((to, t) => [bounds[t], to] as const).reverse();
        const offsets = new Int32Array(n + 1);
        for (const [from, to] of ranges) countRows(n, list, from, to, offsets, { eps: cut });
        for (let v = 0; v < n; v++) offsets[v + 1] += offsets[v];
        const pieces = { n, offsets, neighbours: new Int32Array(offsets[n]), ...(withDistance ? { distances: new Float32Array(offsets[n]) } : {}) };
        for (const [from, to] of ranges) assert.equal(fillRows(list, from, to, pieces, { eps: cut }), 0);
        assert.deepEqual(pieces, g);
      }),
      { seed: 5103, numRuns: 300 },
    );
  });

  void it('works without distances and rejects bad input', () => {
    const g = buildNeighbourGraph(4, { i: Uint32Array.of(0, 1, 1, 3), j: Uint32Array.of(1, 0, 2, 3) });
    assert.deepEqual([...g.offsets], [0, 1, 3, 4, 4]);
    assert.deepEqual([...g.neighbours], [1, 0, 2, 1]);
    assert.equal(g.distances, undefined);
    assert.throws(() => buildNeighbourGraph(2, { i: Uint32Array.of(0), j: Uint32Array.of(2) }), RangeError);
    assert.throws(() => buildNeighbourGraph(2, { i: Uint32Array.of(0), j: Uint32Array.of(1) }, { eps: 1 }), RangeError);
    assert.throws(() => buildNeighbourGraph(2, { i: Uint32Array.of(0, 1), j: Uint32Array.of(1) }), RangeError);
  });

  void it('nearestInGraph: the edges among either end\'s k nearest (ties included), each once, i < j', () => {
    fc.assert(
      fc.property(edgeCase, fc.integer({ min: 1, max: 4 }), ({ n, edges }, k) => {
        const g = buildNeighbourGraph(n, { i: Uint32Array.from(edges.map((e) => e[0])), j: Uint32Array.from(edges.map((e) => e[1])), distance: Float32Array.from(edges.map((e) => e[2])) });
        const ref = referenceGraph(n, edges);
        const kth = ref.map((row) => [...row.values()].sort((a, b) => a - b)[k - 1] ?? Infinity);
        const want = new Map<string, number>();
        for (let v = 0; v < n; v++) {
          for (const [u, d] of ref[v]) if (v < u && (d <= kth[v] || d <= kth[u])) want.set(`${v},${u}`, d);
        }
        const got = nearestInGraph(g, k);
        const pairs = Array.from(got.i, (a, t) => `${a},${got.j[t]}`);
        assert.ok(Array.from(got.i).every((a, t) => a < got.j[t]), 'i < j');
        assert.equal(new Set(pairs).size, pairs.length, 'each pair once');
        assert.deepEqual(new Map(pairs.map((key, t) => [key, got.distance[t]])), want);
      }),
      { seed: 5102, numRuns: 300 },
    );
    assert.throws(() => nearestInGraph(buildNeighbourGraph(2, { i: Uint32Array.of(0), j: Uint32Array.of(1) }), 1), RangeError);
    assert.throws(() => nearestInGraph(buildNeighbourGraph(2, { i: Uint32Array.of(0), j: Uint32Array.of(1), distance: Float32Array.of(1) }), 0), RangeError);
  });
});
