/**
 * The two worker tasks of leak detection between a reference set and a query set (jobs/findLeaks):
 *  - `contentKeys`: one 53-bit content key per record (packed symbols) or per vector row, so
 *    that exact copies are found by a hash lookup before any search. A key only proposes a copy:
 *    the host confirms every match element by element, so a collision cannot report a leak.
 *  - `crossLeaks`: for each query record of a slice, the reference records that share an LSH
 *    band with it (candidates only across the two sets, never within one), pre-filtered by their
 *    MinHash estimate against the length-aware Jaccard floor of the threshold, then verified by
 *    the bounded identity `cluster` uses, best estimate first so the bound tightens as the best
 *    identity rises. The answer is the verified best reference record, never an estimate.
 */
import { identityWithin } from '../../engine/cluster/identity';
import { jaccardFloor } from '../../engine/index/candidateSelection';
import { buildLshIndex, lshQuery } from '../../engine/index/lsh';
import { estimateJaccard } from '../../engine/index/minhash';
import { symbolsAt, type PackedSymbols } from '../packedSymbols';
import type { TaskContext } from '../taskContext';

export type ContentKeysPayload = { packed: PackedSymbols; from: number; to: number } | { data: Float32Array; dim: number; from: number; to: number };

/** Two independent 32-bit hashes of a word sequence, folded into one exact-in-a-double key. */
function keyOf(words: ArrayLike<number>, from: number, to: number): number {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ (to - from);
  for (let i = from; i < to; i++) {
    const w = words[i] >>> 0;
    a = Math.imul(a ^ w, 0x01000193);
    b = Math.imul(b ^ Math.imul(w, 0xcc9e2d51), 0x1b873593);
    b = (b << 13) | (b >>> 19);
  }
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}

/** Content keys of records (or rows) [from, to). Vectors are keyed on their float bits. */
export function contentKeysTask(p: ContentKeysPayload, ctx: TaskContext): Float64Array {
  const out = new Float64Array(p.to - p.from);
  if ('packed' in p) {
    for (let r = p.from; r < p.to; r++) {
      if ((r & 1023) === 0) ctx.throwIfCancelled();
      const s = symbolsAt(p.packed, r);
      out[r - p.from] = keyOf(s, 0, s.length);
    }
  } else {
    const bits = new Uint32Array(p.data.buffer, p.data.byteOffset, p.data.length);
    for (let r = p.from; r < p.to; r++) {
      if ((r & 1023) === 0) ctx.throwIfCancelled();
      out[r - p.from] = keyOf(bits, r * p.dim, (r + 1) * p.dim);
    }
  }
  ctx.transferResult(out.buffer as ArrayBuffer);
  return out;
}

export interface CrossLeaksPayload {
  reference: PackedSymbols;
  referenceSignatures: Uint32Array;
  /** Shingles per reference record (length − k + 1, at least 1): the length-aware floor. */
  referenceShingles: Int32Array;
  query: PackedSymbols;
  querySignatures: Uint32Array;
  queryShingles: Int32Array;
  numHashes: number;
  bands: number;
  rows: number;
  /** Identity threshold in (0, 1]. */
  threshold: number;
  /** t^k: the chance a k-mer survives at identity t (jaccardFloor). */
  q: number;
  /** The query records to check (those without an exact copy). */
  queries: Uint32Array;
  /** Largest LSH bucket taken whole (lshQuery's cap). */
  maxBucketSize: number;
}

export interface CrossLeaksResult {
  /** Per checked query: the best reference record at ≥ threshold, or −1. */
  reference: Int32Array;
  identity: Float32Array;
  candidates: number;
  aligned: number;
}

export function crossLeaksTask(p: CrossLeaksPayload, ctx: TaskContext): CrossLeaksResult {
  const H = p.numHashes;
  const index = buildLshIndex(p.referenceSignatures, H, { bands: p.bands, rows: p.rows });
  const nq = p.queries.length;
  const best = new Int32Array(nq).fill(-1);
  const identity = new Float32Array(nq);
  let candidates = 0;
  let aligned = 0;
  let order = new Float64Array(64);
  for (let t = 0; t < nq; t++) {
    if ((t & 63) === 0) {
      ctx.throwIfCancelled();
      ctx.progress(t, nq);
    }
    const qi = p.queries[t];
    const cand = lshQuery(index, p.querySignatures, qi * H, { maxBucketSize: p.maxBucketSize });
    candidates += cand.length;
    if (cand.length > order.length) order = new Float64Array(cand.length * 2);
    // Keep the candidates at or above their floor, keyed estimate-first (descending), record next.
    let kept = 0;
    for (let c = 0; c < cand.length; c++) {
      const r = cand[c];
      const est = estimateJaccard(p.querySignatures, qi * H, p.referenceSignatures, r * H, H);
      if (est < jaccardFloor(p.q, p.queryShingles[qi], p.referenceShingles[r])) continue;
      // Larger estimate first, then smaller record: −est·2^32 + r sorts that way ascending.
      order[kept++] = -Math.round(est * H) * 0x100000000 + r;
    }
    const keys = order.subarray(0, kept).sort();
    const symbols = symbolsAt(p.query, qi);
    let bestId = -1;
    let bestRef = -1;
    for (let c = 0; c < kept; c++) {
      const key = keys[c];
      const r = key - Math.floor(key / 0x100000000) * 0x100000000;
      aligned++;
      const id = identityWithin(symbols, symbolsAt(p.reference, r), bestId > p.threshold ? bestId : p.threshold);
      // NaN when below the bound; a tie keeps the earlier (better-estimated, then smaller) record.
      if (id === id && (id > bestId || (id === bestId && r < bestRef))) {
        bestId = id;
        bestRef = r;
        if (id >= 1) break;
      }
    }
    best[t] = bestRef;
    identity[t] = bestRef >= 0 ? bestId : 0;
  }
  ctx.progress(nq, nq);
  ctx.transferResult(best.buffer as ArrayBuffer, identity.buffer as ArrayBuffer);
  return { reference: best, identity, candidates, aligned };
}
