/**
 * Training a similarity model on a dataset, end to end: read the dataset in the pool, turn its
 * records into encoder inputs, run the `train` task (tasks/train.ts), and return where the model
 * went and how good it is. A Siamese model needs labels; an autoencoder
 * (`model: 'autoencoder'`) takes them when there are some (latent positives, validation
 * retrieval scores) and trains without them otherwise.
 *
 * Inputs by kind of dataset (the preprocessing is saved in the model's manifest and repeated by
 * modelEmbeddings.ts):
 *   tables, JSONL vectors     dense encoder on standardised columns (a StandardScaler fitted here)
 *   images (folders, IDX)     conv2d on pixels / 255, [h, w, c]
 *   volumes (.npy)            conv3d on voxels as vectorFeatures 'raw' gives them, [d, h, w, 1]
 *   FASTA / FASTQ             conv1d on one-hot bases, [length, 4] (oneHot.ts: first bases kept)
 * Labels come with the dataset (class folders, IDX labels, a label column) or from the read
 * options (--labels, --label-column, --label-field, --label-regex). Text datasets are refused.
 *
 * Workers: a model (Siamese or autoencoder) trains data-parallel on `workers` threads of the
 * pool (default: all of them; at most one per 2 items of a batch): task `trainPrepare` sizes the
 * shared buffers, then `train` (rank 0, the leader: sampling, validation, checkpoints, reports)
 * and `trainFollower` × (workers − 1) share every step (engine/models/dataParallel.ts), as
 * mapLayout.ts shares the UMAP epochs. Dense inputs are moved into a SharedArrayBuffer first, so
 * the workers read one copy.
 *
 * Stop: `stopSignal` aborted asks the worker to stop gracefully (a flag in shared memory it polls
 * between steps): the best epoch is kept and saved and the call resolves with it. `signal`
 * cancels: the call rejects and only the last checkpoint stays on disk.
 */
import path from 'node:path';
import type { VectorReadOptions } from '../engine/data/vectorDataset';
import { vectorFormatOf } from '../engine/data/vectorDataset';
import { StandardScaler } from '../engine/features/scaler';
import type { BackendPreference } from '../engine/models/backend';
import { encodeLabels } from '../engine/models/batching';
import { abortParallelRun } from '../engine/models/dataParallel';
import { encoderKindForShape } from '../engine/models/encoders';
import { newModelId, type ModelDataKind, type ModelPreprocessing } from '../engine/models/modelStore';
import { defaultOneHotLength } from '../engine/models/oneHot';
import { resolveTrainingConfig, type TrainingConfig } from '../engine/models/training';
import { autoencoderBatchSize, resolveAutoencoderTrainingConfig, type AutoencoderTrainingConfig } from '../engine/models/autoencoderTraining';
import type { ModelKind } from '../engine/models/modelStore';
import { InvalidInputError } from '../worker/errors';
import type { WorkerPool } from './pool';
import type { CloneableReadOptions } from '../worker/tasks/loadDataset';
import { vectorsFromTask } from '../worker/tasks/loadVectors';
import { loadInPool } from './parallelRead';
import type { ManifestBase, TrainFollowerPayload, TrainingMetricsReport, TrainInputsPayload, TrainTaskPayload, TrainTaskResult } from '../worker/tasks/trainTaskTypes';

export type { TrainingMetricsReport, TrainTaskResult };

export interface TrainModelOptions {
  pool: WorkerPool;
  /** The model folder (created; its files replaced). */
  out: string;
  /** Default 'auto'. */
  backend?: BackendPreference;
  /** Default 'siamese'. */
  model?: ModelKind;
  /** Siamese models. */
  config?: TrainingConfig;
  /** Autoencoders (every field optional). */
  autoencoder?: AutoencoderTrainingConfig;
  /** Autoencoders: a trained Siamese model folder whose encoder is the perceptual loss's extractor. */
  perceptualModelDir?: string;
  /** Aborted: stop gracefully after the current step, keeping and saving the best epoch. */
  stopSignal?: AbortSignal;
  /** Numeric datasets: how to read them (labels, image size...). */
  vectorRead?: VectorReadOptions;
  /** Sequence datasets: how to read them (header labels...). */
  sequenceRead?: CloneableReadOptions;
  /** Sequences: the one-hot length; default: the longest record rounded up to 8, at most 4,096. */
  oneHotLength?: number;
  signal?: AbortSignal;
  /** Reading progress. */
  onProgress?: (stage: string, done: number, total: number) => void;
  /** Every training report: forward as `similarityLab/trainingMetrics`. */
  onMetrics?: (report: TrainingMetricsReport) => void;
  /** The model id; default from the dataset's name and the time. */
  modelId?: string;
  /** Seconds between step reports; default 0.25. */
  reportEverySeconds?: number;
  /** Worker threads to train on; default (and at most) the pool's size. */
  workers?: number;
}

export interface PreparedTraining {
  inputs: TrainInputsPayload;
  labels: Int32Array;
  classes: string[];
  kind: ModelDataKind;
  format: string;
  preprocessing: ModelPreprocessing;
  records: number;
  warnings: string[];
}

const TABLE_FORMATS = new Set(['csv', 'tsv', 'jsonl-vectors']);

function input(message: string): InvalidInputError {
  return new InvalidInputError(message);
}

/** Reads a dataset in the pool and builds the encoder inputs and labels (no training). */
export async function prepareTraining(file: string, options: Pick<TrainModelOptions, 'pool' | 'vectorRead' | 'sequenceRead' | 'oneHotLength' | 'signal' | 'onProgress'> & { requireLabels?: boolean }): Promise<PreparedTraining> {
  const { pool, signal } = options;
  const progress = options.onProgress ?? (() => undefined);
  const format = await vectorFormatOf(file);
  let prepared: PreparedTraining;
  let labelsOf: (string | undefined)[];
  if (format !== undefined) {
    const loaded = await vectorsFromTask(await pool.run('loadVectors', { file, read: options.vectorRead ?? {}, features: 'raw' }, { ...(signal ? { signal } : {}), onProgress: (p) => progress(p.message ?? 'reading', p.done, p.total) }));
    labelsOf = loaded.records.map((r) => r.label);
    const kind: ModelDataKind = TABLE_FORMATS.has(loaded.format) || loaded.kind === 'table' ? 'table' : loaded.kind;
    if (kind === 'table') {
      const scaler = StandardScaler.fit(loaded.features, loaded.dim);
      prepared = {
        inputs: { kind: 'dense', data: scaler.transform(loaded.features), inputShape: [loaded.dim] },
        labels: new Int32Array(0),
        classes: [],
        kind,
        format: loaded.format,
        preprocessing: { features: 'scaled', scaler: scaler.toJSON(), ...(loaded.columns ? { columns: loaded.columns } : {}) },
        records: loaded.records.length,
        warnings: loaded.warnings,
      };
    } else if (kind === 'image') {
      const [h, w, c] = loaded.shape as [number, number, number];
      prepared = {
        inputs: { kind: 'dense', data: loaded.features, inputShape: [h, w, c] },
        labels: new Int32Array(0),
        classes: [],
        kind,
        format: loaded.format,
        preprocessing: { features: 'raw', imageSize: [h, w], channels: c === 3 ? 3 : 1 },
        records: loaded.records.length,
        warnings: loaded.warnings,
      };
    } else {
      prepared = {
        inputs: { kind: 'dense', data: loaded.features, inputShape: [...loaded.shape, 1] },
        labels: new Int32Array(0),
        classes: [],
        kind,
        format: loaded.format,
        preprocessing: { features: 'raw' },
        records: loaded.records.length,
        warnings: loaded.warnings,
      };
    }
  } else {
    const read = options.sequenceRead ?? {};
    const loaded = await loadInPool(file, read, pool, signal, (done, total) => progress('reading', done, total));
    if (loaded.kind !== 'sequence') throw input(`${file}: a ${loaded.format} text dataset; ${options.requireLabels === false ? 'an autoencoder' : 'Siamese training'} takes tables, images, volumes or DNA sequences (FASTA/FASTQ)`);
    labelsOf = loaded.records.map((r) => r.label);
    const length = options.oneHotLength ?? defaultOneHotLength(loaded.records.map((r) => r.length));
    if (!(Number.isInteger(length) && length > 0)) throw input(`one-hot length: ${length} must be a positive integer`);
    prepared = {
      inputs: { kind: 'one-hot', packed: loaded.packed, length },
      labels: new Int32Array(0),
      classes: [],
      kind: 'sequence',
      format: loaded.format,
      preprocessing: { features: 'one-hot', oneHotLength: length },
      records: loaded.records.length,
      warnings: loaded.warnings,
    };
  }
  const { codes, classes } = encodeLabels(labelsOf);
  const labelled = codes.filter((c) => c >= 0).length;
  const sizes = new Map<number, number>();
  for (const c of codes) if (c >= 0) sizes.set(c, (sizes.get(c) ?? 0) + 1);
  const usable = [...sizes.values()].filter((s) => s >= 2).length;
  prepared.labels = codes;
  prepared.classes = classes;
  if (options.requireLabels === false) {
    if (prepared.records < 2) throw input(`${file}: ${prepared.records} record(s); an autoencoder needs at least 2`);
    return prepared;
  }
  if (labelled === 0) throw input(`${file}: no record has a label; training needs labels (class folders, IDX labels, --labels FILE, --label-column, --label-field or --label-regex)`);
  if (usable < 2) throw input(`${file}: ${classes.length} class(es) and ${usable} with at least 2 records; training needs 2 or more classes of 2 or more records`);
  if (labelled < codes.length) prepared.warnings.push(`${codes.length - labelled} record(s) without a label are not trained on`);
  return prepared;
}

/**
 * A bad configuration is the caller's input error, found before any reading (the encoder kind
 * does not change what is checked; an autoencoder's kind is checked against the inputs later).
 */
function checkTrainingConfig(options: TrainModelOptions): void {
  try {
    if (options.model === 'autoencoder') {
      const { autoencoder: a, ...rest } = options.autoencoder ?? {};
      resolveAutoencoderTrainingConfig([1], { ...rest, ...(a ? { autoencoder: { ...a, kind: 'dense' } } : {}) });
    } else resolveTrainingConfig('dense', options.config ?? {});
  } catch (err) {
    throw input(`training configuration: ${(err as Error).message}`);
  }
}

/** The autoencoder's configuration against the prepared inputs (a conv kind needs the right rank). */
function checkAutoencoderConfig(config: AutoencoderTrainingConfig, inputShape: number[]): void {
  try {
    resolveAutoencoderTrainingConfig(inputShape, config);
  } catch (err) {
    throw input(`training configuration: ${(err as Error).message}`);
  }
}

/** Trains a Siamese model (or an autoencoder) on `file` and saves it into `options.out`. */
export async function trainModel(file: string, options: TrainModelOptions): Promise<TrainTaskResult & { warnings: string[]; classes: string[] }> {
  const model = options.model ?? 'siamese';
  checkTrainingConfig(options);
  const prepared = await prepareTraining(file, { ...options, requireLabels: model === 'siamese' });
  options.signal?.throwIfAborted();
  const inputShape = prepared.inputs.kind === 'dense' ? prepared.inputs.inputShape : [prepared.inputs.length, 4];
  if (model === 'autoencoder') checkAutoencoderConfig(options.autoencoder ?? {}, inputShape);
  const manifest: ManifestBase = {
    modelId: options.modelId ?? newModelId(path.basename(file).replace(/(\.gz)?$/, '').replace(/\.[^.]*$/, ''), new Date(), model),
    created: new Date().toISOString(),
    model,
    data: { kind: prepared.kind, format: prepared.format, dataset: file, records: prepared.records, inputShape, encoderKind: encoderKindForShape(inputShape) },
    preprocessing: prepared.preprocessing,
    classes: prepared.classes,
  };
  // The worker polls this flag between steps; a SharedArrayBuffer is shared, not copied, by postMessage.
  const stopFlag = new Int32Array(new SharedArrayBuffer(4));
  const onStop = () => Atomics.store(stopFlag, 0, 1);
  if (options.stopSignal?.aborted) onStop();
  options.stopSignal?.addEventListener('abort', onStop, { once: true });
  const common = {
    out: path.resolve(options.out),
    backend: options.backend ?? 'auto',
    inputs: prepared.inputs,
    labels: prepared.labels,
    manifest,
    dataset: path.basename(file),
    stopFlag,
    ...(options.reportEverySeconds !== undefined ? { reportEverySeconds: options.reportEverySeconds } : {}),
  };
  const payload: TrainTaskPayload =
    model === 'autoencoder'
      ? { ...common, model, config: options.autoencoder ?? {}, ...(options.perceptualModelDir !== undefined ? { perceptualModelDir: path.resolve(options.perceptualModelDir) } : {}) }
      : { ...common, model, config: options.config ?? {} };
  const runOptions = {
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (p: { data?: unknown }) => {
      if (p.data !== undefined) options.onMetrics?.(p.data as TrainingMetricsReport);
    },
  };
  try {
    const workers = payload.model === 'autoencoder' ? autoencoderTrainingWorkers(options, payload.config, inputShape, prepared.records, prepared.warnings) : trainingWorkers(options, payload.config, prepared.warnings);
    const result = workers > 1 ? await trainParallel(options.pool, { ...payload, inputs: sharedInputs(payload.inputs) }, workers, runOptions) : await options.pool.run('train', payload, runOptions);
    return { ...result, warnings: prepared.warnings, classes: prepared.classes };
  } finally {
    options.stopSignal?.removeEventListener('abort', onStop);
  }
}

/** How many workers a Siamese run trains on: the wish (default: the pool's size), within the pool and the batch. */
export function trainingWorkers(options: Pick<TrainModelOptions, 'pool' | 'workers'>, config: TrainingConfig, warnings: string[] = []): number {
  const c = resolveTrainingConfig('dense', config);
  return workersFor(options, c.classesPerBatch * c.perClass, warnings);
}

/** How many workers an autoencoder run trains on: as for Siamese runs, its batch being `batchSize` of the training items. */
export function autoencoderTrainingWorkers(options: Pick<TrainModelOptions, 'pool' | 'workers'>, config: AutoencoderTrainingConfig, inputShape: readonly number[], records: number, warnings: string[] = []): number {
  return workersFor(options, autoencoderBatchSize(records, inputShape, config), warnings);
}

function workersFor(options: Pick<TrainModelOptions, 'pool' | 'workers'>, batch: number, warnings: string[]): number {
  const wanted = options.workers ?? options.pool.size;
  if (!(Number.isInteger(wanted) && wanted >= 1)) throw input(`workers: ${wanted} must be a positive integer`);
  // Each shard keeps at least 2 items: batch norm's statistics need them, and thinner shards only add barriers.
  const byBatch = Math.max(1, Math.floor(batch / 2));
  const workers = Math.min(wanted, options.pool.size, byBatch);
  if (workers < wanted) warnings.push(`training on ${workers} worker(s), not ${wanted}: ${workers === options.pool.size ? `the pool has ${options.pool.size} thread(s)` : `a batch of ${batch} gives at most ${byBatch} shards of 2`}`);
  return workers;
}

/** The editor's worker count: the setting, or 0 = every pool thread but one (the host stays responsive). */
export function editorTrainingWorkers(setting: number, poolSize: number): number {
  return setting > 0 ? setting : Math.max(1, poolSize - 1);
}

/** Dense inputs in a SharedArrayBuffer (one copy for every worker); one-hot inputs already are. */
function sharedInputs(inputs: TrainInputsPayload): TrainInputsPayload {
  if (inputs.kind !== 'dense' || inputs.data.buffer instanceof SharedArrayBuffer) return inputs;
  const data = new Float32Array(new SharedArrayBuffer(inputs.data.byteLength));
  data.set(inputs.data);
  return { ...inputs, data };
}

/**
 * The leader and its followers on `workers` threads. Every task gets the caller's signal, so a
 * cancel stops them all; a rank that fails aborts the others (the shared abort word), and the
 * error reported is the one that started it, not the others' "stopped with it".
 */
async function trainParallel(pool: WorkerPool, payload: TrainTaskPayload, workers: number, runOptions: { signal?: AbortSignal; onProgress: (p: { data?: unknown }) => void }): Promise<TrainTaskResult> {
  const signal = runOptions.signal ? { signal: runOptions.signal } : {};
  const { backend, inputs, labels } = payload;
  const buffers = await pool.run(
    'trainPrepare',
    payload.model === 'autoencoder' ? { model: 'autoencoder', backend, inputs, labels, config: payload.config, workers } : { backend, inputShape: inputs.kind === 'dense' ? inputs.inputShape : [inputs.length, 4], config: payload.config, workers },
    signal,
  );
  // A rank whose worker crashed cannot abort the run itself: the others would wait for it.
  const abortOnFailure = <T>(run: Promise<T>): Promise<T> =>
    run.catch((err: unknown) => {
      abortParallelRun(buffers);
      throw err;
    });
  const leader = abortOnFailure(pool.run('train', { ...payload, parallel: { buffers } }, runOptions));
  const follower = (rank: number): TrainFollowerPayload =>
    payload.model === 'autoencoder'
      ? { model: 'autoencoder', backend, inputs, labels, config: payload.config, buffers, rank, ...(payload.perceptualModelDir !== undefined ? { perceptualModelDir: payload.perceptualModelDir } : {}) }
      : { backend, inputs, labels, config: payload.config, buffers, rank };
  const followers = Array.from({ length: workers - 1 }, (_, i) => abortOnFailure(pool.run('trainFollower', follower(i + 1), signal)));
  const [first, ...rest] = await Promise.allSettled([leader, ...followers]);
  const failures = [first!, ...rest].flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failures.length > 0) throw failures.find((e) => e?.name !== 'ParallelAbortedError') ?? failures[0];
  return (first as PromiseFulfilledResult<TrainTaskResult>).value;
}
