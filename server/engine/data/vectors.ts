/**
 * The record model of numeric datasets: table rows (CSV/TSV, JSONL with a numeric-array field),
 * images (PNG/JPEG folders, IDX, rank-3 .npy) and 3-D volumes (rank-4 .npy, folders of .npy).
 *
 * All values of a dataset live in one row-major Float32Array (`n × dim`), so kNN, scaling, HOG
 * and DBSCAN work on typed arrays and the matrix can be shared with workers without copying each
 * record. `shape` says how one row is laid out: [d] for a vector, [h, w, c] for an image (c = 1
 * grey or 3 RGB, channels last, values 0–255 as read), [depth, h, w] for a volume.
 */
import type { ReadSummary } from './records';

export type VectorKind = 'table' | 'image' | 'volume';

export type VectorFormat = 'csv' | 'tsv' | 'jsonl-vectors' | 'idx' | 'npy' | 'image-folder' | 'volume-folder' | 'image-file';

/** Where one record lives, for the editor: a line range in a text file, or a file of its own. */
export interface VectorRecord {
  /** 0-based position in the dataset. */
  index: number;
  /**
   * DESIGN.md "Datasets and records": CSV/TSV/JSONL an `id` column/field when there is one, else
   * the 0-based data-row index; IDX and .npy the 0-based index; image and volume folders the path
   * relative to the dataset folder (with '/' separators).
   */
  id: string;
  label?: string;
  /** Text formats: 0-based first and last (inclusive) line of the record. */
  startLine?: number;
  endLine?: number;
  /** Folder formats: absolute path of the record's own file. */
  file?: string;
}

export interface VectorDataset {
  kind: VectorKind;
  format: VectorFormat;
  /** The shape of one record: [d] | [h, w, c] | [depth, h, w]. */
  shape: number[];
  /** Values per record: the product of `shape`. */
  dim: number;
  /** `records.length × dim` values, row-major. */
  data: Float32Array;
  records: VectorRecord[];
  /** Tables: the names of the numeric columns that form the vector (in order). */
  columns?: string[];
  summary: ReadSummary;
}

/** The values of record i (a view, not a copy). */
export function rowOf(dataset: Pick<VectorDataset, 'data' | 'dim'>, i: number): Float32Array {
  return dataset.data.subarray(i * dataset.dim, (i + 1) * dataset.dim);
}
