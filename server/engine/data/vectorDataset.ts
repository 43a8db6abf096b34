/**
 * One entry for every numeric reader: `readVectorDataset(path, options)` detects the format, reads
 * the records into a `VectorDataset`, attaches labels; `vectorFormatOf(path)` says whether a path
 * is a numeric dataset at all.
 *
 * Detection (`vectorFormatOf`), by name first (`.gz` looked through where it says so):
 *   folder holding .png/.jpg/.jpeg directly or in subfolders → 'image-folder';
 *   else holding .npy(.gz) that way → 'volume-folder';
 *   .csv(.gz) → 'csv'; .tsv(.gz) → 'tsv'; .npy(.gz) → 'npy'; .png .jpg .jpeg → 'image-file';
 *   `*-ubyte`, `*.idx`, `*.idxN` (.gz) → 'idx', unless its magic says an IDX labels file (0x801);
 *   .jsonl .ndjson (.gz) whose first object has a default vector field (jsonlVectors.ts) → 'jsonl-vectors'.
 *   Anything else: undefined (the text/sequence readers handle it).
 *
 * Labels: a table's label column, JSONL's label field (`labelColumn`), the class subfolders of a
 * folder, or `labelsFile` (an IDX labels file, or one label per line), which replaces them. An IDX
 * images file without `labelsFile` takes its MNIST-named labels file beside it when there is one
 * (idx.ts). The label count must match the record count (a prefix when `limit` stopped early).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { isImageName, resizeImage } from './images';
import { datasetFolderOfImage, isDatasetFolder, readImageFile, readImageFolder } from './imageFolder';
import { idxMagicOf, pairedIdxLabels, readIdxData, readIdxLabels } from './idx';
import { defaultVectorField, readJsonlVectors } from './jsonlVectors';
import { applyLabels, readLabelsFile } from './labels';
import { isBlank, readFileLines } from './lines';
import { isNpyName, readNpyDataset } from './npy';
import { checkLimit, DatasetOptionError, newReadSummary, ParseError, throwIfRecordErrors, type BadRecordPolicy, type DuplicateIdPolicy, type ReadWarning } from './records';
import { readTable } from './table';
import type { VectorDataset, VectorFormat, VectorKind, VectorRecord } from './vectors';
import { readVolumeFolder } from './volumeFolder';

export { datasetFolderOfImage };

export interface VectorReadOptions {
  /** Skip detection. */
  format?: VectorFormat;
  /** Only the first N records. */
  limit?: number;
  /** Labels: an IDX labels file (magic 0x801) or one label per line; replaces any other label source. */
  labelsFile?: string;
  /** Tables: label column name, or 0-based index (negative from the end). JSONL: the label field name. */
  labelColumn?: string | number;
  /** JSONL: the numeric-array field (default: vector, embedding, features, values). */
  vectorField?: string;
  /** Tables and JSONL: the id column/field (default: a column named `id`, the field `id`). */
  idField?: string;
  /** Images: resample every image to [h, w]. */
  imageSize?: [number, number];
  /** Images: force grey (1) or RGB (3). */
  channels?: 1 | 3;
  /** Vector datasets (tables, JSONL, rank-2 .npy, IDX vectors): read each row as an image of [h, w] or [h, w, c]. */
  imageShape?: number[];
  duplicateIds?: DuplicateIdPolicy;
  /** Tables and JSONL: a bad row is skipped and listed in `summary.problems` (default), or fatal ('fail', see `BadRecordPolicy`). */
  badRecords?: BadRecordPolicy;
  /** The name used in errors and warnings; default: the path. */
  displayName?: string;
  onWarning?: (warning: ReadWarning) => void;
  /** Bytes read so far and the total (compressed bytes for .gz; the files' bytes for folders). */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** IDX: the array the values are read into (e.g. one in a SharedArrayBuffer); default a plain Float32Array. */
  allocate?: (length: number) => Float32Array;
}

const TABLE_FORMATS: readonly VectorFormat[] = ['csv', 'tsv', 'jsonl-vectors'];

/** The numeric format of a file or folder, or undefined when it is not a numeric dataset. */
export async function vectorFormatOf(p: string): Promise<VectorFormat | undefined> {
  let s;
  try {
    s = await stat(p);
  } catch {
    return undefined;
  }
  if (s.isDirectory()) {
    try {
      if (await isDatasetFolder(p, isImageName)) return 'image-folder';
      if (await isDatasetFolder(p, isNpyName)) return 'volume-folder';
    } catch {
      return undefined;
    }
    return undefined;
  }
  const base = path.basename(p).toLowerCase();
  const name = base.endsWith('.gz') ? base.slice(0, -3) : base;
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.tsv')) return 'tsv';
  if (name.endsWith('.npy')) return 'npy';
  if (isImageName(base)) return 'image-file';
  if (/(-ubyte|\.idx\d?)$/.test(name)) return (await idxMagicOf(p)) === 0x801 ? undefined : 'idx';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return (await firstJsonlHasVector(p)) ? 'jsonl-vectors' : undefined;
  return undefined;
}

async function firstJsonlHasVector(p: string): Promise<boolean> {
  const lines = readFileLines(p, p);
  try {
    for await (const batch of lines) {
      for (const { bytes } of batch) {
        if (isBlank(bytes)) continue;
        const value: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
        return value !== null && typeof value === 'object' && !Array.isArray(value) && defaultVectorField(value as Record<string, unknown>) !== undefined;
      }
    }
  } catch {
    return false;
  } finally {
    await lines.return();
  }
  return false;
}

function checkOptions(format: VectorFormat, file: string, o: VectorReadOptions): void {
  const table = TABLE_FORMATS.includes(format);
  if (o.labelColumn !== undefined && !table) throw new DatasetOptionError(`labelColumn applies to tables and JSONL; ${file} is ${format}`);
  if (o.labelColumn !== undefined && o.labelsFile !== undefined) throw new DatasetOptionError('labelsFile and labelColumn cannot be used together');
  if (format === 'jsonl-vectors' && typeof o.labelColumn === 'number') throw new DatasetOptionError('labelColumn for JSONL is a field name, not an index');
  if (o.vectorField !== undefined && format !== 'jsonl-vectors') throw new DatasetOptionError(`vectorField applies to JSONL; ${file} is ${format}`);
  if (o.idField !== undefined && !table) throw new DatasetOptionError(`idField applies to tables and JSONL; ${file} is ${format}`);
  if (o.imageSize !== undefined && (o.imageSize.length !== 2 || !o.imageSize.every((x) => Number.isInteger(x) && x > 0))) {
    throw new DatasetOptionError(`imageSize must be [height, width] in pixels, got ${JSON.stringify(o.imageSize)}`);
  }
  if (o.channels !== undefined && o.channels !== 1 && o.channels !== 3) throw new DatasetOptionError(`channels must be 1 or 3, got ${String(o.channels)}`);
  if (o.imageShape !== undefined && (o.imageShape.length < 2 || o.imageShape.length > 3 || !o.imageShape.every((x) => Number.isInteger(x) && x > 0) || (o.imageShape.length === 3 && o.imageShape[2] !== 1 && o.imageShape[2] !== 3))) {
    throw new DatasetOptionError(`imageShape must be [h, w] or [h, w, c] with c 1 or 3, got ${JSON.stringify(o.imageShape)}`);
  }
  if (o.imageShape !== undefined && (format === 'image-folder' || format === 'image-file' || format === 'volume-folder')) {
    throw new DatasetOptionError(`imageShape applies to vector datasets; ${file} is ${format}`);
  }
  if (format === 'volume-folder' && (o.imageSize !== undefined || o.channels !== undefined)) throw new DatasetOptionError(`imageSize and channels apply to images; ${file} holds volumes`);
}

/** Brings images of shape [h, w, c] to `imageSize` and `channels` (see images.ts). */
function conformImages(data: Float32Array, count: number, shape: number[], imageSize?: [number, number], channels?: 1 | 3): { data: Float32Array; shape: number[] } {
  const [h, w, c] = shape as [number, number, number];
  const [H, W] = imageSize ?? [h, w];
  const C = channels ?? c;
  if (H === h && W === w && C === c) return { data, shape };
  const src = h * w * c;
  const mid = new Float32Array(h * w * C);
  const dim = H * W * C;
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    const row = data.subarray(i * src, (i + 1) * src);
    for (let p = 0; p < h * w; p++) {
      if (C === c) for (let k = 0; k < c; k++) mid[p * C + k] = row[p * c + k]!;
      else if (C === 3) mid[3 * p] = mid[3 * p + 1] = mid[3 * p + 2] = row[p]!;
      else mid[p] = 0.299 * row[3 * p]! + 0.587 * row[3 * p + 1]! + 0.114 * row[3 * p + 2]!;
    }
    resizeImage(mid, h, w, C, H, W, out.subarray(i * dim, (i + 1) * dim));
  }
  return { data: out, shape: [H, W, C] };
}

const indexRecords = (count: number): VectorRecord[] => Array.from({ length: count }, (_, i) => ({ index: i, id: String(i) }));

/**
 * Reads a numeric dataset. Usage errors (options that do not fit the format, a path that is not a
 * numeric dataset) throw `DatasetOptionError`, a bad limit `RangeError`; malformed input `ParseError`.
 */
export async function readVectorDataset(p: string, options: VectorReadOptions = {}): Promise<VectorDataset> {
  const limit = checkLimit(options.limit);
  const file = options.displayName ?? p;
  const format = options.format ?? (await vectorFormatOf(p));
  if (format === undefined) {
    throw new DatasetOptionError(`${file} is not a numeric dataset (CSV/TSV, JSONL with a numeric-array field, IDX, .npy, an image, or a folder of images or .npy volumes)`);
  }
  checkOptions(format, file, options);
  const summary = newReadSummary();
  const common = { file, limit, summary, duplicateIds: options.duplicateIds, onWarning: options.onWarning, onProgress: options.onProgress };

  let kind: VectorKind;
  let shape: number[];
  let data: Float32Array;
  let records: VectorRecord[];
  let complete: boolean;
  let columns: string[] | undefined;
  let idxTotal: number | undefined;
  let labelsFile = options.labelsFile;
  let labelsShown = labelsFile;

  switch (format) {
    case 'csv':
    case 'tsv': {
      const t = await readTable(p, { ...common, delimiter: format === 'csv' ? ',' : '\t', labelColumn: options.labelColumn, idField: options.idField });
      ({ data, records, complete, columns } = t);
      kind = 'table';
      shape = [t.dim];
      break;
    }
    case 'jsonl-vectors': {
      const labelField = typeof options.labelColumn === 'string' ? options.labelColumn : undefined;
      const j = await readJsonlVectors(p, { ...common, vectorField: options.vectorField, labelField, idField: options.idField });
      ({ data, records, complete } = j);
      kind = 'table';
      shape = [j.dim];
      break;
    }
    case 'idx': {
      const r = await readIdxData(p, file, limit, options.onProgress, options.allocate);
      ({ data, shape } = r);
      kind = r.shape.length === 3 ? 'image' : 'table';
      records = indexRecords(r.count);
      complete = r.count === r.total;
      idxTotal = r.total;
      summary.records = r.count;
      if (labelsFile === undefined && kind === 'image') {
        labelsFile = await pairedIdxLabels(p);
        labelsShown = labelsFile === undefined ? undefined : path.join(path.dirname(file), path.basename(labelsFile));
      }
      break;
    }
    case 'npy': {
      const r = await readNpyDataset(p, file, limit, options.onProgress);
      ({ kind, shape, data } = r);
      records = indexRecords(r.count);
      complete = r.count === r.total;
      summary.records = r.count;
      break;
    }
    case 'image-folder':
    case 'image-file': {
      const read = format === 'image-folder' ? readImageFolder : readImageFile;
      const r = await read(p, { ...common, imageSize: options.imageSize, channels: options.channels });
      ({ data, records, complete, shape } = r);
      kind = 'image';
      break;
    }
    case 'volume-folder': {
      const r = await readVolumeFolder(p, common);
      ({ data, records, complete, shape } = r);
      kind = 'volume';
      break;
    }
  }

  // A row of numbers read as an image.
  if (options.imageShape !== undefined) {
    if (kind !== 'table') throw new DatasetOptionError(`imageShape applies to vector datasets; ${file} holds ${kind}s`);
    const s = options.imageShape.length === 2 ? [...options.imageShape, 1] : [...options.imageShape];
    const need = s[0]! * s[1]! * s[2]!;
    if (need !== shape[0]) throw new DatasetOptionError(`imageShape ${JSON.stringify(options.imageShape)} needs ${need} values per record; ${file} has ${shape[0]}`);
    kind = 'image';
    shape = s;
  }
  if (options.imageSize !== undefined || options.channels !== undefined) {
    if (kind !== 'image') throw new DatasetOptionError(`imageSize and channels apply to images; ${file} holds ${kind === 'table' ? 'vectors' : 'volumes'} (imageShape reads vectors as images)`);
    if (format !== 'image-folder' && format !== 'image-file') ({ data, shape } = conformImages(data, records.length, shape, options.imageSize, options.channels));
  }

  // A labels file pairs label i with record i: a skipped row would shift every label after it.
  if (options.badRecords === 'fail' || labelsFile !== undefined) throwIfRecordErrors(summary);
  if (labelsFile !== undefined) {
    const shown = labelsShown ?? labelsFile;
    let labels: string[];
    if ((await idxMagicOf(labelsFile)) === 0x801) {
      const read = await readIdxLabels(labelsFile, shown, complete ? Number.POSITIVE_INFINITY : records.length);
      if (idxTotal !== undefined && read.total !== idxTotal) {
        throw new ParseError(shown, 1, 5, `${read.total} labels for the ${idxTotal} records of ${file}`, 'label');
      }
      labels = read.labels;
    } else labels = await readLabelsFile(labelsFile, shown);
    applyLabels(records, labels, shown, { prefix: !complete });
    summary.unlabeled = 0;
  }

  const dataset: VectorDataset = { kind, format, shape, dim: shape.reduce((a, b) => a * b, 1), data, records, summary };
  if (columns !== undefined) dataset.columns = columns;
  return dataset;
}
