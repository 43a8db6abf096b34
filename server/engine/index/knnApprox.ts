// Approximate kNN for large n: LSH candidates, re-ranked exactly.
//
// Cosine uses random-hyperplane LSH (./hyperplaneLsh.ts), Euclidean (and squared Euclidean)
// p-stable LSH (./pStableLsh.ts). L tables, each keyed by K concatenated hashes; a query's
// candidates are the rows sharing its key in at least one table; their exact distances (the
// loops of ../measures/vector.ts) give the k returned, sorted by (distance, index). A query with
// fewer than k candidates is answered by an exact scan (counted as a fallback). Everything random
// is drawn from the seed: same seed, same index, same answers.
//
// Choosing K, L (and the width w of p-stable hashes) for a target recall R (default 0.9):
// 1. sample S query rows (default 64, seeded) and compute their exact k nearest distances
//    (the "near" distances d₁ … d_{S·k}), and the distances of 1,000 random pairs (the "far" ones);
// 2. one hash agrees with probability p(d) (1 − arccos(1 − d)/π for hyperplanes; the E2LSH
//    formula for p-stable), so a true neighbour at distance d is found with probability
//    1 − (1 − p(d)^K)^L; for each K (1 … 32, and w ∈ {½, 1, 2, 4, 8} × the median near distance),
//    L is the smallest number of tables (≤ maxTables, default 48) with mean over the near
//    distances ≥ R — the predicted recall@k;
// 3. the expected share of the data that becomes a candidate is the same formula averaged over
//    the far pairs, f; a query then costs about L·K·dim (hashing) + f·n·dim (re-ranking) + 20·L
//    (bucket look-ups), and the (K, L, w) of least cost is chosen. When no K reaches R within
//    maxTables, the one with the highest predicted recall is taken (and reported).
// The choice is reported (predicted recall and candidate share) so a caller can show it.

import { cosineDistance, sqeuclidean } from '../measures/vector';
import { hyperplaneCollision, hyperplaneFamily } from './hyperplaneLsh';
import { checkMatrix, knnExact, type KnnResult } from './knnExact';
import { bucket, buildTables, mulberry32, type LshFamily, type LshTables } from './lshTables';
import { pStableCollision, pStableFamily } from './pStableLsh';

export type ApproxMetric = 'euclidean' | 'sqeuclidean' | 'cosine';

export interface ApproxKnnOptions {
  /** Default 'euclidean'. */
  metric?: ApproxMetric;
  /** Target recall@k of the automatic parameters (default 0.9). */
  recall?: number;
  /** The k the parameters are chosen for (default 10). */
  k?: number;
  /** Default 1. */
  seed?: number;
  /** Fix the parameters instead of choosing them (all three for p-stable, tables and bits for hyperplanes). */
  tables?: number;
  bits?: number;
  width?: number;
  /** Upper bound on L for the automatic choice (default 48). */
  maxTables?: number;
  /** Query rows sampled for the automatic choice (default 64). */
  sampleQueries?: number;
}

export interface ApproxParams {
  family: 'hyperplane' | 'p-stable';
  tables: number;
  bits: number;
  /** p-stable bucket width (in the metric's Euclidean units). */
  width?: number;
  /** Predicted recall@k on the sample (absent when the parameters were given). */
  predictedRecall?: number;
  /** Predicted share of the data that becomes a query's candidates. */
  predictedCandidateShare?: number;
}

export interface ApproxIndex {
  readonly data: Float32Array;
  readonly n: number;
  readonly dim: number;
  readonly metric: ApproxMetric;
  readonly params: ApproxParams;
  readonly family: LshFamily;
  readonly tables: LshTables;
  /** Keys of the data rows (keys[r·L + t]), reused when the data are the queries. */
  readonly keys: Uint32Array;
}

export interface ApproxKnnResult extends KnnResult {
  /** Mean number of distinct candidates per query (re-ranked exactly). */
  meanCandidates: number;
  /** Queries answered by an exact scan (fewer than k candidates). */
  fallbacks: number;
  params: ApproxParams;
}

function checkMetric(metric: string): ApproxMetric {
  if (metric !== 'euclidean' && metric !== 'sqeuclidean' && metric !== 'cosine') throw new RangeError(`approximate kNN supports euclidean, sqeuclidean and cosine, not '${metric}'`);
  return metric;
}

/** P(one hash agrees) at distance d (in the metric's units) for the metric's family. */
function collision(metric: ApproxMetric, width: number): (d: number) => number {
  if (metric === 'cosine') return hyperplaneCollision;
  if (metric === 'sqeuclidean') return (d) => pStableCollision(Math.sqrt(d), width);
  return (d) => pStableCollision(d, width);
}

/** Distinct rows of [0, n), `size` of them (all when n ≤ size), seeded. */
function sample(n: number, size: number, rng: () => number): Int32Array {
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const m = Math.min(n, size);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(rng() * (n - i));
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
  }
  return all.slice(0, m).sort();
}

/** The automatic (K, L, w) of the file comment. */
export function chooseApproxParams(data: Float32Array, n: number, dim: number, options: ApproxKnnOptions = {}): ApproxParams {
  const metric = checkMetric(options.metric ?? 'euclidean');
  const recall = options.recall ?? 0.9;
  if (!(recall > 0 && recall < 1)) throw new RangeError(`recall must be in (0, 1), got ${recall}`);
  const k = Math.max(1, Math.min(options.k ?? 10, n - 1));
  const maxTables = options.maxTables ?? 48;
  const rng = mulberry32((options.seed ?? 1) ^ 0x2545f491);
  const family: ApproxParams['family'] = metric === 'cosine' ? 'hyperplane' : 'p-stable';
  if (n < 2) return { family, tables: 1, bits: 1, ...(family === 'p-stable' ? { width: 1 } : {}) };
  const rows = sample(n, options.sampleQueries ?? 64, rng);
  const near = knnExact(data, n, dim, k, { metric, rows }).distances;
  const farCount = 1000;
  const far = new Float64Array(farCount);
  const row = (r: number) => data.subarray(r * dim, (r + 1) * dim);
  for (let t = 0; t < farCount; t++) {
    const a = Math.floor(rng() * n);
    let b = Math.floor(rng() * (n - 1));
    if (b >= a) b++;
    far[t] = metric === 'cosine' ? cosineDistance(row(a), row(b)) : metric === 'sqeuclidean' ? sqeuclidean(row(a), row(b)) : Math.sqrt(sqeuclidean(row(a), row(b)));
  }
  const sortedNear = Float64Array.from(near).sort();
  let r = sortedNear[sortedNear.length >> 1];
  if (metric === 'sqeuclidean') r = Math.sqrt(r);
  if (!(r > 0)) r = sortedNear.find((v) => v > 0) ?? 1;
  const widths = family === 'hyperplane' ? [0] : [0.5, 1, 2, 4, 8].map((m) => m * r);
  let best: (ApproxParams & { cost: number }) | undefined;
  let fallback: (ApproxParams & { cost: number }) | undefined;
  const maxBits = family === 'hyperplane' ? 32 : 24;
  const pn = new Float64Array(near.length);
  const pf = new Float64Array(farCount);
  for (const width of widths) {
    const p = collision(metric, width);
    const pNear = Float64Array.from(near, (d) => p(d));
    const pFar = Float64Array.from(far, (d) => p(d));
    for (let bits = 1; bits <= maxBits; bits++) {
      for (let t = 0; t < pn.length; t++) pn[t] = Math.pow(pNear[t], bits);
      for (let t = 0; t < farCount; t++) pf[t] = Math.pow(pFar[t], bits);
      let tables = 0;
      let predicted = 0;
      while (tables < maxTables && predicted < recall) {
        tables++;
        predicted = meanFound(pn, tables);
      }
      const share = meanFound(pf, tables);
      const cost = tables * bits * dim + share * n * dim + 20 * tables;
      const choice: ApproxParams & { cost: number } = { family, tables, bits, ...(family === 'p-stable' ? { width } : {}), predictedRecall: predicted, predictedCandidateShare: share, cost };
      if (predicted >= recall) {
        if (!best || cost < best.cost) best = choice;
      } else if (!fallback || predicted > (fallback.predictedRecall ?? 0)) fallback = choice;
    }
  }
  const chosen = (best ?? fallback) as ApproxParams & { cost: number };
  return { family: chosen.family, tables: chosen.tables, bits: chosen.bits, ...(chosen.width !== undefined ? { width: chosen.width } : {}), predictedRecall: chosen.predictedRecall, predictedCandidateShare: chosen.predictedCandidateShare } as ApproxParams;
}

/** Mean over pairs of 1 − (1 − pᵢ)^L: the share found in at least one of L tables. */
function meanFound(p: Float64Array, tables: number): number {
  let s = 0;
  for (let t = 0; t < p.length; t++) s += 1 - Math.pow(1 - p[t], tables);
  return p.length > 0 ? s / p.length : 0;
}

/** Builds the tables (parameters chosen automatically unless given). */
export function buildApproxIndex(data: Float32Array, n: number, dim: number, options: ApproxKnnOptions = {}): ApproxIndex {
  const metric = checkMetric(options.metric ?? 'euclidean');
  checkMatrix(data, n, dim);
  const seed = options.seed ?? 1;
  let params: ApproxParams;
  if (options.tables !== undefined && options.bits !== undefined && (metric === 'cosine' || options.width !== undefined)) {
    params = { family: metric === 'cosine' ? 'hyperplane' : 'p-stable', tables: options.tables, bits: options.bits, ...(metric === 'cosine' ? {} : { width: options.width }) };
  } else {
    params = chooseApproxParams(data, n, dim, options);
  }
  const family = params.family === 'hyperplane' ? hyperplaneFamily(dim, params.tables, params.bits, seed) : pStableFamily(dim, params.tables, params.bits, params.width as number, seed);
  const keys = family.keys(data, n);
  return { data, n, dim, metric, params, family, tables: buildTables(keys, n, params.tables), keys };
}

export interface ApproxQueryOptions {
  /** Queries of their own; default: every data row, each without itself. */
  queries?: Float32Array;
  onProgress?: (done: number, total: number) => void;
}

/** The approximate k nearest neighbours of each query (see the file comment). */
export function queryApprox(index: ApproxIndex, k: number, options: ApproxQueryOptions = {}): ApproxKnnResult {
  const { data, n, dim, metric } = index;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const own = options.queries === undefined;
  const Q = options.queries ?? data;
  const nq = own ? n : Q.length / dim;
  if (!own) checkMatrix(Q, nq, dim, 'queries');
  const kk = Math.max(0, Math.min(k, own ? n - 1 : n));
  const L = index.params.tables;
  const qKeys = own ? index.keys : index.family.keys(Q, nq);
  const indices = new Int32Array(nq * kk);
  const distances = new Float32Array(nq * kk);
  const stamp = new Int32Array(n).fill(-1);
  let cand = new Int32Array(1024);
  let candD = new Float64Array(1024);
  let order: number[] = [];
  let total = 0;
  let fallbacks = 0;
  const cosine = metric === 'cosine';
  for (let q = 0; q < nq && kk > 0; q++) {
    const self = own ? q : -1;
    let m = 0;
    for (let t = 0; t < L; t++) {
      const [s, e] = bucket(index.tables, t, qKeys[q * L + t]);
      for (let x = s; x < e; x++) {
        const r = index.tables.rows[x];
        if (stamp[r] === q || r === self) continue;
        stamp[r] = q;
        if (m === cand.length) {
          const c2 = new Int32Array(m * 2);
          c2.set(cand);
          cand = c2;
          const d2 = new Float64Array(m * 2);
          d2.set(candD);
          candD = d2;
        }
        cand[m++] = r;
      }
    }
    total += m;
    if (m < kk) {
      fallbacks++;
      const exact = own ? knnExact(data, n, dim, kk, { metric, rows: Int32Array.of(q) }) : knnExact(data, n, dim, kk, { metric, queries: Q.subarray(q * dim, (q + 1) * dim) });
      indices.set(exact.indices, q * kk);
      distances.set(exact.distances, q * kk);
      continue;
    }
    const a = q * dim;
    for (let c = 0; c < m; c++) {
      const b = cand[c] * dim;
      if (cosine) candD[c] = cosineRows(Q, a, data, b, dim);
      else {
        let s = 0;
        for (let t = 0; t < dim; t++) {
          const d = Q[a + t] - data[b + t];
          s += d * d;
        }
        candD[c] = metric === 'euclidean' ? Math.sqrt(s) : s;
      }
    }
    if (order.length < m) order = Array.from({ length: m }, (_, i) => i);
    const o = order.slice(0, m);
    for (let c = 0; c < m; c++) o[c] = c;
    o.sort((x, y) => candD[x] - candD[y] || cand[x] - cand[y]);
    for (let t = 0; t < kk; t++) {
      indices[q * kk + t] = cand[o[t]];
      distances[q * kk + t] = candD[o[t]];
    }
    if ((q & 255) === 255) options.onProgress?.(q + 1, nq);
  }
  options.onProgress?.(nq, nq);
  return { nq, k: kk, indices, distances, meanCandidates: nq > 0 ? total / nq : 0, fallbacks, params: index.params };
}

/** cosineDistance of two rows, with vector.ts's arithmetic (the same sums in the same order). */
function cosineRows(A: Float32Array, a: number, B: Float32Array, b: number, dim: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let t = 0; t < dim; t++) {
    const x = A[a + t];
    const y = B[b + t];
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  const nn = na * nb;
  if (!(na > 0 && nb > 0)) return cosineDistance(A.subarray(a, a + dim), B.subarray(b, b + dim));
  const s = dot / Math.sqrt(nn);
  return 1 - (s > 1 ? 1 : s < -1 ? -1 : s);
}

/** Approximate kNN of every data row (each without itself): index + queries. */
export function knnApprox(data: Float32Array, n: number, dim: number, k: number, options: ApproxKnnOptions & ApproxQueryOptions = {}): ApproxKnnResult {
  const index = buildApproxIndex(data, n, dim, { k, ...options });
  return queryApprox(index, k, options);
}

/**
 * recall@k of an approximate answer against the exact one: per query, the share of its first k
 * returned neighbours whose distance is within the exact k-th distance (so a tie with the k-th
 * counts as found, as in ann-benchmarks), averaged over the queries.
 */
export function recallAtK(approx: KnnResult, exact: KnnResult, k = 10): number {
  if (approx.nq !== exact.nq) throw new RangeError(`recallAtK: ${approx.nq} approximate answers for ${exact.nq} queries`);
  const kk = Math.min(k, approx.k, exact.k);
  if (approx.nq === 0 || kk === 0) return 1;
  let found = 0;
  for (let q = 0; q < approx.nq; q++) {
    const limit = exact.distances[q * exact.k + kk - 1];
    for (let t = 0; t < kk; t++) if (approx.distances[q * approx.k + t] <= limit) found++;
  }
  return found / (approx.nq * kk);
}
