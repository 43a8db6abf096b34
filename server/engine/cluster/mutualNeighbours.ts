// Mutual-nearest-neighbour refinement of a neighbour graph before DBSCAN.
//
// DBSCAN with minPts = 2 on a raw ε-graph is single linkage: one chance link between two groups
// merges them, and related groups (neighbouring genera at 93 % identity) chain together. Here an
// edge (a, b) of the ε-graph is kept only when
//   - its similarity is at least `strongSimilarity` (a near-duplicate link is always trusted), or
//   - b is among the m most similar neighbours of a AND a among the m most similar of b (ties at
//     the m-th similarity included): the mutual k-nearest-neighbour graph, a classic
//     density-sensitive graph (Gowda & Krishna 1978; Brito et al. 1997).
//   - or, with `sharedNeighbours` J, a and b share at least a fraction J of their closed
//     neighbourhoods (|N[a] ∩ N[b]| ≥ J·|N[a] ∪ N[b]|, N[v] = v and its neighbours): the shared-
//     nearest-neighbour idea of Jarvis & Patrick (1973).
// A bridge from a member of one dense group to another group is rarely mutual, since each end has
// closer neighbours in its own group; links inside a group are. O(E log deg) with the CSR rows.
//
// Why the shared rule: a fixed m does not fit every group size. A genus of 40 records at 90 %
// identity is one clique of the ε-graph, but each record's 8 nearest are its own species, so the
// mutual 8-NN graph cuts the genus by species; a larger m chains neighbouring genera where genera
// are many and large. Two members of one clique share nearly all their neighbours whatever its
// size, while a bridge's ends share almost none (each end's neighbourhood is its own group): the
// shared rule keeps the first and cuts the second. Intersections walk two sorted rows: O(deg).
//
// Measured on the 16S gold set against genus labels (`npm run bench`): ε-graph at 93 % identity,
// DBSCAN minPts 2: ARI 0.13, NMI 0.81; with this filter (m = 8, strong 0.98): ARI 0.62, NMI 0.914;
// adding J = 0.7: ARI 0.650, NMI 0.915. J was chosen on the tune half of bench/heldout.bench.ts
// (and subsamples of it) only: J 0.6 / 0.7 / 0.8 / 0.9 gave tune ARI 0.655 / 0.680 / 0.662 / 0.651
// at 0.90 and 0.697 / 0.710 / 0.705 / 0.680 at 0.93; see the README for the report half.

import { buildNeighbourGraph, type EdgeList, type NeighbourGraph } from './graph';

export interface MutualNeighbourOptions {
  /** How many of its most similar neighbours a record links to (m ≥ 1). */
  readonly neighbours: number;
  /** Edges at or above this similarity are always kept. */
  readonly strongSimilarity?: number;
  /**
   * In (0, 1]: edges whose ends share at least this fraction of their closed neighbourhoods are
   * also kept (the graph's rows must be sorted, as buildNeighbourGraph leaves them). Absent or 0: off.
   */
  readonly sharedNeighbours?: number;
}

/** The refinement a clustering mode runs on: DBSCAN's (when asked for); greedy and Leiden take the whole graph. */
export function refinementFor(mode: 'dbscan' | 'greedy' | 'leiden' | undefined, options: MutualNeighbourOptions | undefined): MutualNeighbourOptions | undefined {
  return (mode ?? 'dbscan') === 'dbscan' ? options : undefined;
}

function checkOptions(options: MutualNeighbourOptions): void {
  const m = options.neighbours;
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`neighbours must be a positive integer, got ${m}`);
  const j = options.sharedNeighbours;
  if (j !== undefined && !(j >= 0 && j <= 1)) throw new RangeError(`sharedNeighbours must be a fraction in [0, 1], got ${j}`);
}

/**
 * Whether a and b (neighbours) share at least `fraction` of their closed neighbourhoods: the two
 * sorted CSR rows are merged once. a and b are in both closed neighbourhoods, and in neither row.
 */
function sharesNeighbours(graph: NeighbourGraph, a: number, b: number, fraction: number): boolean {
  const { offsets, neighbours } = graph;
  let x = offsets[a];
  const xEnd = offsets[a + 1];
  let y = offsets[b];
  const yEnd = offsets[b + 1];
  const union0 = xEnd - x + 1 + (yEnd - y + 1);
  // `enough(c)` grows with c: once the entries left cannot lift `common` to enough, the answer is
  // no (most pairs the mutual rule drops are bridges, decided a few entries in).
  const enough = (c: number): boolean => c >= fraction * (union0 - c);
  let common = 2;
  while (x < xEnd && y < yEnd) {
    if (!enough(common + Math.min(xEnd - x, yEnd - y))) return false;
    const u = neighbours[x];
    const v = neighbours[y];
    if (u === v) {
      common++;
      x++;
      y++;
    } else if (u < v) x++;
    else y++;
  }
  return enough(common);
}

/**
 * cutoff[v] for the rows v in [from, to): the similarity of v's m-th most similar neighbour (−∞
 * when it has fewer than m), `similarity(e)` being CSR entry e's (higher is more similar).
 */
export function similarityCutoffs(graph: NeighbourGraph, m: number, similarity: (e: number) => number, from: number, to: number, cutoff: Float64Array): void {
  const { offsets } = graph;
  // Typed arrays throughout: on BioMarKs50k's 0.9 M edges the boxed number[] rows and pushes
  // were a third of the (single-threaded) graph stage. For a small m the m largest are kept in
  // a sorted buffer (a row is read once, few values enter it): a sort of every row took 3×.
  const top = new Float64Array(m);
  let row = new Float64Array(64);
  for (let v = from; v < to; v++) {
    const start = offsets[v];
    const deg = offsets[v + 1] - start;
    if (deg < m) {
      cutoff[v] = -Infinity;
      continue;
    }
    if (m <= 32) {
      // top[0..m) ascending: the m largest so far, top[0] the m-th largest.
      for (let e = 0; e < m; e++) {
        const x = similarity(start + e);
        let k = e;
        while (k > 0 && top[k - 1] > x) {
          top[k] = top[k - 1];
          k--;
        }
        top[k] = x;
      }
      for (let e = m; e < deg; e++) {
        const x = similarity(start + e);
        if (!(x > top[0])) continue;
        let k = 0;
        while (k + 1 < m && top[k + 1] < x) {
          top[k] = top[k + 1];
          k++;
        }
        top[k] = x;
      }
      cutoff[v] = top[0];
      continue;
    }
    if (row.length < deg) row = new Float64Array(deg * 2);
    for (let e = 0; e < deg; e++) row[e] = similarity(start + e);
    const sorted = row.subarray(0, deg).sort(); // ascending: the m-th largest is at deg − m
    cutoff[v] = sorted[deg - m];
  }
}

/** Which CSR entries the rule of the file comment keeps: an entry is kept when either flag is 1. */
export interface KeptEntries {
  /** 1 where the strong or the mutual rule keeps the entry. */
  readonly mutual: Uint8Array;
  /** 1 where the mutual rule drops the edge but its ends share enough neighbours (both entries). */
  readonly shared: Uint8Array;
}

/**
 * The rule's verdict on the entries of rows [from, to), written into `kept` (zero-filled, one
 * byte per CSR entry of `graph`); `cutoff` must hold every row's (similarityCutoffs over all
 * rows). Each byte is written by the call whose rows hold the edge's smaller end, so calls for
 * disjoint ranges may run at once on shared arrays: `mutual` for this range's own entries; the
 * shared test, made once per edge (a < b) that the mutual rule drops, marks both of its entries
 * (the other in row b, perhaps another call's). The mutual rule is symmetric (an edge's two
 * entries have one distance), so the two entries always agree.
 */
export function markKeptEntries(graph: NeighbourGraph, options: MutualNeighbourOptions, similarity: (e: number) => number, cutoff: Float64Array, from: number, to: number, kept: KeptEntries): void {
  checkOptions(options);
  const strong = options.strongSimilarity ?? Infinity;
  const fraction = options.sharedNeighbours ?? 0;
  const { offsets, neighbours } = graph;
  for (let a = from; a < to; a++) {
    for (let e = offsets[a]; e < offsets[a + 1]; e++) {
      const b = neighbours[e];
      const s = similarity(e);
      if (s >= strong || (s >= cutoff[a] && s >= cutoff[b])) kept.mutual[e] = 1;
      else if (fraction > 0 && b > a && sharesNeighbours(graph, a, b, fraction)) {
        kept.shared[e] = 1;
        kept.shared[entryOf(graph, b, a)] = 1;
      }
    }
  }
}

/** The rule over every row of `graph` (`similarity(e)` per CSR entry, higher is more similar). */
function keptEntries(graph: NeighbourGraph, options: MutualNeighbourOptions, similarity: (e: number) => number): KeptEntries {
  checkOptions(options);
  const cutoff = new Float64Array(graph.n);
  similarityCutoffs(graph, options.neighbours, similarity, 0, graph.n, cutoff);
  const kept = { mutual: new Uint8Array(graph.neighbours.length), shared: new Uint8Array(graph.neighbours.length) };
  markKeptEntries(graph, options, similarity, cutoff, 0, graph.n, kept);
  return kept;
}

/** The graph of the entries of `graph` that `kept` keeps, each row in its order; no distances. */
export function keptSubgraph(graph: NeighbourGraph, kept: KeptEntries): NeighbourGraph {
  const { n, offsets, neighbours } = graph;
  const { mutual, shared } = kept;
  const keptOffsets = new Int32Array(n + 1);
  for (let a = 0; a < n; a++) {
    let count = 0;
    for (let e = offsets[a]; e < offsets[a + 1]; e++) count += mutual[e] | shared[e];
    keptOffsets[a + 1] = keptOffsets[a] + count;
  }
  const keptNeighbours = new Int32Array(keptOffsets[n]);
  let w = 0;
  for (let e = 0; e < neighbours.length; e++) if ((mutual[e] | shared[e]) === 1) keptNeighbours[w++] = neighbours[e];
  return { n, offsets: keptOffsets, neighbours: keptNeighbours };
}

/**
 * The edges of `graph` (each once, a < b) kept by the mutual-neighbour rule. `similarity` holds
 * one value per CSR entry (aligned with graph.neighbours); higher is more similar.
 */
export function mutualNeighbourEdges(graph: NeighbourGraph, options: MutualNeighbourOptions, similarity: ArrayLike<number>): EdgeList {
  const { mutual, shared } = keptEntries(graph, options, (e) => similarity[e]);
  const kept = (e: number): boolean => (mutual[e] | shared[e]) === 1;
  const { offsets, neighbours } = graph;
  let count = 0;
  for (let a = 0; a < graph.n; a++) for (let e = offsets[a]; e < offsets[a + 1]; e++) if (neighbours[e] > a && kept(e)) count++;
  const keepI = new Uint32Array(count);
  const keepJ = new Uint32Array(count);
  let w = 0;
  for (let a = 0; a < graph.n; a++) {
    for (let e = offsets[a]; e < offsets[a + 1]; e++) {
      if (neighbours[e] <= a || !kept(e)) continue;
      keepI[w] = a;
      keepJ[w++] = neighbours[e];
    }
  }
  return { i: keepI, j: keepJ };
}

/**
 * The graph of the edges kept by the mutual-neighbour rule, the similarity of each edge derived
 * from its distance (`graph` must carry distances): 1 − d for identities, −d for vector distances.
 * Float32 like the distances, so 1 − d rounds as the identities it came from did. Rebuilt from
 * the kept edge list: the plain form of the rule, which mutualNeighbourSubgraph (what the product
 * runs) is tested against; it also takes graphs with repeated or one-sided entries.
 */
export function mutualNeighbourGraph(graph: NeighbourGraph, options: MutualNeighbourOptions, similarityOf: (distance: number) => number): NeighbourGraph {
  const distances = graph.distances;
  if (!distances) throw new RangeError('mutualNeighbourGraph needs a graph built with edge distances');
  // A plain loop: Float32Array.from with a mapping function took 0.3 s for 1.8 M entries.
  const similarity = new Float32Array(distances.length);
  for (let e = 0; e < distances.length; e++) similarity[e] = similarityOf(distances[e]);
  return buildNeighbourGraph(graph.n, mutualNeighbourEdges(graph, options, similarity));
}

/**
 * mutualNeighbourGraph for a graph that buildNeighbourGraph made (symmetric, each edge's two
 * entries at the same distance, rows sorted and free of duplicates): the same graph, filtered
 * row by row instead of rebuilt. The rule is symmetric, so a row keeps exactly the entries the
 * rebuilt graph's row holds, in the same order. No similarity array (each value is computed
 * where it is read, rounded to Float32 as the array stored it), no kept-edge list, no
 * counting-sort temporaries (at BioMarKs50k's 0.9 M edges they were ~27 MB at the peak of the
 * clustering stage; the two flag bytes per entry are 3.6 MB), and this is faster.
 */
export function mutualNeighbourSubgraph(graph: NeighbourGraph, options: MutualNeighbourOptions, similarityOf: (distance: number) => number): NeighbourGraph {
  const distances = graph.distances;
  if (!distances) throw new RangeError('mutualNeighbourSubgraph needs a graph built with edge distances');
  return keptSubgraph(graph, keptEntries(graph, options, (e) => Math.fround(similarityOf(distances[e]))));
}

/** The CSR entry of b in a's sorted row (b must be there): binary search. */
function entryOf(graph: NeighbourGraph, a: number, b: number): number {
  let lo = graph.offsets[a];
  let hi = graph.offsets[a + 1] - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (graph.neighbours[mid] < b) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
