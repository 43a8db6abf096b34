/**
 * Column sums of a row-major float32 [rows, cols] matrix (sumRows.ts) in WebAssembly SIMD, on
 * the tfjs wasm backend's own memory: the Sum and Mean over leading axes of every bias and
 * batch-norm gradient and of the batch-norm moments — about 10 M values a step of the
 * batch-norm conv net, ~13 ms in the scalar loop. Each pass takes 16 columns (one 64-byte run
 * of every row) down all the rows, promoting each value to float64 and adding it to one of 8
 * f64x2 accumulators, so long columns keep the scalar loop's float64 precision; remaining
 * columns go 4 at a time, the last < 4 to the caller's scalar code.
 *
 * Module: imports the memory `e.m`, exports `sum16` and `sum4`, each (x, rows, rowBytes, out):
 * the sums of the 16 (4) float32 columns starting at byte address x, over `rows` ≥ 1 rows
 * `rowBytes` apart, written as float32 to byte address out.
 */
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

const I8X16_SHUFFLE = 0x0d, V128_CONST = 0x0c, F32X4_DEMOTE_F64X2_ZERO = 0x5e, F64X2_PROMOTE_LOW_F32X4 = 0x5f, F64X2_ADD = 0xf0;
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
/** Lanes 2, 3 of a f32x4 moved to lanes 0, 1 (bytes 8–15 twice). */
const HIGH_HALF = [...range(8, 8), ...range(8, 8)];
/** The low two lanes of each operand: a0 a1 b0 b1. */
const LOW_HALVES = [...range(0, 8), ...range(16, 8)];

// Locals: parameters x, rows, rowBytes, out; then v128 t and the 2·vectors accumulators.
const X = 0, ROWS = 1, ROW_BYTES = 2, OUT = 3, T = 4, ACC = 5;

function sumBody(vectors: number): number[] {
  const code: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const p of parts) code.push(...p);
  };
  emit(simd(V128_CONST), new Array<number>(16).fill(0));
  for (let a = 0; a < 2 * vectors - 1; a++) emit(tee(ACC + a));
  emit(set(ACC + 2 * vectors - 1));
  emit(LOOP); // loop $row
  for (let v = 0; v < vectors; v++) {
    emit(get(X), v128Load(16 * v), tee(T));
    emit(simd(F64X2_PROMOTE_LOW_F32X4), get(ACC + 2 * v), simd(F64X2_ADD), set(ACC + 2 * v));
    emit(get(T), get(T), simd(I8X16_SHUFFLE), HIGH_HALF, simd(F64X2_PROMOTE_LOW_F32X4), get(ACC + 2 * v + 1), simd(F64X2_ADD), set(ACC + 2 * v + 1));
  }
  emit(get(X), get(ROW_BYTES), I32_ADD, set(X));
  emit(get(ROWS), i32Const(1), I32_SUB, tee(ROWS), i32Const(0), I32_NE, BR_IF_0);
  emit(END); // end $row
  for (let v = 0; v < vectors; v++) {
    emit(get(OUT), get(ACC + 2 * v), simd(F32X4_DEMOTE_F64X2_ZERO), get(ACC + 2 * v + 1), simd(F32X4_DEMOTE_F64X2_ZERO), simd(I8X16_SHUFFLE), LOW_HALVES, v128Store(16 * v));
  }
  return functionBody([[1 + 2 * vectors, V128]], code);
}

const compile = lazyModule(() => heapModuleBytes(4, [['sum16', sumBody(4)], ['sum4', sumBody(1)]]));

type SumFn = (x: number, rows: number, rowBytes: number, out: number) => void;

export class SimdSumRows {
  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly sum16: SumFn,
    private readonly sum4: SumFn,
  ) {}

  /** out[c] ← Σ over rows of x[r, c], as sumRowsInto; x and out are views of this kernel's memory. */
  run(x: Float32Array, rows: number, out: Float32Array): void {
    const cols = out.length;
    if (x.length !== rows * cols || rows < 1) throw new Error(`sumRows (SIMD): ${x.length} values are not ${rows} ≥ 1 rows of ${cols}`);
    if (x.buffer !== this.memory.buffer || out.buffer !== this.memory.buffer) throw new Error('sumRows (SIMD): arrays must be views of the kernel\'s memory');
    const rowBytes = 4 * cols;
    let c = 0;
    for (; c + 16 <= cols; c += 16) this.sum16(x.byteOffset + 4 * c, rows, rowBytes, out.byteOffset + 4 * c);
    for (; c + 4 <= cols; c += 4) this.sum4(x.byteOffset + 4 * c, rows, rowBytes, out.byteOffset + 4 * c);
    for (; c < cols; c++) {
      let s = 0;
      for (let i = c; i < x.length; i += cols) s += x[i]!;
      out[c] = s;
    }
  }
}

/** The kernel bound to one memory; undefined without SIMD. */
export function simdSumRows(memory: WebAssembly.Memory): SimdSumRows | undefined {
  const mod = compile();
  if (!mod) return undefined;
  const e = new WebAssembly.Instance(mod, { e: { m: memory } }).exports;
  return new SimdSumRows(memory, e['sum16'] as SumFn, e['sum4'] as SumFn);
}

/** The SIMD kernel on a tfjs wasm backend's memory (once per backend), or undefined. */
export const simdSumRowsFor = perBackendKernel(simdSumRows);
