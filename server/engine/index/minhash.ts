// MinHash signatures over 32-bit shingle hashes (k-mers, character or word shingles).
//
// Hash family. Every shingle hash x is first mixed once, x' = fmix32(x ^ seedMix) (O(set size)),
// then permuted numHashes times by h_i(x') = (a_i·x' + b_i) mod 2³² with a_i odd and b_i drawn
// from a SplitMix32 stream of the seed; component i of the signature is min over the set of h_i(x').
//
// Why this is good enough:
// - each h_i is a bijection of the 32-bit words (odd multiplier, then a shift of the origin), so
//   distinct shingles never tie inside one permutation: equal minima mean the same shingle;
// - the order of the h_i values is decided by their high bits, and the high bits of a·x mod 2^w
//   with a random odd a are Dietzfelbinger's multiply-shift family, universal (collision
//   probability ≤ 2/2^l for l bits); no 2-universal family is exactly min-wise independent, but
//   with inputs that are already pseudo-random (the fmix32 pre-mix, and k-mer hashes are
//   fmix32 outputs themselves) the bias is below what 64–256 hashes can resolve — the unit tests
//   check the estimator against exact Jaccard on random sets, mean and spread included;
// - it costs one Math.imul, one add and one min per (shingle, hash), all in 32-bit ints
//   (about 1 ns on this machine: 16S gold, 7.4 M k-mers × 128 hashes, in about 1 s), and with
//   WebAssembly SIMD four of them per instruction (minhashSimd.ts, the default where available).
//
// Layout: the signatures of n records are packed in one Uint32Array(n·numHashes), record r at
// [r·numHashes, (r + 1)·numHashes). The empty set has the defined signature "all 0xFFFFFFFF"
// (EMPTY_SLOT); LSH never makes it a candidate and `estimateJaccard` gives 0 against it.

import { fmix32, splitmix32 } from '../features/hash';
import { PackedSets } from '../features/sets';
import { createSimdMinHash, type SimdMinHash } from './minhashSimd';

export const EMPTY_SLOT = 0xffffffff;
export const DEFAULT_NUM_HASHES = 128;
export const DEFAULT_MINHASH_SEED = 0x5eed1ab;

/** The parameters of one MinHash family: plain data, so a worker can receive it or rebuild it from (numHashes, seed). */
export interface MinHashFamily {
  readonly numHashes: number;
  readonly seed: number;
  /** fmix32(seed ^ const): xored into every shingle hash before mixing. */
  readonly seedMix: number;
  /** Odd multipliers a_i. */
  readonly mul: Uint32Array;
  /** Offsets b_i. */
  readonly add: Uint32Array;
}

export function createMinHashFamily(numHashes = DEFAULT_NUM_HASHES, seed = DEFAULT_MINHASH_SEED): MinHashFamily {
  if (!Number.isInteger(numHashes) || numHashes < 1 || numHashes > 4096) {
    throw new RangeError(`numHashes must be an integer in 1..4096 (64–256 is the useful range), got ${numHashes}`);
  }
  const next = splitmix32(seed);
  const mul = new Uint32Array(numHashes);
  const add = new Uint32Array(numHashes);
  for (let i = 0; i < numHashes; i++) {
    mul[i] = next() | 1;
    add[i] = next();
  }
  return { numHashes, seed: seed >>> 0, seedMix: fmix32((seed ^ 0x6a09e667) >>> 0), mul, add };
}

/**
 * The family's parameters in the form the inner loop wants: signed 32-bit multipliers, and
 * offsets shifted by 2³¹ so that a SIGNED comparison of (a·x + b + 2³¹) mod 2³² orders exactly
 * like an unsigned comparison of (a·x + b) mod 2³² — all-int32 arithmetic, no doubles.
 */
interface Kernel {
  readonly mul: Int32Array;
  readonly addShifted: Int32Array;
  readonly seedMix: number;
  mixed: Int32Array;
  /** The WebAssembly SIMD loop (minhashSimd.ts), when the runtime has it. */
  readonly simd: SimdMinHash | undefined;
}

let simdEnabled = true;

/**
 * Turns the WebAssembly SIMD loop on or off for this thread (on by default when available).
 * Both give the same signatures; the switch exists so tests and benchmarks can compare them.
 */
export function useSimdMinHash(enabled: boolean): void {
  simdEnabled = enabled;
}

/** One kernel per family and thread, kept while the family lives (a SIMD instance is costly to set up). */
const kernels = new WeakMap<MinHashFamily, Kernel>();

function kernelOf(family: MinHashFamily): Kernel {
  let kernel = kernels.get(family);
  if (!kernel) {
    const mul = new Int32Array(family.mul.buffer, family.mul.byteOffset, family.numHashes);
    const addShifted = Int32Array.from(family.add, (b) => (b + 0x80000000) | 0);
    kernel = { mul, addShifted, seedMix: family.seedMix, mixed: new Int32Array(256), simd: createSimdMinHash(mul, addShifted) };
    kernels.set(family, kernel);
  }
  return kernel;
}

const SIGN = 0x80000000;

function signatureWithKernel(kernel: Kernel, set: ArrayLike<number>, out: Uint32Array, offset: number): void {
  const m = kernel.mul.length;
  const len = set.length;
  if (len === 0) {
    out.fill(EMPTY_SLOT, offset, offset + m);
    return;
  }
  if (kernel.mixed.length < len) kernel.mixed = new Int32Array(Math.max(len, kernel.mixed.length * 2));
  const x = kernel.mixed;
  const seedMix = kernel.seedMix;
  for (let e = 0; e < len; e++) x[e] = fmix32((set[e] ^ seedMix) >>> 0) | 0;
  if (simdEnabled && kernel.simd) {
    kernel.simd.run(x, len, out, offset);
    return;
  }
  const mul = kernel.mul;
  const add = kernel.addShifted;
  // Eight permutations per pass over the set: eight running minima in registers, each element
  // loaded once per pass (about 1 ns per shingle and permutation).
  let i = 0;
  for (; i + 8 <= m; i += 8) {
    const a0 = mul[i], a1 = mul[i + 1], a2 = mul[i + 2], a3 = mul[i + 3];
    const a4 = mul[i + 4], a5 = mul[i + 5], a6 = mul[i + 6], a7 = mul[i + 7];
    const b0 = add[i], b1 = add[i + 1], b2 = add[i + 2], b3 = add[i + 3];
    const b4 = add[i + 4], b5 = add[i + 5], b6 = add[i + 6], b7 = add[i + 7];
    let m0 = 0x7fffffff, m1 = m0, m2 = m0, m3 = m0, m4 = m0, m5 = m0, m6 = m0, m7 = m0;
    for (let e = 0; e < len; e++) {
      const v = x[e];
      m0 = Math.min(m0, (Math.imul(a0, v) + b0) | 0);
      m1 = Math.min(m1, (Math.imul(a1, v) + b1) | 0);
      m2 = Math.min(m2, (Math.imul(a2, v) + b2) | 0);
      m3 = Math.min(m3, (Math.imul(a3, v) + b3) | 0);
      m4 = Math.min(m4, (Math.imul(a4, v) + b4) | 0);
      m5 = Math.min(m5, (Math.imul(a5, v) + b5) | 0);
      m6 = Math.min(m6, (Math.imul(a6, v) + b6) | 0);
      m7 = Math.min(m7, (Math.imul(a7, v) + b7) | 0);
    }
    const o = offset + i;
    out[o] = (m0 ^ SIGN) >>> 0;
    out[o + 1] = (m1 ^ SIGN) >>> 0;
    out[o + 2] = (m2 ^ SIGN) >>> 0;
    out[o + 3] = (m3 ^ SIGN) >>> 0;
    out[o + 4] = (m4 ^ SIGN) >>> 0;
    out[o + 5] = (m5 ^ SIGN) >>> 0;
    out[o + 6] = (m6 ^ SIGN) >>> 0;
    out[o + 7] = (m7 ^ SIGN) >>> 0;
  }
  for (; i < m; i++) {
    const a = mul[i];
    const b = add[i];
    let min = 0x7fffffff;
    for (let e = 0; e < len; e++) min = Math.min(min, (Math.imul(a, x[e]) + b) | 0);
    out[offset + i] = (min ^ SIGN) >>> 0;
  }
}

/** Writes the signature of one shingle set (any order, duplicates allowed) into `out[offset, offset + numHashes)`. */
export function minhashInto(family: MinHashFamily, set: ArrayLike<number>, out: Uint32Array, offset = 0): void {
  signatureWithKernel(kernelOf(family), set, out, offset);
}

/** The signature of one shingle set. */
export function minhashSignature(family: MinHashFamily, set: ArrayLike<number>): Uint32Array {
  const out = new Uint32Array(family.numHashes);
  minhashInto(family, set, out, 0);
  return out;
}

/**
 * Signatures of sets [from, to) of a packed collection (or an array of sets), packed into one
 * Uint32Array((to − from)·numHashes). Chunkable: a worker computing [from, to) produces exactly
 * that slice of the full result.
 */
export function minhashSignatures(family: MinHashFamily, sets: PackedSets | readonly ArrayLike<number>[], from = 0, to?: number): Uint32Array {
  const packed = !Array.isArray(sets);
  const count = packed ? (sets as PackedSets).offsets.length - 1 : (sets as readonly ArrayLike<number>[]).length;
  const end = to ?? count;
  if (from < 0 || end > count || from > end) throw new RangeError(`set range [${from}, ${end}) outside 0..${count}`);
  const m = family.numHashes;
  const out = new Uint32Array((end - from) * m);
  const kernel = kernelOf(family);
  for (let r = from; r < end; r++) {
    let set: ArrayLike<number>;
    if (packed) {
      const p = sets as PackedSets;
      set = p.values.subarray(p.offsets[r], p.offsets[r + 1]);
    } else {
      set = (sets as readonly ArrayLike<number>[])[r];
    }
    signatureWithKernel(kernel, set, out, (r - from) * m);
  }
  return out;
}

/** True when the signature at `offset` is the empty set's (every slot EMPTY_SLOT). */
export function isEmptySignature(signatures: Uint32Array, offset: number, numHashes: number): boolean {
  for (let i = 0; i < numHashes; i++) if (signatures[offset + i] !== EMPTY_SLOT) return false;
  return true;
}

/**
 * Estimated Jaccard similarity: the fraction of equal slots. 0 when either signature is the
 * empty set's (two empty sets are not "alike": there is nothing to compare).
 *
 * Empty slots are judged by the whole signature, not one by one: in a non-empty set's signature a
 * slot holding 0xFFFFFFFF is a real minimum (each h_i is a bijection, so equal minima mean the same
 * shingle), and two such slots are a match like any other. Only the all-EMPTY_SLOT signature means
 * "no shingles".
 */
export function estimateJaccard(a: Uint32Array, aOffset: number, b: Uint32Array, bOffset: number, numHashes: number): number {
  let equal = 0;
  let emptyA = true;
  let emptyB = true;
  for (let i = 0; i < numHashes; i++) {
    const x = a[aOffset + i];
    const y = b[bOffset + i];
    if (x === y) equal++;
    if (x !== EMPTY_SLOT) emptyA = false;
    if (y !== EMPTY_SLOT) emptyB = false;
  }
  return emptyA || emptyB ? 0 : equal / numHashes;
}

/** `estimateJaccard` of two whole signatures of one family (a record's, or a file's: the slot-wise minimum of its records'). */
export function signatureJaccard(a: Uint32Array, b: Uint32Array): number {
  if (a.length !== b.length) throw new RangeError(`signatures of ${a.length} and ${b.length} hashes are not comparable`);
  return estimateJaccard(a, 0, b, 0, a.length);
}

/** `estimateJaccard` for records i and j of one packed signature array. */
export function estimateJaccardAt(signatures: Uint32Array, numHashes: number, i: number, j: number): number {
  return estimateJaccard(signatures, i * numHashes, signatures, j * numHashes, numHashes);
}
