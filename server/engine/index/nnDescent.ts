// Approximate kNN of every row by NN-descent (Dong, Moses & Li 2011), seeded from random-
// projection trees, as pynndescent (umap-learn's kNN) does; euclidean family only.
//
// 1. RP trees: split a node by the hyperplane halfway between two random rows of it, until at
//    most `leafSize` rows are left; every pair in a leaf is a first guess. A few trees give each
//    row neighbour lists already mostly right for clustered data (images), at O(n·leafSize·dim)
//    per tree.
// 2. NN-descent: "a neighbour of my neighbour is probably my neighbour". Each round, every row
//    gathers a sample (at most `maxCandidates`, by random priority) of its neighbours and reverse
//    neighbours, split into new (not yet joined) and old; every new–new and new–old pair among
//    them is measured and offered to both rows' lists. Stops when a round changes fewer than
//    δ·n·k list entries, or after `maxIterations`.
// No pair of rows is enumerated: the cost is about n · maxCandidates² distances a round.
//
// Lists are bounded max-heaps on typed arrays (n·k Int32 indices, Float32 squared distances,
// Uint8 "new" flags); every random choice comes from the seed, so the result is reproducible.
// The answers are sorted nearest first (ties: smaller index), without the row itself or
// duplicates; distances are recomputed directly at the end (not via norms), so they are exact.

import { checkMatrix, type KnnResult } from './knnExact';
import { mulberry32, type RandomSource } from '../random';

export interface NnDescentOptions {
  metric?: 'euclidean' | 'sqeuclidean';
  /** Random-projection trees for the start (default 8). */
  trees?: number;
  /** Rows per tree leaf at most (default 32). */
  leafSize?: number;
  /** Candidates sampled per row a round (default max(k, 15), at most 60). */
  maxCandidates?: number;
  /** Rounds of NN-descent at most (default max(5, round(log2 n))). */
  maxIterations?: number;
  /** Stop when a round makes fewer than δ·n·k updates (default 0.001). */
  delta?: number;
  seed?: number;
  /**
   * Progress in rounds (trees count as one; fractions within a round), called after each tree
   * and every 1,024 rows of a round; may throw to cancel.
   */
  onProgress?: (done: number, total: number, stage: 'trees' | 'descent') => void;
}

export interface NnDescentStats {
  iterations: number;
  /** Updates made in each round. */
  updates: number[];
  distances: number;
}

/** Squared euclidean distance of rows a and b (4-way unrolled). */
function sqDist(data: Float32Array, a: number, b: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = a * dim;
  let j = b * dim;
  const end = i + dim - 3;
  for (; i < end; i += 4, j += 4) {
    const d0 = data[i] - data[j];
    const d1 = data[i + 1] - data[j + 1];
    const d2 = data[i + 2] - data[j + 2];
    const d3 = data[i + 3] - data[j + 3];
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (const stop = a * dim + dim; i < stop; i++, j++) {
    const d = data[i] - data[j];
    s0 += d * d;
  }
  return s0 + s1 + s2 + s3;
}

/**
 * Bounded max-heaps, one per row, of `size` (key, index) slots; keys start at +∞, indices at −1.
 * `push` keeps the `size` smallest keys, refusing an index already present.
 */
class Heaps {
  readonly keys: Float32Array;
  readonly idx: Int32Array;
  readonly flags: Uint8Array;
  constructor(
    readonly n: number,
    readonly size: number,
  ) {
    this.keys = new Float32Array(n * size).fill(Infinity);
    this.idx = new Int32Array(n * size).fill(-1);
    this.flags = new Uint8Array(n * size);
  }

  /** 1 when j entered row's heap, else 0. */
  push(row: number, key: number, j: number, flag: number): number {
    const { keys, idx, flags, size } = this;
    const base = row * size;
    if (!(key < keys[base])) return 0;
    for (let t = base; t < base + size; t++) if (idx[t] === j) return 0;
    // Replace the top and sift down.
    let at = 0;
    for (;;) {
      const l = 2 * at + 1;
      if (l >= size) break;
      const r = l + 1;
      const c = r < size && keys[base + r] > keys[base + l] ? r : l;
      if (!(keys[base + c] > key)) break;
      keys[base + at] = keys[base + c];
      idx[base + at] = idx[base + c];
      flags[base + at] = flags[base + c];
      at = c;
    }
    keys[base + at] = key;
    idx[base + at] = j;
    flags[base + at] = flag;
    return 1;
  }
}

/** Leaves [start, end) of one RP tree over `perm` (rearranged in place). */
function rpTreeLeaves(data: Float32Array, n: number, dim: number, leafSize: number, rng: RandomSource, perm: Int32Array): number[] {
  for (let i = 0; i < n; i++) perm[i] = i;
  const leaves: number[] = [];
  const plane = new Float64Array(dim);
  const side = new Uint8Array(n);
  const stack = [0, n];
  while (stack.length > 0) {
    const end = stack.pop() as number;
    const start = stack.pop() as number;
    const size = end - start;
    if (size <= leafSize) {
      leaves.push(start, end);
      continue;
    }
    const a = perm[start + Math.floor(rng() * size)];
    let b = perm[start + Math.floor(rng() * (size - 1))];
    if (b === a) b = perm[end - 1];
    let offset = 0;
    for (let t = 0; t < dim; t++) {
      const x = data[a * dim + t];
      const y = data[b * dim + t];
      plane[t] = x - y;
      offset -= (plane[t] * (x + y)) / 2;
    }
    let left = 0;
    for (let s = start; s < end; s++) {
      const row = perm[s] * dim;
      let m = offset;
      for (let t = 0; t < dim; t++) m += plane[t] * data[row + t];
      const goLeft = m > 0 ? 1 : m < 0 ? 0 : rng() < 0.5 ? 1 : 0;
      side[s - start] = goLeft;
      left += goLeft;
    }
    // A plane that separates nothing (duplicate rows): split at random instead.
    if (left === 0 || left === size) {
      left = 0;
      for (let s = 0; s < size; s++) {
        side[s] = rng() < 0.5 ? 1 : 0;
        left += side[s];
      }
      if (left === 0 || left === size) {
        side.fill(0, 0, size);
        side.fill(1, 0, size >> 1);
        left = size >> 1;
      }
    }
    // Stable partition: left rows first.
    const tmp = perm.slice(start, end);
    let l = start;
    let r = start + left;
    for (let s = 0; s < size; s++) {
      if (side[s]) perm[l++] = tmp[s];
      else perm[r++] = tmp[s];
    }
    stack.push(start, start + left, start + left, end);
  }
  return leaves;
}

/** Approximate kNN of every row (each without itself); see the file comment. */
export function nnDescent(data: Float32Array, n: number, dim: number, k: number, options: NnDescentOptions = {}): KnnResult & { stats: NnDescentStats } {
  checkMatrix(data, n, dim);
  const metric = options.metric ?? 'euclidean';
  if (metric !== 'euclidean' && metric !== 'sqeuclidean') throw new RangeError(`nnDescent supports euclidean and sqeuclidean, not ${String(metric)}`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const kk = Math.min(k, n - 1);
  const stats: NnDescentStats = { iterations: 0, updates: [], distances: 0 };
  if (kk <= 0) return { nq: n, k: 0, indices: new Int32Array(0), distances: new Float32Array(0), stats };
  const trees = options.trees ?? 8;
  const leafSize = Math.max(2, options.leafSize ?? 32);
  const maxCandidates = Math.max(1, options.maxCandidates ?? Math.min(60, Math.max(kk, 15)));
  const maxIterations = options.maxIterations ?? Math.max(5, Math.round(Math.log2(n)));
  const delta = options.delta ?? 0.001;
  for (const [name, v] of [['trees', trees], ['leafSize', leafSize], ['maxCandidates', maxCandidates], ['maxIterations', maxIterations]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  }
  if (!(delta >= 0)) throw new RangeError(`delta must be ≥ 0, got ${delta}`);
  const rng = mulberry32(options.seed ?? 1);
  const heaps = new Heaps(n, kk);
  const total = maxIterations + 1;

  // 1. Every pair in each leaf of each tree.
  const perm = new Int32Array(n);
  for (let t = 0; t < trees; t++) {
    options.onProgress?.(t / Math.max(1, trees), total, 'trees');
    const leaves = rpTreeLeaves(data, n, dim, leafSize, rng, perm);
    for (let f = 0; f < leaves.length; f += 2) {
      for (let a = leaves[f]; a < leaves[f + 1]; a++) {
        const p = perm[a];
        for (let b = a + 1; b < leaves[f + 1]; b++) {
          const q = perm[b];
          const d = sqDist(data, p, q, dim);
          heaps.push(p, d, q, 1);
          heaps.push(q, d, p, 1);
        }
      }
      stats.distances += ((leaves[f + 1] - leaves[f]) * (leaves[f + 1] - leaves[f] - 1)) / 2;
    }
  }
  // Rows the trees left short of k neighbours: random ones.
  for (let i = 0; i < n; i++) {
    for (let tries = 0; heaps.idx[i * kk] < 0 && tries < 4 * kk; tries++) {
      const j = Math.floor(rng() * n);
      if (j !== i) heaps.push(i, sqDist(data, i, j, dim), j, 1);
    }
    for (let j = 0; heaps.idx[i * kk] < 0 && j < n; j++) if (j !== i) heaps.push(i, sqDist(data, i, j, dim), j, 1);
  }
  options.onProgress?.(1, total, 'trees');

  // 2. NN-descent rounds.
  const newC = new Heaps(n, maxCandidates);
  const oldC = new Heaps(n, maxCandidates);
  for (let it = 0; it < maxIterations; it++) {
    newC.keys.fill(Infinity);
    newC.idx.fill(-1);
    oldC.keys.fill(Infinity);
    oldC.idx.fill(-1);
    for (let i = 0; i < n; i++) {
      for (let s = i * kk; s < (i + 1) * kk; s++) {
        const j = heaps.idx[s];
        if (j < 0) continue;
        const priority = rng();
        const c = heaps.flags[s] ? newC : oldC;
        c.push(i, priority, j, 0);
        c.push(j, priority, i, 0);
      }
    }
    // Sampled new neighbours are joined this round: from now on they are old.
    for (let i = 0; i < n; i++) {
      for (let s = i * kk; s < (i + 1) * kk; s++) {
        if (!heaps.flags[s]) continue;
        const j = heaps.idx[s];
        for (let t = i * maxCandidates; t < (i + 1) * maxCandidates; t++) {
          if (newC.idx[t] === j) {
            heaps.flags[s] = 0;
            break;
          }
        }
      }
    }
    let updates = 0;
    let measured = 0;
    for (let i = 0; i < n; i++) {
      if ((i & 1023) === 0) options.onProgress?.(1 + it + i / n, total, 'descent');
      const base = i * maxCandidates;
      for (let a = base; a < base + maxCandidates; a++) {
        const p = newC.idx[a];
        if (p < 0) continue;
        for (let b = a + 1; b < base + maxCandidates; b++) {
          const q = newC.idx[b];
          if (q < 0) continue;
          const d = sqDist(data, p, q, dim);
          updates += heaps.push(p, d, q, 1) + heaps.push(q, d, p, 1);
          measured++;
        }
        for (let b = base; b < base + maxCandidates; b++) {
          const q = oldC.idx[b];
          if (q < 0 || q === p) continue;
          const d = sqDist(data, p, q, dim);
          updates += heaps.push(p, d, q, 1) + heaps.push(q, d, p, 1);
          measured++;
        }
      }
    }
    stats.iterations++;
    stats.updates.push(updates);
    stats.distances += measured;
    if (updates <= delta * n * kk) break;
  }
  options.onProgress?.(total, total, 'descent');

  // 3. Sorted lists with exact distances.
  const indices = new Int32Array(n * kk);
  const distances = new Float32Array(n * kk);
  const order = new Int32Array(kk);
  const dist = new Float64Array(kk);
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let s = i * kk; s < (i + 1) * kk; s++) {
      const j = heaps.idx[s];
      if (j < 0) continue;
      dist[m] = sqDist(data, i, j, dim);
      order[m++] = j;
    }
    const slots = Array.from({ length: m }, (_, t) => t).sort((x, y) => dist[x] - dist[y] || order[x] - order[y]);
    for (let t = 0; t < kk; t++) {
      if (t < m) {
        indices[i * kk + t] = order[slots[t]];
        const d2 = dist[slots[t]];
        distances[i * kk + t] = metric === 'euclidean' ? Math.sqrt(d2) : d2;
      } else {
        indices[i * kk + t] = -1;
        distances[i * kk + t] = Infinity;
      }
    }
  }
  return { nq: n, k: kk, indices, distances, stats };
}
