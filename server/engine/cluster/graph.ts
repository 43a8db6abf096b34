// The sparse neighbour graph DBSCAN runs on, in CSR form, built from a verified edge list.
//
// Input edges are undirected pairs (i, j) with an optional distance; they may come in any order,
// in either orientation, repeated (e.g. from several LSH bands or several workers). The graph is
// symmetric (each edge appears in both rows), has no self loops, has each row sorted ascending
// and free of duplicates (a repeated edge keeps its smallest distance). Built with two stable
// counting sorts (by the far end, then by the near end): O(n + edges) time and memory; a list of
// distinct pairs already sorted by (i, j), as range queries give, in one pass instead.
//
// The build is cut by rows so that a pool can share it (jobs/parallelGraph.ts): countRows gives
// each row's length, a prefix sum the offsets, and fillRows fills rows [from, to) alone — each
// call reads every edge but writes only its own rows. buildNeighbourGraph is the same two steps
// over all rows, then merges repeated edges.

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
  /**
   * Instead of `distance`: a similarity in [0, 1] per edge (an identity), the distance being
   * 1 − similarity rounded to Float32 — what a Float32Array of 1 − similarity would hold.
   */
  readonly similarity?: Float32Array;
}

export interface GraphOptions {
  /** Keep only edges with distance ≤ eps (requires distances). */
  readonly eps?: number;
}

export function degree(graph: NeighbourGraph, v: number): number {
  return graph.offsets[v + 1] - graph.offsets[v];
}

/** Whether the edges carry distances (or similarities, their complements). */
function carriesDistances(edges: EdgeList): boolean {
  if (edges.distance && edges.similarity) throw new RangeError('an edge list carries distances or similarities, not both');
  return edges.distance !== undefined || edges.similarity !== undefined;
}

/**
 * Checks an edge list and its options. An edge enters the graph unless it is a self loop or its
 * distance is beyond eps; countRows and fillRows test that inline (closures cost them ~2×).
 */
function checkEdges(n: number, edges: EdgeList, options: GraphOptions): void {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`vertex count must be an integer in 0..2^31−1, got ${n}`);
  const m = edges.i.length;
  const weights = edges.distance ?? edges.similarity;
  if (edges.j.length !== m || (weights && weights.length !== m)) throw new RangeError('edge arrays i, j (and distance) must have the same length');
  if (options.eps !== undefined && !carriesDistances(edges)) throw new RangeError('an eps filter needs edge distances');
}

function checkRows(n: number, from: number, to: number): void {
  if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to && to <= n)) throw new RangeError(`rows [${from}, ${to}) are not a range of 0..${n}`);
}

/**
 * Row lengths of rows [from, to): adds to `counts[v + 1]` (length n + 1, zero there) the number
 * of entries of row v — one per edge with an end at v, self loops and edges beyond eps left out,
 * repeats counted. The prefix sum of the counts are the offsets fillRows takes. Returns the
 * entries counted (more than 2^31 − 1 of them over all rows cannot have Int32 offsets).
 */
export function countRows(n: number, edges: EdgeList, from: number, to: number, counts: Int32Array, options: GraphOptions = {}): number {
  checkEdges(n, edges, options);
  checkRows(n, from, to);
  if (counts.length !== n + 1) throw new RangeError(`counts must have n + 1 = ${n + 1} entries, got ${counts.length}`);
  const { i, j, similarity, distance } = edges;
  const eps = options.eps ?? Infinity;
  const hasEps = options.eps !== undefined; // a NaN distance passes no eps, and enters without one
  let entries = 0;
  for (let e = 0; e < i.length; e++) {
    const a = i[e];
    const b = j[e];
    if (a >= n || b >= n) throw new RangeError(`edge ${e} (${a}, ${b}) names a vertex ≥ n = ${n}`);
    if (a === b || (hasEps && !((similarity ? Math.fround(1 - similarity[e]) : distance ? distance[e] : 0) <= eps))) continue;
    if (a >= from && a < to) {
      counts[a + 1]++;
      entries++;
    }
    if (b >= from && b < to) {
      counts[b + 1]++;
      entries++;
    }
  }
  return entries;
}

/**
 * Fills rows [from, to) of `graph`, whose offsets are final (countRows, then a prefix sum): each
 * row's neighbours ascending, with their distances when the graph has room for them. Only these
 * rows are written, so calls for disjoint ranges may run at once on one shared graph. A repeated
 * edge leaves two equal neighbours side by side; returns how many entries repeat the one before
 * them (0: the rows are final). O(edges + n + the range's entries).
 */
export function fillRows(edges: EdgeList, from: number, to: number, graph: NeighbourGraph, options: GraphOptions = {}): number {
  const { n, offsets, neighbours, distances } = graph;
  checkEdges(n, edges, options);
  checkRows(n, from, to);
  if (distances && !carriesDistances(edges)) throw new RangeError('a graph with distances needs edges with distances');
  if (isSortedPairList(edges)) return fillRowsFromSortedPairs(edges, from, to, graph, options);
  const { i, j, similarity, distance } = edges;
  const m = i.length;
  const eps = options.eps ?? Infinity;
  const hasEps = options.eps !== undefined; // a NaN distance passes no eps, and enters without one
  // Pass 1: the range's entries (near end in [from, to)) in a counting sort by their far end.
  const byFar = new Int32Array(n + 1);
  for (let e = 0; e < m; e++) {
    const a = i[e];
    const b = j[e];
    if (a === b || (hasEps && !((similarity ? Math.fround(1 - similarity[e]) : distance ? distance[e] : 0) <= eps))) continue;
    if (a >= from && a < to) byFar[b + 1]++;
    if (b >= from && b < to) byFar[a + 1]++;
  }
  for (let v = 0; v < n; v++) byFar[v + 1] += byFar[v];
  const count = byFar[n];
  if (count !== offsets[to] - offsets[from]) throw new RangeError(`rows [${from}, ${to}) have ${offsets[to] - offsets[from]} places for ${count} entries`);
  const nearSorted = new Int32Array(count);
  const distSorted = distances ? new (distances instanceof Float32Array ? Float32Array : Float64Array)(count) : undefined;
  const fill = byFar.slice(0, n);
  for (let e = 0; e < m; e++) {
    const a = i[e];
    const b = j[e];
    const d = similarity ? Math.fround(1 - similarity[e]) : distance ? distance[e] : 0;
    if (a === b || (hasEps && !(d <= eps))) continue;
    if (a >= from && a < to) {
      const p = fill[b]++;
      nearSorted[p] = a;
      if (distSorted) distSorted[p] = d;
    }
    if (b >= from && b < to) {
      const p = fill[a]++;
      nearSorted[p] = b;
      if (distSorted) distSorted[p] = d;
    }
  }
  // Pass 2: a stable counting sort by the near end; walking far ends in ascending order leaves
  // every row sorted ascending.
  const rowFill = offsets.slice(from, to);
  for (let far = 0; far < n; far++) {
    for (let p = byFar[far]; p < byFar[far + 1]; p++) {
      const q = rowFill[nearSorted[p] - from]++;
      neighbours[q] = far;
      if (distances) distances[q] = (distSorted as DistanceArray)[p];
    }
  }
  let repeated = 0;
  for (let v = from; v < to; v++) for (let q = offsets[v] + 1; q < offsets[v + 1]; q++) if (neighbours[q] === neighbours[q - 1]) repeated++;
  return repeated;
}

/** True when every edge has i < j and the edges ascend by (i, j) — distinct pairs, as range queries list them. O(edges). */
function isSortedPairList(edges: EdgeList): boolean {
  const { i, j } = edges;
  let pa = -1;
  let pb = -1;
  for (let e = 0; e < i.length; e++) {
    const a = i[e];
    const b = j[e];
    if (!(a < b && (a > pa || (a === pa && b > pb)))) return false;
    pa = a;
    pb = b;
  }
  return true;
}

/**
 * fillRows for a sorted pair list (isSortedPairList): one pass instead of two counting sorts. Row
 * v receives its entries from the pairs (u, v), u < v, in ascending u — all listed before the
 * pairs starting at v — and then from the pairs (v, w) in ascending w: each row comes out sorted,
 * and distinct pairs repeat nothing. On 20,000 Fashion-MNIST HOG vectors (14 M pairs within eps)
 * the build took 1.7–2.1 s with the two sorts, whose temporary copy of the entries was 112 MB.
 */
function fillRowsFromSortedPairs(edges: EdgeList, from: number, to: number, graph: NeighbourGraph, options: GraphOptions): number {
  const { offsets, neighbours, distances } = graph;
  const { i, j, similarity, distance } = edges;
  const eps = options.eps ?? Infinity;
  const hasEps = options.eps !== undefined;
  const rowFill = offsets.slice(from, to);
  for (let e = 0; e < i.length; e++) {
    const a = i[e];
    if (a >= to) break; // from here on both ends are past the range
    const b = j[e];
    const d = similarity ? Math.fround(1 - similarity[e]) : distance ? distance[e] : 0;
    if (hasEps && !(d <= eps)) continue;
    if (b >= from && b < to) {
      const q = rowFill[b - from]++;
      neighbours[q] = a;
      if (distances) distances[q] = d;
    }
    if (a >= from) {
      const q = rowFill[a - from]++;
      neighbours[q] = b;
      if (distances) distances[q] = d;
    }
  }
  for (let v = from; v < to; v++) if (rowFill[v - from] !== offsets[v + 1]) throw new RangeError(`row ${v} has ${offsets[v + 1] - offsets[v]} places for ${rowFill[v - from] - offsets[v]} entries`);
  return 0;
}

/** Builds the symmetric, deduplicated CSR neighbour graph of `n` vertices from an edge list. */
export function buildNeighbourGraph(n: number, edges: EdgeList, options: GraphOptions = {}): NeighbourGraph {
  const offsets = new Int32Array(n + 1);
  const directed = countRows(n, edges, 0, n, offsets, options);
  if (directed > 0x7fffffff) throw new RangeError('too many edges for Int32 offsets');
  for (let v = 0; v < n; v++) offsets[v + 1] += offsets[v];
  const DistCtor = edges.distance instanceof Float64Array ? Float64Array : Float32Array;
  const neighbours = new Int32Array(directed);
  const distances = edges.distance || edges.similarity ? new DistCtor(directed) : undefined;
  const repeated = fillRows(edges, 0, n, { n, offsets, neighbours, ...(distances ? { distances } : {}) }, options);
  if (repeated === 0) return { n, offsets, neighbours, ...(distances ? { distances } : {}) };

  // Repeated edges: drop the copies in place (keeping the smallest distance), recompute offsets.
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
  return {
    n,
    offsets,
    neighbours: neighbours.slice(0, w),
    ...(distances ? { distances: distances.slice(0, w) } : {}),
  };
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
