/**
 * The clustering stage's graph work on every worker (issue 15). After verification, one task
 * built the CSR graph of the verified pairs, refined it (mutual and shared neighbours) and ran
 * DBSCAN: on BioMarKs50k (0.9 M pairs) 0.25–0.4 s on one thread, at 500,000 records (12.9 M
 * pairs) 5–5.5 s, which past a few cores becomes the longest stage of the run. On 2 workers:
 * ~0.15 s and 3.4 s. Here the graph is built and refined by row ranges, each task writing
 * only its own rows of shared arrays (engine/cluster/graph.ts fillRows, mutualNeighbours.ts
 * markKeptEntries), in rounds that each need the last one whole:
 *   1. `graphRowCounts`: each row's length; the host sums them into the offsets (O(n));
 *   2. `graphRows`: the rows, sorted, and each row's mutual-neighbour cutoff;
 *   3. `graphKeep`: which entries the refinement keeps (it reads the other rows' cutoffs);
 *   4. `clusterBuiltGraph` (one task): the kept graph, DBSCAN and the medoids — linear passes
 *      (~35 ms at 50k records, ~0.9 s at 500k), or greedy / Leiden, sequential by nature.
 * The result is the one task's exactly: the same graph, rows and all. Where verification left a
 * pair twice (the rows then hold repeats to merge), and for graphs too small to pay for the
 * rounds, the one `graphCluster` task runs instead.
 */
import { refinementFor, type KeptEntries, type MutualNeighbourOptions } from '../engine/cluster/mutualNeighbours';
import type { WorkerPool } from './pool';
import { sharedBuffer } from '../worker/mappedMemory';
import type { GraphClusterPayload, GraphClusterResult, RowRange, SharedGraph, VerifiedEdges } from '../worker/tasks/graphCluster';

/** Below this many pairs one task builds and clusters (~25 ms at 100,000): four rounds would not pay. */
export const PARALLEL_GRAPH_MIN_EDGES = 100_000;

export interface GraphInPoolOptions {
  signal?: AbortSignal;
  /** Pairs from which the graph is built by row ranges (default PARALLEL_GRAPH_MIN_EDGES). */
  minEdges?: number;
}

/** graphCluster's result for these verified pairs, the graph built and refined on every worker when it pays. */
export async function clusterGraphInPool(pool: WorkerPool, p: GraphClusterPayload, options: GraphInPoolOptions = {}): Promise<GraphClusterResult> {
  const { signal } = options;
  const shared = [p.i, p.j, p.similarity].every((a) => a.buffer instanceof SharedArrayBuffer);
  if (pool.size < 2 || p.i.length < (options.minEdges ?? PARALLEL_GRAPH_MIN_EDGES) || !shared) return pool.run('graphCluster', p, { signal });
  const built = await buildGraphInPool(pool, p, refinementFor(p.mode, p.mutualNeighbours), signal);
  if (!built) return pool.run('graphCluster', p, { signal });
  const { n: _n, i: _i, j: _j, similarity: _s, ...clusterOptions } = p; // the pairs stay here: the task gets the graph
  return pool.run('clusterBuiltGraph', { graph: built.graph, ...(built.kept ? { kept: built.kept } : {}), ...clusterOptions }, { signal });
}

/**
 * Rounds 1–3 of the file comment: the CSR graph of the pairs (edges in shared memory), as
 * buildNeighbourGraph builds it, in shared arrays, and with `refine` the entries the refinement
 * keeps. Undefined when a pair is there twice (the rows then need merging: build them in one task).
 */
export async function buildGraphInPool(pool: WorkerPool, edges: VerifiedEdges, refine: MutualNeighbourOptions | undefined, signal?: AbortSignal): Promise<{ graph: SharedGraph; kept?: KeptEntries } | undefined> {
  const { n, i, j, similarity } = edges;
  const pairs = { n, i, j, similarity }; // no other field of the caller's payload goes to every task
  const counts = new Int32Array(sharedBuffer((n + 1) * 4), 0, n + 1);
  const entries = (await Promise.all(evenRanges(n, pool.size).map((r) => pool.run('graphRowCounts', { ...pairs, ...r, counts }, { signal })))).reduce((s, c) => s + c, 0);
  if (entries > 0x7fffffff) throw new RangeError('too many edges for Int32 offsets');
  for (let v = 0; v < n; v++) counts[v + 1] += counts[v];
  const graph: SharedGraph = {
    n,
    offsets: counts,
    neighbours: new Int32Array(sharedBuffer(Math.max(1, entries) * 4), 0, entries),
    distances: new Float32Array(sharedBuffer(Math.max(1, entries) * 4), 0, entries),
  };
  const cutoffs = refine ? { neighbours: refine.neighbours, cutoff: new Float64Array(sharedBuffer(Math.max(1, n) * 8), 0, n) } : undefined;
  const repeated = await Promise.all(entryRanges(graph.offsets, pool.size).map((r) => pool.run('graphRows', { ...pairs, ...r, graph, ...(cutoffs ? { cutoffs } : {}) }, { signal })));
  if (repeated.some((r) => r > 0)) return undefined;
  if (!refine || !cutoffs) return { graph };
  const kept = { mutual: new Uint8Array(sharedBuffer(Math.max(1, entries)), 0, entries), shared: new Uint8Array(sharedBuffer(Math.max(1, entries)), 0, entries) };
  // Twice as many ranges as workers: the shared-neighbour tests cost unevenly across rows.
  await Promise.all(entryRanges(graph.offsets, pool.size * 2).map((r) => pool.run('graphKeep', { graph, ...r, mutualNeighbours: refine, cutoff: cutoffs.cutoff, kept }, { signal })));
  return { graph, kept };
}

/** `parts` ranges of 0..n of (nearly) equal length, none empty unless n is 0. */
function evenRanges(n: number, parts: number): RowRange[] {
  const k = Math.max(1, Math.min(parts, n));
  return Array.from({ length: k }, (_, t) => ({ from: Math.floor((t * n) / k), to: Math.floor(((t + 1) * n) / k) }));
}

/** Up to `parts` row ranges holding about as many CSR entries each (the rows' work). */
export function entryRanges(offsets: Int32Array, parts: number): RowRange[] {
  const n = offsets.length - 1;
  const total = offsets[n]!;
  const out: RowRange[] = [];
  let from = 0;
  for (let t = 1; t <= parts && from < n; t++) {
    let to = t === parts ? n : from;
    const target = (total * t) / parts;
    while (to < n && offsets[to + 1]! <= target) to++;
    if (to === from) to = from + 1;
    out.push({ from, to });
    from = to;
  }
  if (from < n) out[out.length - 1]!.to = n;
  return out;
}
