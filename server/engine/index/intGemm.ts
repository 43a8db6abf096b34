/**
 * Integer matrix products for the kNN tiles (./knnGemm.ts), when every value of the operands is
 * a small integer (pixels as read, counts, one-hot codes) or one divided by 255 (the 'raw'
 * features of images and uint8 volumes). The kernel (./intDot.wat) multiplies int16 rows with
 * wasm SIMD's i32x4.dot_i16x8_s — 8 multiply-adds an instruction — and sums in int32, exactly.
 * On 784-dimensional pixels it runs about 1.4× tfjs's float32 XNNPACK GEMM on one core (26
 * against 18 G multiply-adds a second here).
 *  - Integers: every product is exact (`exact`), and so are the euclidean keys built from them
 *    (‖a‖² + ‖b‖² − 2a·b, integers below 2⁵³): knnGemm.ts confirms no pair with an exact loop.
 *  - Integers / 255: the product of the integers, divided by 255², is within 3u·Σ|aᵢbᵢ| of the
 *    float32 values' (see intGemm), a slack dim times smaller than float32 sums' for the exact loop.
 *
 * "Small": |k| ≤ min(32767, ⌊√((2³¹ − 1) / dim)⌋), so that no sum of dim products leaves int32
 * (784 dimensions: 1,655). One kernel a thread, its memory holding the two operands of the
 * product being computed and the product. An operand is converted into that memory when it is
 * not already there: the right operand of a data block stays for all its tiles.
 */
import type { Gemm, GemmOperand } from './gemm';
import { INT_DOT_WASM } from './intDotModule';

/** Columns per row in the kernel's layout: dim rounded up to the 16 it takes a turn (zeros). */
const LANES = 16;

/** The largest |x| for which dim products of int16 values sum exactly in int32. */
export function intLimit(dim: number): number {
  return Math.min(32767, Math.floor(Math.sqrt((2 ** 31 - 1) / Math.max(1, dim))));
}

/**
 * The scales at which values are tried as integers: 1, and 255 — the 'raw' features of images
 * and uint8 volumes are pixel / 255 (features/vectorFeatures.ts), each the float32 nearest k / 255.
 */
const INTEGER_SCALES: readonly number[] = [1, 255];

/**
 * The first s of `scales` for which every value x of the first `rows` rows of m (· × dim) is the
 * float32 of k / s for an integer |k| ≤ intLimit(dim) (s = 1: x is that integer), or 0 when none.
 * The scan of a scale stops at the first value that fails it: on float features, at once.
 */
export function integerScale(m: Float32Array, rows: number, dim: number, scales: readonly number[] = INTEGER_SCALES): number {
  const limit = intLimit(dim);
  const end = rows * dim;
  for (const scale of scales) {
    let ok = true;
    if (scale === 1) {
      for (let i = 0; i < end && ok; i++) {
        const x = m[i];
        // NaN fails the first test, ±∞ the second.
        ok = x === Math.trunc(x) && x <= limit && x >= -limit;
      }
    } else {
      for (let i = 0; i < end && ok; i++) {
        const x = m[i];
        const k = Math.round(x * scale);
        ok = k <= limit && k >= -limit && Math.fround(k / scale) === x;
      }
    }
    if (ok) return scale;
  }
  return 0;
}

/**
 * An operand is its rows of the float32 matrix, converted into the kernel's memory when it is
 * multiplied (not when it is made, as tfjs's are): the rows must not change while it lives.
 */
interface IntOperand extends GemmOperand {
  readonly source: Float32Array;
  readonly r0: number;
  /** Columns per row in the kernel's memory (dim zero-padded). */
  readonly kp: number;
  /** The values are integers / scale: k = round(x · scale) goes into the memory. */
  readonly scale: number;
}

/** Writes the operand's rows into `at` (bytes) of the kernel's memory as int16 (x · scale), zero-padded to kp columns. */
function writeRows(heap: ArrayBuffer, at: number, x: IntOperand): void {
  const { source, r0, rows, dim, kp, scale } = x;
  const out = new Int16Array(heap, at, rows * kp);
  // Plain loops convert (ToInt16, exact on small integers) faster than Int16Array.set here.
  for (let r = 0; r < rows; r++) {
    const s = (r0 + r) * dim;
    const o = r * kp;
    if (scale === 1) for (let c = 0; c < dim; c++) out[o + c] = source[s + c];
    else for (let c = 0; c < dim; c++) out[o + c] = Math.round(source[s + c] * scale);
    if (kp > dim) out.fill(0, o + dim, o + kp);
  }
}

interface Kernel {
  readonly memory: WebAssembly.Memory;
  readonly dot: (a: number, na: number, b: number, nb: number, kp: number, out: number) => void;
}

let kernel: Kernel | null | undefined;
/** The Gemm of each scale (they share the kernel and what its memory holds). */
const gemms = new Map<number, Gemm>();
/** What the kernel's memory holds: the operands last copied in (by identity) and the regions' sizes. */
const memory: { a?: IntOperand; b?: IntOperand; aBytes: number; bBytes: number; outBytes: number } = { aBytes: 0, bBytes: 0, outBytes: 0 };

/** The kernel of this thread, or null where WebAssembly SIMD is not available (remembered). */
function loadKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const bytes = Buffer.from(INT_DOT_WASM, 'base64');
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const { memory, dot } = instance.exports as unknown as Kernel;
    kernel = { memory, dot };
  } catch {
    kernel = null;
  }
  return kernel;
}

/**
 * The integer Gemm of this thread for values that are integers / `scale` (integerScale), or null
 * where the kernel cannot run. Other values are rounded, truncated and wrapped, not refused.
 *  - scale 1: every product is exact (`exact`), as int32 in the tile;
 *  - scale s > 1: the tile holds K = Σ kᵢlᵢ, so the product is K / s² (`valueScale`); each value x
 *    is k / s rounded to float32 (relative error ≤ u = 2⁻²⁴), so |x·y − K/s²| ≤ (2u + u²)/(1 − u)²
 *    · Σ|xᵢyᵢ| ≤ 3u·Σ|xᵢyᵢ| (`unitRoundoff` 3u, counted once): a bound dim times tighter than
 *    float32 sums', which knnGemm.ts turns into a slack as for any Gemm.
 */
export function intGemm(scale = 1): Gemm | null {
  const known = gemms.get(scale);
  if (known) return known;
  if (!(Number.isInteger(scale) && scale >= 1)) throw new RangeError(`scale must be a positive integer, got ${scale}`);
  const k = loadKernel();
  if (!k) return null;
  const gemm = makeIntGemm(k, scale);
  gemms.set(scale, gemm);
  return gemm;
}

function makeIntGemm(k: Kernel, scale: number): Gemm {
  // Nothing is converted or allocated here: the symmetric kNN asks for a new left operand every
  // tile, and an Int16Array each time cost more than its product's conversion (garbage, page faults).
  const operand = (m: Float32Array, r0: number, r1: number, dim: number): IntOperand => ({ rows: r1 - r0, dim, source: m, r0, kp: Math.max(LANES, Math.ceil(dim / LANES) * LANES), scale });
  return {
    backend: 'wasm-int16',
    unitRoundoff: scale === 1 ? 0 : 3 * 2 ** -24,
    roundsOnce: true,
    exact: scale === 1,
    valueScale: scale,
    left: operand,
    right: operand,
    multiply: (a, b) => {
      const x = a as IntOperand;
      const y = b as IntOperand;
      if (x.kp !== y.kp || x.scale !== scale || y.scale !== scale) throw new RangeError(`operands of ${x.dim} and ${y.dim} columns at scales ${x.scale} and ${y.scale}, for a product at scale ${scale}`);
      const need = { aBytes: x.rows * x.kp * 2, bBytes: y.rows * y.kp * 2, outBytes: x.rows * y.rows * 4 };
      if (need.aBytes > memory.aBytes || need.bBytes > memory.bBytes || need.outBytes > memory.outBytes) {
        // Room for this product and the next ones of its size; 16-byte aligned regions.
        const align = (v: number) => Math.ceil(v / 16) * 16;
        memory.aBytes = align(Math.max(need.aBytes, memory.aBytes));
        memory.bBytes = align(Math.max(need.bBytes, memory.bBytes));
        memory.outBytes = align(Math.max(need.outBytes, memory.outBytes));
        const pages = Math.ceil((memory.aBytes + memory.bBytes + memory.outBytes) / 65536) - k.memory.buffer.byteLength / 65536;
        if (pages > 0) k.memory.grow(pages);
        memory.a = memory.b = undefined;
      }
      const heap = k.memory.buffer;
      const aAt = 0;
      const bAt = memory.aBytes;
      const outAt = memory.aBytes + memory.bBytes;
      if (memory.a !== x) {
        writeRows(heap, aAt, x);
        memory.a = x;
      }
      if (memory.b !== y) {
        writeRows(heap, bAt, y);
        memory.b = y;
      }
      k.dot(aAt, x.rows, bAt, y.rows, x.kp, outAt);
      return new Int32Array(heap, outAt, x.rows * y.rows);
    },
    dispose: (...operands) => {
      // Operands hold no memory of their own; a disposed one is forgotten, so that its source rows,
      // which the caller may change, are converted again if it is ever multiplied.
      for (const o of operands) {
        if (o === memory.a) memory.a = undefined;
        if (o === memory.b) memory.b = undefined;
      }
    },
  };
}
