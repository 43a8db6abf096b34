/**
 * Levenshtein distance, bit-parallel.
 *
 * - Myers' bit-vector algorithm (Myers 1999, "A fast bit-vector algorithm for approximate string
 *   matching based on dynamic programming") in Hyyrö's block formulation (Hyyrö 2003, "A
 *   bit-vector algorithm for computing Levenshtein and Damerau edit distances"): the shorter
 *   sequence is the pattern, cut in 32-bit words (blocks); each text symbol advances one DP
 *   column. Two columns are computed together, skewed by one block, so their carry chains are
 *   independent and the CPU overlaps them.
 * - Ukkonen's band (Ukkonen 1985, "Algorithms for approximate string matching"): when the answer
 *   is known to be ≤ k only the diagonals a path of cost ≤ k can use are computed, as whole
 *   blocks (the block-wise cutoff of Myers 1999 and Hyyrö's banded variants, Hyyrö 2004), with an
 *   early stop once the score on the final diagonal exceeds k. `levenshteinWithin` is this; the
 *   full `levenshtein` uses it twice on long inputs (see there).
 *
 * Symbols are first mapped to dense indices 1..σ (0 = "not in the pattern"), so the match table
 * Peq is σ+1 rows of W words; bytes (DNA, ASCII and Latin-1 strings) go through a 256-entry map.
 * Numbers compare as Map keys do (SameValueZero). Every buffer is module-level scratch that grows
 * on demand: a call allocates nothing in steady state. Each worker thread has its own module.
 */
import { MeasureError } from './errors';
import type { SymbolSequence } from './sequence';

// ---------------------------------------------------------------------------------------------
// Scratch buffers (grown on demand, never shrunk).

let bytesA = new Uint8Array(256);
let bytesB = new Uint8Array(256);
let wideA = new Int32Array(256);
let wideB = new Int32Array(256);
/** Dense symbol indices of the pattern (shorter input) and the text. */
let pat = new Int32Array(256);
let txt = new Int32Array(256);
/** Match table: peq[sym * W + block] has bit r set when pattern[32 * block + r] === sym. */
let peq = new Int32Array(1024);
/** Vertical delta vectors of each block: +1 bits and −1 bits. */
let vp = new Int32Array(64);
let vn = new Int32Array(64);

/** Byte → dense index (0 = absent); cleared after every call. */
const byteMap = new Int32Array(256);
const byteSeen = new Int32Array(257);
/** Any other symbol → dense index; cleared after every call. */
const symMap = new Map<number, number>();

function grow(buf: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  return buf.length >= n ? buf : new Int32Array(Math.max(n, buf.length * 2));
}
function growBytes(buf: Uint8Array<ArrayBuffer>, n: number): Uint8Array<ArrayBuffer> {
  return buf.length >= n ? buf : new Uint8Array(Math.max(n, buf.length * 2));
}

// ---------------------------------------------------------------------------------------------
// Input preparation: raw symbols → dense indices, common prefix/suffix stripped.

type Raw = Uint8Array | Int32Array | Uint16Array | readonly number[];

let loadedLen = 0;

/** Strings become bytes (all code units < 256) or code points, in scratch; others pass through. */
function load(s: SymbolSequence, second: boolean): Raw {
  if (typeof s !== 'string') {
    loadedLen = s.length;
    return s;
  }
  const n = s.length;
  let narrow = true;
  let bmp = true;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 256) {
      narrow = false;
      if (c >= 0xd800 && c <= 0xdfff) {
        bmp = false;
        break;
      }
    }
  }
  loadedLen = n;
  if (narrow) {
    let out = second ? bytesB : bytesA;
    if (out.length < n) {
      out = growBytes(out, n);
      if (second) bytesB = out;
      else bytesA = out;
    }
    for (let i = 0; i < n; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  let out = second ? wideB : wideA;
  if (out.length < n) {
    out = grow(out, n);
    if (second) wideB = out;
    else wideA = out;
  }
  if (bmp) {
    for (let i = 0; i < n; i++) out[i] = s.charCodeAt(i);
    return out;
  }
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
  loadedLen = w;
  return out;
}

/** Results of `prepare`: the stripped pattern pat[pOff, pOff + pLen) and text txt[tOff, tOff + tLen). */
let pOff = 0;
let pLen = 0;
let tOff = 0;
let tLen = 0;
/** Number of distinct pattern symbols (dense indices 1..sigma). */
let sigma = 0;

function mapBytes(p: Uint8Array, m: number, t: Uint8Array, n: number): void {
  // Module-level buffers are read into locals: a hot loop over a module \`let\` re-loads it (with
  // its initialisation check) at every access.
  const map = byteMap;
  const pOut = pat;
  const tOut = txt;
  let s = 0;
  for (let i = 0; i < m; i++) {
    const c = p[i];
    let d = map[c];
    if (d === 0) {
      d = ++s;
      map[c] = d;
      byteSeen[d] = c;
    }
    pOut[i] = d;
  }
  for (let j = 0; j < n; j++) tOut[j] = map[t[j]];
  for (let d = 1; d <= s; d++) map[byteSeen[d]] = 0;
  sigma = s;
}

function mapGeneric(p: Raw, m: number, t: Raw, n: number): void {
  let s = 0;
  for (let i = 0; i < m; i++) {
    const c = p[i];
    let d = symMap.get(c);
    if (d === undefined) {
      d = ++s;
      symMap.set(c, d);
    }
    pat[i] = d;
  }
  for (let j = 0; j < n; j++) txt[j] = symMap.get(t[j]) ?? 0;
  symMap.clear();
  sigma = s;
}

/** Loads both inputs, makes the shorter one the pattern, maps symbols, strips common ends. */
function prepare(a: SymbolSequence, b: SymbolSequence): void {
  let ra = load(a, false);
  let la = loadedLen;
  let rb = load(b, true);
  let lb = loadedLen;
  if (la > lb) {
    const r = ra;
    ra = rb;
    rb = r;
    const l = la;
    la = lb;
    lb = l;
  }
  if (pat.length < la) pat = grow(pat, la);
  if (txt.length < lb) txt = grow(txt, lb);
  if (ra instanceof Uint8Array && rb instanceof Uint8Array) mapBytes(ra, la, rb, lb);
  else mapGeneric(ra, la, rb, lb);
  // Common prefix and suffix never change the distance; dropping them shrinks the matrix.
  const p = pat;
  const t = txt;
  let start = 0;
  while (start < la && p[start] === t[start]) start++;
  let endP = la;
  let endT = lb;
  while (endP > start && p[endP - 1] === t[endT - 1]) {
    endP--;
    endT--;
  }
  pOff = start;
  pLen = endP - start;
  tOff = start;
  tLen = endT - start;
}

/** Fills peq for the prepared pattern with W words per symbol. */
function buildPeq(w: number): void {
  const size = (sigma + 1) * w;
  if (peq.length < size) peq = grow(peq, size);
  const eqs = peq;
  const p = pat;
  eqs.fill(0, 0, size);
  const end = pOff + pLen;
  for (let i = pOff; i < end; i++) {
    const r = i - pOff;
    eqs[p[i] * w + (r >>> 5)] |= 1 << (r & 31);
  }
}

// ---------------------------------------------------------------------------------------------
// Kernels. Myers' step for one 32-row block, given Eq (pattern rows matching the text symbol),
// the vertical deltas (pv: +1 rows, mv: −1 rows) and the horizontal delta entering at the top
// (hp / hm bits):  xv = eq | mv;  eq |= hm;  xh = (((eq & pv) + pv) ^ pv) | eq;
// ph = mv | ~(xh | pv);  mh = pv & xh;  out = top bits of ph / mh;  ph = ph << 1 | hp;
// mh = mh << 1 | hm;  pv' = mh | ~(xv | ph);  mv' = ph & xv.
// The hot loops live in small functions that every call runs end to end, so V8 optimizes them
// whole instead of entering a half-profiled function through on-stack replacement on every call.

/** One-word Myers over the whole text: pattern length m ≤ 32. */
function myers32(m: number, n: number): number {
  const eqs = peq;
  const text = txt;
  const last = m - 1;
  let pv = -1;
  let mv = 0;
  let score = m;
  const end = tOff + n;
  for (let j = tOff; j < end; j++) {
    const eq = eqs[text[j]];
    const xv = eq | mv;
    const xh = (((eq & pv) + pv) ^ pv) | eq;
    let ph = mv | ~(xh | pv);
    let mh = pv & xh;
    score += ((ph >>> last) & 1) - ((mh >>> last) & 1);
    ph = (ph << 1) | 1;
    mh <<= 1;
    pv = mh | ~(xv | ph);
    mv = ph & xv;
  }
  return score;
}

/**
 * Advances two DP columns A and B over blocks first..last (last > first); returns the total
 * change of the score at bit `lastBit` of block `last`. The first block gets +1 from above (row 0
 * grows by one per column; inside a band, the virtual top does too). B runs one block behind A:
 * step b does (A, b) and (B, b − 1), whose carry chains are independent so the CPU overlaps them,
 * and B takes A's new state of block b − 1 from registers instead of memory.
 */
function columnPair(baseA: number, baseB: number, first: number, last: number, lastBit: number): number {
  const eqs = peq;
  const pvs = vp;
  const mvs = vn;
  let score = 0;
  // Column A, first block.
  let pa: number;
  let ma: number;
  let hpA: number;
  let hmA: number;
  {
    const eq = eqs[baseA + first];
    const pv = pvs[first];
    const mv = mvs[first];
    const xv = eq | mv;
    const xh = (((eq & pv) + pv) ^ pv) | eq;
    let ph = mv | ~(xh | pv);
    let mh = pv & xh;
    hpA = ph >>> 31;
    hmA = mh >>> 31;
    ph = (ph << 1) | 1;
    mh <<= 1;
    pa = mh | ~(xv | ph);
    ma = ph & xv;
  }
  let hpB = 1;
  let hmB = 0;
  for (let b = first + 1; b < last; b++) {
    // Column A, block b.
    let eqA = eqs[baseA + b];
    const pvA = pvs[b];
    const mvA = mvs[b];
    const xvA = eqA | mvA;
    eqA |= hmA;
    const xhA = (((eqA & pvA) + pvA) ^ pvA) | eqA;
    let phA = mvA | ~(xhA | pvA);
    let mhA = pvA & xhA;
    const hpoA = phA >>> 31;
    const hmoA = mhA >>> 31;
    phA = (phA << 1) | hpA;
    mhA = (mhA << 1) | hmA;
    hpA = hpoA;
    hmA = hmoA;
    // Column B, block b − 1, from A's fresh state of that block.
    let eqB = eqs[baseB + b - 1];
    const xvB = eqB | ma;
    eqB |= hmB;
    const xhB = (((eqB & pa) + pa) ^ pa) | eqB;
    let phB = ma | ~(xhB | pa);
    let mhB = pa & xhB;
    const hpoB = phB >>> 31;
    const hmoB = mhB >>> 31;
    phB = (phB << 1) | hpB;
    mhB = (mhB << 1) | hmB;
    pvs[b - 1] = mhB | ~(xvB | phB);
    mvs[b - 1] = phB & xvB;
    hpB = hpoB;
    hmB = hmoB;
    pa = mhA | ~(xvA | phA);
    ma = phA & xvA;
  }
  {
    // Column A, last block (scored); column B, block last − 1.
    let eqA = eqs[baseA + last];
    const pvA = pvs[last];
    const mvA = mvs[last];
    const xvA = eqA | mvA;
    eqA |= hmA;
    const xhA = (((eqA & pvA) + pvA) ^ pvA) | eqA;
    let phA = mvA | ~(xhA | pvA);
    let mhA = pvA & xhA;
    score += ((phA >>> lastBit) & 1) - ((mhA >>> lastBit) & 1);
    phA = (phA << 1) | hpA;
    mhA = (mhA << 1) | hmA;
    let eqB = eqs[baseB + last - 1];
    const xvB = eqB | ma;
    eqB |= hmB;
    const xhB = (((eqB & pa) + pa) ^ pa) | eqB;
    let phB = ma | ~(xhB | pa);
    let mhB = pa & xhB;
    const hpoB = phB >>> 31;
    const hmoB = mhB >>> 31;
    phB = (phB << 1) | hpB;
    mhB = (mhB << 1) | hmB;
    pvs[last - 1] = mhB | ~(xvB | phB);
    mvs[last - 1] = phB & xvB;
    hpB = hpoB;
    hmB = hmoB;
    pa = mhA | ~(xvA | phA);
    ma = phA & xvA;
  }
  {
    // Column B, last block (scored).
    let eqB = eqs[baseB + last];
    const xvB = eqB | ma;
    eqB |= hmB;
    const xhB = (((eqB & pa) + pa) ^ pa) | eqB;
    let phB = ma | ~(xhB | pa);
    let mhB = pa & xhB;
    score += ((phB >>> lastBit) & 1) - ((mhB >>> lastBit) & 1);
    phB = (phB << 1) | hpB;
    mhB = (mhB << 1) | hmB;
    pvs[last] = mhB | ~(xvB | phB);
    mvs[last] = phB & xvB;
  }
  return score;
}

/** Advances one DP column over blocks first..last; returns the change at bit `lastBit` of `last`. */
function column(base: number, first: number, last: number, lastBit: number): number {
  const eqs = peq;
  const pvs = vp;
  const mvs = vn;
  let hp = 1;
  let hm = 0;
  let score = 0;
  for (let b = first; b <= last; b++) {
    let eq = eqs[base + b];
    const pv = pvs[b];
    const mv = mvs[b];
    const xv = eq | mv;
    eq |= hm;
    const xh = (((eq & pv) + pv) ^ pv) | eq;
    let ph = mv | ~(xh | pv);
    let mh = pv & xh;
    if (b === last) score = ((ph >>> lastBit) & 1) - ((mh >>> lastBit) & 1);
    const hpo = ph >>> 31;
    const hmo = mh >>> 31;
    ph = (ph << 1) | hp;
    mh = (mh << 1) | hm;
    pvs[b] = mh | ~(xv | ph);
    mvs[b] = ph & xv;
    hp = hpo;
    hm = hmo;
  }
  return score;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Σ of the vertical deltas of rows lo+1..hi (bits lo..hi−1) in the current column. */
function verticalSum(lo: number, hi: number): number {
  let sum = 0;
  for (let bit = lo; bit < hi; ) {
    const b = bit >>> 5;
    const from = bit & 31;
    const to = hi - (b << 5) < 32 ? hi - (b << 5) : 32;
    const mask = (to === 32 ? -1 : ~(-1 << to)) & (-1 << from); // bits from..to−1, in int32 range
    sum += popcount(vp[b] & mask) - popcount(vn[b] & mask);
    bit = (b << 5) + to;
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------
// Drivers.

function ensureBlocks(w: number): void {
  if (vp.length < w) {
    vp = grow(vp, w);
    vn = grow(vn, w);
  }
}

/** Exact distance over the whole matrix. */
function fullDistance(): number {
  const m = pLen;
  const n = tLen;
  if (m === 0) return n;
  const w = (m + 31) >>> 5;
  buildPeq(w);
  if (w === 1) return myers32(m, n);
  ensureBlocks(w);
  vp.fill(-1, 0, w);
  vn.fill(0, 0, w);
  const lastBit = (m - 1) & 31;
  const text = txt;
  let score = m;
  const end = tOff + n - 1;
  let j = tOff;
  for (; j < end; j += 2) score += columnPair(text[j] * w, text[j + 1] * w, 0, w - 1, lastBit);
  if (j === end) score += column(text[j] * w, 0, w - 1, lastBit);
  return score;
}

/** How many columns pass between two early-stop checks of the banded computation. */
const CHECK_EVERY = 8;

/**
 * Banded Myers for pattern length m ≥ 1, text length n ≥ m, n − m ≤ k. Only the diagonals
 * t = j − i ∈ [−L, δ + L] (δ = n − m, L = ⌊(k − δ)/2⌋) can hold a path of cost ≤ k: a cell on
 * diagonal t costs at least |t| to reach and |δ − t| to leave (Ukkonen 1985). Column j computes
 * just the blocks covering rows [j − δ − L, j + L] (for a pair of columns, the union). Rows above
 * the band count as growing by one per column and rows not yet reached as one more per row: both
 * are costs of real paths, so every computed value C ≥ D, and C = D on every cell whose optimal
 * path stays in the band; in particular C(m, n) = D(m, n) whenever D(m, n) ≤ k, and C(m, n) is
 * always an upper bound of D(m, n).
 *
 * Early stop (`earlyStop`): a path to (m, n) of cost ≤ k can be bent into a path of no greater
 * cost, inside the band, to any cell of diagonal δ before it (leave it where it first reaches that
 * cell's row or column and go straight; the part cut off cost at least as much). So C on diagonal
 * δ exceeding k proves D(m, n) > k. It is checked every CHECK_EVERY columns.
 * Returns C(m, n), or −1 when stopped early.
 */
function bandedScore(k: number, earlyStop: boolean): number {
  const m = pLen;
  const n = tLen;
  const delta = n - m;
  const half = (k - delta) >> 1;
  const w = (m + 31) >>> 5;
  buildPeq(w);
  ensureBlocks(w);
  const text = txt;
  const lastW = w - 1;
  let first = 0;
  let last = -1;
  let lastBit = 31;
  let bottomRow = 0;
  let score = 0; // C(bottomRow, current column); row 0 while no block is active
  let nextCheck = delta > CHECK_EVERY ? delta : CHECK_EVERY;
  let j = 1; // next column to compute (columns are 1..n, text symbol j − 1)
  while (j <= n) {
    const pair = j < n;
    const top = j - delta - half;
    if (top > 1) first = (top - 1) >>> 5;
    const reach = j + (pair ? 1 : 0) + half;
    const want = ((reach < m ? reach : m) - 1) >> 5;
    while (last < want) {
      // A block entering the band starts as "one more per row" below the previous bottom.
      last++;
      vp[last] = -1;
      vn[last] = 0;
      const rows = last === lastW ? m - 32 * last : 32;
      score += rows;
      bottomRow += rows;
      lastBit = last === lastW ? (m - 1) & 31 : 31;
    }
    const base = text[tOff + j - 1] * w;
    if (pair && last > first) {
      score += columnPair(base, text[tOff + j] * w, first, last, lastBit);
      j += 2;
    } else {
      score += column(base, first, last, lastBit);
      j += 1;
    }
    if (earlyStop && j > nextCheck) {
      // C on diagonal δ at the last computed column c = j − 1: row c − δ.
      const c = j - 1;
      if (score - verticalSum(c - delta, bottomRow) > k) return -1;
      nextCheck = c + CHECK_EVERY;
    }
  }
  return score;
}

/**
 * Banded Myers in one word that follows the band down its diagonals (the diagonal-wise
 * formulation of Hyyrö 2003, section 4), for a band of W = δ + 2L + 1 ≤ 32 diagonals
 * (δ = n − m ≤ k, L = ⌊(k − δ)/2⌋, the same band as `bandedScore`). Bit r is diagonal δ + L − r
 * in every column, i.e. row j − δ − L + r of column j: from one column to the next the vertical
 * deltas shift down one bit, the bottom bit enters as +1 ("one more per row", as in
 * `bandedScore`), the top takes +1 from above, and the match bits are a 32-bit window of the
 * pattern's Peq row. One word step per text symbol instead of one per block and column: the
 * typical clustering check (≈ 400 bases, k ≈ 12) has a 13-diagonal band.
 *
 * Rows above row 0 are virtual, with D[i][j] = j − i (consistent with the recurrence when they
 * match nothing), so the first columns need no special case: at column 0 the band's rows ≤ 0
 * have vertical delta −1 and the rest +1, and the score on diagonal δ starts at D[−δ][0] = δ.
 * Diagonal δ is bit L; along it D[i][j] − D[i−1][j−1] = Δh[i−1][j] + Δv[i][j]. Early stop: the
 * value on diagonal δ only grows, and exceeding k there proves D(m, n) > k (see `bandedScore`).
 *
 * `eqs` holds the pattern's match bits, row `symbol · stride` (stride ≥ words + 1: the window's
 * second read may touch one zero word past the pattern); `text[from, from + n)` are the symbols.
 * Returns C(m, n), or −1 when stopped early.
 */
function diagonalBand(eqs: Int32Array, stride: number, text: Uint8Array | Int32Array, from: number, m: number, n: number, k: number): number {
  const delta = n - m;
  const half = (k - delta) >> 1;
  const width = delta + 2 * half + 1; // ≤ 32
  const bottom = 1 << (width - 1);
  const keep = width === 32 ? -1 : (1 << width) - 1; // bits 0..width − 1
  // Column 0: rows −δ − L + r; rows ≤ 0 (r ≤ δ + L) are virtual (−1), the others +1.
  const virtualRows = delta + half + 1;
  let mv = (virtualRows >= 32 ? -1 : (1 << virtualRows) - 1) & keep;
  let pv = ~mv & keep;
  let score = delta;
  const diag = half; // the bit of diagonal δ
  // Pattern index (0-based) of bit 0's row in column j is j − δ − L − 1.
  let x = -delta - half;
  const end = from + n;
  for (let j = from; j < end; j++, x++) {
    // Match bits of rows x + 1 … x + width against text symbol j.
    const base = text[j] * stride;
    let eq: number;
    if (x >= 0) {
      const word = base + (x >>> 5);
      const shift = x & 31;
      eq = shift === 0 ? eqs[word] : (eqs[word] >>> shift) | (eqs[word + 1] << (32 - shift));
    } else eq = x > -32 ? eqs[base] << -x : 0;
    // Shift the band down one row: the new bottom row enters with +1.
    pv = (pv >>> 1) | bottom;
    mv = (mv >>> 1) & ~bottom;
    const xv = eq | mv;
    const xh = (((eq & pv) + pv) ^ pv) | eq;
    let ph = mv | ~(xh | pv);
    let mh = pv & xh;
    ph = (ph << 1) | 1;
    mh <<= 1;
    pv = mh | ~(xv | ph);
    mv = ph & xv;
    score += ((ph >>> diag) & 1) - ((mh >>> diag) & 1) + ((pv >>> diag) & 1) - ((mv >>> diag) & 1);
    if (score > k) return -1;
  }
  return score;
}

/** True when the band of `bandedScore` for these lengths and bound has at most 32 diagonals. */
function bandFitsWord(m: number, n: number, k: number): boolean {
  return n - m + 2 * ((k - (n - m)) >> 1) < 32;
}

/** `diagonalBand` on the prepared (mapped, stripped) inputs. */
function diagonalBandScore(k: number): number {
  const stride = ((pLen + 31) >>> 5) + 1;
  buildPeq(stride);
  return diagonalBand(peq, stride, txt, tOff, pLen, tLen, k);
}

/**
 * Match bits indexed by the byte itself (row byte · stride), for byte inputs: no symbol
 * mapping of either sequence. All zero between calls (a call clears the bits it set).
 */
let bytePeq = new Int32Array(256 * 16);

/**
 * levenshteinWithin for two byte arrays whose band fits one word (n − m ≤ k checked by the
 * caller): common ends stripped on the raw bytes, then `diagonalBand` straight on the text bytes.
 */
function bytesWithinOneWord(a: Uint8Array, b: Uint8Array, k: number): number {
  let p = a;
  let t = b;
  if (p.length > t.length) {
    p = b;
    t = a;
  }
  let endP = p.length;
  let endT = t.length;
  let start = 0;
  while (start < endP && p[start] === t[start]) start++;
  while (endP > start && p[endP - 1] === t[endT - 1]) {
    endP--;
    endT--;
  }
  const m = endP - start;
  const n = endT - start;
  if (m === 0) return n; // n = the length difference ≤ k
  const stride = ((m + 31) >>> 5) + 1;
  if (bytePeq.length < 256 * stride) bytePeq = new Int32Array(256 * stride);
  const eqs = bytePeq;
  for (let i = 0; i < m; i++) eqs[p[start + i] * stride + (i >>> 5)] |= 1 << (i & 31);
  const s = diagonalBand(eqs, stride, t, start, m, n, k);
  for (let i = 0; i < m; i++) eqs[p[start + i] * stride + (i >>> 5)] = 0;
  return s >= 0 && s <= k ? s : k + 1;
}

// ---------------------------------------------------------------------------------------------
// Public API.

/** Patterns of at least this many words try the banded route for the full distance. */
const BAND_MIN_WORDS = 8;
/** Half-width beyond |n − m| of the first, narrow band that finds an upper bound. */
const BAND_FIRST = 48;
/** The second band is used only when it is narrower than this fraction of the matrix. */
const BAND_MAX_FRACTION = 0.75;

/**
 * Levenshtein (edit) distance: the fewest insertions, deletions and substitutions turning a into b.
 * Strings compare by code point; typed arrays and number arrays element by element.
 *
 * Long inputs go through Ukkonen's band twice: a narrow band (|n − m| + 2·48 diagonals) gives
 * an upper bound U of the distance (exact when U fits that band); then the band for k = U, which
 * must hold an optimal path, gives the exact value. Related sequences (DNA of one gene, versions
 * of a text) align near the diagonal, so both bands are far narrower than the matrix; when the
 * second band would not be, the whole matrix is computed instead.
 */
export function levenshtein(a: SymbolSequence, b: SymbolSequence): number {
  prepare(a, b);
  const m = pLen;
  const w = (m + 31) >>> 5;
  if (w >= BAND_MIN_WORDS) {
    const k1 = tLen - m + 2 * BAND_FIRST;
    if (((k1 + 1) >>> 5) + 2 < BAND_MAX_FRACTION * w) {
      const u = bandedScore(k1, false);
      if (u <= k1) return u;
      if (((u + 1) >>> 5) + 2 < BAND_MAX_FRACTION * w) return bandedScore(u, false);
    }
  }
  return fullDistance();
}

/**
 * Bounded Levenshtein distance: the exact distance when it is ≤ k, otherwise exactly k + 1
 * (so any value > k means "more than k"). Costs O(k·n/32) and stops early once the distance
 * provably exceeds k. k must be ≥ 0 (fractions are floored; Infinity gives the full distance).
 */
export function levenshteinWithin(a: SymbolSequence, b: SymbolSequence, k: number): number {
  if (!(k >= 0)) throw new MeasureError(`levenshteinWithin: k must be a non-negative number (got ${k})`);
  k = Math.floor(k);
  // Length difference alone exceeds k (string lengths are checked after decoding code points).
  if (typeof a !== 'string' && typeof b !== 'string') {
    const la = a.length;
    const lb = b.length;
    if (Math.abs(la - lb) > k) return k + 1;
    if (a instanceof Uint8Array && b instanceof Uint8Array && k > 0 && bandFitsWord(Math.min(la, lb), Math.max(la, lb), k)) return bytesWithinOneWord(a, b, k);
  }
  prepare(a, b);
  const m = pLen;
  const n = tLen;
  if (n - m > k) return k + 1;
  if (m === 0) return n;
  if (k === 0) return 1; // stripping left a difference
  if (bandFitsWord(m, n, k)) {
    // The band fits one word: follow it down its diagonals.
    const s = diagonalBandScore(k);
    return s >= 0 && s <= k ? s : k + 1;
  }
  const w = (m + 31) >>> 5;
  if (((k + 1) >>> 5) + 2 >= w) {
    // The band would cover (almost) every block: the plain algorithm is cheaper.
    const d = fullDistance();
    return d <= k ? d : k + 1;
  }
  const s = bandedScore(k, true);
  return s >= 0 && s <= k ? s : k + 1;
}
