// Locality-sensitive hashing of MinHash signatures by banding.
//
// The numHashes slots of a signature are cut into `bands` bands of `rows` consecutive slots
// (bands·rows ≤ numHashes; leftover slots are unused). Two records become a candidate pair when
// all rows of at least one band agree. With Jaccard similarity s, one slot agrees with
// probability s, so
//     P(candidate | s) = 1 − (1 − s^rows)^bands            (the S-curve)
// which rises steeply around s ≈ (1/bands)^(1/rows).
//
// Choosing (bands, rows) from a Jaccard threshold t (`chooseLshParams`): among all pairs with
// bands·rows ≤ numHashes, minimise
//     wFN · ∫_t^1 (1 − P(s)) ds  +  wFP · ∫_0^t P(s) ds
// (the areas of missed similar pairs and of admitted dissimilar pairs under the S-curve), with
// recall favoured by default, wFN = 0.9 and wFP = 0.1: a missed pair is lost for good, an extra
// candidate only costs one bounded exact distance. Ties go to the pair that uses more slots.
// With 128 hashes this gives, for t = 0.2 / 0.3 / 0.5 / 0.8: 64×2, 32×2, 32×4, 14×9, with
// P(candidate) at t of 0.93 / 0.95 / 0.87 / 0.87 and ≥ 0.97 at 1.2·t. Raise wFP when exact
// verification is expensive; the choice reports its recall at t and both areas.
//
// Bucketing is sort-based over typed arrays: per band, each record's `rows` slots are hashed to
// a 32-bit key (rows = 1: the slot itself), and (key, record) pairs are radix-sorted; a bucket is
// a run of equal keys. A key collision between different band contents only adds a candidate
// (candidates are verified exactly later), it never loses one.
//
// Degenerate buckets: a bucket larger than `maxBucketSize` (B) would cost O(size²) pairs. Its
// members are put in a band-dependent pseudo-random order and each is paired only with the next
// B − 1 members in that order (a sliding window): O(size·B) pairs, and because the order
// differs from band to band, a big group of near-identical records is still densely and
// connectedly linked after verification. Buckets of size ≤ B are emitted in full.
//
// Candidate pairs are deduplicated across bands by packing (i < j) into one number i·n + j
// (exact in a double for n < 9.4e7) and sorting: the output is sorted by (i, j), unique.
// Records with the empty signature are never indexed, so they are never candidates.
//
// Chunking: an index may hold a sub-range of bands, so workers can each bucket a share of the
// bands; `mergeCandidatePairs` unions their outputs into the same result as one full run.

import { fmix32, murmurRound } from '../features/hash';
import { EMPTY_SLOT } from './minhash';

export interface LshParams {
  readonly bands: number;
  readonly rows: number;
}

export interface LshChoice extends LshParams {
  /** (1/bands)^(1/rows): where the S-curve is steepest, roughly the effective threshold. */
  readonly approxThreshold: number;
  /** P(candidate) at the requested threshold. */
  readonly recallAtThreshold: number;
  /** ∫_t^1 (1 − P(s)) ds */
  readonly falseNegativeArea: number;
  /** ∫_0^t P(s) ds */
  readonly falsePositiveArea: number;
}

export interface ChooseLshOptions {
  /** Weight of the false-negative area (default 0.9). */
  readonly falseNegativeWeight?: number;
  /** Weight of the false-positive area (default 0.1). */
  readonly falsePositiveWeight?: number;
}

/** P(candidate) for a pair of Jaccard similarity s: 1 − (1 − s^rows)^bands. */
export function candidateProbability(s: number, bands: number, rows: number): number {
  return 1 - Math.pow(1 - Math.pow(s, rows), bands);
}

/** Simpson's rule of P(s) (or 1 − P(s)) over [lo, hi]. */
function integrate(lo: number, hi: number, bands: number, rows: number, complement: boolean): number {
  if (hi <= lo) return 0;
  const steps = 200; // even
  const h = (hi - lo) / steps;
  let sum = 0;
  for (let i = 0; i <= steps; i++) {
    const p = candidateProbability(lo + i * h, bands, rows);
    const f = complement ? 1 - p : p;
    sum += (i === 0 || i === steps ? 1 : i % 2 === 1 ? 4 : 2) * f;
  }
  return (sum * h) / 3;
}

/**
 * (bands, rows) for a Jaccard threshold t and a signature length, by the weighted-area rule in
 * the file comment. Deterministic; O(numHashes · log numHashes · 400) evaluations.
 */
export function chooseLshParams(threshold: number, numHashes: number, options: ChooseLshOptions = {}): LshChoice {
  if (!(threshold > 0 && threshold < 1)) throw new RangeError(`Jaccard threshold must be in (0, 1), got ${threshold}`);
  if (!Number.isInteger(numHashes) || numHashes < 1) throw new RangeError(`numHashes must be a positive integer, got ${numHashes}`);
  const wFn = options.falseNegativeWeight ?? 0.9;
  const wFp = options.falsePositiveWeight ?? 0.1;
  let best: LshChoice | undefined;
  let bestCost = Infinity;
  for (let rows = 1; rows <= numHashes; rows++) {
    for (let bands = 1; bands * rows <= numHashes; bands++) {
      const fn = integrate(threshold, 1, bands, rows, true);
      const fp = integrate(0, threshold, bands, rows, false);
      const cost = wFn * fn + wFp * fp;
      const better = cost < bestCost - 1e-12 || (Math.abs(cost - bestCost) <= 1e-12 && best !== undefined && bands * rows > best.bands * best.rows);
      if (better) {
        bestCost = cost;
        best = {
          bands,
          rows,
          approxThreshold: Math.pow(1 / bands, 1 / rows),
          recallAtThreshold: candidateProbability(threshold, bands, rows),
          falseNegativeArea: fn,
          falsePositiveArea: fp,
        };
      }
    }
  }
  return best as LshChoice; // numHashes ≥ 1 guarantees one candidate
}

/**
 * Expected Jaccard similarity of the k-mer sets of two sequences at identity p (fraction of
 * aligned positions that match), used to turn `--threshold` (an identity) into an LSH threshold.
 *
 * Derivation: with mismatches independent and spread along the alignment, a k-mer survives
 * unchanged when all its k positions match, probability q = p^k. Each sequence has ≈ L k-mers,
 * of which ≈ qL are shared, so |A ∩ B| ≈ qL, |A ∪ B| ≈ 2L − qL, and J ≈ q / (2 − q).
 * An indel breaks the k-mers that span it, like a substitution, so it fits the same model.
 * Conservative for clustered mutations: m adjacent differences destroy only k + m − 1 k-mers,
 * not up to m·k, so real pairs at identity p share more k-mers than this predicts — a threshold
 * derived from it errs towards recall. (Repeated k-mers inside one sequence are ignored.)
 */
export function identityToJaccard(identity: number, k: number): number {
  if (!(identity >= 0 && identity <= 1)) throw new RangeError(`identity must be in [0, 1], got ${identity}`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const q = Math.pow(identity, k);
  return q / (2 - q);
}

/** The 32-bit bucket key of one band of the signature at `offset`. */
export function bandKey(signatures: Uint32Array, offset: number, band: number, rows: number): number {
  const start = offset + band * rows;
  if (rows === 1) return signatures[start];
  let h = Math.imul(band + 1, 0x9e3779b1);
  for (let i = 0; i < rows; i++) h = murmurRound(h, signatures[start + i]);
  return fmix32(h ^ rows);
}

/** LSD radix sort (11-bit digits, stable) of `keys` with `vals` carried along, in place. */
function radixSortPairs(keys: Uint32Array, vals: Uint32Array, tmpKeys: Uint32Array, tmpVals: Uint32Array, count: Uint32Array): void {
  const n = keys.length;
  let srcK = keys;
  let srcV = vals;
  let dstK = tmpKeys;
  let dstV = tmpVals;
  for (let shift = 0; shift < 32; shift += 11) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(srcK[i] >>> shift) & 2047]++;
    let sum = 0;
    for (let d = 0; d < 2048; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const p = count[(srcK[i] >>> shift) & 2047]++;
      dstK[p] = srcK[i];
      dstV[p] = srcV[i];
    }
    [srcK, dstK] = [dstK, srcK];
    [srcV, dstV] = [dstV, srcV];
  }
  // Three passes: the sorted data ended in the temporaries.
  keys.set(srcK.subarray(0, n));
  vals.set(srcV.subarray(0, n));
}

/**
 * Per band, the (key, record) pairs of every non-empty record, sorted by key (then by record).
 * Plain typed arrays: transferable to or from a worker.
 */
export interface LshIndex {
  readonly numHashes: number;
  readonly bands: number;
  readonly rows: number;
  /** The bands held by this index: [bandFrom, bandTo). */
  readonly bandFrom: number;
  readonly bandTo: number;
  /** Records in the signature array (empty ones included, though not indexed). */
  readonly records: number;
  /** Indexed (non-empty) records per band. */
  readonly size: number;
  /** Band b's keys are keys[(b − bandFrom)·size, (b − bandFrom + 1)·size), ascending. */
  readonly keys: Uint32Array;
  /** The record of each key. */
  readonly ids: Uint32Array;
}

export interface BuildLshOptions {
  readonly bandFrom?: number;
  readonly bandTo?: number;
}

function checkParams(numHashes: number, params: LshParams): void {
  const { bands, rows } = params;
  if (!Number.isInteger(bands) || !Number.isInteger(rows) || bands < 1 || rows < 1 || bands * rows > numHashes) {
    throw new RangeError(`LSH needs integers bands, rows ≥ 1 with bands·rows ≤ numHashes (${numHashes}), got ${bands} × ${rows}`);
  }
}

function signatureIsEmpty(signatures: Uint32Array, offset: number, numHashes: number): boolean {
  for (let i = 0; i < numHashes; i++) if (signatures[offset + i] !== EMPTY_SLOT) return false;
  return true;
}

/** Buckets the packed signatures (Uint32Array(records·numHashes)) band by band. O(bands · records). */
export function buildLshIndex(signatures: Uint32Array, numHashes: number, params: LshParams, options: BuildLshOptions = {}): LshIndex {
  checkParams(numHashes, params);
  if (signatures.length % numHashes !== 0) throw new RangeError(`signature array length ${signatures.length} is not a multiple of numHashes ${numHashes}`);
  const { bands, rows } = params;
  const bandFrom = options.bandFrom ?? 0;
  const bandTo = options.bandTo ?? bands;
  if (!(Number.isInteger(bandFrom) && Number.isInteger(bandTo) && 0 <= bandFrom && bandFrom <= bandTo && bandTo <= bands)) {
    throw new RangeError(`band range [${bandFrom}, ${bandTo}) outside 0..${bands}`);
  }
  const records = signatures.length / numHashes;
  const present = new Uint32Array(records);
  let size = 0;
  for (let r = 0; r < records; r++) if (!signatureIsEmpty(signatures, r * numHashes, numHashes)) present[size++] = r;
  const bandCount = bandTo - bandFrom;
  const keys = new Uint32Array(bandCount * size);
  const ids = new Uint32Array(bandCount * size);
  const tmpKeys = new Uint32Array(size);
  const tmpVals = new Uint32Array(size);
  const count = new Uint32Array(2048);
  for (let b = bandFrom; b < bandTo; b++) {
    const base = (b - bandFrom) * size;
    const bk = keys.subarray(base, base + size);
    const bi = ids.subarray(base, base + size);
    for (let p = 0; p < size; p++) {
      const r = present[p];
      bk[p] = bandKey(signatures, r * numHashes, b, rows);
      bi[p] = r;
    }
    radixSortPairs(bk, bi, tmpKeys, tmpVals, count);
  }
  return { numHashes, bands, rows, bandFrom, bandTo, records, size, keys, ids };
}

/** Candidate pairs (i < j), sorted by (i, j), unique. */
export interface CandidatePairs {
  readonly i: Uint32Array;
  readonly j: Uint32Array;
  readonly stats: CandidateStats;
}

export interface CandidateStats {
  /** Pairs emitted before deduplication across bands. */
  readonly rawPairs: number;
  readonly pairs: number;
  readonly largestBucket: number;
  /** Buckets larger than maxBucketSize (emitted through the sliding window). */
  readonly cappedBuckets: number;
}

export interface CandidateOptions {
  /** Buckets larger than this emit only sliding-window pairs (default 256; ≥ 2). */
  readonly maxBucketSize?: number;
}

export const DEFAULT_MAX_BUCKET_SIZE = 256;

/** A growable Float64Array of packed pair codes, compacted (sort + unique) when it fills up. */
class PairCodeBuffer {
  private codes = new Float64Array(1 << 16);
  length = 0;
  raw = 0;

  push(code: number): void {
    if (this.length === this.codes.length) this.makeRoom();
    this.codes[this.length++] = code;
    this.raw++;
  }

  private makeRoom(): void {
    this.compact();
    if (this.length * 2 > this.codes.length) {
      const grown = new Float64Array(this.codes.length * 2);
      grown.set(this.codes.subarray(0, this.length));
      this.codes = grown;
    }
  }

  compact(): void {
    const c = this.codes.subarray(0, this.length);
    c.sort();
    let w = 0;
    for (let r = 0; r < c.length; r++) if (w === 0 || c[r] !== c[w - 1]) c[w++] = c[r];
    this.length = w;
  }

  /** Unique codes, sorted. */
  finish(): Float64Array {
    this.compact();
    return this.codes.slice(0, this.length);
  }
}

function unpackPairs(codes: Float64Array, n: number, stats: Omit<CandidateStats, 'pairs'>): CandidatePairs {
  const i = new Uint32Array(codes.length);
  const j = new Uint32Array(codes.length);
  for (let p = 0; p < codes.length; p++) {
    const a = Math.floor(codes[p] / n);
    i[p] = a;
    j[p] = codes[p] - a * n;
  }
  return { i, j, stats: { ...stats, pairs: codes.length } };
}

function checkBucketCap(maxBucketSize: number): void {
  if (!Number.isInteger(maxBucketSize) || maxBucketSize < 2) throw new RangeError(`maxBucketSize must be an integer ≥ 2, got ${maxBucketSize}`);
}

/** Every candidate pair of the bands held by `index` (see the file comment for the bucket cap). */
export function lshCandidatePairs(index: LshIndex, options: CandidateOptions = {}): CandidatePairs {
  const cap = options.maxBucketSize ?? DEFAULT_MAX_BUCKET_SIZE;
  checkBucketCap(cap);
  const n = index.records;
  if (n >= 94_906_265) throw new RangeError(`too many records for packed pair codes: ${n}`);
  const size = index.size;
  const out = new PairCodeBuffer();
  let largestBucket = 0;
  let cappedBuckets = 0;
  let orderKeys = new Uint32Array(0);
  let orderIds = new Uint32Array(0);
  let tmpKeys = new Uint32Array(0);
  let tmpIds = new Uint32Array(0);
  const count = new Uint32Array(2048);
  for (let b = index.bandFrom; b < index.bandTo; b++) {
    const base = (b - index.bandFrom) * size;
    const keys = index.keys;
    const ids = index.ids;
    let s = base;
    const end = base + size;
    while (s < end) {
      const key = keys[s];
      let e = s + 1;
      while (e < end && keys[e] === key) e++;
      const len = e - s;
      if (len > largestBucket) largestBucket = len;
      if (len <= cap) {
        // Ids inside a bucket are ascending (stable sort of ascending records): ids[p] < ids[q].
        for (let p = s; p < e - 1; p++) {
          const row = ids[p] * n;
          for (let q = p + 1; q < e; q++) out.push(row + ids[q]);
        }
      } else {
        cappedBuckets++;
        if (orderKeys.length < len) {
          orderKeys = new Uint32Array(len);
          orderIds = new Uint32Array(len);
          tmpKeys = new Uint32Array(len);
          tmpIds = new Uint32Array(len);
        }
        const ok = orderKeys.subarray(0, len);
        const oi = orderIds.subarray(0, len);
        const salt = fmix32((Math.imul(b + 1, 0x85ebca6b) ^ key) >>> 0);
        for (let p = 0; p < len; p++) {
          oi[p] = ids[s + p];
          ok[p] = fmix32((ids[s + p] ^ salt) >>> 0);
        }
        radixSortPairs(ok, oi, tmpKeys, tmpIds, count);
        for (let p = 0; p < len - 1; p++) {
          const a = oi[p];
          const last = Math.min(len - 1, p + cap - 1);
          for (let q = p + 1; q <= last; q++) {
            const c = oi[q];
            out.push(a < c ? a * n + c : c * n + a);
          }
        }
      }
      s = e;
    }
  }
  const raw = out.raw;
  return unpackPairs(out.finish(), n, { rawPairs: raw, largestBucket, cappedBuckets });
}

/** Union of candidate pairs from several band ranges (workers), sorted and unique. */
export function mergeCandidatePairs(parts: readonly CandidatePairs[], records: number): CandidatePairs {
  let total = 0;
  for (const p of parts) total += p.i.length;
  const codes = new Float64Array(total);
  let w = 0;
  let rawPairs = 0;
  let largestBucket = 0;
  let cappedBuckets = 0;
  for (const p of parts) {
    for (let t = 0; t < p.i.length; t++) codes[w++] = p.i[t] * records + p.j[t];
    rawPairs += p.stats.rawPairs;
    largestBucket = Math.max(largestBucket, p.stats.largestBucket);
    cappedBuckets += p.stats.cappedBuckets;
  }
  codes.sort();
  let u = 0;
  for (let r = 0; r < codes.length; r++) if (u === 0 || codes[r] !== codes[u - 1]) codes[u++] = codes[r];
  return unpackPairs(codes.subarray(0, u), records, { rawPairs, largestBucket, cappedBuckets });
}

export interface QueryOptions {
  /** A record to leave out of the answer (the query itself, when it is indexed). */
  readonly exclude?: number;
  /** At most this many members are taken from any one bucket (default 256). */
  readonly maxBucketSize?: number;
}

/** First position in keys[lo, hi) whose key is ≥ key. */
function lowerBound(keys: Uint32Array, lo: number, hi: number, key: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Query mode (for `similar`): the indexed records that share at least one band with the
 * signature at `signature[offset, offset + numHashes)`, sorted and unique. An empty-set query has
 * no candidates. A bucket larger than maxBucketSize contributes maxBucketSize members, a window
 * at a band-dependent position, so one degenerate bucket cannot flood the answer.
 */
export function lshQuery(index: LshIndex, signature: Uint32Array, offset = 0, options: QueryOptions = {}): Uint32Array {
  const cap = options.maxBucketSize ?? DEFAULT_MAX_BUCKET_SIZE;
  checkBucketCap(cap);
  if (signature.length < offset + index.numHashes) throw new RangeError('query signature is shorter than numHashes');
  if (signatureIsEmpty(signature, offset, index.numHashes)) return new Uint32Array(0);
  const size = index.size;
  let found = new Uint32Array(64);
  let count = 0;
  for (let b = index.bandFrom; b < index.bandTo; b++) {
    const key = bandKey(signature, offset, b, index.rows);
    const base = (b - index.bandFrom) * size;
    const s = lowerBound(index.keys, base, base + size, key);
    let e = s;
    while (e < base + size && index.keys[e] === key) e++;
    const len = e - s;
    if (len === 0) continue;
    const take = Math.min(len, cap);
    if (count + take > found.length) {
      const grown = new Uint32Array(Math.max(found.length * 2, count + take));
      grown.set(found.subarray(0, count));
      found = grown;
    }
    const start = len <= cap ? 0 : fmix32((key ^ Math.imul(b + 1, 0x9e3779b1)) >>> 0) % len;
    for (let t = 0; t < take; t++) found[count++] = index.ids[s + ((start + t) % len)];
  }
  const all = found.subarray(0, count);
  all.sort();
  let u = 0;
  for (let r = 0; r < all.length; r++) {
    const v = all[r];
    if (v === options.exclude) continue;
    if (u === 0 || all[u - 1] !== v) all[u++] = v;
  }
  return all.slice(0, u);
}

/** Query mode for record `record` of the signature array the index was built from (itself excluded). */
export function lshQueryRecord(index: LshIndex, signatures: Uint32Array, record: number, options: Omit<QueryOptions, 'exclude'> = {}): Uint32Array {
  return lshQuery(index, signatures, record * index.numHashes, { ...options, exclude: record });
}
