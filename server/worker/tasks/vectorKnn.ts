/**
 * The vector neighbour tasks: each runs one slice of the work that jobs/vectorSearch.ts spreads
 * over the pool. The data (and any queries) arrive as Float32Array views of SharedArrayBuffers,
 * so no worker copies them. One task per kind of work, so that each has its own payload and
 * result type:
 * - `vectorKnn`: exact k nearest neighbours of query rows [from, to) (of the data, or of
 *   `queries`), or of the data rows listed in `rows`;
 * - `vectorKnnShare`: this worker's share of the exact kNN of `queries` (or of the data rows
 *   listed in `rows`): those queries against the data blocks it claims from a counter shared with
 *   the other workers (engine/index/knnGemm.ts knnShareGemm; the caller merges the shares);
 *   without a GEMM or a dot form, the first such worker answers everything on the plain path;
 * - `vectorKnnSymmetric`: the partial kNN of every data row from the upper-triangle GEMM tiles
 *   of the tile columns this worker claims (engine/index/knnGemm.ts knnSymmetricShare; the caller
 *   merges the partials), or null when this worker has no GEMM or the data no dot form;
 * - `vectorKnnMerge`: partials or shares of a kNN (of the two tasks above) merged into one answer;
 * - `vectorRange`: every data row within eps of query rows [from, to) (`onlyAfter`: j > i only;
 *   `distances: false`: ids only);
 * - `vectorNearestWithin`: the nearest data row within eps of each query (own `queries` rows
 *   [from, to), or the data rows listed in `rows`), on norm windows (engine/index/nearestWithin.ts);
 *   with `claim`, over the data blocks this worker claims (the others claim the rest);
 * - `vectorCommunity`: Leiden communities of the fuzzy kNN graph, from a kNN gathered by the caller;
 * - `vectorGridCluster`: clusterVectors with a given eps (the grid path: one worker, O(n));
 * - `vectorGraphDbscan`: DBSCAN on the neighbour graph of range results gathered by the caller
 *   (with their distances: on its mutual-neighbour links only, with `mutualNeighbours`; and each
 *   record's `nearest` closest neighbours in the whole graph, with `nearest`);
 * - `vectorCovariance`, `vectorBasis`, `vectorProjectRows`: the rows projected onto their top
 *   principal directions (engine/index/projectedKnn.ts) in three steps, the first and the last
 *   split over the pool (columns of the covariance, ranges of rows); null when this worker has no GEMM;
 * - `vectorKnnProjected`: approximate kNN of rows [from, to) from such a projection, re-ranked
 *   exactly.
 * Progress per block of queries (per data block on the GEMM path); the pool's cancellation flag
 * is checked at each block. kNN and range queries run on the GEMM of this worker's TensorFlow.js
 * wasm backend (engine/index/knnGemm.ts, initialised on first use) when it loads, else on the
 * JavaScript tiles; both give the same answers.
 */
import { dbscanGraph } from '../../engine/cluster/dbscan';
import { buildNeighbourGraph, nearestInGraph, type WeightedEdges } from '../../engine/cluster/graph';
import { mutualNeighbourSubgraph } from '../../engine/cluster/mutualNeighbours';
import { clusterVectors, communitiesFromKnn, nearestOfKnn, pairsFromRanges, type CommunityClustering, type CommunityOptions, type RangeChunk } from '../../engine/cluster/vectorClustering';
import { checkMatrixShape, knnExact, squaredNorms, type KnnResult, type MetricOptions, type RangeResult } from '../../engine/index/knnExact';
import { loadGemm } from '../../engine/index/gemm';
import { knnExactFast, knnShareGemm, knnSymmetricShare, rangeQueryFast, type KnnPartial } from '../../engine/index/knnGemm';
import { mergeKnnPartials } from '../../engine/index/knnPartial';
import { nearestWithin, nearestWithinFast, nearestWithinShare, type NearestWithin, type NearestWithinShare, type RowProjection } from '../../engine/index/nearestWithin';
import { covarianceColumns, knnProjected, principalBasis, projectRowRange, type ProjectionBasis, type ProjectionOptions } from '../../engine/index/projectedKnn';
import type { TaskContext } from '../taskContext';

interface VectorData extends MetricOptions {
  data: Float32Array;
  n: number;
  dim: number;
}

export interface VectorKnnPayload extends VectorData {
  k: number;
  from: number;
  to: number;
  queries?: Float32Array;
  rows?: Int32Array;
  excludeSelf?: boolean;
}

export interface VectorKnnSharePayload extends VectorData {
  k: number;
  queries?: Float32Array;
  rows?: Int32Array;
  /** With `rows`: leave each out of its own answer (default true). */
  excludeSelf?: boolean;
  /** [0] hands out data blocks; [1] the whole search, when a worker cannot split it (the first such worker answers it all). */
  claim: Int32Array;
  /** Rows per query block and per data block (the caller sizes the data blocks so that every worker gets several). */
  blocks: [number, number];
  /** squaredNorms of the data rows (GemmQueryOptions.dataNorms), shared by every worker. */
  dataNorms?: Float64Array;
}

/** vectorKnnShare's answer: a share (mergeKnnPartials), the whole answer, or nothing (another worker answers all). */
export type VectorKnnShareResult = { share: KnnPartial } | { complete: KnnResult } | { none: true };

export interface VectorKnnSymmetricPayload extends VectorData {
  k: number;
  block: number;
  /** [0] hands out the tile columns (engine knnSymmetricShare), shared by the workers of one search. */
  claim: Int32Array;
  /** squaredNorms of the data rows (SymmetricOptions.dataNorms), shared by every worker. */
  dataNorms?: Float64Array;
}

export interface VectorKnnMergePayload extends MetricOptions {
  parts: KnnPartial[];
  /** Rows of the answer (every part holds them all). */
  n: number;
}

export interface VectorRangePayload extends VectorData {
  eps: number;
  from: number;
  to: number;
  queries?: Float32Array;
  onlyAfter?: boolean;
  excludeSelf?: boolean;
  /** false: neighbour ids only (RangeOptions.distances). */
  distances?: boolean;
}

export interface VectorNearestWithinPayload extends VectorData {
  eps: number;
  from: number;
  to: number;
  queries?: Float32Array;
  rows?: Int32Array;
  /** Only this many smallest distances of the chunk are needed (NearestWithinOptions.smallest). */
  smallest?: number;
  /** squaredNorms of the data rows (NearestWithinOptions.dataNorms), shared by every chunk. */
  dataNorms?: Float64Array;
  /**
   * Shared counters of the workers that search these queries together (nearestWithinShare):
   * [0] hands out data blocks; [1] the whole search, when this worker cannot split it (no GEMM
   * or no dot form: the first such worker answers everything on the plain path).
   */
  claim?: Int32Array;
  /** Projected rows and their bounds (NearestWithinOptions.projection), shared by every worker. */
  projection?: RowProjection;
}

/** vectorNearestWithin's answer: a share of a claimed search (mergeShares), or the whole answer. */
export type VectorNearestWithinResult = NearestWithin & Partial<Pick<NearestWithinShare, 'key' | 'cap'>> & { complete?: boolean };

export interface VectorSquaredNormsPayload extends VectorData {
  from: number;
  to: number;
  /** n squared norms (shared): rows [from, to) are written. */
  out: Float64Array;
}

export interface VectorGridClusterPayload extends VectorData {
  eps: number;
  minPts: number;
}

export interface GraphDbscanPayload {
  n: number;
  minPts: number;
  /** The range queries' chunks as the pool answered them (rows from + q, partners j > i). */
  ranges: RangeChunk[];
  /** The chunks hold distances (else membership only: RangeOptions.distances false). */
  distances: boolean;
  nearest?: number;
  mutualNeighbours?: number;
}

export interface VectorCommunityPayload {
  n: number;
  /** The kNN of every row (self excluded), n × k. */
  k: number;
  indices: Int32Array;
  distances: Float32Array;
  options: CommunityOptions;
  /** Also each row's this-many nearest neighbours as edges (nearestOfKnn). */
  nearest?: number;
}

export interface VectorProjectPayload extends VectorData {
  components: number;
  seed: number;
  /** Rows sampled for the covariance (ProjectionOptions.sampleRows; default 5,000). */
  sampleRows?: number;
}

export interface VectorCovariancePayload extends VectorProjectPayload {
  colFrom: number;
  colTo: number;
}

export interface VectorBasisPayload extends VectorProjectPayload {
  /** The whole covariance, dim × dim (the `vectorCovariance` columns put together). */
  cov: Float32Array;
}

export interface VectorProjectRowsPayload extends VectorData, ProjectionBasis {
  from: number;
  to: number;
  /** n × m, shared: rows [from, to) are written here. */
  points: Float32Array;
}

export interface VectorKnnProjectedPayload extends VectorData {
  points: Float32Array;
  m: number;
  k: number;
  candidates: number;
  from: number;
  to: number;
  metric?: 'euclidean' | 'sqeuclidean';
}

export interface GraphDbscanResult {
  labels: Int32Array;
  /** Pairs within eps. */
  edges: number;
  /** With `mutualNeighbours`: the pairs DBSCAN kept. */
  keptEdges?: number;
  nearest?: WeightedEdges;
}

/** Checks cancellation and reports progress at each block of queries. */
function blockProgress(ctx: TaskContext): (done: number, total: number) => void {
  return (done, total) => {
    ctx.throwIfCancelled();
    ctx.progress(done, total);
  };
}

export async function vectorKnnTask(p: VectorKnnPayload, ctx: TaskContext): Promise<KnnResult> {
  const onProgress = blockProgress(ctx);
  const metric = metricOf(p);
  const options = p.rows
    ? { ...metric, rows: p.rows, onProgress }
    : p.queries
      ? { ...metric, queries: p.queries.subarray(p.from * p.dim, p.to * p.dim), onProgress }
      : { ...metric, from: p.from, to: p.to, excludeSelf: p.excludeSelf ?? true, onProgress };
  const r = await knnExactFast(p.data, p.n, p.dim, p.k, options);
  ctx.transferResult(r.indices.buffer as ArrayBuffer, r.distances.buffer as ArrayBuffer);
  return r;
}

export async function vectorKnnShareTask(p: VectorKnnSharePayload, ctx: TaskContext): Promise<VectorKnnShareResult> {
  const options = { ...metricOf(p), ...(p.rows ? { rows: p.rows, excludeSelf: p.excludeSelf ?? true } : p.queries ? { queries: p.queries } : {}), blocks: p.blocks, ...(p.dataNorms ? { dataNorms: p.dataNorms } : {}), onProgress: blockProgress(ctx) };
  const gemm = await loadGemm();
  const share = gemm ? knnShareGemm(gemm, p.data, p.n, p.dim, p.k, p.claim, options) : null;
  if (share) {
    ctx.transferResult(share.count.buffer as ArrayBuffer, share.indices.buffer as ArrayBuffer, share.keys.buffer as ArrayBuffer);
    return { share };
  }
  if (Atomics.add(p.claim, 1, 1) !== 0) return { none: true };
  const complete = knnExact(p.data, p.n, p.dim, p.k, options);
  ctx.transferResult(complete.indices.buffer as ArrayBuffer, complete.distances.buffer as ArrayBuffer);
  return { complete };
}

export async function vectorKnnSymmetricTask(p: VectorKnnSymmetricPayload, ctx: TaskContext): Promise<KnnPartial | null> {
  const gemm = await loadGemm();
  if (!gemm) return null;
  const r = knnSymmetricShare(gemm, p.data, p.n, p.dim, p.k, p.claim, { ...metricOf(p), block: p.block, ...(p.dataNorms ? { dataNorms: p.dataNorms } : {}), onProgress: blockProgress(ctx) });
  if (r) ctx.transferResult(r.count.buffer as ArrayBuffer, r.indices.buffer as ArrayBuffer, r.keys.buffer as ArrayBuffer);
  return r;
}

export function vectorKnnMergeTask(p: VectorKnnMergePayload, ctx: TaskContext): KnnResult {
  const r = mergeKnnPartials(p.parts, p.n, metricOf(p));
  ctx.transferResult(r.indices.buffer as ArrayBuffer, r.distances.buffer as ArrayBuffer);
  return r;
}

export async function vectorRangeTask(p: VectorRangePayload, ctx: TaskContext): Promise<RangeResult> {
  const onProgress = blockProgress(ctx);
  const metric = { ...metricOf(p), distances: p.distances ?? true };
  const options = p.queries
    ? { ...metric, queries: p.queries.subarray(p.from * p.dim, p.to * p.dim), onProgress }
    : { ...metric, from: p.from, to: p.to, onlyAfter: p.onlyAfter ?? false, excludeSelf: p.excludeSelf ?? true, onProgress };
  const r = await rangeQueryFast(p.data, p.n, p.dim, p.eps, options);
  ctx.transferResult(r.offsets.buffer as ArrayBuffer, r.neighbours.buffer as ArrayBuffer, r.distances.buffer as ArrayBuffer);
  return r;
}

export async function vectorNearestWithinTask(p: VectorNearestWithinPayload, ctx: TaskContext): Promise<VectorNearestWithinResult> {
  const onProgress = blockProgress(ctx);
  const metric = metricOf(p);
  const smallest = { ...(p.smallest !== undefined ? { smallest: p.smallest } : {}), ...(p.dataNorms ? { dataNorms: p.dataNorms } : {}), ...(p.projection ? { projection: p.projection } : {}) };
  const options = p.rows ? { ...metric, ...smallest, rows: p.rows, onProgress } : p.queries ? { ...metric, ...smallest, queries: p.queries.subarray(p.from * p.dim, p.to * p.dim), onProgress } : { ...metric, ...smallest, from: p.from, to: p.to, onProgress };
  let r: VectorNearestWithinResult;
  if (p.claim) {
    const gemm = await loadGemm();
    const share = gemm ? nearestWithinShare(gemm, p.data, p.n, p.dim, p.eps, p.claim, options) : null;
    if (share) r = share;
    else if (Atomics.add(p.claim, 1, 1) === 0) r = { ...nearestWithin(p.data, p.n, p.dim, p.eps, options), complete: true };
    else r = { nq: 0, index: new Int32Array(0), distance: new Float32Array(0) };
  } else r = await nearestWithinFast(p.data, p.n, p.dim, p.eps, options);
  ctx.transferResult(r.index.buffer as ArrayBuffer, r.distance.buffer as ArrayBuffer, ...(r.key ? [r.key.buffer as ArrayBuffer] : []));
  return r;
}

/**
 * Rows [from, to) of squaredNorms(data, n, dim), into the shared `out` (the same values: each row
 * is summed alone). The values are not checked here: a non-finite one makes its row's norm
 * non-finite, which the searches given these norms check (checkMatrixByNorms).
 */
export function vectorSquaredNormsTask(p: VectorSquaredNormsPayload): boolean {
  checkMatrixShape(p.data, p.n, p.dim);
  if (!(Number.isInteger(p.from) && Number.isInteger(p.to) && 0 <= p.from && p.from <= p.to && p.to <= p.n && p.out.length >= p.n)) throw new RangeError(`rows [${p.from}, ${p.to}) are not within [0, ${p.n}) or out holds fewer than ${p.n}`);
  p.out.set(squaredNorms(p.data.subarray(p.from * p.dim, p.to * p.dim), p.to - p.from, p.dim), p.from);
  return true;
}

export function vectorGridClusterTask(p: VectorGridClusterPayload, ctx: TaskContext): { labels: Int32Array; edges: number } {
  ctx.progress(0, 1);
  const r = clusterVectors(p.data, p.n, p.dim, { ...metricOf(p), eps: p.eps, minPts: p.minPts });
  ctx.transferResult(r.labels.buffer as ArrayBuffer);
  return { labels: r.labels, edges: r.edges ?? 0 };
}

export function vectorGraphDbscanTask(p: GraphDbscanPayload, ctx: TaskContext): GraphDbscanResult {
  // Distances come along when the nearest neighbours or the mutual-neighbour refinement need them.
  // The chunks are flattened here, not by the caller: for the editor that is the host's thread,
  // and the pair list (12 bytes a pair, 14 M pairs for 20,000 HOG vectors) lives only here.
  const graph = buildNeighbourGraph(p.n, pairsFromRanges(p.ranges, p.distances));
  ctx.throwIfCancelled();
  const kept = p.mutualNeighbours ? mutualNeighbourSubgraph(graph, { neighbours: p.mutualNeighbours }, (d) => -d) : graph;
  ctx.throwIfCancelled();
  const result: GraphDbscanResult = { labels: dbscanGraph(kept, p.minPts), edges: graph.neighbours.length / 2, ...(kept !== graph ? { keptEdges: kept.neighbours.length / 2 } : {}) };
  const transfer = [result.labels.buffer as ArrayBuffer];
  if (p.nearest !== undefined) {
    ctx.throwIfCancelled();
    // From the whole eps-graph: a record's nearest neighbours need not be mutual ones.
    result.nearest = nearestInGraph(graph, p.nearest);
    transfer.push(result.nearest.i.buffer as ArrayBuffer, result.nearest.j.buffer as ArrayBuffer, result.nearest.distance.buffer as ArrayBuffer);
  }
  ctx.transferResult(...transfer);
  return result;
}

/** Leiden communities of the fuzzy kNN graph (engine/cluster/vectorClustering.ts communitiesFromKnn). */
export function vectorCommunityTask(p: VectorCommunityPayload, ctx: TaskContext): CommunityClustering & { nearest?: WeightedEdges } {
  ctx.progress(0, 1);
  const knn = { nq: p.n, k: p.k, indices: p.indices, distances: p.distances };
  const r = communitiesFromKnn(knn, p.n, p.options);
  if (p.nearest === undefined) {
    ctx.transferResult(r.labels.buffer as ArrayBuffer);
    return r;
  }
  // Here, not in the caller: for the editor that is the host's thread.
  const nearest = nearestOfKnn(knn, p.nearest);
  ctx.transferResult(r.labels.buffer as ArrayBuffer, nearest.i.buffer as ArrayBuffer, nearest.j.buffer as ArrayBuffer, nearest.distance.buffer as ArrayBuffer);
  return { ...r, nearest };
}

function projectionOptionsOf(p: VectorProjectPayload): ProjectionOptions {
  return { components: p.components, seed: p.seed, ...(p.sampleRows !== undefined ? { sampleRows: p.sampleRows } : {}) };
}

export async function vectorCovarianceTask(p: VectorCovariancePayload, ctx: TaskContext): Promise<Float32Array | null> {
  if (!(await loadGemm())) return null;
  const cols = covarianceColumns(p.data, p.n, p.dim, p.colFrom, p.colTo, projectionOptionsOf(p));
  ctx.transferResult(cols.buffer as ArrayBuffer);
  return cols;
}

export async function vectorBasisTask(p: VectorBasisPayload): Promise<ProjectionBasis | null> {
  if (!(await loadGemm())) return null;
  return principalBasis(p.cov, p.data, p.n, p.dim, projectionOptionsOf(p));
}

export async function vectorProjectRowsTask(p: VectorProjectRowsPayload): Promise<boolean> {
  if (!(await loadGemm())) return false;
  p.points.set(projectRowRange(p.data, p.n, p.dim, p, p.from, p.to), p.from * p.m);
  return true;
}

export async function vectorKnnProjectedTask(p: VectorKnnProjectedPayload, ctx: TaskContext): Promise<KnnResult> {
  const gemm = await loadGemm();
  if (!gemm) throw new Error('vectorKnnProjected: needs the GEMM (the wasm backend did not load)');
  const r = knnProjected(gemm, p.data, p.n, p.dim, { points: p.points, m: p.m }, p.k, { candidates: p.candidates, from: p.from, to: p.to, ...(p.metric ? { metric: p.metric } : {}), onProgress: blockProgress(ctx) });
  ctx.transferResult(r.indices.buffer as ArrayBuffer, r.distances.buffer as ArrayBuffer);
  return r;
}

/** The vector neighbour tasks by name: for the registry, and for test workers that serve only these. */
export const vectorTasks = {
  vectorKnn: vectorKnnTask,
  vectorKnnShare: vectorKnnShareTask,
  vectorKnnSymmetric: vectorKnnSymmetricTask,
  vectorKnnMerge: vectorKnnMergeTask,
  vectorRange: vectorRangeTask,
  vectorNearestWithin: vectorNearestWithinTask,
  vectorSquaredNorms: vectorSquaredNormsTask,
  vectorGridCluster: vectorGridClusterTask,
  vectorGraphDbscan: vectorGraphDbscanTask,
  vectorCommunity: vectorCommunityTask,
  vectorCovariance: vectorCovarianceTask,
  vectorBasis: vectorBasisTask,
  vectorProjectRows: vectorProjectRowsTask,
  vectorKnnProjected: vectorKnnProjectedTask,
};

function metricOf(p: MetricOptions): MetricOptions {
  return { metric: p.metric ?? 'euclidean', ...(p.p !== undefined ? { p: p.p } : {}) };
}
