/**
 * A numeric dataset made ready for similarity search: its records (ids, labels, lines or files)
 * and their feature vectors in shared memory — loaded from the index cache when the content, the
 * read options and the feature choice are unchanged (the scaler is saved with it), else read and
 * featurised in a worker and saved.
 */
import type { ReadProblem } from '../engine/data/records';
import type { VectorReadOptions } from '../engine/data/vectorDataset';
import type { VectorFormat, VectorKind } from '../engine/data/vectors';
import type { StandardScalerJson } from '../engine/features/scaler';
import type { FeatureKind } from '../engine/features/vectorFeatures';
import type { VectorMetric } from '../engine/index/knnExact';
import { indexKey, type IndexCache } from './indexCache';
import type { WorkerPool } from './pool';
import { hogShape } from '../engine/features/hog';
import { loadVectors, vectorsFromTask, type LoadedVectors, type VectorRecordMeta } from '../worker/tasks/loadVectors';

export type { VectorRecordMeta };

export interface VectorIndex {
  file: string;
  format: VectorFormat;
  kind: VectorKind;
  /** One record as read: [d] | [h, w, c] | [depth, h, w]. */
  shape: number[];
  records: VectorRecordMeta[];
  /** `records.length × dim` features, in a SharedArrayBuffer. */
  features: Float32Array;
  dim: number;
  featureKind: FeatureKind;
  /** The distance the features are compared with. */
  metric: VectorMetric;
  scaler?: StandardScalerJson;
  columns?: string[];
  contentHash: string;
  fromCache: boolean;
  warnings: string[];
  /** The read's located problems: rows skipped (errors) or odd (warnings). */
  problems: ReadProblem[];
}

export interface BuildVectorIndexOptions {
  read?: VectorReadOptions;
  features?: FeatureKind | 'auto';
  metric?: VectorMetric;
  pool: WorkerPool;
  cache?: IndexCache;
  signal?: AbortSignal;
  onProgress?: (stage: string, done: number, total: number) => void;
  /** A GEMM search follows: the reading worker loads its GEMM meanwhile (LoadVectorsPayload.warmGemm). */
  warmGemm?: boolean;
}

/** Euclidean on every feature kind: HOG blocks are L2-normalised, so it ranks as cosine does there. */
export const DEFAULT_VECTOR_METRIC: VectorMetric = 'euclidean';

const CACHE_VERSION = 1;

interface CacheHeader {
  v: number;
  format: VectorFormat;
  kind: VectorKind;
  shape: number[];
  records: VectorRecordMeta[];
  dim: number;
  featureKind: FeatureKind;
  scaler?: StandardScalerJson;
  columns?: string[];
  warnings: string[];
  /** Absent in a header written before problems were kept (such a read had none: it would have thrown). */
  problems?: ReadProblem[];
}

function cacheKeyOf(contentHash: string, read: VectorReadOptions, features: string): string {
  const { onProgress: _p, onWarning: _w, displayName: _d, ...rest } = read;
  return indexKey(contentHash, { vectors: CACHE_VERSION, features, read: JSON.stringify(rest) });
}

export async function buildVectorIndex(file: string, options: BuildVectorIndexOptions): Promise<VectorIndex> {
  const { pool, signal } = options;
  const progress = options.onProgress ?? (() => undefined);
  const read = options.read ?? {};
  const features = options.features ?? 'auto';
  const metric = options.metric ?? DEFAULT_VECTOR_METRIC;
  let known: string | undefined;
  if (options.cache) {
    // The key needs the content hash (a folder: its listing; a file: one read), hashed in a worker.
    const contentHash = await pool.run('contentHash', { file }, { signal });
    known = contentHash;
    const key = cacheKeyOf(contentHash, read, features);
    const cached = await options.cache.load<CacheHeader>(key);
    const h = cached?.header;
    if (cached && h && h.v === CACHE_VERSION && cached.data.length === h.records.length * h.dim) {
      const featuresArray = new Float32Array(new SharedArrayBuffer(Math.max(4, cached.data.byteLength)), 0, cached.data.length);
      featuresArray.set(new Float32Array(cached.data.buffer, cached.data.byteOffset, cached.data.length));
      return { file, format: h.format, kind: h.kind, shape: h.shape, records: h.records, features: featuresArray, dim: h.dim, featureKind: h.featureKind, metric, ...(h.scaler ? { scaler: h.scaler } : {}), ...(h.columns ? { columns: h.columns } : {}), contentHash, fromCache: true, warnings: h.warnings, problems: h.problems ?? [] };
    }
  }
  const payload = { file, read, features, ...(known ? { contentHash: known } : {}), ...(options.warmGemm ? { warmGemm: true } : {}) };
  // Read options holding functions cannot cross to a worker: then the caller's thread reads.
  const plainRead = read.onProgress || read.onWarning;
  // HOG is left to the whole pool (hogInPool), not to the reading worker alone.
  let loaded: LoadedVectors = plainRead
    ? await loadVectors(payload, () => signal?.aborted === true, progress)
    : await vectorsFromTask(await pool.run('loadVectors', { ...payload, deferHog: true }, { signal, onProgress: (p) => progress(p.message ?? 'reading', p.done, p.total) }));
  signal?.throwIfAborted();
  if (loaded.pendingHog) {
    const { pendingHog: _pending, ...rest } = loaded;
    loaded = { ...rest, ...(await hogInPool(rest.features, rest.shape, options)) };
  }
  const index: VectorIndex = { file, ...loaded, metric, fromCache: false };
  if (options.cache) {
    const header: CacheHeader = { v: CACHE_VERSION, format: loaded.format, kind: loaded.kind, shape: loaded.shape, records: loaded.records, dim: loaded.dim, featureKind: loaded.featureKind, ...(loaded.scaler ? { scaler: loaded.scaler } : {}), ...(loaded.columns ? { columns: loaded.columns } : {}), warnings: loaded.warnings, problems: loaded.problems };
    try {
      await options.cache.save(cacheKeyOf(loaded.contentHash, read, features), header, new Uint32Array(loaded.features.buffer, loaded.features.byteOffset, loaded.features.length));
    } catch (err) {
      index.warnings = [...index.warnings, `the index could not be cached in ${options.cache.dir}: ${err instanceof Error ? err.message : String(err)}`];
    }
  }
  return index;
}

/**
 * HOG descriptors of every image (pixels as read, `shape` each) over the pool, a few row ranges
 * per worker: the values of featuresOf's 'hog' (each image's descriptor is its own), in a
 * SharedArrayBuffer.
 */
async function hogInPool(pixels: Float32Array, shape: number[], options: Pick<BuildVectorIndexOptions, 'pool' | 'signal' | 'onProgress'>): Promise<{ features: Float32Array; dim: number }> {
  const { n, dim } = hogShape({ data: pixels, shape });
  const out = new Float32Array(new SharedArrayBuffer(Math.max(4, n * dim * Float32Array.BYTES_PER_ELEMENT)), 0, n * dim);
  const chunks = Math.max(1, Math.min(n, options.pool.size * 4));
  const size = Math.ceil(n / chunks);
  const doneBy = new Float64Array(chunks);
  const runs: Promise<boolean>[] = [];
  for (let c = 0; c * size < n; c++) {
    const from = c * size;
    const to = Math.min(n, from + size);
    runs.push(
      options.pool.run('hogRows', { pixels, shape, from, to, out }, {
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (p) => {
          doneBy[c] = p.done;
          options.onProgress?.('features', doneBy.reduce((s, v) => s + v, 0), n);
        },
      }),
    );
  }
  await Promise.all(runs);
  return { features: out, dim };
}
