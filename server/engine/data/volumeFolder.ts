/**
 * Folders of 3-D volumes: one rank-3 `.npy` file (depth, h, w) per record, directly in the folder
 * (no label) or in class subfolders (label = the subfolder's name); listing, order and ids as for
 * image folders (imageFolder.ts). Every volume must have the shape of the first (no resampling:
 * a different shape is a ParseError naming the file).
 */
import { listDatasetFolder } from './imageFolder';
import { isNpyName, readNpy } from './npy';
import { ParseError, type ReadSummary, type ReadWarning } from './records';
import type { VectorRecord } from './vectors';

export interface VolumeReadOptions {
  file: string;
  limit: number;
  summary: ReadSummary;
  onWarning?: (w: ReadWarning) => void;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export async function readVolumeFolder(
  dir: string,
  options: VolumeReadOptions,
): Promise<{ shape: number[]; data: Float32Array; records: VectorRecord[]; complete: boolean }> {
  const entries = await listDatasetFolder(dir, isNpyName, options);
  if (entries.length === 0) throw new ParseError(options.file, 1, 1, 'no .npy volumes in the folder or its subfolders');
  const count = Math.min(entries.length, options.limit);
  const totalBytes = entries.slice(0, count).reduce((a, e) => a + e.bytes, 0);
  let bytesRead = 0;
  let shape: number[] | undefined;
  let firstRel = '';
  let data = new Float32Array(0);
  const records: VectorRecord[] = [];
  for (let i = 0; i < count; i++) {
    const e = entries[i]!;
    const shown = `${options.file}/${e.rel}`;
    const expected = shape;
    const read = await readNpy(e.abs, shown, {
      axes: 0,
      checkShape: (s) => {
        if (s.length !== 3) return `a volume is rank 3 (depth, h, w), this array is rank ${s.length}`;
        if (expected !== undefined && s.some((d, k) => d !== expected[k])) return `differs from the shape (${expected.join(', ')}) of ${firstRel}: volumes are not resampled`;
        return undefined;
      },
    });
    if (shape === undefined) {
      shape = read.arrayShape;
      firstRel = e.rel;
      data = new Float32Array(count * read.data.length);
    }
    data.set(read.data, i * read.data.length);
    const record: VectorRecord = { index: i, id: e.rel, file: e.abs };
    if (e.label !== undefined) record.label = e.label;
    records.push(record);
    options.summary.records++;
    bytesRead += e.bytes;
    options.onProgress?.(bytesRead, totalBytes);
  }
  return { shape: shape!, data, records, complete: count === entries.length };
}
