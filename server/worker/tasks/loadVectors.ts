/**
 * Task `loadVectors`: reads a numeric dataset (table, JSONL vectors, IDX, .npy, image or volume
 * folder) in a worker and turns it into feature vectors (raw, HOG, or standardised), in shared
 * memory so that the kNN and DBSCAN tasks of every worker read the same matrix.
 * Malformed input throws the reader's ParseError, whose fields cross the thread (worker/errors.ts).
 */
import { readVectorDataset, type VectorReadOptions } from '../../engine/data/vectorDataset';
import type { VectorFormat, VectorKind } from '../../engine/data/vectors';
import { DatasetOptionError, type ReadProblem } from '../../engine/data/records';
import { resizeImage } from '../../engine/data/images';
import { hogRowRange } from '../../engine/features/hog';
import { defaultFeatureKind, featuresOf, type FeatureKind } from '../../engine/features/vectorFeatures';
import type { StandardScalerJson } from '../../engine/features/scaler';
import { CancelledError } from '../errors';
import { contentHashOf } from '../contentHash';
import { loadGemm } from '../../engine/index/gemm';
import type { RecordMeta } from './loadDataset';
import { decodeRecordsYielding, encodeRecords, type RecordTable } from '../recordTable';
import type { TaskContext } from '../taskContext';

/** A numeric record's place: a line range (tables, JSONL) or its own file (image and volume folders). */
export interface VectorRecordMeta extends RecordMeta {
  /** Folder datasets: the record's own file (absolute path). */
  file?: string;
}

export interface LoadVectorsPayload {
  file: string;
  read: VectorReadOptions;
  features: FeatureKind | 'auto';
  /** Also return a small picture or excerpt of every record (for the embedding map's hover card). */
  previews?: boolean;
  /** The content key when the caller already has it (it looked in the cache first): not hashed twice. */
  contentHash?: string;
  /**
   * Also load this worker's GEMM (TensorFlow.js and its wasm backend, ~0.5 s) while reading, for a
   * search that follows: the worker that reads the smaller file is otherwise idle meanwhile.
   */
  warmGemm?: boolean;
  /**
   * HOG features are left to the caller, to compute over the whole pool (`hogRows`): the answer
   * then holds the pixels as read in `features` and says so with `pendingHog` (4 s of one worker
   * for 50,000 Fashion-MNIST images).
   */
  deferHog?: boolean;
}

/** A record's preview: 8-bit pixels (images; volumes: their middle slice) or a text excerpt (table rows). */
export type RecordPreview = { type: 'pixels'; width: number; height: number; channels: 1 | 3; data: Uint8Array } | { type: 'text'; text: string };

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
  /** Rows skipped (errors) and rows that look wrong (warnings), located: the editor's diagnostics. */
  problems: ReadProblem[];
  previews?: RecordPreview[];
  /** With `deferHog` and HOG features: `features` holds the pixels as read (`dim` values a record), their HOG is still to compute. */
  pendingHog?: true;
}

/** A Float32Array in a SharedArrayBuffer (fresh memory costs ~6 ms a MB to touch here: one matrix, not three). */
function sharedFloats(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(Math.max(4, length * 4)), 0, length);
}

function shared(values: Float32Array): Float32Array {
  if (values.buffer instanceof SharedArrayBuffer) return values;
  const out = new Float32Array(new SharedArrayBuffer(Math.max(4, values.byteLength)), 0, values.length);
  out.set(values);
  return out;
}

export async function loadVectors(p: LoadVectorsPayload, isCancelled: () => boolean, progress: (stage: string, done: number, total: number) => void): Promise<LoadedVectors> {
  const checkCancelled = (): void => {
    if (isCancelled()) throw new CancelledError(`Reading ${p.file} was cancelled.`);
  };
  const contentHash = p.contentHash ?? (await contentHashOf(p.file, checkCancelled));
  // IDX values are read straight into shared memory, and raw features computed there in place:
  // 50,000 images of 784 pixels were read, divided and copied through three fresh 157 MB arrays.
  const dataset = await readVectorDataset(p.file, {
    ...p.read,
    allocate: sharedFloats,
    onProgress: (done: number, total: number) => {
      checkCancelled();
      progress('reading', done, total);
    },
  });
  const featureKind = p.features === 'auto' ? defaultFeatureKind(dataset.kind) : p.features;
  const deferred = p.deferHog === true && featureKind === 'hog' && dataset.kind === 'image' && !p.previews;
  let f: ReturnType<typeof featuresOf>;
  if (deferred) f = { data: dataset.data, dim: dataset.dim, kind: 'hog' };
  else {
    try {
      // In place unless the previews read the values as read.
      f = featuresOf(dataset, { kind: featureKind }, { checkCancelled, inPlace: !p.previews, onProgress: (done: number, total: number) => progress('features', done, total) });
    } catch (err) {
      // A feature kind that does not fit the data (HOG of a table) is the user's choice, not a bug.
      if (err instanceof RangeError) throw new DatasetOptionError(`${p.read.displayName ?? p.file}: ${err.message}`);
      throw err;
    }
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
    problems: dataset.summary.problems,
    ...(p.previews ? { previews: previewsOf(dataset) } : {}),
    ...(deferred ? { pendingHog: true as const } : {}),
  };
}

/** Thumbnails are at most this many pixels a side (Fashion-MNIST's 28 × 28 stay as they are). */
const THUMBNAIL = 48;

/** An image (h × w × c, row-major) shrunk to fit THUMBNAIL × THUMBNAIL for a hover card; smaller ones as they are. */
export function thumbnail(pixels: Float32Array, h: number, w: number, c: number): { pixels: Float32Array; h: number; w: number } {
  if (h <= THUMBNAIL && w <= THUMBNAIL) return { pixels, h, w };
  const f = THUMBNAIL / Math.max(h, w);
  const H = Math.max(1, Math.round(h * f));
  const W = Math.max(1, Math.round(w * f));
  return { pixels: resizeImage(pixels, h, w, c, H, W), h: H, w: W };
}

function toBytes(values: Float32Array, max: number): Uint8Array {
  const out = new Uint8Array(values.length);
  const scale = max > 0 ? 255 / max : 1;
  for (let i = 0; i < values.length; i++) out[i] = Math.max(0, Math.min(255, Math.round((values[i] as number) * scale)));
  return out;
}

function previewsOf(dataset: { kind: VectorKind; shape: number[]; dim: number; data: Float32Array; columns?: string[]; records: unknown[] }): RecordPreview[] {
  const n = dataset.records.length;
  const out: RecordPreview[] = [];
  for (let i = 0; i < n; i++) {
    const row = dataset.data.subarray(i * dataset.dim, (i + 1) * dataset.dim);
    if (dataset.kind === 'table') {
      const values = Array.from(row.subarray(0, 12), (v, j) => `${dataset.columns?.[j] !== undefined && !/^\d+$/u.test(dataset.columns[j] as string) ? `${dataset.columns[j]}=` : ''}${Number(v.toPrecision(4))}`);
      out.push({ type: 'text', text: `${values.join(', ')}${dataset.dim > 12 ? `, … (${dataset.dim} values)` : ''}` });
      continue;
    }
    // Images [h, w, c]; volumes [depth, h, w] show their middle slice.
    let [h, w] = dataset.kind === 'image' ? (dataset.shape as [number, number]) : [dataset.shape[1] as number, dataset.shape[2] as number];
    const c = dataset.kind === 'image' ? (dataset.shape[2] as number) : 1;
    let pixels = dataset.kind === 'image' ? row : row.subarray(Math.floor((dataset.shape[0] as number) / 2) * h * w, (Math.floor((dataset.shape[0] as number) / 2) + 1) * h * w);
    ({ pixels, h, w } = thumbnail(pixels, h, w, c));
    let max = 0;
    for (const v of pixels) if (v > max) max = v;
    // Images are 0–255 as read; volumes of floats are stretched to the full grey range.
    out.push({ type: 'pixels', width: w, height: h, channels: c === 3 ? 3 : 1, data: toBytes(pixels, dataset.kind === 'image' || max > 1 ? Math.max(255, max) : max) });
  }
  return out;
}

/**
 * What the `loadVectors` task posts back: the records as a table in shared memory
 * (worker/recordTable.ts: as objects, 60,000 rows took 40-100 ms of the calling thread to
 * receive); `vectorsFromTask` makes it LoadedVectors.
 */
export type LoadedVectorsMessage = Omit<LoadedVectors, 'records'> & { records: RecordTable };

export async function loadVectorsTask(p: LoadVectorsPayload, ctx: TaskContext): Promise<LoadedVectorsMessage> {
  // A backend that fails to load is the search's to report (it falls back): not the read's.
  const warm = p.warmGemm ? loadGemm().catch(() => null) : undefined;
  try {
    const loaded = await loadVectors(p, () => ctx.isCancelled(), (stage, done, total) => ctx.progress(done, total, stage));
    return { ...loaded, records: encodeRecords(loaded.records) };
  } finally {
    await warm;
  }
}

/** The task's answer with its records decoded, a slice at a time between turns of the calling thread's event loop. */
export async function vectorsFromTask(message: LoadedVectorsMessage): Promise<LoadedVectors> {
  return { ...message, records: await decodeRecordsYielding(message.records) };

}

export interface HogRowsPayload {
  /** Every image's pixels as read (shared), `shape` each. */
  pixels: Float32Array;
  shape: number[];
  from: number;
  to: number;
  /** n × dim HOG descriptors (shared): rows [from, to) are written. */
  out: Float32Array;
}

/** Task `hogRows`: the HOG descriptors (default options, as featuresOf) of images [from, to), into the shared `out`. */
export function hogRowsTask(p: HogRowsPayload, ctx: TaskContext): boolean {
  hogRowRange({ data: p.pixels, shape: p.shape }, p.from, p.to, p.out, {}, { checkCancelled: () => ctx.throwIfCancelled(), onProgress: (done, total) => ctx.progress(done, total) });
  return true;
}

/** Task `contentHash`: a dataset's cache key, computed in a worker (hashing a large file must not hold the LSP thread). */
export function contentHashTask(p: { file: string }, ctx: TaskContext): Promise<string> {
  return contentHashOf(p.file, () => ctx.throwIfCancelled());
}
