/**
 * The autoencoder training loop: inputs (+ optional labels) + config + callbacks → a trained
 * autoencoder (encoder and decoder views) and its history. Engine-pure, like training.ts; the
 * `train` task runs it in a worker. Stable API:
 *
 *   trainAutoencoder(
 *     data: { inputs: TrainingInputs; labels?: Int32Array },    // training.ts denseInputs / oneHotInputs
 *     config?: AutoencoderTrainingConfig,                        // every field optional
 *     callbacks?: AutoencoderTrainingCallbacks,                   // onStart/onStep/onEpoch/onCheckpoint/checkCancelled/shouldStop/now
 *   ): Promise<AutoencoderTrainingResult>                         // .models (Autoencoder: encoder = input → latent), .history, ...
 *
 * The caller owns `result.models` (free with `disposeAutoencoder`); the latent codes of any rows
 * come from `embedInputs(result.models.encoder, inputs)` (training.ts) or `embedLatent`.
 *
 * - Model: `autoencoder.kind` 'dense' (any shape, flattened) or a conv kind — 'conv' picks
 *   conv1d / conv2d / conv3d from the input rank. Default: dense for vectors, conv otherwise.
 *   Dense defaults compress: latent min(32, size / 2), hidden layers of [512, 128] up to twice the
 *   input size. Output: sigmoid when every input value is in [0, 1] (pixels / 255, one-hot), else
 *   linear (standardised tables).
 * - Loss (autoencoderStep.ts): w_r · MSE + w_l · latent contrastive/triplet + w_p · perceptual.
 *   Latent positives (`positives`): 'labels' (items of a class), 'views' (each item and its seeded
 *   augmented view, augment.ts), or 'auto' (default): labels where the item has one, views for
 *   the rest (all views when no class has 2 training items). The perceptual extractor: `perceptual.extractor` (e.g. a trained Siamese encoder),
 *   else a fixed random-weight conv net (see autoencoderStep.ts for why that is a fair choice).
 * - Split: a seeded random share of ALL items (labelled or not) is held out; every other item
 *   trains, in shuffled batches of `batchSize` (each epoch a new permutation).
 * - Validation, after each epoch, in inference mode: `valLoss` = w_r · MSE + w_p · perceptual on
 *   the held-out items (MSE alone when both weights are 0; the latent loss is left out: it depends
 *   on which items share a batch). With labelled held-out items, the latent's retrieval scores
 *   too (precision@1, R-precision, MAP@R, triplet accuracy, in the latent loss's distance).
 *   The best epoch by `monitor` (default the lowest valLoss) is checkpointed and restored;
 *   `patience` epochs without a better one stop early. Without validation, the lowest training loss.
 * - Epochs, learning-rate schedule, stop, time limit, cancellation: trainingLoop.ts, as for
 *   Siamese models. Every tensor a step or a validation makes is disposed.
 */
import * as tf from '@tensorflow/tfjs';
import { autoencoderFor, disposeAutoencoder, type Autoencoder, type AutoencoderKind, type AutoencoderOutput } from './autoencoder';
import { augmentBatch, type AugmentOptions } from './augment';
import { assembledOrder, followLeader, trainableVariables, type ParallelGroup, type ParallelShape } from './dataParallel';
import { autoencoderParallelLayout, autoencoderShardStep, autoencoderTrainStep, perceptualFeatures, resolveAutoencoderLossSettings, type AutoencoderLossConfig, type AutoencoderLossParts, type AutoencoderStepResult, type PerceptualFeatures, type PerceptualOptions, type ResolvedAutoencoderLossConfig } from './autoencoderStep';
import { mulberry32, shuffleInPlace } from './batching';
import { embedInputs, validationMetrics, type TrainingInputs, type ValidationMetrics, type ValidationSplit } from './training';
import { learningRateOf, resolveLoopConfig, runTrainingLoop, setLearningRate, type LoopConfig, type LoopConfigInput, type LoopStepInfo, type StopReason } from './trainingLoop';
import { LATENT_POSITIVES, type LatentPositives } from './choices';
export { LATENT_POSITIVES, type LatentPositives };

export type AutoencoderMonitor = 'valLoss' | 'precisionAt1' | 'mapAtR' | 'rPrecision' | 'tripletAccuracy';
export const AUTOENCODER_MONITORS: readonly AutoencoderMonitor[] = ['valLoss', 'precisionAt1', 'mapAtR', 'rPrecision', 'tripletAccuracy'];

export interface AutoencoderModelConfig {
  /** 'dense', a conv kind, or 'conv' (the conv kind of the input rank). Default: dense for rank 1, conv otherwise. */
  kind?: AutoencoderKind | 'conv';
  latentDim?: number;
  /** Dense: hidden layer sizes. */
  hidden?: number[];
  /** Conv: filters per block. */
  filters?: number[];
  kernelSize?: number;
  /** Default: false for dense (the "traditional" model), true for conv. */
  batchNorm?: boolean;
  /** Default: from the data (see the module comment). */
  output?: AutoencoderOutput;
  /** Weight initialisers; default the training seed. */
  seed?: number;
}

/** The loss as autoencoderStep.ts takes it, but for the extractor (given in `perceptual`). */
export type AutoencoderTrainingLoss = Omit<AutoencoderLossConfig, 'perceptual'>;

export interface AutoencoderTrainingConfig extends LoopConfigInput {
  autoencoder?: AutoencoderModelConfig;
  loss?: AutoencoderTrainingLoss;
  /** The perceptual loss's extractor (used when loss.weights.perceptual > 0). */
  perceptual?: PerceptualOptions;
  /** Default 'auto'. */
  positives?: LatentPositives;
  /** Options of the augmented views. */
  augment?: AugmentOptions;
  /** Default 64 (at most the training items). */
  batchSize?: number;
  /** Default ⌈training items / batch size⌉. */
  stepsPerEpoch?: number;
  /** Share of the items held out; default 0.1 (0: no validation, no early stopping). */
  validationSplit?: number;
  /** Default 2,000. */
  maxValidation?: number;
  /** Default 'valLoss' (lower is better; the others higher and need labelled held-out items). */
  monitor?: AutoencoderMonitor;
  /** Seeds the split, the batches, the views and the weights; default 1. */
  seed?: number;
}

/** The resolved configuration: plain data (saved in a model's manifest). */
export interface ResolvedAutoencoderTrainingConfig extends LoopConfig {
  autoencoder: Required<Omit<AutoencoderModelConfig, 'kind' | 'hidden' | 'filters' | 'kernelSize'>> & { kind: AutoencoderKind; hidden?: number[]; filters?: number[]; kernelSize?: number };
  loss: Omit<ResolvedAutoencoderLossConfig, 'perceptual'>;
  perceptual: { source: 'random' | 'siamese'; layers: string[] } | null;
  positives: LatentPositives;
  augment: AugmentOptions;
  batchSize: number;
  stepsPerEpoch: number | null;
  validationSplit: number;
  maxValidation: number;
  monitor: AutoencoderMonitor;
  seed: number;
}

export interface AutoencoderValidation {
  items: number;
  /** What the best epoch is judged by (see the module comment). */
  valLoss: number;
  /** Mean squared reconstruction error. */
  reconstruction: number;
  perceptual: number | null;
  /** The latent's retrieval scores on the labelled held-out items (absent without 2 of a class). */
  retrieval?: ValidationMetrics;
}

export interface AutoencoderStepMetrics extends LoopStepInfo {
  loss: number;
  parts: AutoencoderLossParts;
  activeShare: number;
  spread: number;
  collapsed: boolean;
}

export interface AutoencoderEpochMetrics {
  epoch: number;
  /** Means over the epoch's steps (parts unweighted, null when not computed). */
  loss: number;
  parts: AutoencoderLossParts;
  activeShare: number;
  spread: number;
  collapsedSteps: number;
  steps: number;
  learningRate: number;
  samplesPerSecond: number;
  seconds: number;
  validation?: AutoencoderValidation;
  best: boolean;
}

export interface AutoencoderTrainingPlan {
  config: ResolvedAutoencoderTrainingConfig;
  stepsPerEpoch: number;
  totalSteps: number;
  trainItems: number;
  validationItems: number;
  /** Whether the latent loss takes labels and/or augmented views. */
  usesLabels: boolean;
  usesViews: boolean;
}

export interface AutoencoderTrainingCallbacks {
  onStart?(models: Autoencoder, plan: AutoencoderTrainingPlan): void;
  onStep?(metrics: AutoencoderStepMetrics): void;
  onEpoch?(metrics: AutoencoderEpochMetrics): void;
  /** A new best epoch; the models hold its weights during the call (save `models.autoencoder`). */
  onCheckpoint?(models: Autoencoder, metrics: AutoencoderEpochMetrics): void | Promise<void>;
  /** Polled between steps: throw to abandon the run. */
  checkCancelled?(): void;
  /** Polled between steps: true to stop and keep the best weights so far. */
  shouldStop?(): boolean;
  now?(): number;
}

export interface AutoencoderTrainingResult {
  /** The best epoch's weights. The caller disposes them (disposeAutoencoder). */
  models: Autoencoder;
  kind: AutoencoderKind;
  config: ResolvedAutoencoderTrainingConfig;
  history: AutoencoderEpochMetrics[];
  bestEpoch: number;
  best?: AutoencoderValidation;
  stopReason: StopReason;
  split: ValidationSplit;
  seconds: number;
  samplesPerSecond: number;
}

export interface AutoencoderTrainingData {
  inputs: TrainingInputs;
  /** Optional class codes (< 0: unlabelled): latent positives and validation retrieval scores. */
  labels?: Int32Array;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

const product = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
const CONV_BY_RANK: Record<number, AutoencoderKind> = { 2: 'conv1d', 3: 'conv2d', 4: 'conv3d' };

/** Seeded random split of all `count` items: round(fraction · count) (at most maxValidation) held out. Both parts sorted. */
export function randomSplit(count: number, fraction: number, maxValidation: number, seed: number): ValidationSplit {
  const order = shuffleInPlace(Int32Array.from({ length: count }, (_, i) => i), mulberry32(seed ^ 0x5eed));
  const v = Math.min(Math.round(fraction * count), maxValidation, Math.max(0, count - 2));
  return { train: order.slice(v).sort(), validation: order.slice(0, v).sort() };
}

/** True when every input value is in [0, 1] (read in chunks). */
function inUnitRange(inputs: TrainingInputs): boolean {
  const chunk = 512;
  for (let start = 0; start < inputs.count; start += chunk) {
    const values = inputs.rows(Int32Array.from({ length: Math.min(chunk, inputs.count - start) }, (_, i) => start + i));
    for (const v of values) if (!(v >= 0 && v <= 1)) return false;
  }
  return true;
}

/**
 * Defaults filled in and every field checked (an error names the field). `inputShape` decides
 * the kind and the dense sizes; `unitRange` the output (default: sigmoid).
 */
export function resolveAutoencoderTrainingConfig(inputShape: readonly number[], config: AutoencoderTrainingConfig = {}, unitRange = true): ResolvedAutoencoderTrainingConfig {
  const seed = config.seed ?? 1;
  check(Number.isInteger(seed), `seed: ${seed} must be an integer`);
  const loop = resolveLoopConfig(config);
  const a = config.autoencoder ?? {};
  const rank = inputShape.length;
  let kind: AutoencoderKind;
  if (a.kind === undefined) kind = rank === 1 ? 'dense' : CONV_BY_RANK[rank] ?? 'dense';
  else if (a.kind === 'conv') {
    const k = CONV_BY_RANK[rank];
    check(k !== undefined, `autoencoder.kind: a convolutional autoencoder needs sequences, images or volumes; these inputs have shape [${inputShape.join(', ')}] (use dense)`);
    kind = k!;
  } else {
    check(['dense', 'conv1d', 'conv2d', 'conv3d'].includes(a.kind), `autoencoder.kind: unknown '${String(a.kind)}' (expected dense, conv, conv1d, conv2d, conv3d)`);
    kind = a.kind;
    check(kind === 'dense' || CONV_BY_RANK[rank] === kind, `autoencoder.kind: ${kind} does not fit inputs of shape [${inputShape.join(', ')}] (${CONV_BY_RANK[rank] ?? 'dense'} does)`);
  }
  const size = product(inputShape);
  const latentDim = a.latentDim ?? (kind === 'dense' ? Math.min(32, Math.max(2, Math.floor(size / 2))) : 32);
  check(Number.isInteger(latentDim) && latentDim > 0, `autoencoder.latentDim: ${latentDim} must be a positive integer`);
  const model: ResolvedAutoencoderTrainingConfig['autoencoder'] = {
    kind,
    latentDim,
    batchNorm: a.batchNorm ?? kind !== 'dense',
    output: a.output ?? (unitRange ? 'sigmoid' : 'linear'),
    seed: a.seed ?? seed,
    ...(kind === 'dense' ? { hidden: a.hidden ?? [512, 128].filter((h) => h <= 2 * size && h > latentDim) } : {}),
    ...(kind !== 'dense' && a.filters ? { filters: a.filters } : {}),
    ...(kind !== 'dense' && a.kernelSize !== undefined ? { kernelSize: a.kernelSize } : {}),
  };
  check(model.output === 'sigmoid' || model.output === 'linear', `autoencoder.output: unknown '${String(model.output)}' (expected sigmoid, linear)`);
  // The extractor is built later, for the inputs (trainAutoencoder).
  const loss = resolveAutoencoderLossSettings(config.loss);
  const r: ResolvedAutoencoderTrainingConfig = {
    ...loop,
    autoencoder: model,
    loss,
    perceptual: loss.weights.perceptual > 0 ? { source: config.perceptual?.extractor ? 'siamese' : 'random', layers: [] } : null,
    positives: config.positives ?? 'auto',
    augment: { ...config.augment },
    batchSize: config.batchSize ?? 64,
    stepsPerEpoch: config.stepsPerEpoch ?? null,
    validationSplit: config.validationSplit ?? 0.1,
    maxValidation: config.maxValidation ?? 2000,
    monitor: config.monitor ?? 'valLoss',
    seed,
  };
  check(LATENT_POSITIVES.includes(r.positives), `positives: unknown '${String(r.positives)}' (expected ${LATENT_POSITIVES.join(', ')})`);
  check(Number.isInteger(r.batchSize) && r.batchSize >= 2, `batchSize: ${r.batchSize} must be an integer ≥ 2`);
  check(r.stepsPerEpoch === null || (Number.isInteger(r.stepsPerEpoch) && r.stepsPerEpoch > 0), `stepsPerEpoch: ${r.stepsPerEpoch} must be a positive integer`);
  check(r.validationSplit >= 0 && r.validationSplit < 1, `validationSplit: ${r.validationSplit} must be in [0, 1)`);
  check(Number.isInteger(r.maxValidation) && r.maxValidation >= 0, `maxValidation: ${r.maxValidation} must be an integer ≥ 0`);
  check(AUTOENCODER_MONITORS.includes(r.monitor), `monitor: unknown '${String(r.monitor)}' (expected ${AUTOENCODER_MONITORS.join(', ')})`);
  return r;
}

/** Reconstruction MSE and perceptual distance of `indices` in inference mode. */
function validationLosses(models: Autoencoder, inputs: TrainingInputs, indices: Int32Array, perceptual: PerceptualFeatures | null): { reconstruction: number; perceptual: number | null } {
  const chunk = 256;
  let squared = 0;
  let perceptualSum = 0;
  for (let start = 0; start < indices.length; start += chunk) {
    const part = indices.subarray(start, Math.min(indices.length, start + chunk));
    const [sq, pe] = tf.tidy(() => {
      const x = tf.tensor(inputs.rows(part), [part.length, ...inputs.inputShape]);
      const y = models.autoencoder.apply(x, { training: false }) as tf.Tensor;
      const s = tf.sum(tf.squaredDifference(y, x));
      if (!perceptual) return [s, null];
      const maps = (m: tf.Tensor) => {
        const out = perceptual.model.apply(m, { training: false });
        return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
      };
      const a = maps(x);
      const b = maps(y);
      // Per layer a mean over the chunk, weighted by the chunk's size: the mean over all items.
      const perLayer = a.map((t, i) => tf.mean(tf.squaredDifference(t, b[i]!)));
      return [s, tf.mul(tf.div(tf.addN(perLayer), perLayer.length), part.length)];
    });
    squared += sq.dataSync()[0]!;
    sq.dispose();
    if (pe) {
      perceptualSum += pe.dataSync()[0]!;
      pe.dispose();
    }
  }
  return { reconstruction: squared / (indices.length * product(inputs.inputShape)), perceptual: perceptual ? perceptualSum / indices.length : null };
}

/** What a run decides from its data and config before training: the same on every rank of a data-parallel run. */
interface AutoencoderRunPlan {
  c: ResolvedAutoencoderTrainingConfig;
  labels: Int32Array | null;
  split: ValidationSplit;
  validate: boolean;
  retrievalOn: Int32Array | null;
  usesLabels: boolean;
  usesViews: boolean;
  batchSize: number;
  stepsPerEpoch: number;
  totalSteps: number;
}

function autoencoderRunPlan(data: AutoencoderTrainingData, config: AutoencoderTrainingConfig): AutoencoderRunPlan {
  const { inputs } = data;
  const labels = data.labels ?? null;
  if (labels && labels.length !== inputs.count) throw new Error(`labels: ${labels.length} labels for ${inputs.count} items`);
  check(inputs.count >= 2, `inputs: ${inputs.count} item(s); an autoencoder needs at least 2`);
  const c = resolveAutoencoderTrainingConfig(inputs.inputShape, config, config.autoencoder?.output !== undefined || inUnitRange(inputs));

  const split = randomSplit(inputs.count, c.validationSplit, c.maxValidation, c.seed);
  const validate = split.validation.length >= 2;
  const labelledValidation = labels ? split.validation.filter((i) => labels[i]! >= 0) : new Int32Array(0);
  const retrievalOn = labels && labelledValidation.length >= 2 && new Set(labelledValidation.map((i) => labels[i]!)).size < labelledValidation.length ? labelledValidation : null;
  if (c.monitor !== 'valLoss' && validate && !retrievalOn) throw new Error(`monitor: ${c.monitor} needs labelled held-out items (2 or more of a class); monitor valLoss instead`);

  // Labels give positives only through a class with 2 or more training items.
  const classSizes = new Map<number, number>();
  if (labels) for (const i of split.train) if (labels[i]! >= 0) classSizes.set(labels[i]!, (classSizes.get(labels[i]!) ?? 0) + 1);
  const trainLabelled = [...classSizes.values()].reduce((a, b) => a + b, 0);
  const labelsGivePairs = [...classSizes.values()].some((size) => size >= 2);
  const latent = c.loss.weights.latent > 0;
  const usesLabels = latent && c.positives !== 'views' && labelsGivePairs;
  const usesViews = latent && (c.positives === 'views' || (c.positives === 'auto' && (!usesLabels || trainLabelled < split.train.length)));
  if (latent && c.positives === 'labels' && !labelsGivePairs) throw new Error('positives: labels, but no class has 2 training items with its label (use views, or give labels)');

  const batchSize = Math.min(c.batchSize, split.train.length);
  const stepsPerEpoch = c.stepsPerEpoch ?? Math.max(1, Math.ceil(split.train.length / batchSize));
  return { c, labels, split, validate, retrievalOn, usesLabels, usesViews, batchSize, stepsPerEpoch, totalSteps: stepsPerEpoch * c.epochs };
}

/** The items a batch of an autoencoder run holds: the configured size, at most the training items. */
export function autoencoderBatchSize(count: number, inputShape: readonly number[], config: AutoencoderTrainingConfig = {}): number {
  const c = resolveAutoencoderTrainingConfig(inputShape, config);
  return Math.min(c.batchSize, randomSplit(count, c.validationSplit, c.maxValidation, c.seed).train.length);
}

/** The variables a run updates: the decoder's too unless neither reconstruction nor perceptual loss uses it. */
function updatedVariables(models: Autoencoder, c: ResolvedAutoencoderTrainingConfig): tf.Variable[] {
  const w = c.loss.weights;
  return trainableVariables(w.reconstruction > 0 || w.perceptual > 0 ? models.autoencoder : models.encoder);
}

/** What the shared buffers of a data-parallel autoencoder run must hold (builds the model once to count). */
export function autoencoderParallelShape(data: AutoencoderTrainingData, config: AutoencoderTrainingConfig, workers: number): ParallelShape {
  const plan = autoencoderRunPlan(data, config);
  const models = autoencoderFor(data.inputs.inputShape, { ...plan.c.autoencoder } as Parameters<typeof autoencoderFor>[1]);
  try {
    const paramCount = updatedVariables(models, plan.c).reduce((s, v) => s + v.size, 0);
    const { dim } = autoencoderParallelLayout(models.latentDim, plan.c.loss.weights, plan.usesViews);
    return { workers, maxBatch: plan.batchSize, outputDim: dim, paramCount };
  } finally {
    disposeAutoencoder(models);
  }
}

/**
 * One rank's share of a step: its items (strided positions of the batch), their views, and the
 * whole batch's labels in assembled order. Every rank augments the WHOLE batch with its own copy
 * of the seeded view generator, so the ranks' generators stay in step and the views are the ones
 * a single worker would make (a 2-worker run sees the batches and views of a 1-worker run).
 */
function shardStep(group: ParallelGroup, models: Autoencoder, variables: readonly tf.Variable[], optimizer: tf.Optimizer, plan: AutoencoderRunPlan, inputs: TrainingInputs, viewRandom: () => number, indices: Int32Array, stepLoss: AutoencoderLossConfig): AutoencoderStepResult {
  const n = indices.length;
  const { positions } = group.shardOf(n);
  const size = product(inputs.inputShape);
  const shape = [positions.length, ...inputs.inputShape];
  let own: Float32Array;
  let ownViews: Float32Array | undefined;
  if (plan.usesViews) {
    const values = inputs.rows(indices);
    const views = augmentBatch(values, inputs.inputShape, viewRandom, plan.c.augment);
    own = new Float32Array(positions.length * size);
    ownViews = new Float32Array(positions.length * size);
    positions.forEach((p, r) => {
      own.set(values.subarray(p * size, (p + 1) * size), r * size);
      ownViews!.set(views.subarray(p * size, (p + 1) * size), r * size);
    });
  } else own = inputs.rows(Int32Array.from(positions, (p) => indices[p]!));
  const x = tf.tensor(own, shape);
  const views = ownViews ? tf.tensor(ownViews, shape) : undefined;
  const labels = plan.usesLabels ? Int32Array.from(assembledOrder(n, group.workers), (p) => plan.labels![indices[p]!]!) : undefined;
  try {
    return autoencoderShardStep(group, models, variables, optimizer, { n, x, ...(views ? { views } : {}), ...(labels ? { labels } : {}) }, stepLoss);
  } finally {
    x.dispose();
    views?.dispose();
  }
}

/**
 * Trains an autoencoder; resolves with the best epoch's weights in place; throws what `checkCancelled` throws.
 *
 * With `parallel` (rank 0 of a data-parallel group, dataParallel.ts) this call leads the run: it
 * draws each batch and announces it, and every step is shared with the followers
 * (`followAutoencoder` on ranks 1…N−1, each in its own worker); validation, checkpoints and the
 * stop decisions stay here.
 */
export async function trainAutoencoder(data: AutoencoderTrainingData, config: AutoencoderTrainingConfig = {}, callbacks: AutoencoderTrainingCallbacks = {}, parallel?: ParallelGroup): Promise<AutoencoderTrainingResult> {
  const { inputs } = data;
  const plan = autoencoderRunPlan(data, config);
  const { c, labels, split, validate, retrievalOn, usesLabels, usesViews, batchSize, stepsPerEpoch, totalSteps } = plan;
  const now = callbacks.now ?? (() => performance.now() / 1000);
  const started = now();

  const models = autoencoderFor(inputs.inputShape, { ...c.autoencoder } as Parameters<typeof autoencoderFor>[1]);
  const extractor = c.loss.weights.perceptual > 0 ? perceptualFeatures(inputs.inputShape, config.perceptual ?? {}) : null;
  if (c.perceptual && extractor) c.perceptual.layers = extractor.layers;
  const stepLoss: AutoencoderLossConfig = { ...c.loss, perceptual: extractor };
  const optimizer = tf.train.adam(c.learningRate);
  const variables = parallel ? updatedVariables(models, c) : [];
  const random = mulberry32(c.seed ^ 0xba7c4);
  const viewRandom = mulberry32(c.seed ^ 0x5ee5);
  let order = shuffleInPlace(Int32Array.from(split.train), random);
  let cursor = 0;
  const nextBatch = (): Int32Array => {
    const out = new Int32Array(batchSize);
    for (let r = 0; r < batchSize; r++) {
      if (cursor === order.length) {
        order = shuffleInPlace(order, random);
        cursor = 0;
      }
      out[r] = order[cursor++]!;
    }
    return out;
  };
  callbacks.onStart?.(models, { config: c, stepsPerEpoch, totalSteps, trainItems: split.train.length, validationItems: split.validation.length, usesLabels, usesViews });
  const empty = () => ({ loss: 0, reconstruction: 0, latent: 0, perceptual: 0, activeShare: 0, spread: 0, collapsed: 0 });
  let sums = empty();
  const mean = (sum: number, present: boolean, steps: number) => (present ? sum / steps : null);
  try {
    parallel?.syncWeights(variables);
    const outcome = await runTrainingLoop<AutoencoderStepResult, AutoencoderEpochMetrics>(
      {
        model: models.autoencoder,
        optimizer,
        config: c,
        stepsPerEpoch,
        earlyStopping: validate,
        step: () => {
          const indices = nextBatch();
          if (parallel) {
            parallel.announceStep(indices, learningRateOf(optimizer));
            return { result: shardStep(parallel, models, variables, optimizer, plan, inputs, viewRandom, indices, stepLoss), samples: indices.length };
          }
          const values = inputs.rows(indices);
          const shape = [indices.length, ...inputs.inputShape];
          const x = tf.tensor(values, shape);
          const views = usesViews ? tf.tensor(augmentBatch(values, inputs.inputShape, viewRandom, c.augment), shape) : undefined;
          const batchLabels = usesLabels ? Int32Array.from(indices, (i) => labels![i]!) : undefined;
          try {
            const result = autoencoderTrainStep(models, optimizer, { x, ...(views ? { views } : {}), ...(batchLabels ? { labels: batchLabels } : {}) }, stepLoss);
            return { result, samples: indices.length };
          } finally {
            x.dispose();
            views?.dispose();
          }
        },
        afterStep: (r, at) => {
          sums.loss += r.loss;
          sums.reconstruction += r.parts.reconstruction ?? 0;
          sums.latent += r.parts.latent ?? 0;
          sums.perceptual += r.parts.perceptual ?? 0;
          sums.activeShare += r.activeShare;
          sums.spread += r.spread;
          sums.collapsed += r.collapsed ? 1 : 0;
          callbacks.onStep?.({ ...at, loss: r.loss, parts: r.parts, activeShare: r.activeShare, spread: r.spread, collapsed: r.collapsed });
        },
        endEpoch: (e) => {
          let validation: AutoencoderValidation | undefined;
          if (validate) {
            const v = validationLosses(models, inputs, split.validation, extractor);
            const w = c.loss.weights;
            const valLoss = w.reconstruction + w.perceptual > 0 ? w.reconstruction * v.reconstruction + w.perceptual * (v.perceptual ?? 0) : v.reconstruction;
            const retrieval = retrievalOn ? validationMetrics(models.encoder, inputs, labels!, retrievalOn, c.loss, c.seed) : undefined;
            validation = { items: split.validation.length, valLoss, reconstruction: v.reconstruction, perceptual: v.perceptual, ...(retrieval ? { retrieval } : {}) };
          }
          const w = c.loss.weights;
          const metrics: Omit<AutoencoderEpochMetrics, 'best'> = {
            epoch: e.epoch,
            loss: sums.loss / e.steps,
            parts: { reconstruction: mean(sums.reconstruction, w.reconstruction > 0, e.steps), latent: mean(sums.latent, w.latent > 0, e.steps), perceptual: mean(sums.perceptual, w.perceptual > 0, e.steps) },
            activeShare: sums.activeShare / e.steps,
            spread: sums.spread / e.steps,
            collapsedSteps: sums.collapsed,
            steps: e.steps,
            learningRate: e.learningRate,
            samplesPerSecond: e.samplesPerSecond,
            seconds: e.seconds,
            ...(validation ? { validation } : {}),
          };
          sums = empty();
          const score = !validation ? -metrics.loss : c.monitor === 'valLoss' ? -validation.valLoss : validation.retrieval![c.monitor];
          return { score, metrics };
        },
      },
      {
        ...(callbacks.onEpoch ? { onEpoch: callbacks.onEpoch } : {}),
        ...(callbacks.onCheckpoint ? { onCheckpoint: (_model: tf.LayersModel, m: AutoencoderEpochMetrics) => callbacks.onCheckpoint!(models, m) } : {}),
        ...(callbacks.checkCancelled ? { checkCancelled: callbacks.checkCancelled } : {}),
        ...(callbacks.shouldStop ? { shouldStop: callbacks.shouldStop } : {}),
        now,
      },
    );
    parallel?.announceEnd();
    return {
      models,
      kind: c.autoencoder.kind,
      config: c,
      history: outcome.history,
      bestEpoch: outcome.bestEpoch,
      ...(outcome.best?.validation ? { best: outcome.best.validation } : {}),
      stopReason: outcome.stopReason,
      split,
      seconds: now() - started,
      samplesPerSecond: outcome.samplesPerSecond,
    };
  } catch (err) {
    parallel?.abort();
    disposeAutoencoder(models);
    throw err;
  } finally {
    optimizer.dispose();
    extractor?.dispose();
  }
}

/**
 * Ranks 1…N−1 of a data-parallel autoencoder run: the same model, extractor and optimiser as the
 * leader's (the leader's weights are copied in first), then the leader's steps, shard by shard,
 * until it announces the end. `data` and `config` must be the leader's. `onEnd` sees the final
 * weights (before the models are disposed).
 */
export function followAutoencoder(data: AutoencoderTrainingData, config: AutoencoderTrainingConfig, group: ParallelGroup, onEnd?: (variables: readonly tf.Variable[]) => void): { steps: number } {
  const plan = autoencoderRunPlan(data, config);
  const { c } = plan;
  const models = autoencoderFor(data.inputs.inputShape, { ...c.autoencoder } as Parameters<typeof autoencoderFor>[1]);
  const extractor = c.loss.weights.perceptual > 0 ? perceptualFeatures(data.inputs.inputShape, config.perceptual ?? {}) : null;
  const stepLoss: AutoencoderLossConfig = { ...c.loss, perceptual: extractor };
  const optimizer = tf.train.adam(c.learningRate);
  const variables = updatedVariables(models, c);
  // The leader's view generator, drawn from alike (shardStep augments the whole batch).
  const viewRandom = mulberry32(c.seed ^ 0x5ee5);
  try {
    return followLeader(group, variables, (lr) => setLearningRate(optimizer, lr), (indices) => shardStep(group, models, variables, optimizer, plan, data.inputs, viewRandom, indices, stepLoss), onEnd);
  } finally {
    disposeAutoencoder(models);
    optimizer.dispose();
    extractor?.dispose();
  }
}

/** The latent codes of `indices` (default all) in inference mode: what Find Similar and the map use. */
export function latentCodes(models: Autoencoder, inputs: TrainingInputs, indices?: ArrayLike<number>): Float32Array {
  return embedInputs(models.encoder, inputs, indices);
}
