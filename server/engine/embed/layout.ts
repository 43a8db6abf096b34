/**
 * UMAP's layout optimisation (umap-learn `optimize_layout_euclidean`, single-threaded as with a
 * fixed random_state), one epoch per call, on flat typed arrays:
 * - each edge i (head → tail) is sampled every epochsPerSample[i] = nEpochs·w_max / w_i epochs
 *   (weights below w_max/nEpochs were dropped beforehand); a sample pulls both ends together with
 *   the gradient of log(1/(1 + a·d^(2b))), each coordinate clipped to ±4;
 * - with each sample, negativeSampleRate random points (uniform over all vertices) push the head
 *   away: 2γb / ((0.001 + d²)(1 + a·d^(2b))), clipped; a coincident random point pushes by 4;
 * - the learning rate decays linearly: α = α₀ (1 − epoch/nEpochs).
 * umap-js runs the same loop over number[][] with two Math.pow per gradient; here the embedding
 * is one Float32Array (n·dim), d^(b−1) comes from d^b / d², one pow per gradient, and that pow
 * is two table look-ups and a short series (fastPow.ts tablePow, inlined: 1e-14 relative), and
 * the negative samples' vertices are drawn from the random source in blocks of 4,096 (the same
 * stream, in the same order, as one call per draw). 10,000 Fashion-MNIST points: 2.8× faster an
 * epoch than with the general fastPow and a call per draw.
 *
 * Partitions (for two threads, reproducibly). With P > 1 partitions the vertices are cut into P
 * index ranges of about equal edge counts; partition p runs the edges whose head it owns, on its
 * own view of the map: its vertices live, the others' as they were at the end of the previous
 * epoch. A move of another partition's vertex (an edge's tail) lands in p's view and in p's
 * delta buffer, which the owner adds after the epoch. So an epoch is phase A (each partition's
 * edges, reading only its view and the published map) then phase B (each partition applies the
 * deltas it received and publishes its vertices): no memory is written by one partition while
 * another reads it, and the map is the same bit for bit whether the partitions run one after the
 * other on one thread or at once on several (./parallelLayout.ts). Each partition has its own
 * random stream. P = 1 is umap-learn's sequential loop exactly; P = 2 differs from it only in
 * that cross-partition reads are up to one epoch stale (umap-learn's own parallel mode reads
 * whatever the other threads have written, unreproducibly).
 */
import { powerTable, powScratch, tablePow } from './fastPow';
import type { RandomSource } from './random';

const DRAW_BLOCK = 4096;

export interface LayoutEdges {
  head: Int32Array;
  tail: Int32Array;
  epochsPerSample: Float64Array;
}

export interface LayoutParams {
  a: number;
  b: number;
  /** Repulsion weight γ; default 1. */
  repulsionStrength: number;
  /** α₀; default 1. */
  learningRate: number;
  negativeSampleRate: number;
  nEpochs: number;
}

/** Per-edge sampling period: nEpochs / (nEpochs · w / w_max) (−1 for a zero weight: never). */
export function makeEpochsPerSample(weights: ArrayLike<number>, nEpochs: number): Float64Array {
  const out = new Float64Array(weights.length).fill(-1);
  let max = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i] > max) max = weights[i];
  if (max === 0) return out;
  for (let i = 0; i < weights.length; i++) {
    const nSamples = nEpochs * (weights[i] / max);
    if (nSamples > 0) out[i] = nEpochs / nSamples;
  }
  return out;
}

/**
 * Everything the epochs read and write, as typed arrays (on SharedArrayBuffers when the
 * partitions are to run in worker threads: then the object can be posted as it is).
 */
export interface LayoutState {
  n: number;
  dim: number;
  partitions: number;
  params: LayoutParams;
  /** Partition p owns vertices [vertexBounds[p], vertexBounds[p + 1]). */
  vertexBounds: Int32Array;
  /** ... and runs edges [edgeBounds[p], edgeBounds[p + 1]) (the edges its vertices head). */
  edgeBounds: Int32Array;
  head: Int32Array;
  tail: Int32Array;
  epochsPerSample: Float64Array;
  epochsPerNegativeSample: Float64Array;
  epochOfNextSample: Float64Array;
  epochOfNextNegativeSample: Float64Array;
  /** P·n·dim: partition p's view of the map (for P = 1, `published` itself). */
  views: Float32Array;
  /** P·n·dim (empty for P = 1): moves partition p made to other partitions' vertices this epoch. */
  deltas: Float32Array;
  /** n·dim: the map at the end of the last epoch. */
  published: Float32Array;
  /** Per partition: its Mulberry32 state and the index of its next unused draw. */
  rng: Int32Array;
  /** P·4,096 vertices drawn ahead for the negative samples. */
  draws: Int32Array;
}

export interface LayoutStateOptions {
  partitions?: number;
  /** Mulberry32 state of each partition's stream (partition 0's may be replaced by a source, see LayoutOptimizer). */
  seeds: ArrayLike<number>;
  /** Put the arrays on SharedArrayBuffers (for ./parallelLayout.ts). */
  shared?: boolean;
}

/** The layout's state; `init` (n·dim) is copied. Edges must come sorted by head (umap.ts layoutEdges). */
export function createLayoutState(init: Float32Array, dim: number, edges: LayoutEdges, params: LayoutParams, options: LayoutStateOptions): LayoutState {
  const P = options.partitions ?? 1;
  const n = init.length / dim;
  if (!Number.isInteger(n)) throw new RangeError(`layout: ${init.length} starting values are not a whole number of rows of ${dim}`);
  if (!Number.isInteger(P) || P < 1 || P > Math.max(1, n)) throw new RangeError(`partitions must be an integer in [1, ${n}], got ${P}`);
  if (options.seeds.length < P) throw new RangeError(`layout: ${options.seeds.length} seeds for ${P} partitions`);
  const m = edges.head.length;
  for (let i = 1; i < m; i++) if (edges.head[i] < edges.head[i - 1]) throw new RangeError(`layout: edges must be sorted by head (edge ${i})`);
  const f32 = (len: number) => (options.shared ? new Float32Array(new SharedArrayBuffer(4 * len)) : new Float32Array(len));
  const f64 = (len: number) => (options.shared ? new Float64Array(new SharedArrayBuffer(8 * len)) : new Float64Array(len));
  const i32 = (len: number) => (options.shared ? new Int32Array(new SharedArrayBuffer(4 * len)) : new Int32Array(len));
  const copy = <T extends Float32Array | Float64Array | Int32Array>(make: (len: number) => T, from: ArrayLike<number>): T => {
    const out = make(from.length);
    out.set(from);
    return out;
  };

  // Vertex cuts at about equal edge counts (an epoch's work is about proportional to them); a
  // partition's edges are those its vertices head, a contiguous run as edges are sorted by head.
  const vertexBounds = i32(P + 1);
  const edgeBounds = i32(P + 1);
  vertexBounds[P] = n;
  edgeBounds[P] = m;
  for (let p = 1; p < P; p++) {
    const target = Math.round((m * p) / P);
    vertexBounds[p] = Math.max(vertexBounds[p - 1], target < m ? edges.head[target] : n);
    let e = edgeBounds[p - 1];
    while (e < m && edges.head[e] < vertexBounds[p]) e++;
    edgeBounds[p] = e;
  }

  const published = copy(f32, init);
  const views = P === 1 ? published : f32(P * n * dim);
  for (let p = 0; p < P && P > 1; p++) views.set(init, p * n * dim);
  const perNeg = f64(m);
  for (let i = 0; i < m; i++) perNeg[i] = edges.epochsPerSample[i] / params.negativeSampleRate;
  const rng = i32(2 * P);
  for (let p = 0; p < P; p++) {
    rng[2 * p] = options.seeds[p] | 0;
    rng[2 * p + 1] = DRAW_BLOCK;
  }
  return {
    n,
    dim,
    partitions: P,
    params,
    vertexBounds,
    edgeBounds,
    head: copy(i32, edges.head),
    tail: copy(i32, edges.tail),
    epochsPerSample: copy(f64, edges.epochsPerSample),
    epochsPerNegativeSample: perNeg,
    epochOfNextSample: copy(f64, edges.epochsPerSample),
    epochOfNextNegativeSample: copy(f64, perNeg),
    views,
    deltas: P === 1 ? f32(0) : f32(P * n * dim),
    published,
    rng,
    draws: i32(P * DRAW_BLOCK),
  };
}

let lastPower = powerTable(1);
/** The power table of b (the last one kept: a fit uses one b). */
function powerOf(b: number) {
  if (lastPower.b !== b) lastPower = powerTable(b);
  return lastPower;
}

/** The learning rate of epoch t (from 0): α₀ for epochs 0 and 1, then α₀(1 − (t − 1)/nEpochs), as umap-learn. */
export function learningRateAt(params: LayoutParams, t: number): number {
  return t === 0 ? params.learningRate : params.learningRate * (1 - (t - 1) / params.nEpochs);
}

/** Refills partition p's draws: from `source` when given, else from its Mulberry32 state (engine/random.ts's generator, inlined). */
function refill(state: LayoutState, p: number, source: RandomSource | null): void {
  const draws = state.draws;
  const n = state.n;
  const start = p * DRAW_BLOCK;
  if (source) {
    for (let t = 0; t < DRAW_BLOCK; t++) draws[start + t] = Math.floor(source() * n);
  } else {
    let s = state.rng[2 * p] >>> 0;
    for (let t = 0; t < DRAW_BLOCK; t++) {
      s = (s + 0x6d2b79f5) >>> 0;
      let x = Math.imul(s ^ (s >>> 15), s | 1);
      x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
      draws[start + t] = Math.floor((((x ^ (x >>> 14)) >>> 0) / 4294967296) * n);
    }
    state.rng[2 * p] = s | 0;
  }
  state.rng[2 * p + 1] = 0;
}

/** Phase A of epoch t for partition p: its view brought up to date, then its edges. */
export function layoutPhaseA(state: LayoutState, p: number, t: number, source: RandomSource | null = null): void {
  const { n, dim, partitions: P } = state;
  if (P > 1) {
    const own0 = state.vertexBounds[p] * dim;
    const own1 = state.vertexBounds[p + 1] * dim;
    const view = p * n * dim;
    // Others' vertices as published at the end of the last epoch (own ones are live already).
    state.views.set(state.published.subarray(0, own0), view);
    state.views.set(state.published.subarray(own1), view + own1);
  }
  if (dim === 2) epoch2d(state, p, t, source);
  else epochNd(state, p, t, source);
}

/** Phase B of epoch t for partition p: the deltas others made to its vertices added, its vertices published. */
export function layoutPhaseB(state: LayoutState, p: number): void {
  const { n, dim, partitions: P } = state;
  if (P === 1) return;
  const own0 = state.vertexBounds[p] * dim;
  const own1 = state.vertexBounds[p + 1] * dim;
  const views = state.views;
  const deltas = state.deltas;
  const view = p * n * dim;
  for (let q = 0; q < P; q++) {
    if (q === p) continue;
    const d = q * n * dim;
    for (let x = own0; x < own1; x++) {
      const v = deltas[d + x];
      if (v !== 0) {
        views[view + x] += v;
        deltas[d + x] = 0;
      }
    }
  }
  state.published.set(views.subarray(view + own0, view + own1), own0);
}

/** The 2-D case unrolled: the map the extension draws. */
function epoch2d(state: LayoutState, p: number, t: number, source: RandomSource | null): void {
  const { head, tail, epochsPerSample, n: nVertices } = state;
  const { a, b, repulsionStrength: gamma } = state.params;
  const view = p * nVertices * 2;
  const emb = state.partitions === 1 ? state.published : state.views.subarray(view, view + nVertices * 2);
  const delta = state.partitions === 1 ? emb : state.deltas.subarray(view, view + nVertices * 2);
  const lo = state.vertexBounds[p] << 1;
  const hi = state.vertexBounds[p + 1] << 1;
  const next = state.epochOfNextSample;
  const nextNeg = state.epochOfNextNegativeSample;
  const perNeg = state.epochsPerNegativeSample;
  const draws = state.draws;
  const drawEnd = (p + 1) * DRAW_BLOCK;
  let drawAt = p * DRAW_BLOCK + state.rng[2 * p + 1];
  const alpha = learningRateAt(state.params, t);
  const twoAB = -2 * a * b;
  const twoGammaB = 2 * gamma * b;
  // tablePow(power, x) inlined by hand (V8 would not inline it twice into this loop, and a
  // call returning a double allocates): x^b = (2^e)^b · c^b · (1 + r)^b, see fastPow.ts.
  const { f64, u32, HI, LOG_BITS, LOG_BINS } = powScratch;
  const { exponent: powE, bin: powBin, inverseCentre: invC, inverseScale: invS, c1, c2, c3, c4 } = powerOf(b);
  const binShift = 20 - LOG_BITS;
  const binMask = LOG_BINS - 1;
  const end = state.edgeBounds[p + 1];
  for (let i = state.edgeBounds[p]; i < end; i++) {
    if (next[i] > t) continue;
    const j = head[i] << 1;
    const k = tail[i] << 1;
    let cx = emb[j];
    let cy = emb[j + 1];
    const dx = cx - emb[k];
    const dy = cy - emb[k + 1];
    const d2 = dx * dx + dy * dy;
    if (d2 > 0) {
      let pb: number;
      if (d2 >= 2.2250738585072014e-308 && d2 < Infinity) {
        f64[0] = d2;
        const hw = u32[HI];
        const e = hw >>> 20;
        const bin = (hw >>> binShift) & binMask;
        const r = d2 * invS[e] * invC[bin] - 1;
        pb = powE[e] * powBin[bin] * (1 + r * (c1 + r * (c2 + r * (c3 + r * c4))));
      } else pb = Math.pow(d2, b);
      const coeff = (twoAB * pb) / (d2 * (a * pb + 1));
      const gx = clip(coeff * dx) * alpha;
      const gy = clip(coeff * dy) * alpha;
      cx += gx;
      cy += gy;
      emb[k] -= gx;
      emb[k + 1] -= gy;
      if (k < lo || k >= hi) {
        // Another partition's vertex: its owner adds the move after the epoch.
        delta[k] -= gx;
        delta[k + 1] -= gy;
      }
    }
    next[i] += epochsPerSample[i];
    const nNeg = Math.floor((t - nextNeg[i]) / perNeg[i]);
    for (let s = 0; s < nNeg; s++) {
      if (drawAt === drawEnd) {
        refill(state, p, source);
        drawAt = p * DRAW_BLOCK;
      }
      const o = draws[drawAt++] << 1;
      if (o === j) continue; // the head itself (umap-learn: distance 0 and j == k)
      const ex = cx - emb[o];
      const ey = cy - emb[o + 1];
      const e2 = ex * ex + ey * ey;
      if (e2 > 0) {
        let pb: number;
        if (e2 >= 2.2250738585072014e-308 && e2 < Infinity) {
          f64[0] = e2;
          const hw = u32[HI];
          const e = hw >>> 20;
          const bin = (hw >>> binShift) & binMask;
          const r = e2 * invS[e] * invC[bin] - 1;
          pb = powE[e] * powBin[bin] * (1 + r * (c1 + r * (c2 + r * (c3 + r * c4))));
        } else pb = Math.pow(e2, b);
        const coeff = twoGammaB / ((0.001 + e2) * (a * pb + 1));
        cx += clip(coeff * ex) * alpha;
        cy += clip(coeff * ey) * alpha;
      } else {
        cx += 4 * alpha;
        cy += 4 * alpha;
      }
    }
    // current is a view in umap-learn: the head's moves land in the embedding as they happen.
    emb[j] = cx;
    emb[j + 1] = cy;
    nextNeg[i] += nNeg * perNeg[i];
  }
  state.rng[2 * p + 1] = drawAt - p * DRAW_BLOCK;
}

function epochNd(state: LayoutState, p: number, t: number, source: RandomSource | null): void {
  const { head, tail, epochsPerSample, dim, n: nVertices } = state;
  const { a, b, repulsionStrength: gamma } = state.params;
  const view = p * nVertices * dim;
  const emb = state.partitions === 1 ? state.published : state.views.subarray(view, view + nVertices * dim);
  const delta = state.partitions === 1 ? emb : state.deltas.subarray(view, view + nVertices * dim);
  const lo = state.vertexBounds[p] * dim;
  const hi = state.vertexBounds[p + 1] * dim;
  const next = state.epochOfNextSample;
  const nextNeg = state.epochOfNextNegativeSample;
  const perNeg = state.epochsPerNegativeSample;
  const power = powerOf(b);
  const alpha = learningRateAt(state.params, t);
  const end = state.edgeBounds[p + 1];
  for (let i = state.edgeBounds[p]; i < end; i++) {
    if (next[i] > t) continue;
    const j = head[i] * dim;
    const k = tail[i] * dim;
    const foreign = k < lo || k >= hi;
    let d2 = 0;
    for (let d = 0; d < dim; d++) {
      const x = emb[j + d] - emb[k + d];
      d2 += x * x;
    }
    if (d2 > 0) {
      const pb = tablePow(power, d2);
      const coeff = (-2 * a * b * pb) / (d2 * (a * pb + 1));
      for (let d = 0; d < dim; d++) {
        const g = clip(coeff * (emb[j + d] - emb[k + d])) * alpha;
        emb[j + d] += g;
        emb[k + d] -= g;
        if (foreign) delta[k + d] -= g;
      }
    }
    next[i] += epochsPerSample[i];
    const nNeg = Math.floor((t - nextNeg[i]) / perNeg[i]);
    for (let s = 0; s < nNeg; s++) {
      if (state.rng[2 * p + 1] === DRAW_BLOCK) refill(state, p, source);
      const o = state.draws[p * DRAW_BLOCK + state.rng[2 * p + 1]++] * dim;
      if (o === j) continue;
      let e2 = 0;
      for (let d = 0; d < dim; d++) {
        const x = emb[j + d] - emb[o + d];
        e2 += x * x;
      }
      if (e2 > 0) {
        const coeff = (2 * gamma * b) / ((0.001 + e2) * (a * tablePow(power, e2) + 1));
        for (let d = 0; d < dim; d++) emb[j + d] += clip(coeff * (emb[j + d] - emb[o + d])) * alpha;
      } else {
        for (let d = 0; d < dim; d++) emb[j + d] += 4 * alpha;
      }
    }
    nextNeg[i] += nNeg * perNeg[i];
  }
}

/**
 * The layout run in this thread, an epoch per step: phase A of every partition in turn, then
 * phase B of every partition (the same map as ./parallelLayout.ts gives on several threads).
 * `source`, when given, draws partition 0's negative samples (an injected random source).
 */
export class LayoutOptimizer {
  /** Epochs done so far. */
  epoch = 0;

  constructor(
    readonly state: LayoutState,
    private readonly source: RandomSource | null = null,
  ) {}

  /** n·dim coordinates, row-major; updated by each step. */
  get embedding(): Float32Array {
    return this.state.published;
  }

  get done(): boolean {
    return this.epoch >= this.state.params.nEpochs;
  }

  /** Runs the next epoch; returns the number of epochs done. */
  step(): number {
    if (this.done) return this.epoch;
    const P = this.state.partitions;
    for (let p = 0; p < P; p++) layoutPhaseA(this.state, p, this.epoch, p === 0 ? this.source : null);
    for (let p = 0; p < P; p++) layoutPhaseB(this.state, p);
    this.epoch++;
    return this.epoch;
  }
}

function clip(v: number): number {
  return v > 4 ? 4 : v < -4 ? -4 : v;
}
