/**
 * A FASTA or FASTQ file read on every core (issue 15): one worker inflates the file and cuts its
 * text into chunks at record starts (worker/tasks/readChunks.ts), the others parse the chunks as they
 * come, each packing its bases into the dataset's one shared buffer, and the pool sketches each
 * chunk's records as soon as the chunks before it are parsed. One parser on one worker made the
 * read the stage that did not scale (1.7× from 1 to 2 workers; on 16 cores it would be most of
 * the run).
 *
 * Each chunk is read by the serial reader itself, so a clean file gives the same records, bases
 * and warnings as reading it whole. What a chunk cannot judge alone (an id seen in another
 * chunk, the order of warnings across chunks, the cap on problems) is not merged: a file where any
 * chunk had a problem or a warning (but the one that says the dataset is protein), or where an id
 * repeats across chunks, is read again by the serial reader, which reports it exactly. Such files
 * cost two reads; clean ones one read on every core.
 *
 * Each chunk's bases go to the buffer at the chunk's offset in the text (bases never outnumber
 * the text's bytes), leaving gaps that one in-order move closes at the end (~20 ms for the
 * 20 MB of BioMarKs50k, the pages already touched): the first-touch page faults of the bases,
 * a tenth of the serial read, happen on the parsing workers. The parts handed out for sketching point at
 * the buffer before the move, so the move waits until their sketches are done.
 */
import { decompressedSizeHint } from '../engine/data/lines';
import { detectFileFormat } from '../engine/data';
import { sharedBuffer } from '../worker/mappedMemory';
import type { PackedSymbols } from '../worker/packedSymbols';
import { decodeRecords, type RecordMeta } from '../worker/recordTable';
import { fromTask, type CloneableReadOptions, type LoadedDataset, type PartsListener } from '../worker/tasks/loadDataset';
import type { InflateChunksReport, ParsedChunk, TextChunkMessage } from '../worker/tasks/readChunks';
import type { WorkerPool } from './pool';

/** A chunk is cut at the first record start after 1 MiB of text: ~40 ms of parsing, ~2,500 records of BioMarKs50k. */
export const CHUNK_BYTES = 1 << 20;

export interface ParallelReadOptions {
  pool: WorkerPool;
  signal?: AbortSignal;
  /** Bytes of the file read so far, and its size. */
  progress: (done: number, total: number) => void;
  /** Told the file's hash and format first, then each chunk's records in order. */
  listener: Pick<PartsListener, 'opened' | 'part'>;
  /** Resolves once every part handed to the listener is done with the bases (they are moved after). */
  partsSettled: () => Promise<void>;
  /** Tests make chunks small. */
  chunkBytes?: number;
}

/**
 * Workers from which a file is read in chunks. On 2 workers one parser is faster: it reads while
 * the other worker sketches, and the chunks only add work (the copy and line count of the text,
 * a second worker warming up the parser): BioMarKs50k by `simlab cluster` on 2 cores, 5 runs
 * alternating, 5.06 s (4.92–5.24) with one parser against 5.30 s (5.20–5.43) in chunks, 0.5 s
 * less CPU. From 3 workers one parser is the bound (its worker reads while 2 or more sketch) and
 * the chunks lift it: the reader's own part is a third of one parser's (BioMarKs50k 0.13 s
 * against 0.38 s of CPU).
 */
export const PARALLEL_READ_MIN_WORKERS = 3;

/**
 * True when the pool and the read options allow chunks: `minWorkers` workers (tests and the
 * scaling bench measure the chunked read with 2), no record limit (a prefix), no labels file
 * (label i for record i).
 */
export function canReadInParallel(read: CloneableReadOptions, pool: WorkerPool, minWorkers = PARALLEL_READ_MIN_WORKERS): boolean {
  return pool.size >= Math.max(2, minWorkers) && read.limit === undefined && read.labelsFile === undefined && (read.format === undefined || read.format === 'fasta' || read.format === 'fastq');
}

interface Chunk {
  /** The share of the file read when it was cut (TextChunkMessage.share). */
  share: number;
  /** The buffer its bases go to (the dataset's, or its own when the size hint was short). */
  target: Uint8Array;
  /** One of the two once its parse has ended. */
  parsed?: ParsedChunk;
  failure?: { error: unknown };
}

const settled = (c: Chunk): boolean => c.parsed !== undefined || c.failure !== undefined;

/**
 * The dataset, read in chunks; undefined when it must be read whole (not FASTA or FASTQ, or a chunk had
 * something to say: see the file comment). Cancellation and failures of the pool reject.
 */
export async function readInParallel(file: string, read: CloneableReadOptions, o: ParallelReadOptions): Promise<LoadedDataset | undefined> {
  const { pool, signal, listener } = o;
  const format = read.format ?? (await detectFileFormat(file));
  if (format !== 'fasta' && format !== 'fastq') return undefined;
  const capacity = await decompressedSizeHint(file);
  const bases = new Uint8Array(sharedBuffer(capacity), 0, capacity);
  const parsedCount = new Int32Array(new SharedArrayBuffer(4));
  const chunks: Chunk[] = [];
  const parses: Promise<void>[] = [];
  let textAt = 0;
  let contentHash: string | undefined;
  // The chunks parsed in order so far: their records (decoded here while the workers parse the
  // next ones, the host being idle meanwhile), and whether all were clean (else no more parts
  // are handed out: the file will be read whole).
  let prefix = 0;
  const metas: RecordMeta[] = [];
  const ids = new Set<string>();
  let clean = true;

  const advance = (): void => {
    while (prefix < chunks.length && settled(chunks[prefix]!)) {
      const c = chunks[prefix]!;
      clean &&= c.parsed !== undefined && isClean(c.parsed);
      const first = metas.length;
      if (clean) {
        for (const r of decodeRecords(c.parsed!.records)) {
          r.index += first;
          metas.push(r);
          ids.add(r.id);
        }
        // An id in two chunks: the serial reader warns (or throws) naming both lines.
        clean = ids.size === metas.length;
      }
      if (clean) {
        const share = c.share;
        listener.part({ first, packed: { kind: 'bytes', offsets: c.parsed!.offsets, data: c.target }, ...(share > 0 ? { expected: Math.ceil(metas.length / share) } : {}) });
      }
      prefix++;
    }
    Atomics.store(parsedCount, 0, prefix);
  };

  const onChunk = (message: TextChunkMessage): void => {
    const length = message.text.length;
    const own = textAt + length > bases.length;
    const c: Chunk = { share: message.share, target: own ? new Uint8Array(sharedBuffer(length), 0, length) : bases };
    const at = own ? 0 : textAt;
    textAt += length;
    chunks.push(c);
    parses.push(
      pool.run('parseChunk', { file, read, format, text: message.text, firstLine: message.firstLine, bases: c.target, at }, signal ? { signal } : {}).then(
        (parsed) => {
          c.parsed = parsed;
          advance();
        },
        (error: unknown) => {
          c.failure = { error };
          advance();
        },
      ),
    );
  };

  const onReport = (report: InflateChunksReport): void => {
    if ('chunk' in report) return onChunk(report.chunk);
    contentHash = report.opened.contentHash;
    listener.opened(contentHash, format);
  };

  let readFailure: { error: unknown } | undefined;
  try {
    await pool.run(
      'inflateChunks',
      { file, format, chunkBytes: o.chunkBytes ?? CHUNK_BYTES, parsed: parsedCount },
      { ...(signal ? { signal } : {}), onProgress: (p) => (p.data ? onReport(p.data as InflateChunksReport) : o.progress(p.done, p.total)) },
    );
  } catch (error) {
    readFailure = { error };
  }
  await Promise.all(parses);
  const failures = [readFailure, ...chunks.map((c) => c.failure)].filter((f) => f !== undefined);
  // Cancelled, or the pool is going away: the serial reader would fail the same way.
  const fatal = failures.find((f) => signal?.aborted || (f.error instanceof Error && f.error.name === 'PoolDisposedError'));
  if (fatal) throw fatal.error;
  signal?.throwIfAborted();
  // A failed read or parse (a truncated gzip, a chunk without records, a worker lost): the serial reader says what it is.
  if (failures.length > 0 || contentHash === undefined || !clean) return undefined;

  await o.partsSettled();
  const packed = closeGaps(chunks, bases, metas.length);
  const protein = chunks.find((c) => c.parsed!.warnings.length > 0);
  return { contentHash, format, kind: 'sequence', records: metas, packed, warnings: protein ? [protein.parsed!.warnings[0]!.message] : [], problems: [], chunks: chunks.length };
}

/**
 * A sequence or text dataset read in the pool, when nothing sketches it meanwhile (training,
 * embedding with a model): FASTA and FASTQ in chunks on every worker when the options allow, else (and
 * when the chunks had something to say) by one parser in one worker.
 */
export async function loadInPool(file: string, read: CloneableReadOptions, pool: WorkerPool, signal: AbortSignal | undefined, progress: (done: number, total: number) => void, minWorkers = PARALLEL_READ_MIN_WORKERS): Promise<LoadedDataset> {
  if (canReadInParallel(read, pool, minWorkers)) {
    const listener = { opened: () => undefined, part: () => undefined };
    const parallel = await readInParallel(file, read, { pool, ...(signal ? { signal } : {}), progress, listener, partsSettled: () => Promise.resolve() });
    if (parallel) return parallel;
  }
  return await fromTask(await pool.run('loadDataset', { file, read }, { ...(signal ? { signal } : {}), onProgress: (p) => progress(p.done, p.total) }));
}

/** Nothing to merge across chunks: no problem, no warning but the one that says the records are protein. */
function isClean(parsed: ParsedChunk): boolean {
  return parsed.problems === 0 && parsed.warnings.every((w) => w.code === 'non-nucleotide');
}

/** The chunks' bases moved together, in order, at the start of one buffer (the dataset's when they fit). */
function closeGaps(chunks: readonly Chunk[], bases: Uint8Array, n: number): PackedSymbols {
  let total = 0;
  for (const c of chunks) {
    const off = c.parsed!.offsets;
    total += off[off.length - 1]! - off[0]!;
  }
  const data = total <= bases.length && chunks.every((c) => c.target === bases) ? bases : new Uint8Array(sharedBuffer(total), 0, total);
  const offsets = new Int32Array(sharedBuffer((n + 1) * 4), 0, n + 1);
  let to = 0;
  let r = 0;
  for (const c of chunks) {
    const off = c.parsed!.offsets;
    const from = off[0]!;
    const length = off[off.length - 1]! - from;
    // In order, each chunk moves down (never past the next one's start): a forward copy is safe.
    if (c.target === data) data.copyWithin(to, from, from + length);
    else data.set(c.target.subarray(from, from + length), to);
    for (let i = 0; i + 1 < off.length; i++) offsets[r++] = to + off[i]! - from;
    to += length;
  }
  offsets[n] = to;
  return { kind: 'bytes', offsets, data: data.subarray(0, total) };
}
