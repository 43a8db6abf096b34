// Seeded randomness for the feature, index and cluster tests (mulberry32; deterministic runs).

import type { RandomSource } from '../../../server/engine/random';

export type Rng = RandomSource;

/** Uniform in [0, 1): the engine's own generator, so tests and engine draw the same sequences. */
export { mulberry32 } from '../../../server/engine/random';

export function randomInt(rng: Rng, lo: number, hiExclusive: number): number {
  return lo + Math.floor(rng() * (hiExclusive - lo));
}

/** Standard normal (Box–Muller). */
export function gaussian(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** `count` distinct random 32-bit values. */
export function distinctUint32(rng: Rng, count: number): Uint32Array {
  const seen = new Set<number>();
  const out = new Uint32Array(count);
  let w = 0;
  while (w < count) {
    const v = Math.floor(rng() * 4294967296) >>> 0;
    if (seen.has(v)) continue;
    seen.add(v);
    out[w++] = v;
  }
  return out;
}

export function randomDna(rng: Rng, length: number, alphabet = 'ACGT'): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(rng() * alphabet.length)];
  return s;
}
