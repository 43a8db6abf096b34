/**
 * What every dataset-reading command shares: the label and limit options of DESIGN.md, the
 * worker pool, the index cache, and progress on stderr (only when stderr is a terminal).
 */
import type { DatasetReadOptions } from '../engine/data';
import { datasetPathKind } from '../engine/data/fileKind';
import { vectorFormatOf, type VectorReadOptions } from '../engine/data/vectorDataset';
import type { FeatureKind } from '../engine/features/vectorFeatures';
import { VECTOR_METRICS, type VectorMetric } from '../engine/index/knnExact';
import { clusterKindOf } from '../jobs/clusterParams';
import { defaultCacheDir, IndexCache } from '../jobs/indexCache';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WorkerPool, type PoolOptions } from '../jobs/pool';
import type { OptionSpecs, ParsedOptions } from './args';
import type { CliIO } from './command';
import { InputError, UsageError } from './errors';

export const DATASET_OPTIONS = {
  labels: { type: 'string', valueName: 'FILE', description: 'Labels: IDX labels, or one label per line' },
  'label-field': { type: 'number', valueName: 'N', description: 'Label = the Nth whitespace word of a FASTA/FASTQ header (1 = the id)' },
  'label-regex': { type: 'string', valueName: 'RE', description: 'Label = first capture group of RE on the header' },
  'label-column': { type: 'string', valueName: 'NAME|INDEX', description: 'Label column of a table / field of a JSONL record' },
  'text-field': { type: 'string', valueName: 'NAME', description: 'JSONL: the field holding the text (default text/sequence/content)' },
  limit: { type: 'number', valueName: 'N', description: 'Only the first N records' },
  features: { type: 'string', valueName: 'raw|hog|scaled', description: 'Numeric datasets: the feature vectors (default: tables scaled, images HOG, volumes raw)' },
  metric: { type: 'string', valueName: 'NAME', description: `Numeric datasets: ${VECTOR_METRICS.join(', ')} (default euclidean)` },
  p: { type: 'number', valueName: 'P', description: 'Minkowski p (with --metric minkowski)' },
  'image-size': { type: 'string', valueName: 'HxW', description: 'Images: resample every image to H×W pixels (default: the common size)' },
  channels: { type: 'number', valueName: '1|3', description: 'Images: read as grey (1) or RGB (3) (default: grey when every image is)' },
  'vector-field': { type: 'string', valueName: 'NAME', description: 'JSONL: the numeric-array field (default vector/embedding/features/values)' },
  'cache-dir': { type: 'string', valueName: 'DIR', description: `Where indexes are cached (default ${defaultCacheDir()})` },
  'no-cache': { type: 'boolean', description: 'Neither read nor write the index cache' },
} as const satisfies OptionSpecs;

type DatasetOptions = ParsedOptions<typeof DATASET_OPTIONS>;

/** The dataset path (exit 2 when missing, not a regular file, or unreadable); folders only when they hold images or volumes. */
export async function datasetPath(positionals: readonly string[], command: string): Promise<string> {
  if (positionals.length !== 1) throw new UsageError(`${command} needs one <dataset> file${positionals.length > 1 ? `, got ${positionals.length} arguments` : ''}`);
  const file = positionals[0] as string;
  // A FIFO or a device would block the read forever: refused here, by `stat`, before any open.
  const kind = await datasetPathKind(file);
  if (kind === 'folder' && (await vectorFormatOf(file)) === undefined) {
    throw new InputError(`${file}: is a folder without images or .npy volumes; sequence, text and table datasets are files`);
  }
  return file;
}

/** Is this path a numeric dataset (table, JSONL vectors, IDX, .npy, images, volumes)? */
export async function isVectorDataset(file: string): Promise<boolean> {
  // The one decision the host makes too (jobs/clusterParams.ts).
  return (await clusterKindOf(file)) === 'vector';
}

const FEATURE_KINDS = ['raw', 'hog', 'scaled', 'auto'] as const;

export interface VectorChoices {
  read: VectorReadOptions;
  features: FeatureKind | 'auto';
  metric: VectorMetric;
  p?: number;
}

/** The read, feature and metric options of a numeric dataset (exit 2 on a bad value). */
export function vectorOptions(options: DatasetOptions): VectorChoices {
  // Exit 2 on bad input, with every bad row listed at once (the editor keeps the valid rows instead).
  const read: VectorReadOptions = { badRecords: 'fail' };
  const sources = ['labels', 'label-column'].filter((k) => options[k as keyof DatasetOptions] !== undefined);
  if (sources.length > 1) throw new UsageError('choose one label source, not --labels and --label-column');
  if (options['label-field'] !== undefined || options['label-regex'] !== undefined) throw new UsageError('--label-field and --label-regex read FASTA/FASTQ headers; a numeric dataset takes --labels FILE or --label-column NAME|INDEX');
  if (options['text-field'] !== undefined) throw new UsageError('--text-field is for JSONL text; a JSONL of vectors takes --vector-field');
  if (options.labels !== undefined) read.labelsFile = options.labels;
  if (options['label-column'] !== undefined) {
    const c = options['label-column'];
    read.labelColumn = /^-?\d+$/.test(c) ? Number(c) : c;
  }
  if (options['vector-field'] !== undefined) read.vectorField = options['vector-field'];
  if (options['image-size'] !== undefined) {
    const m = /^(\d+)[x×](\d+)$/i.exec(options['image-size']);
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new UsageError(`--image-size is HxW in pixels, e.g. 28x28, got '${options['image-size']}'`);
    read.imageSize = [Number(m[1]), Number(m[2])];
  }
  if (options.channels !== undefined) {
    if (options.channels !== 1 && options.channels !== 3) throw new UsageError(`--channels is 1 (grey) or 3 (RGB), got ${options.channels}`);
    read.channels = options.channels;
  }
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 1) throw new UsageError(`--limit needs a positive integer, got ${options.limit}`);
    read.limit = options.limit;
  }
  const features = options.features ?? 'auto';
  if (!(FEATURE_KINDS as readonly string[]).includes(features)) throw new UsageError(`--features is one of ${FEATURE_KINDS.join(', ')}, got '${features}'`);
  const metric = options.metric ?? 'euclidean';
  if (!(VECTOR_METRICS as readonly string[]).includes(metric)) throw new UsageError(`--metric is one of ${VECTOR_METRICS.join(', ')}, got '${metric}'`);
  if (metric === 'minkowski' && !(options.p !== undefined && options.p >= 1)) throw new UsageError('--metric minkowski needs --p P with P ≥ 1');
  if (metric !== 'minkowski' && options.p !== undefined) throw new UsageError('--p is the Minkowski exponent; use it with --metric minkowski');
  return { read, features: features as FeatureKind | 'auto', metric: metric as VectorMetric, ...(options.p !== undefined ? { p: options.p } : {}) };
}

/** Refuses the numeric-only options on a sequence or text dataset. */
export function refuseVectorOptions(options: DatasetOptions, file: string): void {
  for (const k of ['features', 'metric', 'p', 'image-size', 'channels', 'vector-field'] as const) {
    if (options[k] !== undefined) throw new UsageError(`--${k} applies to numeric datasets (tables, images, volumes); ${file} is a sequence or text dataset`);
  }
}

export function readOptions(options: DatasetOptions): DatasetReadOptions {
  // Exit 2 on bad input, with every bad record listed at once (the editor keeps the valid records instead).
  const read: DatasetReadOptions = { badRecords: 'fail' };
  const sources = ['labels', 'label-field', 'label-regex', 'label-column'].filter((k) => options[k as keyof DatasetOptions] !== undefined);
  if (sources.length > 1) throw new UsageError(`choose one label source, not ${sources.map((s) => `--${s}`).join(' and ')}`);
  if (options.labels !== undefined) read.labelsFile = options.labels;
  if (options['label-field'] !== undefined) {
    const n = options['label-field'];
    if (!Number.isInteger(n) || n === 0) throw new UsageError(`--label-field needs a non-zero integer, got ${n}`);
    read.labelField = n;
  }
  if (options['label-regex'] !== undefined) {
    try {
      new RegExp(options['label-regex']);
    } catch (err) {
      throw new UsageError(`--label-regex: ${(err as Error).message}`);
    }
    read.labelRegex = options['label-regex'];
  }
  if (options['label-column'] !== undefined) read.labelColumn = options['label-column'];
  if (options['text-field'] !== undefined) read.textField = options['text-field'];
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 1) throw new UsageError(`--limit needs a positive integer, got ${options.limit}`);
    read.limit = options.limit;
  }
  return read;
}

export function cacheOf(options: DatasetOptions): IndexCache | undefined {
  if (options['no-cache']) return undefined;
  return new IndexCache(options['cache-dir'] ?? defaultCacheDir());
}

/**
 * The workers of the sequence pipeline (read, sketch, LSH, verify, cluster) allocate few, short-
 * lived objects but move large typed arrays, many of them views of shared memory that every
 * thread must drop before it is freed. A young generation of 3 MB (V8's default grows it to 32 MB
 * per worker) is scavenged often, so a worker holds less garbage and lets go of the views of a
 * finished stage sooner: BioMarKs50k at 97 %, 2 workers, peak RSS ~385 -> ~350 MB, same CPU time.
 */
export const SEQUENCE_POOL_OPTIONS: PoolOptions = { resourceLimits: { maxYoungGenerationSizeMb: 3 } };

/**
 * V8's full collection on this thread and then on each of `pool`'s workers, for
 * `clusterDataset`'s collectGarbage. The flag exposes `gc` in contexts made after it is set: a new
 * context hands it over here, and workers started afterwards have it (call this before the pool's
 * first task). The CLI is a process of its own; the host, whose thread serves the editor's
 * requests, does not use it.
 */
export function garbageCollector(pool: WorkerPool): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    pool.collectGarbage();
  };
}

/** Runs `body` with a worker pool that is disposed afterwards, whatever happens. */
export async function withPool<T>(body: (pool: WorkerPool) => Promise<T>, options: PoolOptions = {}): Promise<T> {
  const pool = new WorkerPool(options);
  try {
    return await body(pool);
  } finally {
    await pool.dispose();
  }
}

/** The reader's and the index's warnings (duplicate ids, an unwritable cache) on stderr: never silent. */
export function reportWarnings(io: CliIO, command: string, warnings: readonly string[]): void {
  for (const w of warnings) io.stderr.write(`simlab ${command}: warning: ${w}\n`);
}

/** A progress line on stderr, redrawn in place — only when stderr is a terminal. */
export function progressReporter(io: CliIO): (stage: string, done: number, total: number) => void {
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  if (!tty) return () => undefined;
  let last = 0;
  return (stage, done, total) => {
    const now = Date.now();
    if (now - last < 100 && done < total) return;
    last = now;
    const pct = total > 0 ? Math.floor((100 * done) / total) : 0;
    io.stderr.write(`\r\x1b[K${stage} ${pct}%`);
    if (done >= total) io.stderr.write('\r\x1b[K');
  };
}

export function parseThreshold(value: number | undefined, fallback: number): number {
  const t = value ?? fallback;
  if (!(t > 0 && t <= 1)) throw new UsageError(`--threshold is an identity in (0, 1], got ${t}`);
  return t;
}
