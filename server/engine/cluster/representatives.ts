// Each cluster's representative and each member's identity to it, from the verified graph.
//
// Conventions:
// - the representative of a cluster is its medoid by the graph: the member with the highest mean
//   identity to the other members, where a pair the graph does not hold (not verified, or below
//   the threshold) counts as identity 0. The graph holds every verified pair at ≥ threshold, so
//   this is an estimate that favours the best-connected member; it costs O(n + edges) and no
//   alignment. Ties go to the higher abundance (`;size=N` in the id, else 1), then the lower
//   record index (file order);
// - a member's identity to its representative is read off the graph when the pair is an edge
//   (an exact identity: verification computes it exactly once it is ≥ threshold), else NaN —
//   the caller aligns those pairs (worker task `identityPairs`), so every identity reported is exact;
// - noise (label −1) has no representative: −1, identity NaN. The representative itself: identity 1.

import { NOISE } from './dbscan';
import type { NeighbourGraph } from './graph';

export interface Representatives {
  /** Per record: the record index of its cluster's representative, or −1 for noise. */
  readonly representative: Int32Array;
  /** Per record: identity to its representative (1 for the representative itself), NaN when not yet known or noise. */
  readonly identity: Float32Array;
}

const SIZE_ANNOTATION = /;size=(\d+)/;

/** The abundance a record's id declares (`seq1;size=12;` as vsearch and USEARCH write it), or 1. */
export function abundanceOf(id: string): number {
  const m = SIZE_ANNOTATION.exec(id);
  if (!m) return 1;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : 1;
}

/** True when any id carries a `;size=N` annotation. */
export function hasAbundances(ids: readonly string[]): boolean {
  return ids.some((id) => SIZE_ANNOTATION.test(id));
}

/**
 * Medoids of the clusters of `labels` in a graph whose distances are 1 − identity, and each
 * member's identity to its medoid when the graph holds that pair. O(n + edges).
 */
export function graphMedoids(graph: NeighbourGraph, labels: Int32Array, abundance?: ArrayLike<number>): Representatives {
  const { n, offsets, neighbours, distances } = graph;
  if (labels.length !== n) throw new RangeError(`labels cover ${labels.length} records, the graph ${n}`);
  if (!distances) throw new RangeError('graphMedoids needs a graph built with distances (1 − identity)');
  // Sum of identities to the other members of the same cluster.
  const sum = new Float64Array(n);
  let clusters = 0;
  for (let v = 0; v < n; v++) {
    const c = labels[v];
    if (c === NOISE) continue;
    if (c + 1 > clusters) clusters = c + 1;
    let s = 0;
    for (let e = offsets[v]; e < offsets[v + 1]; e++) if (labels[neighbours[e]] === c) s += 1 - distances[e];
    sum[v] = s;
  }
  // Every member of a cluster has the same number of others, so the largest sum is the largest mean.
  const best = new Int32Array(clusters).fill(-1);
  const ab = (v: number): number => (abundance ? abundance[v] : 1);
  for (let v = 0; v < n; v++) {
    const c = labels[v];
    if (c === NOISE) continue;
    const b = best[c];
    if (b < 0 || sum[v] > sum[b] || (sum[v] === sum[b] && ab(v) > ab(b))) best[c] = v;
  }
  const representative = new Int32Array(n).fill(-1);
  const identity = new Float32Array(n).fill(NaN);
  for (let v = 0; v < n; v++) {
    const c = labels[v];
    if (c === NOISE) continue;
    const r = best[c];
    representative[v] = r;
    if (r === v) {
      identity[v] = 1;
      continue;
    }
    const at = edgeAt(graph, v, r);
    if (at >= 0) identity[v] = 1 - distances[at];
  }
  return { representative, identity };
}

/** The position of neighbour u in v's row (rows are sorted), or −1. */
export function edgeAt(graph: NeighbourGraph, v: number, u: number): number {
  const nb = graph.neighbours;
  let lo = graph.offsets[v];
  let hi = graph.offsets[v + 1] - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const w = nb[mid];
    if (w === u) return mid;
    if (w < u) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The records whose identity to their representative is still unknown (NaN, not noise). */
export function missingIdentities(reps: Representatives): { i: Uint32Array; j: Uint32Array } {
  const i: number[] = [];
  const j: number[] = [];
  for (let v = 0; v < reps.representative.length; v++) {
    if (reps.representative[v] >= 0 && Number.isNaN(reps.identity[v])) {
      i.push(v);
      j.push(reps.representative[v]);
    }
  }
  return { i: Uint32Array.from(i), j: Uint32Array.from(j) };
}
