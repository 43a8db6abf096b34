/** Task `lshCandidates`: the LSH candidate pairs of a signature array (sorted, unique, i < j). */
import { selectCandidatesPerRecord } from '../../engine/index/candidateSelection';
import { buildLshIndex, lshCandidatePairs, type CandidateStats } from '../../engine/index/lsh';
import type { TaskContext } from '../task';

export interface CandidatesPayload {
  signatures: Uint32Array;
  numHashes: number;
  bands: number;
  rows: number;
  maxBucketSize?: number;
  /** Keep per record only its best candidates by MinHash estimate (and none below minJaccard). */
  perRecord?: number;
  minJaccard?: number;
  /** With these, the floor depends on the pair's lengths (see jaccardFloor): q = t^k, shingles per record. */
  q?: number;
  shingles?: Int32Array;
}

export interface CandidatesResult {
  i: Uint32Array;
  j: Uint32Array;
  stats: CandidateStats;
  /** Candidate pairs before the per-record selection, and those below the Jaccard floor. */
  lshPairs: number;
  belowFloor: number;
}

export function candidatesTask(payload: unknown, ctx: TaskContext): CandidatesResult {
  const p = payload as CandidatesPayload;
  const index = buildLshIndex(p.signatures, p.numHashes, { bands: p.bands, rows: p.rows });
  ctx.throwIfCancelled();
  const pairs = lshCandidatePairs(index, p.maxBucketSize === undefined ? {} : { maxBucketSize: p.maxBucketSize });
  ctx.throwIfCancelled();
  let result: CandidatesResult = { i: pairs.i, j: pairs.j, stats: pairs.stats, lshPairs: pairs.i.length, belowFloor: 0 };
  if (p.perRecord !== undefined) {
    const n = p.signatures.length / p.numHashes;
    const selected = selectCandidatesPerRecord(n, pairs, p.signatures, p.numHashes, {
      perRecord: p.perRecord,
      minJaccard: p.minJaccard ?? 0,
      ...(p.q !== undefined && p.shingles ? { lengthAware: { q: p.q, shingles: p.shingles } } : {}),
    });
    result = { ...result, i: selected.i, j: selected.j, belowFloor: selected.belowFloor };
  }
  ctx.transferResult(result.i.buffer as ArrayBuffer, result.j.buffer as ArrayBuffer);
  return result;
}
