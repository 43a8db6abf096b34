// The sparse neighbour graph DBSCAN runs on, in CSR form, built from a verified edge list.
//
// Input edges are undirected pairs (i, j) with an optional distance; they may come in any order,
// in either orientation, repeated (e.g. from several LSH bands or several workers). The graph is
// symmetric (each edge appears in both rows), has no self loops, has each row sorted ascending
// and free of duplicates (a repeated edge keeps its smallest distance). Built with two stable
// counting sorts (by the far end, then by the near end): O(n + edges) time and memory.

export type DistanceArray = Float32Array | Float64Array;

export interface NeighbourGraph {
  /** Number of vertices (records). */
  readonly n: number;
  /** Row v is neighbours[offsets[v], offsets[v + 1]); length n + 1. */
  readonly offsets: Int32Array;
  readonly neighbours: Int32Array;
  /** Distance of each neighbour entry, when the edges carried distances. */
  readonly distances?: DistanceArray;
}

export interface EdgeList {
  readonly i: Uint32Array;
  readonly j: Uint32Array;
  readonly distance?: DistanceArray;
}

export interface GraphOptions {
  /** Keep only edges with distance ≤ eps (requires distances). */
  readonly eps?: number;
}

export function degree(graph: NeighbourGraph, v: number): number {
  return graph.offsets[v + 1] - graph.offsets[v];
}

/** Builds the symmetric, deduplicated CSR neighbour graph of `n` vertices from an edge list. */
export function buildNeighbourGraph(n: number, edges: EdgeList, options: GraphOptions = {}): NeighbourGraph {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`vertex count must be an integer in 0..2^31−1, got ${n}`);
  const m = edges.i.length;
  if (edges.j.length !== m || (edges.distance && edges.distance.length !== m)) throw new RangeError('edge arrays i, j (and distance) must have the same length');
  const dist = edges.distance;
  const eps = options.eps;
  if (eps !== undefined && !dist) throw new RangeError('an eps filter needs edge distances');
  const keep = (e: number): boolean => edges.i[e] !== edges.j[e] && (eps === undefined || (dist as DistanceArray)[e] <= eps);

  // Pass 1: counting sort of the directed edges (a→b and b→a) by their far end.
  const byFar = new Int32Array(n + 1);
  let directed = 0;
  for (let e = 0; e < m; e++) {
    const a = edges.i[e];
    const b = edges.j[e];
    if (a >= n || b >= n) throw new RangeError(`edge ${e} (${a}, ${b}) names a vertex ≥ n = ${n}`);
    if (!keep(e)) continue;
    byFar[a + 1]++;
    byFar[b + 1]++;
    directed += 2;
  }
  if (directed > 0x7fffffff) throw new RangeError('too many edges for Int32 offsets');
  for (let v = 0; v < n; v++) byFar[v + 1] += byFar[v];
  const nearSorted = new Int32Array(directed);
  const DistCtor = dist instanceof Float32Array ? Float32Array : Float64Array;
  const distSorted = dist ? new DistCtor(directed) : undefined;
  const fill = byFar.slice(0, n);
  for (let e = 0; e < m; e++) {
    if (!keep(e)) continue;
    const a = edges.i[e];
    const b = edges.j[e];
    let p = fill[b]++;
    nearSorted[p] = a;
    if (distSorted) distSorted[p] = (dist as DistanceArray)[e];
    p = fill[a]++;
    nearSorted[p] = b;
    if (distSorted) distSorted[p] = (dist as DistanceArray)[e];
  }

  // Pass 2: stable counting sort by the near end; walking far ends in ascending order leaves
  // every row sorted ascending.
  // The edge set is symmetric, so a vertex is as often a near end as a far end: same offsets.
  const offsets = byFar.slice();
  const neighbours = new Int32Array(directed);
  const distances = dist ? new DistCtor(directed) : undefined;
  const rowFill = offsets.slice(0, n);
  for (let far = 0; far < n; far++) {
    for (let p = byFar[far]; p < byFar[far + 1]; p++) {
      const near = nearSorted[p];
      const q = rowFill[near]++;
      neighbours[q] = far;
      if (distances) distances[q] = (distSorted as DistanceArray)[p];
    }
  }

  // Pass 3: drop repeated neighbours in place (keeping the smallest distance), recompute offsets.
  let w = 0;
  let rowStart = 0;
  for (let v = 0; v < n; v++) {
    const end = offsets[v + 1];
    const newStart = w;
    for (let p = rowStart; p < end; p++) {
      const u = neighbours[p];
      if (w > newStart && neighbours[w - 1] === u) {
        if (distances && distances[p] < distances[w - 1]) distances[w - 1] = distances[p];
        continue;
      }
      neighbours[w] = u;
      if (distances) distances[w] = distances[p];
      w++;
    }
    rowStart = end;
    offsets[v] = newStart;
  }
  offsets[n] = w;
  const graph: NeighbourGraph = {
    n,
    offsets,
    neighbours: w === directed ? neighbours : neighbours.slice(0, w),
    ...(distances ? { distances: w === directed ? distances : distances.slice(0, w) } : {}),
  };
  return graph;
}
