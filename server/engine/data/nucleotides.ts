/**
 * Residue alphabets, and the k-mer helper a featuriser (MinHash, k-mer profiles) should use.
 *
 * Decision — "runs of N do not make sequences look alike": readers KEEP ambiguity codes (N and
 * the other IUPAC codes) in `SequenceRecord.sequence`, so positions and lengths stay those of the
 * file; `forEachKmer` skips every k-mer that contains anything but A, C, G, T (or U, read as T).
 * Two sequences that share only a run of N therefore share no k-mer. Edit distances see the N as
 * a letter like any other (one mismatch per N), which is what the study's identity threshold means.
 */
import type { SequenceAlphabet } from './records';

/** The IUPAC nucleotide codes a nucleotide record may hold (after uppercasing). */
export const IUPAC_NUCLEOTIDES = 'ACGTUNRYSWKMBDHV';

/** 1 for a byte that is an (uppercase) IUPAC nucleotide code, else 0. */
export const IS_NUCLEOTIDE: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const ch of IUPAC_NUCLEOTIDES) t[ch.charCodeAt(0)] = 1;
  return t;
})();

/** 2-bit code of a base: A 0, C 1, G 2, T and U 3 (either case); every other byte -1. */
export const BASE_CODE: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  const set = (chars: string, code: number): void => {
    for (const ch of chars) {
      t[ch.charCodeAt(0)] = code;
      t[ch.toLowerCase().charCodeAt(0)] = code;
    }
  };
  set('A', 0);
  set('C', 1);
  set('G', 2);
  set('TU', 3);
  return t;
})();

/** 'nucleotide' when every byte is an IUPAC nucleotide code (uppercase), else 'protein'. */
export function alphabetOf(sequence: Uint8Array): SequenceAlphabet {
  for (let i = 0; i < sequence.length; i++) if (IS_NUCLEOTIDE[sequence[i]!] === 0) return 'protein';
  return 'nucleotide';
}

/** The longest k for which a k-mer fits in one 32-bit code. */
export const MAX_PACKED_K = 16;

export interface KmerOptions {
  /** Report min(k-mer, reverse complement) so both strands give the same code. Default false. */
  canonical?: boolean;
}

/**
 * Calls `visit(code, position)` for every k-mer of `sequence` made only of A, C, G, T/U, in order,
 * where `code` packs the k-mer 2 bits a base, first base highest (an unsigned 32-bit integer, so
 * k ≤ 16) and `position` is its 0-based start. Windows holding N or any other byte are skipped.
 */
export function forEachKmer(
  sequence: Uint8Array,
  k: number,
  visit: (code: number, position: number) => void,
  options: KmerOptions = {},
): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_PACKED_K) throw new RangeError(`k must be an integer in 1..${MAX_PACKED_K}, got ${k}`);
  const mask = k === 16 ? 0xffffffff : (1 << (2 * k)) - 1;
  const topShift = 2 * (k - 1);
  const canonical = options.canonical === true;
  let forward = 0;
  let reverse = 0;
  let run = 0;
  for (let i = 0; i < sequence.length; i++) {
    const c = BASE_CODE[sequence[i]!]!;
    if (c < 0) {
      run = 0;
      forward = 0;
      reverse = 0;
      continue;
    }
    forward = (((forward << 2) | c) & mask) >>> 0;
    if (canonical) reverse = ((reverse >>> 2) | ((3 - c) << topShift)) >>> 0;
    if (++run >= k) {
      const code = canonical && reverse < forward ? reverse : forward;
      visit(code, i - k + 1);
    }
  }
}

/** The packed code of a k-mer written as text (A/C/G/T/U, either case), or -1 if it holds another letter. */
export function kmerCode(kmer: string): number {
  if (kmer.length < 1 || kmer.length > MAX_PACKED_K) throw new RangeError(`k-mer length must be in 1..${MAX_PACKED_K}`);
  let code = 0;
  for (let i = 0; i < kmer.length; i++) {
    const c = kmer.charCodeAt(i);
    const b = c < 256 ? BASE_CODE[c]! : -1;
    if (b < 0) return -1;
    code = ((code << 2) | b) >>> 0;
  }
  return code;
}
