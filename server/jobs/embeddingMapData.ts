/**
 * The embedding map of any dataset, for the Embedding Map webview and `simlab embed`:
 * vectors (table features, image HOG, volume voxels; or a trained model's embeddings, given as
 * `embeddings`) or, for sequences and text, their 4-mer / trigram profiles → StandardScaler →
 * kNN → UMAP (seeded) → DBSCAN on the map → one point per record with its id, label, cluster,
 * a preview for the hover card and where the record lives. With an autoencoder's folder as
 * `modelDir`, each record's reconstruction too (drawn beside the original in the hover card), for
 * the first MAX_RECONSTRUCTIONS records.
 */
import { pathToFileURL } from 'node:url';
import type { VectorReadOptions } from '../engine/data/vectorDataset';
import { vectorFormatOf } from '../engine/data/vectorDataset';
import type { DatasetReadOptions } from '../engine/data';
import type { FeatureKind } from '../engine/features/vectorFeatures';
import { embedMap, type EmbedMapResult, type EmbedStage } from './mapLayout';
import type { IndexCache } from './indexCache';
import { InvalidInputError } from '../worker/errors';
import type { WorkerPool } from './pool';
import { buildSequenceIndex } from './sequenceIndex';
import { modelEmbeddings } from './modelEmbeddings';
import { reconstructionPreviews } from './modelReconstructions';
import type { CloneableReadOptions } from '../worker/tasks/loadDataset';
import { vectorsFromTask, type RecordPreview } from '../worker/tasks/loadVectors';
import type { EmbeddingMapRequest, MapPreview } from '../protocol';

/**
 * The map as built here: the `similarityLab/embeddingMap` answer without `clustering` (the
 * handler adds that, for the Clusters view); `simlab embed` writes it as a page or JSON.
 */
export type BuiltEmbeddingMap = Omit<EmbeddingMapRequest.Result, 'clustering'>;

export interface EmbeddingMapOptions {
  pool: WorkerPool;
  signal?: AbortSignal;
  cache?: IndexCache;
  /** Numeric datasets: read and feature options (as for clustering). */
  vectorRead?: VectorReadOptions;
  features?: FeatureKind | 'auto';
  /** Sequences and text: read options. */
  read?: DatasetReadOptions;
  /** UMAP seed (default 42). */
  seed?: number;
  /** A trained model's folder: map its embeddings of the records instead of the features. */
  modelDir?: string;
  /** DBSCAN on the 2-D map (default) or on the scaled embedding. */
  clusterOn?: 'map' | 'embedding';
  onProgress?: (stage: string, done: number, total: number) => void;
}

const EXCERPT = 120;
/** Reconstructions are decoded for at most this many records (the rest show the original only). */
export const MAX_RECONSTRUCTIONS = 20_000;
/** The map's DBSCAN: minPts 10 and eps from the k-distance knee, on the 2-D map where the grid makes it O(n). */
const MAP_MIN_PTS = 10;
/** UMAP's neighbours per point, the point itself included (umap-learn's default). */
const DEFAULT_NEIGHBOURS = 15;

function base64OfFloats(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

function mapPreview(p: RecordPreview): MapPreview {
  return p.type === 'text' ? p : { type: 'pixels', width: p.width, height: p.height, channels: p.channels, data: Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength).toString('base64') };
}

function title(file: string): string {
  return file.replace(/^.*[\\/]/u, '');
}

function clusterStats(result: EmbedMapResult): { clusters: number; noise: number; eps: number; minPts: number } {
  return { clusters: result.clustering?.count ?? 0, noise: result.clustering?.noise ?? 0, eps: result.clustering?.eps ?? Number.NaN, minPts: result.clustering?.minPts ?? 0 };
}

/** The map of a dataset file or folder. */
export async function buildEmbeddingMap(file: string, options: EmbeddingMapOptions): Promise<BuiltEmbeddingMap> {
  const { pool, signal } = options;
  const progress = options.onProgress ?? (() => undefined);
  const run = { ...(signal ? { signal } : {}) };
  const uri = pathToFileURL(file).href;
  const embed = (features: Float32Array, dim: number) => {
    const n = features.length / dim;
    if (n < 4) throw new InvalidInputError(`${title(file)}: ${n} record(s) are too few for a map (it needs at least 4)`);
    // Small datasets: fewer neighbours and a smaller minPts, so a dozen images still make a map.
    return embedMap(features, dim, {
      pool,
      ...run,
      nNeighbors: Math.min(DEFAULT_NEIGHBOURS, n - 1),
      umap: { seed: options.seed ?? 42 },
      cluster: { on: options.clusterOn ?? 'map', minPts: Math.max(2, Math.min(MAP_MIN_PTS, Math.floor(n / 10))) },
      onProgress: (stage: EmbedStage, done, total) => progress(stage, done, total),
    });
  };

  // A model: its embeddings are the points (read as the model was trained); the dataset is still read for its previews.
  const embedded = options.modelDir
    ? await modelEmbeddings(file, { pool, modelDir: options.modelDir, reconstruct: MAX_RECONSTRUCTIONS, ...run, ...(options.vectorRead ? { vectorRead: options.vectorRead } : {}), ...(options.read ? { sequenceRead: stripFunctions(options.read) } : {}), onProgress: progress })
    : undefined;
  const reconstructions = embedded?.reconstructions ? padded(reconstructionPreviews(embedded.manifest, embedded.reconstructions, embedded.reconstructions.length / embedded.manifest.data.inputShape.reduce((a, b) => a * b, 1)), embedded.index.records.length) : undefined;
  const featuresName = (fallback: string) => (embedded ? `embeddings of model ${embedded.manifest.modelId}` : fallback);

  if ((await vectorFormatOf(file)) !== undefined) {
    const loaded = await vectorsFromTask(await pool.run('loadVectors', { file, read: options.vectorRead ?? {}, features: embedded ? 'raw' : (options.features ?? 'auto'), previews: true }, { ...run, onProgress: (p) => progress(p.message ?? 'reading', p.done, p.total) }));
    const result = embedded ? await embed(embedded.index.features, embedded.index.dim) : await embed(loaded.features, loaded.dim);
    const kind: EmbeddingMapRequest.RecordKind = loaded.kind === 'image' ? 'images' : loaded.kind === 'volume' ? 'volumes' : loaded.format === 'idx' || loaded.format === 'npy' ? 'vectors' : 'rows';
    const textRows = loaded.format === 'csv' || loaded.format === 'tsv' || loaded.format === 'jsonl-vectors';
    return {
      map: {
        title: title(file),
        kind,
        ids: loaded.records.map((r) => r.id),
        points: base64OfFloats(result.points),
        labels: loaded.records.map((r) => r.label ?? null),
        ...(result.clusters ? { clusters: Array.from(result.clusters) } : {}),
        ...(loaded.previews ? { previews: loaded.previews.map(mapPreview) } : {}),
        ...(reconstructions ? { reconstructions } : {}),
      },
      records: loaded.records.map((r) =>
        r.file !== undefined ? { uri: pathToFileURL(r.file).href } : textRows ? { uri, range: { start: { line: r.startLine, character: 0 }, end: { line: r.endLine + 1, character: 0 } } } : { uri },
      ),
      dataset: { uri, ...(textRows && loaded.format !== 'jsonl-vectors' ? { headerLines: loaded.records[0]?.startLine ?? 0 } : {}) },
      stats: { records: loaded.records.length, dim: embedded?.index.dim ?? loaded.dim, features: featuresName(loaded.featureKind), ...clusterStats(result), seconds: result.seconds },
    };
  }

  const index = await buildSequenceIndex(file, { pool, ...run, ...(options.cache ? { cache: options.cache } : {}), ...(options.read ? { read: options.read } : {}), onProgress: progress });
  const profiles = await pool.run('profiles', { packed: index.packed, excerpt: EXCERPT }, { ...run, onProgress: (p) => progress('profiles', p.done, p.total) });
  const result = embedded ? await embed(embedded.index.features, embedded.index.dim) : await embed(profiles.features, profiles.dim);
  return {
    map: {
      title: title(file),
      kind: index.kind === 'sequence' ? 'sequences' : 'text',
      ids: index.records.map((r) => r.id),
      points: base64OfFloats(result.points),
      labels: index.records.map((r) => r.label ?? null),
      // FASTA/FASTQ headers: the hover card names the record (`Genus species`), not only its id.
      ...(index.records.some((r) => r.description !== undefined) ? { descriptions: index.records.map((r) => r.description ?? null) } : {}),
      ...(result.clusters ? { clusters: Array.from(result.clusters) } : {}),
      previews: profiles.excerpts.map((text) => ({ type: 'text', text })),
      ...(reconstructions ? { reconstructions } : {}),
    },
    records: index.records.map((r) => ({ uri, range: { start: { line: r.startLine, character: 0 }, end: { line: r.endLine + 1, character: 0 } } })),
    dataset: { uri },
    stats: { records: index.records.length, dim: embedded?.index.dim ?? profiles.dim, features: featuresName(index.kind === 'sequence' ? '4-mer profile' : 'trigram profile'), ...clusterStats(result), seconds: result.seconds },
  };
}

/** `n` entries: the previews, then null. */
function padded(previews: MapPreview[], n: number): (MapPreview | null)[] {
  return Array.from({ length: n }, (_, i) => previews[i] ?? null);
}

/** The plain-data read options (functions cannot cross to a worker). */
function stripFunctions(read: DatasetReadOptions): CloneableReadOptions {
  const { labelOf: _l, onWarning: _w, onProgress: _p, ...rest } = read;
  return rest;
}
