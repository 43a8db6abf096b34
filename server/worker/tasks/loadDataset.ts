/**
 * Task `loadDataset`: reads and parses a sequence or text dataset in a worker (a large file is
 * seconds of parsing that must not run on the LSP thread), packs the symbols into shared memory,
 * and returns the records' metadata. Malformed input throws the reader's ParseError, whose file,
 * line and column cross the thread (worker/errors.ts).
 */
import { readDataset, type DatasetReadOptions, type DataFormat } from '../../engine/data';
import { headerDescription } from '../../engine/data/labels';
import { decompressedSizeHint } from '../../engine/data/lines';
import type { ReadProblem } from '../../engine/data/records';
import { BytePacker, packTexts, type PackedSymbols } from '../packedSymbols';
import { normaliseText } from '../textNormalisation';
import { CancelledError } from '../errors';
import { hashFile } from '../contentHash';
import type { TaskContext } from '../taskContext';
import { decodeRecords, encodeRecords, type RecordMeta, type RecordTable } from '../recordTable';

/** The plain-data part of the read options (functions cannot cross to a worker). */
export type CloneableReadOptions = Omit<DatasetReadOptions, 'labelOf' | 'onWarning' | 'onProgress'>;

export type { RecordMeta } from '../recordTable';

export interface LoadDatasetPayload {
  file: string;
  read: CloneableReadOptions;
}

export interface LoadedDataset {
  /** SHA-256 of the file's bytes: the index cache key. */
  contentHash: string;
  format: DataFormat;
  kind: 'sequence' | 'text';
  records: RecordMeta[];
  packed: PackedSymbols;
  warnings: string[];
  /** Records skipped (errors) and records that look wrong (warnings), located: the editor's diagnostics. */
  problems: ReadProblem[];
}

export async function loadDataset(file: string, read: DatasetReadOptions, isCancelled: () => boolean, progress: (done: number, total: number) => void): Promise<LoadedDataset> {
  // Reading a large file takes seconds: both passes stop at the next chunk once cancelled.
  const checkCancelled = (): void => {
    if (isCancelled()) throw new CancelledError(`Reading ${file} was cancelled.`);
  };
  const contentHash = await hashFile(file, checkCancelled);
  const records: RecordMeta[] = [];
  // Sequences are packed as they are read (BytePacker), only their metadata kept; the bases are
  // fewer than the file's decompressed bytes, so that size is the packer's one allocation.
  const bases = new BytePacker(await decompressedSizeHint(file));
  const dataset = await readDataset(
    file,
    {
      ...read,
      onProgress: (done, total) => {
        checkCancelled();
        progress(done, total);
      },
    },
    (r) => {
      bases.push(r.sequence);
      const description = headerDescription(r.header);
      records.push({ index: r.index, id: r.id, ...(r.label !== undefined ? { label: r.label } : {}), ...(description !== undefined ? { description } : {}), startLine: r.startLine, endLine: r.endLine, length: r.sequence.length });
    },
  );
  let packed: PackedSymbols;
  if (dataset.kind === 'sequence') {
    packed = bases.finish();
  } else {
    packed = packTexts(dataset.records.map((r) => normaliseText(r.text)));
    for (const r of dataset.records) {
      records.push({ index: r.index, id: r.id, ...(r.label !== undefined ? { label: r.label } : {}), startLine: r.startLine, endLine: r.endLine, length: packed.offsets[r.index + 1] - packed.offsets[r.index] });
    }
  }
  return { contentHash, format: dataset.format, kind: dataset.kind, records, packed, warnings: dataset.warnings.map((w) => w.message), problems: dataset.summary.problems };
}

/** What the `loadDataset` task posts back: the records as a table in shared memory (worker/recordTable.ts); `fromTask` makes it a LoadedDataset. */
export type LoadedDatasetMessage = Omit<LoadedDataset, 'records'> & { records: RecordTable };

export async function loadDatasetTask(p: LoadDatasetPayload, ctx: TaskContext): Promise<LoadedDatasetMessage> {
  const dataset = await loadDataset(p.file, p.read, () => ctx.isCancelled(), (done, total) => ctx.progress(done, total));
  return { ...dataset, records: encodeRecords(dataset.records) };
}

/** The task's answer with its records decoded (on the calling thread). */
export function fromTask(message: LoadedDatasetMessage): LoadedDataset {
  return { ...message, records: decodeRecords(message.records) };
}
