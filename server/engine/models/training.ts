/**
 * The Siamese training loop: inputs + labels + config + callbacks → a trained encoder and its
 * history. Engine-pure (no I/O, no worker code): the `train` task (server/jobs/tasks/train.ts)
 * runs it in a worker and turns the callbacks into progress messages and checkpoint files.
 *
 * - Split: a stratified, seeded validation split (per class, the same share of its items, at most
 *   `maxValidation` in all; a class keeps at least 2 training items so it still gives positives).
 *   Validation items are hidden from the sampler by marking them unlabelled.
 * - Steps: class-balanced P×K batches (batching.ts), one `siameseTrainStep` each (siamese.ts).
 *   An epoch is ⌈training items / (P·K)⌉ steps unless `stepsPerEpoch` says otherwise.
 * - After each epoch: the validation items are embedded (inference mode) and scored — precision@1,
 *   R-precision, MAP@R, triplet accuracy (eval/retrieval.ts) in the training distance. The best
 *   epoch by `monitor` is kept and offered to `onCheckpoint`; `patience` epochs without
 *   improvement stop early.
 * - The epochs, learning-rate schedule, best-epoch checkpoints, early stopping, `shouldStop` (a
 *   graceful stop: the best weights are restored and returned), `checkCancelled` (throws) and
 *   `maxSeconds` are trainingLoop.ts's, shared with the autoencoder's loop.
 * Every tensor a step or an evaluation makes is disposed: `tf.memory().numTensors` stays flat.
 */
import * as tf from '@tensorflow/tfjs';
import { retrievalScores, tripletAccuracy } from '../eval/retrieval';
import { ClassBalancedSampler, mulberry32, shuffleInPlace } from './batching';
import { encoderFor, encoderKindForShape, resolveEncoderConfig, type EncoderConfig, type EncoderKind, type ResolvedEncoderConfig } from './encoders';
import { followLeader, trainableVariables, type ParallelGroup, type ParallelShape } from './dataParallel';
import { resolveSiameseLossConfig, siameseShardStep, siameseTrainStep, type ResolvedSiameseLossConfig, type SiameseLossConfig, type SiameseStepResult } from './siamese';
import { learningRateOf, resolveLoopConfig, runTrainingLoop, setLearningRate, type LearningRateSchedule, type StopReason } from './trainingLoop';

export { learningRateAt, LR_SCHEDULES, type LearningRateSchedule, type StopReason } from './trainingLoop';

/** Training items: `count` items of `inputShape`; `rows` builds the row-major values of some of them. */
export interface TrainingInputs {
  count: number;
  inputShape: number[];
  /** indices.length × prod(inputShape) values, row-major; a new array or a view the caller only reads. */
  rows(indices: ArrayLike<number>): Float32Array;
}

/** Inputs held as one row-major matrix (features, pixels / 255, voxels). */
export function denseInputs(data: Float32Array, inputShape: readonly number[]): TrainingInputs {
  const size = inputShape.reduce((a, b) => a * b, 1);
  const count = data.length / size;
  if (!Number.isInteger(count)) throw new Error(`inputs: ${data.length} values is not a multiple of ${size} (input shape [${inputShape.join(', ')}])`);
  return {
    count,
    inputShape: [...inputShape],
    rows(indices) {
      const out = new Float32Array(indices.length * size);
      for (let r = 0; r < indices.length; r++) {
        const i = indices[r]!;
        if (!(i >= 0 && i < count)) throw new Error(`index ${i} out of range (${count} items)`);
        out.set(data.subarray(i * size, (i + 1) * size), r * size);
      }
      return out;
    },
  };
}

export type MonitoredMetric = 'mapAtR' | 'precisionAt1' | 'rPrecision' | 'tripletAccuracy';

export const MONITORED_METRICS: readonly MonitoredMetric[] = ['mapAtR', 'precisionAt1', 'rPrecision', 'tripletAccuracy'];

export interface TrainingConfig {
  encoder?: EncoderConfig;
  loss?: SiameseLossConfig;
  /** Default 20. */
  epochs?: number;
  /** Default ⌈training items / batch size⌉. */
  stepsPerEpoch?: number;
  /** P: classes per batch; default 10. */
  classesPerBatch?: number;
  /** K: items per class; default 8. */
  perClass?: number;
  /** Adam's initial learning rate; default 1e-3. */
  learningRate?: number;
  /** Default 'cosine'. */
  schedule?: LearningRateSchedule;
  /** 'cosine': the final rate; default learningRate / 100. */
  minLearningRate?: number;
  /** 'step': epochs between decays (default 5) and the factor (default 0.5). */
  decayEvery?: number;
  decayFactor?: number;
  /** Epochs of linear warm-up from learningRate / 10; default 0. */
  warmupEpochs?: number;
  /** Share of the labelled items held out for validation; default 0.1 (0: no validation, no early stop). */
  validationSplit?: number;
  /** At most this many validation items (the scores are O(n²)); default 2,000. */
  maxValidation?: number;
  /** Early stopping: epochs without a better `monitor` before stopping; default 5 (0: never). */
  patience?: number;
  /** Default 'mapAtR'. */
  monitor?: MonitoredMetric;
  /** Stop (gracefully) once this many seconds have passed; default none. */
  maxSeconds?: number;
  /** Seeds the split, the sampler and (unless encoder.seed is given) the weights; default 1. */
  seed?: number;
}

export interface ResolvedTrainingConfig {
  encoder: ResolvedEncoderConfig;
  loss: ResolvedSiameseLossConfig;
  epochs: number;
  stepsPerEpoch: number | null;
  classesPerBatch: number;
  perClass: number;
  learningRate: number;
  schedule: LearningRateSchedule;
  minLearningRate: number;
  decayEvery: number;
  decayFactor: number;
  warmupEpochs: number;
  validationSplit: number;
  maxValidation: number;
  patience: number;
  monitor: MonitoredMetric;
  maxSeconds: number | null;
  seed: number;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

const isPositiveInt = (x: number) => Number.isInteger(x) && x > 0;

/** Defaults filled in and every field checked (an error names the field). */
export function resolveTrainingConfig(kind: EncoderKind, config: TrainingConfig = {}): ResolvedTrainingConfig {
  const seed = config.seed ?? 1;
  check(Number.isInteger(seed), `seed: ${seed} must be an integer`);
  const loop = resolveLoopConfig(config);
  const r: ResolvedTrainingConfig = {
    encoder: resolveEncoderConfig(kind, { seed, ...config.encoder }),
    loss: resolveSiameseLossConfig(config.loss),
    ...loop,
    stepsPerEpoch: config.stepsPerEpoch ?? null,
    classesPerBatch: config.classesPerBatch ?? 10,
    perClass: config.perClass ?? 8,
    validationSplit: config.validationSplit ?? 0.1,
    maxValidation: config.maxValidation ?? 2000,
    monitor: config.monitor ?? 'mapAtR',
    seed,
  };
  check(r.stepsPerEpoch === null || isPositiveInt(r.stepsPerEpoch), `stepsPerEpoch: ${r.stepsPerEpoch} must be a positive integer`);
  check(Number.isInteger(r.classesPerBatch) && r.classesPerBatch >= 2, `classesPerBatch: ${r.classesPerBatch} must be an integer ≥ 2`);
  check(Number.isInteger(r.perClass) && r.perClass >= 2, `perClass: ${r.perClass} must be an integer ≥ 2`);
  check(r.validationSplit >= 0 && r.validationSplit < 1, `validationSplit: ${r.validationSplit} must be in [0, 1)`);
  check(Number.isInteger(r.maxValidation) && r.maxValidation >= 0, `maxValidation: ${r.maxValidation} must be an integer ≥ 0`);
  check(MONITORED_METRICS.includes(r.monitor), `monitor: unknown '${String(r.monitor)}' (expected ${MONITORED_METRICS.join(', ')})`);
  return r;
}

export interface ValidationSplit {
  train: Int32Array;
  validation: Int32Array;
}

/**
 * Stratified, seeded split of the labelled items (codes ≥ 0): each class gives round(share × its
 * size) items to validation, share = min(fraction, maxValidation / labelled), but never so many
 * that fewer than 2 stay for training. Unlabelled items are in neither part. Both parts sorted.
 */
export function stratifiedSplit(labels: ArrayLike<number>, fraction: number, maxValidation: number, seed: number): ValidationSplit {
  const byClass = new Map<number, number[]>();
  let labelled = 0;
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (c < 0) continue;
    labelled++;
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(i);
  }
  const share = labelled > 0 ? Math.min(fraction, maxValidation / labelled) : 0;
  const random = mulberry32(seed ^ 0x5eed);
  const train: number[] = [];
  const validation: number[] = [];
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = shuffleInPlace(byClass.get(c)!.slice(), random);
    const v = Math.max(0, Math.min(Math.round(share * members.length), members.length - 2));
    validation.push(...members.slice(0, v));
    train.push(...members.slice(v));
  }
  return { train: Int32Array.from(train).sort(), validation: Int32Array.from(validation).sort() };
}

export interface StepMetrics {
  /** 1-based epoch and step within it; `step` is the 1-based global step. */
  epoch: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  step: number;
  totalSteps: number;
  loss: number;
  /** Share of mined terms with a non-zero loss. */
  activeShare: number;
  /** Mean distance between the batch's unit embeddings (0 = collapsed). */
  spread: number;
  collapsed: boolean;
  learningRate: number;
  /** Training samples per second over the epoch so far (steps only, validation excluded). */
  samplesPerSecond: number;
}

export interface ValidationMetrics {
  items: number;
  precisionAt1: number;
  rPrecision: number;
  mapAtR: number;
  tripletAccuracy: number;
}

export interface EpochMetrics {
  epoch: number;
  /** Means over the epoch's steps. */
  loss: number;
  activeShare: number;
  spread: number;
  collapsedSteps: number;
  steps: number;
  learningRate: number;
  samplesPerSecond: number;
  seconds: number;
  /** Absent without a validation split. */
  validation?: ValidationMetrics;
  /** This epoch is the best so far (by the monitored metric; without validation, by the loss). */
  best: boolean;
}

export interface TrainingPlan {
  config: ResolvedTrainingConfig;
  stepsPerEpoch: number;
  totalSteps: number;
  trainItems: number;
  validationItems: number;
}

export interface TrainingCallbacks {
  /** Before the first step: the new encoder and what the run will do. */
  onStart?(encoder: tf.LayersModel, plan: TrainingPlan): void;
  onStep?(metrics: StepMetrics): void;
  onEpoch?(metrics: EpochMetrics): void;
  /** A new best epoch; the encoder holds its weights during the call (e.g. save it). */
  onCheckpoint?(encoder: tf.LayersModel, metrics: EpochMetrics): void | Promise<void>;
  /** Polled between steps: throw to abandon the run (cancellation). */
  checkCancelled?(): void;
  /** Polled between steps: true to stop and keep the best weights so far. */
  shouldStop?(): boolean;
  /** Seconds clock; default performance.now() / 1000 (tests pass their own). */
  now?(): number;
}

export interface TrainingResult {
  /** The encoder with the best epoch's weights (or the last, without validation). */
  encoder: tf.LayersModel;
  encoderKind: EncoderKind;
  config: ResolvedTrainingConfig;
  history: EpochMetrics[];
  /** 1-based; 0 when no epoch finished. */
  bestEpoch: number;
  best?: ValidationMetrics;
  stopReason: StopReason;
  split: ValidationSplit;
  seconds: number;
  samplesPerSecond: number;
}

export interface TrainingData {
  inputs: TrainingInputs;
  /** One integer class code per item (< 0: unlabelled, never trained or scored). */
  labels: Int32Array;
}

/** Embeddings of `indices` (default all) in inference mode, in chunks; n × dim row-major. */
export function embedInputs(encoder: tf.LayersModel, inputs: TrainingInputs, indices?: ArrayLike<number>, batchSize = 256): Float32Array {
  const n = indices ? indices.length : inputs.count;
  const outShape = encoder.outputs[0]!.shape;
  const dim = outShape[outShape.length - 1] as number;
  const out = new Float32Array(n * dim);
  const chunk = new Int32Array(batchSize);
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    for (let r = 0; r < m; r++) chunk[r] = indices ? indices[start + r]! : start + r;
    const values = inputs.rows(chunk.subarray(0, m));
    const y = tf.tidy(() => encoder.apply(tf.tensor(values, [m, ...inputs.inputShape]), { training: false }) as tf.Tensor);
    out.set(y.dataSync(), start * dim);
    y.dispose();
  }
  return out;
}

/** Retrieval scores of the encoder on `indices` (their codes from `labels`), in the training distance. */
export function validationMetrics(encoder: tf.LayersModel, inputs: TrainingInputs, labels: ArrayLike<number>, indices: Int32Array, loss: Pick<ResolvedSiameseLossConfig, 'distance' | 'euclideanWeight'>, seed = 1): ValidationMetrics {
  const e = embedInputs(encoder, inputs, indices);
  const dim = e.length / Math.max(1, indices.length);
  const codes = Int32Array.from(indices, (i) => labels[i]!);
  const distance = { distance: loss.distance, euclideanWeight: loss.euclideanWeight };
  const r = retrievalScores(e, dim, codes, { ...distance, ks: [1] });
  let triplets = 0;
  try {
    triplets = tripletAccuracy(e, dim, codes, { ...distance, triplets: 10_000, seed });
  } catch {
    // No class with 2 validation items beside another class: no triplet to score.
  }
  return { items: indices.length, precisionAt1: r.precisionAt1, rPrecision: r.rPrecision, mapAtR: r.mapAtR, tripletAccuracy: triplets };
}

/**
 * Trains a Siamese encoder (encoders.ts, kind from the input rank) on labelled inputs. Resolves
 * with the best weights in place; throws what `checkCancelled` throws.
 *
 * With `parallel` (rank 0 of a data-parallel group, dataParallel.ts) this call leads the run:
 * it samples each batch and announces it, and every step is shared with the followers
 * (`followSiamese` on ranks 1…N−1, each in its own worker); validation, checkpoints and the
 * stop decisions stay here.
 */
export async function trainSiamese(data: TrainingData, config: TrainingConfig = {}, callbacks: TrainingCallbacks = {}, parallel?: ParallelGroup): Promise<TrainingResult> {
  const { inputs, labels } = data;
  if (labels.length !== inputs.count) throw new Error(`labels: ${labels.length} labels for ${inputs.count} items`);
  const kind = encoderKindForShape(inputs.inputShape);
  const c = resolveTrainingConfig(kind, config);
  const now = callbacks.now ?? (() => performance.now() / 1000);
  const started = now();

  const split = c.validationSplit > 0 ? stratifiedSplit(labels, c.validationSplit, c.maxValidation, c.seed) : stratifiedSplit(labels, 0, 0, c.seed);
  const trainLabels = Int32Array.from(labels);
  for (const i of split.validation) trainLabels[i] = -1;
  const sampler = new ClassBalancedSampler(trainLabels, { p: c.classesPerBatch, k: c.perClass, seed: c.seed });
  const stepsPerEpoch = c.stepsPerEpoch ?? Math.max(1, Math.ceil(split.train.length / sampler.batchSize));
  const totalSteps = stepsPerEpoch * c.epochs;
  const validate = split.validation.length >= 2;

  const encoder = encoderFor(kind, inputs.inputShape, c.encoder);
  const optimizer = tf.train.adam(c.learningRate);
  const variables = parallel ? trainableVariables(encoder) : [];
  callbacks.onStart?.(encoder, { config: c, stepsPerEpoch, totalSteps, trainItems: split.train.length, validationItems: split.validation.length });
  let sums = { loss: 0, activeShare: 0, spread: 0, collapsed: 0 };
  try {
    parallel?.syncWeights(variables);
    const outcome = await runTrainingLoop<SiameseStepResult, EpochMetrics>(
      {
        model: encoder,
        optimizer,
        config: c,
        stepsPerEpoch,
        earlyStopping: validate,
        step: () => {
          const indices = sampler.next();
          if (parallel) {
            parallel.announceStep(indices, learningRateOf(optimizer));
            const batch = { indices, labels: Int32Array.from(indices, (i) => trainLabels[i]!), inputShape: inputs.inputShape, rows: (ix: ArrayLike<number>) => inputs.rows(ix) };
            return { result: siameseShardStep(parallel, encoder, variables, optimizer, batch, c.loss), samples: indices.length };
          }
          const x = tf.tensor(inputs.rows(indices), [indices.length, ...inputs.inputShape]);
          const batchLabels = Int32Array.from(indices, (i) => trainLabels[i]!);
          try {
            return { result: siameseTrainStep(encoder, optimizer, { x, labels: batchLabels }, c.loss), samples: indices.length };
          } finally {
            x.dispose();
          }
        },
        afterStep: (r, at) => {
          sums.loss += r.loss;
          sums.activeShare += r.activeShare;
          sums.spread += r.spread;
          sums.collapsed += r.collapsed ? 1 : 0;
          callbacks.onStep?.({ ...at, loss: r.loss, activeShare: r.activeShare, spread: r.spread, collapsed: r.collapsed });
        },
        endEpoch: (e) => {
          const validation = validate ? validationMetrics(encoder, inputs, labels, split.validation, c.loss, c.seed) : undefined;
          const meanLoss = sums.loss / e.steps;
          const metrics: Omit<EpochMetrics, 'best'> = {
            epoch: e.epoch,
            loss: meanLoss,
            activeShare: sums.activeShare / e.steps,
            spread: sums.spread / e.steps,
            collapsedSteps: sums.collapsed,
            steps: e.steps,
            learningRate: e.learningRate,
            samplesPerSecond: e.samplesPerSecond,
            seconds: e.seconds,
            ...(validation ? { validation } : {}),
          };
          sums = { loss: 0, activeShare: 0, spread: 0, collapsed: 0 };
          // Higher is better for every monitored metric; without validation, a lower loss is better.
          return { score: validation ? validation[c.monitor] : -meanLoss, metrics };
        },
      },
      { ...callbacks, now },
    );
    parallel?.announceEnd();
    return {
      encoder,
      encoderKind: kind,
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
    encoder.dispose();
    throw err;
  } finally {
    optimizer.dispose();
  }
}

/**
 * Ranks 1…N−1 of a data-parallel Siamese run: the same encoder and optimiser as the leader's
 * (the leader's weights are copied in first), then the leader's steps, shard by shard, until it
 * announces the end. `data` and `config` must be the leader's. `onEnd` sees the final weights
 * (before the encoder is disposed).
 */
export function followSiamese(data: TrainingData, config: TrainingConfig, group: ParallelGroup, onEnd?: (variables: readonly tf.Variable[]) => void): { steps: number } {
  const { inputs, labels } = data;
  const c = resolveTrainingConfig(encoderKindForShape(inputs.inputShape), config);
  const encoder = encoderFor(encoderKindForShape(inputs.inputShape), inputs.inputShape, c.encoder);
  const optimizer = tf.train.adam(c.learningRate);
  const variables = trainableVariables(encoder);
  try {
    return followLeader(group, variables, (lr) => setLearningRate(optimizer, lr), (indices) => {
      const batch = { indices, labels: Int32Array.from(indices, (i) => labels[i]!), inputShape: inputs.inputShape, rows: (ix: ArrayLike<number>) => inputs.rows(ix) };
      siameseShardStep(group, encoder, variables, optimizer, batch, c.loss);
    }, onEnd);
  } finally {
    encoder.dispose();
    optimizer.dispose();
  }
}

/** What the shared buffers of a data-parallel Siamese run must hold (builds the encoder once to count). */
export function siameseParallelShape(inputShape: readonly number[], config: TrainingConfig, workers: number): ParallelShape {
  const kind = encoderKindForShape(inputShape);
  const c = resolveTrainingConfig(kind, config);
  const encoder = encoderFor(kind, inputShape, c.encoder);
  try {
    const outShape = encoder.outputs[0]!.shape;
    const paramCount = trainableVariables(encoder).reduce((s, v) => s + v.size, 0);
    return { workers, maxBatch: c.classesPerBatch * c.perClass, outputDim: outShape[outShape.length - 1] as number, paramCount };
  } finally {
    encoder.dispose();
  }
}
