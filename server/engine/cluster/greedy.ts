// Greedy centroid clustering, as vsearch's --cluster_fast and cd-hit do it, on a verified graph.
//
// Records are taken in a fixed order (by decreasing length, or by decreasing abundance when the
// ids carry `;size=N`; ties by record index); each joins the centroid among its graph neighbours
// that was already chosen and is the most identical to it (ties: the earlier centroid), else it
// becomes a new centroid. The graph holds only verified pairs at ≥ threshold with their exact
// identities, so every member is within the threshold of its centroid by construction — a
// guarantee DBSCAN's chains do not give. Unlike vsearch (which accepts the first hit in k-mer
// order, --maxaccepts 1) the closest centroid is taken: the choice then does not depend on the
// candidate order. Cluster ids are 0, 1, ... in order of their centroids. No noise: a record with
// no centroid within the threshold is a cluster of one. O(n log n + edges).

import type { NeighbourGraph } from './graph';
import type { Representatives } from './representatives';

export interface GreedyClustering extends Representatives {
  readonly labels: Int32Array;
}

/**
 * The order records are taken in: decreasing abundance when given (vsearch's --cluster_size),
 * else decreasing length (--cluster_fast); ties by length, then record index.
 */
export function greedyOrder(lengths: ArrayLike<number>, abundance?: ArrayLike<number>): Uint32Array {
  const n = lengths.length;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => (abundance ? abundance[b] - abundance[a] : 0) || lengths[b] - lengths[a] || a - b);
  return Uint32Array.from(order);
}

/** Greedy centroid clustering of a graph whose distances are 1 − identity, records taken in `order`. */
export function greedyCentroids(graph: NeighbourGraph, order: ArrayLike<number>): GreedyClustering {
  const { n, offsets, neighbours, distances } = graph;
  if (!distances) throw new RangeError('greedyCentroids needs a graph built with distances (1 − identity)');
  if (order.length !== n) throw new RangeError(`the order covers ${order.length} records, the graph ${n}`);
  const labels = new Int32Array(n).fill(-1);
  const representative = new Int32Array(n).fill(-1);
  const identity = new Float32Array(n).fill(NaN);
  const isCentroid = new Uint8Array(n);
  let next = 0;
  for (let k = 0; k < n; k++) {
    const v = order[k];
    if (labels[v] !== -1) throw new RangeError(`record ${v} appears twice in the order`);
    let best = -1;
    let bestDistance = Infinity;
    for (let e = offsets[v]; e < offsets[v + 1]; e++) {
      const u = neighbours[e];
      if (isCentroid[u] === 0) continue;
      const d = distances[e];
      if (d < bestDistance || (d === bestDistance && labels[u] < labels[best])) {
        best = u;
        bestDistance = d;
      }
    }
    if (best < 0) {
      isCentroid[v] = 1;
      labels[v] = next++;
      representative[v] = v;
      identity[v] = 1;
    } else {
      labels[v] = labels[best];
      representative[v] = best;
      identity[v] = 1 - bestDistance;
    }
  }
  return { labels, representative, identity };
}
