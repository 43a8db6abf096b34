/**
 * Attention over embedding dimensions, and the plain L2 normalisation used without it.
 *
 * The study's slide "Dynamic margin" (Architecture of our Siamese Network 3/3) does not describe a
 * margin that changes: it describes this layer — the network "dynamically weights embedding
 * dimensions", "scores sum to 1", "attention weights clamped between 0 and 1", "L2 normalization
 * applied to weighted embeddings". So "dynamic margin" here means: a fixed triplet margin applied
 * in a space whose axes are re-weighted as training goes. Stretching a dimension's weight makes
 * the same margin cost less along it, shrinking it makes the margin cost more, so the effective
 * margin per original dimension moves with the learned weights. We build exactly that:
 *
 *   w = clamp(softmax(logits), 0, 1)        one learned logit per embedding dimension
 *   y = (x ⊙ w) / ‖x ⊙ w‖₂                   applied before any distance
 *
 * The softmax already lies in [0, 1]; the clamp is the study's stability guard kept as stated.
 * The logits start at 0 (equal weights 1/dim: the layer starts as plain L2 normalisation). The
 * weights are part of the model (a layer weight), so they are saved and loaded with it, and
 * `attentionWeights(model)` reads them after training.
 */
import * as tf from '@tensorflow/tfjs';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

const EPS = 1e-12;

function l2Normalise(x: tf.Tensor): tf.Tensor {
  return tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), -1, true), EPS)));
}

function lastDim(inputShape: tf.Shape | tf.Shape[]): number {
  const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
  const d = shape[shape.length - 1];
  if (typeof d !== 'number' || shape.length !== 2) throw new Error(`DimensionAttention: input must be [batch, dim], got [${shape.join(', ')}]`);
  return d;
}

function oneTensor(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new Error(`expected one input tensor, got ${inputs.length}`);
    return inputs[0]!;
  }
  return inputs;
}

/** Learned softmax weights over the last dimension, clamped to [0, 1], then L2 normalisation. */
export class DimensionAttention extends tf.layers.Layer {
  static readonly className = 'SimilarityLabDimensionAttention';
  private logits: tf.LayerVariable | null = null;

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    this.logits = this.addWeight('logits', [lastDim(inputShape)], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  /** The weights w = clamp(softmax(logits), 0, 1) as a tensor (caller disposes). */
  weightsTensor(): tf.Tensor1D {
    if (!this.logits) throw new Error('DimensionAttention: layer not built yet');
    const logits = this.logits.read();
    return tf.tidy(() => tf.clipByValue(tf.softmax(logits), 0, 1) as tf.Tensor1D);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = oneTensor(inputs);
      const w = this.weightsTensor();
      return l2Normalise(tf.mul(x, w));
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }
}
tf.serialization.registerClass(DimensionAttention);

/** Row-wise L2 normalisation (the encoder's last layer when attention is off). */
export class L2Normalize extends tf.layers.Layer {
  static readonly className = 'SimilarityLabL2Normalize';

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => l2Normalise(oneTensor(inputs)));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }
}
tf.serialization.registerClass(L2Normalize);

/**
 * The learned dimension weights of a model's attention layer (sum 1), or null when it has none.
 * Found by class name, not instanceof: a model loaded through another copy of this module (two
 * bundles, or ESM next to CJS) holds layers of another class object.
 */
export function attentionWeights(model: tf.LayersModel): Float32Array | null {
  const layer = model.layers.find((l) => l.getClassName() === DimensionAttention.className);
  if (!layer) return null;
  const [logits] = layer.getWeights();
  if (!logits) throw new Error('DimensionAttention: layer not built yet');
  const w = tf.tidy(() => tf.clipByValue(tf.softmax(logits), 0, 1));
  try {
    return new Float32Array(w.dataSync());
  } finally {
    w.dispose();
  }
}
