/**
 * Edit distances with adjacent transpositions.
 *
 * - damerauOSA: optimal string alignment (restricted edit distance): Levenshtein plus swapping
 *   two adjacent symbols, where no substring is edited more than once. Not a metric (no triangle
 *   inequality): "CA" → "ABC" costs 3, although "CA" → "AC" → "ABC" costs 2.
 * - damerau: the unrestricted Damerau–Levenshtein distance, a metric (Lowrance & Wagner 1975,
 *   "An extension of the string-to-string correction problem"), with the table of the last row
 *   where each symbol was seen.
 *
 * Both are O(n·m) time. Strings compare by code point.
 */
import { toSymbols, type SymbolArray, type SymbolSequence } from './sequence';

/** Optimal string alignment distance, three rolling rows: O(n·m) time, O(m) memory. */
export function damerauOSA(a: SymbolSequence, b: SymbolSequence): number {
  const sa = toSymbols(a);
  const sb = toSymbols(b);
  const n = sa.length;
  const m = sb.length;
  if (n === 0) return m;
  if (m === 0) return n;
  let before = new Int32Array(m + 1); // row i − 2
  let prev = new Int32Array(m + 1); // row i − 1
  let cur = new Int32Array(m + 1); // row i
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    const ca = sa[i - 1];
    const pa = i > 1 ? sa[i - 2] : undefined;
    cur[0] = i;
    let left = i;
    for (let j = 1; j <= m; j++) {
      const cb = sb[j - 1];
      let v = prev[j - 1] + (ca === cb ? 0 : 1);
      const del = prev[j] + 1;
      if (del < v) v = del;
      if (left + 1 < v) v = left + 1;
      if (j > 1 && ca === sb[j - 2] && pa === cb && ca !== cb) {
        const t = before[j - 2] + 1;
        if (t < v) v = t;
      }
      cur[j] = v;
      left = v;
    }
    const r = before;
    before = prev;
    prev = cur;
    cur = r;
  }
  return prev[m];
}

/** Dense indices 0..σ−1 of the symbols of both sequences. */
function denseSymbols(sa: SymbolArray, sb: SymbolArray): { ia: Int32Array; ib: Int32Array; sigma: number } {
  const ids = new Map<number, number>();
  const ia = new Int32Array(sa.length);
  const ib = new Int32Array(sb.length);
  for (let i = 0; i < sa.length; i++) {
    let d = ids.get(sa[i]);
    if (d === undefined) ids.set(sa[i], (d = ids.size));
    ia[i] = d;
  }
  for (let j = 0; j < sb.length; j++) {
    let d = ids.get(sb[j]);
    if (d === undefined) ids.set(sb[j], (d = ids.size));
    ib[j] = d;
  }
  return { ia, ib, sigma: ids.size };
}

/**
 * Unrestricted Damerau–Levenshtein distance (Lowrance–Wagner). The recurrence reaches back to
 * D[k − 1][l − 1], where k is the last row of a holding b[j] and l the last column of b holding
 * a[i]. Instead of the whole (n+2)·(m+2) table, the row before the last occurrence of each
 * symbol is kept: O(n·m) time, O((σ + 2)·m) memory for σ distinct symbols of a.
 */
export function damerau(a: SymbolSequence, b: SymbolSequence): number {
  const sa = toSymbols(a);
  const sb = toSymbols(b);
  const n = sa.length;
  const m = sb.length;
  if (n === 0) return m;
  if (m === 0) return n;
  const { ia, ib, sigma } = denseSymbols(sa, sb);
  const inB = new Uint8Array(sigma);
  for (let j = 0; j < m; j++) inB[ib[j]] = 1;
  const big = n + m;
  // Rows hold m + 2 entries: index 0 is column −1 (always `big`), index j + 1 is column j.
  let prev = new Int32Array(m + 2);
  let cur = new Int32Array(m + 2);
  prev[0] = big;
  for (let j = 0; j <= m; j++) prev[j + 1] = j;
  cur[0] = big;
  /** lastRow[c]: the last row k (1-based) with a[k] = c, 0 when none yet. */
  const lastRow = new Int32Array(sigma);
  /** saved[c]: row lastRow[c] − 1 of the table. */
  const saved: (Int32Array | undefined)[] = new Array<Int32Array | undefined>(sigma);
  for (let i = 1; i <= n; i++) {
    const ca = ia[i - 1];
    cur[1] = i;
    let lastCol = 0; // last column l < j with b[l] = a[i]
    for (let j = 1; j <= m; j++) {
      const cb = ib[j - 1];
      const k = lastRow[cb];
      const l = lastCol;
      let v = prev[j] + 1; // substitution, or a match below
      if (ca === cb) {
        v = prev[j];
        lastCol = j;
      }
      const del = prev[j + 1] + 1;
      if (del < v) v = del;
      const ins = cur[j] + 1;
      if (ins < v) v = ins;
      if (k > 0 && l > 0) {
        // Transpose: delete what lies between, swap, insert what lies between.
        const t = (saved[cb] as Int32Array)[l] + (i - k - 1) + 1 + (j - l - 1);
        if (t < v) v = t;
      }
      cur[j + 1] = v;
    }
    if (inB[ca]) {
      let s = saved[ca];
      if (s === undefined) saved[ca] = s = new Int32Array(m + 2);
      s.set(prev);
      lastRow[ca] = i;
    }
    const r = prev;
    prev = cur;
    cur = r;
    cur[0] = big;
  }
  return prev[m + 1];
}
