/**
 * Retrieval and verification scores of an embedding, pure TypeScript over a row-major
 * Float32Array (n × dim) and integer labels (< 0: unlabelled, left out of every score).
 *
 * Ranking scores follow Musgrave, Belongie & Lim 2020, "A Metric Learning Reality Check": each
 * labelled item is a query against all OTHER labelled items; R = the number of other items of
 * its class; queries with R = 0 are skipped. Neighbours are ordered by distance, ties by index.
 *   precision@1   the nearest neighbour has the query's label
 *   R-precision   share of the R nearest that are relevant
 *   MAP@R         (1/R) Σ_{i=1..R} [i-th is relevant] · precision@i — like R-precision, but
 *                 rewarding relevant items ranked first
 *   recall@k      at least one relevant item among the k nearest (the "Recall@K" of the
 *                 metric-learning retrieval papers, not the share of relevant items found)
 * All are means over the queries.
 *
 * Triplet accuracy: the share of triplets (a, p, n) — label(p) = label(a), label(n) ≠ label(a)
 * — with d(a, p) < d(a, n) strictly (a tie is a miss). Triplets are sampled with a seed, or given.
 *
 * Verification: pairs labelled same/different; the rule "same iff d ≤ t" at the t that
 * maximises accuracy over the pairs (an upper bound: t is fitted on the pairs it scores).
 */
import { mulberry32 } from '../random';

export type EvalDistance = 'euclidean' | 'cosine' | 'combined';

export interface DistanceOptions {
  /** Default 'cosine'. */
  distance?: EvalDistance;
  /** Weight of the Euclidean part of 'combined'; default 0.5. */
  euclideanWeight?: number;
}

export type RowDistance = (i: number, j: number) => number;

function checkShape(embeddings: Float32Array, dim: number, labels: ArrayLike<number>): number {
  if (!(Number.isInteger(dim) && dim > 0)) throw new Error(`dim: ${dim} must be a positive integer`);
  const n = embeddings.length / dim;
  if (!Number.isInteger(n)) throw new Error(`embeddings: ${embeddings.length} values is not a multiple of dim ${dim}`);
  if (labels.length !== n) throw new Error(`labels: ${labels.length} labels for ${n} embeddings`);
  return n;
}

/** d(i, j) between rows i and j of `embeddings` for the chosen distance. */
export function rowDistance(embeddings: Float32Array, dim: number, options: DistanceOptions = {}): RowDistance {
  const kind = options.distance ?? 'cosine';
  const w = options.euclideanWeight ?? 0.5;
  if (!(w >= 0 && w <= 1)) throw new Error(`euclideanWeight: ${w} is not in [0, 1]`);
  const n = embeddings.length / dim;
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = i * dim; k < (i + 1) * dim; k++) s += embeddings[k]! * embeddings[k]!;
    norms[i] = Math.sqrt(s);
  }
  const euclidean = (i: number, j: number) => {
    let s = 0;
    const a = i * dim;
    const b = j * dim;
    for (let k = 0; k < dim; k++) {
      const d = embeddings[a + k]! - embeddings[b + k]!;
      s += d * d;
    }
    return Math.sqrt(s);
  };
  // A zero vector is orthogonal to everything (distance 1), as in losses.ts.
  const cosine = (i: number, j: number) => {
    const denominator = norms[i]! * norms[j]!;
    if (denominator === 0) return 1;
    let s = 0;
    const a = i * dim;
    const b = j * dim;
    for (let k = 0; k < dim; k++) s += embeddings[a + k]! * embeddings[b + k]!;
    return 1 - s / denominator;
  };
  switch (kind) {
    case 'euclidean':
      return euclidean;
    case 'cosine':
      return cosine;
    case 'combined':
      return (i, j) => w * euclidean(i, j) + (1 - w) * cosine(i, j);
    default:
      throw new Error(`distance: unknown '${String(kind)}' (expected euclidean, cosine, combined)`);
  }
}

// Sort keys: the float32 bits of a non-negative distance order like the distance, so
// bits · 2^21 + index is one exact float64 that sorts by distance, then by index (n < 2^21).
const INDEX_BITS = 2 ** 21;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function sortKey(distance: number, index: number): number {
  f32[0] = distance > 0 ? distance : 0; // rounding can make 1 − cos a hair below 0
  return u32[0]! * INDEX_BITS + index;
}

/** Rearranges `keys` so its first k entries are the k smallest, in ascending order. */
export function smallestSorted(keys: Float64Array, k: number): Float64Array {
  const m = keys.length;
  if (k >= m) return keys.sort();
  let lo = 0;
  let hi = m - 1;
  // Quickselect (median-of-three pivot, Hoare partition) until position k − 1 sits in its place.
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const a = keys[lo]!;
    const b = keys[mid]!;
    const c = keys[hi]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (keys[i]! < pivot) i++;
      while (keys[j]! > pivot) j--;
      if (i <= j) {
        const t = keys[i]!;
        keys[i] = keys[j]!;
        keys[j] = t;
        i++;
        j--;
      }
    }
    if (k - 1 <= j) hi = j;
    else if (k - 1 >= i) lo = i;
    else break;
  }
  keys.subarray(0, k).sort();
  return keys;
}

export interface RetrievalOptions extends DistanceOptions {
  /** k values for recall@k; default [1, 5, 10]. */
  ks?: number[];
}

export interface RetrievalScores {
  /** Queries scored (labelled, with R ≥ 1). */
  queries: number;
  precisionAt1: number;
  rPrecision: number;
  mapAtR: number;
  /** recall@k for each asked k. */
  recallAt: Record<number, number>;
}

/** Precision@1, R-precision, MAP@R and recall@k over all labelled items (O(n² · dim)). */
export function retrievalScores(embeddings: Float32Array, dim: number, labels: ArrayLike<number>, options: RetrievalOptions = {}): RetrievalScores {
  const n = checkShape(embeddings, dim, labels);
  if (n >= INDEX_BITS) throw new Error(`retrievalScores: ${n} items; at most ${INDEX_BITS - 1}`);
  const ks = options.ks ?? [1, 5, 10];
  for (const k of ks) if (!(Number.isInteger(k) && k > 0)) throw new Error(`ks: ${k} is not a positive integer`);
  const d = rowDistance(embeddings, dim, options);
  const labelled: number[] = [];
  const classSize = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    if (l < 0) continue;
    labelled.push(i);
    classSize.set(l, (classSize.get(l) ?? 0) + 1);
  }
  const maxK = ks.length ? Math.max(...ks) : 0;
  const keys = new Float64Array(Math.max(labelled.length - 1, 0));
  let queries = 0;
  let p1 = 0;
  let rPrecision = 0;
  let mapAtR = 0;
  const recallHits = ks.map(() => 0);
  for (const q of labelled) {
    const label = labels[q]!;
    const r = classSize.get(label)! - 1;
    if (r === 0) continue;
    let m = 0;
    for (const j of labelled) if (j !== q) keys[m++] = sortKey(d(q, j), j);
    const depth = Math.min(m, Math.max(r, maxK));
    smallestSorted(keys, depth);
    queries++;
    let relevant = 0;
    let precisionSum = 0;
    let firstRelevant = Infinity;
    for (let rank = 0; rank < depth; rank++) {
      const j = keys[rank]! % INDEX_BITS;
      if (labels[j] !== label) continue;
      if (rank < firstRelevant) firstRelevant = rank;
      if (rank < r) {
        relevant++;
        precisionSum += relevant / (rank + 1);
      }
    }
    if (firstRelevant === 0) p1++;
    rPrecision += relevant / r;
    mapAtR += precisionSum / r;
    ks.forEach((k, i) => {
      if (firstRelevant < k) recallHits[i]!++;
    });
  }
  const mean = (x: number) => (queries ? x / queries : 0);
  const recallAt: Record<number, number> = {};
  ks.forEach((k, i) => (recallAt[k] = mean(recallHits[i]!)));
  return { queries, precisionAt1: mean(p1), rPrecision: mean(rPrecision), mapAtR: mean(mapAtR), recallAt };
}

/**
 * `count` triplets (a, p, n) as a flat Int32Array [a0, p0, n0, a1, ...], seeded: the anchor is
 * uniform over labelled items that have a positive, the positive uniform over its class's other
 * items, the negative uniform over labelled items of other classes.
 */
export function sampleTriplets(labels: ArrayLike<number>, count: number, seed = 1): Int32Array {
  if (!(Number.isInteger(count) && count >= 0)) throw new Error(`count: ${count} must be an integer ≥ 0`);
  const byClass = new Map<number, number[]>();
  let labelledCount = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l < 0) continue;
    labelledCount++;
    let list = byClass.get(l);
    if (!list) byClass.set(l, (list = []));
    list.push(i);
  }
  const anchors: number[] = [];
  for (const members of byClass.values()) if (members.length >= 2 && members.length < labelledCount) anchors.push(...members);
  if (count > 0 && anchors.length === 0) throw new Error('sampleTriplets: no class has 2 items while another class exists');
  anchors.sort((a, b) => a - b);
  const random = mulberry32(seed);
  const pick = (xs: ArrayLike<number>) => xs[Math.floor(random() * xs.length)]!;
  const out = new Int32Array(count * 3);
  for (let t = 0; t < count; t++) {
    const a = pick(anchors);
    const own = byClass.get(labels[a]!)!;
    let p = a;
    while (p === a) p = pick(own);
    let neg = a;
    // Rejection sampling over all items: the anchor's class is at most all-but-one labelled item.
    while (labels[neg]! < 0 || labels[neg] === labels[a]) neg = Math.floor(random() * labels.length);
    out[3 * t] = a;
    out[3 * t + 1] = p;
    out[3 * t + 2] = neg;
  }
  return out;
}

/** Share of the given triplets (flat [a, p, n, ...]) with d(a, p) < d(a, n). */
export function tripletAccuracyOn(embeddings: Float32Array, dim: number, triplets: Int32Array, options: DistanceOptions = {}): number {
  if (triplets.length % 3 !== 0) throw new Error(`triplets: length ${triplets.length} is not a multiple of 3`);
  const n = embeddings.length / dim;
  const d = rowDistance(embeddings, dim, options);
  const count = triplets.length / 3;
  if (count === 0) return 0;
  let correct = 0;
  for (let t = 0; t < count; t++) {
    const a = triplets[3 * t]!;
    const p = triplets[3 * t + 1]!;
    const neg = triplets[3 * t + 2]!;
    if (a >= n || p >= n || neg >= n) throw new Error(`triplets[${t}]: index beyond ${n} embeddings`);
    if (d(a, p) < d(a, neg)) correct++;
  }
  return correct / count;
}

export interface TripletAccuracyOptions extends DistanceOptions {
  /** Default 10,000. */
  triplets?: number;
  /** Default 1. */
  seed?: number;
}

/** Triplet accuracy on `triplets` seeded random triplets of the labelled items. */
export function tripletAccuracy(embeddings: Float32Array, dim: number, labels: ArrayLike<number>, options: TripletAccuracyOptions = {}): number {
  checkShape(embeddings, dim, labels);
  return tripletAccuracyOn(embeddings, dim, sampleTriplets(labels, options.triplets ?? 10_000, options.seed ?? 1), options);
}

export interface VerificationResult {
  accuracy: number;
  /** Predict "same" iff distance ≤ threshold (−Infinity: predict "different" for every pair). */
  threshold: number;
  pairs: number;
}

/** Best-threshold accuracy of "same iff d ≤ t" over pairs with distances and same/different truth. */
export function verificationAccuracy(distances: ArrayLike<number>, same: ArrayLike<boolean | number>): VerificationResult {
  const m = distances.length;
  if (same.length !== m) throw new Error(`verification: ${m} distances but ${same.length} truths`);
  if (m === 0) return { accuracy: 0, threshold: -Infinity, pairs: 0 };
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => distances[a]! - distances[b]!);
  let positives = 0;
  for (let i = 0; i < m; i++) {
    if (Number.isNaN(distances[i])) throw new Error(`verification: distance ${i} is NaN`);
    if (same[i]) positives++;
  }
  // Threshold below everything: all "different", correct = the different pairs.
  let correct = m - positives;
  let best = correct;
  let threshold = -Infinity;
  for (let r = 0; r < m; r++) {
    correct += same[order[r]!] ? 1 : -1;
    // Only cut between distinct distances: "d ≤ t" takes all of a tie or none of it.
    if (r + 1 < m && distances[order[r + 1]!] === distances[order[r]!]) continue;
    if (correct > best) {
      best = correct;
      threshold = distances[order[r]!]!;
    }
  }
  return { accuracy: best / m, threshold, pairs: m };
}

export interface PairVerificationOptions extends DistanceOptions {
  /** Pairs to sample, half same-class and half different-class; default 10,000. */
  pairs?: number;
  /** Default 1. */
  seed?: number;
}

/** Verification accuracy at the best threshold on seeded, balanced same/different pairs. */
export function pairVerification(embeddings: Float32Array, dim: number, labels: ArrayLike<number>, options: PairVerificationOptions = {}): VerificationResult {
  checkShape(embeddings, dim, labels);
  const count = options.pairs ?? 10_000;
  // Each triplet gives one same pair (a, p) and one different pair (a, n).
  const triplets = sampleTriplets(labels, Math.ceil(count / 2), options.seed ?? 1);
  const d = rowDistance(embeddings, dim, options);
  const distances: number[] = [];
  const same: boolean[] = [];
  for (let t = 0; t < triplets.length / 3 && distances.length < count; t++) {
    distances.push(d(triplets[3 * t]!, triplets[3 * t + 1]!));
    same.push(true);
    if (distances.length < count) {
      distances.push(d(triplets[3 * t]!, triplets[3 * t + 2]!));
      same.push(false);
    }
  }
  return verificationAccuracy(distances, same);
}
