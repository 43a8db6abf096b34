/**
 * Task `sketch`: MinHash signatures of records [from, to) of a packed dataset, written straight
 * into the shared signature array (several workers fill disjoint ranges at once).
 */
import { hashWords32 } from '../../engine/features/hash';
import { KmerHasher } from '../../engine/features/kmers';
import { sortUniqueInPlace } from '../../engine/features/hash';
import { createMinHashFamily, minhashInto } from '../../engine/index/minhash';
import { symbolsAt, type PackedSymbols } from '../packedSymbols';
import type { TaskContext } from '../taskContext';

/** What a record's shingles are: canonical DNA k-mers, or character n-grams of text. */
export type ShingleSpec = { kind: 'kmers'; k: number; canonical: boolean } | { kind: 'chars'; n: number };

export interface SketchPayload {
  packed: PackedSymbols;
  shingles: ShingleSpec;
  numHashes: number;
  seed: number;
  from: number;
  to: number;
  /** Shared Uint32Array(records · numHashes). */
  signatures: Uint32Array;
}

/** Character n-gram hashes of code points (a text shorter than n is one shingle, empty is none). */
function charShingleHashes(points: Int32Array | Uint8Array, n: number, scratch: Uint32Array): Uint32Array {
  const len = points.length;
  if (len === 0) return scratch.subarray(0, 0);
  if (len <= n) {
    scratch[0] = hashWords32(points, 0, len);
    return scratch.subarray(0, 1);
  }
  const count = len - n + 1;
  for (let i = 0; i < count; i++) scratch[i] = hashWords32(points, i, i + n);
  return scratch.subarray(0, sortUniqueInPlace(scratch, 0, count));
}

export function sketchTask(p: SketchPayload, ctx: TaskContext): { done: number } {
  const family = createMinHashFamily(p.numHashes, p.seed);
  // Raw k-mers (repeats kept, unsorted): a minimum ignores both, and sorting was a fifth of the sketch's time.
  const hasher = p.shingles.kind === 'kmers' ? new KmerHasher({ k: p.shingles.k, canonical: p.shingles.canonical, distinct: false }) : undefined;
  let scratch = new Uint32Array(1024);
  const total = p.to - p.from;
  for (let r = p.from; r < p.to; r++) {
    if ((r & 63) === 0) {
      ctx.throwIfCancelled();
      ctx.progress(r - p.from, total);
    }
    const symbols = symbolsAt(p.packed, r);
    let set: Uint32Array;
    if (hasher) set = hasher.hash(symbols as Uint8Array);
    else {
      if (scratch.length < symbols.length + 1) scratch = new Uint32Array(symbols.length * 2 + 1);
      set = charShingleHashes(symbols, (p.shingles as { n: number }).n, scratch);
    }
    minhashInto(family, set, p.signatures, r * p.numHashes);
  }
  ctx.progress(total, total);
  return { done: total };
}
