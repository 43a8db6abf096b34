/**
 * Histogram of Oriented Gradients with scikit-image's `skimage.feature.hog` semantics (checked
 * against skimage 0.19.3 by test/fixtures/hog/make-reference.py):
 *  - gradients are central differences without the 1/2 factor, and 0 on the first and last
 *    row (row gradient) and column (column gradient) — skimage's _hog_channel_gradient;
 *  - with several channels each pixel takes the gradient of the channel of largest magnitude
 *    (the first on ties, like argmax);
 *  - unsigned orientation `deg(atan2(g_row, g_col)) mod 180` (Python's mod), binned into
 *    `orientations` bins [i·180/n, (i+1)·180/n) without interpolation; an angle that rounds to
 *    180.0 falls in no bin, as in skimage;
 *  - a cell's histogram is the sum of its pixels' magnitudes divided by the cell area, summed in
 *    float32 (skimage's Cython accumulates in a C `float`; we reproduce it with a Float32Array so
 *    that the results agree to float32 rounding, not just approximately); pixels right of or
 *    below the last whole cell are ignored;
 *  - blocks of cells_per_block cells slide by one cell and are normalised with eps = 1e-5
 *    ('L1', 'L1-sqrt', 'L2', 'L2-Hys' with the 0.2 clip), in float64;
 *  - the descriptor is laid out (block row, block col, cell row, cell col, orientation).
 * Pixel values are used as given (0–255 as read); differences are taken in float64, which is
 * skimage's path for uint8 images (a float32 image would be differenced in float32 there).
 *
 * One pass over the pixels per image; every buffer is allocated once per extractor, so
 * `hogMatrix` over 60,000 images allocates nothing per image.
 */

export type BlockNorm = 'L1' | 'L1-sqrt' | 'L2' | 'L2-Hys';

export interface HogOptions {
  /** Orientation bins over [0°, 180°). */
  orientations: number;
  /** Cell size in pixels, [rows, cols]. */
  pixelsPerCell: [number, number];
  /** Block size in cells, [rows, cols]. */
  cellsPerBlock: [number, number];
  blockNorm: BlockNorm;
  /** Square root of every pixel before the gradients (skimage's transform_sqrt). */
  transformSqrt: boolean;
}

/**
 * Defaults for small grey images such as Fashion-MNIST (28×28), chosen by measurement (see
 * vectorFeatures.ts for the figures): 9 orientations (Dalal & Triggs), 4×4-pixel cells (7×7 cells
 * on 28×28; 7×7-pixel cells leave only a 4×4 grid, too coarse for 28-pixel garments), 2×2-cell
 * blocks with L2-Hys (the Dalal & Triggs block and norm, skimage's default norm). Descriptor:
 * 6×6 blocks × 2×2 cells × 9 bins = 1,296 values. The study names HOG for its images but not
 * its parameters.
 */
export const DEFAULT_HOG: Readonly<HogOptions> = Object.freeze({
  orientations: 9,
  pixelsPerCell: [4, 4] as [number, number],
  cellsPerBlock: [2, 2] as [number, number],
  blockNorm: 'L2-Hys' as BlockNorm,
  transformSqrt: false,
});

const EPS = 1e-5;
const RAD_TO_DEG = 180 / Math.PI; // numpy's rad2deg multiplies by this constant

export interface HogGeometry {
  cellsRow: number;
  cellsCol: number;
  blocksRow: number;
  blocksCol: number;
  /** Descriptor length. */
  length: number;
}

/** The cell and block grid of an h × w image, and the descriptor length; throws if no block fits. */
export function hogGeometry(h: number, w: number, options: Partial<HogOptions> = {}): HogGeometry {
  const o = resolveOptions(options);
  const cellsRow = Math.floor(h / o.pixelsPerCell[0]);
  const cellsCol = Math.floor(w / o.pixelsPerCell[1]);
  const blocksRow = cellsRow - o.cellsPerBlock[0] + 1;
  const blocksCol = cellsCol - o.cellsPerBlock[1] + 1;
  if (blocksRow < 1 || blocksCol < 1) {
    throw new RangeError(
      `HOG: a ${h}×${w} image has ${cellsRow}×${cellsCol} cells of ${o.pixelsPerCell.join('×')} pixels, fewer than one block of ${o.cellsPerBlock.join('×')} cells`,
    );
  }
  return { cellsRow, cellsCol, blocksRow, blocksCol, length: blocksRow * blocksCol * o.cellsPerBlock[0] * o.cellsPerBlock[1] * o.orientations };
}

export function resolveOptions(options: Partial<HogOptions>): HogOptions {
  const o: HogOptions = {
    orientations: options.orientations ?? DEFAULT_HOG.orientations,
    pixelsPerCell: options.pixelsPerCell ?? DEFAULT_HOG.pixelsPerCell,
    cellsPerBlock: options.cellsPerBlock ?? DEFAULT_HOG.cellsPerBlock,
    blockNorm: options.blockNorm ?? DEFAULT_HOG.blockNorm,
    transformSqrt: options.transformSqrt ?? DEFAULT_HOG.transformSqrt,
  };
  const positive = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;
  if (!positive(o.orientations)) throw new RangeError(`HOG orientations: expected a positive integer, got ${String(o.orientations)}`);
  for (const key of ['pixelsPerCell', 'cellsPerBlock'] as const) {
    const v = o[key];
    if (!Array.isArray(v) || v.length !== 2 || !v.every(positive)) throw new RangeError(`HOG ${key}: expected two positive integers, got ${JSON.stringify(v)}`);
  }
  if (!['L1', 'L1-sqrt', 'L2', 'L2-Hys'].includes(o.blockNorm)) throw new RangeError(`HOG blockNorm: expected 'L1', 'L1-sqrt', 'L2' or 'L2-Hys', got ${JSON.stringify(o.blockNorm)}`);
  return o;
}

/** A HOG extractor for images of one shape: reusable buffers, no allocation per image. */
export class HogExtractor {
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly options: HogOptions;
  readonly geometry: HogGeometry;
  /** Descriptor length. */
  readonly length: number;
  private readonly edges: Float64Array;
  /** Cell histograms, float32 like skimage's accumulator. */
  private readonly cells: Float32Array;
  /** One block's values (float64, for the normalisation). */
  private readonly block: Float64Array;
  /** Column → cell column, over the columns that whole cells cover. */
  private readonly cellOfCol: Int32Array;
  /** sqrt of the pixels when transformSqrt. */
  private readonly sqrtPixels: Float64Array | undefined;

  constructor(h: number, w: number, c: number, options: Partial<HogOptions> = {}) {
    for (const [name, v] of [['height', h], ['width', w], ['channels', c]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`HOG: image ${name} must be a positive integer, got ${v}`);
    }
    this.h = h;
    this.w = w;
    this.c = c;
    this.options = resolveOptions(options);
    this.geometry = hogGeometry(h, w, this.options);
    this.length = this.geometry.length;
    const n = this.options.orientations;
    const per = 180 / n;
    // Bin i is [per·i, per·(i+1)), the bounds computed as skimage's Cython does.
    this.edges = Float64Array.from({ length: n + 1 }, (_, i) => per * i);
    this.cells = new Float32Array(this.geometry.cellsRow * this.geometry.cellsCol * n);
    this.block = new Float64Array(this.options.cellsPerBlock[0] * this.options.cellsPerBlock[1] * n);
    const cellCols = this.options.pixelsPerCell[1];
    this.cellOfCol = Int32Array.from({ length: this.geometry.cellsCol * cellCols }, (_, col) => Math.floor(col / cellCols));
    this.sqrtPixels = this.options.transformSqrt ? new Float64Array(h * w * c) : undefined;
  }

  /**
   * The descriptor of one image (`h × w × c` values, channels last) written to `out` at `offset`
   * (a new array when `out` is not given).
   */
  extract(pixels: ArrayLike<number>, out?: Float32Array, offset = 0): Float32Array {
    const { h, w, c, length } = this;
    if (pixels.length !== h * w * c) throw new RangeError(`HOG: expected ${h}×${w}×${c} = ${h * w * c} values, got ${pixels.length}`);
    const target = out ?? new Float32Array(length);
    if (offset < 0 || offset + length > target.length) throw new RangeError(`HOG: output of ${target.length} values has no room for ${length} at ${offset}`);
    let src: ArrayLike<number> = pixels;
    if (this.sqrtPixels) {
      const s = this.sqrtPixels;
      for (let k = 0; k < s.length; k++) s[k] = Math.sqrt(pixels[k] as number);
      src = s;
    }
    this.histograms(src);
    this.normalise(target, offset);
    return target;
  }

  private histograms(px: ArrayLike<number>): void {
    const { h, w, c, cells, edges, cellOfCol } = this;
    const n = this.options.orientations;
    const cellRows = this.options.pixelsPerCell[0];
    const { cellsRow, cellsCol } = this.geometry;
    const perInv = n / 180;
    cells.fill(0);
    const rows = cellsRow * cellRows;
    const cols = cellOfCol.length;
    const rowStride = w * c;
    // Row-major over the covered pixels: within each cell the magnitudes of one bin arrive in
    // skimage's order (rows, then columns), so the float32 sums round the same way.
    for (let r = 0; r < rows; r++) {
      const interiorRow = r > 0 && r < h - 1;
      const cellRowBase = Math.floor(r / cellRows) * cellsCol;
      for (let col = 0; col < cols; col++) {
        const interiorCol = col > 0 && col < w - 1;
        const p = r * rowStride + col * c;
        let gr = 0;
        let gc = 0;
        let mag2 = -1;
        for (let ch = 0; ch < c; ch++) {
          const q = p + ch;
          const dr = interiorRow ? (px[q + rowStride] as number) - (px[q - rowStride] as number) : 0;
          const dc = interiorCol ? (px[q + c] as number) - (px[q - c] as number) : 0;
          const m2 = dr * dr + dc * dc;
          if (m2 > mag2) {
            mag2 = m2;
            gr = dr;
            gc = dc;
          }
        }
        if (mag2 === 0) continue; // adds 0 to some bin: no effect on the sums
        // Python's `deg % 180` for deg in [-180, 180]: the result takes the divisor's sign. A tiny
        // negative angle becomes 180.0 after the addition and then falls in no bin, as in skimage.
        let deg = Math.atan2(gr, gc) * RAD_TO_DEG;
        if (deg < 0) deg += 180;
        else if (deg >= 180) deg -= 180;
        let bin = Math.min(n, Math.floor(deg * perInv));
        // The product may round across a bound: settle the bin on skimage's own bounds.
        if (deg < (edges[bin] as number)) bin--;
        else if (bin < n && deg >= (edges[bin + 1] as number)) bin++;
        if (bin >= n) continue;
        cells[(cellRowBase + (cellOfCol[col] as number)) * n + bin] += Math.sqrt(mag2);
      }
    }
    const area = cellRows * this.options.pixelsPerCell[1];
    for (let k = 0; k < cells.length; k++) cells[k] = (cells[k] as number) / area; // float32 ÷ area, rounded to float32
  }

  private normalise(out: Float32Array, offset: number): void {
    const { cells, block } = this;
    const n = this.options.orientations;
    const [bRows, bCols] = this.options.cellsPerBlock;
    const { cellsCol, blocksRow, blocksCol } = this.geometry;
    const norm = this.options.blockNorm;
    const rowLen = bCols * n;
    let o = offset;
    for (let br = 0; br < blocksRow; br++) {
      for (let bc = 0; bc < blocksCol; bc++) {
        let k = 0;
        for (let i = 0; i < bRows; i++) {
          const start = ((br + i) * cellsCol + bc) * n;
          for (let j = 0; j < rowLen; j++) block[k++] = cells[start + j] as number;
        }
        normaliseBlock(block, norm, out, o);
        o += block.length;
      }
    }
  }
}

/** skimage's _hog_normalize_block, written to out[at..]. Histogram values are ≥ 0, so |v| = v. */
function normaliseBlock(b: Float64Array, method: BlockNorm, out: Float32Array, at: number): void {
  const len = b.length;
  if (method === 'L1' || method === 'L1-sqrt') {
    let s = 0;
    for (let j = 0; j < len; j++) s += b[j] as number;
    const d = s + EPS;
    if (method === 'L1') for (let j = 0; j < len; j++) out[at + j] = (b[j] as number) / d;
    else for (let j = 0; j < len; j++) out[at + j] = Math.sqrt((b[j] as number) / d);
    return;
  }
  let s = 0;
  for (let j = 0; j < len; j++) {
    const v = b[j] as number;
    s += v * v;
  }
  const d = Math.sqrt(s + EPS * EPS);
  if (method === 'L2') {
    for (let j = 0; j < len; j++) out[at + j] = (b[j] as number) / d;
    return;
  }
  s = 0;
  for (let j = 0; j < len; j++) {
    const v = Math.min((b[j] as number) / d, 0.2);
    b[j] = v;
    s += v * v;
  }
  const d2 = Math.sqrt(s + EPS * EPS);
  for (let j = 0; j < len; j++) out[at + j] = (b[j] as number) / d2;
}
/** The HOG descriptor of one `h × w × c` image (channels last; c = 1 grey, 3 RGB). */
export function hog(pixels: ArrayLike<number>, h: number, w: number, c: number, options: Partial<HogOptions> = {}): Float32Array {
  return new HogExtractor(h, w, c, options).extract(pixels);
}

export interface HogMatrixControl {
  /** Called after every `progressEvery` images and at the end with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Called between images; throw from it to stop (e.g. a worker's `throwIfCancelled`). */
  checkCancelled?: () => void;
  /** Images between progress reports and cancellation checks; default 256. */
  progressEvery?: number;
}

export interface ImageMatrix {
  /** `n × h·w·c` values, row-major, channels last. */
  data: Float32Array;
  /** [h, w] or [h, w, c]. */
  shape: readonly number[];
}

/** HOG descriptors of every image of an image matrix (or a VectorDataset of kind 'image'): `n × length`. */
export function hogMatrix(images: ImageMatrix, options: Partial<HogOptions> = {}, control: HogMatrixControl = {}): { data: Float32Array; dim: number } {
  const { n, dim } = hogShape(images, options);
  const out = new Float32Array(n * dim);
  hogRowRange(images, 0, n, out, options, control);
  return { data: out, dim };
}

/** The extractor for these images' shape, their count and the pixels per image (checks the shape). */
function extractorFor(images: ImageMatrix, options: Partial<HogOptions>): { ex: HogExtractor; n: number; per: number } {
  const { shape } = images;
  if (shape.length !== 2 && shape.length !== 3) throw new RangeError(`HOG: images must have shape [h, w] or [h, w, c], got [${shape.join(', ')}]`);
  const [h, w, c = 1] = shape as [number, number, number?];
  const per = h * w * c;
  if (images.data.length % per !== 0) throw new RangeError(`HOG: ${images.data.length} values are not whole ${h}×${w}×${c} images`);
  return { ex: new HogExtractor(h, w, c, options), n: images.data.length / per, per };
}

/** How many images `images` holds and the descriptor length for their shape (checks the shape). */
export function hogShape(images: ImageMatrix, options: Partial<HogOptions> = {}): { n: number; dim: number } {
  const { ex, n } = extractorFor(images, options);
  return { n, dim: ex.length };
}

/**
 * The descriptors of images [from, to) into rows [from, to) of `out` (n × dim): each image's
 * descriptor depends on that image alone, so ranges computed apart (by several workers) give
 * hogMatrix's values bit for bit. Progress counts images of the range.
 */
export function hogRowRange(images: ImageMatrix, from: number, to: number, out: Float32Array, options: Partial<HogOptions> = {}, control: HogMatrixControl = {}): void {
  const { ex, n, per } = extractorFor(images, options);
  const dim = ex.length;
  if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to && to <= n)) throw new RangeError(`HOG: images [${from}, ${to}) are not within [0, ${n})`);
  if (out.length < n * dim) throw new RangeError(`HOG: ${out.length} values cannot hold ${n} descriptors of ${dim}`);
  const every = Math.max(1, Math.floor(control.progressEvery ?? 256));
  for (let i = from; i < to; i++) {
    if ((i - from) % every === 0) {
      control.checkCancelled?.();
      if (i > from) control.onProgress?.(i - from, to - from);
    }
    ex.extract(images.data.subarray(i * per, (i + 1) * per), out, i * dim);
  }
  control.onProgress?.(to - from, to - from);
}
