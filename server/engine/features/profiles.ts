/**
 * Fixed-length profiles of sequences and text, for what needs a vector per record (the UMAP map
 * of a FASTA or text file): the frequencies of the 256 DNA 4-mers (the "tetranucleotide
 * frequency" signature used to bin genomes and amplicons; k-mers with N are skipped), and for text
 * the frequencies of character trigrams hashed into 256 buckets. Both are normalised to sum 1, so
 * length does not dominate the distance.
 */
import { fmix32 } from './hash';

export const PROFILE_DIM = 256;

const BASE_CODE = new Int8Array(256).fill(-1);
for (const [c, v] of [['A', 0], ['C', 1], ['G', 2], ['T', 3], ['a', 0], ['c', 1], ['g', 2], ['t', 3], ['U', 3], ['u', 3]] as const) BASE_CODE[c.charCodeAt(0)] = v;

/** 4-mer frequencies of ASCII DNA into `out[offset … offset + 256)`. */
export function kmerProfile(bases: ArrayLike<number>, out = new Float32Array(PROFILE_DIM), offset = 0): Float32Array {
  let code = 0;
  let valid = 0;
  let total = 0;
  for (let i = 0; i < bases.length; i++) {
    const b = BASE_CODE[(bases[i] as number) & 0xff] as number;
    if (b < 0) {
      valid = 0;
      continue;
    }
    code = ((code << 2) | b) & 0xff;
    if (++valid >= 4) {
      out[offset + code]! += 1;
      total++;
    }
  }
  if (total > 0) for (let j = 0; j < PROFILE_DIM; j++) out[offset + j]! /= total;
  return out;
}

/** Character-trigram frequencies (hashed into 256 buckets) of code points into `out[offset …)`. */
export function trigramProfile(points: ArrayLike<number>, out = new Float32Array(PROFILE_DIM), offset = 0): Float32Array {
  let total = 0;
  for (let i = 0; i + 2 < points.length; i++) {
    const h = fmix32(Math.imul(points[i] as number, 0x9e3779b1) ^ Math.imul(points[i + 1] as number, 0x85ebca6b) ^ Math.imul(points[i + 2] as number, 0xc2b2ae35));
    out[offset + (h & 0xff)]! += 1;
    total++;
  }
  if (total > 0) for (let j = 0; j < PROFILE_DIM; j++) out[offset + j]! /= total;
  return out;
}
