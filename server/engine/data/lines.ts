/**
 * Byte sources and a chunked line splitter: the streaming layer under every reader.
 *
 * A file is read as a stream of chunks (`fs.createReadStream`), gunzipped on the fly when its
 * first two bytes are the gzip magic 1f 8b (whatever its extension says), and cut into lines as
 * chunks arrive. Nothing ever holds the whole file: a line lives until the reader has consumed it.
 * Line endings \n and \r\n are both accepted; a final line without a newline is a line; a UTF-8
 * byte-order mark at the start of the file is dropped (an editor does not show it either).
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ParseError } from './records';

/** Anything that yields byte chunks: a file stream, an array of buffers, a generator. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** One line: its bytes without the line ending, and its 0-based index in the file. */
export interface Line {
  bytes: Uint8Array;
  index: number;
}

/** A gzip stream that ended early or is corrupt. The line layer turns it into a `ParseError`. */
export class GzipError extends Error {
  override readonly name = 'GzipError';
  constructor(
    readonly kind: 'truncated' | 'corrupt',
    readonly detail: string,
  ) {
    super(`${kind === 'truncated' ? 'truncated gzip' : 'corrupt gzip'} (${detail})`);
  }
}

export function isGzipMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * About how many bytes a file holds once decompressed: its size, or for gzip the size its trailer
 * records (ISIZE: the last member's uncompressed size mod 2³², so only a hint, exact for the
 * usual one-member file of under 4 GiB). For sizing buffers up front; never for correctness.
 */
export async function decompressedSizeHint(path: string): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size < 18) return size;
    const head = new Uint8Array(2);
    await handle.read(head, 0, 2, 0);
    if (!isGzipMagic(head)) return size;
    const tail = Buffer.alloc(4);
    await handle.read(tail, 0, 4, size - 4);
    return Math.max(size, tail.readUInt32LE(0));
  } finally {
    await handle.close();
  }
}

/** The raw bytes of a file, streamed. `onProgress(bytesRead, totalBytes)` after every chunk. */
export async function* fileChunks(
  path: string,
  onProgress?: (bytesRead: number, totalBytes: number) => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  const total = onProgress ? (await stat(path)).size : 0;
  const stream = createReadStream(path);
  let read = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      read += chunk.length;
      onProgress?.(read, total);
      yield chunk;
    }
  } finally {
    stream.destroy();
  }
}

/**
 * Passes a byte source through unchanged, or through gunzip when it starts with the gzip magic.
 * zlib errors become `GzipError` ('truncated' for an unexpected end of input, else 'corrupt').
 * Concatenated gzip members (bgzip, `cat a.gz b.gz`) are read as one stream.
 */
export async function* maybeGunzip(source: ByteSource): AsyncGenerator<Uint8Array, void, undefined> {
  const it = toAsyncIterator(source);
  // Peek until two bytes are known (a first chunk of one byte is legal, if unlikely).
  const head: Uint8Array[] = [];
  let headLength = 0;
  let ended = false;
  while (headLength < 2) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    if (r.value.length === 0) continue;
    head.push(r.value);
    headLength += r.value.length;
  }
  const first = head.length === 1 ? head[0]! : concatBytes(head, headLength);
  if (!isGzipMagic(first)) {
    try {
      if (first.length > 0) yield first;
      if (ended) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      await it.return?.();
    }
  }

  async function* compressed(): AsyncGenerator<Uint8Array, void, undefined> {
    try {
      yield first;
      if (ended) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      await it.return?.();
    }
  }
  const gunzip = createGunzip();
  // pipeline() forwards errors of the source into gunzip and tears both down on early exit.
  const out = pipeline(compressed(), gunzip, () => {});
  try {
    for await (const chunk of out as AsyncIterable<Buffer>) yield chunk;
  } catch (e) {
    throw toGzipError(e);
  } finally {
    out.destroy();
  }
}

function toGzipError(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e.message)) return new GzipError('truncated', e.message);
  if (typeof code === 'string' && code.startsWith('Z_')) return new GzipError('corrupt', e.message);
  return e;
}

/**
 * Where a chunk of a file's decompressed text starts: its first line's 0-based index. Such a
 * chunk is text already (never gunzipped again) and starts at a line start.
 */
export interface TextChunkStart {
  firstLine: number;
}

async function* toAsyncGenerator(source: ByteSource): AsyncGenerator<Uint8Array, void, undefined> {
  yield* source;
}

function toAsyncIterator(source: ByteSource): AsyncIterator<Uint8Array> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  const sync = source[Symbol.iterator]();
  return {
    next: () => Promise.resolve(sync.next()),
    return: (value?: unknown) => Promise.resolve(sync.return?.(value) ?? { done: true as const, value: undefined }),
  };
}

function concatBytes(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Cuts byte chunks into lines. Pure: `push` each chunk, then `finish` once. A line that spans
 * chunks is kept as a list of parts and joined once, so a very long line costs O(length).
 */
export class LineSplitter {
  private pending: Uint8Array[] = [];
  private pendingLength = 0;
  private next: number;
  private atStart: boolean;

  /**
   * `firstLine`: the 0-based index of the first line pushed. A splitter that starts later in a
   * file (a chunk cut at a line start, jobs/parallelRead.ts) numbers its lines from there and
   * looks for no byte-order mark, which only the file's first bytes can hold.
   */
  constructor(firstLine = 0) {
    this.next = firstLine;
    this.atStart = firstLine === 0;
  }

  /** Lines completed so far; also the 0-based index of the line being read. */
  get linesDone(): number {
    return this.next;
  }

  push(chunk: Uint8Array): Line[] {
    const lines: Line[] = [];
    let from = 0;
    if (this.atStart) {
      // Only the first bytes of the file can be a BOM; wait until three bytes are known.
      if (chunk.length === 0) return lines;
      if (this.pendingLength > 0) {
        chunk = concatBytes([...this.pending, chunk], this.pendingLength + chunk.length);
        this.pending = [];
        this.pendingLength = 0;
      }
      if (chunk.length < 3) {
        this.pending.push(chunk);
        this.pendingLength = chunk.length;
        return lines;
      }
      this.atStart = false;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) from = 3;
    }
    for (;;) {
      const nl = chunk.indexOf(LF, from);
      if (nl < 0) break;
      let line: Uint8Array;
      if (this.pendingLength > 0) {
        this.pending.push(chunk.subarray(from, nl));
        line = concatBytes(this.pending, this.pendingLength + nl - from);
        this.pending = [];
        this.pendingLength = 0;
      } else {
        line = chunk.subarray(from, nl);
      }
      lines.push({ bytes: stripCR(line), index: this.next++ });
      from = nl + 1;
    }
    if (from < chunk.length) {
      this.pending.push(chunk.subarray(from));
      this.pendingLength += chunk.length - from;
    }
    return lines;
  }

  /** The final line when the file does not end with a newline. */
  finish(): Line[] {
    if (this.atStart && this.pendingLength > 0) {
      // A file shorter than three bytes: drop it if it is (a prefix of) a BOM, else flush it.
      this.atStart = false;
      const head = concatBytes(this.pending, this.pendingLength);
      this.pending = [];
      this.pendingLength = 0;
      const bom = [0xef, 0xbb, 0xbf];
      if (head.every((b, i) => b === bom[i])) return [];
      return [...this.push(head), ...this.finish()];
    }
    if (this.pendingLength === 0) return [];
    const line = concatBytes(this.pending, this.pendingLength);
    this.pending = [];
    this.pendingLength = 0;
    return [{ bytes: stripCR(line), index: this.next++ }];
  }
}

function stripCR(line: Uint8Array): Uint8Array {
  return line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line;
}

/**
 * Lines of a byte source (gunzipped if it is gzip), in batches — one batch per chunk, so the
 * per-line cost stays synchronous. A gzip failure becomes a `ParseError` at the line being read:
 * `FILE:LINE:1: truncated gzip (unexpected end of file)`.
 */
export async function* readLines(source: ByteSource, file: string, chunk?: TextChunkStart): AsyncGenerator<Line[], void, undefined> {
  const splitter = new LineSplitter(chunk?.firstLine ?? 0);
  const chunks = chunk ? toAsyncGenerator(source) : maybeGunzip(source);
  try {
    for await (const chunk of chunks) {
      const lines = splitter.push(chunk);
      if (lines.length > 0) yield lines;
    }
  } catch (e) {
    if (e instanceof GzipError) throw new ParseError(file, splitter.linesDone + 1, 1, e.message);
    throw e;
  } finally {
    await chunks.return();
  }
  const last = splitter.finish();
  if (last.length > 0) yield last;
}

/** Lines of a file on disk (plain or gzip), streamed. */
export function readFileLines(
  path: string,
  file: string = path,
  onProgress?: (bytesRead: number, totalBytes: number) => void,
): AsyncGenerator<Line[], void, undefined> {
  return readLines(fileChunks(path, onProgress), file);
}

/** True when the line holds only spaces and tabs (or nothing). */
export function isBlank(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b !== 0x20 && b !== 0x09) return false;
  }
  return true;
}
