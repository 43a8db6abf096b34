// Per-record candidate selection: of all LSH candidate pairs, keep for each record the R with
// the highest MinHash estimate of the Jaccard similarity (and none below a floor). A pair is
// kept when either end selects it. The exact (costly) identity is then computed on at most
// n·R pairs instead of every candidate pair — the same bargain as vsearch's "max accepts /
// max rejects" heuristics: the nearest neighbours by identity are almost always among the
// nearest by k-mer Jaccard, and clustering with the mutual-neighbour refinement needs only each
// record's nearest neighbours (plus its near-duplicates, whose Jaccard is the highest of all).
// O(P · numHashes / 4) for P candidate pairs, typed arrays only.
//
// Speed: the estimate of a random pair reads two signatures from anywhere in memory, and with
// millions of pairs (50,000 amplicons give 22 M) that is bound by memory, not arithmetic. So the
// ranking uses b-bit MinHash (Li & König 2010) with b = 8: only the low byte of each slot, 4×
// less memory, compared four slots at a time with a SWAR zero-byte count. Two unequal slots
// agree in their low byte with probability 1/256, so the fraction f of equal bytes estimates
// J + (1 − J)/256; the floor is shifted the same way. Measured on BioMarKs50k: 7.4 s instead of
// 36 s for 22 M pairs. The clustering's selection (lshSelection.ts) counts 16 bytes at a time
// with WebAssembly SIMD where it can (equalBytesSimd.ts); the same counts.


export interface SelectedPairs {
  readonly i: Uint32Array;
  readonly j: Uint32Array;
  /** The MinHash estimate of each kept pair. */
  readonly jaccard: Float32Array;
  /** Pairs below the floor. */
  readonly belowFloor: number;
}

export interface SelectionOptions {
  /** R: how many candidates each record keeps. */
  readonly perRecord: number;
  /** Pairs estimated below this Jaccard are dropped (unless `lengthAware` sets a per-pair floor). */
  readonly minJaccard: number;
  /** A per-pair floor instead: the Jaccard two records of these shingle counts have at identity t. */
  readonly lengthAware?: { readonly q: number; readonly shingles: ArrayLike<number> };
}

/**
 * The Jaccard similarity expected of two shingle sets of sizes sa and sb whose sequences are at
 * identity t, with q = t^k the chance that a k-mer survives: the shorter one's surviving k-mers
 * are shared, so J ≈ q·s / (s + l − q·s) with s ≤ l (q / (2 − q) at equal sizes). A copy trimmed
 * to 70 % has J ≈ 0.7 at identity 1: a floor at equal sizes would drop it.
 */
export function jaccardFloor(q: number, sa: number, sb: number): number {
  const s = Math.max(1, Math.min(sa, sb));
  const l = Math.max(1, sa, sb);
  return (q * s) / (s + l - q * s);
}

export function selectCandidatesPerRecord(
  n: number,
  pairs: { readonly i: Uint32Array; readonly j: Uint32Array },
  signatures: Uint32Array,
  numHashes: number,
  options: SelectionOptions,
): SelectedPairs {
  const { codes, belowFloor } = estimatePairs(n, pairs, signatures, numHashes, options);
  return { ...selectByEstimates(n, pairs, codes, numHashes, options.perRecord), belowFloor };
}

/** The Jaccard estimate from the number of equal low bytes among H slots (see the file comment). */
export function estimateFromEqualBytes(equal: number, H: number): number {
  return Math.max(0, (equal / H - 1 / 256) / (1 - 1 / 256));
}

/**
 * Each pair's estimate as a code: 1 + the number of equal low bytes (the estimate is
 * `estimateFromEqualBytes` of it, and ranks the same way), or 0 for a pair below its floor. The
 * first half of the selection; chunkable: workers can each estimate a slice of the pairs.
 * Two bytes a pair instead of a float64: BioMarKs50k has 10 M candidate pairs.
 */
export function estimatePairs(
  n: number,
  pairs: { readonly i: Uint32Array; readonly j: Uint32Array },
  signatures: Uint32Array,
  numHashes: number,
  options: Omit<SelectionOptions, 'perRecord'>,
): { codes: Uint16Array; belowFloor: number } {
  const P = pairs.i.length;
  const H = numHashes;
  // The floor is compared with the float64 estimate (in float32, 7/10 < 0.7); codes store counts.
  const codes = new Uint16Array(P);
  let belowFloor = 0;
  const lengthAware = options.lengthAware;
  const bytes = lowBytes(signatures, n, H);
  const W = bytes.wordsPerRecord;
  const words = bytes.words;
  for (let p = 0; p < P; p++) {
    // The fraction of equal low bytes, corrected for chance agreement (see the file comment).
    const equal = equalLowBytes(words, W, pairs.i[p] * W, pairs.j[p] * W) - bytes.padding;
    const e = estimateFromEqualBytes(equal, H);
    const floor = lengthAware ? jaccardFloor(lengthAware.q, lengthAware.shingles[pairs.i[p]], lengthAware.shingles[pairs.j[p]]) : options.minJaccard;
    if (e < floor) belowFloor++; // code 0: in no row
    else codes[p] = equal + 1;
  }
  return { codes, belowFloor };
}

/**
 * The second half: per record, its R best pairs by estimate code (0 = below the floor, never
 * kept); ties at the R-th value are taken in row order.
 */
export function selectByEstimates(
  n: number,
  pairs: { readonly i: Uint32Array; readonly j: Uint32Array },
  codes: Uint16Array,
  numHashes: number,
  perRecord: number,
): Omit<SelectedPairs, 'belowFloor'> {
  const keep = new Uint8Array(pairs.i.length);
  markSelected(n, pairs, codes, numHashes, perRecord, keep);
  return collectSelected(pairs, codes, numHashes, keep);
}

/**
 * The choices of the records in [recordFrom, recordTo): sets keep[p] = 1 for each pair one of
 * them takes. Records only ever set flags, and each record's row (its pairs in input order) and
 * choice do not depend on the other records, so workers can mark disjoint record ranges into one
 * shared array at once and the union is the sequential selection.
 */
export function markSelected(
  n: number,
  pairs: { readonly i: Uint32Array; readonly j: Uint32Array },
  codes: Uint16Array,
  numHashes: number,
  perRecord: number,
  keep: Uint8Array,
  recordFrom = 0,
  recordTo = n,
): void {
  const P = pairs.i.length;
  const H = numHashes;
  const lo = recordFrom;
  const m = recordTo - recordFrom;
  // Rows: for each record of the range, the candidate pairs it is part of (CSR over both ends).
  const degree = new Uint32Array(m + 1);
  for (let p = 0; p < P; p++) {
    if (codes[p] === 0) continue;
    const a = pairs.i[p] - lo;
    const b = pairs.j[p] - lo;
    if (a >= 0 && a < m) degree[a + 1]++;
    if (b >= 0 && b < m) degree[b + 1]++;
  }
  for (let v = 0; v < m; v++) degree[v + 1] += degree[v];
  const fill = degree.slice(0, m);
  const rowPairs = new Uint32Array(degree[m]);
  for (let p = 0; p < P; p++) {
    if (codes[p] === 0) continue;
    const a = pairs.i[p] - lo;
    const b = pairs.j[p] - lo;
    if (a >= 0 && a < m) rowPairs[fill[a]++] = p;
    if (b >= 0 && b < m) rowPairs[fill[b]++] = p;
  }
  const R = perRecord;
  // Codes are 1..H + 1: a counting pass per row finds the R-th best value exactly.
  const count = new Uint32Array(H + 2);
  for (let v = 0; v < m; v++) {
    const from = degree[v];
    const to = degree[v + 1];
    if (to - from <= R) {
      for (let t = from; t < to; t++) keep[rowPairs[t]] = 1;
      continue;
    }
    count.fill(0);
    for (let t = from; t < to; t++) count[codes[rowPairs[t]]]++;
    // The smallest code c such that pairs with a code ≥ c number ≥ R.
    let c = H + 1;
    let above = count[c];
    while (c > 1 && above < R) above += count[--c];
    const higher = above - count[c];
    let ties = R - higher; // how many pairs at exactly c to take, in row order (deterministic)
    for (let t = from; t < to; t++) {
      const code = codes[rowPairs[t]];
      if (code > c) keep[rowPairs[t]] = 1;
      else if (code === c && ties > 0) {
        keep[rowPairs[t]] = 1;
        ties--;
      }
    }
  }
}

/** The kept pairs (keep[p] = 1), in input order, with their estimates. */
export function collectSelected(
  pairs: { readonly i: Uint32Array; readonly j: Uint32Array },
  codes: Uint16Array,
  numHashes: number,
  keep: Uint8Array,
): Omit<SelectedPairs, 'belowFloor'> {
  const P = pairs.i.length;
  let kept = 0;
  for (let p = 0; p < P; p++) kept += keep[p];
  const i = new Uint32Array(kept);
  const j = new Uint32Array(kept);
  const jaccard = new Float32Array(kept);
  let at = 0;
  for (let p = 0; p < P; p++) {
    if (!keep[p]) continue;
    i[at] = pairs.i[p];
    j[at] = pairs.j[p];
    jaccard[at] = estimateFromEqualBytes(codes[p] - 1, numHashes);
    at++;
  }
  return { i, j, jaccard };
}

/**
 * The number of equal bytes of two records' low-byte words (at word offsets a and b, W words
 * each), padding included. Per byte lane, a count of equal bytes, summed across the four lanes
 * every 63 words (a lane then holds ≤ 63 and their sum ≤ 252: no carry between lanes; one fold
 * when H ≤ 252).
 */
export function equalLowBytes(words: Uint32Array, W: number, a: number, b: number): number {
  let equal = 0;
  for (let w0 = 0; w0 < W; w0 += 63) {
    const w1 = w0 + 63 < W ? w0 + 63 : W;
    let lanes = 0;
    for (let w = w0; w < w1; w++) {
      const x = words[a + w] ^ words[b + w];
      // Bit 0 of each byte of z is set exactly when that byte of x is zero.
      lanes += ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x | 0x7f7f7f7f) >>> 7;
    }
    equal += Math.imul(lanes, 0x01010101) >>> 24;
  }
  return equal;
}

/** Low-byte signatures (see the file comment): record r's bytes are words [r·wordsPerRecord, (r + 1)·wordsPerRecord); `padding` bytes per record are 0. */
export interface LowByteSignatures {
  readonly words: Uint32Array;
  readonly wordsPerRecord: number;
  readonly padding: number;
  /** Set when `words` lie at the start of this shared WebAssembly memory: the SIMD count reads them there (equalBytesSimd.ts). */
  readonly memory?: WebAssembly.Memory;
}

/** The bytes lowBytes writes for n records of H slots. */
export function lowBytesSize(n: number, H: number): number {
  return Math.max(4, n * lowBytesWordsPerRecord(H) * 4);
}

/** Whole 16-byte vectors per record, so that a SIMD count never reads across two records. */
function lowBytesWordsPerRecord(H: number): number {
  return ((H + 15) >> 4) << 2;
}

/** The low byte of every slot, each record padded to whole 16-byte vectors; `alloc` places the bytes (e.g. in shared memory). */
export function lowBytes(signatures: Uint32Array, n: number, H: number, alloc: (bytes: number) => ArrayBufferLike = (bytes) => new ArrayBuffer(bytes), order?: Uint32Array): LowByteSignatures {
  const wordsPerRecord = lowBytesWordsPerRecord(H);
  const words = new Uint32Array(alloc(lowBytesSize(n, H)), 0, n * wordsPerRecord);
  const whole = H >> 2;
  for (let r = 0; r < n; r++) {
    // With an order, record r of the output is record order[r] of the signatures.
    const src = (order ? order[r] : r) * H;
    const dst = r * wordsPerRecord;
    // Four slots to a word, slot h in byte h & 3 counted from the low end (byte h of the record
    // on a little-endian machine); equalLowBytes counts equal bytes, in whatever lane order.
    // A word at a time: byte stores were 4× the writes (0.54 s at 500,000 records).
    for (let w = 0; w < whole; w++) {
      const h = src + 4 * w;
      words[dst + w] = (signatures[h] & 0xff) | ((signatures[h + 1] & 0xff) << 8) | ((signatures[h + 2] & 0xff) << 16) | ((signatures[h + 3] & 0xff) << 24);
    }
    if (4 * whole < H) {
      let x = 0;
      for (let h = 4 * whole; h < H; h++) x |= (signatures[src + h] & 0xff) << (8 * (h & 3));
      words[dst + whole] = x;
    }
  }
  // Padding bytes are 0 in every record, so they always agree: the caller subtracts them.
  return { words, wordsPerRecord, padding: wordsPerRecord * 4 - H };
}
