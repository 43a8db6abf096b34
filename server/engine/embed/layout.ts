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
 * is one Float32Array (n·dim) and d^(b−1) comes from d^b / d², one pow per gradient.
 */
import { fastPow } from './fastPow';
import type { RandomSource } from './random';

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

export class LayoutOptimizer {
  private readonly epochOfNextSample: Float64Array;
  private readonly epochsPerNegativeSample: Float64Array;
  private readonly epochOfNextNegativeSample: Float64Array;
  private alpha: number;
  /** Epochs done so far. */
  epoch = 0;

  constructor(
    /** n·dim coordinates, updated in place. */
    readonly embedding: Float32Array,
    readonly dim: number,
    private readonly edges: LayoutEdges,
    private readonly params: LayoutParams,
    private readonly random: RandomSource,
  ) {
    const { epochsPerSample } = edges;
    this.epochOfNextSample = Float64Array.from(epochsPerSample);
    this.epochsPerNegativeSample = new Float64Array(epochsPerSample.length);
    for (let i = 0; i < epochsPerSample.length; i++) this.epochsPerNegativeSample[i] = epochsPerSample[i] / params.negativeSampleRate;
    this.epochOfNextNegativeSample = Float64Array.from(this.epochsPerNegativeSample);
    this.alpha = params.learningRate;
  }

  get done(): boolean {
    return this.epoch >= this.params.nEpochs;
  }

  /** Runs the next epoch; returns the number of epochs done. */
  step(): number {
    if (this.done) return this.epoch;
    if (this.dim === 2) this.epoch2d(this.epoch);
    else this.epochNd(this.epoch);
    // As umap-learn: after epoch n (from 0) the rate is α₀(1 − n/nEpochs), so epochs 0 and 1 both run at α₀.
    this.alpha = this.params.learningRate * (1 - this.epoch / this.params.nEpochs);
    this.epoch++;
    return this.epoch;
  }

  /** The 2-D case unrolled: the map the extension draws. */
  private epoch2d(n: number): void {
    const { head, tail, epochsPerSample } = this.edges;
    const { a, b, repulsionStrength: gamma } = this.params;
    const emb = this.embedding;
    const nVertices = emb.length >> 1;
    const next = this.epochOfNextSample;
    const nextNeg = this.epochOfNextNegativeSample;
    const perNeg = this.epochsPerNegativeSample;
    const random = this.random;
    const alpha = this.alpha;
    const twoAB = -2 * a * b;
    const twoGammaB = 2 * gamma * b;
    for (let i = 0; i < epochsPerSample.length; i++) {
      if (next[i] > n) continue;
      const j = head[i] << 1;
      const k = tail[i] << 1;
      let cx = emb[j];
      let cy = emb[j + 1];
      const dx = cx - emb[k];
      const dy = cy - emb[k + 1];
      const d2 = dx * dx + dy * dy;
      if (d2 > 0) {
        const pb = fastPow(d2, b);
        const coeff = (twoAB * (pb / d2)) / (a * pb + 1);
        const gx = clip(coeff * dx) * alpha;
        const gy = clip(coeff * dy) * alpha;
        cx += gx;
        cy += gy;
        emb[k] -= gx;
        emb[k + 1] -= gy;
      }
      next[i] += epochsPerSample[i];
      const nNeg = Math.floor((n - nextNeg[i]) / perNeg[i]);
      for (let p = 0; p < nNeg; p++) {
        const o = Math.floor(random() * nVertices) << 1;
        if (o === j) continue; // the head itself (umap-learn: distance 0 and j == k)
        const ex = cx - emb[o];
        const ey = cy - emb[o + 1];
        const e2 = ex * ex + ey * ey;
        if (e2 > 0) {
          const coeff = twoGammaB / ((0.001 + e2) * (a * fastPow(e2, b) + 1));
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
  }

  private epochNd(n: number): void {
    const { head, tail, epochsPerSample } = this.edges;
    const { a, b, repulsionStrength: gamma } = this.params;
    const dim = this.dim;
    const emb = this.embedding;
    const nVertices = emb.length / dim;
    const next = this.epochOfNextSample;
    const nextNeg = this.epochOfNextNegativeSample;
    const perNeg = this.epochsPerNegativeSample;
    const alpha = this.alpha;
    for (let i = 0; i < epochsPerSample.length; i++) {
      if (next[i] > n) continue;
      const j = head[i] * dim;
      const k = tail[i] * dim;
      let d2 = 0;
      for (let d = 0; d < dim; d++) {
        const t = emb[j + d] - emb[k + d];
        d2 += t * t;
      }
      if (d2 > 0) {
        const pb = fastPow(d2, b);
        const coeff = (-2 * a * b * (pb / d2)) / (a * pb + 1);
        for (let d = 0; d < dim; d++) {
          const g = clip(coeff * (emb[j + d] - emb[k + d])) * alpha;
          emb[j + d] += g;
          emb[k + d] -= g;
        }
      }
      next[i] += epochsPerSample[i];
      const nNeg = Math.floor((n - nextNeg[i]) / perNeg[i]);
      for (let p = 0; p < nNeg; p++) {
        const o = Math.floor(this.random() * nVertices) * dim;
        if (o === j) continue;
        let e2 = 0;
        for (let d = 0; d < dim; d++) {
          const t = emb[j + d] - emb[o + d];
          e2 += t * t;
        }
        if (e2 > 0) {
          const coeff = (2 * gamma * b) / ((0.001 + e2) * (a * fastPow(e2, b) + 1));
          for (let d = 0; d < dim; d++) emb[j + d] += clip(coeff * (emb[j + d] - emb[o + d])) * alpha;
        } else {
          for (let d = 0; d < dim; d++) emb[j + d] += 4 * alpha;
        }
      }
      nextNeg[i] += nNeg * perNeg[i];
    }
  }
}

function clip(v: number): number {
  return v > 4 ? 4 : v < -4 ? -4 : v;
}
