/**
 * Task `graphCluster`: verified edges → CSR neighbour graph → either (optional) mutual-neighbour
 * refinement → DBSCAN labels, or greedy centroids (engine/cluster/greedy) — then each cluster's
 * representative and the members' identities to it that the graph holds. O(n + edges) (greedy:
 * plus a sort of the records).
 *
 * The same work cut by rows for a pool (jobs/parallelGraph.ts), on a graph in shared memory:
 * `graphRowCounts` and `graphRows` build rows [from, to) (and their mutual-neighbour cutoffs),
 * `graphKeep` marks the entries of rows [from, to) that the refinement keeps, and
 * `clusterBuiltGraph` clusters the built graph as `graphCluster` does after its build.
 */
import { dbscanGraph, NOISE } from '../../engine/cluster/dbscan';
import { leiden } from '../../engine/cluster/leiden';
import { renumberClusters } from '../../engine/cluster/vectorClustering';
import type { DistanceArray, NeighbourGraph } from '../../engine/cluster/graph';
import { buildNeighbourGraph, countRows, fillRows } from '../../engine/cluster/graph';
import { greedyCentroids, greedyOrder } from '../../engine/cluster/greedy';
import { keptSubgraph, markKeptEntries, mutualNeighbourSubgraph, refinementFor, similarityCutoffs, type KeptEntries, type MutualNeighbourOptions } from '../../engine/cluster/mutualNeighbours';
import { graphMedoids } from '../../engine/cluster/representatives';
import type { TaskContext } from '../taskContext';

/** How the graph is clustered once built (every payload below but the row tasks'). */
export interface GraphClusterOptions {
  minPts: number;
  mutualNeighbours?: MutualNeighbourOptions;
  /** 'greedy': centroids in the order of `lengths` (and `abundance`); minPts and mutualNeighbours do not apply. Default 'dbscan'. */
  mode?: 'dbscan' | 'greedy' | 'leiden';
  /** Record lengths (greedy order). */
  lengths?: Int32Array;
  /** Record abundances (`;size=N`): the greedy order, and the medoids' tie-break. */
  abundance?: Int32Array;
  /** DBSCAN: how many identical records each vertex stands for (dereplication); 1 each when absent. */
  weights?: Int32Array;
}

/** Verified edges, each with its identity; the graph's distance is 1 − identity. */
export interface VerifiedEdges {
  n: number;
  i: Uint32Array;
  j: Uint32Array;
  /** Similarity of each edge (identity); the graph's distance is 1 − similarity. */
  similarity: Float32Array;
}

export interface GraphClusterPayload extends VerifiedEdges, GraphClusterOptions {}

export interface GraphClusterResult {
  labels: Int32Array;
  edgesUsed: number;
  /** Per record: its representative's index (−1: noise) and its identity to it (NaN: not in the graph, or noise). */
  representative: Int32Array;
  identity: Float32Array;
}

export function graphClusterTask(p: GraphClusterPayload, ctx: TaskContext): GraphClusterResult {
  const full = buildNeighbourGraph(p.n, { i: p.i, j: p.j, similarity: p.similarity });
  ctx.throwIfCancelled();
  const refine = refinementFor(p.mode, p.mutualNeighbours);
  const refined = refine ? mutualNeighbourSubgraph(full, refine, (d) => 1 - d) : full;
  ctx.throwIfCancelled();
  return clusterGraph(full, refined, p, ctx);
}

/** A graph of shared arrays, built by `graphRows` over every row. */
export interface SharedGraph {
  n: number;
  offsets: Int32Array;
  neighbours: Int32Array;
  distances: Float32Array;
}

export interface ClusterBuiltGraphPayload extends GraphClusterOptions {
  graph: SharedGraph;
  /** The entries the mutual-neighbour refinement keeps (`graphKeep` over every row), when it applies. */
  kept?: KeptEntries;
}

export function clusterBuiltGraphTask(p: ClusterBuiltGraphPayload, ctx: TaskContext): GraphClusterResult {
  return clusterGraph(p.graph, p.kept ? keptSubgraph(p.graph, p.kept) : p.graph, p, ctx);
}

/** Rows [from, to) of a graph being built in shared memory. */
export interface RowRange {
  from: number;
  to: number;
}

export interface GraphRowCountsPayload extends VerifiedEdges, RowRange {
  /** n + 1 entries, shared: row v's length goes to [v + 1]. */
  counts: Int32Array;
}

/** Adds each row's length to `counts[v + 1]` (countRows) for the rows of the range. */
export function graphRowCountsTask(p: GraphRowCountsPayload): number {
  return countRows(p.n, p, p.from, p.to, p.counts);
}

export interface GraphRowsPayload extends VerifiedEdges, RowRange {
  graph: SharedGraph;
  /** With the refinement's m: each row's m-th largest identity into `cutoff` (similarityCutoffs). */
  cutoffs?: { neighbours: number; cutoff: Float64Array };
}

/** Fills the rows of the range (fillRows); returns the entries that repeat an edge (0: final rows). */
export function graphRowsTask(p: GraphRowsPayload): number {
  const repeated = fillRows(p, p.from, p.to, p.graph);
  // A row with a repeat is not final (the serial build merges it): its cutoff would be wrong.
  if (repeated === 0 && p.cutoffs) similarityCutoffs(p.graph, p.cutoffs.neighbours, identityOf(p.graph), p.from, p.to, p.cutoffs.cutoff);
  return repeated;
}

export interface GraphKeepPayload extends RowRange {
  graph: SharedGraph;
  mutualNeighbours: MutualNeighbourOptions;
  /** Every row's cutoff (graphRows). */
  cutoff: Float64Array;
  kept: KeptEntries;
}

/** Marks the entries of the range's rows that the refinement keeps (markKeptEntries). */
export function graphKeepTask(p: GraphKeepPayload): void {
  markKeptEntries(p.graph, p.mutualNeighbours, identityOf(p.graph), p.cutoff, p.from, p.to, p.kept);
}

/** Each entry's identity, 1 − its distance, rounded to Float32 as the verified identities were. */
function identityOf(graph: SharedGraph): (e: number) => number {
  const d = graph.distances;
  return (e) => Math.fround(1 - d[e]);
}

/** Clusters `full` (DBSCAN on `refined`, or greedy, or Leiden), then the representatives. */
function clusterGraph(full: NeighbourGraph, refined: NeighbourGraph, p: GraphClusterOptions, ctx: TaskContext): GraphClusterResult {
  if (p.mode === 'greedy') {
    if (!p.lengths) throw new RangeError('greedy clustering needs the record lengths');
    const g = greedyCentroids(full, greedyOrder(p.lengths, p.abundance));
    ctx.transferResult(g.labels.buffer as ArrayBuffer, g.representative.buffer as ArrayBuffer, g.identity.buffer as ArrayBuffer);
    return { labels: g.labels, edgesUsed: full.neighbours.length / 2, representative: g.representative, identity: g.identity };
  }
  const labels = p.mode === 'leiden' ? sequenceCommunities(full, p.minPts, p.weights) : dbscanGraph(refined, p.minPts, p.weights);
  ctx.throwIfCancelled();
  // Medoids from every verified pair, not only the links DBSCAN kept: a better estimate, same cost.
  const reps = graphMedoids(full, labels, p.abundance);
  ctx.transferResult(labels.buffer as ArrayBuffer, reps.representative.buffer as ArrayBuffer, reps.identity.buffer as ArrayBuffer);
  return { labels, edgesUsed: (p.mode === 'leiden' ? full : refined).neighbours.length / 2, ...reps };
}

/**
 * Leiden (CPM, ../../engine/cluster/leiden.ts) on the verified graph; communities below minPts
 * records (dereplicated copies counted) are noise. CPM, not modularity: the graph at 90–97 %
 * identity is hundreds of small components, and modularity's expectation (set by the whole graph)
 * never cuts inside them. Edge weight identity^20 (0.93 → 0.23, 0.99 → 0.82) so that near-identical
 * pairs bind; γ = 0.05. Both chosen on the tune half of bench/heldout.bench.ts (mean ARI over
 * 0.90/0.93/0.97 of the variants tried: weights 1, identity, identity^20; γ 0.05–0.75); even so
 * DBSCAN with the mutual 8-NN filter scored higher there, so this is an option, not the default.
 */
function sequenceCommunities(full: NeighbourGraph, minPts: number, weights?: Int32Array): Int32Array {
  const d = full.distances as DistanceArray;
  const w = new Float64Array(d.length);
  for (let e = 0; e < d.length; e++) w[e] = (1 - d[e]) ** 20;
  const r = leiden({ n: full.n, offsets: full.offsets, neighbours: full.neighbours, weights: w }, { quality: 'cpm', resolution: 0.05, ...(weights ? { vertexWeights: weights } : {}) });
  const labels = r.labels;
  const size = new Float64Array(r.communities);
  for (let v = 0; v < full.n; v++) size[labels[v]] += weights ? weights[v] : 1;
  for (let v = 0; v < full.n; v++) if (size[labels[v]] < minPts) labels[v] = NOISE;
  return renumberClusters(labels);
}
