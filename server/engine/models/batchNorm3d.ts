/**
 * Batch normalisation for rank-5 tensors [batch, depth, height, width, channels] (after a
 * Conv3D): tfjs-layers' `batchNormalization` refuses rank 5 (its backend helper stops at 4).
 * Same maths and the same weights as that layer with axis −1: per channel, in training the
 * batch's mean and population variance normalise the input and move the running averages
 * (running ← running − (running − batch)·(1 − momentum)); in inference the running averages
 * normalise. The input is reshaped to rank 4 [batch·depth, height, width, channels] around
 * the core `tf.batchNorm` op (per-channel, so the reshape changes nothing) and back.
 * Registered with tf.serialization, so models holding it save and load.
 */
import * as tf from '@tensorflow/tfjs';

export interface BatchNorm3DArgs {
  /** Weight of the old running value in each update; default 0.99 (as tfjs-layers). */
  momentum?: number;
  /** Added to the variance before the square root; default 1e-3 (as tfjs-layers). */
  epsilon?: number;
  /** Learn an offset (beta); default true. */
  center?: boolean;
  /** Learn a scale (gamma); default true. */
  scale?: boolean;
  name?: string;
  trainable?: boolean;
  inputShape?: number[];
  batchInputShape?: number[];
}

type Kwargs = Record<string, unknown>;

export class BatchNormalization3D extends tf.layers.Layer {
  static className = 'BatchNormalization3D';
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;
  private movingMean: tf.LayerVariable | null = null;
  private movingVariance: tf.LayerVariable | null = null;

  constructor(args: BatchNorm3DArgs = {}) {
    super(args);
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new Error(`BatchNormalization3D: momentum ${this.momentum} is not in [0, 1]`);
    if (!(this.epsilon > 0)) throw new Error(`BatchNormalization3D: epsilon ${this.epsilon} must be > 0`);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape.length !== 5) throw new Error(`BatchNormalization3D: expected rank-5 input [batch, depth, height, width, channels], got shape ${JSON.stringify(shape)}`);
    const channels = shape[4];
    if (channels == null) throw new Error(`BatchNormalization3D: the channel axis of ${JSON.stringify(shape)} must be known`);
    if (this.scale) this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones());
    if (this.center) this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros());
    this.movingMean = this.addWeight('moving_mean', [channels], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [channels], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;
      if (x.rank !== 5) throw new Error(`BatchNormalization3D: expected a rank-5 tensor, got shape ${JSON.stringify(x.shape)}`);
      const movingMean = this.movingMean as tf.LayerVariable;
      const movingVariance = this.movingVariance as tf.LayerVariable;
      const [b, d, h, w, c] = x.shape as [number, number, number, number, number];
      const x4 = x.reshape<tf.Tensor4D>([b * d, h, w, c]);
      const gamma = this.gamma ? this.gamma.read() : undefined;
      const beta = this.beta ? this.beta.read() : undefined;
      if (kwargs['training'] !== true) {
        return tf.batchNorm(x4, movingMean.read(), movingVariance.read(), beta, gamma, this.epsilon).reshape(x.shape);
      }
      const { mean, variance } = tf.moments(x4, [0, 1, 2]);
      const y = tf.batchNorm(x4, mean, variance, beta, gamma, this.epsilon).reshape(x.shape);
      const decay = 1 - this.momentum;
      for (const [running, batch] of [[movingMean, mean], [movingVariance, variance]] as const) {
        tf.tidy(() => {
          const old = running.read();
          running.write(tf.sub(old, tf.mul(tf.sub(old, batch), decay)));
        });
      }
      return y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon, center: this.center, scale: this.scale };
  }
}

tf.serialization.registerClass(BatchNormalization3D);

/** A BatchNormalization3D layer (the factory style of tf.layers). */
export function batchNormalization3d(args: BatchNorm3DArgs = {}): BatchNormalization3D {
  return new BatchNormalization3D(args);
}
