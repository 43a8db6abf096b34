/**
 * Binary files (IDX, .npy) read as a stream of bytes: gunzipped on the fly when they start with
 * the gzip magic, consumed in exact-size pieces, never held whole unless the caller asks.
 *
 * Binary formats have no lines: their `ParseError`s use line 1 and, as the column, the 1-based
 * byte offset in the (decompressed) data where the problem is.
 */
import { open, stat } from 'node:fs/promises';
import { fileChunks, GzipError, isGzipMagic, maybeGunzip } from './lines';
import { ParseError } from './records';

/**
 * The most values one array read from a header's sizes may hold (float32 in memory: 4 GiB). A
 * header is data like any other: a 16-byte IDX file may announce 2^31 images of 65535×65535.
 */
export const MAX_ARRAY_VALUES = 2 ** 30;

/** deflate's best ratio (1032:1): a gzip file cannot unpack to more than this many bytes per byte. */
const MAX_GZIP_RATIO = 1032;

/** What a binary header announces, in the terms its errors use. */
export interface AnnouncedSize {
  /** "truncated IDX file", "truncated .npy file": how a short file's error starts. */
  kind: string;
  /** "64 images of 28×28", "shape (10, 5) of float32". */
  what: string;
  /** The header field that announces the size, and its 1-based byte offset. */
  field: string;
  column: number;
  headerBytes: number;
  /** Records the header announces, records to be read (a limit), values per record, bytes per value. */
  total: number;
  count: number;
  recordValues: number;
  itemBytes: number;
}

/**
 * Checks the size a header announces before anything is allocated for it: the values to read
 * must fit in memory (MAX_ARRAY_VALUES, and one record alone too), and the bytes they need must be
 * in the file — its size when plain (then the error says where the data ends, as a short read
 * would), the most its compressed bytes can unpack to when gzip. A ParseError naming the field.
 */
export async function checkAnnouncedSize(filePath: string, file: string, a: AnnouncedSize): Promise<void> {
  if (a.recordValues > MAX_ARRAY_VALUES || a.count * a.recordValues > MAX_ARRAY_VALUES) {
    const values = a.recordValues > MAX_ARRAY_VALUES ? `${a.recordValues} values in each record` : `${a.count * a.recordValues} values`;
    throw new ParseError(file, 1, a.column, `the header announces ${a.what}: ${values}, more than the ${MAX_ARRAY_VALUES} one dataset may hold in memory (header field '${a.field}')`, a.field);
  }
  const needed = a.headerBytes + a.count * a.recordValues * a.itemBytes;
  const announced = a.headerBytes + a.total * a.recordValues * a.itemBytes;
  // Only a regular file has a size to check against (opening a pipe again could block).
  if (!(await stat(filePath)).isFile()) return;
  const handle = await open(filePath, 'r');
  let size: number;
  let gzip: boolean;
  try {
    size = (await handle.stat()).size;
    const head = new Uint8Array(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    gzip = isGzipMagic(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
  if (!gzip && needed > size) {
    const record = a.recordValues > 0 ? Math.floor(Math.max(0, size - a.headerBytes) / (a.recordValues * a.itemBytes)) : 0;
    throw new ParseError(file, 1, size + 1, `${a.kind}: the header announces ${a.what} (${announced} bytes); the data ends after ${size} bytes, in record ${record} (header field '${a.field}')`, a.field);
  }
  if (gzip && needed > size * MAX_GZIP_RATIO) {
    throw new ParseError(file, 1, a.column, `the header announces ${a.what} (${announced} bytes), more than the ${size} bytes of this gzip file can hold (header field '${a.field}')`, a.field);
  }
}

/** Decompressed bytes of a file, read in exact-size pieces. */
export class ByteStream {
  /** Bytes consumed so far (decompressed). */
  offset = 0;
  private chunk: Uint8Array = new Uint8Array(0);
  private at = 0;
  private ended = false;
  private readonly it: AsyncGenerator<Uint8Array, void, undefined>;

  constructor(
    path: string,
    private readonly file: string,
    onProgress?: (bytesRead: number, totalBytes: number) => void,
  ) {
    this.it = maybeGunzip(fileChunks(path, onProgress));
  }

  /** Fills `target` from the stream; returns how many bytes were filled (fewer only at the end). */
  async readInto(target: Uint8Array): Promise<number> {
    let filled = 0;
    while (filled < target.length) {
      if (this.at >= this.chunk.length && !(await this.pull())) break;
      const take = Math.min(target.length - filled, this.chunk.length - this.at);
      target.set(this.chunk.subarray(this.at, this.at + take), filled);
      this.at += take;
      filled += take;
    }
    this.offset += filled;
    return filled;
  }

  /** Exactly `n` bytes, or a ParseError saying what was being read when the file ended. */
  async readExact(n: number, what: string): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    const start = this.offset;
    const got = await this.readInto(out);
    if (got < n) throw new ParseError(this.file, 1, start + got + 1, `truncated file: ${what} needs ${n} bytes at byte ${start}, the file ends after ${start + got}`);
    return out;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return this.at >= this.chunk.length && !(await this.pull());
  }

  /** Counts (and discards) the bytes left. */
  async remaining(): Promise<number> {
    let n = this.chunk.length - this.at;
    this.at = this.chunk.length;
    while (await this.pull()) {
      n += this.chunk.length;
      this.at = this.chunk.length;
    }
    return n;
  }

  async close(): Promise<void> {
    await this.it.return();
  }

  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    try {
      for (;;) {
        const r = await this.it.next();
        if (r.done) {
          this.ended = true;
          return false;
        }
        if (r.value.length === 0) continue;
        this.chunk = r.value;
        this.at = 0;
        return true;
      }
    } catch (e) {
      if (e instanceof GzipError) throw new ParseError(this.file, 1, this.offset + (this.chunk.length - this.at) + 1, e.message);
      throw e;
    }
  }
}
