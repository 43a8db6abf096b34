// DBSCAN of numeric vectors (n × dim row-major Float32Array) under any vector measure.
//
// - Euclidean (and squared Euclidean) in 1–3 dimensions: the grid of ./dbscanVectors.ts,
//   O(n) for dense data, no neighbour lists at all.
// - Everything else: the eps-neighbour graph from exact range queries (../index/knnExact.ts,
//   each pair computed once, j > i), in CSR form (./graph.ts), then DBSCAN on the graph
//   (./dbscan.ts). O(n² · dim) time for the queries, O(n + edges) memory.
// Both give the labels of ./dbscan.ts's conventions (noise −1, clusters numbered by their smallest
// core point, border points to the smallest reaching cluster), and agree exactly: a Euclidean
// neighbour is Σ(aᵢ − bᵢ)² ≤ eps² on both paths.
// Without eps, eps is read off the k-distance curve (./epsEstimate.ts) and returned with it.
// `mutualNeighbours` M (graph path): DBSCAN runs on the links between mutual M-nearest neighbours
// of the eps-graph only (./mutualNeighbours.ts), as on the sequence path. Plain DBSCAN on the
// eps-graph of high-dimensional data chains everything together; measured with eps from the knee,
// minPts 5, NMI against the classes: Fashion-MNIST HOG (5,000) plain 1 cluster, NMI 0.04 → M = 8,
// 42 clusters, 0.47; digits (1,797) 2 clusters, 0.04 → 9 clusters, 0.61; the small UCI tables
// move little (iris 0.69 → 0.64, wine 0.10 → 0.16, breast cancer 0.08 → 0.13).

import { dbscanGraph, NOISE } from './dbscan';
import { dbscanVectors } from './dbscanVectors';
import { estimateEps, type EpsEstimate } from './epsEstimate';
import { buildNeighbourGraph, type NeighbourGraph, type WeightedEdges } from './graph';
import { leiden } from './leiden';
import { mutualNeighbourSubgraph } from './mutualNeighbours';
import { fuzzySimplicialSet } from '../embed/fuzzySet';
import { checkMatrix, knnExact, rangeQuery, type KnnResult, type MetricOptions, type RangeResult } from '../index/knnExact';

export interface VectorClusterOptions extends MetricOptions {
  /** Neighbourhood radius in the metric's own units; estimated from the k-distance curve when absent. */
  eps?: number;
  minPts: number;
  /** Sample size and seed of the eps estimate. */
  sampleSize?: number;
  seed?: number;
  /** Graph path: DBSCAN on the links between mutual M-nearest neighbours of the eps-graph only. */
  mutualNeighbours?: number;
  /**
   * 'leiden' (the pool's default, see clusterVectorsInPool): communities of the kNN graph, see
   * below; eps and mutualNeighbours do not apply, eps is then the knee of the k-distance curve,
   * reported only. 'dbscan' (this function's only path): the study's DBSCAN.
   */
  method?: VectorClusterMethod;
}

export const VECTOR_CLUSTER_METHODS = ['leiden', 'dbscan'] as const;
export type VectorClusterMethod = (typeof VECTOR_CLUSTER_METHODS)[number];
export const DEFAULT_VECTOR_CLUSTER_METHOD: VectorClusterMethod = 'leiden';

export interface VectorClustering {
  labels: Int32Array;
  eps: number;
  /** Present when eps was estimated. */
  epsEstimate?: EpsEstimate;
  method: 'grid' | 'graph' | 'leiden';
  /** Graph path: undirected neighbour pairs within eps; leiden: links of the kNN graph. */
  edges?: number;
  /** Graph path with `mutualNeighbours`: the pairs DBSCAN kept (mutual neighbours). */
  keptEdges?: number;
  /** leiden: communities found (before those smaller than minPts became noise). */
  communities?: number;
}

/** True when the grid path applies: Euclidean (or squared) distances in 1 to 3 dimensions. */
export function usesGrid(dim: number, options: MetricOptions): boolean {
  const metric = options.metric ?? 'euclidean';
  return dim <= 3 && (metric === 'euclidean' || metric === 'sqeuclidean' || (metric === 'minkowski' && options.p === 2));
}

/** The grid's Euclidean radius for eps in the metric's units (squared Euclidean: √eps). */
export function gridRadius(eps: number, options: MetricOptions): number {
  return options.metric === 'sqeuclidean' ? Math.sqrt(eps) : eps;
}

/** One chunk of range queries: rows from + q of `range`, each with its partners j > i. */
export interface RangeChunk {
  from: number;
  range: RangeResult;
}

/**
 * The pairs of range-query chunks (rows from + q, partners j > i) in one list, sorted by (i, j) as
 * the chunks list them — the order buildNeighbourGraph builds in one pass; with their distances
 * unless `distances` is false (chunks computed without them).
 */
export function pairsFromRanges(parts: readonly RangeChunk[], distances = true): { i: Uint32Array; j: Uint32Array; distance?: Float32Array } {
  let m = 0;
  for (const p of parts) m += p.range.neighbours.length;
  const i = new Uint32Array(m);
  const j = new Uint32Array(m);
  const distance = distances ? new Float32Array(m) : undefined;
  let at = 0;
  for (const { from, range } of parts) {
    for (let q = 0; q < range.nq; q++) {
      for (let t = range.offsets[q]; t < range.offsets[q + 1]; t++) {
        i[at] = from + q;
        j[at] = range.neighbours[t];
        if (distance) distance[at] = range.distances[t];
        at++;
      }
    }
  }
  return distance ? { i, j, distance } : { i, j };
}

/** Range-query chunks (rows [from, to) each, pairs j > i) → the symmetric CSR neighbour graph. */
export function graphFromRanges(n: number, parts: readonly RangeChunk[]): NeighbourGraph {
  return buildNeighbourGraph(n, pairsFromRanges(parts));
}

/** A dataset too small for DBSCAN with these parameters (an input error: exit 2, InvalidParams). */
export class TooFewRecordsError extends Error {
  override readonly name = 'TooFewRecordsError';
}

/**
 * Without eps there is nothing to compute for minPts records or fewer: eps is read off the
 * k-distance curve, which needs each record's minPts-th neighbour besides itself. Say so in the
 * user's terms rather than answer "eps NaN" and all noise. (With eps given, a small dataset is
 * still DBSCAN's to label: all noise when fewer than minPts.)
 */
export function checkEnoughRecords(n: number, minPts: number, epsGiven: boolean): void {
  if (epsGiven) return;
  if (n < minPts) throw new TooFewRecordsError(`too few records to cluster: ${n}; at least minPts (${minPts}) are needed`);
  if (n <= minPts) throw new TooFewRecordsError(`too few records to pick eps: ${n}; the k-distance curve needs more than minPts (${minPts}) records: give eps, or a smaller minPts`);
}

/** Throws a RangeError naming the first bad option (minPts, eps, mutualNeighbours). */
export function checkVectorClusterOptions(options: VectorClusterOptions): void {
  const { minPts, eps } = options;
  if (!Number.isInteger(minPts) || minPts < 1) throw new RangeError(`minPts must be a positive integer, got ${minPts}`);
  if (eps !== undefined && !(eps > 0 && Number.isFinite(eps))) throw new RangeError(`eps must be a positive finite number, got ${eps}`);
  const m = options.mutualNeighbours;
  if (m !== undefined && (!Number.isInteger(m) || m < 0)) throw new RangeError(`mutualNeighbours must be a non-negative integer, got ${m}`);
}

/** DBSCAN labels of the n rows of `data` (see the file comment for the two paths). */
export function clusterVectors(data: Float32Array, n: number, dim: number, options: VectorClusterOptions): VectorClustering {
  checkVectorClusterOptions(options);
  checkMatrix(data, n, dim);
  const metric: MetricOptions = { metric: options.metric ?? 'euclidean', ...(options.p !== undefined ? { p: options.p } : {}) };
  checkEnoughRecords(n, options.minPts, options.eps !== undefined);
  let eps = options.eps;
  let estimate: EpsEstimate | undefined;
  if (eps === undefined) {
    estimate = estimateEps(data, n, dim, { ...metric, minPts: options.minPts, ...(options.sampleSize ? { sampleSize: options.sampleSize } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}) });
    eps = estimate.eps;
  }
  const withEstimate = estimate ? { epsEstimate: estimate } : {};
  if (usesGrid(dim, metric)) {
    const labels = dbscanVectors(data.subarray(0, n * dim), dim, { eps: gridRadius(eps, metric), minPts: options.minPts });
    return { labels, eps, method: 'grid', ...withEstimate };
  }
  const range = rangeQuery(data, n, dim, eps, { ...metric, onlyAfter: true });
  const graph = graphFromRanges(n, [{ from: 0, range }]);
  const kept = options.mutualNeighbours ? mutualNeighbourSubgraph(graph, { neighbours: options.mutualNeighbours }, (d) => -d) : graph;
  return { labels: dbscanGraph(kept, options.minPts), eps, method: 'graph', edges: graph.neighbours.length / 2, ...(kept !== graph ? { keptEdges: kept.neighbours.length / 2 } : {}), ...withEstimate };
}

// ---------------------------------------------------------------------------------------------
// The default since issue 18: communities of the kNN graph instead of DBSCAN's eps-balls.
//
// DBSCAN needs one radius for the whole dataset, and the mutual-neighbour filter that keeps it from
// chaining high-dimensional data caps every point's degree near M: the embeddings of a trained
// Siamese model (Fashion-MNIST, held-out P@1 0.90) fall into thousands of clusters that way. A
// community step needs no radius: each point links to its k − 1 nearest neighbours, the links are
// weighted as UMAP weights them (./../embed/fuzzySet.ts: 1 within the nearest neighbour's
// distance, decaying by each point's own scale σ, so dense and sparse regions weigh alike), and
// Leiden (./leiden.ts) cuts the graph where modularity says the links thin out. k = 15 is UMAP's
// and scanpy's default. γ = 0.5, not 1: measured (NMI against the classes, noise as singletons) on
// Fashion-MNIST HOG images 0–4,999 and the UCI tables, γ = 1 over-splits (iris 8 communities for 3
// classes, NMI 0.61; HOG 0.625) where 0.5 gives iris 0.636, wine 0.795, breast cancer 0.473,
// digits 0.857, HOG 0.635 (old DBSCAN: 0.636, 0.157, 0.132, 0.609, 0.473). Reported on images
// 50,000–54,999, which nothing was tuned on: bench/quality.bench.ts, `clusters` rows.
// Noise: only the members of communities smaller than minPts. Marking points past the knee of the
// k-distance curve as noise too (DBSCAN's eps) cost NMI on every set above (iris 0.61 → 0.57, HOG
// 0.625 → 0.609): they are ordinary members of a sparser part of their class.

export const DEFAULT_COMMUNITY_NEIGHBOURS = 15;
export const DEFAULT_COMMUNITY_RESOLUTION = 0.5;

export interface CommunityOptions {
  minPts: number;
  /** Neighbours per point, the point itself included (UMAP's n_neighbors). Default 15. */
  neighbours?: number;
  /** Leiden's resolution γ (default DEFAULT_COMMUNITY_RESOLUTION). */
  resolution?: number;
  seed?: number;
}

export interface CommunityClustering {
  labels: Int32Array;
  communities: number;
  modularity: number;
  /** Undirected links of the fuzzy kNN graph. */
  edges: number;
}

/** Throws a RangeError naming the first bad option. */
export function checkCommunityOptions(options: CommunityOptions): void {
  const { minPts } = options;
  if (!Number.isInteger(minPts) || minPts < 1) throw new RangeError(`minPts must be a positive integer, got ${minPts}`);
  const k = options.neighbours ?? DEFAULT_COMMUNITY_NEIGHBOURS;
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`neighbours must be an integer ≥ 2, got ${k}`);
}

/** Communities need a neighbour per point and, to be a cluster at all, minPts points. */
export function checkEnoughForCommunities(n: number, minPts: number): void {
  if (n < Math.max(2, minPts)) throw new TooFewRecordsError(`too few records to cluster: ${n}; at least ${Math.max(2, minPts)} are needed${minPts > 2 ? ` (minPts ${minPts})` : ''}`);
}

/**
 * Each row's first `m` kNN neighbours as undirected edges, each pair once (i < j), in the order
 * the rows list them, with the distance of the row that lists the pair first. With `within`, a
 * row's list ends at its first neighbour farther than that (or its first −1). A pair {q, u}
 * listed by both rows is kept at the smaller row: so row q skips u < q when u lists q (a check of
 * m entries, where a set of the pairs seen cost ~220 ms for 60,000 rows × 5).
 */
export function nearestOfKnn(knn: KnnResult, m: number, within = Infinity): WeightedEdges {
  const { nq, k, indices, distances } = knn;
  const take = Math.min(m, k);
  // Entries of a row's list: up to `take`, cut at the first −1 or distance beyond `within`.
  const listed = (row: number) => {
    let t = 0;
    while (t < take && indices[row * k + t]! >= 0 && !(distances[row * k + t]! > within)) t++;
    return t;
  };
  const lists = (row: number, v: number, upTo: number) => {
    for (let t = 0; t < upTo; t++) if (indices[row * k + t] === v) return true;
    return false;
  };
  const i = new Uint32Array(nq * take);
  const j = new Uint32Array(nq * take);
  const distance = new Float32Array(nq * take);
  let at = 0;
  for (let q = 0; q < nq; q++) {
    const length = listed(q);
    for (let t = 0; t < length; t++) {
      const u = indices[q * k + t]!;
      if (u === q) continue;
      // Listed earlier in this row, or kept at row u already.
      if (lists(q, u, t) || (u < q && lists(u, q, listed(u)))) continue;
      i[at] = Math.min(q, u);
      j[at] = Math.max(q, u);
      distance[at] = distances[q * k + t]!;
      at++;
    }
  }
  return { i: i.slice(0, at), j: j.slice(0, at), distance: distance.slice(0, at) };
}

/** Neighbours to ask a kNN for, besides the point itself. */
export function communityKnnSize(n: number, options: CommunityOptions): number {
  return Math.min(n - 1, (options.neighbours ?? DEFAULT_COMMUNITY_NEIGHBOURS) - 1);
}

/**
 * Labels from each point's nearest neighbours (`knn`: all n points as queries, self excluded,
 * k ≥ communityKnnSize columns, nearest first), with ./dbscan.ts's label conventions: noise −1,
 * clusters numbered by their smallest member.
 */
export function communitiesFromKnn(knn: KnnResult, n: number, options: CommunityOptions): CommunityClustering {
  checkCommunityOptions(options);
  if (knn.nq !== n) throw new RangeError(`kNN: ${knn.nq} query rows for ${n} points`);
  const kGraph = Math.min(knn.k, (options.neighbours ?? DEFAULT_COMMUNITY_NEIGHBOURS) - 1);
  // UMAP's kNN rows start with the point itself at distance 0.
  const cols = kGraph + 1;
  const indices = new Int32Array(n * cols);
  const distances = new Float32Array(n * cols);
  for (let v = 0; v < n; v++) {
    indices[v * cols] = v;
    for (let t = 0; t < kGraph; t++) {
      indices[v * cols + 1 + t] = knn.indices[v * knn.k + t];
      distances[v * cols + 1 + t] = knn.distances[v * knn.k + t];
    }
  }
  const fuzzy = fuzzySimplicialSet({ n, k: cols, indices, distances });
  const result = leiden({ n, offsets: fuzzy.rowPtr, neighbours: fuzzy.cols, weights: fuzzy.weights }, { resolution: options.resolution ?? DEFAULT_COMMUNITY_RESOLUTION, seed: options.seed ?? 1 });
  // Noise: members of communities smaller than minPts (DBSCAN's smallest cluster).
  const labels = result.labels;
  const size = new Int32Array(result.communities);
  for (let v = 0; v < n; v++) size[labels[v]]++;
  for (let v = 0; v < n; v++) if (size[labels[v]] < options.minPts) labels[v] = NOISE;
  return { labels: renumberClusters(labels), communities: result.communities, modularity: result.quality, edges: fuzzy.cols.length / 2 };
}

/** Cluster ids 0, 1, ... by smallest member, noise kept; returns `labels`, renumbered in place. */
export function renumberClusters(labels: Int32Array): Int32Array {
  const map = new Map<number, number>();
  for (let v = 0; v < labels.length; v++) {
    const c = labels[v];
    if (c === NOISE) continue;
    let id = map.get(c);
    if (id === undefined) map.set(c, (id = map.size));
    labels[v] = id;
  }
  return labels;
}

/** Community labels of the n rows of `data` (exact kNN in this thread; the pool has its own). */
export function clusterVectorsByCommunity(data: Float32Array, n: number, dim: number, options: CommunityOptions & MetricOptions): CommunityClustering {
  checkCommunityOptions(options);
  checkMatrix(data, n, dim);
  checkEnoughForCommunities(n, options.minPts);
  const metric: MetricOptions = { metric: options.metric ?? 'euclidean', ...(options.p !== undefined ? { p: options.p } : {}) };
  const knn = knnExact(data, n, dim, communityKnnSize(n, options), metric);
  return communitiesFromKnn(knn, n, options);
}
