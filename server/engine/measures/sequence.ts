/**
 * Symbol sequences: what the string measures (Hamming, Levenshtein, Damerau, Jaro) compare.
 *
 * A string is compared by Unicode code points, so a character beyond the BMP (an emoji, 𝔸) is one
 * symbol, not two UTF-16 units. A lone surrogate counts as one symbol of its own value.
 * Typed arrays and number arrays are compared element by element (numbers by value).
 */
export type SymbolSequence = string | Uint8Array | Int32Array | Uint16Array | readonly number[];

/** A symbol sequence as indexable numbers: strings become code points, the rest is used as is. */
export type SymbolArray = Uint8Array | Int32Array | Uint16Array | readonly number[];

/**
 * Writes the code points of `s` into `out` (which must hold at least `s.length` entries) and
 * returns how many were written.
 */
export function writeCodePoints(s: string, out: Int32Array | number[]): number {
  const n = s.length;
  let w = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out[w++] = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        i++;
        continue;
      }
    }
    out[w++] = c;
  }
  return w;
}

/** True when `s` holds no surrogate, i.e. one UTF-16 unit per code point (the fast path). */
export function isBmpOnly(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return false;
  }
  return true;
}

/** The code points of `s` (a new array). */
export function codePoints(s: string): Int32Array {
  const n = s.length;
  if (isBmpOnly(s)) {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  const tmp = new Int32Array(n);
  return tmp.slice(0, writeCodePoints(s, tmp));
}

/** A sequence as indexable symbols (strings → code points; other inputs returned unchanged). */
export function toSymbols(seq: SymbolSequence): SymbolArray {
  return typeof seq === 'string' ? codePoints(seq) : seq;
}

/** Number of symbols (code points for a string). */
export function symbolLength(seq: SymbolSequence): number {
  if (typeof seq !== 'string') return seq.length;
  let n = seq.length;
  for (let i = 0; i + 1 < seq.length; i++) {
    const c = seq.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = seq.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/**
 * Turns an edit distance into a similarity in [0, 1]: 1 − d / max(lenA, lenB).
 * Both sequences empty → 1 (identical).
 */
export function normalizedSimilarity(distance: number, lenA: number, lenB: number): number {
  const max = lenA > lenB ? lenA : lenB;
  return max === 0 ? 1 : 1 - distance / max;
}
