// The MinHash inner loop in WebAssembly SIMD: four lanes of (a·x + b) mod 2³² and a signed
// minimum per instruction, 16 permutations (four vectors) per pass over the set. Same int32
// arithmetic as the scalar loop in minhash.ts (multipliers as int32, offsets shifted by 2³¹ so
// that a signed minimum orders like an unsigned one), so the signatures are bit for bit equal;
// the tests compare both. Scalar JS spends ≈ 1.2 ns per (shingle, permutation), which made
// sketching a fifth of clustering BioMarKs50k; four lanes a step take it to about a third.
//
// The module is a few hundred bytes assembled below (no toolchain needed to build the project).
// Exports: memory `m` and `sig(x, len, params, out, groups)`: for g < groups, with the 128-byte
// parameter block at params + 128·g = [a0 a1 a2 a3 b0 b1 b2 b3] (v128 each, 16 permutations),
// writes the 16 minima over the int32 values x[0, len) to out + 64·g. len ≥ 1, groups ≥ 1.
// When the runtime lacks SIMD (WebAssembly.validate fails) callers keep the scalar loop.

import { BR_IF_0, END, functionBody, I32, I32_ADD, I32_LT_U, I32_SHL, i32Const, localGet as get, localSet as set, localTee as tee, LOOP, name, section, simd, V128, v128Load as v128load, v128Store as v128store, WASM_HEADER, lazyModule } from '../wasmAsm';

// Locals: parameters 0–4 (x, len, params, out, groups), then g, ptr, limit (i32), then
// a0–a3, b0–b3, m0–m3, v (v128).
const X = 0, LEN = 1, P = 2, OUT = 3, GROUPS = 4, G = 5, PTR = 6, LIMIT = 7;
const A = 8, B = 12, M = 16, V = 20;

const I32X4_SPLAT = 0x11, I32X4_ADD = 0xae, I32X4_MUL = 0xb5, I32X4_MIN_S = 0xb6;

function body(): number[] {
  const code: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const p of parts) code.push(...p);
  };
  const int32Max = [0xff, 0xff, 0xff, 0x7f];
  emit(i32Const(0), set(G));
  emit(LOOP); // loop $group
  for (let r = 0; r < 4; r++) emit(get(P), v128load(16 * r), set(A + r));
  for (let r = 0; r < 4; r++) emit(get(P), v128load(64 + 16 * r), set(B + r));
  emit(simd(0x0c), [...int32Max, ...int32Max, ...int32Max, ...int32Max], tee(M), tee(M + 1), tee(M + 2), set(M + 3));
  emit(get(X), set(PTR));
  emit(get(X), get(LEN), i32Const(2), I32_SHL, I32_ADD, set(LIMIT)); // limit = x + 4·len
  emit(LOOP); // loop $element
  emit(get(PTR), [0x28, 2, 0], simd(I32X4_SPLAT), set(V));
  for (let r = 0; r < 4; r++) {
    emit(get(M + r), get(A + r), get(V), simd(I32X4_MUL), get(B + r), simd(I32X4_ADD), simd(I32X4_MIN_S), set(M + r));
  }
  emit(get(PTR), i32Const(4), I32_ADD, tee(PTR), get(LIMIT), I32_LT_U, BR_IF_0); // br_if $element while ptr < end
  emit(END); // end loop $element
  for (let r = 0; r < 4; r++) emit(get(OUT), get(M + r), v128store(16 * r));
  emit(get(OUT), i32Const(64), I32_ADD, set(OUT));
  emit(get(P), i32Const(128), I32_ADD, set(P));
  emit(get(G), i32Const(1), I32_ADD, tee(G), get(GROUPS), I32_LT_U, BR_IF_0); // br_if $group while g < groups
  emit(END); // end loop $group
  return functionBody([[3, I32], [13, V128]], code);
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const type = section(1, [1, 0x60, 5, I32, I32, I32, I32, I32, 0]);
  const func = section(3, [1, 0]);
  const memory = section(5, [1, 0x00, 1]);
  const exports = section(7, [2, ...name('m'), 0x02, 0, ...name('sig'), 0x00, 0]);
  const code = section(10, [1, ...body()]);
  return new Uint8Array([...WASM_HEADER, ...type, ...func, ...memory, ...exports, ...code]);
}

export interface SimdMinHash {
  /**
   * The signed minima (int32, before the 2³¹ shift back) of the given mixed values under the
   * family's permutations, written to `out[offset, offset + numHashes)` as unsigned slots.
   */
  run(mixed: Int32Array, len: number, out: Uint32Array, offset: number): void;
}

const compile = lazyModule(moduleBytes);

/** True when this runtime runs the SIMD kernel. */
export function simdMinHashAvailable(): boolean {
  return compile() !== null;
}

/**
 * A SIMD kernel for one family's parameters (`mul` as int32, `addShifted` = b + 2³¹ as int32),
 * or undefined when WebAssembly SIMD is unavailable or its memory cannot be had. One instance
 * (with its own memory) per caller: not shared between threads.
 */
export function createSimdMinHash(mul: Int32Array, addShifted: Int32Array): SimdMinHash | undefined {
  const mod = compile();
  if (!mod) return undefined;
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(mod, {});
  } catch {
    // Its own memory cannot be reserved (a process limited in virtual memory by ulimit -v, or
    // address space exhausted): the scalar loop gives the same signatures.
    return undefined;
  }
  const memory = instance.exports.m as WebAssembly.Memory;
  const sig = instance.exports.sig as (x: number, len: number, params: number, out: number, groups: number) => void;
  const H = mul.length;
  const groups = (H + 15) >>> 4;
  const paramsAt = 0;
  const outAt = paramsAt + 128 * groups;
  const xAt = outAt + 64 * groups;
  let heap = new Int32Array(memory.buffer);
  // Parameter blocks; lanes past H repeat the last permutation (their minima are not read).
  for (let g = 0; g < groups; g++) {
    for (let lane = 0; lane < 16; lane++) {
      const h = Math.min(H - 1, 16 * g + lane);
      heap[(paramsAt >> 2) + 32 * g + lane] = mul[h];
      heap[(paramsAt >> 2) + 32 * g + 16 + lane] = addShifted[h];
    }
  }
  return {
    run(mixed, len, out, offset) {
      const need = xAt + 4 * len;
      if (need > memory.buffer.byteLength) {
        memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
        heap = new Int32Array(memory.buffer);
      }
      heap.set(mixed.subarray(0, len), xAt >> 2);
      sig(xAt, len, paramsAt, outAt, groups);
      const base = outAt >> 2;
      for (let h = 0; h < H; h++) out[offset + h] = (heap[base + h] ^ 0x80000000) >>> 0;
    },
  };
}
