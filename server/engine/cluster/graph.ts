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

/** An edge list with a distance on each edge. */
export interface WeightedEdges {
  i: Uint32Array;
  j: Uint32Array;
  distance: Float32Array;
}

/**
 * The edges of `graph` (each once, i < j) among the k nearest neighbours of either end (ties at
 * the k-th distance included). When the graph holds every pair within eps, these are each
 * record's nearest neighbours within eps — what a kNN pass would give, without computing a
 * distance again. O(edges · log degree).
 */
export function nearestInGraph(graph: NeighbourGraph, k: number): WeightedEdges {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const { n, offsets, neighbours, distances } = graph;
  if (!distances) throw new RangeError('nearestInGraph needs a graph built with edge distances');
  // cutoff[v]: the distance of v's k-th nearest neighbour (∞ when it has at most k: all are kept).
  const cutoff = new Float64Array(n);
  for (let v = 0; v < n; v++) {
    const row = distances.subarray(offsets[v], offsets[v + 1]);
    cutoff[v] = row.length <= k ? Infinity : (row.slice().sort()[k - 1] as number);
  }
  const i: number[] = [];
  const j: number[] = [];
  const distance: number[] = [];
  for (let a = 0; a < n; a++) {
    for (let e = offsets[a]; e < offsets[a + 1]; e++) {
      const b = neighbours[e];
      const d = distances[e];
      if (b > a && (d <= cutoff[a] || d <= cutoff[b])) {
        i.push(a);
        j.push(b);
        distance.push(d);
      }
    }
  }
  return { i: Uint32Array.from(i), j: Uint32Array.from(j), distance: Float32Array.from(distance) };
}
