/** Hamming distance: the number of positions at which two equal-length sequences differ. */
import { MeasureError } from './errors';
import { isBmpOnly, toSymbols, type SymbolSequence } from './sequence';

/**
 * Hamming distance between two sequences of the same length (strings by code point, so
 * "𝔸b" and "ab" have length 2 and distance 1). Different lengths → MeasureError.
 */
export function hamming(a: SymbolSequence, b: SymbolSequence): number {
  if (typeof a === 'string' && typeof b === 'string' && isBmpOnly(a) && isBmpOnly(b)) {
    // Fast path: one UTF-16 unit per symbol, no conversion.
    if (a.length !== b.length) throw lengthError(a.length, b.length);
    let d = 0;
    for (let i = 0; i < a.length; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) d++;
    return d;
  }
  const sa = toSymbols(a);
  const sb = toSymbols(b);
  if (sa.length !== sb.length) throw lengthError(sa.length, sb.length);
  let d = 0;
  for (let i = 0; i < sa.length; i++) if (sa[i] !== sb[i]) d++;
  return d;
}

function lengthError(la: number, lb: number): MeasureError {
  return new MeasureError(`hamming: sequences have different lengths (${la} and ${lb})`);
}
