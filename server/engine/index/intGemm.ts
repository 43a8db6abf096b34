/**
 * Exact integer matrix products for the kNN tiles (./knnGemm.ts), when every value of the
 * operands is a small integer: pixels (0–255), counts, one-hot codes. The kernel (./intDot.wat)
 * multiplies int16 rows with wasm SIMD's i32x4.dot_i16x8_s — 8 multiply-adds an instruction —
 * and sums in int32: every product is exact (`exact`). On 784-dimensional pixels it runs about
 * 1.4× tfjs's float32 XNNPACK GEMM on one core (26 against 18 G multiply-adds a second here).
 * Exact products of integers also make exact euclidean keys (‖a‖² + ‖b‖² − 2a·b, all integers
 * below 2⁵³), so knnGemm.ts needs no exact loop to confirm a pair: the answers are knnExact's.
 *
 * "Small": |x| ≤ min(32767, ⌊√((2³¹ − 1) / dim)⌋), so that no sum of dim products leaves int32
 * (784 dimensions: 1,655). One instance a thread, its memory holding the two operands of the
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

/** True when the first `rows` rows of m (· × dim) are all integers within intLimit(dim). */
export function smallIntegers(m: Float32Array, rows: number, dim: number): boolean {
  const limit = intLimit(dim);
  const end = rows * dim;
  for (let i = 0; i < end; i++) {
    const x = m[i];
    // NaN fails the first test, ±∞ the second.
    if (x !== Math.trunc(x) || x > limit || x < -limit) return false;
  }
  return true;
}

/** An operand is its rows of the float32 matrix, converted into the kernel's memory when multiplied. */
interface IntOperand extends GemmOperand {
  readonly source: Float32Array;
  readonly r0: number;
  /** Columns per row in the kernel's memory (dim zero-padded). */
  readonly kp: number;
}

/** Writes the operand's rows into `at` (bytes) of the kernel's memory as int16, zero-padded to kp columns. */
function writeRows(heap: ArrayBuffer, at: number, x: IntOperand): void {
  const { source, r0, rows, dim, kp } = x;
  const out = new Int16Array(heap, at, rows * kp);
  // A plain loop converts (ToInt16, exact on small integers) faster than Int16Array.set here.
  if (kp === dim) {
    const src = source.subarray(r0 * dim, (r0 + rows) * dim);
    for (let i = 0; i < src.length; i++) out[i] = src[i];
    return;
  }
  for (let r = 0; r < rows; r++) {
    const s = (r0 + r) * dim;
    const o = r * kp;
    for (let c = 0; c < dim; c++) out[o + c] = source[s + c];
    out.fill(0, o + dim, o + kp);
  }
}

interface Kernel {
  readonly memory: WebAssembly.Memory;
  readonly dot: (a: number, na: number, b: number, nb: number, kp: number, out: number) => void;
}

let kernel: Kernel | null | undefined;
let shared: Gemm | null | undefined;

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
 * The integer Gemm of this thread (one: it owns the kernel's memory), or null where the kernel
 * cannot run. Its operands must be small integers (smallIntegers): other values are truncated
 * and wrapped, not refused.
 */
export function intGemm(): Gemm | null {
  if (shared === undefined) {
    const k = loadKernel();
    shared = k ? makeIntGemm(k) : null;
  }
  return shared;
}

function makeIntGemm(k: Kernel): Gemm {
  // What the memory holds: the operands last copied in (by identity) and the layout's offsets.
  let residentA: IntOperand | undefined;
  let residentB: IntOperand | undefined;
  let layout = { aBytes: 0, bBytes: 0, outBytes: 0 };
  // Nothing is converted or allocated here: the symmetric kNN asks for a new left operand every
  // tile, and an Int16Array each time cost more than its product's conversion (garbage, page faults).
  const operand = (m: Float32Array, r0: number, r1: number, dim: number): IntOperand => ({ rows: r1 - r0, dim, source: m, r0, kp: Math.max(LANES, Math.ceil(dim / LANES) * LANES) });
  return {
    backend: 'wasm-int16',
    unitRoundoff: 0,
    exact: true,
    left: operand,
    right: operand,
    multiply: (a, b) => {
      const x = a as IntOperand;
      const y = b as IntOperand;
      if (x.kp !== y.kp) throw new RangeError(`operands of ${x.dim} and ${y.dim} columns`);
      const need = { aBytes: x.rows * x.kp * 2, bBytes: y.rows * y.kp * 2, outBytes: x.rows * y.rows * 4 };
      if (need.aBytes > layout.aBytes || need.bBytes > layout.bBytes || need.outBytes > layout.outBytes) {
        // Room for this product and the next ones of its size; 16-byte aligned regions.
        const align = (v: number) => Math.ceil(v / 16) * 16;
        layout = { aBytes: align(Math.max(need.aBytes, layout.aBytes)), bBytes: align(Math.max(need.bBytes, layout.bBytes)), outBytes: align(Math.max(need.outBytes, layout.outBytes)) };
        const total = layout.aBytes + layout.bBytes + layout.outBytes;
        const pages = Math.ceil(total / 65536) - k.memory.buffer.byteLength / 65536;
        if (pages > 0) k.memory.grow(pages);
        residentA = residentB = undefined;
      }
      const heap = k.memory.buffer;
      const aAt = 0;
      const bAt = layout.aBytes;
      const outAt = layout.aBytes + layout.bBytes;
      if (residentA !== x) {
        writeRows(heap, aAt, x);
        residentA = x;
      }
      if (residentB !== y) {
        writeRows(heap, bAt, y);
        residentB = y;
      }
      k.dot(aAt, x.rows, bAt, y.rows, x.kp, outAt);
      return new Int32Array(heap, outAt, x.rows * y.rows);
    },
    dispose: (...operands) => {
      // Operands hold no memory of their own; a disposed one is forgotten, so that its source rows,
      // which the caller may change, are converted again if it is ever multiplied.
      for (const o of operands) {
        if (o === residentA) residentA = undefined;
        if (o === residentB) residentB = undefined;
      }
    },
  };
}
