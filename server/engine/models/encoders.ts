/**
 * Encoder factories: one network maps an input to an embedding; the Siamese model applies that
 * ONE model (shared weights) to every branch — anchor, positive and negative, or to a whole P×K
 * batch mined in-batch (mining.ts). Factories only build; training lives in siamese.ts.
 *
 * Kinds and input shapes (channels last, no batch dimension):
 *   dense   [d]             feature vectors, flattened anything
 *   conv1d  [length, c]     one-hot DNA ([len, 4]), time series ([len, 1] or more channels)
 *   conv2d  [h, w, c]       images
 *   conv3d  [d, h, w, c]    volumes (c = 1 for a plain volume)
 *
 * A conv block is conv (padding same) → batch norm → ReLU → max pool 2 (padding same, so a side
 * of 1 stays 1 and tiny inputs work). Conv3D maps use BatchNormalization3D (batchNorm3d.ts):
 * tf.layers' batch norm refuses rank 5. The default 2-D encoder is the reference net of DESIGN.md,
 * conv32-pool-conv64-pool-dense64: with the defaults `encoderFor('conv2d', [28, 28, 1])` is
 * conv(32, 3×3) → BN → ReLU → pool → conv(64, 3×3) → BN → ReLU → pool → flatten → dense(64).
 * The embedding layer is linear; after it comes DimensionAttention (attention.ts: learned
 * dimension weights + L2 normalisation) or, with `attention: false`, plain L2 normalisation
 * (`normalize: false` leaves the raw embedding).
 */
import * as tf from '@tensorflow/tfjs';
import { DimensionAttention, L2Normalize } from './attention';
import { batchNormalization3d } from './batchNorm3d';

export type EncoderKind = 'dense' | 'conv1d' | 'conv2d' | 'conv3d';

export const ENCODER_KINDS: readonly EncoderKind[] = ['dense', 'conv1d', 'conv2d', 'conv3d'];

export interface EncoderConfig {
  /** Size of the embedding; default 64. */
  embeddingDim?: number;
  /** Batch norm after every hidden conv / dense layer; default true. */
  batchNorm?: boolean;
  /** Learned attention over embedding dimensions (implies L2 normalisation); default true. */
  attention?: boolean;
  /** L2-normalise the embedding when attention is off; default true. */
  normalize?: boolean;
  /** Filters of the conv blocks, one block each; default [32, 64] (conv3d: [16, 32]). */
  filters?: number[];
  /** Conv kernel side; default 3 (conv1d: 7, a DNA motif's width). */
  kernelSize?: number;
  /** Hidden dense layers before the embedding; default [128] for dense, [] for conv kinds. */
  hidden?: number[];
  /** Conv kinds: how the last feature map becomes a vector; default 'max' for conv1d (position-free motifs), 'none' (flatten) otherwise. */
  globalPool?: 'none' | 'max' | 'average';
  /** Seed of the weight initialisers; default 1. */
  seed?: number;
}

export type ResolvedEncoderConfig = Required<EncoderConfig>;

const RANK: Record<EncoderKind, number> = { dense: 1, conv1d: 2, conv2d: 3, conv3d: 4 };

function positiveInts(name: string, xs: number[]): number[] {
  for (const x of xs) if (!(Number.isInteger(x) && x > 0)) throw new Error(`${name}: ${x} is not a positive integer`);
  return xs;
}

export function resolveEncoderConfig(kind: EncoderKind, config: EncoderConfig = {}): ResolvedEncoderConfig {
  const conv = kind !== 'dense';
  const r: ResolvedEncoderConfig = {
    embeddingDim: config.embeddingDim ?? 64,
    batchNorm: config.batchNorm ?? true,
    attention: config.attention ?? true,
    normalize: config.normalize ?? true,
    filters: config.filters ?? (kind === 'conv3d' ? [16, 32] : [32, 64]),
    kernelSize: config.kernelSize ?? (kind === 'conv1d' ? 7 : 3),
    hidden: config.hidden ?? (conv ? [] : [128]),
    globalPool: config.globalPool ?? (kind === 'conv1d' ? 'max' : 'none'),
    seed: config.seed ?? 1,
  };
  positiveInts('embeddingDim', [r.embeddingDim]);
  positiveInts('filters', r.filters);
  positiveInts('kernelSize', [r.kernelSize]);
  positiveInts('hidden', r.hidden);
  if (!['none', 'max', 'average'].includes(r.globalPool)) throw new Error(`globalPool: unknown '${r.globalPool}'`);
  return r;
}

/** The encoder kind for a sample shape: [d] dense, [len, c] conv1d, [h, w, c] conv2d, [d, h, w, c] conv3d. */
export function encoderKindForShape(inputShape: readonly number[]): EncoderKind {
  const kind = ENCODER_KINDS.find((k) => RANK[k] === inputShape.length);
  if (!kind) throw new Error(`input shape [${inputShape.join(', ')}]: expected rank 1 to 4`);
  return kind;
}

/**
 * A new encoder (a tf.Sequential) for inputs of `inputShape` (no batch dimension), output
 * [batch, embeddingDim]. Weights are initialised from `config.seed`.
 */
export function encoderFor(kind: EncoderKind, inputShape: readonly number[], config: EncoderConfig = {}): tf.Sequential {
  if (!ENCODER_KINDS.includes(kind)) throw new Error(`encoder kind: unknown '${String(kind)}' (expected ${ENCODER_KINDS.join(', ')})`);
  if (inputShape.length !== RANK[kind]) throw new Error(`encoder ${kind}: input shape [${inputShape.join(', ')}] must have rank ${RANK[kind]}`);
  positiveInts('inputShape', [...inputShape]);
  const c = resolveEncoderConfig(kind, config);
  let seed = c.seed;
  const init = () => tf.initializers.heNormal({ seed: seed++ });
  const model = tf.sequential();
  let first = true;
  // The first layer carries the input shape; later ones infer theirs.
  const shapeArg = () => (first ? ((first = false), { inputShape: [...inputShape] }) : {});

  if (kind !== 'dense') {
    for (const filters of c.filters) {
      const common = { filters, kernelSize: c.kernelSize, padding: 'same' as const, useBias: !c.batchNorm, kernelInitializer: init(), ...shapeArg() };
      if (kind === 'conv1d') model.add(tf.layers.conv1d(common));
      else if (kind === 'conv2d') model.add(tf.layers.conv2d(common));
      else model.add(tf.layers.conv3d(common));
      if (c.batchNorm) model.add(batchNormFor(kind));
      model.add(tf.layers.reLU());
      if (kind === 'conv1d') model.add(tf.layers.maxPooling1d({ poolSize: 2, padding: 'same' }));
      else if (kind === 'conv2d') model.add(tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }));
      else model.add(tf.layers.maxPooling3d({ poolSize: 2, padding: 'same' }));
    }
    addVectoriser(model, kind, c.globalPool);
  }

  for (const units of c.hidden) {
    model.add(tf.layers.dense({ units, useBias: !c.batchNorm, kernelInitializer: init(), ...shapeArg() }));
    if (c.batchNorm) model.add(tf.layers.batchNormalization());
    model.add(tf.layers.reLU());
  }
  model.add(tf.layers.dense({ units: c.embeddingDim, kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }), ...shapeArg() }));
  if (c.attention) model.add(new DimensionAttention());
  else if (c.normalize) model.add(new L2Normalize());
  return model;
}

function batchNormFor(kind: EncoderKind): tf.layers.Layer {
  // tfjs-layers' batchNormalization refuses rank 5 (DESIGN.md): Conv3D maps get our own layer.
  return kind === 'conv3d' ? batchNormalization3d() : tf.layers.batchNormalization();
}

function addVectoriser(model: tf.Sequential, kind: EncoderKind, pool: ResolvedEncoderConfig['globalPool']): void {
  if (pool === 'none') {
    model.add(tf.layers.flatten());
    return;
  }
  if (kind === 'conv3d') {
    // tfjs-layers has no 3-D global pooling: list the positions as one axis and pool over it.
    const shape = model.outputs[0]!.shape;
    const channels = shape[shape.length - 1] as number;
    model.add(tf.layers.reshape({ targetShape: [-1, channels] }));
  }
  if (kind === 'conv2d') model.add(pool === 'max' ? tf.layers.globalMaxPooling2d({}) : tf.layers.globalAveragePooling2d({}));
  else model.add(pool === 'max' ? tf.layers.globalMaxPooling1d() : tf.layers.globalAveragePooling1d());
}
