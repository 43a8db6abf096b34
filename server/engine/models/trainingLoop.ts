/**
 * The epoch/step machinery every trainer shares (the Siamese loop in training.ts, the autoencoder
 * loop in autoencoderTraining.ts): what differs between them is one optimisation step and how an
 * epoch is scored, which they pass in; the rest lives here once.
 *
 * - Learning rate: 'constant', 'cosine' (from `learningRate` down to `minLearningRate` over all
 *   epochs' steps, or over the time budget when that runs out first) or 'step' (× `decayFactor`
 *   every `decayEvery` epochs); an optional linear warm-up. Set on the optimizer before each step.
 * - Between steps: `checkCancelled` (throws: the caller abandons the run), `shouldStop` (a graceful
 *   stop) and the time limit `maxSeconds` (graceful too). A stop inside an epoch still scores the
 *   steps done in it; a stop before its first step ends the run at the previous epoch.
 * - After each epoch: `endEpoch` scores it (higher is better); the best epoch's weights are copied
 *   off the backend as typed arrays (no tensors held), offered to `onCheckpoint`, and restored into
 *   the model when the run ends; `patience` epochs without a better score stop early (only when
 *   the trainer has validation data to judge by).
 */
import * as tf from '@tensorflow/tfjs';
import { LR_SCHEDULES, type LearningRateSchedule } from './choices';
export { LR_SCHEDULES, type LearningRateSchedule };

export type StopReason = 'epochs' | 'early-stopping' | 'stopped' | 'time-limit';

/** What the loop and the learning-rate schedule read of a trainer's resolved configuration. */
export interface LoopConfig {
  epochs: number;
  learningRate: number;
  schedule: LearningRateSchedule;
  minLearningRate: number;
  decayEvery: number;
  decayFactor: number;
  warmupEpochs: number;
  patience: number;
  maxSeconds: number | null;
}

/** The loop's options as a trainer's config takes them (all optional). */
export type LoopConfigInput = Partial<Omit<LoopConfig, 'maxSeconds'>> & { maxSeconds?: number };

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

const isPositiveInt = (x: number) => Number.isInteger(x) && x > 0;

/** Defaults (20 epochs, Adam 1e-3 on a cosine schedule to 1/100 of it, patience 5) and checks naming the field. */
export function resolveLoopConfig(config: LoopConfigInput = {}, defaults: Partial<LoopConfig> = {}): LoopConfig {
  const learningRate = config.learningRate ?? defaults.learningRate ?? 1e-3;
  const r: LoopConfig = {
    epochs: config.epochs ?? defaults.epochs ?? 20,
    learningRate,
    schedule: config.schedule ?? defaults.schedule ?? 'cosine',
    minLearningRate: config.minLearningRate ?? learningRate / 100,
    decayEvery: config.decayEvery ?? 5,
    decayFactor: config.decayFactor ?? 0.5,
    warmupEpochs: config.warmupEpochs ?? 0,
    patience: config.patience ?? defaults.patience ?? 5,
    maxSeconds: config.maxSeconds ?? null,
  };
  check(isPositiveInt(r.epochs), `epochs: ${r.epochs} must be a positive integer`);
  check(r.learningRate > 0 && Number.isFinite(r.learningRate), `learningRate: ${r.learningRate} must be a positive number`);
  check(LR_SCHEDULES.includes(r.schedule), `schedule: unknown '${String(r.schedule)}' (expected ${LR_SCHEDULES.join(', ')})`);
  check(r.minLearningRate >= 0 && r.minLearningRate <= r.learningRate, `minLearningRate: ${r.minLearningRate} must be in [0, learningRate]`);
  check(isPositiveInt(r.decayEvery), `decayEvery: ${r.decayEvery} must be a positive integer`);
  check(r.decayFactor > 0 && r.decayFactor <= 1, `decayFactor: ${r.decayFactor} must be in (0, 1]`);
  check(Number.isInteger(r.warmupEpochs) && r.warmupEpochs >= 0, `warmupEpochs: ${r.warmupEpochs} must be an integer ≥ 0`);
  check(Number.isInteger(r.patience) && r.patience >= 0, `patience: ${r.patience} must be an integer ≥ 0`);
  check(r.maxSeconds === null || r.maxSeconds > 0, `maxSeconds: ${r.maxSeconds} must be positive`);
  return r;
}

/**
 * The learning rate at a global step (0-based) for the schedule. 'cosine' follows the run's
 * progress: step / total steps, or — with a time limit — elapsed / maxSeconds when that is
 * further along, so a run cut short by its budget still ends at the low rate.
 */
export function learningRateAt(config: Pick<LoopConfig, 'epochs' | 'learningRate' | 'schedule' | 'minLearningRate' | 'decayEvery' | 'decayFactor' | 'warmupEpochs' | 'maxSeconds'>, step: number, stepsPerEpoch: number, elapsedSeconds = 0): number {
  const epoch = Math.floor(step / stepsPerEpoch);
  const total = config.epochs * stepsPerEpoch;
  let lr: number;
  switch (config.schedule) {
    case 'constant':
      lr = config.learningRate;
      break;
    case 'step':
      lr = config.learningRate * config.decayFactor ** Math.floor(epoch / config.decayEvery);
      break;
    case 'cosine': {
      const byTime = config.maxSeconds !== null ? elapsedSeconds / config.maxSeconds : 0;
      const t = Math.min(1, Math.max(total > 1 ? step / (total - 1) : 1, byTime));
      lr = config.minLearningRate + 0.5 * (config.learningRate - config.minLearningRate) * (1 + Math.cos(Math.PI * t));
      break;
    }
  }
  const warmup = config.warmupEpochs * stepsPerEpoch;
  if (step < warmup) lr *= 0.1 + (0.9 * step) / warmup;
  return lr;
}

export type WeightCopy = { values: Float32Array; shape: number[] }[];

export function copyWeights(model: tf.LayersModel): WeightCopy {
  return model.getWeights().map((w) => ({ values: w.dataSync().slice() as Float32Array, shape: w.shape }));
}

export function restoreWeights(model: tf.LayersModel, copy: WeightCopy): void {
  const tensors = copy.map((w) => tf.tensor(w.values, w.shape));
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/** tfjs keeps Adam's rate in a field its typings mark protected; the schedule sets it per step. */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

export function learningRateOf(optimizer: tf.Optimizer): number {
  return (optimizer as unknown as { learningRate: number }).learningRate;
}

/** Where the loop is, after a step. `step` is the 1-based global step. */
export interface LoopStepInfo {
  epoch: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  step: number;
  totalSteps: number;
  learningRate: number;
  /** Training samples per second over the epoch so far (steps only). */
  samplesPerSecond: number;
}

/** An epoch's steps are done: what the loop measured of it. */
export interface LoopEpochInfo {
  epoch: number;
  /** Steps run in this epoch (fewer than stepsPerEpoch after a stop). */
  steps: number;
  learningRate: number;
  samplesPerSecond: number;
  /** Wall time of the epoch so far (steps; the trainer's validation comes after). */
  seconds: number;
}

export interface LoopCallbacks<E> {
  onEpoch?(metrics: E): void;
  /** A new best epoch; the model holds its weights during the call (e.g. save it). */
  onCheckpoint?(model: tf.LayersModel, metrics: E): void | Promise<void>;
  /** Polled between steps: throw to abandon the run (cancellation). */
  checkCancelled?(): void;
  /** Polled between steps: true to stop and keep the best weights so far. */
  shouldStop?(): boolean;
  /** Seconds clock; default performance.now() / 1000. */
  now?(): number;
}

export interface TrainingLoop<S, E extends { epoch: number; best: boolean }> {
  /** The model whose weights are checkpointed and restored (it holds every trained weight). */
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  config: LoopConfig;
  stepsPerEpoch: number;
  /** Early stopping needs validation scores; without them the loop runs every epoch. */
  earlyStopping: boolean;
  /** One optimisation step at the rate already set: its result and how many samples it used. */
  step(info: { epoch: number; stepInEpoch: number }): { result: S; samples: number };
  afterStep?(result: S, info: LoopStepInfo): void;
  /** Scores the epoch (higher is better) and gives its metrics but for `best`, which the loop adds. */
  endEpoch(info: LoopEpochInfo): { score: number; metrics: Omit<E, 'best'> };
}

export interface LoopOutcome<E> {
  history: E[];
  /** 1-based; 0 when no epoch finished. */
  bestEpoch: number;
  best: E | undefined;
  stopReason: StopReason;
  /** Over the steps only (validation excluded). */
  samplesPerSecond: number;
}

/**
 * Runs the epochs. Leaves the best epoch's weights in `loop.model` (the last epoch's, if none
 * was scored); throws what `checkCancelled` or a step throws (the caller disposes its model).
 */
export async function runTrainingLoop<S, E extends { epoch: number; best: boolean }>(loop: TrainingLoop<S, E>, callbacks: LoopCallbacks<E> = {}): Promise<LoopOutcome<E>> {
  const c = loop.config;
  const { stepsPerEpoch, optimizer, model } = loop;
  const now = callbacks.now ?? (() => performance.now() / 1000);
  const started = now();
  const totalSteps = stepsPerEpoch * c.epochs;
  const history: E[] = [];
  let best: { score: number; metrics: E; weights: WeightCopy } | null = null;
  let stopReason: StopReason = 'epochs';
  let samples = 0;
  let stepSeconds = 0;
  let step = 0;
  epochs: for (let epoch = 1; epoch <= c.epochs; epoch++) {
    const epochStart = now();
    let epochSamples = 0;
    let epochStepSeconds = 0;
    let steps = 0;
    let lr = c.learningRate;
    for (let s = 1; s <= stepsPerEpoch; s++) {
      callbacks.checkCancelled?.();
      if (callbacks.shouldStop?.()) {
        stopReason = 'stopped';
        if (steps === 0) break epochs;
        break;
      }
      if (c.maxSeconds !== null && now() - started >= c.maxSeconds) {
        stopReason = 'time-limit';
        if (steps === 0) break epochs;
        break;
      }
      lr = learningRateAt(c, step, stepsPerEpoch, now() - started);
      setLearningRate(optimizer, lr);
      const t0 = now();
      const { result, samples: n } = loop.step({ epoch, stepInEpoch: s });
      const dt = now() - t0;
      step++;
      steps++;
      epochStepSeconds += dt;
      epochSamples += n;
      loop.afterStep?.(result, { epoch, stepInEpoch: s, stepsPerEpoch, step, totalSteps, learningRate: lr, samplesPerSecond: epochStepSeconds > 0 ? epochSamples / epochStepSeconds : 0 });
    }
    samples += epochSamples;
    stepSeconds += epochStepSeconds;
    const { score, metrics: partial } = loop.endEpoch({ epoch, steps, learningRate: lr, samplesPerSecond: epochStepSeconds > 0 ? epochSamples / epochStepSeconds : 0, seconds: now() - epochStart });
    const isBest = best === null || score > best.score;
    const metrics = { ...partial, best: isBest } as E;
    history.push(metrics);
    if (isBest) best = { score, metrics, weights: copyWeights(model) };
    callbacks.onEpoch?.(metrics);
    if (isBest) await callbacks.onCheckpoint?.(model, metrics);
    if (stopReason !== 'epochs') break;
    if (loop.earlyStopping && c.patience > 0 && best && epoch - best.metrics.epoch >= c.patience) {
      stopReason = 'early-stopping';
      break;
    }
  }
  if (best) restoreWeights(model, best.weights);
  return { history, bestEpoch: best?.metrics.epoch ?? 0, best: best?.metrics, stopReason, samplesPerSecond: stepSeconds > 0 ? samples / stepSeconds : 0 };
}
