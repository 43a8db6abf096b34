/**
 * Clustering and similarity search on a numeric dataset (tables, images, volumes): features
 * (jobs/vectorIndex.ts) → DBSCAN (the grid in ≤ 3-D, else the eps-graph from exact range
 * queries, all in the pool) with eps given or read off the k-distance curve → the same outcome
 * shape as the sequence path, so the CLI and the editor treat both alike.
 */
import { nearestOfKnn, type VectorClusterMethod } from '../engine/cluster/vectorClustering';
import { summarizeClusters, type ClusterSummary } from '../engine/cluster/summary';
import type { EpsEstimate } from '../engine/cluster/epsEstimate';
import type { VectorMetric } from '../engine/index/knnExact';
import type { NeighbourEdges } from './clusterDataset';
import { buildVectorIndex, type BuildVectorIndexOptions, type VectorIndex, type VectorRecordMeta } from './vectorIndex';
import { clusterVectorsInPool, knnInPool } from './vectorSearch';
import type { WorkerPool } from './pool';

export interface VectorClusterParams {
  /** 'leiden' (the default when resolved by jobs/clusterParams.ts) or 'dbscan'; absent: dbscan. */
  method?: VectorClusterMethod;
  /** Neighbourhood radius in the metric's units; read off the k-distance curve when absent. */
  eps?: number;
  minPts: number;
  /** DBSCAN on the links between mutual M-nearest neighbours only (engine/cluster/vectorClustering.ts); absent or 0: every link. */
  mutualNeighbours?: number;
}

/** minPts for numeric data: scikit-learn's default (with minPts 2, DBSCAN is single linkage and chains). */
export const DEFAULT_VECTOR_MIN_PTS = 5;

/**
 * The editor's related information: each record's nearest neighbours within eps. On the graph
 * path DBSCAN's range queries already measured every pair within eps, and the worker picks them
 * from there. The grid path (≤ 3 dimensions) measures no pairs, so a kNN pass computes them when
 * n² · dim stays below this (a few seconds on two cores); above it the diagnostics name the
 * cluster without neighbours.
 */
const NEIGHBOUR_BUDGET = 1e10;
const NEIGHBOURS_KEPT = 5;

export interface VectorClusterOutcome {
  index: VectorIndex;
  labels: Int32Array;
  summary: ClusterSummary;
  /** Each record's nearest neighbours within eps (distance and a 0..1 score), when affordable. */
  edges: NeighbourEdges;
  eps: number;
  epsEstimate?: EpsEstimate;
  stats: {
    path: 'grid' | 'graph' | 'leiden';
    edges: number;
    /** With mutualNeighbours on the graph path: the links DBSCAN kept. */
    keptEdges?: number;
    fromCache: boolean;
    seconds: Record<string, number>;
  };
}

/** A 0..1 similarity from a distance, for ranking and display: 1 − d for cosine, 1 / (1 + d) otherwise. */
export function scoreOfDistance(metric: VectorMetric, d: number): number {
  return metric === 'cosine' ? 1 - d : 1 / (1 + d);
}

/** scoreOfDistance of each distance, in a plain loop: it runs once a clustering, cold, on the host's thread (Float32Array.map with a callback took ~35 ms for 174,000). */
function scoresOfDistances(metric: VectorMetric, distances: Float32Array): Float32Array {
  const out = new Float32Array(distances.length);
  for (let e = 0; e < out.length; e++) out[e] = scoreOfDistance(metric, distances[e]!);
  return out;
}

export interface VectorClusterOptions extends Omit<BuildVectorIndexOptions, 'onProgress'> {
  params: VectorClusterParams;
  pool: WorkerPool;
  p?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export async function clusterVectorDataset(file: string, options: VectorClusterOptions): Promise<VectorClusterOutcome> {
  const { pool, signal, params } = options;
  const progress = options.onProgress ?? (() => undefined);
  const seconds: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    seconds[name] = (now - t) / 1000;
    t = now;
  };
  const index = await buildVectorIndex(file, { ...options, onProgress: progress });
  lap('features');
  const n = index.records.length;
  const metric = { metric: index.metric, ...(options.p !== undefined ? { p: options.p } : {}) };
  const jobs = { pool, ...(signal ? { signal } : {}), onProgress: progress };
  const clustering = await clusterVectorsInPool(index.features, n, index.dim, {
    ...jobs,
    ...metric,
    minPts: params.minPts,
    nearest: NEIGHBOURS_KEPT,
    ...(params.method ? { method: params.method } : {}),
    ...(params.eps !== undefined ? { eps: params.eps } : {}),
    ...(params.mutualNeighbours ? { mutualNeighbours: params.mutualNeighbours } : {}),
  }).catch((err: unknown) => {
    // The engine does not know the file; the user must learn which file has too few records.
    if (err instanceof Error && err.name === 'TooFewRecordsError') err.message = `${file}: ${err.message}`;
    throw err;
  });
  lap(clustering.method === 'leiden' ? 'Leiden' : 'DBSCAN');
  let edges: NeighbourEdges;
  if (clustering.nearest) {
    edges = { ...clustering.nearest, identity: scoresOfDistances(index.metric, clustering.nearest.distance) };
  } else {
    edges = await knnNeighbourEdges(index, clustering.eps, { ...jobs, ...metric });
    if (edges.i.length > 0) lap('neighbours');
  }
  return {
    index,
    labels: clustering.labels,
    summary: summarizeClusters(clustering.labels),
    edges,
    eps: clustering.eps,
    ...(clustering.epsEstimate ? { epsEstimate: clustering.epsEstimate } : {}),
    stats: { path: clustering.method, edges: clustering.edges ?? 0, ...(clustering.keptEdges !== undefined ? { keptEdges: clustering.keptEdges } : {}), fromCache: index.fromCache, seconds },
  };
}

/** Each record's few nearest neighbours within eps from a kNN pass, as an edge list (each unordered pair once). */
async function knnNeighbourEdges(index: VectorIndex, eps: number, options: { pool: WorkerPool; signal?: AbortSignal; metric: VectorMetric; p?: number; onProgress?: (stage: string, done: number, total: number) => void }): Promise<NeighbourEdges> {
  const n = index.records.length;
  const empty = { i: new Uint32Array(0), j: new Uint32Array(0), identity: new Float32Array(0), distance: new Float32Array(0) };
  if (n < 2 || !Number.isFinite(eps) || n * n * index.dim > NEIGHBOUR_BUDGET) return empty;
  const k = Math.min(NEIGHBOURS_KEPT, n - 1);
  const knn = await knnInPool(index.features, n, index.dim, k, { ...options, onProgress: (_s, d, tot) => options.onProgress?.('neighbours', d, tot) });
  // kNN is directed; an edge goes both ways in nearestNeighbours, so each unordered pair once.
  const edges = nearestOfKnn(knn, k, eps);
  return { ...edges, identity: scoresOfDistances(index.metric, edges.distance) };
}

export interface SimilarVector {
  record: VectorRecordMeta;
  score: number;
  distance: number;
}

/** The k records nearest to record `query` (exact, in the pool). */
export async function similarVectors(index: VectorIndex, query: number, k: number, pool: WorkerPool, signal?: AbortSignal, p?: number): Promise<SimilarVector[]> {
  const n = index.records.length;
  const kk = Math.min(k, n - 1);
  if (kk < 1) return [];
  const knn = await knnInPool(index.features, n, index.dim, kk, { pool, ...(signal ? { signal } : {}), metric: index.metric, ...(p !== undefined ? { p } : {}), rows: Int32Array.of(query) });
  const out: SimilarVector[] = [];
  for (let r = 0; r < knn.k; r++) {
    const j = knn.indices[r] as number;
    if (j < 0) break;
    const d = knn.distances[r] as number;
    out.push({ record: index.records[j] as VectorRecordMeta, score: scoreOfDistance(index.metric, d), distance: d });
  }
  return out;
}

/** Loads the index and answers `similar` for the record with id `recordId`. */
export async function similarVectorRecords(file: string, recordId: string, k: number, options: BuildVectorIndexOptions & { p?: number }): Promise<{ index: VectorIndex; query: VectorRecordMeta; items: SimilarVector[] }> {
  const index = await buildVectorIndex(file, options);
  const query = index.records.find((r) => r.id === recordId);
  if (!query) {
    const how = index.format === 'image-folder' || index.format === 'volume-folder' ? 'paths relative to the folder' : index.format === 'idx' || index.format === 'npy' ? '0-based indexes' : 'the id column, else 0-based row indexes';
    throw Object.assign(new Error(`${file}: no record with id '${recordId}' (${index.records.length} records; ids are ${how})`), { name: 'InputError' });
  }
  return { index, query, items: await similarVectors(index, query.index, k, options.pool, options.signal, options.p) };
}
