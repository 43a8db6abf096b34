/**
 * Small read-side helpers over a clustered or indexed dataset, for the editor features: each
 * record's nearest verified neighbours, the record at a line, and a whole file's MinHash. All
 * linear passes over arrays the pool already produced: cheap enough for the LSP thread.
 */
import { EMPTY_SLOT } from '../engine/index/minhash';
import type { NeighbourEdges } from './clusterDataset';
import type { RecordMeta } from '../worker/tasks/loadDataset';
import type { SequenceIndex } from './sequenceIndex';

export interface Neighbour {
  record: number;
  /** Identity, or for vectors the 0..1 score of the distance (higher = closer). */
  identity: number;
  /** Vectors: the distance. */
  distance?: number;
}

/** Per record, its `keep` best neighbours among the verified edges, best first. */
export function nearestNeighbours(n: number, edges: NeighbourEdges, keep = 5): Neighbour[][] {
  const lists: Neighbour[][] = Array.from({ length: n }, () => []);
  offerEdges(lists, edges, keep, 0, edges.i.length);
  return lists;
}

/** Edges offered between two turns of the event loop (2¹⁸ took 80–120 ms a turn on the loaded 2-core machine; this is a quarter). */
const EDGES_PER_TURN = 1 << 16;

/**
 * `nearestNeighbours` for the LSP thread: the same lists, built `EDGES_PER_TURN` edges at a time
 * with a turn of the event loop between (13 M edges of BioMarKs50k at 97 % held the thread for
 * 0.53 s in one go, and hovers waited).
 */
export async function nearestNeighboursYielding(n: number, edges: NeighbourEdges, keep = 5): Promise<Neighbour[][]> {
  const lists: Neighbour[][] = Array.from({ length: n }, () => []);
  for (let from = 0; from < edges.i.length; from += EDGES_PER_TURN) {
    if (from > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    offerEdges(lists, edges, keep, from, Math.min(edges.i.length, from + EDGES_PER_TURN));
  }
  return lists;
}

function offerEdges(lists: Neighbour[][], edges: NeighbourEdges, keep: number, from: number, to: number): void {
  const offer = (at: number, other: number, identity: number, distance: number | undefined) => {
    const list = lists[at];
    if (!list) return;
    if (list.length === keep && (list[keep - 1] as Neighbour).identity >= identity) return;
    // Insertion into a short sorted list: O(keep) per edge, one pass over all edges.
    let pos = list.length;
    while (pos > 0 && (list[pos - 1] as Neighbour).identity < identity) pos--;
    list.splice(pos, 0, distance === undefined ? { record: other, identity } : { record: other, identity, distance });
    if (list.length > keep) list.pop();
  };
  for (let e = from; e < to; e++) {
    const a = edges.i[e] as number;
    const b = edges.j[e] as number;
    const id = edges.identity[e] as number;
    const d = edges.distance?.[e];
    offer(a, b, id, d);
    offer(b, a, id, d);
  }
}

/** The record whose lines hold `line` (records sorted by startLine, as readers yield them). */
export function recordAtLine(records: readonly RecordMeta[], line: number): RecordMeta | undefined {
  let lo = 0;
  let hi = records.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = records[mid] as RecordMeta;
    if (line < r.startLine) hi = mid - 1;
    else if (line > r.endLine) lo = mid + 1;
    else return r;
  }
  return undefined;
}

/**
 * The MinHash of a whole file: slot-wise minimum of its records' signatures, which is exactly the
 * signature of the union of their k-mer sets (same permutations) — no re-reading of the file.
 */
export function fileSignature(index: SequenceIndex): Uint32Array {
  const H = index.params.numHashes;
  const out = new Uint32Array(H).fill(EMPTY_SLOT);
  const sig = index.signatures;
  for (let base = 0; base < sig.length; base += H) {
    for (let h = 0; h < H; h++) {
      const v = sig[base + h] as number;
      if (v < (out[h] as number)) out[h] = v;
    }
  }
  return out;
}

/** Estimated Jaccard of two whole signatures: the engine's one estimator (its rule for empty slots included). */
export { signatureJaccard as estimateJaccard } from '../engine/index/minhash';
