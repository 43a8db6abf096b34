/**
 * Two shape layers the convolutional decoder needs for every kind (1-D, 2-D, 3-D), where
 * tf.layers has only 2-D versions (upSampling2d, cropping2D):
 *
 * - `UpSampleNearest`: repeats every spatial position twice along each spatial axis (nearest
 *   neighbour ×2), [b, ...s, c] → [b, ...2s, c]. Built from reshape + concat, whose gradients
 *   (reshape, slice) run on every backend at every rank (tile's gradient stops at rank 4). The
 *   decoder uses it with a plain conv instead of a transposed conv, whose gradients lean on the
 *   kernels the wasm backend lacks or runs slowly (wasmKernels.ts).
 * - `CropSpatial`: keeps the first `size[i]` positions of each spatial axis. Pooling with
 *   'same' padding rounds odd sides up (7 → 4), so ×2 upsampling overshoots (4 → 8); the
 *   overshoot is the padding pooling added at the end, so the decoder crops the end.
 *
 * Both are registered with tf.serialization: models holding them save and load.
 */
import * as tf from '@tensorflow/tfjs';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

function oneTensor(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new Error(`expected one input tensor, got ${inputs.length}`);
    return inputs[0]!;
  }
  return inputs;
}

function oneShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
}

/** Nearest-neighbour ×2 upsampling over every spatial axis of a channels-last tensor (rank 3 to 5). */
export class UpSampleNearest extends tf.layers.Layer {
  static readonly className = 'SimilarityLabUpSampleNearest';

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = oneShape(inputShape);
    if (shape.length < 3 || shape.length > 5) throw new Error(`UpSampleNearest: expected [batch, ...spatial, channels] of rank 3 to 5, got [${shape.join(', ')}]`);
    return shape.map((d, i) => (i === 0 || i === shape.length - 1 || d === null ? d : d * 2));
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = oneTensor(inputs);
      // One axis at a time, folded to rank 4 so every kernel (and its gradient) has a fast path on
      // every backend: [.., s, ..] → [before, s, 1, after] → concat with itself [before, s, 2, after] → [.., 2s, ..].
      for (let axis = 1; axis < x.rank - 1; axis++) {
        const shape = x.shape;
        const before = shape.slice(0, axis).reduce((a, b) => a * b, 1);
        const after = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
        const y = tf.reshape(x, [before, shape[axis]!, 1, after]);
        x = tf.reshape(tf.concat([y, y], 2), [...shape.slice(0, axis), shape[axis]! * 2, ...shape.slice(axis + 1)]);
      }
      return x;
    });
  }
}
tf.serialization.registerClass(UpSampleNearest);

export interface CropSpatialArgs extends NonNullable<LayerArgs> {
  /** The spatial sides to keep (one per spatial axis). */
  size: number[];
}

/** Keeps the first `size` positions of each spatial axis of a channels-last tensor. */
export class CropSpatial extends tf.layers.Layer {
  static readonly className = 'SimilarityLabCropSpatial';
  readonly size: number[];

  constructor(args: CropSpatialArgs) {
    super(args);
    if (!Array.isArray(args.size) || args.size.some((s) => !(Number.isInteger(s) && s > 0))) throw new Error(`CropSpatial: size [${String(args.size)}] must be positive integers`);
    this.size = [...args.size];
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = oneShape(inputShape);
    if (shape.length !== this.size.length + 2) throw new Error(`CropSpatial: size [${this.size.join(', ')}] does not fit input [${shape.join(', ')}]`);
    this.size.forEach((s, i) => {
      const d = shape[i + 1];
      if (d != null && d < s) throw new Error(`CropSpatial: axis ${i + 1} has ${d} positions, fewer than ${s}`);
    });
    return [shape[0]!, ...this.size, shape[shape.length - 1]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = oneTensor(inputs);
      if (this.size.every((s, i) => x.shape[i + 1] === s)) return tf.clone(x);
      return tf.slice(x, new Array<number>(x.rank).fill(0), [-1, ...this.size, -1]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size };
  }
}
tf.serialization.registerClass(CropSpatial);
