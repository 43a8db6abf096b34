/**
 * Cheaper gradients for batch-norm training, registered over tfjs-core's (the gradient registry
 * is global: they apply on every backend, and compute the same values):
 *
 * - `FusedBatchNorm` (y = (x − mean)·r·scale + offset, r = 1/√(variance + ε), statistics per
 *   channel = the last axis). tfjs-core's gradient tiles r to x's shape (the wasm Tile took
 *   ~0.4 s of a 1.6 s step) and makes about ten full-size tensors. Here, with Σ over every
 *   position of a channel and g = r·scale:
 *     dx = dy·g            dOffset = Σ dy          dScale = r·Σ dy·(x − mean)
 *     dMean = −g·Σ dy      dVariance = −½·r²·g·Σ dy·(x − mean)
 *   three full-size products and two row sums (dx only if asked for).
 * - `Mean` (the moments feeding a training batch norm): tfjs-core multiplies dy by a full-size
 *   `ones` built in JavaScript; here dy/n is broadcast (a tile) directly.
 *
 * Inputs they do not cover (statistics broadcast other than per channel) go to the originals.
 */
import * as tf from '@tensorflow/tfjs';

type Lazy = () => tf.Tensor;

/** Per-channel statistics: rank 1, one value per entry of x's last axis. */
function perChannel(x: tf.Tensor, t: tf.Tensor | undefined): boolean {
  return !t || (t.rank === 1 && t.shape[0] === x.shape[x.rank - 1]);
}

/** The FusedBatchNorm gradients as lazy thunks, or null where the statistics are not per channel. */
export function batchNormGradients(dy: tf.Tensor, x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, scale: tf.Tensor | undefined, epsilon: number): Record<'x' | 'mean' | 'variance' | 'scale' | 'offset', Lazy> | null {
  if (x.rank < 1 || !perChannel(x, mean) || !perChannel(x, variance) || !perChannel(x, scale)) return null;
  const rows = x.rank - 1;
  const leading = Array.from({ length: rows }, (_, i) => i);
  const sumRows = (t: tf.Tensor): tf.Tensor => (rows === 0 ? t : tf.sum(t, leading));
  // The thunks run in separate tidy scopes, so what they share is computed here, in the caller's.
  const r = tf.rsqrt(tf.add(variance, epsilon));
  const gain = scale ? tf.mul(r, scale) : r;
  const sumDy = sumRows(dy);
  const sumDyXc = sumRows(tf.mul(dy, tf.sub(x, mean)));
  return {
    x: () => tf.mul(dy, gain),
    offset: () => tf.reshape(sumDy, mean.shape),
    scale: () => tf.mul(r, sumDyXc),
    mean: () => tf.neg(tf.mul(gain, sumDy)),
    variance: () => tf.mul(tf.mul(tf.mul(r, r), gain), tf.mul(sumDyXc, -0.5)),
  };
}

/** The Mean gradient: dy / n broadcast back over the reduced axes, or null for non-float inputs. */
export function meanGradient(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): Lazy | null {
  if (x.dtype !== 'float32') return null;
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const n = axes.reduce((p, a) => p * (x.shape[a] as number), 1);
  return () => {
    const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const reps = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
    return tf.tile(tf.reshape(tf.div(dy, n), kept), reps);
  };
}

let installed = false;

/** Registers both gradients over tfjs-core's, once; the originals stay in use for what these do not cover. */
export function installBatchNormGradients(): void {
  if (installed) return;
  const bn = tf.getGradient(tf.FusedBatchNorm);
  const mean = tf.getGradient(tf.Mean);
  if (!bn || !mean) throw new Error(`tfjs-core has no gradient for ${bn ? tf.Mean : tf.FusedBatchNorm} to replace`);
  tf.registerGradient({
    ...bn,
    gradFunc: (dy, saved, attrs) => {
      const [x, m, v, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
      const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
      return batchNormGradients(dy as tf.Tensor, x, m, v, scale, varianceEpsilon) ?? bn.gradFunc(dy, saved, attrs);
    },
  });
  tf.registerGradient({
    ...mean,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      const derX = meanGradient(dy as tf.Tensor, x, (attrs as unknown as tf.MeanAttrs).axis);
      return derX ? { x: derX } : mean.gradFunc(dy, saved, attrs);
    },
  });
  installed = true;
}
