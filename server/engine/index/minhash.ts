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
// - it costs one Math.imul, one add and one compare per (shingle, hash), all in 32-bit ints.
//
// Layout: the signatures of n records are packed in one Uint32Array(n·numHashes), record r at
// [r·numHashes, (r + 1)·numHashes). The empty set has the defined signature "all 0xFFFFFFFF"
// (EMPTY_SLOT); LSH never makes it a candidate and `estimateJaccard` gives 0 against it.

import { fmix32, splitmix32 } from '../features/hash';
import { PackedSets } from '../features/sets';

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
 * Writes the signature of one shingle set (any order, duplicates allowed) into
 * `out[offset, offset + numHashes)`. `scratch`, if given and long enough, holds the pre-mixed set.
 */
export function minhashInto(family: MinHashFamily, set: ArrayLike<number>, out: Uint32Array, offset = 0, scratch?: Uint32Array): void {
  const m = family.numHashes;
  const len = set.length;
  if (len === 0) {
    out.fill(EMPTY_SLOT, offset, offset + m);
    return;
  }
  const mixed = scratch && scratch.length >= len ? scratch : new Uint32Array(len);
  const seedMix = family.seedMix;
  for (let e = 0; e < len; e++) mixed[e] = fmix32((set[e] ^ seedMix) >>> 0);
  const mul = family.mul;
  const add = family.add;
  // One permutation at a time: the running minimum stays in a register, the set stays in cache.
  for (let i = 0; i < m; i++) {
    const a = mul[i];
    const b = add[i];
    let min = EMPTY_SLOT;
    for (let e = 0; e < len; e++) {
      const v = (Math.imul(a, mixed[e]) + b) >>> 0;
      if (v < min) min = v;
    }
    out[offset + i] = min;
  }
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
  let scratch = new Uint32Array(256);
  for (let r = from; r < end; r++) {
    let set: ArrayLike<number>;
    if (packed) {
      const p = sets as PackedSets;
      set = p.values.subarray(p.offsets[r], p.offsets[r + 1]);
    } else {
      set = (sets as readonly ArrayLike<number>[])[r];
    }
    if (set.length > scratch.length) scratch = new Uint32Array(Math.max(set.length, scratch.length * 2));
    minhashInto(family, set, out, (r - from) * m, scratch);
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

/** `estimateJaccard` for records i and j of one packed signature array. */
export function estimateJaccardAt(signatures: Uint32Array, numHashes: number, i: number, j: number): number {
  return estimateJaccard(signatures, i * numHashes, signatures, j * numHashes, numHashes);
}
