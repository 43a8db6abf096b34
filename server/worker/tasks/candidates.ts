/**
 * Candidate pairs, in tasks that split the work over the pool:
 *  - `lshBands`: the LSH index of a range of bands (bands are independent: workers build
 *    disjoint ranges, the host joins them into one shared index);
 *  - `lshCandidates`: the LSH candidate pairs (i < j) whose smaller record is in [recordFrom,
 *    recordTo), sorted and unique — and, when a per-record budget follows, only the pairs at or
 *    above their floor, each with its MinHash estimate code (the costly, memory-bound part);
 *  - split by records, each record's best `perRecord` pairs by estimate: `markCandidates` (each
 *    worker marks its records' choices in one shared flag array) then `collectCandidates` (the
 *    flagged pairs, in order);
 *  - with a per-record budget, instead of the pair list: `lshBounds` (the index's bucket bounds,
 *    once, shared), `lshSelect` (each record range's best candidates straight from the index:
 *    engine/index/lshSelection) and `mergeChoices` (their union, sorted);
 *  - `localityOrder`, before them: the records' signatures and symbols copied into an order
 *    where neighbours sit close together (engine/index/localityOrder), for cache-friendly reads.
 */
import { collectSelected, estimatePairs, lowBytes, lowBytesSize, markSelected, type LowByteSignatures } from '../../engine/index/candidateSelection';
import { equalBytesAvailable } from '../../engine/index/equalBytesSimd';
import { localityOrder } from '../../engine/index/localityOrder';
import { buildLshIndex, lshCandidatePairs, type CandidateStats, type LshArrays, type LshIndex } from '../../engine/index/lsh';
import { bucketBounds, mergeChoices, selectFromLsh, type BucketBounds, type LshChoices } from '../../engine/index/lshSelection';
import { sharedBuffer, sharedMemory } from '../mappedMemory';
import { sharedUint32 } from '../packedSymbols';
import type { TaskContext } from '../taskContext';

export interface CandidatesPayload {
  signatures: Uint32Array;
  numHashes: number;
  bands: number;
  rows: number;
  maxBucketSize?: number;
  recordFrom?: number;
  recordTo?: number;
  /** The LSH index of these signatures with these bands and rows (from `lshBands`, shared); built here when absent. */
  index?: LshIndex;
  /** Estimate every pair against this floor (or the per-pair floor from q and shingles). */
  estimate?: { minJaccard: number; q?: number; shingles?: Int32Array };
}

export interface CandidatesResult {
  i: Uint32Array;
  j: Uint32Array;
  stats: CandidateStats;
  /** With `estimate`: one code per returned pair (engine/index/candidateSelection estimatePairs); pairs below their floor are left out. */
  codes?: Uint16Array;
  belowFloor: number;
}

export interface LshBandsPayload {
  signatures: Uint32Array;
  numHashes: number;
  bands: number;
  rows: number;
  bandFrom: number;
  bandTo: number;
  /** Index the records in this order (engine/index/lsh BuildLshOptions.order). */
  order?: Uint32Array;
  /** Shared arrays of the whole index to write these bands into (BuildLshOptions.into). */
  into?: LshArrays;
}

export function lshBandsTask(p: LshBandsPayload, ctx: TaskContext): LshIndex {
  const index = buildLshIndex(p.signatures, p.numHashes, { bands: p.bands, rows: p.rows }, { bandFrom: p.bandFrom, bandTo: p.bandTo, ...(p.order ? { order: p.order } : {}), ...(p.into ? { into: p.into } : {}) });
  // In shared memory the caller has them already (and a shared buffer cannot be transferred).
  if (!p.into) ctx.transferResult(index.keys.buffer as ArrayBuffer, index.ids.buffer as ArrayBuffer);
  return index;
}

export function candidatesTask(p: CandidatesPayload, ctx: TaskContext): CandidatesResult {
  const given = p.index;
  if (given && (given.bands !== p.bands || given.rows !== p.rows || given.numHashes !== p.numHashes || given.bandFrom !== 0 || given.bandTo !== p.bands || given.records * p.numHashes !== p.signatures.length)) {
    throw new RangeError(`the LSH index given (${given.bands}×${given.rows}, bands [${given.bandFrom}, ${given.bandTo}), ${given.records} records) is not the one of these signatures (${p.bands}×${p.rows})`);
  }
  const index = given ?? buildLshIndex(p.signatures, p.numHashes, { bands: p.bands, rows: p.rows });
  ctx.throwIfCancelled();
  const pairs = lshCandidatePairs(index, {
    ...(p.maxBucketSize === undefined ? {} : { maxBucketSize: p.maxBucketSize }),
    ...(p.recordFrom === undefined ? {} : { recordFrom: p.recordFrom }),
    ...(p.recordTo === undefined ? {} : { recordTo: p.recordTo }),
  });
  ctx.throwIfCancelled();
  let result: CandidatesResult = { i: pairs.i, j: pairs.j, stats: pairs.stats, belowFloor: 0 };
  if (p.estimate) {
    const e = p.estimate;
    const n = p.signatures.length / p.numHashes;
    const { codes, belowFloor } = estimatePairs(n, pairs, p.signatures, p.numHashes, {
      minJaccard: e.minJaccard,
      ...(e.q !== undefined && e.shingles ? { lengthAware: { q: e.q, shingles: e.shingles } } : {}),
    });
    // Only the pairs at or above their floor go back (a quarter fewer on BioMarKs50k).
    const kept = codes.length - belowFloor;
    const i = new Uint32Array(kept);
    const j = new Uint32Array(kept);
    const keptCodes = new Uint16Array(kept);
    let w = 0;
    for (let t = 0; t < codes.length; t++) {
      if (codes[t] === 0) continue;
      i[w] = pairs.i[t];
      j[w] = pairs.j[t];
      keptCodes[w++] = codes[t];
    }
    result = { i, j, stats: pairs.stats, codes: keptCodes, belowFloor };
  }
  ctx.transferResult(result.i.buffer as ArrayBuffer, result.j.buffer as ArrayBuffer, ...(result.codes ? [result.codes.buffer as ArrayBuffer] : []));
  return result;
}

export interface MarkPayload {
  n: number;
  numHashes: number;
  perRecord: number;
  /** All pairs and codes (shared memory: every worker reads them). */
  i: Uint32Array;
  j: Uint32Array;
  codes: Uint16Array;
  /** Shared Uint8Array(pairs): this worker sets keep[p] = 1 for the pairs its records take. */
  keep: Uint8Array;
  recordFrom: number;
  recordTo: number;
}

export function markCandidatesTask(p: MarkPayload, ctx: TaskContext): { done: number } {
  ctx.throwIfCancelled();
  markSelected(p.n, p, p.codes, p.numHashes, p.perRecord, p.keep, p.recordFrom, p.recordTo);
  return { done: p.recordTo - p.recordFrom };
}

export interface CollectPayload {
  numHashes: number;
  i: Uint32Array;
  j: Uint32Array;
  codes: Uint16Array;
  keep: Uint8Array;
}

export function collectCandidatesTask(p: CollectPayload): { i: Uint32Array; j: Uint32Array } {
  const selected = collectSelected(p, p.codes, p.numHashes, p.keep);
  // In shared memory: the host hands each verification task a view of a range (no copy on its thread).
  const i = sharedUint32(selected.i.length);
  const j = sharedUint32(selected.j.length);
  i.set(selected.i);
  j.set(selected.j);
  return { i, j };
}

/** Shared memory for `length` 32-bit values: every worker reads what these tasks return, without a copy. */
const shared32 = (length: number): SharedArrayBuffer => sharedBuffer(Math.max(1, length) * 4);

export function lshBoundsTask(p: { index: LshIndex }): BucketBounds {
  return bucketBounds(p.index, shared32);
}

export interface LshSelectPayload {
  index: LshIndex;
  bounds: BucketBounds;
  /** The low bytes of the index's signatures (from `localityOrder`). */
  lowBytes: LowByteSignatures;
  perRecord: number;
  maxBucketSize: number;
  minJaccard: number;
  q?: number;
  shingles?: Int32Array;
  recordFrom: number;
  recordTo: number;
}

export function lshSelectTask(p: LshSelectPayload, ctx: TaskContext): LshChoices {
  ctx.throwIfCancelled();
  return selectFromLsh(
    p.index,
    p.bounds,
    p.lowBytes,
    {
      perRecord: p.perRecord,
      maxBucketSize: p.maxBucketSize,
      minJaccard: p.minJaccard,
      ...(p.q !== undefined && p.shingles ? { lengthAware: { q: p.q, shingles: p.shingles } } : {}),
      recordFrom: p.recordFrom,
      recordTo: p.recordTo,
    },
    (length) => sharedBuffer(Math.max(1, length) * 4),
  );
}

export function mergeChoicesTask(p: { parts: { i: Uint32Array; j: Uint32Array }[]; n: number }): { i: Uint32Array; j: Uint32Array } {
  return mergeChoices(p.parts, p.n, shared32);
}

export interface LocalityPayload {
  signatures: Uint32Array;
  numHashes: number;
  /**
   * Instead of a copy of the signatures in the order, their low bytes in it (for lshSelect, in
   * shared memory; the LSH index reads the original signatures through the order): 8× smaller.
   */
  lowBytes?: boolean;
}

export interface LocalityResult {
  /**
   * order[p] = the record at position p, in shared memory: every verification task reads the
   * symbols through it (there is no reordered copy of the symbols: 19 MB at 50,000 amplicons).
   */
  order: Uint32Array;
  /** Signatures or (with `lowBytes`) their low bytes in that order (shared memory, like the originals). */
  signatures?: Uint32Array;
  lowBytes?: LowByteSignatures;
}

export function localityOrderTask(p: LocalityPayload, ctx: TaskContext): LocalityResult {
  const H = p.numHashes;
  const order = sharedUint32(Math.floor(p.signatures.length / H));
  order.set(localityOrder(p.signatures, H));
  ctx.throwIfCancelled();
  if (p.lowBytes) {
    // In a shared WebAssembly memory where the SIMD count can run (every selection task reads it there).
    const memory = equalBytesAvailable() ? sharedMemory(lowBytesSize(order.length, H)) : undefined;
    const bytes = lowBytes(p.signatures, order.length, H, (size) => memory?.buffer ?? sharedBuffer(size), order);
    return { order, lowBytes: memory ? { ...bytes, memory } : bytes };
  }
  const signatures = sharedUint32(order.length * H);
  for (let q = 0; q < order.length; q++) signatures.set(p.signatures.subarray(order[q] * H, (order[q] + 1) * H), q * H);
  return { order, signatures };
}
