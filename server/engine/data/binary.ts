/**
 * Binary files (IDX, .npy) read as a stream of bytes: gunzipped on the fly when they start with
 * the gzip magic, consumed in exact-size pieces, never held whole unless the caller asks.
 *
 * Binary formats have no lines: their `ParseError`s use line 1 and, as the column, the 1-based
 * byte offset in the (decompressed) data where the problem is.
 */
import { fileChunks, GzipError, maybeGunzip } from './lines';
import { ParseError } from './records';

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
