// Leiden community detection (Traag, Waltman & van Eck 2019) on a weighted graph in CSR form,
// maximising modularity with a resolution γ. O(edges) per pass; a few passes per level.
//
// Conventions (as in ./dbscan.ts, so callers can swap one for the other):
// - the graph is symmetric (each edge in both rows, the same weight), weights > 0; a self loop
//   counts toward its vertex's strength only;
// - every vertex gets a community, there is no noise here (callers decide what is noise);
// - communities are numbered 0, 1, ... by their smallest vertex: label order is index order;
// - seeded and deterministic: the same graph, options and seed give the same labels.
//
// Quality, in edge-weight units (the `randomness` θ is in these units too, as in leidenalg):
//   H = Σ_c [ e_c − γ · K_c² / (4m) ]   e_c: weight inside c, K_c: Σ strengths, 2m: Σ all strengths.
// Moving v (strength k_v) out of its community into c gains w(v, c) − γ · k_v · K_c / (2m), K_c
// without v. The three phases of each level:
// 1. fast local moving: vertices in a seeded random queue; each goes to the neighbouring (or an
//    empty) community of largest gain; when it moves, its neighbours outside the new community
//    re-enter the queue. Ends when the queue is empty (no vertex can gain).
// 2. refinement (what Louvain lacks, and why Leiden's communities are connected): inside each
//    community S, start from singletons; a vertex still alone and well connected to S
//    (w(v, S − v) ≥ γ k_v (K_S − k_v)/2m) joins a well connected sub-community C of S with gain
//    ≥ 0, drawn with probability ∝ exp(gain/θ) (θ small: nearly greedy, but not stuck on order).
// 3. aggregation: one vertex per refined community, the community of phase 1 as its start.
// Levels repeat until phase 1 leaves every vertex alone; `iterations` runs the whole thing again
// from the partition found (leidenalg's n_iterations; 2 is its default), stopping early when a
// pass changes nothing.

import { mulberry32, type RandomSource } from '../random';

/** A symmetric weighted graph: row v is neighbours[offsets[v], offsets[v + 1]) with their weights. */
export interface WeightedGraph {
  readonly n: number;
  readonly offsets: Int32Array;
  readonly neighbours: Int32Array;
  readonly weights: Float32Array | Float64Array;
}

export interface LeidenOptions {
  /**
   * 'modularity' (default): communities denser than the graph's own average (γ · k_i k_j / 2m
   * expected). 'cpm', the constant Potts model: denser than γ itself (γ · n_i n_j expected, n the
   * vertex weights): local, so a graph of many small components is cut by the same rule as one
   * big one, where modularity's expectation, set by the whole graph, would never cut the small ones.
   */
  quality?: 'modularity' | 'cpm';
  /** CPM: each vertex's weight (how many records it stands for); 1 each when absent. */
  vertexWeights?: ArrayLike<number>;
  /** γ: larger gives more, smaller communities. Default 1 (plain modularity). */
  resolution?: number;
  /** Randomness θ of the refinement, in edge-weight units. Default 0.01. */
  randomness?: number;
  /** Whole Leiden runs, each from the partition of the last. Default 2. */
  iterations?: number;
  /** Default 1. */
  seed?: number;
}

export interface LeidenResult {
  /** Community of each vertex, numbered by smallest vertex. */
  labels: Int32Array;
  communities: number;
  /** Modularity: Q of the labels (H / 2m) at the resolution used; CPM: H itself. */
  quality: number;
  /** Aggregation levels of the last iteration. */
  levels: number;
}

/** One level's graph: strengths carried separately, so aggregated self loops need no edges. */
interface Level {
  n: number;
  off: Int32Array;
  nb: Int32Array;
  w: Float64Array;
  /** Strength of each vertex (of the input graph: its degree in weights; aggregated: the sum). */
  k: Float64Array;
}

const MAX_LEVELS = 64;

export function checkWeightedGraph(g: WeightedGraph): void {
  if (!Number.isInteger(g.n) || g.n < 0) throw new RangeError(`graph: n must be a non-negative integer, got ${g.n}`);
  if (g.offsets.length !== g.n + 1) throw new RangeError(`graph: offsets has ${g.offsets.length} entries, expected n + 1 = ${g.n + 1}`);
  const m = g.offsets[g.n];
  if (g.neighbours.length < m || g.weights.length < m) throw new RangeError(`graph: neighbours and weights need ${m} entries`);
  for (let e = 0; e < m; e++) {
    const u = g.neighbours[e];
    if (!(u >= 0 && u < g.n)) throw new RangeError(`graph: entry ${e} names vertex ${u} outside [0, ${g.n})`);
    const w = g.weights[e];
    if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`graph: entry ${e} has weight ${w}; weights must be finite and ≥ 0`);
  }
}

function checkOptions(o: LeidenOptions): { quality: 'modularity' | 'cpm'; resolution: number; randomness: number; iterations: number; seed: number } {
  const r = { quality: o.quality ?? 'modularity', resolution: o.resolution ?? 1, randomness: o.randomness ?? 0.01, iterations: o.iterations ?? 2, seed: o.seed ?? 1 };
  if (r.quality !== 'modularity' && r.quality !== 'cpm') throw new RangeError(`quality must be modularity or cpm, got ${String(r.quality)}`);
  if (!(r.resolution > 0 && Number.isFinite(r.resolution))) throw new RangeError(`resolution must be a positive number, got ${r.resolution}`);
  if (!(r.randomness > 0 && Number.isFinite(r.randomness))) throw new RangeError(`randomness must be a positive number, got ${r.randomness}`);
  if (!Number.isInteger(r.iterations) || r.iterations < 1) throw new RangeError(`iterations must be a positive integer, got ${r.iterations}`);
  return r;
}

/** Leiden communities of `graph` (see the file comment). */
export function leiden(graph: WeightedGraph, options: LeidenOptions = {}): LeidenResult {
  const o = checkOptions(options);
  checkWeightedGraph(graph);
  const n = graph.n;
  const base = levelOf(graph);
  let twoM = 0;
  for (let v = 0; v < n; v++) twoM += base.k[v];
  if (!(twoM > 0)) {
    const labels = Int32Array.from({ length: n }, (_, v) => v);
    return { labels, communities: n, quality: 0, levels: 0 };
  }
  // Gains are w(v, c) − scale · k_v · K_c: k the strengths (modularity) or vertex weights (CPM).
  let scale = o.resolution / twoM;
  if (o.quality === 'cpm') {
    const vw = options.vertexWeights;
    if (vw && vw.length !== n) throw new RangeError(`vertexWeights has ${vw.length} entries for ${n} vertices`);
    for (let v = 0; v < n; v++) {
      const x = vw ? vw[v] : 1;
      if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`vertexWeights[${v}] is ${x}; weights must be positive`);
      base.k[v] = x;
    }
    scale = o.resolution;
  }
  const rng = mulberry32(o.seed);
  let labels = Int32Array.from({ length: n }, (_, v) => v);
  let levels = 0;
  for (let it = 0; it < o.iterations; it++) {
    let g = base;
    let mem = Int32Array.from(labels);
    const nodeOf = Int32Array.from({ length: n }, (_, v) => v);
    let changed = false;
    levels = 0;
    for (; levels < MAX_LEVELS; levels++) {
      if (moveNodesFast(g, mem, scale, rng)) changed = true;
      const count = renumber(mem);
      if (count === g.n) break;
      let refined = refine(g, mem, scale, o.randomness, rng);
      // No refined community merged anything: aggregate by the moved partition instead (as
      // leidenalg does), else the level would repeat itself.
      if (renumber(refined) === g.n) refined = Int32Array.from(mem);
      const { agg, newOf } = aggregate(g, refined);
      const memAgg = new Int32Array(agg.n);
      for (let v = 0; v < g.n; v++) memAgg[newOf[v]] = mem[v];
      for (let v = 0; v < n; v++) nodeOf[v] = newOf[nodeOf[v]];
      g = agg;
      mem = memAgg;
    }
    const next = new Int32Array(n);
    for (let v = 0; v < n; v++) next[v] = mem[nodeOf[v]];
    labels = next;
    if (!changed) break;
  }
  const communities = renumber(labels);
  return { labels, communities, quality: o.quality === 'cpm' ? cpmQuality(graph, labels, o.resolution, base.k) : modularity(graph, labels, o.resolution), levels };
}

/** Modularity Q = Σ_c [ in_c / 2m − γ (K_c / 2m)² ] of `labels` (any non-negative ids). */
export function modularity(graph: WeightedGraph, labels: Int32Array, resolution = 1): number {
  const n = graph.n;
  let max = -1;
  for (let v = 0; v < n; v++) if (labels[v] > max) max = labels[v];
  const inside = new Float64Array(max + 1);
  const total = new Float64Array(max + 1);
  let twoM = 0;
  for (let v = 0; v < n; v++) {
    const c = labels[v];
    for (let e = graph.offsets[v]; e < graph.offsets[v + 1]; e++) {
      const w = graph.weights[e];
      twoM += w;
      total[c] += w;
      if (labels[graph.neighbours[e]] === c) inside[c] += w;
    }
  }
  if (!(twoM > 0)) return 0;
  let q = 0;
  for (let c = 0; c <= max; c++) q += inside[c] / twoM - resolution * (total[c] / twoM) ** 2;
  return q;
}

/** CPM quality H = Σ_c [ e_c − γ · N_c² / 2 ] (e_c the weight inside c, N_c its vertex weight). */
export function cpmQuality(graph: WeightedGraph, labels: Int32Array, resolution: number, vertexWeights?: ArrayLike<number>): number {
  const sizes = new Map<number, number>();
  let inside = 0;
  for (let v = 0; v < graph.n; v++) {
    sizes.set(labels[v], (sizes.get(labels[v]) ?? 0) + (vertexWeights ? vertexWeights[v] : 1));
    for (let e = graph.offsets[v]; e < graph.offsets[v + 1]; e++) if (labels[graph.neighbours[e]] === labels[v]) inside += graph.weights[e];
  }
  let expected = 0;
  for (const size of sizes.values()) expected += size * size;
  return inside / 2 - (resolution * expected) / 2;
}

function levelOf(g: WeightedGraph): Level {
  const n = g.n;
  const m = g.offsets[n];
  const k = new Float64Array(n);
  for (let v = 0; v < n; v++) for (let e = g.offsets[v]; e < g.offsets[v + 1]; e++) k[v] += g.weights[e];
  return { n, off: Int32Array.from(g.offsets), nb: Int32Array.from(g.neighbours.subarray(0, m)), w: Float64Array.from(g.weights.subarray(0, m)), k };
}

/** Renumbers ids in place to 0, 1, ... in order of first appearance (smallest vertex); returns the count. */
function renumber(ids: Int32Array): number {
  const map = new Int32Array(ids.length).fill(-1);
  let next = 0;
  for (let v = 0; v < ids.length; v++) {
    const c = ids[v];
    if (map[c] < 0) map[c] = next++;
    ids[v] = map[c];
  }
  return next;
}

/** A seeded Fisher–Yates permutation of 0..n−1. */
function permutation(n: number, rng: RandomSource): Int32Array {
  const p = Int32Array.from({ length: n }, (_, v) => v);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** Phase 1 on `mem` (ids < g.n), in place. True when any vertex moved. */
function moveNodesFast(g: Level, mem: Int32Array, scaleAll: number, rng: RandomSource): boolean {
  const n = g.n;
  const K = new Float64Array(n);
  const size = new Int32Array(n);
  for (let v = 0; v < n; v++) {
    K[mem[v]] += g.k[v];
    size[mem[v]]++;
  }
  const empty = new Int32Array(n);
  let emptyTop = 0;
  for (let c = n - 1; c >= 0; c--) if (size[c] === 0) empty[emptyTop++] = c;
  const queue = permutation(n, rng); // a ring: each vertex is in it at most once
  const inQueue = new Uint8Array(n).fill(1);
  let head = 0;
  let count = n;
  const edgeW = new Float64Array(n);
  const seen = new Int32Array(n).fill(-1);
  const touched = new Int32Array(n);
  let moved = false;
  let stamp = 0; // a vertex can come back: mark its visits, not the vertex
  while (count > 0) {
    stamp++;
    const v = queue[head];
    head = head + 1 === n ? 0 : head + 1;
    count--;
    inQueue[v] = 0;
    const a = mem[v];
    const kv = g.k[v];
    let nt = 0;
    for (let e = g.off[v]; e < g.off[v + 1]; e++) {
      const u = g.nb[e];
      if (u === v) continue;
      const c = mem[u];
      if (seen[c] !== stamp) {
        seen[c] = stamp;
        edgeW[c] = 0;
        touched[nt++] = c;
      }
      edgeW[c] += g.w[e];
    }
    K[a] -= kv;
    size[a]--;
    const scale = scaleAll * kv;
    let best = a;
    let bestGain = (seen[a] === stamp ? edgeW[a] : 0) - scale * K[a];
    for (let t = 0; t < nt; t++) {
      const c = touched[t];
      if (c === a) continue;
      const gain = edgeW[c] - scale * K[c];
      if (gain > bestGain) {
        best = c;
        bestGain = gain;
      }
    }
    if (bestGain < 0) best = size[a] === 0 ? a : empty[--emptyTop]; // alone is better (gain 0)
    K[best] += kv;
    size[best]++;
    if (size[a] === 0 && best !== a) empty[emptyTop++] = a;
    if (best === a) continue;
    mem[v] = best;
    moved = true;
    for (let e = g.off[v]; e < g.off[v + 1]; e++) {
      const u = g.nb[e];
      if (inQueue[u] === 1 || mem[u] === best) continue;
      inQueue[u] = 1;
      let tail = head + count;
      if (tail >= n) tail -= n;
      queue[tail] = u;
      count++;
    }
  }
  return moved;
}

/** Phase 2: refined communities (ids are vertex ids) inside each community of `mem`. */
function refine(g: Level, mem: Int32Array, scale: number, theta: number, rng: RandomSource): Int32Array {
  const n = g.n;
  const R = Int32Array.from({ length: n }, (_, v) => v);
  const KR = Float64Array.from(g.k);
  const sizeR = new Int32Array(n).fill(1);
  const KS = new Float64Array(n);
  for (let v = 0; v < n; v++) KS[mem[v]] += g.k[v];
  // extW[C]: weight from refined community C to the rest of its community S.
  const extW = new Float64Array(n);
  for (let v = 0; v < n; v++) {
    for (let e = g.off[v]; e < g.off[v + 1]; e++) {
      const u = g.nb[e];
      if (u !== v && mem[u] === mem[v]) extW[v] += g.w[e];
    }
  }
  const edgeW = new Float64Array(n);
  const seen = new Int32Array(n).fill(-1);
  const touched = new Int32Array(n);
  const gains = new Float64Array(n);
  const order = permutation(n, rng);
  for (let o = 0; o < n; o++) {
    const v = order[o];
    if (R[v] !== v || sizeR[v] !== 1) continue; // only vertices still alone
    const s = mem[v];
    const kv = g.k[v];
    if (extW[v] < scale * kv * (KS[s] - kv)) continue; // not well connected to S
    let nt = 0;
    for (let e = g.off[v]; e < g.off[v + 1]; e++) {
      const u = g.nb[e];
      if (u === v || mem[u] !== s) continue;
      const c = R[u];
      if (seen[c] !== v) {
        seen[c] = v;
        edgeW[c] = 0;
        touched[nt++] = c;
      }
      edgeW[c] += g.w[e];
    }
    // Candidates: staying alone (gain 0) and each well connected sub-community with gain ≥ 0.
    let maxGain = 0;
    let nc = 0;
    for (let t = 0; t < nt; t++) {
      const c = touched[t];
      const gain = edgeW[c] - scale * kv * KR[c];
      if (gain < 0 || extW[c] < scale * KR[c] * (KS[s] - KR[c])) continue;
      touched[nc] = c;
      gains[nc++] = gain;
      if (gain > maxGain) maxGain = gain;
    }
    if (nc === 0) continue;
    let total = Math.exp(-maxGain / theta); // staying alone
    for (let t = 0; t < nc; t++) total += Math.exp((gains[t] - maxGain) / theta);
    let r = rng() * total - Math.exp(-maxGain / theta);
    if (r < 0) continue;
    let chosen = touched[nc - 1];
    for (let t = 0; t < nc; t++) {
      r -= Math.exp((gains[t] - maxGain) / theta);
      if (r < 0) {
        chosen = touched[t];
        break;
      }
    }
    const wvc = edgeW[chosen];
    R[v] = chosen;
    KR[chosen] += kv;
    sizeR[chosen]++;
    sizeR[v] = 0;
    extW[chosen] += extW[v] - 2 * wvc;
  }
  return R;
}

/** Phase 3: one vertex per community of `part`; newOf maps the level's vertices to them. */
function aggregate(g: Level, part: Int32Array): { agg: Level; newOf: Int32Array } {
  const n = g.n;
  const newOf = Int32Array.from(part);
  const na = renumber(newOf);
  // Members of each new vertex, by a counting sort.
  const start = new Int32Array(na + 1);
  for (let v = 0; v < n; v++) start[newOf[v] + 1]++;
  for (let a = 0; a < na; a++) start[a + 1] += start[a];
  const members = new Int32Array(n);
  const fill = start.slice(0, na);
  for (let v = 0; v < n; v++) members[fill[newOf[v]]++] = v;
  const k = new Float64Array(na);
  const off = new Int32Array(na + 1);
  const nb = new Int32Array(g.off[n]);
  const w = new Float64Array(g.off[n]);
  const acc = new Float64Array(na);
  const seen = new Int32Array(na).fill(-1);
  let m = 0;
  for (let a = 0; a < na; a++) {
    const rowStart = m;
    for (let t = start[a]; t < start[a + 1]; t++) {
      const v = members[t];
      k[a] += g.k[v];
      for (let e = g.off[v]; e < g.off[v + 1]; e++) {
        const b = newOf[g.nb[e]];
        if (b === a) continue;
        if (seen[b] !== a) {
          seen[b] = a;
          acc[b] = 0;
          nb[m++] = b;
        }
        acc[b] += g.w[e];
      }
    }
    for (let e = rowStart; e < m; e++) w[e] = acc[nb[e]];
    off[a + 1] = m;
  }
  return { agg: { n: na, off, nb: nb.slice(0, m), w: w.slice(0, m), k }, newOf };
}
