/**
 * Autoencoder factories: the study's "traditional" autoencoder (dense layers) and its
 * "enhanced" one (convolutional encoder and decoder with batch norm), for 1-D, 2-D and 3-D
 * inputs (channels last, no batch dimension: conv1d [length, c], conv2d [h, w, c],
 * conv3d [d, h, w, c]; the dense one takes any shape and flattens it).
 *
 *   dense   input → flatten → [dense → (BN) → ReLU] per hidden → latent (linear)
 *           latent → [dense → (BN) → ReLU] per hidden, reversed → dense(prod(shape)) → output → reshape
 *   conv    input → [conv → BN → ReLU → maxpool 2 (same)] per filter → flatten → latent (linear)
 *           latent → dense(prod(bottleneck)) → (BN) → ReLU → reshape(bottleneck)
 *                  → [upsample ×2 → conv → BN → ReLU] per filter, reversed → crop → conv(c) → output
 *
 * The decoder mirrors the encoder with nearest ×2 upsampling + conv rather than transposed
 * convolutions: the wasm backend trains those (spatialLayers.ts). Pooling with 'same' padding
 * rounds odd sides up (28 → 14 → 7 → 4), so the decoder crops the overshoot and every input size
 * round-trips exactly. The output is a sigmoid (inputs scaled to [0, 1], the default) or linear.
 * The latent is linear and unnormalised: the latent losses (autoencoderStep.ts) compare
 * directions, and UMAP and clustering standardise it (StandardScaler) anyway.
 *
 * One set of layers serves three models sharing their weights: `autoencoder` (input →
 * reconstruction, the one to save and train), `encoder` (input → latent) and `decoder`
 * (latent → reconstruction). After loading a saved autoencoder, `autoencoderFromModel` rebuilds
 * the two views from the layer named `latent`.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormalization3d } from './batchNorm3d';
import { CropSpatial, UpSampleNearest } from './spatialLayers';

export type AutoencoderKind = 'dense' | 'conv1d' | 'conv2d' | 'conv3d';

export const AUTOENCODER_KINDS: readonly AutoencoderKind[] = ['dense', 'conv1d', 'conv2d', 'conv3d'];

export type AutoencoderOutput = 'sigmoid' | 'linear';

/** Name of the latent layer: the boundary between encoder and decoder in a saved model. */
export const LATENT_LAYER_NAME = 'latent';

export interface DenseAutoencoderConfig {
  /** Size of the latent code; default 32. */
  latentDim?: number;
  /** Hidden layer sizes of the encoder (the decoder reverses them); default [512, 128]. */
  hidden?: number[];
  /** Batch norm after each hidden layer; default false (the "traditional" model). */
  batchNorm?: boolean;
  /** Default 'sigmoid' (inputs in [0, 1]). */
  output?: AutoencoderOutput;
  /** Seed of the weight initialisers; default 1. */
  seed?: number;
}

export interface ConvAutoencoderConfig {
  /** Size of the latent code; default 32. */
  latentDim?: number;
  /** Filters of the encoder's conv blocks (one pooling each; the decoder reverses them); default [32, 64] (conv3d: [16, 32]). */
  filters?: number[];
  /** Conv kernel side; default 3 (conv1d: 7, as encoders.ts). */
  kernelSize?: number;
  /** Batch norm after every hidden conv and the decoder's first dense layer; default true. */
  batchNorm?: boolean;
  /** Default 'sigmoid'. */
  output?: AutoencoderOutput;
  /** Default 1. */
  seed?: number;
}

export interface Autoencoder {
  kind: AutoencoderKind;
  /** Per-item shape of inputs and reconstructions (no batch dimension). */
  inputShape: number[];
  latentDim: number;
  /** input → latent [batch, latentDim]. */
  encoder: tf.LayersModel;
  /** latent → reconstruction [batch, ...inputShape]. */
  decoder: tf.LayersModel;
  /** input → reconstruction: the model to train and save (it holds every weight). */
  autoencoder: tf.LayersModel;
}

const RANK: Record<Exclude<AutoencoderKind, 'dense'>, number> = { conv1d: 2, conv2d: 3, conv3d: 4 };

function positiveInts(name: string, xs: readonly number[]): void {
  for (const x of xs) if (!(Number.isInteger(x) && x > 0)) throw new Error(`${name}: ${x} is not a positive integer`);
}

function checkOutput(output: string): AutoencoderOutput {
  if (output !== 'sigmoid' && output !== 'linear') throw new Error(`output: unknown '${output}' (expected sigmoid, linear)`);
  return output;
}

const product = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/** Applies `layers` in order (a chain). */
function chain(x: tf.SymbolicTensor, layers: tf.layers.Layer[]): tf.SymbolicTensor {
  return layers.reduce((t, layer) => layer.apply(t) as tf.SymbolicTensor, x);
}

/** The three models over one chain of encoder layers (ending in the latent layer) and decoder layers. */
function assemble(kind: AutoencoderKind, inputShape: readonly number[], latentDim: number, encoderLayers: tf.layers.Layer[], decoderLayers: tf.layers.Layer[]): Autoencoder {
  const input = tf.input({ shape: [...inputShape] });
  const latent = chain(input, encoderLayers);
  const reconstruction = chain(latent, decoderLayers);
  const latentInput = tf.input({ shape: [latentDim] });
  return {
    kind,
    inputShape: [...inputShape],
    latentDim,
    encoder: tf.model({ inputs: input, outputs: latent }),
    decoder: tf.model({ inputs: latentInput, outputs: chain(latentInput, decoderLayers) }),
    autoencoder: tf.model({ inputs: input, outputs: reconstruction }),
  };
}

/** The "traditional" autoencoder: dense layers only, for inputs of any shape. */
export function denseAutoencoder(inputShape: readonly number[], config: DenseAutoencoderConfig = {}): Autoencoder {
  positiveInts('inputShape', inputShape);
  if (inputShape.length === 0) throw new Error('inputShape: must have at least one dimension');
  const latentDim = config.latentDim ?? 32;
  const hidden = config.hidden ?? [512, 128];
  const batchNorm = config.batchNorm ?? false;
  const output = checkOutput(config.output ?? 'sigmoid');
  positiveInts('latentDim', [latentDim]);
  positiveInts('hidden', hidden);
  let seed = config.seed ?? 1;
  const he = () => tf.initializers.heNormal({ seed: seed++ });
  const glorot = () => tf.initializers.glorotUniform({ seed: seed++ });
  const hiddenBlock = (units: number) => [
    tf.layers.dense({ units, useBias: !batchNorm, kernelInitializer: he() }),
    ...(batchNorm ? [tf.layers.batchNormalization()] : []),
    tf.layers.reLU(),
  ];

  const encoderLayers: tf.layers.Layer[] = [];
  if (inputShape.length > 1) encoderLayers.push(tf.layers.flatten());
  for (const units of hidden) encoderLayers.push(...hiddenBlock(units));
  encoderLayers.push(tf.layers.dense({ units: latentDim, kernelInitializer: glorot(), name: LATENT_LAYER_NAME }));

  const decoderLayers: tf.layers.Layer[] = [];
  for (const units of [...hidden].reverse()) decoderLayers.push(...hiddenBlock(units));
  decoderLayers.push(tf.layers.dense({ units: product(inputShape), activation: output, kernelInitializer: glorot() }));
  if (inputShape.length > 1) decoderLayers.push(tf.layers.reshape({ targetShape: [...inputShape] }));
  return assemble('dense', inputShape, latentDim, encoderLayers, decoderLayers);
}

/** The "enhanced" autoencoder: conv blocks with batch norm, mirrored by upsampling + conv. */
export function convAutoencoder(kind: Exclude<AutoencoderKind, 'dense'>, inputShape: readonly number[], config: ConvAutoencoderConfig = {}): Autoencoder {
  if (!(kind in RANK)) throw new Error(`autoencoder kind: unknown '${String(kind)}' (expected conv1d, conv2d, conv3d)`);
  if (inputShape.length !== RANK[kind]) throw new Error(`autoencoder ${kind}: input shape [${inputShape.join(', ')}] must have rank ${RANK[kind]}`);
  positiveInts('inputShape', inputShape);
  const latentDim = config.latentDim ?? 32;
  const filters = config.filters ?? (kind === 'conv3d' ? [16, 32] : [32, 64]);
  const kernelSize = config.kernelSize ?? (kind === 'conv1d' ? 7 : 3);
  const batchNorm = config.batchNorm ?? true;
  const output = checkOutput(config.output ?? 'sigmoid');
  positiveInts('latentDim', [latentDim]);
  positiveInts('filters', filters);
  if (filters.length === 0) throw new Error('filters: at least one conv block is needed');
  positiveInts('kernelSize', [kernelSize]);
  let seed = config.seed ?? 1;
  const he = () => tf.initializers.heNormal({ seed: seed++ });
  const glorot = () => tf.initializers.glorotUniform({ seed: seed++ });
  const conv = (f: number, args: { activation?: AutoencoderOutput; useBias: boolean; init: ReturnType<typeof tf.initializers.heNormal> }) => {
    const common = { filters: f, kernelSize, padding: 'same' as const, useBias: args.useBias, kernelInitializer: args.init, ...(args.activation ? { activation: args.activation } : {}) };
    if (kind === 'conv1d') return tf.layers.conv1d(common);
    if (kind === 'conv2d') return tf.layers.conv2d(common);
    return tf.layers.conv3d(common);
  };
  const norm = () => (kind === 'conv3d' ? batchNormalization3d() : tf.layers.batchNormalization());
  const pool = () => {
    if (kind === 'conv1d') return tf.layers.maxPooling1d({ poolSize: 2, padding: 'same' });
    if (kind === 'conv2d') return tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' });
    return tf.layers.maxPooling3d({ poolSize: 2, padding: 'same' });
  };
  const block = (f: number) => [conv(f, { useBias: !batchNorm, init: he() }), ...(batchNorm ? [norm()] : []), tf.layers.reLU()];

  const spatial = inputShape.slice(0, -1);
  const channels = inputShape[inputShape.length - 1]!;
  // 'same' pooling: each side becomes ceil(side / 2) per block.
  const bottleneckSpatial = spatial.map((s) => filters.reduce((side) => Math.ceil(side / 2), s));
  const bottleneck = [...bottleneckSpatial, filters[filters.length - 1]!];

  const encoderLayers: tf.layers.Layer[] = [];
  for (const f of filters) encoderLayers.push(...block(f), pool());
  encoderLayers.push(tf.layers.flatten(), tf.layers.dense({ units: latentDim, kernelInitializer: glorot(), name: LATENT_LAYER_NAME }));

  const decoderLayers: tf.layers.Layer[] = [
    tf.layers.dense({ units: product(bottleneck), useBias: !batchNorm, kernelInitializer: he() }),
    ...(batchNorm ? [tf.layers.batchNormalization()] : []),
    tf.layers.reLU(),
    tf.layers.reshape({ targetShape: bottleneck }),
  ];
  for (const f of [...filters].reverse()) decoderLayers.push(new UpSampleNearest(), ...block(f));
  const upsampled = bottleneckSpatial.map((s) => s * 2 ** filters.length);
  if (upsampled.some((s, i) => s !== spatial[i])) decoderLayers.push(new CropSpatial({ size: spatial }));
  decoderLayers.push(conv(channels, { activation: output, useBias: true, init: glorot() }));
  return assemble(kind, inputShape, latentDim, encoderLayers, decoderLayers);
}

export type AutoencoderConfig = ({ kind: 'dense' } & DenseAutoencoderConfig) | ({ kind: Exclude<AutoencoderKind, 'dense'> } & ConvAutoencoderConfig);

/** Either factory by kind: what a training job calls with its config. */
export function autoencoderFor(inputShape: readonly number[], config: AutoencoderConfig): Autoencoder {
  if (config.kind === 'dense') return denseAutoencoder(inputShape, config);
  if (!AUTOENCODER_KINDS.includes(config.kind)) throw new Error(`autoencoder kind: unknown '${String(config.kind)}' (expected ${AUTOENCODER_KINDS.join(', ')})`);
  return convAutoencoder(config.kind, inputShape, config);
}

/**
 * The encoder and decoder views of a (loaded) autoencoder: the layers up to `latent` form the
 * encoder, the ones after it — applied in order to a new latent input — the decoder. The kind
 * is read from its conv layers (none: dense). Layers are found by class name, so a model loaded
 * through another copy of tfjs-layers works too.
 */
export function autoencoderFromModel(model: tf.LayersModel): Autoencoder {
  const layers = model.layers;
  const at = layers.findIndex((l) => l.name === LATENT_LAYER_NAME);
  if (at < 0) throw new Error(`autoencoder: no layer named '${LATENT_LAYER_NAME}' (not a model made by autoencoder.ts)`);
  const latentShape = layers[at]!.outputShape as tf.Shape;
  const latentDim = latentShape[latentShape.length - 1];
  if (typeof latentDim !== 'number') throw new Error('autoencoder: the latent size is unknown');
  const inputShape = model.inputs[0]!.shape.slice(1);
  if (inputShape.some((d) => d === null)) throw new Error(`autoencoder: input shape [${inputShape.join(', ')}] is not fully known`);
  const classes = layers.map((l) => l.getClassName());
  const kind: AutoencoderKind = classes.includes('Conv3D') ? 'conv3d' : classes.includes('Conv2D') ? 'conv2d' : classes.includes('Conv1D') ? 'conv1d' : 'dense';
  const latentInput = tf.input({ shape: [latentDim] });
  return {
    kind,
    inputShape: inputShape as number[],
    latentDim,
    encoder: tf.model({ inputs: model.inputs, outputs: layers[at]!.output as tf.SymbolicTensor }),
    decoder: tf.model({ inputs: latentInput, outputs: chain(latentInput, layers.slice(at + 1)) }),
    autoencoder: model,
  };
}

/**
 * Frees the weights. A layer counts one reference per symbolic call and frees its weights when
 * disposed that many times: the decoder's layers were called twice (autoencoder and decoder
 * view), the encoder's once (the encoder view reuses the autoencoder's call). So the decoder view
 * and the autoencoder are disposed, and the encoder view, already empty, is not.
 */
export function disposeAutoencoder(models: Autoencoder): void {
  models.decoder.dispose();
  models.autoencoder.dispose();
}
