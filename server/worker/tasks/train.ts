/**
 * Task `train`: trains a Siamese encoder (engine/models/training.ts) or, with `model:
 * 'autoencoder'`, an autoencoder (tasks/trainAutoencoder.ts) in this worker and saves it into
 * `out` (engine/models/modelStore.ts) — at each new best epoch (a checkpoint that survives a
 * cancelled or crashed run) and at the end with the whole history.
 *
 * Payload, reports and result: trainTaskTypes.ts.
 *
 * Progress: every report carries `data`, a TrainingMetricsReport — the fields of the
 * `similarityLab/trainingMetrics` notification ({ modelId, epoch, step, loss, metrics,
 * attention?, run? }) plus `event`. Step reports are paced (`reportEverySeconds`); epoch reports
 * (validation scores, attention weights) are all sent. The first report carries `run`.
 * Cancellation is checked between steps (the run is abandoned; its last checkpoint stays on
 * disk). `stopFlag` set non-zero asks for a graceful stop: after the current step the epoch in
 * progress is scored, the best epoch's weights are restored and saved, and the task resolves.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../engine/models/backend';
import { attentionWeights } from '../../engine/models/attention';
import { saveModel, type ModelHistorySummary } from '../../engine/models/modelStore';
import { oneHotInputs } from '../../engine/models/oneHot';
import { resolveSiameseLossConfig } from '../../engine/models/siamese';
import { createParallelBuffers, ParallelGroup, type ParallelBuffers } from '../../engine/models/dataParallel';
import { denseInputs, followSiamese, siameseParallelShape, trainSiamese, type EpochMetrics, type StepMetrics, type TrainingConfig, type TrainingInputs, type TrainingResult } from '../../engine/models/training';
import { symbolsAt } from '../packedSymbols';
import { CancelledError } from '../errors';
import type { TaskContext } from '../taskContext';
import { historySummary, RunReporter, stopRequested } from './runReporter';
import { autoencoderData, followAutoencoderTask, trainAutoencoderTask } from './trainAutoencoder';
import { autoencoderParallelShape } from '../../engine/models/autoencoderTraining';
import type { TrainFollowerPayload, TrainInputsPayload, TrainPreparePayload, TrainTaskPayload, TrainTaskResult } from './trainTaskTypes';

/** The engine's view of prepared inputs (one-hot rows are built per batch). */
export function inputsOf(p: TrainInputsPayload): TrainingInputs {
  if (p.kind === 'dense') return denseInputs(p.data, p.inputShape);
  const count = p.packed.offsets.length - 1;
  return oneHotInputs(count, (i) => symbolsAt(p.packed, i) as Uint8Array, p.length);
}

/** A Siamese run's per-epoch entries: the loss and the validation scores. */
function siameseEpoch(e: TrainingResult['history'][number]): ModelHistorySummary['perEpoch'][number] {
  return { epoch: e.epoch, loss: e.loss, ...(e.validation ? { precisionAt1: e.validation.precisionAt1, mapAtR: e.validation.mapAtR, tripletAccuracy: e.validation.tripletAccuracy } : {}) };
}

function epochMetrics(e: EpochMetrics): Record<string, number> {
  const v = e.validation;
  return {
    loss: e.loss,
    activeTriplets: e.activeShare,
    embeddingStd: e.spread,
    learningRate: e.learningRate,
    samplesPerSecond: e.samplesPerSecond,
    collapsedSteps: e.collapsedSteps,
    ...(v ? { precisionAt1: v.precisionAt1, mapAtR: v.mapAtR, rPrecision: v.rPrecision, tripletAccuracy: v.tripletAccuracy, validationItems: v.items } : {}),
  };
}

export async function trainTask(p: TrainTaskPayload, ctx: TaskContext): Promise<TrainTaskResult> {
  const group = p.parallel ? new ParallelGroup(p.parallel.buffers, 0, { checkCancelled: () => ctx.throwIfCancelled() }) : undefined;
  try {
    if (p.model === 'autoencoder') {
      const choice = await initBackend(p.backend, (msg) => console.error(msg));
      return await trainAutoencoderTask(p, inputsOf(p.inputs), ctx, choice.backend, group);
    }
    return await trainSiameseTask(p, ctx, group);
  } catch (err) {
    // The followers wait for this rank at a barrier: whatever failed here, they stop too.
    group?.abort();
    throw err;
  }
}

async function trainSiameseTask(p: TrainTaskPayload & { model?: 'siamese' }, ctx: TaskContext, group: ParallelGroup | undefined): Promise<TrainTaskResult> {
  const choice = await initBackend(p.backend, (msg) => console.error(msg));
  const inputs = inputsOf(p.inputs);
  const modelId = p.manifest.modelId;
  const epochs = p.config.epochs ?? 20;
  const workers = group?.workers ?? 1;
  const reporter = new RunReporter(ctx, () => ({ modelId, kind: 'siamese', backend: choice.backend, workers, dataset: p.dataset, epochs, config: runConfig(p.config) }), p.reportEverySeconds ?? 0.25);
  const baseManifest = (r: Pick<TrainingResult, 'history' | 'bestEpoch' | 'stopReason' | 'seconds' | 'samplesPerSecond' | 'config'>, metrics: Record<string, number>, encoder: tf.LayersModel) => {
    const outShape = encoder.outputs[0]!.shape;
    return {
      ...p.manifest,
      config: r.config,
      metrics,
      history: historySummary(r, siameseEpoch),
      backend: choice.backend,
      embeddingDim: outShape[outShape.length - 1] as number,
      distance: r.config.loss.distance,
      euclideanWeight: r.config.loss.euclideanWeight,
    };
  };
  const history: EpochMetrics[] = [];
  // Set by onStart: the encoder (for attention weights) and the resolved configuration.
  let currentEncoder: tf.LayersModel | null = null;
  let resolved: TrainingResult['config'] | null = null;
  const started = performance.now() / 1000;
  const result = await trainSiamese(
    { inputs, labels: p.labels },
    p.config,
    {
      checkCancelled: () => ctx.throwIfCancelled(),
      shouldStop: stopRequested(p.stopFlag),
      onStep: (s: StepMetrics) => {
        if (!reporter.stepDue(s.step, s.totalSteps)) return;
        const metrics = { activeTriplets: s.activeShare, embeddingStd: s.spread, learningRate: s.learningRate, samplesPerSecond: s.samplesPerSecond, collapsed: s.collapsed ? 1 : 0 };
        reporter.report({ epoch: s.epoch - 1, step: s.step, loss: s.loss, metrics, event: 'step' }, `epoch ${s.epoch}/${epochs} step ${s.stepInEpoch}/${s.stepsPerEpoch} loss ${s.loss.toFixed(4)}`);
      },
      onEpoch: (e: EpochMetrics) => {
        history.push(e);
        const v = e.validation;
        const note = `epoch ${e.epoch}/${epochs} loss ${e.loss.toFixed(4)}${v ? ` P@1 ${v.precisionAt1.toFixed(3)} MAP@R ${v.mapAtR.toFixed(3)} triplets ${v.tripletAccuracy.toFixed(4)}` : ''}${e.best ? ' (best)' : ''}`;
        reporter.report({ epoch: e.epoch - 1, step: reporter.lastStep, loss: e.loss, metrics: epochMetrics(e), event: 'epoch', ...attentionOf(currentEncoder) }, note);
      },
      onCheckpoint: async (encoder, e) => {
        const partial = { history, bestEpoch: e.epoch, stopReason: 'epochs' as const, seconds: performance.now() / 1000 - started, samplesPerSecond: e.samplesPerSecond, config: resolved! };
        await saveModel(p.out, encoder, baseManifest(partial, epochMetrics(e), encoder));
      },
      onStart: (encoder, plan) => {
        currentEncoder = encoder;
        resolved = plan.config;
        reporter.totalSteps = plan.totalSteps;
      },
    },
    group,
  );
  try {
    // Stopped before its first step: nothing trained, so nothing to save (a model of random weights would mislead).
    if (result.history.length === 0) throw new CancelledError('Training was stopped before its first step: no model was saved.');
    const best = result.history.find((e) => e.epoch === result.bestEpoch);
    const metrics = best ? epochMetrics(best) : {};
    const manifest = await saveModel(p.out, result.encoder, baseManifest(result, metrics, result.encoder));
    return { modelId, out: p.out, manifest, metrics, stopReason: result.stopReason, bestEpoch: result.bestEpoch, epochs: result.history.length, seconds: result.seconds, samplesPerSecond: result.samplesPerSecond, backend: choice.backend, workers };
  } finally {
    result.encoder.dispose();
  }
}

/** Task `trainPrepare`: builds the model once to size the shared buffers of a data-parallel run. */
export async function trainPrepareTask(p: TrainPreparePayload): Promise<ParallelBuffers> {
  await initBackend(p.backend, (msg) => console.error(msg));
  if (p.model === 'autoencoder') return createParallelBuffers(autoencoderParallelShape(autoencoderData(inputsOf(p.inputs), p.labels), p.config, p.workers));
  return createParallelBuffers(siameseParallelShape(p.inputShape, p.config, p.workers));
}

/** Task `trainFollower`: one follower rank of a data-parallel run (engine/models/dataParallel.ts). */
export async function trainFollowerTask(p: TrainFollowerPayload, ctx: TaskContext): Promise<{ steps: number }> {
  const group = new ParallelGroup(p.buffers, p.rank, { checkCancelled: () => ctx.throwIfCancelled() });
  try {
    await initBackend(p.backend, (msg) => console.error(msg));
    if (p.model === 'autoencoder') return await followAutoencoderTask(p, inputsOf(p.inputs), group);
    return followSiamese({ inputs: inputsOf(p.inputs), labels: p.labels }, p.config, group);
  } catch (err) {
    group.abort();
    throw err;
  }
}

function attentionOf(encoder: tf.LayersModel | null): { attention?: number[] } {
  if (!encoder) return {};
  const w = attentionWeights(encoder);
  return w ? { attention: Array.from(w) } : {};
}

/** The hyper-parameters shown on the dashboard (flat, short). */
function runConfig(c: TrainingConfig): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  const put = (k: string, v: unknown) => {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  };
  const loss = resolveSiameseLossConfig(c.loss); // the defaults the training applies, not copies of them
  put('distance', loss.distance);
  put('mining', loss.mining);
  put('margin', loss.margin);
  put('embeddingDim', c.encoder?.embeddingDim ?? 64);
  put('classesPerBatch', c.classesPerBatch ?? 10);
  put('perClass', c.perClass ?? 8);
  put('learningRate', c.learningRate ?? 1e-3);
  put('schedule', c.schedule ?? 'cosine');
  put('validationSplit', c.validationSplit ?? 0.1);
  put('patience', c.patience ?? 5);
  put('seed', c.seed ?? 1);
  return out;
}
