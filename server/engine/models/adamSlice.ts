/**
 * Adam on one slice of a flat parameter vector: what a rank of a data-parallel run applies to its
 * share of the weights after the reduce-scatter (dataParallel.ts), instead of every rank running
 * TensorFlow.js's Adam over all the weights. tfjs's Adam costs ~10 kernel dispatches and fresh
 * tensors per variable (3–5 ms a step on the reference net, the same on every rank whatever its
 * share of the batch); one fused loop over 1/N of the values costs a fraction of a millisecond.
 *
 * The arithmetic is tfjs's AdamOptimizer.applyGradients, operation by operation, each result
 * rounded to float32 (Math.fround) as a float32 kernel rounds it, with the hyper-parameters as
 * float32 scalars: m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; w ← −lr · (m / (1−β1ᵗ)) /
 * (√(v / (1−β2ᵗ)) + ε) + w, where β1ᵗ, β2ᵗ are float32 running products as tfjs keeps them.
 * Double rounding (float64, then float32) of +, −, ×, ÷ and √ of float32 operands is exact, so a
 * slice updated here equals tfjs's Adam on the same gradient (tested against the cpu backend).
 * The update is element by element, so the split of the vector into slices changes nothing.
 */
const f32 = Math.fround;

export interface AdamHyper {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export class AdamSlice {
  /** First and second moments of the slice's values. */
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** β1ᵗ and β2ᵗ before this step's update (tfjs starts them at β1, β2). */
  private accBeta1: number | null = null;
  private accBeta2: number | null = null;

  constructor(
    /** The slice [lo, hi) of the flat parameter vector. */
    readonly lo: number,
    readonly hi: number,
  ) {
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && 0 <= lo && lo <= hi)) throw new Error(`AdamSlice: bad slice [${lo}, ${hi})`);
    this.m = new Float32Array(hi - lo);
    this.v = new Float32Array(hi - lo);
  }

  /**
   * One step over the slice: the gradient of value i is the sum, in row order, of rows
   * `gradients[r * rowLength + i]` for r < rows (float64 sum, rounded once to float32, as the
   * plain reduce-scatter sums); the new values are written into `weights[i]`.
   */
  step(weights: Float32Array, gradients: Float32Array, rows: number, rowLength: number, hyper: AdamHyper): void {
    const { lo, hi, m, v } = this;
    if (hi > rowLength || weights.length < rowLength || gradients.length < rows * rowLength) throw new Error(`AdamSlice: slice [${lo}, ${hi}) outside ${rows} rows of ${rowLength}`);
    const b1 = f32(hyper.beta1);
    const b2 = f32(hyper.beta2);
    const oneMinusB1 = f32(1 - hyper.beta1);
    const oneMinusB2 = f32(1 - hyper.beta2);
    const eps = f32(hyper.epsilon);
    const negLr = f32(-hyper.learningRate);
    this.accBeta1 ??= b1;
    this.accBeta2 ??= b2;
    const oneMinusAcc1 = f32(1 - this.accBeta1);
    const oneMinusAcc2 = f32(1 - this.accBeta2);
    for (let i = lo, k = 0; i < hi; i++, k++) {
      let s = gradients[i]!;
      for (let r = 1; r < rows; r++) s += gradients[r * rowLength + i]!;
      const g = f32(s);
      const mk = f32(f32(m[k]! * b1) + f32(g * oneMinusB1));
      const vk = f32(f32(v[k]! * b2) + f32(f32(g * g) * oneMinusB2));
      m[k] = mk;
      v[k] = vk;
      const mHat = f32(mk / oneMinusAcc1);
      const vHat = f32(vk / oneMinusAcc2);
      const ratio = f32(mHat / f32(f32(Math.sqrt(vHat)) + eps));
      weights[i] = f32(f32(ratio * negLr) + weights[i]!);
    }
    this.accBeta1 = f32(this.accBeta1 * b1);
    this.accBeta2 = f32(this.accBeta2 * b2);
  }
}
