/**
 * Task `similarQuery`: the k records most similar to one record. Candidates are its LSH
 * bucket-mates plus the records with the highest MinHash Jaccard estimates (so a query always
 * has k answers, even when few records share a band with it); each gets its exact identity.
 */
import { identityFromDistance } from '../../engine/cluster/identity';
import { levenshtein } from '../../engine/measures';
import { buildLshIndex, lshQuery } from '../../engine/index/lsh';
import { estimateJaccard } from '../../engine/index/minhash';
import { recordCount, symbolsAt, type PackedSymbols } from '../packedSymbols';
import type { TaskContext } from '../taskContext';

export interface SimilarPayload {
  packed: PackedSymbols;
  signatures: Uint32Array;
  numHashes: number;
  bands: number;
  rows: number;
  /** The query: a record of the dataset (excluded from the answer) or its own symbols + signature. */
  record?: number;
  querySymbols?: Uint8Array | Int32Array;
  querySignature?: Uint32Array;
  k: number;
}

export interface SimilarHit {
  index: number;
  identity: number;
  distance: number;
  jaccard: number;
}

export function similarTask(p: SimilarPayload, ctx: TaskContext): SimilarHit[] {
  const n = recordCount(p.packed);
  const H = p.numHashes;
  const self = p.record;
  const qSig = self !== undefined ? p.signatures.subarray(self * H, (self + 1) * H) : (p.querySignature as Uint32Array);
  const qSym = self !== undefined ? symbolsAt(p.packed, self) : (p.querySymbols as Uint8Array | Int32Array);

  const index = buildLshIndex(p.signatures, H, { bands: p.bands, rows: p.rows });
  const candidates = new Set<number>(lshQuery(index, qSig, 0));
  // Top records by estimated Jaccard: a linear scan of the signatures, O(n · numHashes).
  const extra = Math.max(4 * p.k, 32);
  const scored: { r: number; j: number }[] = [];
  for (let r = 0; r < n; r++) {
    if (r === self) continue;
    scored.push({ r, j: estimateJaccard(qSig, 0, p.signatures, r * H, H) });
  }
  scored.sort((x, y) => y.j - x.j || x.r - y.r);
  for (let t = 0; t < Math.min(extra, scored.length); t++) candidates.add(scored[t].r);
  candidates.delete(self as number);
  ctx.throwIfCancelled();

  const jaccardOf = new Map(scored.map((s) => [s.r, s.j]));
  const hits: SimilarHit[] = [];
  let done = 0;
  for (const r of candidates) {
    const b = symbolsAt(p.packed, r);
    const distance = levenshtein(qSym, b);
    hits.push({ index: r, identity: identityFromDistance(distance, qSym.length, b.length), distance, jaccard: jaccardOf.get(r) ?? 0 });
    ctx.progress(++done, candidates.size);
    if ((done & 15) === 0) ctx.throwIfCancelled();
  }
  hits.sort((x, y) => y.identity - x.identity || x.distance - y.distance || x.index - y.index);
  return hits.slice(0, p.k);
}
