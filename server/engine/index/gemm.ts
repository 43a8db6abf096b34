/**
 * Matrix products A·Bᵀ for the exact-kNN tiles (./knnGemm.ts), run by TensorFlow.js on its wasm
 * backend (XNNPACK's float32 GEMM, SIMD), about 6–8× the plain-JavaScript tile of ./knnExact.ts
 * on one core; or on native TensorFlow when tfjs-node is already the active backend.
 *
 * The arithmetic is float32: each product differs from the exact dot product by at most
 * γ(dim)·Σ|aᵢbᵢ| with γ(m) = m·u/(1 − m·u), u = 2⁻²⁴ — true for any order of summation (blocked,
 * SIMD lanes, fused multiply-adds), plus underflow: at most 2⁻¹²⁶ per term even when subnormals
 * are flushed. Overflow gives ±Infinity or NaN, which callers treat as "undecided". Callers turn
 * this bound into a slack on the distances and decide near pairs with exact loops (knnGemm.ts).
 *
 * `loadGemm` initialises the backend once per thread (each pool worker has its own); it returns
 * null when only the plain-JavaScript tfjs backend is available (no faster than our own tiles).
 */
import type * as Tfjs from '@tensorflow/tfjs';

// TensorFlow.js is imported on first use, not with this module: every pool worker loads the
// kNN tasks, and evaluating tfjs (and the model code behind initBackend) cost each worker ~25 MB
// of memory whether or not it ever multiplied a matrix (measured with BioMarKs50k clustering).
let tf: typeof Tfjs | undefined;

/** The tfjs module loaded by {@link loadGemm} on this thread (for code that runs after it, e.g. projectedKnn). */
export function loadedTfjs(): typeof Tfjs {
  if (!tf) throw new Error('TensorFlow.js is not loaded on this thread: call loadGemm() first');
  return tf;
}

/** An operand prepared once and reused across products (rows × dim); each Gemm keeps its own form of it. */
export interface GemmOperand {
  readonly rows: number;
  readonly dim: number;
}

/** tfjs's operand: the tensor (left: rows × dim; right: dim × rows, transposed). */
interface TensorOperand extends GemmOperand {
  readonly tensor: Tfjs.Tensor2D;
}

export interface Gemm {
  /** Backend that runs the products ('wasm' or 'tensorflow'). */
  readonly backend: string;
  /** Unit roundoff of the products' arithmetic (float32: 2⁻²⁴). */
  readonly unitRoundoff: number;
  /**
   * True when every product is the exact dot product (./intGemm.ts: integer operands, int32 sums).
   * Its error bound is then 0, and with integer operands the keys built from it are exact too.
   */
  readonly exact?: boolean;
  /** True when a product's error is at most unitRoundoff · Σ|aᵢbᵢ| whatever dim (no error per term). */
  readonly roundsOnce?: boolean;
  /**
   * The tile holds the products times valueScale² (./intGemm.ts on integers / valueScale: the
   * tile is Σ kᵢlᵢ); callers multiply by 1 / valueScale². 1 (or absent) elsewhere.
   */
  readonly valueScale?: number;
  /** Rows [r0, r1) of a row-major (· × dim) matrix, as the left operand. */
  left(m: Float32Array, r0: number, r1: number, dim: number): GemmOperand;
  /** Rows [r0, r1) of a row-major (· × dim) matrix, transposed once, as the right operand. */
  right(m: Float32Array, r0: number, r1: number, dim: number): GemmOperand;
  /**
   * a·bᵀ as a row-major (a.rows × b.rows) array (float32; int32 times valueScale² for ./intGemm.ts), valid until
   * the next call of any method of this Gemm: on wasm it is a view of the backend's memory (the
   * next product frees it, and an allocation may move that memory), elsewhere a copy. Read it,
   * then go on.
   */
  multiply(a: GemmOperand, b: GemmOperand): Float32Array | Int32Array;
  /** Frees operands (and the last product). */
  dispose(...operands: GemmOperand[]): void;
}

/** γ(dim) for the products of a Gemm: |fl(a·b) − a·b| ≤ gamma·Σ|aᵢbᵢ| + dim·2⁻¹²⁶ (0 for an exact Gemm, u·Σ|aᵢbᵢ| for one that rounds once). */
export function productErrorBound(gemm: Pick<Gemm, 'unitRoundoff' | 'exact' | 'roundsOnce'>, dim: number): { gamma: number; underflow: number } {
  if (gemm.exact) return { gamma: 0, underflow: 0 };
  if (gemm.roundsOnce) return { gamma: gemm.unitRoundoff, underflow: 0 };
  const mu = dim * gemm.unitRoundoff;
  return { gamma: mu < 0.5 ? mu / (1 - mu) : Infinity, underflow: dim * 2 ** -126 };
}

/** Copies rows [r0, r1) (tfjs copies typed arrays that live in a SharedArrayBuffer anyway). */
function rowsOf(m: Float32Array, r0: number, r1: number, dim: number): Float32Array {
  return m.subarray(r0 * dim, r1 * dim);
}

/** The wasm backend's internals that a product's values are read from in place (tfjs-backend-wasm 4.x). */
interface WasmBackendInternals {
  wasm?: { HEAPU8?: Uint8Array };
  dataIdMap?: { get(dataId: object): { memoryOffset?: number } | undefined };
}

/**
 * A reader of a float32 tensor's values in place, from the wasm heap, or null where the backend
 * does not look as expected (then products are copied out). dataSync copied every tile out of
 * the heap into a new array: 1 MB a tile, 6–15 % of a worker's kNN of 10,000 × 784 rows, most
 * of it page faults and garbage. The heap is looked up at each read: growing it replaces it.
 */
function heapReader(tf: typeof Tfjs): ((t: Tfjs.Tensor) => Float32Array | null) | null {
  const internals = tf.backend() as unknown as WasmBackendInternals;
  const map = internals.dataIdMap;
  if (!internals.wasm?.HEAPU8 || !map || typeof map.get !== 'function') return null;
  return (t) => {
    const heap = internals.wasm?.HEAPU8;
    const offset = map.get(t.dataId)?.memoryOffset;
    if (!heap || t.dtype !== 'float32' || typeof offset !== 'number' || offset % 4 !== 0 || offset + 4 * t.size > heap.byteLength) return null;
    return new Float32Array(heap.buffer, heap.byteOffset + offset, t.size);
  };
}

function makeGemm(tf: typeof Tfjs, backend: string): Gemm {
  const inPlace = backend === 'wasm' ? heapReader(tf) : null;
  /** The product whose values the caller is reading in place (freed by the next call). */
  let last: Tfjs.Tensor | undefined;
  const release = (): void => {
    last?.dispose();
    last = undefined;
  };
  return {
    backend,
    unitRoundoff: 2 ** -24,
    left: (m, r0, r1, dim): TensorOperand => ({ rows: r1 - r0, dim, tensor: tf.tensor2d(rowsOf(m, r0, r1, dim), [r1 - r0, dim], 'float32') }),
    // Transposed here, once: the wasm backend multiplies an untransposed right operand several
    // times faster than a transposed one.
    right: (m, r0, r1, dim): TensorOperand => ({ rows: r1 - r0, dim, tensor: tf.tidy(() => tf.tensor2d(rowsOf(m, r0, r1, dim), [r1 - r0, dim], 'float32').transpose()) }),
    multiply: (a, b) => {
      release();
      const out = tf.tidy(() => tf.matMul((a as TensorOperand).tensor, (b as TensorOperand).tensor));
      const view = inPlace?.(out);
      if (view) {
        last = out;
        return view;
      }
      try {
        return out.dataSync() as Float32Array;
      } finally {
        out.dispose();
      }
    },
    dispose: (...operands) => {
      release();
      for (const o of operands) (o as TensorOperand).tensor.dispose();
    },
  };
}

let wasmUnavailable = false;

/**
 * The GEMM of this thread: native TensorFlow or wasm when one of them is the active backend
 * (another task of this worker may have chosen it), else the wasm backend, initialised here; null
 * when neither is available (the failure is remembered). `log` hears the backend choice.
 */
export async function loadGemm(log: (msg: string) => void = () => undefined): Promise<Gemm | null> {
  const tfjs = (tf ??= await import('@tensorflow/tfjs'));
  const active = tfjs.engine().backendName;
  if (active === 'tensorflow' || active === 'wasm') return makeGemm(tfjs, active);
  if (wasmUnavailable) return null;
  try {
    const { initBackend } = await import('../models/backend.js');
    const choice = await initBackend('wasm', log);
    if (choice.backend === 'wasm') return makeGemm(tfjs, 'wasm');
  } catch (e) {
    log(`kNN GEMM: no wasm backend (${e instanceof Error ? e.message : String(e)}); the JavaScript tiles are used`);
  }
  wasmUnavailable = true;
  return null;
}
