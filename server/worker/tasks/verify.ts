/**
 * Task `verifyPairs`: the exact check of candidate pairs. A pair whose MinHash estimate of the
 * Jaccard similarity is below `minJaccard` is dropped first (a 128-slot comparison is far cheaper
 * than an edit distance); the rest get the bounded identity (engine/cluster/identity), and those
 * at or above the threshold come back as edges.
 */
import { identityWithin, sequenceIdentity } from '../../engine/cluster/identity';
import { jaccardFloor } from '../../engine/index/candidateSelection';
import { estimateJaccardAt } from '../../engine/index/minhash';
import { symbolsAt, type PackedSymbols } from '../packedSymbols';
import type { TaskContext } from '../taskContext';

export interface VerifyPayload {
  packed: PackedSymbols;
  /**
   * When the pairs (and signatures, shingles) number the records in another order: pair (a, b)
   * compares the symbols of records order[a] and order[b]. The symbols stay in file order (a
   * reordered copy of them cost n × length bytes, and the alignments read no faster from it).
   */
  order?: Uint32Array;
  /** For the Jaccard pre-filter; not needed (nor read) when minJaccard is 0 and no per-pair floor is given. */
  signatures?: Uint32Array;
  numHashes: number;
  minJaccard: number;
  /** With these, the pre-filter floor depends on the pair's lengths (see jaccardFloor). */
  q?: number;
  shingles?: Int32Array;
  threshold: number;
  i: Uint32Array;
  j: Uint32Array;
}

export interface VerifyResult {
  i: Uint32Array;
  j: Uint32Array;
  identity: Float32Array;
  /** Pairs dropped by the Jaccard pre-filter, and pairs that got an edit distance. */
  filtered: number;
  aligned: number;
}

/**
 * The kept pairs of a chunk before they are cut to size: one set per worker, grown to the largest
 * chunk and reused. A new set per task (240 KB a chunk of 20,000 pairs) was garbage the worker's
 * heap held until its next full collection, freed into a malloc arena where it stayed resident.
 */
let scratch = { outI: new Uint32Array(0), outJ: new Uint32Array(0), outId: new Float32Array(0) };

function verifyScratch(n: number): typeof scratch {
  if (scratch.outI.length < n) scratch = { outI: new Uint32Array(n), outJ: new Uint32Array(n), outId: new Float32Array(n) };
  return scratch;
}

export function verifyTask(p: VerifyPayload, ctx: TaskContext): VerifyResult {
  const n = p.i.length;
  const prefilter = p.minJaccard > 0 || (p.q !== undefined && p.shingles !== undefined);
  if (prefilter && !p.signatures) throw new RangeError('verifyPairs: a Jaccard pre-filter needs the signatures');
  const { outI, outJ, outId } = verifyScratch(n);
  let kept = 0;
  let filtered = 0;
  for (let t = 0; t < n; t++) {
    if ((t & 255) === 0) {
      ctx.throwIfCancelled();
      ctx.progress(t, n);
    }
    const a = p.i[t];
    const b = p.j[t];
    const floor = p.q !== undefined && p.shingles ? jaccardFloor(p.q, p.shingles[a], p.shingles[b]) : p.minJaccard;
    if (floor > 0 && estimateJaccardAt(p.signatures!, p.numHashes, a, b) < floor) {
      filtered++;
      continue;
    }
    const id = p.order ? identityWithin(symbolsAt(p.packed, p.order[a]), symbolsAt(p.packed, p.order[b]), p.threshold) : identityWithin(symbolsAt(p.packed, a), symbolsAt(p.packed, b), p.threshold);
    if (id === id) {
      outI[kept] = a;
      outJ[kept] = b;
      outId[kept] = id;
      kept++;
    }
  }
  ctx.progress(n, n);
  const result = { i: outI.slice(0, kept), j: outJ.slice(0, kept), identity: outId.slice(0, kept), filtered, aligned: n - filtered };
  ctx.transferResult(result.i.buffer as ArrayBuffer, result.j.buffer as ArrayBuffer, result.identity.buffer as ArrayBuffer);
  return result;
}

export interface IdentityPairsPayload {
  packed: PackedSymbols;
  i: Uint32Array;
  j: Uint32Array;
}

/**
 * Task `identityPairs`: the exact identity of each pair, however low — a member's identity to its
 * cluster's representative when verification did not compute it (DBSCAN chains members that are
 * not each other's neighbours). One bit-parallel edit distance per pair, O(len²/32).
 */
export function identityPairsTask(p: IdentityPairsPayload, ctx: TaskContext): { identity: Float32Array } {
  const n = p.i.length;
  const identity = new Float32Array(n);
  for (let t = 0; t < n; t++) {
    if ((t & 63) === 0) {
      ctx.throwIfCancelled();
      ctx.progress(t, n);
    }
    identity[t] = sequenceIdentity(symbolsAt(p.packed, p.i[t]), symbolsAt(p.packed, p.j[t]));
  }
  ctx.progress(n, n);
  ctx.transferResult(identity.buffer as ArrayBuffer);
  return { identity };
}
