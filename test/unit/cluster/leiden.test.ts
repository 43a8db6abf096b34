/**
 * leiden: planted partitions recovered exactly, weights decide where edges alone do not,
 * communities always connected (Leiden's guarantee, which Louvain lacks), modularity against the
 * plain pair-sum formula, seeded determinism and the label conventions of dbscan.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildNeighbourGraph } from '../../../server/engine/cluster/graph';
import { cpmQuality, leiden, modularity, type WeightedGraph } from '../../../server/engine/cluster/leiden';
import { adjustedRandIndex } from '../../../server/engine/eval/clustering';
import { mulberry32, type Rng } from '../features/rng';

/** CSR graph from undirected weighted edges (each pair once). */
function graphOf(n: number, edges: readonly [number, number, number][]): WeightedGraph {
  const g = buildNeighbourGraph(n, { i: Uint32Array.from(edges, (e) => e[0]), j: Uint32Array.from(edges, (e) => e[1]), distance: Float64Array.from(edges, (e) => e[2]) });
  return { n, offsets: g.offsets, neighbours: g.neighbours, weights: g.distances! };
}

/** Stochastic block model: `groups` blocks of `size`, edge probability pIn inside a block, pOut across. */
function plantedPartition(rng: Rng, groups: number, size: number, pIn: number, pOut: number): { graph: WeightedGraph; truth: number[] } {
  const n = groups * size;
  const truth = Array.from({ length: n }, (_, v) => Math.floor(v / size));
  const edges: [number, number, number][] = [];
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) if (rng() < (truth[a] === truth[b] ? pIn : pOut)) edges.push([a, b, 1]);
  return { graph: graphOf(n, edges), truth };
}

/** Q by its definition: (1/2m) Σ_ij [A_ij − γ k_i k_j / 2m] δ(c_i, c_j). */
function pairSumModularity(g: WeightedGraph, labels: Int32Array, gamma: number): number {
  const A = Array.from({ length: g.n }, () => new Float64Array(g.n));
  const k = new Float64Array(g.n);
  for (let v = 0; v < g.n; v++) {
    for (let e = g.offsets[v]; e < g.offsets[v + 1]; e++) {
      A[v][g.neighbours[e]] += g.weights[e];
      k[v] += g.weights[e];
    }
  }
  let twoM = 0;
  for (let v = 0; v < g.n; v++) twoM += k[v];
  let q = 0;
  for (let i = 0; i < g.n; i++) for (let j = 0; j < g.n; j++) if (labels[i] === labels[j]) q += A[i][j] - (gamma * k[i] * k[j]) / twoM;
  return q / twoM;
}

/** True when every community induces a connected subgraph. */
function communitiesConnected(g: WeightedGraph, labels: Int32Array): boolean {
  const seen = new Uint8Array(g.n);
  const rootSeen = new Set<number>();
  for (let s = 0; s < g.n; s++) {
    if (seen[s]) continue;
    if (rootSeen.has(labels[s])) return false; // a second piece of a community already met
    rootSeen.add(labels[s]);
    const stack = [s];
    seen[s] = 1;
    while (stack.length > 0) {
      const v = stack.pop()!;
      for (let e = g.offsets[v]; e < g.offsets[v + 1]; e++) {
        const u = g.neighbours[e];
        if (!seen[u] && labels[u] === labels[v]) {
          seen[u] = 1;
          stack.push(u);
        }
      }
    }
  }
  return true;
}

void describe('leiden', () => {
  void it('recovers planted partitions exactly (4 × 50, p_in 0.3, p_out 0.01; 8 × 25, p_in 0.5, p_out 0.02)', () => {
    for (const [groups, size, pIn, pOut, seed] of [[4, 50, 0.3, 0.01, 1], [8, 25, 0.5, 0.02, 2]] as const) {
      const { graph, truth } = plantedPartition(mulberry32(seed), groups, size, pIn, pOut);
      const r = leiden(graph, { seed: 3 });
      assert.equal(r.communities, groups);
      assert.equal(adjustedRandIndex(truth, Array.from(r.labels)), 1);
      const truthQ = modularity(graph, Int32Array.from(truth));
      assert.ok(r.quality >= truthQ - 1e-12, `found Q ${r.quality}, planted Q ${truthQ}`);
    }
  });

  void it('two cliques joined by one edge are two communities; a ring of cliques is one per clique (no resolution-limit merge at 12 cliques)', () => {
    const edges: [number, number, number][] = [];
    const clique = (from: number, size: number) => {
      for (let a = from; a < from + size; a++) for (let b = a + 1; b < from + size; b++) edges.push([a, b, 1]);
    };
    clique(0, 6);
    clique(6, 6);
    edges.push([5, 6, 1]);
    assert.deepEqual(Array.from(leiden(graphOf(12, edges)).labels), [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    edges.length = 0;
    for (let c = 0; c < 12; c++) {
      clique(c * 5, 5);
      edges.push([c * 5 + 4, ((c + 1) % 12) * 5, 1]);
    }
    const ring = leiden(graphOf(60, edges)).labels;
    assert.deepEqual(Array.from(ring), Array.from({ length: 60 }, (_, v) => Math.floor(v / 5)));
  });

  void it('weights decide where the edges alone do not: a ring of 8 with heavy links in pairs (1,2), (3,4), …', () => {
    const edges: [number, number, number][] = [];
    for (let v = 0; v < 8; v++) edges.push([v, (v + 1) % 8, v % 2 === 1 ? 10 : 0.1]);
    const labels = Array.from(leiden(graphOf(8, edges)).labels);
    // Pairs {1,2}, {3,4}, {5,6}, {7,0}; numbered by smallest vertex: {0,7} is 0, {1,2} is 1, ...
    assert.deepEqual(labels, [0, 1, 1, 2, 2, 3, 3, 0]);
  });

  void it('a larger resolution gives more communities, a smaller fewer', () => {
    const { graph } = plantedPartition(mulberry32(5), 6, 30, 0.25, 0.03);
    const counts = [0.2, 1, 4].map((gamma) => leiden(graph, { resolution: gamma }).communities);
    assert.ok(counts[0] <= counts[1] && counts[1] <= counts[2] && counts[0] < counts[2], `communities at γ 0.2, 1, 4: ${counts}`);
  });

  void it('seeded: the same seed gives the same labels; labels are numbered by smallest vertex', () => {
    const { graph } = plantedPartition(mulberry32(9), 5, 40, 0.15, 0.05);
    const a = leiden(graph, { seed: 11 }).labels;
    assert.deepEqual(Array.from(leiden(graph, { seed: 11 }).labels), Array.from(a));
    let next = 0;
    for (const c of a) {
      assert.ok(c <= next, `label ${c} before ${next}`);
      if (c === next) next++;
    }
  });

  void it('on random graphs: every community is connected, Q equals the pair-sum formula and is ≥ 0 (the all-singletons value is ≤ 0)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.double({ min: 0.02, max: 0.5, noNaN: true }), fc.integer({ min: 0, max: 1e6 }), fc.constantFrom(0.5, 1, 2), (n, p, seed, gamma) => {
        const rng = mulberry32(seed);
        const edges: [number, number, number][] = [];
        for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) if (rng() < p) edges.push([a, b, 0.1 + rng()]);
        const g = graphOf(n, edges);
        const r = leiden(g, { seed, resolution: gamma });
        assert.ok(communitiesConnected(g, r.labels), 'a community falls apart');
        if (edges.length === 0) return assert.equal(r.communities, n);
        const q = pairSumModularity(g, r.labels, gamma);
        assert.ok(Math.abs(r.quality - q) < 1e-9, `Q ${r.quality} vs ${q}`);
        assert.ok(r.quality >= pairSumModularity(g, Int32Array.from({ length: n }, (_, v) => v), gamma) - 1e-12);
      }),
      { numRuns: 150, seed: 18 },
    );
  });

  void it('CPM cuts inside small components where modularity cannot: 30 components of two 5-cliques joined by one edge', () => {
    const edges: [number, number, number][] = [];
    for (let c = 0; c < 30; c++) {
      for (const from of [c * 10, c * 10 + 5]) for (let a = from; a < from + 5; a++) for (let b = a + 1; b < from + 5; b++) edges.push([a, b, 1]);
      edges.push([c * 10 + 4, c * 10 + 5, 1]);
    }
    const g = graphOf(300, edges);
    // Modularity's expectation γ k_i k_j / 2m is set by the whole graph: tiny for one component, so it keeps each whole.
    assert.equal(leiden(g).communities, 30);
    const cpm = leiden(g, { quality: 'cpm', resolution: 0.5 });
    assert.deepEqual(Array.from(cpm.labels), Array.from({ length: 300 }, (_, v) => Math.floor(v / 5)));
    assert.equal(cpm.quality, cpmQuality(g, cpm.labels, 0.5));
    assert.equal(cpm.quality, 60 * (10 - 0.5 * 12.5));
    // Vertex weights count as records: a vertex standing for many copies needs more links to join.
    const heavy = Float64Array.from({ length: 300 }, (_, v) => (v % 10 === 0 ? 20 : 1));
    const weighted = leiden(g, { quality: 'cpm', resolution: 0.5, vertexWeights: heavy }).labels;
    assert.notEqual(weighted[0], weighted[1], 'a vertex of weight 20 with 4 links stays apart at γ 0.5');
    assert.throws(() => leiden(g, { quality: 'cpm', vertexWeights: new Float64Array(3) }), /vertexWeights/);
  });

  void it('no edges: every vertex alone; bad input and options are refused by name', () => {
    assert.deepEqual(Array.from(leiden(graphOf(3, [])).labels), [0, 1, 2]);
    assert.equal(leiden(graphOf(0, [])).communities, 0);
    const g = graphOf(3, [[0, 1, 1]]);
    assert.throws(() => leiden(g, { resolution: 0 }), /resolution/);
    assert.throws(() => leiden(g, { iterations: 0 }), /iterations/);
    assert.throws(() => leiden({ ...g, weights: Float64Array.of(1, -1) }), /weight/);
    assert.throws(() => leiden({ n: 3, offsets: Int32Array.of(0, 1, 1), neighbours: Int32Array.of(1), weights: Float64Array.of(1) }), /offsets/);
  });
});
