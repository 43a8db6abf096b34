/**
 * The product behind a few-channel conv2d filter gradient, dW [taps, F] = Pᵀ [taps, R] · dy [R, F]
 * (Pᵀ from im2rowsT, R = batch·outH·outW rows, taps = kh·kw·inC ≤ 36), in WebAssembly SIMD on
 * the tfjs wasm heap. XNNPACK needs one operand packed on every call and the wasm backend's
 * transposed products and Transpose are slow: for the reference net's first layer (R = 43,264,
 * F = 32) the GEMM form cost ~10 ms a step in transposes and packing around ~3 ms of arithmetic.
 * Here each tap's value is splat and multiplied into 4 filters a lane, with no copy of either
 * operand: rows in blocks (so a block of dy stays in cache across the taps), 32 filters (8
 * f32x4 accumulators) or 4 at a time.
 *
 * Module: imports the memory `e.m`; exports `acc8` and `acc1`, each (p, dy, rows, dyRowBytes,
 * out): out[0 .. 32) (or [0 .. 4)) += Σ over `rows` rows of p[r] · dy[r, 0 .. 32) — p the float32
 * run of one tap at byte address p, dy rows `dyRowBytes` apart from byte address dy, out float32.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { perBackendKernel } from './heapKernel';
import {
  BR_IF_0,
  END,
  functionBody,
  I32_ADD,
  I32_NE,
  I32_SUB,
  i32Const,
  heapModuleBytes,
  lazyModule,
  localGet as get,
  localSet as set,
  localTee as tee,
  LOOP,
  simd,
  V128,
  v128Load,
  v128Store,
} from '../wasmAsm';

const F32_LOAD = [0x2a, 2, 0];
const F32X4_SPLAT = 0x13, F32X4_ADD = 0xe4, F32X4_MUL = 0xe6;

// Locals: parameters p, dy, rows, dyRowBytes, out; then v128 s and the accumulators.
const P = 0, DY = 1, ROWS = 2, DY_ROW_BYTES = 3, OUT = 4, S = 5, ACC = 6;

function accBody(vectors: number): number[] {
  const code: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const p of parts) code.push(...p);
  };
  for (let v = 0; v < vectors; v++) emit(get(OUT), v128Load(16 * v), set(ACC + v));
  emit(LOOP); // loop $row
  emit(get(P), F32_LOAD, simd(F32X4_SPLAT), set(S));
  for (let v = 0; v < vectors; v++) emit(get(ACC + v), get(S), get(DY), v128Load(16 * v), simd(F32X4_MUL), simd(F32X4_ADD), set(ACC + v));
  emit(get(P), i32Const(4), I32_ADD, set(P));
  emit(get(DY), get(DY_ROW_BYTES), I32_ADD, set(DY));
  emit(get(ROWS), i32Const(1), I32_SUB, tee(ROWS), i32Const(0), I32_NE, BR_IF_0);
  emit(END); // end $row
  for (let v = 0; v < vectors; v++) emit(get(OUT), get(ACC + v), v128Store(16 * v));
  return functionBody([[1 + vectors, V128]], code);
}

const compile = lazyModule(() => heapModuleBytes(5, [['acc8', accBody(8)], ['acc1', accBody(1)]]));

type AccFn = (p: number, dy: number, rows: number, dyRowBytes: number, out: number) => void;

/** Rows per block: a block of dy (rows × F floats) stays in cache while every tap reads it. */
const BLOCK_ROWS = 256;

export class SimdFilterGrad {
  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly acc8: AccFn,
    private readonly acc1: AccFn,
  ) {}

  /** Whether run() takes F filters (a multiple of 4). */
  static handles(filters: number): boolean {
    return filters > 0 && filters % 4 === 0;
  }

  /** out [taps, F] ← pT [taps, R] · dy [R, F]; all three views of this kernel's memory. */
  run(pT: Float32Array, dy: Float32Array, out: Float32Array, taps: number, rows: number, filters: number): void {
    if (!SimdFilterGrad.handles(filters)) throw new Error(`filterGrad (SIMD): ${filters} filters is not a positive multiple of 4`);
    if (pT.length !== taps * rows || dy.length !== rows * filters || out.length !== taps * filters) throw new Error('filterGrad (SIMD): array sizes do not match [taps, rows] · [rows, filters]');
    for (const a of [pT, dy, out]) if (a.buffer !== this.memory.buffer) throw new Error('filterGrad (SIMD): arrays must be views of the kernel\'s memory');
    out.fill(0);
    const dyRowBytes = 4 * filters;
    for (let r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
      const n = Math.min(BLOCK_ROWS, rows - r0);
      for (let t = 0; t < taps; t++) {
        const p = pT.byteOffset + 4 * (t * rows + r0);
        const d = dy.byteOffset + r0 * dyRowBytes;
        const o = out.byteOffset + 4 * t * filters;
        let f = 0;
        for (; f + 32 <= filters; f += 32) this.acc8(p, d + 4 * f, n, dyRowBytes, o + 4 * f);
        for (; f < filters; f += 4) this.acc1(p, d + 4 * f, n, dyRowBytes, o + 4 * f);
      }
    }
  }
}

/** The kernel bound to one memory; undefined without SIMD. */
export function simdFilterGrad(memory: WebAssembly.Memory): SimdFilterGrad | undefined {
  const mod = compile();
  if (!mod) return undefined;
  const e = new WebAssembly.Instance(mod, { e: { m: memory } }).exports;
  return new SimdFilterGrad(memory, e['acc8'] as AccFn, e['acc1'] as AccFn);
}

/** The SIMD kernel on a tfjs wasm backend's memory (once per backend), or undefined. */
export const simdFilterGradFor: (backend: BackendWasm) => SimdFilterGrad | undefined = perBackendKernel(simdFilterGrad);
