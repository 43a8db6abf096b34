/**
 * MNIST-style IDX files (http://yann.lecun.com/exdb/mnist/), plain or gzip: a big-endian header
 * `00 00 <type> <ndims>` then ndims uint32 sizes, then the values. Only unsigned bytes (type 0x08)
 * are read: images (magic 0x00000803, n×h×w → records of shape [h, w, 1]), vectors
 * (0x00000802, n×d → [d]) and labels (0x00000801, n → one label per record, written as the
 * decimal value). The file must hold exactly what its header announces: a short file or
 * trailing bytes are ParseErrors (line 1, column = 1-based byte offset).
 *
 * Pairing: `X-images-idx3-ubyte[.gz]` (or `X-images.idx3-ubyte`) finds its labels file
 * `X-labels-idx1-ubyte[.gz]` (same spelling, with or without .gz) in the same folder.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { ByteStream, checkAnnouncedSize } from './binary';
import { ParseError } from './records';

const hex = (m: number): string => `0x${m.toString(16).padStart(8, '0')}`;

export interface IdxHeader {
  magic: number;
  dims: number[];
  /** Bytes of the header (4 + 4 × ndims). */
  headerBytes: number;
}

async function readHeader(stream: ByteStream, file: string, expect: readonly number[]): Promise<IdxHeader> {
  const m = await stream.readExact(4, 'the IDX magic number');
  const magic = ((m[0]! << 24) | (m[1]! << 16) | (m[2]! << 8) | m[3]!) >>> 0;
  if (!expect.includes(magic)) {
    const known =
      magic === 0x801 ? ' (an IDX labels file: give it as the labels of an images file)' : m[0] === 0 && m[1] === 0 && m[2] !== 8 ? ` (IDX data type 0x${m[2]!.toString(16).padStart(2, '0')}: only unsigned bytes, 0x08, are read)` : '';
    throw new ParseError(file, 1, 1, `wrong magic number ${hex(magic)}${known}: expected ${expect.map(hex).join(' or ')}`);
  }
  const ndims = m[3]!;
  const d = await stream.readExact(4 * ndims, 'the IDX dimensions');
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 * i, false));
  return { magic, dims, headerBytes: 4 + 4 * ndims };
}

export interface IdxRead {
  shape: number[];
  /** Records the header announces. */
  total: number;
  data: Float32Array;
  /** Records read: min(total, limit). */
  count: number;
}

/**
 * Reads up to `limit` records of an IDX images (0x803) or vectors (0x802) file. `allocate` makes
 * the array the values land in (default: a plain Float32Array): the pool's reader passes one in
 * a SharedArrayBuffer, so the bytes are widened once, straight into the memory the workers share.
 */
export async function readIdxData(
  filePath: string,
  file: string,
  limit: number,
  onProgress?: (bytesRead: number, totalBytes: number) => void,
  allocate: (length: number) => Float32Array = (length) => new Float32Array(length),
): Promise<IdxRead> {
  const stream = new ByteStream(filePath, file, onProgress);
  try {
    const { dims, headerBytes } = await readHeader(stream, file, [0x803, 0x802]);
    const total = dims[0]!;
    const shape = dims.length === 3 ? [dims[1]!, dims[2]!, 1] : [dims[1]!];
    const dim = shape.reduce((a, b) => a * b, 1);
    const count = Math.min(total, limit);
    const what = dims.length === 3 ? `${total} images of ${dims[1]}×${dims[2]}` : `${total} vectors of ${dims[1]}`;
    await checkAnnouncedSize(filePath, file, { kind: 'truncated IDX file', what, field: 'dimensions', column: 5, headerBytes, total, count, recordValues: dim, itemBytes: 1 });
    const data = allocate(count * dim);
    const block = new Uint8Array(Math.max(1, Math.min(1 << 20, count * dim)));
    let done = 0;
    while (done < count * dim) {
      const want = Math.min(block.length, count * dim - done);
      const got = await stream.readInto(block.subarray(0, want));
      data.set(block.subarray(0, got), done);
      done += got;
      if (got < want) {
        throw new ParseError(file, 1, stream.offset + 1, `truncated IDX file: the header announces ${what} (${headerBytes + total * dim} bytes); the data ends after ${stream.offset} bytes, in record ${Math.floor(done / dim)}`);
      }
    }
    if (count === total) {
      const extra = await stream.remaining();
      if (extra > 0) throw new ParseError(file, 1, stream.offset + 1, `${extra} bytes after the ${what} the header announces`);
    }
    return { shape, total, data, count };
  } finally {
    await stream.close();
  }
}

/** Reads the first `limit` labels of an IDX labels file (0x801), and the count its header announces. */
export async function readIdxLabels(filePath: string, file: string, limit: number): Promise<{ labels: string[]; total: number }> {
  const stream = new ByteStream(filePath, file);
  try {
    const { dims } = await readHeader(stream, file, [0x801]);
    const total = dims[0]!;
    const count = Math.min(total, limit);
    await checkAnnouncedSize(filePath, file, { kind: 'truncated IDX labels file', what: `${total} labels`, field: 'dimensions', column: 5, headerBytes: 8, total, count, recordValues: 1, itemBytes: 1 });
    const bytes = new Uint8Array(count);
    const got = await stream.readInto(bytes);
    if (got < count) throw new ParseError(file, 1, stream.offset + 1, `truncated IDX labels file: the header announces ${total} labels, the data ends after ${got}`);
    if (count === total) {
      const extra = await stream.remaining();
      if (extra > 0) throw new ParseError(file, 1, stream.offset + 1, `${extra} bytes after the ${total} labels the header announces`);
    }
    return { labels: Array.from(bytes, String), total };
  } finally {
    await stream.close();
  }
}

/** The IDX magic number of a file (gunzipped), or undefined when it has fewer than 4 bytes. */
export async function idxMagicOf(filePath: string): Promise<number | undefined> {
  const stream = new ByteStream(filePath, filePath);
  try {
    const m = new Uint8Array(4);
    if ((await stream.readInto(m)) < 4) return undefined;
    return ((m[0]! << 24) | (m[1]! << 16) | (m[2]! << 8) | m[3]!) >>> 0;
  } catch {
    return undefined;
  } finally {
    await stream.close();
  }
}

/** The labels file beside an IDX images file by the MNIST naming convention, when it exists. */
export async function pairedIdxLabels(imagesPath: string): Promise<string | undefined> {
  const dir = path.dirname(imagesPath);
  const base = path.basename(imagesPath);
  const m = /^(.*)-images([-.])idx3-ubyte(\.gz)?$/i.exec(base);
  if (m === null) return undefined;
  const stem = `${m[1]}-labels${m[2]}idx1-ubyte`;
  const candidates = m[3] !== undefined ? [`${stem}${m[3]}`, stem] : [stem, `${stem}.gz`];
  for (const c of candidates) {
    const p = path.join(dir, c);
    try {
      await access(p);
      return p;
    } catch {
      // try the next spelling
    }
  }
  return undefined;
}
