/**
 * Task `loadDataset`: reads and parses a sequence or text dataset in a worker (a large file is
 * seconds of parsing that must not run on the LSP thread), packs the symbols into shared memory,
 * and returns the records' metadata. Malformed input throws the reader's ParseError, whose file,
 * line and column cross the thread (worker/errors.ts).
 */
import { readDataset, type DatasetReadOptions, type DataFormat } from '../../engine/data';
import { detectFileFormat } from '../../engine/data/detect';
import { headerDescription } from '../../engine/data/labels';
import { decompressedSizeHint } from '../../engine/data/lines';
import type { ReadProblem, SequenceRecord } from '../../engine/data/records';
import { BytePacker, packTexts, type PackedSymbols } from '../packedSymbols';
import { normaliseText } from '../textNormalisation';
import { CancelledError } from '../errors';
import { hashFile } from '../contentHash';
import type { TaskContext } from '../taskContext';
import { decodeRecordsYielding, encodeRecords, type RecordMeta, type RecordTable } from '../recordTable';

/** The plain-data part of the read options (functions cannot cross to a worker). */
export type CloneableReadOptions = Omit<DatasetReadOptions, 'labelOf' | 'onWarning' | 'onProgress'>;

export type { RecordMeta } from '../recordTable';

/** How the read sequences are handed out while the rest is read: in parts of at most `records` sequences or `symbols` bases. */
export interface PartSize {
  records: number;
  symbols: number;
}

export interface LoadDatasetPayload {
  file: string;
  read: CloneableReadOptions;
  /** Post each part of the packed sequences as it is read (reports {@link LoadDatasetReport}), for the pool to sketch it meanwhile. */
  parts?: PartSize;
}

/** The task's structured progress reports when `parts` is given, in this order: `opened` once, then each `part`. */
export type LoadDatasetReport = { opened: { contentHash: string; format: DataFormat } } | { part: SequencePart };

/** Sequences [first, first + packed's count), read and packed. */
export interface SequencePart {
  first: number;
  packed: PackedSymbols;
  /** The records the whole file will have, estimated from the share of its bytes read so far (absent before any is known). */
  expected?: number;
}

/** Where loadDataset hands out the sequences while it reads (see LoadDatasetPayload.parts). */
export interface PartsListener extends PartSize {
  /** The file hashed and its format known, before any record is read. */
  opened(contentHash: string, format: DataFormat): void;
  /** The next part read and packed. The last part is not handed out: it is in the result. */
  part(part: SequencePart): void;
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
  /** Read in this many chunks side by side (jobs/parallelRead.ts); absent when read by one parser. */
  chunks?: number;
}

export async function loadDataset(file: string, read: DatasetReadOptions, isCancelled: () => boolean, progress: (done: number, total: number) => void, parts?: PartsListener): Promise<LoadedDataset> {
  // Reading a large file takes seconds: both passes stop at the next chunk once cancelled.
  const checkCancelled = (): void => {
    if (isCancelled()) throw new CancelledError(`Reading ${file} was cancelled.`);
  };
  const contentHash = await hashFile(file, checkCancelled);
  const format = read.format ?? (await detectFileFormat(file));
  parts?.opened(contentHash, format);
  const records: RecordMeta[] = [];
  // Sequences are packed as they are read (BytePacker), only their metadata kept; the bases are
  // fewer than the file's decompressed bytes, so that size is the packer's one allocation.
  const bases = new BytePacker(await decompressedSizeHint(file));
  let handedOut = 0;
  let handedOutSymbols = 0;
  let shareRead = 0;
  const dataset = await readDataset(
    file,
    {
      ...read,
      format,
      onProgress: (done, total) => {
        checkCancelled();
        shareRead = total > 0 ? done / total : 0;
        progress(done, total);
      },
    },
    (r) => {
      bases.push(r.sequence);
      if (parts && (bases.count - handedOut >= parts.records || bases.symbols - handedOutSymbols >= parts.symbols)) {
        parts.part({ first: handedOut, packed: bases.part(handedOut, bases.count), ...(shareRead > 0 ? { expected: Math.ceil(bases.count / shareRead) } : {}) });
        handedOut = bases.count;
        handedOutSymbols = bases.symbols;
      }
      records.push(recordMetaOf(r));
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

/** What the host keeps of a sequence record: everything but its bases. */
export function recordMetaOf(r: SequenceRecord): RecordMeta {
  const description = headerDescription(r.header);
  return { index: r.index, id: r.id, ...(r.label !== undefined ? { label: r.label } : {}), ...(description !== undefined ? { description } : {}), startLine: r.startLine, endLine: r.endLine, length: r.sequence.length };
}

/** What the `loadDataset` task posts back: the records as a table in shared memory (worker/recordTable.ts); `fromTask` makes it a LoadedDataset. */
export type LoadedDatasetMessage = Omit<LoadedDataset, 'records'> & { records: RecordTable };

export async function loadDatasetTask(p: LoadDatasetPayload, ctx: TaskContext): Promise<LoadedDatasetMessage> {
  // A report with data is never dropped (TaskContext.progress): every part reaches the caller, before the result.
  const report = (r: LoadDatasetReport): void => ctx.progress(0, 0, undefined, r);
  const parts: PartsListener | undefined = p.parts && { ...p.parts, opened: (contentHash, format) => report({ opened: { contentHash, format } }), part: (part) => report({ part }) };
  const dataset = await loadDataset(p.file, p.read, () => ctx.isCancelled(), (done, total) => ctx.progress(done, total), parts);
  return { ...dataset, records: encodeRecords(dataset.records) };
}

/** The task's answer with its records decoded on the calling thread, a slice at a time between turns of its event loop (50,000 in one go took ~45 ms). */
export async function fromTask(message: LoadedDatasetMessage): Promise<LoadedDataset> {
  return { ...message, records: await decodeRecordsYielding(message.records) };
}
