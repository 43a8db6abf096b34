/**
 * Persistence of indexes (MinHash signatures and their parameters) so a second query on the same
 * file does not rebuild them. Entries are keyed by the file's content hash and the parameters,
 * written atomically (temp file + rename), versioned, and treated as absent when stale or corrupt.
 *
 * File layout: 4-byte magic "SLIX", uint32 format version, uint32 JSON header length, JSON header
 * (UTF-8; it holds the key, the payload's word count and its SHA-256), padding to a 4-byte
 * boundary, then the Uint32Array payload (little-endian, as on x86/ARM).
 */
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

const MAGIC = 0x58494c53; // "SLIX" read as little-endian uint32
/** 2: the header carries the payload's SHA-256 (a damaged payload reads as absent). */
export const INDEX_FORMAT_VERSION = 2;

/** The default cache folder of the command line; the editor passes its own storage folder instead. */
export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'similarity-lab');
}

/** The cache key of an index: content hash + the parameters that shaped it. */
export function indexKey(contentHash: string, params: object): string {
  const canonical = JSON.stringify(params, Object.keys(params).sort());
  return createHash('sha256').update(contentHash).update('\0').update(canonical).digest('hex').slice(0, 40);
}

export interface CachedIndex<H extends object> {
  header: H;
  data: Uint32Array;
}

export class IndexCache {
  constructor(readonly dir: string) {}

  private fileOf(key: string): string {
    return path.join(this.dir, `${key}.slix`);
  }

  /** The entry for `key`, or undefined when missing, of another version, or corrupt (a corrupt file is removed). */
  async load<H extends object>(key: string): Promise<CachedIndex<H> | undefined> {
    let buf: Buffer;
    try {
      buf = await readFile(this.fileOf(key));
    } catch {
      return undefined;
    }
    try {
      if (buf.length < 12 || buf.readUInt32LE(0) !== MAGIC) throw new Error('bad magic');
      if (buf.readUInt32LE(4) !== INDEX_FORMAT_VERSION) return undefined; // another version: rebuild
      const headerLen = buf.readUInt32LE(8);
      const headerEnd = 12 + headerLen;
      if (headerEnd > buf.length) throw new Error('truncated header');
      const header = JSON.parse(buf.toString('utf8', 12, headerEnd)) as H & { key?: string; words?: number; sha256?: string };
      if (header.key !== key) throw new Error('key mismatch');
      const dataStart = (headerEnd + 3) & ~3;
      const words = (buf.length - dataStart) / 4;
      if (!Number.isInteger(words) || words !== header.words) throw new Error('truncated payload');
      // Off the calling thread (WebCrypto digests in libuv's pool): 50k records × 128 hashes is
      // 26 MB, ~25 ms of the LSP thread with createHash, in the turn that starts a clustering.
      if (Buffer.from(await webcrypto.subtle.digest('SHA-256', buf.subarray(dataStart))).toString('hex') !== header.sha256) throw new Error('corrupt payload');
      const data = new Uint32Array(words);
      Buffer.from(data.buffer).set(buf.subarray(dataStart));
      return { header, data };
    } catch {
      await rm(this.fileOf(key), { force: true });
      return undefined;
    }
  }

  /** Writes the entry atomically: readers see the old file or the whole new one, never half. */
  async save(key: string, header: object, data: Uint32Array): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const payload = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    // On this thread: WebCrypto takes no shared memory, where the signatures live (~12 ms for BioMarKs50k).
    const sha256 = createHash('sha256').update(payload).digest('hex');
    const headerBuf = Buffer.from(JSON.stringify({ ...header, key, words: data.length, sha256 }), 'utf8');
    const pre = Buffer.alloc(12);
    pre.writeUInt32LE(MAGIC, 0);
    pre.writeUInt32LE(INDEX_FORMAT_VERSION, 4);
    pre.writeUInt32LE(headerBuf.length, 8);
    const pad = Buffer.alloc(((12 + headerBuf.length + 3) & ~3) - (12 + headerBuf.length));
    const target = this.fileOf(key);
    // Unique per call: two saves of one key at the same moment (one file clustered and queried at
    // once) must not write into the same temp file, or one rename publishes a file still being written.
    const temp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      // The parts written as they are (writev), not joined into one new buffer first: for
      // BioMarKs50k the join held the LSP thread ~60 ms (fresh pages for 26 MB).
      const file = await open(temp, 'w');
      try {
        const parts = [pre, headerBuf, pad, payload];
        const total = parts.reduce((sum, b) => sum + b.length, 0);
        // A short write (a file system's limit per call) goes on from where it stopped.
        for (let at = (await file.writev(parts)).bytesWritten; at < total; ) at += (await file.write(Buffer.concat(parts).subarray(at))).bytesWritten;
      } finally {
        await file.close();
      }
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }
}
