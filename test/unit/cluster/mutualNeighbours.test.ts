/**
 * Mutual-nearest-neighbour refinement (engine/cluster/mutualNeighbours.ts) against a plain
 * reference on random weighted graphs whose similarities come from a small set (many ties):
 * an edge (a, b) is kept when its similarity is ≥ strong, or when fewer than m of a's neighbours
 * are strictly more similar to a than b is, and the same from b's side.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { dbscanGraph } from '../../../server/engine/cluster/dbscan';
import { buildNeighbourGraph, type EdgeList, type NeighbourGraph } from '../../../server/engine/cluster/graph';
import { keptSubgraph, markKeptEntries, mutualNeighbourEdges, mutualNeighbourGraph, mutualNeighbourSubgraph, similarityCutoffs } from '../../../server/engine/cluster/mutualNeighbours';

interface WeightedGraph {
  n: number;
  /** Undirected edges a < b, each once, with a similarity. */
  edges: { a: number; b: number; s: number }[];
}

/** Random simple graphs; similarities from a few levels so that ties are common. */
const weightedGraph: fc.Arbitrary<WeightedGraph> = fc
  .record({
    n: fc.integer({ min: 1, max: 24 }),
    density: fc.double({ min: 0.05, max: 1, noNaN: true }),
    levels: fc.integer({ min: 1, max: 6 }),
    seed: fc.nat(),
  })
  .chain(({ n, density, levels }) => {
    const slots: [number, number][] = [];
    for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) slots.push([a, b]);
    return fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: levels - 1 })), { minLength: slots.length, maxLength: slots.length }).map((draws) => ({
      n,
      edges: slots.flatMap(([a, b], t) => (draws[t][0] < density ? [{ a, b, s: 0.9 + draws[t][1] / 100 }] : [])),
    }));
  });

function csrOf(g: WeightedGraph): { graph: NeighbourGraph; similarity: Float64Array } {
  const edges: EdgeList = {
    i: Uint32Array.from(g.edges, (e) => e.a),
    j: Uint32Array.from(g.edges, (e) => e.b),
    distance: Float64Array.from(g.edges, (e) => 1 - e.s),
  };
  const graph = buildNeighbourGraph(g.n, edges);
  const sim = new Map(g.edges.map((e) => [`${e.a},${e.b}`, e.s]));
  const similarity = new Float64Array(graph.neighbours.length);
  for (let v = 0; v < g.n; v++) {
    for (let e = graph.offsets[v]; e < graph.offsets[v + 1]; e++) {
      const u = graph.neighbours[e];
      similarity[e] = sim.get(v < u ? `${v},${u}` : `${u},${v}`) as number;
    }
  }
  return { graph, similarity };
}

/**
 * The reference: the kept edges as sorted "a,b" strings (a < b). With `shared` J > 0 an edge is
 * also kept when the closed neighbourhoods of its ends (each vertex with its neighbours, as sets)
 * have a Jaccard index ≥ J.
 */
function referenceKept(g: WeightedGraph, m: number, strong: number, shared = 0): string[] {
  const nbrs: { u: number; s: number }[][] = Array.from({ length: g.n }, () => []);
  for (const e of g.edges) {
    nbrs[e.a].push({ u: e.b, s: e.s });
    nbrs[e.b].push({ u: e.a, s: e.s });
  }
  const takes = (v: number, s: number) => nbrs[v].filter((x) => x.s > s).length < m;
  const closed = (v: number) => new Set([v, ...nbrs[v].map((x) => x.u)]);
  const jaccard = (a: number, b: number) => {
    const A = closed(a);
    const B = closed(b);
    const common = [...A].filter((x) => B.has(x)).length;
    return common / (A.size + B.size - common);
  };
  return g.edges
    .filter((e) => e.s >= strong || (takes(e.a, e.s) && takes(e.b, e.s)) || (shared > 0 && jaccard(e.a, e.b) >= shared))
    .map((e) => `${e.a},${e.b}`)
    .sort();
}

function keptOf(list: EdgeList): string[] {
  const out: string[] = [];
  for (let t = 0; t < list.i.length; t++) {
    assert.ok(list.i[t] < list.j[t], 'each kept edge once, a < b');
    out.push(`${list.i[t]},${list.j[t]}`);
  }
  return out.sort();
}

const RUNS = { seed: 0x6e16b0, numRuns: 400 } as const;

void describe('mutualNeighbourEdges', () => {
  void test('equals the reference on random weighted graphs with ties', () => {
    fc.assert(
      fc.property(weightedGraph, fc.integer({ min: 1, max: 8 }), fc.constantFrom(Infinity, 0.92, 0.94, 0.97), (g, m, strong) => {
        const { graph, similarity } = csrOf(g);
        const got = keptOf(mutualNeighbourEdges(graph, strong === Infinity ? { neighbours: m } : { neighbours: m, strongSimilarity: strong }, similarity));
        assert.deepEqual(got, referenceKept(g, m, strong));
      }),
      RUNS,
    );
  });

  void test('equals the reference with an m on either side of 32 (the cutoffs kept in a buffer, or a sort), on dense graphs', () => {
    let seed = 11;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (const n of [70, 90]) {
      const g: WeightedGraph = { n, edges: [] };
      for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) if (rand() < 0.8) g.edges.push({ a, b, s: 0.9 + Math.floor(rand() * 40) / 1000 });
      const { graph, similarity } = csrOf(g);
      for (const m of [3, 31, 32, 33, 45]) assert.deepEqual(keptOf(mutualNeighbourEdges(graph, { neighbours: m }, similarity)), referenceKept(g, m, Infinity), `n ${n}, m ${m}`);
    }
  });

  void test('strong links are always kept, and the result is a subset of the edges', () => {
    fc.assert(
      fc.property(weightedGraph, fc.integer({ min: 1, max: 4 }), (g, m) => {
        const { graph, similarity } = csrOf(g);
        const kept = new Set(keptOf(mutualNeighbourEdges(graph, { neighbours: m, strongSimilarity: 0.93 }, similarity)));
        const all = new Set(g.edges.map((e) => `${e.a},${e.b}`));
        for (const k of kept) assert.ok(all.has(k), `kept ${k} is an edge`);
        for (const e of g.edges) if (e.s >= 0.93) assert.ok(kept.has(`${e.a},${e.b}`), `strong edge ${e.a}-${e.b} (${e.s}) kept`);
      }),
      RUNS,
    );
  });

  void test('m at least every degree keeps every edge', () => {
    fc.assert(
      fc.property(weightedGraph, fc.nat({ max: 3 }), (g, extra) => {
        const { graph, similarity } = csrOf(g);
        let maxDegree = 0;
        for (let v = 0; v < g.n; v++) maxDegree = Math.max(maxDegree, graph.offsets[v + 1] - graph.offsets[v]);
        const kept = keptOf(mutualNeighbourEdges(graph, { neighbours: Math.max(1, maxDegree + extra) }, similarity));
        assert.deepEqual(kept, g.edges.map((e) => `${e.a},${e.b}`).sort());
      }),
      RUNS,
    );
  });

  void test('a weak bridge between two cliques is cut; DBSCAN then finds two clusters instead of one', () => {
    // Cliques {0..4} and {5..9} at 0.97 inside; one bridge 4–5 at 0.94.
    const edges: { a: number; b: number; s: number }[] = [];
    for (const base of [0, 5]) for (let a = base; a < base + 5; a++) for (let b = a + 1; b < base + 5; b++) edges.push({ a, b, s: 0.97 });
    edges.push({ a: 4, b: 5, s: 0.94 });
    const g = { n: 10, edges };
    const { graph, similarity } = csrOf(g);
    assert.deepEqual(Array.from(dbscanGraph(graph, 2)), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 'raw ε-graph: one chained cluster');

    const kept = mutualNeighbourEdges(graph, { neighbours: 3, strongSimilarity: 0.98 }, similarity);
    const keptSet = keptOf(kept);
    assert.ok(!keptSet.includes('4,5'), 'the bridge is cut');
    assert.equal(keptSet.length, 20, 'every clique edge stays');
    assert.deepEqual(Array.from(dbscanGraph(buildNeighbourGraph(10, kept), 2)), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);

    // A near-duplicate bridge is trusted whatever the ranks.
    const strongBridge = edges.map((e) => (e.a === 4 && e.b === 5 ? { ...e, s: 0.99 } : e));
    const s = csrOf({ n: 10, edges: strongBridge });
    assert.ok(keptOf(mutualNeighbourEdges(s.graph, { neighbours: 3, strongSimilarity: 0.98 }, s.similarity)).includes('4,5'));
    // With m = 5 the bridge is among both ends' 5 nearest (4 clique mates + the bridge): kept.
    assert.ok(keptOf(mutualNeighbourEdges(graph, { neighbours: 5 }, similarity)).includes('4,5'));
  });

  void test('sharedNeighbours J also keeps the edges whose ends share ≥ J of their closed neighbourhoods (reference), and only adds edges', () => {
    fc.assert(
      fc.property(weightedGraph, fc.integer({ min: 1, max: 6 }), fc.constantFrom(Infinity, 0.94), fc.constantFrom(0.2, 0.5, 0.7, 1), (g, m, strong, shared) => {
        const { graph, similarity } = csrOf(g);
        const base = strong === Infinity ? { neighbours: m } : { neighbours: m, strongSimilarity: strong };
        const got = keptOf(mutualNeighbourEdges(graph, { ...base, sharedNeighbours: shared }, similarity));
        assert.deepEqual(got, referenceKept(g, m, strong, shared));
        const without = keptOf(mutualNeighbourEdges(graph, base, similarity));
        assert.ok(without.every((e) => got.includes(e)), 'every edge of the mutual rule stays');
      }),
      RUNS,
    );
  });

  void test('a genus of two species stays one cluster with the shared rule, which the mutual rule alone cuts; a bridge between two groups is still cut', () => {
    // Twelve records of one genus, every pair linked (one clique of the ε-graph): two species
    // {0..5} and {6..11} at 0.97 inside, 0.91 across. Each record's 3 nearest are its species.
    const genus: { a: number; b: number; s: number }[] = [];
    for (let a = 0; a < 12; a++) for (let b = a + 1; b < 12; b++) genus.push({ a, b, s: a < 6 === b < 6 ? 0.97 : 0.91 });
    const g = csrOf({ n: 12, edges: genus });
    const mutualOnly = mutualNeighbourEdges(g.graph, { neighbours: 3, strongSimilarity: 0.98 }, g.similarity);
    assert.deepEqual(Array.from(dbscanGraph(buildNeighbourGraph(12, mutualOnly), 2)), [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1], 'mutual 3-NN: cut by species');
    const withShared = mutualNeighbourEdges(g.graph, { neighbours: 3, strongSimilarity: 0.98, sharedNeighbours: 0.7 }, g.similarity);
    assert.equal(keptOf(withShared).length, 66, 'every link of the clique: both ends share all 12 records');
    assert.deepEqual(Array.from(dbscanGraph(buildNeighbourGraph(12, withShared), 2)), new Array<number>(12).fill(0));
    // Two cliques {0..4}, {5..9} and a bridge 4–5: its ends share 2 of 10 records.
    const edges: { a: number; b: number; s: number }[] = [];
    for (const base of [0, 5]) for (let a = base; a < base + 5; a++) for (let b = a + 1; b < base + 5; b++) edges.push({ a, b, s: 0.97 });
    edges.push({ a: 4, b: 5, s: 0.94 });
    const two = csrOf({ n: 10, edges });
    assert.ok(!keptOf(mutualNeighbourEdges(two.graph, { neighbours: 3, sharedNeighbours: 0.7 }, two.similarity)).includes('4,5'), 'the bridge is cut');
    // The subgraph filter (the sequence path) agrees.
    const sub = mutualNeighbourSubgraph(g.graph, { neighbours: 3, strongSimilarity: 0.98, sharedNeighbours: 0.7 }, (d) => 1 - d);
    assert.equal(sub.neighbours.length, 2 * 66);
  });

  void test('ties at the m-th similarity are all kept', () => {
    // A star: centre 0 with four leaves at the same similarity; m = 1 keeps all four (all tie for first).
    const g = { n: 5, edges: [1, 2, 3, 4].map((b) => ({ a: 0, b, s: 0.95 })) };
    const { graph, similarity } = csrOf(g);
    assert.equal(keptOf(mutualNeighbourEdges(graph, { neighbours: 1 }, similarity)).length, 4);
  });

  void test('rejects a non-positive or fractional m', () => {
    const { graph, similarity } = csrOf({ n: 2, edges: [{ a: 0, b: 1, s: 0.95 }] });
    for (const m of [0, -1, 1.5, NaN]) assert.throws(() => mutualNeighbourEdges(graph, { neighbours: m }, similarity), RangeError);
    for (const j of [-0.1, 1.5, NaN]) assert.throws(() => mutualNeighbourEdges(graph, { neighbours: 1, sharedNeighbours: j }, similarity), /sharedNeighbours must be a fraction/);
  });
});

void describe('mutualNeighbourSubgraph', () => {
  void test('is the graph mutualNeighbourGraph rebuilds, on graphs with repeated and reversed edges, with and without the shared rule', () => {
    fc.assert(
      fc.property(weightedGraph, fc.integer({ min: 1, max: 8 }), fc.constantFrom(Infinity, 0.92, 0.94, 0.97), fc.nat(), (g, m, strong, seed) => {
        // Each edge once or twice, in either orientation, the copy at a larger distance (dropped by the build).
        const list = g.edges.flatMap((e, k) => ((seed >> k % 30) & 1 ? [[e.a, e.b, 1 - e.s], [e.b, e.a, 1 - e.s + 0.01]] : [[e.b, e.a, 1 - e.s]]));
        const graph = buildNeighbourGraph(g.n, { i: Uint32Array.from(list, (x) => x[0]!), j: Uint32Array.from(list, (x) => x[1]!), distance: Float32Array.from(list, (x) => x[2]!) });
        const options = { ...(strong === Infinity ? { neighbours: m } : { neighbours: m, strongSimilarity: strong }), ...(seed % 3 === 0 ? {} : { sharedNeighbours: seed % 3 === 1 ? 0.5 : 0.7 }) };
        const rebuilt = mutualNeighbourGraph(graph, options, (d) => 1 - d);
        const filtered = mutualNeighbourSubgraph(graph, options, (d) => 1 - d);
        assert.deepEqual([...filtered.offsets], [...rebuilt.offsets]);
        assert.deepEqual([...filtered.neighbours], [...rebuilt.neighbours]);
        assert.equal(filtered.distances, undefined);
      }),
      RUNS,
    );
  });

  void test('marked by disjoint row ranges in any order (as the pool does it), is the same graph', () => {
    fc.assert(
      fc.property(weightedGraph, fc.integer({ min: 1, max: 8 }), fc.constantFrom(Infinity, 0.94), fc.constantFrom(0, 0.5, 0.7), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }), (g, m, strong, shared, cuts) => {
        const { graph } = csrOf(g);
        const options = { neighbours: m, ...(strong === Infinity ? {} : { strongSimilarity: strong }), ...(shared > 0 ? { sharedNeighbours: shared } : {}) };
        const similarity = (e: number): number => Math.fround(1 - (graph.distances as Float64Array)[e]);
        const bounds = [0, ...cuts.map((c) => Math.floor(c * g.n)).sort((a, b) => a - b), g.n];
        const ranges = bounds.slice(1).map((to, t) => [bounds[t], to] as const).reverse();
        const cutoff = new Float64Array(g.n);
        for (const [from, to] of ranges) similarityCutoffs(graph, m, similarity, from, to, cutoff);
        const kept = { mutual: new Uint8Array(graph.neighbours.length), shared: new Uint8Array(graph.neighbours.length) };
        for (const [from, to] of ranges) markKeptEntries(graph, options, similarity, cutoff, from, to, kept);
        const pieces = keptSubgraph(graph, kept);
        const whole = mutualNeighbourSubgraph(graph, options, (d) => 1 - d);
        assert.deepEqual([...pieces.offsets], [...whole.offsets]);
        assert.deepEqual([...pieces.neighbours], [...whole.neighbours]);
        // Each edge's two entries agree.
        for (let a = 0; a < g.n; a++) {
          for (let e = graph.offsets[a]; e < graph.offsets[a + 1]; e++) {
            const b = graph.neighbours[e];
            const mirror = graph.offsets[b] + [...graph.neighbours.subarray(graph.offsets[b], graph.offsets[b + 1])].indexOf(a);
            assert.equal(kept.mutual[e] | kept.shared[e], kept.mutual[mirror] | kept.shared[mirror]);
          }
        }
      }),
      RUNS,
    );
  });

  void test('needs distances and a positive integer m', () => {
    const graph = buildNeighbourGraph(2, { i: Uint32Array.of(0), j: Uint32Array.of(1), distance: Float32Array.of(0.05) });
    for (const m of [0, 1.5]) assert.throws(() => mutualNeighbourSubgraph(graph, { neighbours: m }, (d) => 1 - d), RangeError);
    assert.throws(() => mutualNeighbourSubgraph(buildNeighbourGraph(2, { i: Uint32Array.of(0), j: Uint32Array.of(1) }), { neighbours: 1 }, (d) => 1 - d), RangeError);
  });
});
