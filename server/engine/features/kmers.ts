// Canonical k-mer hashing of DNA for MinHash.
//
// Encoding: A=0, C=1, G=2, T=3 (U is read as T, lower case as upper case), two bits a base, so the
// numeric order of codes is the lexicographic order of the k-mers. The forward code and the code
// of the reverse complement are both updated in O(1) per base while scanning; the canonical k-mer
// is the smaller of the two, so a sequence and its reverse complement give the same set.
//
// Width: k ≤ 31. A k-mer code has 2k ≤ 62 bits, kept as two 32-bit halves: `lo` holds the last
// min(k, 16) bases, `hi` the k − 16 bases before them (always 0 when k ≤ 16). For k ≤ 16 a
// one-word loop runs instead (the common case: DESIGN's default candidate is k = 15).
//
// Hash: each canonical k-mer is hashed once to 32 bits, h = fmix32(lo ^ fmix32(hi ^ seed ^ φ)).
// For k ≤ 16 (`hi` = 0) this is a bijection of `lo`, so distinct k-mers never collide; for longer
// k two distinct k-mers collide with probability ≈ 2⁻³².
//
// Ambiguity: a k-mer that contains any base other than A/C/G/T/U (N, IUPAC codes, gaps, ...)
// is skipped. Runs of N therefore add nothing, and two sequences are never made alike by
// sharing masked regions.

import { fmix32, sortUniqueInPlace } from './hash';
import { PackedSets, PackedSetsBuilder } from './sets';

export const MAX_K = 31;
const INVALID = 4;
const GOLDEN = 0x9e3779b9;

/** ASCII byte → 2-bit base code, or 4 for anything that is not A/C/G/T/U (either case). */
export const BASE_CODE: Uint8Array = (() => {
  const t = new Uint8Array(256).fill(INVALID);
  const set = (chars: string, code: number) => {
    for (const ch of chars) t[ch.charCodeAt(0)] = code;
  };
  set('Aa', 0);
  set('Cc', 1);
  set('Gg', 2);
  set('TtUu', 3);
  return t;
})();

export interface KmerOptions {
  /** k-mer length, 1 ≤ k ≤ 31. */
  readonly k: number;
  /** true (default): hash min(forward, reverse complement), strand-independent. false: forward strand only. */
  readonly canonical?: boolean;
  /** Seed of the k-mer hash (default 0). Sets hashed with different seeds are not comparable. */
  readonly seed?: number;
  /**
   * true (default): sorted, distinct hashes. false: the hash of every valid k-mer in sequence
   * order, repeats kept — enough for MinHash (a minimum ignores repeats and order) and about 5×
   * cheaper, as sorting dominates the cost of extraction.
   */
  readonly distinct?: boolean;
}

/** The 32-bit hash of a k-mer code given as its two halves (see the file comment). */
export function hashKmerCode(hi: number, lo: number, seed = 0): number {
  return fmix32((lo ^ fmix32((hi ^ seed ^ GOLDEN) >>> 0)) >>> 0);
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new RangeError(`k-mer length must be an integer in 1..${MAX_K}, got ${k}`);
}

/** A string as ASCII bytes (code units above 255 become 0, which is not a base). */
function asBytes(seq: Uint8Array | string): Uint8Array {
  if (typeof seq !== 'string') return seq;
  const out = new Uint8Array(seq.length);
  for (let i = 0; i < seq.length; i++) {
    const c = seq.charCodeAt(i);
    out[i] = c < 256 ? c : 0;
  }
  return out;
}

/**
 * Writes the (unsorted, possibly repeated) hashes of every valid k-mer of `seq` into
 * `out[start, ...)` and returns how many were written (at most max(0, seq.length − k + 1)).
 * The building block of `kmerHashes` and `kmerSets`; exposed for callers with their own buffers.
 */
export function writeKmerHashes(seq: Uint8Array, options: KmerOptions, out: Uint32Array, start: number): number {
  const k = options.k;
  checkK(k);
  const canonical = options.canonical ?? true;
  const seed = options.seed ?? 0;
  const len = seq.length;
  if (len < k) return 0;
  if (out.length - start < len - k + 1) throw new RangeError('k-mer output buffer too small');
  let w = start;
  let run = 0; // number of consecutive valid bases ending at the current position
  if (k <= 16) {
    const mask = k === 16 ? 0xffffffff : (1 << (2 * k)) - 1;
    const topShift = 2 * (k - 1);
    const hiMix = fmix32((seed ^ GOLDEN) >>> 0); // hashKmerCode with hi = 0
    let fwd = 0;
    let rev = 0;
    for (let i = 0; i < len; i++) {
      const c = BASE_CODE[seq[i]];
      if (c === INVALID) {
        run = 0;
        continue;
      }
      fwd = ((fwd << 2) | c) & mask;
      rev = (rev >>> 2) | ((3 - c) << topShift);
      if (++run < k) continue;
      const f = fwd >>> 0;
      const r = rev >>> 0;
      const code = canonical && r < f ? r : f;
      out[w++] = fmix32((code ^ hiMix) >>> 0);
    }
    return w - start;
  }
  // 17 ≤ k ≤ 31: lo = last 16 bases (all 32 bits), hi = the k − 16 bases before them.
  const hiBases = k - 16;
  const hiMask = (1 << (2 * hiBases)) - 1; // 2·hiBases ≤ 30
  const hiTopShift = 2 * (hiBases - 1);
  let fHi = 0;
  let fLo = 0;
  let rHi = 0;
  let rLo = 0;
  for (let i = 0; i < len; i++) {
    const c = BASE_CODE[seq[i]];
    if (c === INVALID) {
      run = 0;
      continue;
    }
    // Forward: shift the whole 2k-bit value left by one base; the base leaving lo enters hi.
    fHi = ((fHi << 2) | (fLo >>> 30)) & hiMask;
    fLo = ((fLo << 2) | c) >>> 0;
    // Reverse complement: shift right by one base; the base leaving hi enters lo's top,
    // the complement of the new base enters hi's top.
    rLo = ((rLo >>> 2) | ((rHi & 3) << 30)) >>> 0;
    rHi = (rHi >>> 2) | ((3 - c) << hiTopShift);
    if (++run < k) continue;
    if (canonical && (rHi < fHi || (rHi === fHi && rLo < fLo))) out[w++] = hashKmerCode(rHi, rLo, seed);
    else out[w++] = hashKmerCode(fHi, fLo, seed);
  }
  return w - start;
}

/**
 * Reusable k-mer hasher: keeps one scratch buffer across calls, so hashing many sequences costs
 * one exact-size allocation per result.
 */
export class KmerHasher {
  private scratch = new Uint32Array(0);

  constructor(readonly options: KmerOptions) {
    checkK(options.k);
  }

  /** Sorted, distinct 32-bit hashes of the valid k-mers of `seq`. */
  hash(seq: Uint8Array | string): Uint32Array {
    const bytes = asBytes(seq);
    const max = bytes.length - this.options.k + 1;
    if (max <= 0) return new Uint32Array(0);
    if (this.scratch.length < max) this.scratch = new Uint32Array(Math.max(max, this.scratch.length * 2));
    const written = writeKmerHashes(bytes, this.options, this.scratch, 0);
    return this.scratch.slice(0, (this.options.distinct ?? true) ? sortUniqueInPlace(this.scratch, 0, written) : written);
  }
}

/** Sorted, distinct 32-bit hashes of the valid (canonical, by default) k-mers of one sequence (see `distinct`). */
export function kmerHashes(seq: Uint8Array | string, options: KmerOptions): Uint32Array {
  return new KmerHasher(options).hash(seq);
}

function keepAsWritten(_a: Uint32Array, _start: number, end: number): number {
  return end;
}

/**
 * The k-mer hash sets of many sequences, packed (see `PackedSets`). Pure and chunkable: a worker
 * given sequences [a, b) returns exactly the sets a whole run would have produced for them.
 */
export function kmerSets(seqs: readonly (Uint8Array | string)[], options: KmerOptions): PackedSets {
  checkK(options.k);
  let total = 0;
  for (const s of seqs) total += Math.max(0, s.length - options.k + 1);
  const builder = new PackedSetsBuilder(seqs.length, Math.min(total, 1 << 24));
  const finishSet = (options.distinct ?? true) ? sortUniqueInPlace : keepAsWritten;
  for (const s of seqs) {
    const bytes = asBytes(s);
    const { buffer, start } = builder.reserve(Math.max(0, bytes.length - options.k + 1));
    builder.commit(writeKmerHashes(bytes, options, buffer, start), finishSet);
  }
  return builder.finish();
}
