// The count of equal low bytes of two b-bit MinHash signatures (candidateSelection.ts), 16 bytes
// an instruction in WebAssembly SIMD: i8x16.eq gives −1 in each equal lane, subtracting it
// counts, and two pairwise widenings sum the lanes. The scalar count (equalLowBytes, SWAR over
// 32-bit words) was ~55 % of the candidate selection's CPU on BioMarKs50k (21 M estimates of 128
// bytes); with this one the stage takes ~2/3 of its time (in `simlab cluster` on 2 cores 1.53–
// 1.58 → 1.00–1.11 s: fetching the partner's bytes from memory is the rest), the same counts.
//
// The kernel reads the signatures where they already are: the low bytes are written into a
// shared WebAssembly.Memory (worker/mappedMemory.ts sharedMemory) kept as such, and every
// worker instantiates the kernel on that memory (posted to it like any shared buffer), so no
// worker copies them (6.4 MB at 50,000 records, 64 MB at 500,000). Records are 16-byte aligned
// (lowBytes pads each to a whole number of vectors), so a vector never spans two records.
//
// Export `eq(a, b, end)`: the equal bytes of [a, end) and [b, b + end − a), byte offsets, end − a
// a positive multiple of 16 of at most 255 vectors (each lane counts to 255).
// Where the runtime lacks SIMD (WebAssembly.validate fails) the callers keep the scalar count.

import { BR_IF_0, END, functionBody, I32, I32_ADD, I32_LT_U, i32Const, lazyModule, localGet as get, localSet as set, localTee as tee, LOOP, name, section, simd, V128, v128Load, WASM_HEADER } from '../wasmAsm';

const A = 0, B = 1, LIMIT = 2, ACC = 3;
const I8X16_EQ = 0x23, I8X16_SUB = 0x71, I16X8_EXTADD_PAIRWISE_I8X16_U = 0x7d, I32X4_EXTADD_PAIRWISE_I16X8_U = 0x7f, I32X4_EXTRACT_LANE = 0x1b;

/** The most bytes one call may compare: 255 vectors (a lane's counter is 8 bits). */
export const EQUAL_BYTES_MAX = 255 * 16;

function body(): number[] {
  const code: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const p of parts) code.push(...p);
  };
  emit(LOOP); // loop: acc −= (a[0..16) == b[0..16)), a += 16, b += 16, while a < limit
  emit(get(ACC), get(A), v128Load(0), get(B), v128Load(0), simd(I8X16_EQ), simd(I8X16_SUB), set(ACC));
  emit(get(B), i32Const(16), I32_ADD, set(B));
  emit(get(A), i32Const(16), I32_ADD, tee(A), get(LIMIT), I32_LT_U, BR_IF_0);
  emit(END);
  // 16 byte counts → 8 → 4 lanes, then their sum.
  emit(get(ACC), simd(I16X8_EXTADD_PAIRWISE_I8X16_U), simd(I32X4_EXTADD_PAIRWISE_I16X8_U), tee(ACC), simd(I32X4_EXTRACT_LANE), [0]);
  for (let lane = 1; lane < 4; lane++) emit(get(ACC), simd(I32X4_EXTRACT_LANE), [lane], I32_ADD);
  return functionBody([[1, V128]], code);
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const type = section(1, [1, 0x60, 3, I32, I32, I32, 1, I32]);
  // Imports `e.m`: a shared memory (limits flag 3: shared, with a maximum) of any size.
  const imports = section(2, [1, ...name('e'), ...name('m'), 0x02, 0x03, 0x00, 0x80, 0x80, 0x04]);
  const func = section(3, [1, 0]);
  const exports = section(7, [1, ...name('eq'), 0x00, 0]);
  const code = section(10, [1, ...body()]);
  return new Uint8Array([...WASM_HEADER, ...type, ...imports, ...func, ...exports, ...code]);
}

const compile = lazyModule(moduleBytes);

export type EqualBytes = (a: number, b: number, end: number) => number;

/** One instance per memory and thread (an instance is not shared between threads). */
const kernels = new WeakMap<WebAssembly.Memory, EqualBytes>();

/** True when this runtime runs the kernel (WebAssembly SIMD and shared memories). */
export function equalBytesAvailable(): boolean {
  return compile() !== null;
}

/** The kernel on this memory (see the file comment), or undefined without SIMD. */
export function equalBytesKernel(memory: WebAssembly.Memory): EqualBytes | undefined {
  const known = kernels.get(memory);
  if (known) return known;
  const mod = compile();
  if (!mod) return undefined;
  const eq = new WebAssembly.Instance(mod, { e: { m: memory } }).exports.eq as EqualBytes;
  kernels.set(memory, eq);
  return eq;
}
