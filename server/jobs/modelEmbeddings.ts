/**
 * A trained model's embeddings of a dataset, for Find Similar, clustering, evaluation and the
 * embedding map: read the model's manifest, read the dataset in the pool exactly as the model's
 * preprocessing says (the saved scaler for tables; images resampled to the trained size and
 * channels, / 255; volumes as vectorFeatures 'raw'; DNA one-hot at the trained length), then embed
 * in one worker (tasks/embedModel.ts).
 *
 * An autoencoder's embeddings are its latent codes (tasks/embedModel.ts); with `reconstruct`,
 * its reconstructions of the first records come back too (for the Embedding Map's hover card).
 *
 * The result doubles as a VectorIndex whose features are the embeddings, so the vector kNN and
 * DBSCAN jobs work on it unchanged. Its metric: the model's distance — 'cosine', or 'euclidean'
 * for 'euclidean' and 'combined' (on the unit-length embeddings every encoder ends in, combined
 * = w·e + (1 − w)·e²/2 is an increasing function of the Euclidean e: the same neighbours, the
 * same clusters at the matching radius). An autoencoder's latent is not unit length, so for it
 * 'combined' ranked as 'euclidean' is an approximation (its default latent distance is cosine).
 */
import { summarizeClusters } from '../engine/cluster/summary';
import type { VectorReadOptions } from '../engine/data/vectorDataset';
import { vectorFormatOf } from '../engine/data/vectorDataset';
import type { VectorFormat } from '../engine/data/vectors';
import { StandardScaler } from '../engine/features/scaler';
import type { VectorMetric } from '../engine/index/knnExact';
import type { BackendPreference } from '../engine/models/backend';
import { readManifest, type ModelManifest } from '../engine/models/modelStore';
import { InvalidInputError } from '../worker/errors';
import type { WorkerPool } from './pool';
import type { CloneableReadOptions } from '../worker/tasks/loadDataset';
import { loadInPool } from './parallelRead';
import { vectorsFromTask, type LoadedVectors, type VectorRecordMeta } from '../worker/tasks/loadVectors';
import type { EmbedModelPayload } from '../worker/tasks/embedModel';
import type { TrainInputsPayload } from '../worker/tasks/trainTaskTypes';
import type { VectorClusterOutcome, VectorClusterParams } from './vectorClusterDataset';
import { clusterVectorsInPool } from './vectorSearch';
import type { VectorIndex } from './vectorIndex';

export interface ModelEmbeddingsOptions {
  pool: WorkerPool;
  /** The model folder (written by `simlab train`). */
  modelDir: string;
  /** Default 'auto'. */
  backend?: BackendPreference;
  /** Numeric datasets: labels and the like (the image size and channels come from the model). */
  vectorRead?: VectorReadOptions;
  /** Sequence datasets: header labels and the like. */
  sequenceRead?: CloneableReadOptions;
  signal?: AbortSignal;
  onProgress?: (stage: string, done: number, total: number) => void;
  /** Autoencoders: also reconstruct the first this many records (ignored for Siamese models). */
  reconstruct?: number;
}

export interface ModelEmbeddings {
  manifest: ModelManifest;
  /** The embeddings as a vector index (features = embeddings, featureKind reported as 'raw'). */
  index: VectorIndex;
  /** Autoencoders asked to `reconstruct`: the first records' reconstructions, m × prod(inputShape) (model units). */
  reconstructions?: Float32Array;
  /** ... and their mean squared error against the model's inputs. */
  reconstructionMse?: number;
}

/** The kNN metric for a model's distance (see the module comment). */
export function metricOfModel(manifest: Pick<ModelManifest, 'distance'>): VectorMetric {
  return manifest.distance === 'cosine' ? 'cosine' : 'euclidean';
}

/** Reads `file` as the model in `options.modelDir` wants it and embeds every record. */
export async function modelEmbeddings(file: string, options: ModelEmbeddingsOptions): Promise<ModelEmbeddings> {
  const { pool, signal } = options;
  const progress = options.onProgress ?? (() => undefined);
  const manifest = await readManifest(options.modelDir);
  const pre = manifest.preprocessing;
  const format = await vectorFormatOf(file);
  const runOptions = { ...(signal ? { signal } : {}) };
  let inputs: TrainInputsPayload;
  let records: VectorRecordMeta[];
  let warnings: string[];
  let problems: LoadedVectors['problems'];
  let shape: number[];
  let datasetFormat: string;
  if (manifest.data.kind === 'sequence') {
    if (format !== undefined) throw new InvalidInputError(`${file}: a numeric dataset (${format}); the model ${options.modelDir} was trained on DNA sequences`);
    const loaded = await loadInPool(file, options.sequenceRead ?? {}, pool, signal, (done, total) => progress('reading', done, total));
    if (loaded.kind !== 'sequence') throw new InvalidInputError(`${file}: a text dataset; the model ${options.modelDir} was trained on DNA sequences`);
    const length = pre.oneHotLength ?? manifest.data.inputShape[0]!;
    inputs = { kind: 'one-hot', packed: loaded.packed, length };
    records = loaded.records;
    warnings = loaded.warnings;
    problems = loaded.problems;
    shape = [length, 4];
    datasetFormat = loaded.format;
  } else {
    if (format === undefined) throw new InvalidInputError(`${file}: not a numeric dataset; the model ${options.modelDir} was trained on ${manifest.data.kind}s`);
    const read: VectorReadOptions = { ...options.vectorRead, ...(pre.imageSize ? { imageSize: pre.imageSize } : {}), ...(pre.channels ? { channels: pre.channels } : {}) };
    const loaded = await vectorsFromTask(await pool.run('loadVectors', { file, read, features: 'raw' }, { ...runOptions, onProgress: (p) => progress(p.message ?? 'reading', p.done, p.total) }));
    const kind = loaded.kind;
    if (kind !== manifest.data.kind) throw new InvalidInputError(`${file}: holds ${kind}s of shape [${loaded.shape.join(', ')}]; the model ${options.modelDir} was trained on ${manifest.data.kind}s`);
    let data = loaded.features;
    if (pre.features === 'scaled') {
      if (!pre.scaler) throw new InvalidInputError(`${options.modelDir}/manifest.json: field 'preprocessing.scaler' is missing for scaled features`);
      const scaler = StandardScaler.fromJSON(pre.scaler);
      if (scaler.dim !== loaded.dim) throw new InvalidInputError(`${file}: ${loaded.dim} numeric columns; the model ${options.modelDir} was trained on ${scaler.dim}${pre.columns ? ` (${pre.columns.join(', ')})` : ''}`);
      data = scaler.transform(data);
    }
    shape = kind === 'volume' ? [...loaded.shape, 1] : loaded.shape;
    inputs = { kind: 'dense', data, inputShape: shape };
    records = loaded.records;
    warnings = loaded.warnings;
    problems = loaded.problems;
    datasetFormat = loaded.format;
  }
  if (shape.join(',') !== manifest.data.inputShape.join(',')) {
    throw new InvalidInputError(`${file}: records of shape [${shape.join(', ')}]; the model ${options.modelDir} takes [${manifest.data.inputShape.join(', ')}]`);
  }
  progress('embedding', 0, records.length);
  const reconstruct = manifest.model === 'autoencoder' ? Math.min(options.reconstruct ?? 0, records.length) : 0;
  const payload: EmbedModelPayload = { modelDir: options.modelDir, backend: options.backend ?? 'auto', inputs, ...(reconstruct > 0 ? { reconstruct } : {}) };
  const r = await pool.run('embedModel', payload, { ...runOptions, onProgress: (p) => progress('embedding', p.done, p.total) });
  const index: VectorIndex = {
    file,
    // Sequence files are not a VectorFormat; the consumers of the index only show it.
    format: datasetFormat as VectorFormat,
    kind: manifest.data.kind === 'volume' ? 'volume' : manifest.data.kind === 'image' ? 'image' : 'table',
    shape,
    records,
    features: r.embeddings,
    dim: r.dim,
    featureKind: 'raw',
    metric: metricOfModel(manifest),
    contentHash: '',
    fromCache: false,
    warnings,
    problems,
  };
  return { manifest, index, ...(r.reconstructions ? { reconstructions: r.reconstructions, reconstructionMse: r.reconstructionMse! } : {}) };
}

/** DBSCAN on a model's embeddings (eps given, or read off the k-distance curve), as a VectorClusterOutcome. */
export async function clusterModelEmbeddings(embedded: ModelEmbeddings, params: VectorClusterParams, options: { pool: WorkerPool; signal?: AbortSignal; onProgress?: (stage: string, done: number, total: number) => void }): Promise<VectorClusterOutcome> {
  const { index } = embedded;
  const t = performance.now();
  const clustering = await clusterVectorsInPool(index.features, index.records.length, index.dim, { pool: options.pool, ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}), metric: index.metric, minPts: params.minPts, ...(params.method ? { method: params.method } : {}), ...(params.eps !== undefined ? { eps: params.eps } : {}), ...(params.mutualNeighbours ? { mutualNeighbours: params.mutualNeighbours } : {}) });
  return {
    index,
    labels: clustering.labels,
    summary: summarizeClusters(clustering.labels),
    edges: { i: new Uint32Array(0), j: new Uint32Array(0), identity: new Float32Array(0), distance: new Float32Array(0) },
    eps: clustering.eps,
    ...(clustering.epsEstimate ? { epsEstimate: clustering.epsEstimate } : {}),
    stats: { path: clustering.method, edges: clustering.edges ?? 0, ...(clustering.keptEdges !== undefined ? { keptEdges: clustering.keptEdges } : {}), fromCache: false, seconds: { [clustering.method === 'leiden' ? 'Leiden' : 'DBSCAN']: (performance.now() - t) / 1000 } },
  };
}
