/**
 * The embedding map (issue 7): feature vectors (autoencoder or Siamese embeddings, HOG, raw
 * pixels) → StandardScaler → exact kNN in the worker pool → UMAP in a worker, epoch by epoch →
 * optional DBSCAN, on the 2-D map or on the scaled vectors → a cluster label per record.
 *
 * kNN method (`knnMethod`, default 'auto'): exact (engine/index/knnGemm.ts, GEMM tiles) while
 * n²·dim ≤ 2·10¹⁰ (about 5,000 rows of 784) or dim ≤ 128, where projecting gains little; above
 * that, projected (engine/index/projectedKnn.ts: candidates from the top 64 principal directions,
 * 4·k per query, re-ranked exactly; recall@14 ≈ 0.99 on Fashion-MNIST 10k), which costs a GEMM
 * of n²·64 instead of n²·dim: 10,000 × 784 maps faster than with exact kNN, and 60,000 in
 * minutes rather than the better part of an hour. From NN_DESCENT_MIN_ROWS rows (and dim > 128),
 * NN-descent instead (task nnDescent, engine/index/nnDescent.ts: RP-tree start, candidates found
 * in a 96-direction projection, re-ranked exactly; recall@14 ≈ 0.95 on Fashion-MNIST 60k),
 * which never compares all pairs: O(n log n) where projected is O(n²). Seeded, so deterministic.
 *
 * UMAP layout: by default in as many partitions as the pool has workers (at least 2), on every
 * worker of the pool (tasks umapPrepare + umapLayout, engine/embed/parallelLayout.ts):
 * reproducible — one map for a given seed and pool size (1 and 2 workers give the same 2-partition
 * map), the same whatever the number of threads that share it. `umap: { partitions: 1 }` runs
 * umap-learn's sequential loop instead (one thread, task umap); `layoutThreads: 1` keeps the
 * default map but on one thread.
 *
 * The kNN graph follows umap-learn: nNeighbors counts the point itself (first, at distance 0),
 * so 15 means the 14 nearest others. Every stage reports progress and stops on the caller's
 * AbortSignal. The scaler runs on the calling thread: one O(n·dim) pass (≈ 0.1 s for 60,000 ×
 * 784), cheaper than shipping the matrix to a worker and back.
 */
import type { VectorClustering } from '../engine/cluster/vectorClustering';
import type { KnnGraph } from '../engine/embed/fuzzySet';
import { StandardScaler } from '../engine/features/scaler';
import { CancelledError } from '../worker/errors';
import type { WorkerPool } from './pool';
import { stageTimer } from './stageTimes';
import { createLayoutControl } from '../engine/embed/parallelLayout';
import type { UmapResult, UmapTaskOptions } from '../worker/tasks/umap';
import { clusterVectorsInPool, knnInPool, knnProjectedInPool } from './vectorSearch';

export type EmbedStage = 'scale' | 'kNN' | 'UMAP' | 'cluster';

export interface EmbedClusterOptions {
  /** 'map': DBSCAN on the 2-D map (grid, O(n)); 'embedding': on the scaled vectors (O(n²·dim)). */
  on: 'map' | 'embedding';
  /** Radius; default read off the knee of the k-distance curve (k = minPts). */
  eps?: number;
  /** Default 10. */
  minPts?: number;
}

export interface EmbedMapOptions {
  pool: WorkerPool;
  signal?: AbortSignal;
  onProgress?: (stage: EmbedStage, done: number, total: number, message?: string) => void;
  /** StandardScaler before the kNN; default true. */
  scale?: boolean;
  /** Neighbours per point, the point itself included (umap-learn's n_neighbors); default 15. */
  nNeighbors?: number;
  /** UMAP options (seed, minDist, spread, nEpochs, nComponents, partitions (default here the pool's size, at least 2), ...); see engine/embed/umap.ts. */
  umap?: UmapTaskOptions;
  /** Threads of the pool the layout may use (default all; never more than the pool's size or the partitions). */
  layoutThreads?: number;
  /** 'auto' (default; see the file comment), 'exact' or 'projected' (approximate). */
  knnMethod?: 'auto' | 'exact' | 'projected' | 'nnDescent';
  /** Seed of the projected kNN's sample and start (default 1). */
  knnSeed?: number;
  /** A kNN graph computed before (rows: the point itself first): the kNN stage is skipped. */
  knn?: KnnGraph;
  /** DBSCAN after the map; none by default. */
  cluster?: EmbedClusterOptions;
}

export interface EmbedMapResult {
  n: number;
  nComponents: number;
  /** n·nComponents map coordinates, row-major. */
  points: Float32Array;
  /** Cluster per record (−1 noise); null without `cluster`. */
  clusters: Int32Array | null;
  clustering?: { on: 'map' | 'embedding'; eps: number; minPts: number; method: VectorClustering['method']; count: number; noise: number };
  knn: KnnGraph;
  /** How the kNN graph was made ('given': options.knn). */
  knnMethod: 'exact' | 'projected' | 'nnDescent' | 'given';
  nEpochs: number;
  edgeCount: number;
  /** Wall seconds per stage. */
  seconds: Record<EmbedStage, number>;
  /** CPU seconds per stage over every thread of the process (an in-process pool's workers included): CPU ÷ wall is the stage's parallel share. */
  cpuSeconds: Record<EmbedStage, number>;
  /** Per stage: its gain on free cores, from each thread's own CPU time (jobs/stageTimes.ts). */
  parallelism: Record<EmbedStage, number>;
}

const DEFAULT_NEIGHBOURS = 15;
const DEFAULT_MIN_PTS = 10;
/** At least 2 partitions: a 1-worker pool draws the map a 2-worker one draws. At most 64 (engine/embed/umap.ts). */
const MIN_PARTITIONS = 2;
const MAX_PARTITIONS = 64;

/** The default number of layout partitions on a pool of `workers`: one per worker, so every worker has its share. */
export function defaultPartitions(workers: number): number {
  return Math.min(MAX_PARTITIONS, Math.max(MIN_PARTITIONS, workers));
}
/** 'auto' uses exact kNN up to this n²·dim (see the file comment). */
const EXACT_KNN_WORK = 2e10;
const PROJECTED_MIN_DIM = 128;
/** 'auto' uses NN-descent from this many rows (where it overtakes projected kNN's n² GEMM). */
const NN_DESCENT_MIN_ROWS = 20_000;

/** The kNN method 'auto' picks for n rows of dim values. */
export function chooseKnnMethod(n: number, dim: number): 'exact' | 'projected' | 'nnDescent' {
  if (n * n * dim <= EXACT_KNN_WORK || dim <= PROJECTED_MIN_DIM) return 'exact';
  return n >= NN_DESCENT_MIN_ROWS ? 'nnDescent' : 'projected';
}

export async function embedMap(features: Float32Array, dim: number, options: EmbedMapOptions): Promise<EmbedMapResult> {
  const n = features.length / dim;
  if (!Number.isInteger(dim) || dim < 1 || !Number.isInteger(n)) throw new RangeError(`features: ${features.length} values are not a whole number of rows of ${dim}`);
  const nNeighbors = options.nNeighbors ?? DEFAULT_NEIGHBOURS;
  if (!Number.isInteger(nNeighbors) || nNeighbors < 2) throw new RangeError(`nNeighbors must be an integer ≥ 2, got ${nNeighbors}`);
  if (n <= nNeighbors) throw new RangeError(`${n} records are too few for a map with nNeighbors ${nNeighbors}: need more than ${nNeighbors}`);
  const { pool, signal, onProgress } = options;
  const seconds: Record<EmbedStage, number> = { scale: 0, kNN: 0, UMAP: 0, cluster: 0 };
  const cpuSeconds: Record<EmbedStage, number> = { scale: 0, kNN: 0, UMAP: 0, cluster: 0 };
  const parallelism: Record<EmbedStage, number> = { scale: 1, kNN: 1, UMAP: 1, cluster: 1 };
  const checkCancelled = () => {
    if (signal?.aborted) throw new CancelledError('The embedding map was cancelled.');
  };
  const timed = async <T>(stage: EmbedStage, work: () => Promise<T> | T): Promise<T> => {
    checkCancelled();
    const timer = stageTimer(pool);
    const out = await work();
    timer.lap(stage);
    seconds[stage] = timer.seconds[stage];
    cpuSeconds[stage] = timer.cpuSeconds[stage];
    parallelism[stage] = timer.parallelism[stage];
    return out;
  };
  const jobOptions = { pool, ...(signal ? { signal } : {}) };

  const vectors = await timed('scale', () => {
    if (options.scale === false) return features;
    onProgress?.('scale', 0, 1);
    const scaled = StandardScaler.fit(features, dim).transform(features);
    onProgress?.('scale', 1, 1);
    return scaled;
  });

  let knnMethod: EmbedMapResult['knnMethod'] = 'exact';
  const knn = await timed('kNN', async () => {
    if (options.knn) {
      if (options.knn.n !== n) throw new RangeError(`the kNN graph has ${options.knn.n} rows, the features ${n}`);
      knnMethod = 'given';
      return options.knn;
    }
    const wantedMethod = options.knnMethod ?? 'auto';
    if (!['auto', 'exact', 'projected', 'nnDescent'].includes(wantedMethod)) throw new RangeError(`knnMethod must be 'auto', 'exact', 'projected' or 'nnDescent', got '${String(wantedMethod)}'`);
    const method = wantedMethod === 'auto' ? chooseKnnMethod(n, dim) : wantedMethod;
    const progress = { ...jobOptions, onProgress: (stage: string, done: number, total: number) => onProgress?.('kNN', done, total, `${stage} ${done}/${total}`) };
    if (method === 'nnDescent') {
      knnMethod = 'nnDescent';
      const r = await pool.run('nnDescent', { data: vectors, n, dim, k: nNeighbors - 1, seed: options.knnSeed ?? 1 }, {
        ...(signal ? { signal } : {}),
        onProgress: (p) => onProgress?.('kNN', p.done, p.total, p.message),
      });
      return withSelf(r.indices, r.distances, n, r.k);
    }
    let others = method === 'projected' ? await knnProjectedInPool(vectors, n, dim, nNeighbors - 1, { ...progress, seed: options.knnSeed ?? 1 }) : null;
    knnMethod = others ? 'projected' : 'exact';
    others ??= await knnInPool(vectors, n, dim, nNeighbors - 1, progress);
    return withSelf(others.indices, others.distances, n, others.k);
  });

  const umapOptions: UmapTaskOptions = { partitions: defaultPartitions(pool.size), ...options.umap, nNeighbors: Math.min(nNeighbors, knn.k) };
  const threads = Math.min(options.layoutThreads ?? pool.size, pool.size, umapOptions.partitions ?? 1);
  const umap = await timed('UMAP', () => (threads > 1 ? layoutOnThreads(knn, umapOptions, threads, options) : layoutOnOneThread(knn, umapOptions, options)));

  let clusters: Int32Array | null = null;
  let clustering: EmbedMapResult['clustering'];
  const wanted = options.cluster;
  if (wanted) {
    const minPts = wanted.minPts ?? DEFAULT_MIN_PTS;
    const [data, d] = wanted.on === 'map' ? [umap.embedding, umap.nComponents] : [vectors, dim];
    const result = await timed('cluster', () =>
      clusterVectorsInPool(data, n, d, {
        ...jobOptions,
        minPts,
        ...(wanted.eps !== undefined ? { eps: wanted.eps } : {}),
        onProgress: (stage, done, total) => onProgress?.('cluster', done, total, stage),
      }),
    );
    clusters = result.labels;
    // Cluster ids are their smallest core point (not 0..count−1): count distinct ids.
    const ids = new Set<number>();
    let noise = 0;
    for (const l of clusters) {
      if (l < 0) noise++;
      else ids.add(l);
    }
    const count = ids.size;
    clustering = { on: wanted.on, eps: result.eps, minPts, method: result.method, count, noise };
  }

  return {
    n,
    nComponents: umap.nComponents,
    points: umap.embedding,
    clusters,
    ...(clustering ? { clustering } : {}),
    knn,
    knnMethod,
    nEpochs: umap.nEpochs,
    edgeCount: umap.edgeCount,
    seconds,
    cpuSeconds,
    parallelism,
  };
}

function layoutOnOneThread(knn: KnnGraph, umap: UmapTaskOptions, options: EmbedMapOptions): Promise<UmapResult> {
  const { pool, signal, onProgress } = options;
  return pool.run('umap', { knn, options: umap }, {
    ...(signal ? { signal } : {}),
    onProgress: (p) => onProgress?.('UMAP', p.done, p.total, p.message),
  });
}

/** The fit prepared in one worker, then its epochs shared by `threads` workers (see the file comment). */
async function layoutOnThreads(knn: KnnGraph, umap: UmapTaskOptions, threads: number, options: EmbedMapOptions): Promise<UmapResult> {
  const { pool, signal, onProgress } = options;
  const setup = await pool.run('umapPrepare', { knn, options: umap }, signal ? { signal } : {});
  const control = createLayoutControl();
  const runs = [];
  for (let role = 0; role < threads; role++) {
    runs.push(
      pool.run('umapLayout', { state: setup.state, control, role }, {
        ...(signal ? { signal } : {}),
        ...(role === 0 ? { onProgress: (p: { done: number; total: number; message?: string }) => onProgress?.('UMAP', p.done, p.total, p.message) } : {}),
      }),
    );
  }
  const outcomes = await Promise.all(runs);
  if (outcomes.some((o) => o.stopped)) throw new CancelledError('The embedding map was cancelled.');
  return { embedding: Float32Array.from(setup.state.published), nComponents: setup.nComponents, nEpochs: setup.nEpochs, edgeCount: setup.edgeCount };
}

/** A kNN graph of the others (k per row) with the point itself prepended at distance 0. */
export function withSelf(indices: Int32Array, distances: Float32Array, n: number, k: number): KnnGraph {
  const kk = k + 1;
  const outI = new Int32Array(n * kk);
  const outD = new Float32Array(n * kk);
  for (let i = 0; i < n; i++) {
    outI[i * kk] = i;
    outI.set(indices.subarray(i * k, (i + 1) * k), i * kk + 1);
    outD.set(distances.subarray(i * k, (i + 1) * k), i * kk + 1);
  }
  return { n, k: kk, indices: outI, distances: outD };
}
