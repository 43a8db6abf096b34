/** Task `lshCandidates`: the LSH candidate pairs of a signature array (sorted, unique, i < j). */
import { buildLshIndex, lshCandidatePairs, type CandidateStats } from '../../engine/index/lsh';
import type { TaskContext } from '../task';

export interface CandidatesPayload {
  signatures: Uint32Array;
  numHashes: number;
  bands: number;
  rows: number;
  maxBucketSize?: number;
}

export interface CandidatesResult {
  i: Uint32Array;
  j: Uint32Array;
  stats: CandidateStats;
}

export function candidatesTask(payload: unknown, ctx: TaskContext): CandidatesResult {
  const p = payload as CandidatesPayload;
  const index = buildLshIndex(p.signatures, p.numHashes, { bands: p.bands, rows: p.rows });
  ctx.throwIfCancelled();
  const pairs = lshCandidatePairs(index, p.maxBucketSize === undefined ? {} : { maxBucketSize: p.maxBucketSize });
  ctx.transferResult(pairs.i.buffer as ArrayBuffer, pairs.j.buffer as ArrayBuffer);
  return { i: pairs.i, j: pairs.j, stats: pairs.stats };
}
