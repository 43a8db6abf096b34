/**
 * The 2×2, stride-2, unpadded max-pool gradient (NHWC, channels a multiple of 4) in WebAssembly
 * SIMD, run on the tfjs wasm backend's own memory: four channels a step, the window's first
 * strict maximum chosen by compares and bit-selects instead of branches. The scalar loop
 * (maxPoolGrad.ts) mispredicts on post-relu data (windows of zeros and near-ties) and took
 * ~9–11 ms of a ~110 ms reference-net step for the 64×26×26×32 pool; this takes ~2 ms.
 *
 * Same rule as the scalar loop (ties go to the earlier position, row-major in the window), so
 * the gradients are equal bit for bit — except in a window whose values are all NaN or −∞,
 * whose gradient goes to its first position here and nowhere in the scalar loop.
 *
 * Module: imports the memory `e.m`, exports `row(x, dy, dxOff, rowBytes, windows, cBytes)`:
 * for one output row, `windows` windows from the input row at byte address x (the row below at
 * x + rowBytes), the `windows · cBytes / 4` floats of dy at byte address dy; dx at x + dxOff.
 */
import { perBackendKernel } from './heapKernel';
import type { Pool2DGeometry } from './maxPoolGrad';
import {
  BR_IF_0,
  END,
  functionBody,
  I32,
  I32_ADD,
  I32_LT_U,
  I32_NE,
  I32_SUB,
  i32Const,
  localGet as get,
  localSet as set,
  localTee as tee,
  LOOP,
  simd,
  V128,
  v128Load,
  v128Store,
  heapModuleBytes,
  lazyModule,
} from '../wasmAsm';

const F32X4_GT = 0x44, V128_AND = 0x4e, V128_ANDNOT = 0x4f, V128_BITSELECT = 0x52;

// Locals: parameters, then i32 q, q01, q10, q11, limit, then v128 a, b, c, d, g, gab, gcd, gl, gt.
const X = 0, DY = 1, DX_OFF = 2, ROW_BYTES = 3, WINDOWS = 4, C_BYTES = 5;
const Q = 6, Q01 = 7, Q10 = 8, Q11 = 9, LIMIT = 10;
const A = 11, B = 12, C = 13, D = 14, G = 15, GAB = 16, GCD = 17, GL = 18, GT = 19;

function rowBody(): number[] {
  const code: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const p of parts) code.push(...p);
  };
  const store = (addr: number, value: number[]) => emit(get(addr), get(DX_OFF), I32_ADD, value, v128Store());
  emit(get(X), set(Q));
  emit(LOOP); // loop $window
  emit(get(Q), get(C_BYTES), I32_ADD, set(LIMIT));
  emit(LOOP); // loop $channels: four at a time
  emit(get(Q), get(C_BYTES), I32_ADD, set(Q01));
  emit(get(Q), get(ROW_BYTES), I32_ADD, tee(Q10), get(C_BYTES), I32_ADD, set(Q11));
  emit(get(Q), v128Load(), set(A), get(Q01), v128Load(), set(B), get(Q10), v128Load(), set(C), get(Q11), v128Load(), set(D));
  emit(get(DY), v128Load(), set(G));
  // gab: b beats a (strictly); gcd: d beats c; low: the bottom pair's winner beats the top's.
  emit(get(B), get(A), simd(F32X4_GT), set(GAB), get(D), get(C), simd(F32X4_GT), set(GCD));
  emit(get(D), get(C), get(GCD), simd(V128_BITSELECT)); // bottom winner
  emit(get(B), get(A), get(GAB), simd(V128_BITSELECT)); // top winner
  emit(simd(F32X4_GT)); // low
  emit(tee(GL), get(G), get(GL), simd(V128_AND), set(GL)); // gl = g & low (low kept on the stack)
  emit(set(GT), get(G), get(GT), simd(V128_ANDNOT), set(GT)); // gt = g & ~low
  store(Q, [...get(GT), ...get(GAB), ...simd(V128_ANDNOT)]);
  store(Q01, [...get(GT), ...get(GAB), ...simd(V128_AND)]);
  store(Q10, [...get(GL), ...get(GCD), ...simd(V128_ANDNOT)]);
  store(Q11, [...get(GL), ...get(GCD), ...simd(V128_AND)]);
  emit(get(DY), i32Const(16), I32_ADD, set(DY));
  emit(get(Q), i32Const(16), I32_ADD, tee(Q), get(LIMIT), I32_LT_U, BR_IF_0);
  emit(END); // end $channels
  emit(get(Q), get(C_BYTES), I32_ADD, set(Q)); // past the window's right column
  emit(get(WINDOWS), i32Const(1), I32_SUB, tee(WINDOWS), i32Const(0), I32_NE, BR_IF_0);
  emit(END); // end $window
  return functionBody([[5, I32], [9, V128]], code);
}

const compile = lazyModule(() => heapModuleBytes(6, [['row', rowBody()]]));

type RowFn = (x: number, dy: number, dxOff: number, rowBytes: number, windows: number, cBytes: number) => void;

/** The kernel bound to one memory; undefined without SIMD. */
export function simdMaxPoolGrad(memory: WebAssembly.Memory): SimdMaxPoolGrad | undefined {
  const mod = compile();
  if (!mod) return undefined;
  const row = new WebAssembly.Instance(mod, { e: { m: memory } }).exports['row'] as RowFn;
  return new SimdMaxPoolGrad(memory, row);
}

export class SimdMaxPoolGrad {
  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly row: RowFn,
  ) {}

  /** Whether this kernel takes the pool: 2×2, stride 2, no padding, channels a multiple of 4. */
  static handles(g: Pool2DGeometry): boolean {
    return g.filterHeight === 2 && g.filterWidth === 2 && g.strideHeight === 2 && g.strideWidth === 2 && g.padTop === 0 && g.padLeft === 0 && g.channels % 4 === 0 && g.outHeight * 2 <= g.inHeight && g.outWidth * 2 <= g.inWidth && g.outWidth > 0;
  }

  /** dx ← the gradient; x, dy, dx are views of this kernel's memory (byte offsets multiples of 4). */
  run(x: Float32Array, dy: Float32Array, dx: Float32Array, g: Pool2DGeometry): void {
    if (!SimdMaxPoolGrad.handles(g)) throw new Error('maxPoolGrad (SIMD): only 2×2 stride-2 unpadded pools with channels a multiple of 4');
    for (const a of [x, dy, dx]) if (a.buffer !== this.memory.buffer) throw new Error('maxPoolGrad (SIMD): arrays must be views of the kernel\'s memory');
    const { batch, inHeight: H, inWidth: W, channels: Cn, outHeight: OH, outWidth: OW } = g;
    if (x.length !== batch * H * W * Cn || dx.length !== x.length || dy.length !== batch * OH * OW * Cn) throw new Error('maxPoolGrad (SIMD): array sizes do not match the geometry');
    // An odd last row or column lies in no window: its gradient is 0.
    if (OH * 2 < H || OW * 2 < W) dx.fill(0);
    const rowBytes = W * Cn * 4;
    const dxOff = dx.byteOffset - x.byteOffset;
    for (let b = 0; b < batch; b++) {
      for (let oy = 0; oy < OH; oy++) {
        this.row(x.byteOffset + (b * H + 2 * oy) * rowBytes, dy.byteOffset + (b * OH + oy) * OW * Cn * 4, dxOff, rowBytes, OW, Cn * 4);
      }
    }
  }
}

/** The SIMD kernel on a tfjs wasm backend's memory (once per backend), or undefined. */
export const simdMaxPoolGradFor = perBackendKernel(simdMaxPoolGrad);
