/**
 * DNA → one-hot rows for the Conv1D encoder: a sequence becomes a [length, 4] matrix, channels
 * A, C, G, T in that order, at one fixed length for the whole dataset.
 *
 * The fixed-length rule: the FIRST `length` bases are kept (a longer sequence is cropped at its
 * end) and a shorter one is padded at its end with all-zero rows. Keeping the start keeps
 * sequences aligned the way amplicons and full-length genes are (they begin at the same primer
 * or gene position), and the encoder's global max pool over positions makes the padding inert.
 * Bases: A C G T (and U, read as T) are one-hot; IUPAC ambiguity codes spread their weight over
 * the bases they stand for (R = A/G → 0.5, 0.5; N → 0.25 each); anything else (a gap, a protein
 * letter) is an all-zero row. Lower case reads as upper case.
 * `defaultOneHotLength` picks the length when none is given: the longest sequence, rounded up to
 * a multiple of 8, at most 4,096.
 */
import type { TrainingInputs } from './training';

export const ONE_HOT_CHANNELS = 4;
export const MAX_DEFAULT_ONE_HOT_LENGTH = 4096;

/** Per byte (ASCII), its 4 channel weights; all zero for a byte that is no nucleotide code. */
const CODE_WEIGHTS: Float32Array = (() => {
  const table = new Float32Array(256 * ONE_HOT_CHANNELS);
  const bases: Record<string, string> = { A: 'A', C: 'C', G: 'G', T: 'T', U: 'T', R: 'AG', Y: 'CT', S: 'CG', W: 'AT', K: 'GT', M: 'AC', B: 'CGT', D: 'AGT', H: 'ACT', V: 'ACG', N: 'ACGT' };
  for (const [code, set] of Object.entries(bases)) {
    for (const ch of [code, code.toLowerCase()]) {
      for (const b of set) table[ch.charCodeAt(0) * ONE_HOT_CHANNELS + 'ACGT'.indexOf(b)] = 1 / set.length;
    }
  }
  return table;
})();

/** Writes the one-hot rows of `sequence` (ASCII bytes) at `length` into `out` (length × 4 values, from `offset`). */
export function oneHotInto(sequence: Uint8Array, length: number, out: Float32Array, offset = 0): void {
  const kept = Math.min(sequence.length, length);
  out.fill(0, offset, offset + length * ONE_HOT_CHANNELS);
  for (let i = 0; i < kept; i++) {
    const base = sequence[i]! * ONE_HOT_CHANNELS;
    const o = offset + i * ONE_HOT_CHANNELS;
    out[o] = CODE_WEIGHTS[base]!;
    out[o + 1] = CODE_WEIGHTS[base + 1]!;
    out[o + 2] = CODE_WEIGHTS[base + 2]!;
    out[o + 3] = CODE_WEIGHTS[base + 3]!;
  }
}

/** One sequence as a new [length, 4] row-major matrix. */
export function oneHot(sequence: Uint8Array | string, length: number): Float32Array {
  checkLength(length);
  const bytes = typeof sequence === 'string' ? Uint8Array.from(sequence, (c) => c.charCodeAt(0) & 0xff) : sequence;
  const out = new Float32Array(length * ONE_HOT_CHANNELS);
  oneHotInto(bytes, length, out);
  return out;
}

function checkLength(length: number): void {
  if (!(Number.isInteger(length) && length > 0)) throw new Error(`one-hot length: ${length} must be a positive integer`);
}

/** The longest of `lengths`, rounded up to a multiple of 8, at most MAX_DEFAULT_ONE_HOT_LENGTH (at least 8). */
export function defaultOneHotLength(lengths: Iterable<number>): number {
  let longest = 0;
  for (const l of lengths) if (l > longest) longest = l;
  return Math.min(MAX_DEFAULT_ONE_HOT_LENGTH, Math.max(8, Math.ceil(longest / 8) * 8));
}

/**
 * Training inputs that one-hot each sequence when a batch asks for it (a dataset one-hot in full
 * would take 16 bytes per base: 50,000 × 1.5 kb is 1.2 GB). `sequenceAt(i)` returns record i's bytes.
 */
export function oneHotInputs(count: number, sequenceAt: (i: number) => Uint8Array, length: number): TrainingInputs {
  checkLength(length);
  const size = length * ONE_HOT_CHANNELS;
  return {
    count,
    inputShape: [length, ONE_HOT_CHANNELS],
    rows(indices) {
      const out = new Float32Array(indices.length * size);
      for (let r = 0; r < indices.length; r++) {
        const i = indices[r]!;
        if (!(i >= 0 && i < count)) throw new Error(`index ${i} out of range (${count} sequences)`);
        oneHotInto(sequenceAt(i), length, out, r * size);
      }
      return out;
    },
  };
}
