/**
 * PNG and JPEG images as numbers: size and colour probed from the header, decoded with pngjs and
 * jpeg-js (pure JS), converted to grey or RGB, and resampled to a common size.
 *
 * Channels: an image is grey when its file says so — PNG colour type 0 or 4, or a palette (type 3)
 * whose entries are all grey; a one-component JPEG. Grey → RGB repeats the value; RGB → grey is
 * the luma 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as PIL's convert('L')). Alpha is dropped
 * (as PIL's convert does). 16-bit PNGs are scaled to 0–255 by pngjs. EXIF orientation is ignored.
 *
 * Resampling, separably per axis: the same size → copied; shrinking → area average (each output
 * pixel is the mean of the source area it covers, fractional pixels weighted by coverage);
 * enlarging → bilinear with pixel centres aligned (x_src = (x + 0.5)·n/m − 0.5, clamped at the
 * edges). Values stay floats (not rounded).
 */
import { open, readFile } from 'node:fs/promises';
import { decode as decodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { ParseError } from './records';

export interface ImageInfo {
  type: 'png' | 'jpeg';
  width: number;
  height: number;
  /** The file declares a grey image. */
  grey: boolean;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

export function isImageName(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((e) => lower.endsWith(e));
}

/** Size and colour from the first bytes of a PNG or JPEG; undefined when they do not reach that far. */
function probeBytes(b: Uint8Array, file: string): ImageInfo | undefined {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (PNG_SIGNATURE.every((x, i) => b[i] === x)) {
    let at = 8;
    let info: ImageInfo | undefined;
    let colorType = -1;
    while (at + 8 <= b.length) {
      const len = view.getUint32(at, false);
      const type = String.fromCharCode(b[at + 4]!, b[at + 5]!, b[at + 6]!, b[at + 7]!);
      if (at + 12 + len > b.length) return undefined;
      if (type === 'IHDR') {
        colorType = b[at + 17]!;
        info = { type: 'png', width: view.getUint32(at + 8, false), height: view.getUint32(at + 12, false), grey: colorType === 0 || colorType === 4 };
        if (colorType !== 3) return info;
      } else if (type === 'PLTE' && info !== undefined) {
        let grey = true;
        for (let p = at + 8; p + 2 < at + 8 + len; p += 3) if (b[p] !== b[p + 1] || b[p] !== b[p + 2]) grey = false;
        return { ...info, grey };
      } else if (type === 'IDAT' || type === 'IEND') {
        if (info === undefined) break;
        return info;
      }
      at += 12 + len;
    }
    if (at + 8 > b.length && info === undefined) return undefined;
    throw new ParseError(file, 1, 1, 'not a decodable PNG: no IHDR chunk before the image data');
  }
  if (b[0] === 0xff && b[1] === 0xd8) {
    let at = 2;
    while (at + 4 <= b.length) {
      if (b[at] !== 0xff) throw new ParseError(file, 1, at + 1, `not a decodable JPEG: no marker at byte ${at}`);
      const marker = b[at + 1]!;
      if (marker === 0xff) {
        at++;
        continue;
      }
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        at += 2;
        continue;
      }
      const len = view.getUint16(at + 2, false);
      const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isSof) {
        if (at + 10 > b.length) return undefined;
        return { type: 'jpeg', height: view.getUint16(at + 5, false), width: view.getUint16(at + 7, false), grey: b[at + 9] === 1 };
      }
      if (marker === 0xd9 || marker === 0xda) throw new ParseError(file, 1, at + 1, 'not a decodable JPEG: no frame header (SOF) before the scan');
      at += 2 + len;
    }
    return undefined;
  }
  if (b.length < 8) return undefined;
  throw new ParseError(file, 1, 1, 'not a PNG or JPEG image (unknown signature)');
}

/** Size and colour of a PNG/JPEG file, from its header (the whole file read only if needed). */
export async function probeImage(filePath: string, file: string = filePath): Promise<ImageInfo> {
  const handle = await open(filePath, 'r');
  let head: Uint8Array;
  let fileBytes: number;
  try {
    const buffer = new Uint8Array(65536);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = buffer.subarray(0, bytesRead);
    fileBytes = (await handle.stat()).size;
  } finally {
    await handle.close();
  }
  const info = probeBytes(head, file) ?? (head.length === 65536 ? probeBytes(await readFile(filePath), file) : undefined);
  if (info === undefined) throw new ParseError(file, 1, head.length + 1, `not a decodable image: the file ends after ${head.length} bytes, inside the header`);
  if (info.width === 0 || info.height === 0) throw new ParseError(file, 1, 1, `not a decodable image: size ${info.width}×${info.height}`);
  // The size is allocated (pixels × channels floats) before the pixels are decoded: a corrupt header
  // claiming 70000×70000 pixels in a 3 kB file would ask for gigabytes, then fail.
  if (info.width * info.height > MAX_PIXELS_PER_BYTE * Math.max(fileBytes, 1)) {
    throw new ParseError(
      file,
      1,
      1,
      `not a decodable image: its header says ${info.width}×${info.height} pixels, more than ${MAX_PIXELS_PER_BYTE} pixels per byte of its ${fileBytes}-byte file (a corrupt header)`,
    );
  }
  return info;
}

/**
 * More pixels per file byte than a PNG or JPEG can hold: deflate expands at most ~1032×, a 1-bit
 * PNG packs 8 pixels a byte (~8,300 pixels per file byte at most), and a flat JPEG spends a few
 * bits per 8×8 block. Twice the PNG bound.
 */
export const MAX_PIXELS_PER_BYTE = 16384;

/** RGBA pixels of a PNG/JPEG file. */
export async function decodeImage(filePath: string, file: string = filePath): Promise<{ width: number; height: number; rgba: Uint8Array }> {
  const bytes = await readFile(filePath);
  try {
    if (PNG_SIGNATURE.every((x, i) => bytes[i] === x)) {
      checkPngChunks(bytes, file);
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, rgba: png.data };
    }
    if (bytes[0] === 0xff && bytes[1] === 0xd8) {
      const img = decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 2048 });
      return { width: img.width, height: img.height, rgba: img.data };
    }
  } catch (e) {
    if (e instanceof ParseError) throw e;
    throw new ParseError(file, 1, 1, `image does not decode: ${e instanceof Error ? e.message : String(e)}`);
  }
  throw new ParseError(file, 1, 1, 'not a PNG or JPEG image (unknown signature)');
}

/**
 * Walks a PNG's chunks (4-byte length, 4-byte type, data, 4-byte CRC) up to IEND. A file cut short
 * is said as such, with where it ends; pngjs would say "There are some read requests waitng on
 * finished stream".
 */
function checkPngChunks(bytes: Uint8Array, file: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = PNG_SIGNATURE.length;
  while (at + 8 <= bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
    const end = at + 12 + length;
    if (end > bytes.length) {
      throw new ParseError(file, 1, at + 1, `truncated PNG: the file ends after ${bytes.length} bytes, inside its ${JSON.stringify(type)} chunk of ${length} bytes at byte ${at}`);
    }
    if (type === 'IEND') return;
    at = end;
  }
  throw new ParseError(file, 1, at + 1, `truncated PNG: the file ends after ${bytes.length} bytes, before its IEND chunk`);
}

/** RGBA → h×w×c floats (c = 1 or 3). `declaredGrey`: R = G = B, so grey is R. */
export function toChannels(rgba: Uint8Array, width: number, height: number, channels: 1 | 3, declaredGrey: boolean): Float32Array {
  const n = width * height;
  const out = new Float32Array(n * channels);
  for (let p = 0; p < n; p++) {
    const r = rgba[4 * p]!;
    const g = rgba[4 * p + 1]!;
    const b = rgba[4 * p + 2]!;
    if (channels === 1) out[p] = declaredGrey ? r : 0.299 * r + 0.587 * g + 0.114 * b;
    else {
      out[3 * p] = r;
      out[3 * p + 1] = g;
      out[3 * p + 2] = b;
    }
  }
  return out;
}

/** For each output index along one axis: source indices and weights (summing to 1). */
export interface AxisWeights {
  index: Int32Array[];
  weight: Float64Array[];
}

/** Resampling weights from `n` source pixels to `m` (area average when m < n, bilinear when m > n). */
export function axisWeights(n: number, m: number): AxisWeights {
  const index: Int32Array[] = [];
  const weight: Float64Array[] = [];
  for (let j = 0; j < m; j++) {
    if (m === n) {
      index.push(Int32Array.of(j));
      weight.push(Float64Array.of(1));
    } else if (m < n) {
      const scale = n / m;
      const a = j * scale;
      const b = (j + 1) * scale;
      const is: number[] = [];
      const ws: number[] = [];
      for (let i = Math.floor(a); i < Math.min(n, Math.ceil(b)); i++) {
        const overlap = Math.min(b, i + 1) - Math.max(a, i);
        if (overlap > 1e-12) {
          is.push(i);
          ws.push(overlap / scale);
        }
      }
      index.push(Int32Array.from(is));
      weight.push(Float64Array.from(ws));
    } else {
      const x = Math.min(n - 1, Math.max(0, ((j + 0.5) * n) / m - 0.5));
      const i0 = Math.floor(x);
      const i1 = Math.min(n - 1, i0 + 1);
      const t = x - i0;
      index.push(i1 === i0 ? Int32Array.of(i0) : Int32Array.of(i0, i1));
      weight.push(i1 === i0 ? Float64Array.of(1) : Float64Array.of(1 - t, t));
    }
  }
  return { index, weight };
}

/** Resamples an h×w×c image to H×W×c (see the module comment); writes into `out` when given. */
export function resizeImage(src: Float32Array, h: number, w: number, c: number, H: number, W: number, out = new Float32Array(H * W * c)): Float32Array {
  if (h === H && w === W) {
    out.set(src);
    return out;
  }
  // Along the width first (h × W × c), then along the height.
  const wx = axisWeights(w, W);
  const mid = new Float64Array(h * W * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < W; x++) {
      const is = wx.index[x]!;
      const ws = wx.weight[x]!;
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let k = 0; k < is.length; k++) s += ws[k]! * src[(y * w + is[k]!) * c + ch]!;
        mid[(y * W + x) * c + ch] = s;
      }
    }
  }
  const wy = axisWeights(h, H);
  for (let y = 0; y < H; y++) {
    const is = wy.index[y]!;
    const ws = wy.weight[y]!;
    for (let x = 0; x < W; x++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let k = 0; k < is.length; k++) s += ws[k]! * mid[(is[k]! * W + x) * c + ch]!;
        out[(y * W + x) * c + ch] = s;
      }
    }
  }
  return out;
}
