/**
 * Jaro similarity (Jaro 1989) and the Jaro–Winkler variant (Winkler 1990), in [0, 1].
 * Strings compare by code point. Both empty → 1; exactly one empty → 0.
 */
import { MeasureError } from './errors';
import { toSymbols, type SymbolArray, type SymbolSequence } from './sequence';

function jaroOf(sa: SymbolArray, sb: SymbolArray): number {
  const n = sa.length;
  const m = sb.length;
  if (n === 0 && m === 0) return 1;
  if (n === 0 || m === 0) return 0;
  // Symbols match when equal and no farther apart than ⌊max(n, m) / 2⌋ − 1.
  const window = Math.max(0, Math.floor(Math.max(n, m) / 2) - 1);
  const matchedA = new Uint8Array(n);
  const matchedB = new Uint8Array(m);
  let matches = 0;
  for (let i = 0; i < n; i++) {
    const lo = i > window ? i - window : 0;
    const hi = i + window < m - 1 ? i + window : m - 1;
    const c = sa[i];
    for (let j = lo; j <= hi; j++) {
      if (matchedB[j] === 0 && sb[j] === c) {
        matchedA[i] = 1;
        matchedB[j] = 1;
        matches++;
        break;
      }
    }
  }
  if (matches === 0) return 0;
  // Transpositions: half the matched symbols that are out of order.
  let halfT = 0;
  for (let i = 0, j = 0; i < n; i++) {
    if (matchedA[i] === 0) continue;
    while (matchedB[j] === 0) j++;
    if (sa[i] !== sb[j]) halfT++;
    j++;
  }
  return (matches / n + matches / m + (matches - halfT / 2) / matches) / 3;
}

/** Jaro similarity. */
export function jaro(a: SymbolSequence, b: SymbolSequence): number {
  return jaroOf(toSymbols(a), toSymbols(b));
}

export interface JaroWinklerOptions {
  /** Weight p of each common prefix symbol; p · maxPrefix must not exceed 1. Default 0.1. */
  prefixScale?: number;
  /** The prefix boost applies only when the Jaro similarity exceeds this. Default 0.7. */
  boostThreshold?: number;
  /** Longest prefix counted. Default 4. */
  maxPrefix?: number;
}

/**
 * Jaro–Winkler similarity: jaro + ℓ · p · (1 − jaro), where ℓ is the common prefix length (at most
 * maxPrefix), applied only when jaro > boostThreshold.
 */
export function jaroWinkler(a: SymbolSequence, b: SymbolSequence, options: JaroWinklerOptions = {}): number {
  const p = options.prefixScale ?? 0.1;
  const threshold = options.boostThreshold ?? 0.7;
  const maxPrefix = options.maxPrefix ?? 4;
  if (!(maxPrefix >= 0) || !Number.isInteger(maxPrefix)) {
    throw new MeasureError(`jaro-winkler: maxPrefix must be a non-negative integer (got ${maxPrefix})`);
  }
  if (!(p >= 0) || p * maxPrefix > 1) {
    throw new MeasureError(`jaro-winkler: prefixScale must be ≥ 0 and prefixScale · maxPrefix ≤ 1 (got ${p} · ${maxPrefix})`);
  }
  const sa = toSymbols(a);
  const sb = toSymbols(b);
  const j = jaroOf(sa, sb);
  if (!(j > threshold)) return j;
  let l = 0;
  while (l < maxPrefix && l < sa.length && l < sb.length && sa[l] === sb[l]) l++;
  return j + l * p * (1 - j);
}
