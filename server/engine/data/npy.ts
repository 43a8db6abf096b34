/**
 * NumPy `.npy` files (format versions 1–3), plain or gzip: little-endian float32 (`<f4`), float64
 * (`<f8`) or uint8 (`|u1`), C order. Anything else (big-endian, other dtypes, fortran_order True)
 * is a ParseError naming the header field. Values must be finite (NaN/Inf: ParseError naming the
 * record and its byte offset). Binary errors use line 1 and the 1-based byte offset as the column.
 *
 * As a dataset the first axis counts records: rank 2 (n, d) → vectors [d]; rank 3 (n, h, w) →
 * grey images [h, w, 1]; rank 4 (n, d, h, w) → volumes [d, h, w].
 */
import { ByteStream, checkAnnouncedSize } from './binary';
import { ParseError } from './records';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** `.npy` or `.npy.gz`, any case. */
export function isNpyName(name: string): boolean {
  return /\.npy(\.gz)?$/i.test(name);
}

export type NpyDtype = 'float32' | 'float64' | 'uint8';

export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Bytes before the data. */
  dataOffset: number;
  /** 1-based byte offset of the 'shape' field. */
  shapeColumn: number;
}

const DTYPES: Record<string, NpyDtype> = { '<f4': 'float32', '<f8': 'float64', '|u1': 'uint8', '<u1': 'uint8', '>u1': 'uint8', u1: 'uint8' };
const ITEM_SIZE: Record<NpyDtype, number> = { float32: 4, float64: 8, uint8: 1 };

async function readHeader(stream: ByteStream, file: string): Promise<NpyHeader> {
  const pre = await stream.readExact(8, 'the .npy preamble');
  if (!MAGIC.every((b, i) => pre[i] === b)) throw new ParseError(file, 1, 1, 'wrong magic number: not a .npy file (it must start with \\x93NUMPY)');
  const major = pre[6]!;
  if (major < 1 || major > 3) throw new ParseError(file, 1, 7, `.npy format version ${major}.${pre[7]} is not supported (1 to 3)`);
  const lenBytes = await stream.readExact(major === 1 ? 2 : 4, 'the .npy header length');
  const lenView = new DataView(lenBytes.buffer);
  const headerLength = major === 1 ? lenView.getUint16(0, true) : lenView.getUint32(0, true);
  const start = stream.offset;
  const text = Buffer.from(await stream.readExact(headerLength, 'the .npy header')).toString(major === 3 ? 'utf8' : 'latin1');
  const col = (key: string): number => {
    const at = text.indexOf(`'${key}'`);
    return start + (at >= 0 ? at : 0) + 1;
  };
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (descr === null || fortran === null || shape === null) {
    const missing = descr === null ? 'descr' : fortran === null ? 'fortran_order' : 'shape';
    throw new ParseError(file, 1, start + 1, `the .npy header has no readable '${missing}' (header: ${text.trim()})`, missing);
  }
  const dtype = DTYPES[descr[1]!];
  if (dtype === undefined) {
    const why = descr[1]!.startsWith('>') ? 'big-endian data is not read' : 'only float32 (<f4), float64 (<f8) and uint8 (|u1) are read';
    throw new ParseError(file, 1, col('descr'), `dtype '${descr[1]}' is not supported: ${why}`, 'descr');
  }
  if (fortran[1] === 'True') throw new ParseError(file, 1, col('fortran_order'), "fortran_order True is not supported: save the array in C order (np.ascontiguousarray)", 'fortran_order');
  const dims = shape[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (!dims.every((s) => /^\d+L?$/.test(s))) throw new ParseError(file, 1, col('shape'), `bad shape (${shape[1]})`, 'shape');
  return { dtype, shape: dims.map((s) => parseInt(s, 10)), dataOffset: stream.offset, shapeColumn: col('shape') };
}

export interface NpyRead {
  dtype: NpyDtype;
  /** The array's shape as stored. */
  arrayShape: number[];
  /** Values of the first `count` records (the whole array when records = 1). */
  data: Float32Array;
  count: number;
}

/**
 * Reads a .npy file as `records` of `arrayShape.slice(axes)` values each: `axes` 1 reads the first
 * axis as the record axis (up to `limit` records); `axes` 0 reads the whole array as one record.
 * `checkShape` rejects a shape (a ParseError at the shape field) before any data is read.
 */
export async function readNpy(
  filePath: string,
  file: string,
  options: { axes: 0 | 1; limit?: number; checkShape?: (shape: number[]) => string | undefined; onProgress?: (bytesRead: number, totalBytes: number) => void },
): Promise<NpyRead> {
  const stream = new ByteStream(filePath, file, options.onProgress);
  try {
    const header = await readHeader(stream, file);
    const { dtype, shape } = header;
    const problem = options.checkShape?.(shape);
    if (problem !== undefined) throw new ParseError(file, 1, 1, `shape (${shape.join(', ')}): ${problem}`, 'shape');
    const total = options.axes === 1 ? shape[0]! : 1;
    const dim = shape.slice(options.axes).reduce((a, b) => a * b, 1);
    const count = Math.min(total, options.limit ?? Number.POSITIVE_INFINITY);
    const item = ITEM_SIZE[dtype];
    await checkAnnouncedSize(filePath, file, { kind: 'truncated .npy file', what: `shape (${shape.join(', ')}) of ${dtype}`, field: 'shape', column: header.shapeColumn, headerBytes: header.dataOffset, total, count, recordValues: dim, itemBytes: item });
    const data = new Float32Array(count * dim);
    const blockItems = Math.max(1, Math.floor((1 << 20) / item));
    const block = new Uint8Array(blockItems * item);
    const needed = count * dim;
    let done = 0;
    while (done < needed) {
      const want = Math.min(blockItems, needed - done) * item;
      const at = stream.offset;
      const got = await stream.readInto(block.subarray(0, want));
      const items = Math.floor(got / item);
      const values = dtype === 'float32' ? new Float32Array(block.buffer, 0, items) : dtype === 'float64' ? new Float64Array(block.buffer, 0, items) : block.subarray(0, items);
      for (let i = 0; i < items; i++) {
        const v = values[i]!;
        if (!Number.isFinite(v)) {
          const k = done + i;
          throw new ParseError(file, 1, at + i * item + 1, `${Number.isNaN(v) ? 'NaN' : 'an infinite value'} in record ${Math.floor(k / dim)} (value ${k % dim})`);
        }
        data[done + i] = v;
      }
      done += items;
      if (got < want) {
        const bytes = header.dataOffset + total * dim * item;
        throw new ParseError(file, 1, stream.offset + 1, `truncated .npy file: the header announces shape (${shape.join(', ')}) of ${dtype} (${bytes} bytes); the data ends after ${stream.offset} bytes, in record ${Math.floor(done / dim)}`);
      }
    }
    if (count === total) {
      const extra = await stream.remaining();
      if (extra > 0) throw new ParseError(file, 1, stream.offset + 1, `${extra} bytes after the data of shape (${shape.join(', ')}) the header announces`);
    }
    return { dtype, arrayShape: shape, data, count };
  } finally {
    await stream.close();
  }
}

/** A .npy file as a dataset: rank 2 vectors, rank 3 grey images, rank 4 volumes. */
export async function readNpyDataset(
  filePath: string,
  file: string,
  limit: number,
  onProgress?: (bytesRead: number, totalBytes: number) => void,
): Promise<{ kind: 'table' | 'image' | 'volume'; shape: number[]; total: number; data: Float32Array; count: number }> {
  const read = await readNpy(filePath, file, {
    axes: 1,
    limit,
    onProgress,
    checkShape: (s) => (s.length < 2 || s.length > 4 ? `rank ${s.length}: a dataset is rank 2 (n, d vectors), 3 (n, h, w images) or 4 (n, d, h, w volumes)` : undefined),
  });
  const s = read.arrayShape;
  const kind = s.length === 2 ? 'table' : s.length === 3 ? 'image' : 'volume';
  const shape = s.length === 3 ? [s[1]!, s[2]!, 1] : s.slice(1);
  return { kind, shape, total: s[0]!, data: read.data, count: read.count };
}
