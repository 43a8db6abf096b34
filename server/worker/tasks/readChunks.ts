/**
 * The two halves of reading a FASTA or FASTQ file on every core (jobs/parallelRead.ts, issue 15). Read
 * by one parser (the loadDataset task), BioMarKs50k takes one worker 0.36-0.52 s of CPU (inflate
 * 33 ms; the rest parsing, headers, record metadata, first-touch page faults of the bases, GC)
 * while the others can only sketch what it has read.
 *  - `inflateChunks`, one worker: hashes the file, streams and gunzips it, and cuts the text into
 *    chunks at record starts, each in shared memory with the index of its first line. Cheap: a
 *    copy and a newline count per byte (BioMarKs50k: 0.12-0.18 s of CPU, a third of one parser).
 *  - `parseChunk`, any worker: reads one chunk's records with the serial reader itself (so every
 *    rule, warning and problem is the same), packing their bases into the dataset's shared buffer
 *    where the host says, and returns their metadata and whatever the reader had to say.
 */
import { readDataset } from '../../engine/data';
import { isSequenceLine } from '../../engine/data/fastq';
import { fileChunks, maybeGunzip } from '../../engine/data/lines';
import { hashFile } from '../contentHash';
import { CancelledError } from '../errors';
import { sharedBuffer } from '../mappedMemory';
import { encodeRecords, type RecordMeta, type RecordTable } from '../recordTable';
import type { TaskContext } from '../taskContext';
import { recordMetaOf, type CloneableReadOptions } from './loadDataset';

export interface InflateChunksPayload {
  file: string;
  /** The file's format, as the host detected it: where a record starts. */
  format: ChunkedFormat;
  /** A chunk is cut at the first record start after this many bytes of text. */
  chunkBytes: number;
  /**
   * [0]: the chunks the host has parsed, in order. The reader reuses their buffers, so while the
   * parsers keep up the text held is a few chunks whatever the file's size. It never waits for
   * them: a reader that waited would hold its worker idle (on 2 workers, half the pool), and
   * when the pool is busy with other work the parses may not start at all.
   */
  parsed: Int32Array;
}

/** The formats read in chunks. */
export type ChunkedFormat = 'fasta' | 'fastq';

/** One chunk: lines [firstLine, firstLine + its newlines) of the file's decompressed text. */
export interface TextChunkMessage {
  text: Uint8Array;
  firstLine: number;
  /** The share of the file's (compressed) bytes read when the chunk was cut: for estimating the records to come. */
  share: number;
}

/** Reports of `inflateChunks`, in this order: `opened` once (the file hashed), then each `chunk` (the last one included). */
export type InflateChunksReport = { opened: { contentHash: string } } | { chunk: TextChunkMessage };

const LF = 0x0a;
const CR = 0x0d;
const GT = 0x3e;
const AT = 0x40;
const PLUS = 0x2b;

export async function inflateChunksTask(p: InflateChunksPayload, ctx: TaskContext): Promise<void> {
  const check = (): void => {
    if (ctx.isCancelled()) throw new CancelledError(`Reading ${p.file} was cancelled.`);
  };
  const report = (r: InflateChunksReport): void => ctx.progress(0, 0, undefined, r);
  const findCut = p.format === 'fastq' ? fastqRecordStart : fastaRecordStart;
  const contentHash = await hashFile(p.file, check);
  report({ opened: { contentHash } });

  // Buffers of chunk i are free again once the host has parsed chunk i (in order): `spare`.
  const inUse: Uint8Array[] = [];
  const spare: Uint8Array[] = [];
  let produced = 0;
  let freed = 0;
  const capacity = Math.max(1 << 12, p.chunkBytes * 2);
  const fresh = (size: number): Uint8Array => new Uint8Array(sharedBuffer(size), 0, size);
  let buffer = fresh(capacity);
  let held = 0;
  let firstLine = 0;
  let share = 0;
  let scanned = 0;

  const reclaim = (): void => {
    const parsed = Atomics.load(p.parsed, 0);
    while (freed < parsed && inUse.length > 0) {
      const b = inUse.shift()!;
      if (b.length === capacity) spare.push(b);
      freed++;
    }
  };
  const emit = (end: number): void => {
    const text = buffer.subarray(0, end);
    let lines = 0;
    for (let at = text.indexOf(LF); at >= 0; at = text.indexOf(LF, at + 1)) lines++;
    report({ chunk: { text, firstLine, share } });
    produced++;
    inUse.push(buffer);
    firstLine += lines;
    reclaim();
    const rest = held - end;
    const next = rest <= capacity ? (spare.pop() ?? fresh(capacity)) : fresh(rest);
    next.set(buffer.subarray(end, held));
    buffer = next;
    held = rest;
  };

  for await (const piece of maybeGunzip(fileChunks(p.file, (done, total) => {
    share = total > 0 ? done / total : 0;
    ctx.progress(done, total);
  }))) {
    check();
    // A byte-order mark stays: chunk 0 starts the file, and its reader drops the mark as the serial one does.
    const data = piece;
    if (held + data.length > buffer.length) {
      const grown = fresh(Math.max(buffer.length * 2, held + data.length));
      grown.set(buffer.subarray(0, held));
      buffer = grown;
    }
    buffer.set(data, held);
    held += data.length;
    // Cut at the first record start past chunkBytes; a record longer than that grows its chunk until the next one.
    // (`scanned`: where the search goes on, so a long record is scanned once.)
    for (;;) {
      const found = findCut(buffer, Math.max(p.chunkBytes, scanned), held);
      if (found.cut < 0) {
        scanned = Math.max(p.chunkBytes, found.resume);
        break;
      }
      emit(found.cut);
      scanned = 0;
    }
  }
  if (held > 0 || produced === 0) emit(held);
}

/** Where a chunk may be cut in `buffer[from, end)` (never at 0), or -1 and where to look again once more text has come. */
interface Cut {
  cut: number;
  resume: number;
}

/** FASTA: the start of the first line in `buffer[from, end)` that begins with '>'. */
function fastaRecordStart(buffer: Uint8Array, from: number, end: number): Cut {
  const text = buffer.subarray(0, end);
  for (let at = text.indexOf(GT, Math.max(1, from)); at >= 0; at = text.indexOf(GT, at + 1)) {
    if (text[at - 1] === LF) return { cut: at, resume: at };
  }
  return { cut: -1, resume: end - 1 };
}

/**
 * FASTQ: the start of the first line in `buffer[from, end)` that begins a four-line record: '@',
 * then a one-line sequence, then a line starting with '+'. A quality line may start with '@',
 * but the line after a quality line is a header, never a sequence. A wrapped record is not cut
 * at (its chunk grows); should a cut ever fall inside one, the chunk before it ends in a record
 * cut short, a problem, and the file is read whole (jobs/parallelRead.ts).
 */
function fastqRecordStart(buffer: Uint8Array, from: number, end: number): Cut {
  const text = buffer.subarray(0, end);
  for (let at = text.indexOf(AT, Math.max(1, from)); at >= 0; at = text.indexOf(AT, at + 1)) {
    if (text[at - 1] !== LF) continue;
    const headerEnd = text.indexOf(LF, at);
    const sequenceEnd = headerEnd < 0 ? -1 : text.indexOf(LF, headerEnd + 1);
    // The two lines after it are not all here yet: decide once they are.
    if (sequenceEnd < 0 || sequenceEnd + 1 >= end) return { cut: -1, resume: at };
    const lineEnd = text[sequenceEnd - 1] === CR ? sequenceEnd - 1 : sequenceEnd;
    if (isSequenceLine(text.subarray(headerEnd + 1, lineEnd)) && text[sequenceEnd + 1] === PLUS) return { cut: at, resume: at };
  }
  return { cut: -1, resume: end - 1 };
}

export interface ParseChunkPayload {
  file: string;
  read: CloneableReadOptions;
  format: ChunkedFormat;
  text: Uint8Array;
  firstLine: number;
  /** Where the chunk's bases go: `bases[at, at + text.length)` (bases are never more than the text's bytes). */
  bases: Uint8Array;
  at: number;
}

export interface ParsedChunk {
  records: RecordTable;
  /** Record r's bases are `bases[offsets[r], offsets[r + 1])` (positions in the whole buffer). */
  offsets: Int32Array;
  /** What the reader said, as it would have said it reading the whole file: the host merges only chunks where this is at most one 'non-nucleotide' warning. */
  warnings: { code: string; message: string }[];
  problems: number;
}

export async function parseChunkTask(p: ParseChunkPayload, ctx: TaskContext): Promise<ParsedChunk> {
  ctx.throwIfCancelled();
  const metas: RecordMeta[] = [];
  const starts: number[] = [p.at];
  let at = p.at;
  const dataset = await readDataset(
    p.file,
    { ...p.read, format: p.format },
    (r) => {
      p.bases.set(r.sequence, at);
      at += r.sequence.length;
      starts.push(at);
      metas.push(recordMetaOf(r));
    },
    { text: p.text, firstLine: p.firstLine },
  );
  return {
    records: encodeRecords(metas),
    offsets: Int32Array.from(starts),
    warnings: dataset.summary.warnings.map((w) => ({ code: w.code, message: w.message })),
    problems: dataset.summary.problems.length,
  };
}
