// Per-record best-R candidate selection straight from the LSH index.
//
// The same selection as ./candidateSelection.ts (each record keeps the R candidates with the
// highest b-bit MinHash estimate, none below its floor, ties at the R-th value in ascending id
// order; a pair is kept when either end takes it), without ever holding the list of all
// candidate pairs. That list was the peak of the clustering's memory: BioMarKs50k at 97 % has
// 10.6 M LSH pairs, each with i, j, an estimate code and a keep flag, copied from the workers into
// shared memory (about 150 MB at once, 10× that at 500,000 records). Here each record gathers its
// whole row from its buckets — every partner on either side, which is the row the pair list gave
// it — estimates it, and emits only its choices (≤ R pairs), so the memory is O(n·R) and the
// work splits by records with nothing shared but read-only inputs.
// The price: a pair is estimated from both ends (twice), ~10 % more CPU for this stage. A row is
// not sorted: only the partners tied at its R-th value are, to take the smallest ids among them
// as the pair list's ascending row did (the output is sorted by mergeChoices).
//
// The partners of record a in one band are those of lshCandidatePairs (./lsh.ts) seen from
// either end: every other member of a bucket of ≤ B members; in a larger (capped) bucket, the
// members at a's position ± t·stride for t = 1 … B − 1 — a symmetric relation, so a's row here
// holds exactly the pairs (x, a) and (a, y) the pair list held.

import { bucketStride, checkBucketCap, type LshIndex } from './lsh';
import { equalLowBytes, estimateFromEqualBytes, jaccardFloor, type LowByteSignatures } from './candidateSelection';
import { EQUAL_BYTES_MAX, equalBytesKernel } from './equalBytesSimd';

/** Where each record sits in each band of an index, and where its buckets start. */
export interface BucketBounds {
  /** posOf[r·bands + k]: record r's position in band k's keys (within the band, 0 … size − 1), −1 when r is not indexed. */
  readonly posOf: Int32Array;
  /**
   * One bit per position of the index's keys (band-major, like `keys`), plus one past the end:
   * set where a bucket starts (every band's first position, and the end). A bucket is the run
   * from a set bit to the next: two words a record instead of two 32-bit bounds per position.
   */
  readonly starts: Uint32Array;
}

/** A buffer for n 32-bit values: plain by default, shared memory when every worker reads the bounds. */
export type Alloc32 = (length: number) => ArrayBufferLike;

/**
 * The bucket bounds of an index holding all its bands. O(n·bands); computed once and shared by
 * every selection chunk (n·bands 32-bit positions: 54 MB at 500,000 records, which each worker
 * building its own would hold twice; per-position bucket bounds were 3× that).
 */
export function bucketBounds(index: LshIndex, alloc: Alloc32 = (length) => new ArrayBuffer(length * 4)): BucketBounds {
  const n = index.records;
  const size = index.size;
  const bands = index.bandTo - index.bandFrom;
  const posOf = new Int32Array(alloc(Math.max(1, n * bands)), 0, n * bands).fill(-1);
  const words = ((bands * size + 1) >>> 5) + 1;
  const starts = new Uint32Array(alloc(words), 0, words);
  const { keys, ids } = index;
  for (let k = 0; k < bands; k++) {
    const base = k * size;
    for (let p = 0; p < size; p++) {
      const g = base + p;
      if (p === 0 || keys[g] !== keys[g - 1]) starts[g >>> 5] |= 1 << (g & 31);
      posOf[ids[g] * bands + k] = p;
    }
  }
  const end = bands * size;
  starts[end >>> 5] |= 1 << (end & 31);
  return { posOf, starts };
}

/** The last set bit at or before g (a bucket's first position; one always exists). */
function startAtOrBefore(starts: Uint32Array, g: number): number {
  let w = g >>> 5;
  const b = g & 31;
  let bits = b === 31 ? starts[w] : starts[w] & ((1 << (b + 1)) - 1);
  while (bits === 0) bits = starts[--w];
  return (w << 5) + 31 - Math.clz32(bits);
}

/** The first set bit after g (the next bucket's start, or the end bit). */
function startAfter(starts: Uint32Array, g: number): number {
  let w = g >>> 5;
  const b = g & 31;
  let bits = b === 31 ? 0 : starts[w] & ~((1 << (b + 1)) - 1);
  while (bits === 0) bits = starts[++w];
  return (w << 5) + 31 - Math.clz32(bits & -bits);
}

export interface LshSelectionOptions {
  /** R: how many candidates each record takes. */
  readonly perRecord: number;
  /** B: buckets larger than this are paired along a strided cycle (as lshCandidatePairs). */
  readonly maxBucketSize: number;
  /** Pairs estimated below this Jaccard are never taken (unless `lengthAware` sets a per-pair floor). */
  readonly minJaccard: number;
  readonly lengthAware?: { readonly q: number; readonly shingles: ArrayLike<number> };
  /** Only the choices of records in [recordFrom, recordTo) (default: all). */
  readonly recordFrom?: number;
  readonly recordTo?: number;
}

export interface LshChoices {
  /** The chosen pairs as (smaller, larger) record, grouped by the record that chose them; a pair both ends chose appears twice (mergeChoices removes repeats). */
  readonly i: Uint32Array;
  readonly j: Uint32Array;
  /** Distinct LSH pairs (a, c) with c > a for a in the range: the pair list's size (its `stats.pairs`). */
  readonly pairs: number;
  /** Of those, the pairs estimated below their floor. */
  readonly belowFloor: number;
}

/**
 * selectFromLsh's working arrays, kept by the thread across calls (a worker selects ~16 record
 * ranges in a row): the stamps (n), the uncut output ((to − from) × R) and a row's partners.
 * Allocated per call they were ~1 MB of garbage a range at 50,000 records, which a worker's heap
 * held until its next full collection and then freed into a malloc arena that stayed resident.
 */
const selectScratch: { stamp: Int32Array; outI: Uint32Array; outJ: Uint32Array; row: Uint32Array; codes: Uint16Array } = { stamp: new Int32Array(0), outI: new Uint32Array(0), outJ: new Uint32Array(0), row: new Uint32Array(1024), codes: new Uint16Array(1024) };

/**
 * The choices of the records in [recordFrom, recordTo). `alloc` places the output (shared
 * memory, so that mergeChoices reads every chunk without a copy).
 */
export function selectFromLsh(
  index: LshIndex,
  bounds: BucketBounds,
  bytes: LowByteSignatures,
  options: LshSelectionOptions,
  alloc: Alloc32 = (length) => new ArrayBuffer(length * 4),
): LshChoices {
  const cap = options.maxBucketSize;
  checkBucketCap(cap);
  const R = options.perRecord;
  if (!(Number.isInteger(R) && R >= 1)) throw new RangeError(`perRecord must be a positive integer, got ${R}`);
  const n = index.records;
  const bands = index.bandTo - index.bandFrom;
  if (bands !== index.bands || index.bandFrom !== 0) throw new RangeError('selection needs an index of all the bands');
  const from = options.recordFrom ?? 0;
  const to = options.recordTo ?? n;
  if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to && to <= n)) throw new RangeError(`record range [${from}, ${to}) outside 0..${n}`);
  const H = index.numHashes;
  const W = bytes.wordsPerRecord;
  if (bytes.words.length !== n * W) throw new RangeError(`low-byte signatures of ${bytes.words.length / W} records for an index of ${n}`);
  const { keys, ids, size } = index;
  const { posOf, starts } = bounds;
  const lengthAware = options.lengthAware;
  // Equal bytes by SIMD where the low bytes lie in a shared WebAssembly memory (byte offsets), else by SWAR (word offsets).
  const recordBytes = 4 * W;
  const simdEqual = bytes.memory && recordBytes % 16 === 0 && recordBytes <= EQUAL_BYTES_MAX && bytes.words.byteOffset === 0 ? equalBytesKernel(bytes.memory) : undefined;

  const stamp = selectScratch.stamp.length >= n ? selectScratch.stamp.subarray(0, n) : (selectScratch.stamp = new Int32Array(n));
  stamp.fill(-1);
  let row: Uint32Array = selectScratch.row;
  let codes = selectScratch.codes;
  const count = new Uint32Array(H + 2);
  // The estimate of each count of equal bytes, looked up: computed per partner it was 10 % of this stage.
  const estimates = Float64Array.from({ length: H + 1 }, (_, equal) => estimateFromEqualBytes(equal, H));
  // At most R choices a record: the output is sized once.
  const capacity = (to - from) * R;
  if (selectScratch.outI.length < capacity) {
    selectScratch.outI = new Uint32Array(capacity);
    selectScratch.outJ = new Uint32Array(capacity);
  }
  const { outI, outJ } = selectScratch;
  let w = 0;
  let pairs = 0;
  let belowFloor = 0;
  for (let a = from; a < to; a++) {
    if (bands === 0 || posOf[a * bands] < 0) continue; // an empty record is in no bucket
    let cnt = 0;
    for (let k = 0; k < bands; k++) {
      const base = k * size;
      const p = posOf[a * bands + k];
      const s = startAtOrBefore(starts, base + p) - base;
      const e = startAfter(starts, base + p) - base;
      const len = e - s;
      const most = len <= cap ? len : 2 * cap; // partners this band can add
      if (cnt + most > row.length) row = grow(row, cnt + most);
      if (len <= cap) {
        for (let q = s; q < e; q++) {
          const c = ids[base + q];
          if (c !== a && stamp[c] !== a) {
            stamp[c] = a;
            row[cnt++] = c;
          }
        }
      } else {
        const stride = bucketStride(k, keys[base + p], len);
        let fx = p - s;
        let bx = fx;
        for (let t = 1; t < cap; t++) {
          fx += stride;
          if (fx >= len) fx -= len;
          bx -= stride;
          if (bx < 0) bx += len;
          const forward = ids[base + s + fx];
          const backward = ids[base + s + bx];
          if (forward !== a && stamp[forward] !== a) {
            stamp[forward] = a;
            row[cnt++] = forward;
          }
          if (backward !== a && stamp[backward] !== a) {
            stamp[backward] = a;
            row[cnt++] = backward;
          }
        }
      }
    }
    if (cnt === 0) continue;
    // Partners in the order the bands gave them: only the ties at the R-th value need the pair
    // list's ascending order (below); sorting every row was a fifth of this stage's CPU.
    if (codes.length < cnt) codes = new Uint16Array(row.length);
    const wa = a * W;
    const aFrom = a * recordBytes;
    const aTo = aFrom + recordBytes;
    let live = 0;
    for (let t = 0; t < cnt; t++) {
      const c = row[t];
      const equal = (simdEqual ? simdEqual(aFrom, c * recordBytes, aTo) : equalLowBytes(bytes.words, W, wa, c * W)) - bytes.padding;
      const e = estimates[equal];
      const floor = lengthAware ? jaccardFloor(lengthAware.q, lengthAware.shingles[a], lengthAware.shingles[c]) : options.minJaccard;
      const below = e < floor;
      if (c > a) {
        pairs++;
        if (below) belowFloor++;
      }
      codes[t] = below ? 0 : equal + 1;
      if (!below) live++;
    }
    if (live <= R) {
      for (let t = 0; t < cnt; t++) {
        if (codes[t] === 0) continue;
        const c = row[t];
        outI[w] = a < c ? a : c;
        outJ[w++] = a < c ? c : a;
      }
      continue;
    }
    // Codes are 1..H + 1: a counting pass finds the R-th best value exactly (as markSelected).
    count.fill(0);
    for (let t = 0; t < cnt; t++) count[codes[t]]++;
    let c0 = H + 1;
    let above = count[c0];
    while (c0 > 1 && above < R) above += count[--c0];
    const ties = R - (above - count[c0]);
    // Every partner above c0; of those at c0, the `ties` smallest ids (ascending order, as the
    // pair list's row gave them). They go to the end of `row`, past the row's partners.
    let tied = 0;
    if (cnt + count[c0] > row.length) row = grow(row, cnt + count[c0]);
    for (let t = 0; t < cnt; t++) {
      const code = codes[t];
      const c = row[t];
      if (code > c0) {
        outI[w] = a < c ? a : c;
        outJ[w++] = a < c ? c : a;
      } else if (code === c0) row[cnt + tied++] = c;
    }
    const atC0 = row.subarray(cnt, cnt + tied);
    if (tied > ties) atC0.sort();
    for (let t = 0; t < ties; t++) {
      const c = atC0[t];
      outI[w] = a < c ? a : c;
      outJ[w++] = a < c ? c : a;
    }
  }
  selectScratch.row = row;
  selectScratch.codes = codes;
  const i = new Uint32Array(alloc(Math.max(1, w)), 0, w);
  const j = new Uint32Array(alloc(Math.max(1, w)), 0, w);
  i.set(outI.subarray(0, w));
  j.set(outJ.subarray(0, w));
  return { i, j, pairs, belowFloor };
}

function grow(row: Uint32Array, needed: number): Uint32Array {
  let length = row.length * 2;
  while (length < needed) length *= 2;
  const out = new Uint32Array(length);
  out.set(row);
  return out;
}

/**
 * The union of every chunk's choices: pairs (i < j) sorted by (i, j), each once — the
 * selection's output, the order the pair list's selection kept. A counting sort by i, then each
 * row's partners sorted and deduplicated. O(pairs + n).
 */
export function mergeChoices(parts: readonly { readonly i: Uint32Array; readonly j: Uint32Array }[], n: number, alloc: Alloc32 = (length) => new ArrayBuffer(length * 4)): { i: Uint32Array; j: Uint32Array } {
  const start = new Uint32Array(n + 1);
  let total = 0;
  for (const part of parts) {
    for (let t = 0; t < part.i.length; t++) start[part.i[t] + 1]++;
    total += part.i.length;
  }
  for (let v = 0; v < n; v++) start[v + 1] += start[v];
  // The rows' partners, then compacted in place into the output's j (w never passes t): one
  // array of `total` from `alloc` instead of a temporary of `total` and a j of `kept`.
  const byRow = new Uint32Array(alloc(Math.max(1, total)), 0, total);
  const fill = start.slice(0, n);
  for (const part of parts) for (let t = 0; t < part.i.length; t++) byRow[fill[part.i[t]]++] = part.j[t];
  let kept = 0;
  for (let v = 0; v < n; v++) {
    const r = byRow.subarray(start[v], start[v + 1]);
    r.sort();
    for (let t = 0; t < r.length; t++) if (t === 0 || r[t] !== r[t - 1]) kept++;
  }
  const i = new Uint32Array(alloc(Math.max(1, kept)), 0, kept);
  let w = 0;
  for (let v = 0; v < n; v++) {
    let previous = -1;
    for (let t = start[v]; t < start[v + 1]; t++) {
      const c = byRow[t];
      if (c === previous) continue;
      previous = c;
      i[w] = v;
      byRow[w++] = c;
    }
  }
  return { i, j: byRow.subarray(0, kept) };
}
