/** Shared fast-check inputs for the measure tests. */
import fc from 'fast-check';

export const DNA = fc.constantFrom('A', 'C', 'G', 'T');
/** A small alphabet with characters beyond the BMP, so distances are interesting. */
export const ASTRAL = fc.constantFrom('a', 'b', 'é', '😀', '𝔸', '中');

/** Strings spread over the whole length range (fast-check otherwise keeps them small). */
export function str(unit: fc.Arbitrary<string> | 'binary', minLength: number, maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit, minLength, maxLength, size: 'max' });
}

/** Finite doubles of moderate size (no overflow in squares). */
export const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });

/** Two vectors of the same length. */
export function vectorPair(value: fc.Arbitrary<number> = finite, maxLength = 40): fc.Arbitrary<[number[], number[]]> {
  return fc
    .integer({ min: 0, max: maxLength })
    .chain((n) => fc.tuple(fc.array(value, { minLength: n, maxLength: n }), fc.array(value, { minLength: n, maxLength: n })));
}

/** Relative closeness for floating-point results. */
export function close(actual: number, expected: number, rel = 1e-9, abs = 1e-9): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  return Math.abs(actual - expected) <= Math.max(abs, rel * Math.max(Math.abs(actual), Math.abs(expected)));
}
