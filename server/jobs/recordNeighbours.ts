/**
 * Small read-side helpers over a clustered or indexed dataset, for the editor features: each
 * record's nearest verified neighbours, the record at a line, and a whole file's MinHash. All
 * linear passes over arrays the pool already produced: cheap enough for the LSP thread.
 */
import { EMPTY_SLOT } from '../engine/index/minhash';
import type { NeighbourEdges } from './clusterDataset';
import type { RecordMeta } from '../worker/tasks/loadDataset';
import type { SequenceIndex } from './sequenceIndex';
import { ioTurn } from '../worker/ioTurn';

export interface Neighbour {
  record: number;
  /** Identity, or for vectors the 0..1 score of the distance (higher = closer). */
  identity: number;
  /** Vectors: the distance. */
  distance?: number;
}

/**
 * Per record, its `keep` best neighbours, best first, in flat typed arrays: a Neighbour object
 * is made only when a record's list is read (a hover, a diagnostic). Objects for every offered
 * neighbour cost ~200 ms of allocation and scavenges for 60,000 records × 5, on the LSP thread.
 */
export class NeighbourLists {
  private readonly count: Uint8Array;
  private readonly records: Int32Array;
  private readonly identities: Float32Array;
  private readonly distances: Float32Array | undefined;

  constructor(
    readonly n: number,
    readonly keep: number,
    withDistances: boolean,
  ) {
    if (!Number.isInteger(keep) || keep < 1 || keep > 255) throw new RangeError(`keep must be an integer in 1..255, got ${keep}`);
    this.count = new Uint8Array(n);
    this.records = new Int32Array(n * keep);
    this.identities = new Float32Array(n * keep);
    this.distances = withDistances ? new Float32Array(n * keep) : undefined;
  }

  /** Record `at`'s neighbours, best first (empty for an index out of range). */
  of(at: number): Neighbour[] {
    const out: Neighbour[] = [];
    const c = this.count[at] ?? 0;
    for (let t = at * this.keep; t < at * this.keep + c; t++) {
      const record = this.records[t]!;
      const identity = this.identities[t]!;
      out.push(this.distances ? { record, identity, distance: this.distances[t]! } : { record, identity });
    }
    return out;
  }

  /** Offers `other` to `at`'s list: kept when the list has room or it beats the last; after equals already there. */
  offer(at: number, other: number, identity: number, distance: number): void {
    if (!(at >= 0 && at < this.n)) return;
    const keep = this.keep;
    const base = at * keep;
    const c = this.count[at]!;
    const ids = this.identities;
    if (c === keep && ids[base + keep - 1]! >= identity) return;
    // Insertion into a short sorted list: O(keep) per offer.
    let pos = c === keep ? keep - 1 : c;
    while (pos > 0 && ids[base + pos - 1]! < identity) {
      this.records[base + pos] = this.records[base + pos - 1]!;
      ids[base + pos] = ids[base + pos - 1]!;
      if (this.distances) this.distances[base + pos] = this.distances[base + pos - 1]!;
      pos--;
    }
    this.records[base + pos] = other;
    ids[base + pos] = identity;
    if (this.distances) this.distances[base + pos] = distance;
    if (c < keep) this.count[at] = c + 1;
  }
}

/** Per record, its `keep` best neighbours among the verified edges, best first. */
export function nearestNeighbours(n: number, edges: NeighbourEdges, keep = 5): NeighbourLists {
  const lists = new NeighbourLists(n, keep, edges.distance !== undefined);
  offerEdges(lists, edges, 0, edges.i.length);
  return lists;
}

/** Edges offered between two turns of the event loop (2¹⁸ took 80–120 ms a turn on the loaded 2-core machine with a Neighbour object per offer; this is a quarter). */
const EDGES_PER_TURN = 1 << 16;

/**
 * `nearestNeighbours` for the LSP thread: the same lists, built `EDGES_PER_TURN` edges at a time
 * with a turn of the event loop between (13 M edges of BioMarKs50k at 97 % held the thread for
 * 0.53 s in one go, and hovers waited).
 */
export async function nearestNeighboursYielding(n: number, edges: NeighbourEdges, keep = 5): Promise<NeighbourLists> {
  const lists = new NeighbourLists(n, keep, edges.distance !== undefined);
  // A turn before the first slice too: the caller has usually just received a job's answer in this turn.
  for (let from = 0; from < edges.i.length; from += EDGES_PER_TURN) {
    await ioTurn();
    offerEdges(lists, edges, from, Math.min(edges.i.length, from + EDGES_PER_TURN));
  }
  return lists;
}

function offerEdges(lists: NeighbourLists, edges: NeighbourEdges, from: number, to: number): void {
  const distance = edges.distance;
  for (let e = from; e < to; e++) {
    const a = edges.i[e]!;
    const b = edges.j[e]!;
    const id = edges.identity[e]!;
    const d = distance ? distance[e]! : 0;
    lists.offer(a, b, id, d);
    lists.offer(b, a, id, d);
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
