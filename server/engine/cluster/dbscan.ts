// DBSCAN on a sparse neighbour graph (CSR), O(n + edges).
//
// Conventions (shared by every DBSCAN in this folder, so their labels agree exactly):
// - a point's neighbourhood counts the point itself, as in scikit-learn (and density-clustering):
//   p is a core point when degree(p) + 1 ≥ minPts. So minPts = 1 makes every point core, and
//   minPts = 2 means "has at least one neighbour";
// - clusters are the connected components of the core points; their ids are 0, 1, ... in order
//   of discovery, scanning points by index — i.e. ordered by their smallest core point;
// - a border point (not core, with a core neighbour) joins the first cluster that reaches it,
//   which, clusters being expanded one after another in id order, is the smallest cluster id
//   among its core neighbours. density-clustering assigns border points the same way;
// - every other point is noise, label −1.

import { NeighbourGraph } from './graph';

export const NOISE = -1;
const UNSET = -2;

function checkMinPts(minPts: number): void {
  if (!Number.isInteger(minPts) || minPts < 1) throw new RangeError(`minPts must be a positive integer, got ${minPts}`);
}

/**
 * 1 for core points (degree + 1 ≥ minPts), else 0. With `weights` (a vertex standing for that
 * many identical records, as after dereplication) the neighbourhood counts weights instead:
 * weight(v) + Σ weight(neighbours) ≥ minPts — the count the expanded records would have.
 */
export function coreMask(graph: NeighbourGraph, minPts: number, weights?: ArrayLike<number>): Uint8Array {
  checkMinPts(minPts);
  const core = new Uint8Array(graph.n);
  const off = graph.offsets;
  if (weights) {
    const nb = graph.neighbours;
    for (let v = 0; v < graph.n; v++) {
      let w = weights[v];
      for (let e = off[v]; e < off[v + 1]; e++) w += weights[nb[e]];
      core[v] = w >= minPts ? 1 : 0;
    }
    return core;
  }
  for (let v = 0; v < graph.n; v++) core[v] = off[v + 1] - off[v] + 1 >= minPts ? 1 : 0;
  return core;
}

/** DBSCAN labels (cluster id ≥ 0, or NOISE) of the graph's vertices; eps is already in the graph's edges. `weights`: see coreMask. */
export function dbscanGraph(graph: NeighbourGraph, minPts: number, weights?: ArrayLike<number>): Int32Array {
  const n = graph.n;
  const core = coreMask(graph, minPts, weights);
  const off = graph.offsets;
  const nb = graph.neighbours;
  const labels = new Int32Array(n).fill(UNSET);
  const queue = new Int32Array(n); // each core point is enqueued once
  let next = 0;
  for (let p = 0; p < n; p++) {
    if (core[p] === 0 || labels[p] !== UNSET) continue;
    const c = next++;
    labels[p] = c;
    let head = 0;
    let tail = 0;
    queue[tail++] = p;
    while (head < tail) {
      const q = queue[head++];
      for (let e = off[q]; e < off[q + 1]; e++) {
        const u = nb[e];
        if (labels[u] !== UNSET) continue;
        labels[u] = c;
        if (core[u] === 1) queue[tail++] = u;
      }
    }
  }
  for (let p = 0; p < n; p++) if (labels[p] === UNSET) labels[p] = NOISE;
  return labels;
}

/** Number of clusters in a label array (max label + 1). */
export function clusterCount(labels: Int32Array): number {
  let max = -1;
  for (let p = 0; p < labels.length; p++) if (labels[p] > max) max = labels[p];
  return max + 1;
}
