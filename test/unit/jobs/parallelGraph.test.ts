/**
 * The clustering graph built and refined by row ranges on every worker (jobs/parallelGraph.ts)
 * against the one `graphCluster` task, with real worker threads (the built dist/worker.js:
 * `node esbuild.mjs` first): the same CSR graph, the same kept entries, and the same labels,
 * representatives and identities in every mode — on graphs of groups linked by chance bridges,
 * so that the mutual and shared-neighbour rules both decide edges.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildNeighbourGraph } from '../../../server/engine/cluster/graph';
import { keptSubgraph, mutualNeighbourSubgraph } from '../../../server/engine/cluster/mutualNeighbours';
import { buildGraphInPool, clusterGraphInPool, entryRanges } from '../../../server/jobs/parallelGraph';
import { WorkerPool } from '../../../server/jobs/pool';
import type { GraphClusterPayload, GraphClusterResult } from '../../../server/worker/tasks/graphCluster';

const WORKER = path.resolve(__dirname, '../../../dist/worker.js');
const REFINE = { neighbours: 8, strongSimilarity: 0.98, sharedNeighbours: 0.7 };

let pools: WorkerPool[];
before(() => {
  pools = [2, 3].map((size) => new WorkerPool({ workerFile: WORKER, execArgv: [], size }));
});
after(async () => {
  await Promise.all(pools.map((p) => p.dispose()));
});

function shared<T extends Uint32Array | Float32Array>(Ctor: { new (b: SharedArrayBuffer): T }, values: ArrayLike<number>): T {
  const a = new Ctor(new SharedArrayBuffer(values.length * 4));
  a.set(values);
  return a;
}

/**
 * Groups of 5–60 records, each pair inside a group linked with probability 0.6 at identity
 * 0.95–1, and chance bridges between groups at 0.9–0.95; every pair once, in a shuffled order
 * and orientation (as verification lists them). `repeat` lists a few pairs twice.
 */
function groupedPairs(seed: number, n: number, repeat = false): { i: Uint32Array; j: Uint32Array; similarity: Float32Array } {
  let s = seed;
  const rand = (): number => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const pairs: [number, number, number][] = [];
  for (let start = 0; start < n; ) {
    const size = Math.min(n - start, 5 + Math.floor(rand() * 56));
    for (let a = start; a < start + size; a++) for (let b = a + 1; b < start + size; b++) if (rand() < 0.6) pairs.push([a, b, 0.95 + Math.floor(rand() * 50) / 1000]);
    start += size;
  }
  for (let t = 0; t < n / 2; t++) {
    const a = Math.floor(rand() * n);
    const b = Math.floor(rand() * n);
    if (Math.abs(a - b) > 60) pairs.push([a, b, 0.9 + Math.floor(rand() * 50) / 1000]);
  }
  if (repeat) for (let t = 0; t < 3; t++) pairs.push(pairs[Math.floor(rand() * pairs.length)]!);
  for (let t = pairs.length - 1; t > 0; t--) {
    const u = Math.floor(rand() * (t + 1));
    [pairs[t], pairs[u]] = [pairs[u]!, pairs[t]!];
  }
  const flip = pairs.map(() => rand() < 0.5);
  return {
    i: shared(Uint32Array, pairs.map(([a, b], t) => (flip[t] ? b : a))),
    j: shared(Uint32Array, pairs.map(([a, b], t) => (flip[t] ? a : b))),
    similarity: shared(Float32Array, pairs.map((p) => p[2])),
  };
}

function assertSameResult(got: GraphClusterResult, want: GraphClusterResult, what: string): void {
  assert.deepEqual(got.labels, want.labels, `${what}: labels`);
  assert.deepEqual(got.representative, want.representative, `${what}: representatives`);
  assert.deepEqual(got.identity, want.identity, `${what}: identities`);
  assert.equal(got.edgesUsed, want.edgesUsed, `${what}: edges used`);
}

void describe('the clustering graph on every worker', () => {
  void test('builds the graph buildNeighbourGraph builds, and keeps the entries the refinement keeps', async () => {
    for (const pool of pools) {
      for (const seed of [1, 2]) {
        const n = 2500;
        const pairs = { n, ...groupedPairs(seed, n) };
        const built = await buildGraphInPool(pool, pairs, REFINE);
        assert.ok(built, 'no pair repeats: built by row ranges');
        const whole = buildNeighbourGraph(n, pairs);
        assert.deepEqual(built.graph.offsets, whole.offsets);
        assert.deepEqual(built.graph.neighbours, whole.neighbours);
        assert.deepEqual(built.graph.distances, whole.distances);
        const refined = mutualNeighbourSubgraph(whole, REFINE, (d) => 1 - d);
        const kept = keptSubgraph(whole, built.kept!);
        assert.deepEqual(kept.offsets, refined.offsets);
        assert.deepEqual(kept.neighbours, refined.neighbours);
        assert.ok(refined.neighbours.length < whole.neighbours.length, 'the refinement drops bridges');
        assert.ok(built.kept!.shared.some((x) => x === 1), 'the shared-neighbour rule keeps some edges the mutual rule drops');
      }
    }
  });

  void test('clusters as the one graphCluster task does, in every mode', async () => {
    const n = 3000;
    const pairs = { n, ...groupedPairs(3, n) };
    const lengths = Int32Array.from({ length: n }, (_, v) => 1400 + ((v * 7919) % 200));
    const abundance = Int32Array.from({ length: n }, (_, v) => 1 + (v % 5));
    const weights = Int32Array.from({ length: n }, (_, v) => 1 + (v % 3));
    const cases: [string, GraphClusterPayload][] = [
      ['dbscan, mutual + shared neighbours', { ...pairs, minPts: 2, mutualNeighbours: REFINE }],
      ['dbscan, mutual neighbours, minPts 4, abundance', { ...pairs, minPts: 4, mutualNeighbours: { neighbours: 5 }, abundance }],
      ['dbscan, every link, weights', { ...pairs, minPts: 3, weights }],
      ['greedy', { ...pairs, minPts: 2, mode: 'greedy', lengths, abundance, mutualNeighbours: REFINE }],
      ['leiden', { ...pairs, minPts: 2, mode: 'leiden' }],
    ];
    for (const pool of pools) {
      for (const [what, payload] of cases) {
        const want = await pool.run('graphCluster', payload);
        assertSameResult(await clusterGraphInPool(pool, payload, { minEdges: 0 }), want, `${what}, ${pool.size} workers`);
      }
    }
  });

  void test('a pair listed twice: the one task builds and merges the rows, same result', async () => {
    const n = 2000;
    const pairs = { n, ...groupedPairs(4, n, true) };
    assert.equal(await buildGraphInPool(pools[0]!, pairs, REFINE), undefined);
    const payload = { ...pairs, minPts: 2, mutualNeighbours: REFINE };
    assertSameResult(await clusterGraphInPool(pools[0]!, payload, { minEdges: 0 }), await pools[0]!.run('graphCluster', payload), 'repeated pair');
  });

  void test('cancelled: rejects with a cancellation, the pool goes on', async () => {
    const n = 3000;
    const payload = { n, ...groupedPairs(5, n), minPts: 2, mutualNeighbours: REFINE };
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(clusterGraphInPool(pools[0]!, payload, { minEdges: 0, signal: controller.signal }), (e: unknown) => e instanceof Error && (e.name === 'CancelledError' || e.name === 'AbortError'));
    assertSameResult(await clusterGraphInPool(pools[0]!, payload, { minEdges: 0 }), await pools[0]!.run('graphCluster', payload), 'after a cancellation');
  });

  void test('row ranges by entries cover every row once, in order, none empty', () => {
    const offsets = Int32Array.from([0, 0, 0, 50, 50, 51, 52, 100, 100, 101]);
    for (const parts of [1, 2, 3, 4, 9, 20]) {
      const ranges = entryRanges(offsets, parts);
      assert.ok(ranges.length >= 1 && ranges.length <= parts);
      assert.equal(ranges[0]!.from, 0);
      assert.equal(ranges.at(-1)!.to, 9);
      ranges.forEach((r, t) => {
        assert.ok(r.to > r.from, `range ${t} is not empty`);
        if (t > 0) assert.equal(r.from, ranges[t - 1]!.to);
      });
    }
    assert.deepEqual(entryRanges(offsets, 2), [{ from: 0, to: 4 }, { from: 4, to: 9 }], '50 entries, then 51');
  });
});
