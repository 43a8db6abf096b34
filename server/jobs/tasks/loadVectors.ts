/**
 * Task `loadVectors`: reads a numeric dataset (table, JSONL vectors, IDX, .npy, image or volume
 * folder) in a worker and turns it into feature vectors (raw, HOG, or standardised), in shared
 * memory so that the kNN and DBSCAN tasks of every worker read the same matrix.
 * Malformed input throws the reader's ParseError, whose fields cross the thread (jobs/errors.ts).
 */
import { readVectorDataset, type VectorReadOptions } from '../../engine/data/vectorDataset';
import type { VectorFormat, VectorKind } from '../../engine/data/vectors';
import { DatasetOptionError } from '../../engine/data/records';
import { defaultFeatureKind, featuresOf, type FeatureKind } from '../../engine/features/vectorFeatures';
import type { StandardScalerJson } from '../../engine/features/scaler';
import { CancelledError } from '../errors';
import { contentHashOf } from '../vectorContent';
import type { RecordMeta } from '../sequenceIndex';
import type { TaskContext } from '../task';

/** A numeric record's place: a line range (tables, JSONL) or its own file (image and volume folders). */
export interface VectorRecordMeta extends RecordMeta {
  /** Folder datasets: the record's own file (absolute path). */
  file?: string;
}

export interface LoadVectorsPayload {
  file: string;
  read: VectorReadOptions;
  features: FeatureKind | 'auto';
}

export interface LoadedVectors {
  contentHash: string;
  format: VectorFormat;
  kind: VectorKind;
  /** The shape of one record as read (before features). */
  shape: number[];
  records: VectorRecordMeta[];
  /** Features, `records.length × dim`, in a SharedArrayBuffer. */
  features: Float32Array;
  dim: number;
  featureKind: FeatureKind;
  scaler?: StandardScalerJson;
  columns?: string[];
  warnings: string[];
}

function shared(values: Float32Array): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(Math.max(4, values.byteLength)), 0, values.length);
  out.set(values);
  return out;
}

export async function loadVectors(p: LoadVectorsPayload, isCancelled: () => boolean, progress: (stage: string, done: number, total: number) => void): Promise<LoadedVectors> {
  const checkCancelled = (): void => {
    if (isCancelled()) throw new CancelledError(`Reading ${p.file} was cancelled.`);
  };
  const contentHash = await contentHashOf(p.file, checkCancelled);
  const dataset = await readVectorDataset(p.file, {
    ...p.read,
    onProgress: (done: number, total: number) => {
      checkCancelled();
      progress('reading', done, total);
    },
  });
  const featureKind = p.features === 'auto' ? defaultFeatureKind(dataset.kind) : p.features;
  let f: ReturnType<typeof featuresOf>;
  try {
    f = featuresOf(dataset, { kind: featureKind }, { checkCancelled, onProgress: (done: number, total: number) => progress('features', done, total) });
  } catch (err) {
    // A feature kind that does not fit the data (HOG of a table) is the user's choice, not a bug.
    if (err instanceof RangeError) throw new DatasetOptionError(`${p.read.displayName ?? p.file}: ${err.message}`);
    throw err;
  }
  const records: VectorRecordMeta[] = dataset.records.map((r) => ({
    index: r.index,
    id: r.id,
    ...(r.label !== undefined ? { label: r.label } : {}),
    startLine: r.startLine ?? 0,
    endLine: r.endLine ?? r.startLine ?? 0,
    length: dataset.dim,
    ...(r.file !== undefined ? { file: r.file } : {}),
  }));
  return {
    contentHash,
    format: dataset.format,
    kind: dataset.kind,
    shape: dataset.shape,
    records,
    features: shared(f.data),
    dim: f.dim,
    featureKind,
    ...(f.scaler ? { scaler: f.scaler.toJSON() } : {}),
    ...(dataset.columns ? { columns: dataset.columns } : {}),
    warnings: dataset.summary.warnings.map((w) => w.message),
  };
}

export function loadVectorsTask(payload: unknown, ctx: TaskContext): Promise<LoadedVectors> {
  return loadVectors(payload as LoadVectorsPayload, () => ctx.isCancelled(), (stage, done, total) => ctx.progress(done, total, stage));
}
