/**
 * Residue alphabets.
 *
 * Decision — "runs of N do not make sequences look alike": readers KEEP ambiguity codes (N and
 * the other IUPAC codes) in `SequenceRecord.sequence`, so positions and lengths stay those of the
 * file; the k-mer featuriser (engine/features/kmers.ts) skips every k-mer that contains anything
 * but A, C, G, T (or U, read as T).
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

/** 'nucleotide' when every byte is an IUPAC nucleotide code (uppercase), else 'protein'. */
export function alphabetOf(sequence: Uint8Array): SequenceAlphabet {
  for (let i = 0; i < sequence.length; i++) if (IS_NUCLEOTIDE[sequence[i]!] === 0) return 'protein';
  return 'nucleotide';
}
