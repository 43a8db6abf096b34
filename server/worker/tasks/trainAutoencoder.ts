/**
 * The autoencoder half of task `train` (tasks/train.ts dispatches here on `model:
 * 'autoencoder'`): trains with engine/models/autoencoderTraining.ts and saves the whole
 * autoencoder (input → reconstruction; its `latent` layer gives the embeddings) with a manifest
 * saying what it is — at each new best epoch and at the end. With a ParallelGroup this worker is
 * rank 0 of a data-parallel run (jobs/trainModel.ts starts the followers: `followAutoencoderTask`).
 *
 * Reports: step — `reconstructionLoss`, `contrastiveLoss` or `tripletLoss` (the latent part),
 * `perceptualLoss` (each when its weight is > 0; unweighted), `embeddingStd` (the latent's
 * spread, for the collapse alarm), `learningRate`, `samplesPerSecond`, and `activeTriplets` only
 * for a triplet latent loss (a contrastive one has no triplets to count). Epoch — the means, plus
 * `valLoss` and the latent's retrieval scores on labelled held-out items.
 */
import { disposeAutoencoder, type Autoencoder } from '../../engine/models/autoencoder';
import type { AutoencoderLossParts } from '../../engine/models/autoencoderStep';
import { followAutoencoder, trainAutoencoder, type AutoencoderEpochMetrics, type AutoencoderTrainingData, type AutoencoderStepMetrics, type AutoencoderTrainingConfig, type AutoencoderTrainingResult, type ResolvedAutoencoderTrainingConfig } from '../../engine/models/autoencoderTraining';
import { loadModel, saveModel, type AutoencoderSummary, type LoadedModel, type ModelHistorySummary, type ModelManifest } from '../../engine/models/modelStore';
import type { TrainingInputs } from '../../engine/models/training';
import { CancelledError, InvalidInputError } from '../errors';
import type { TaskContext } from '../taskContext';
import { historySummary, RunReporter, stopRequested } from './runReporter';
import type { TrainFollowerPayload, TrainTaskPayload, TrainTaskResult } from './trainTaskTypes';
import type { ParallelGroup } from '../../engine/models/dataParallel';

type AutoencoderPayload = Extract<TrainTaskPayload, { model: 'autoencoder' }>;

function partMetrics(parts: AutoencoderLossParts, latentLoss: 'contrastive' | 'triplet'): Record<string, number> {
  return {
    ...(parts.reconstruction !== null ? { reconstructionLoss: parts.reconstruction } : {}),
    ...(parts.latent !== null ? { [`${latentLoss}Loss`]: parts.latent } : {}),
    ...(parts.perceptual !== null ? { perceptualLoss: parts.perceptual } : {}),
  };
}

function epochMetrics(e: AutoencoderEpochMetrics, c: ResolvedAutoencoderTrainingConfig): Record<string, number> {
  const v = e.validation;
  const r = v?.retrieval;
  return {
    loss: e.loss,
    ...partMetrics(e.parts, c.loss.latentLoss),
    ...(c.loss.latentLoss === 'triplet' && e.parts.latent !== null ? { activeTriplets: e.activeShare } : {}),
    embeddingStd: e.spread,
    learningRate: e.learningRate,
    samplesPerSecond: e.samplesPerSecond,
    // With a perceptual part valLoss is a mix: its two parts are drawn too.
    ...(v ? { valLoss: v.valLoss, ...(v.perceptual !== null ? { valReconstructionLoss: v.reconstruction, valPerceptualLoss: v.perceptual } : {}) } : {}),
    ...(r ? { precisionAt1: r.precisionAt1, mapAtR: r.mapAtR, rPrecision: r.rPrecision, tripletAccuracy: r.tripletAccuracy } : {}),
  };
}

/** An autoencoder run's per-epoch entries: the loss, the validation loss and the latent's retrieval scores. */
function autoencoderEpoch(e: AutoencoderTrainingResult['history'][number]): ModelHistorySummary['perEpoch'][number] {
  const v = e.validation;
  const q = v?.retrieval;
  return { epoch: e.epoch, loss: e.loss, ...(v ? { valLoss: v.valLoss } : {}), ...(q ? { precisionAt1: q.precisionAt1, mapAtR: q.mapAtR, tripletAccuracy: q.tripletAccuracy } : {}) };
}

/** The hyper-parameters shown on the dashboard (flat, short). */
function runConfig(c: AutoencoderTrainingConfig): Record<string, string | number | boolean> {
  const a = c.autoencoder ?? {};
  const w = c.loss?.weights ?? {};
  const out: Record<string, string | number | boolean> = {
    autoencoder: a.kind ?? 'auto',
    reconstructionWeight: w.reconstruction ?? 1,
    latentWeight: w.latent ?? 0.1,
    perceptualWeight: w.perceptual ?? 0,
    latentLoss: c.loss?.latentLoss ?? 'contrastive',
    distance: c.loss?.distance ?? 'cosine',
    positives: c.positives ?? 'auto',
    batchSize: c.batchSize ?? 64,
    learningRate: c.learningRate ?? 1e-3,
    schedule: c.schedule ?? 'cosine',
    validationSplit: c.validationSplit ?? 0.1,
    patience: c.patience ?? 5,
    seed: c.seed ?? 1,
  };
  if (a.latentDim !== undefined) out['latentDim'] = a.latentDim;
  return out;
}

/** The engine's data: the labels only when they are one per item and some item has one (every rank decides alike). */
export function autoencoderData(inputs: TrainingInputs, labels: Int32Array): AutoencoderTrainingData {
  return { inputs, ...(labels.length === inputs.count && labels.some((l) => l >= 0) ? { labels } : {}) };
}

/** The perceptual loss's extractor: a trained Siamese model's encoder, checked (the caller disposes it). */
async function loadExtractor(dir: string | undefined): Promise<LoadedModel | undefined> {
  if (dir === undefined) return undefined;
  const extractor = await loadModel(dir);
  if (extractor.manifest.model !== 'siamese') {
    extractor.model.dispose();
    throw new InvalidInputError(`${dir}: an ${extractor.manifest.model} model; the perceptual loss takes a trained Siamese model's encoder`);
  }
  return extractor;
}

function withExtractor(config: AutoencoderTrainingConfig, extractor: LoadedModel | undefined): AutoencoderTrainingConfig {
  return { ...config, ...(extractor ? { perceptual: { ...config.perceptual, extractor: extractor.model } } : {}) };
}

/** Ranks 1…N−1 of a data-parallel autoencoder run (`group` the leader's, tasks/train.ts). */
export async function followAutoencoderTask(p: Extract<TrainFollowerPayload, { model: 'autoencoder' }>, inputs: TrainingInputs, group: ParallelGroup): Promise<{ steps: number }> {
  const extractor = await loadExtractor(p.perceptualModelDir);
  try {
    return followAutoencoder(autoencoderData(inputs, p.labels), withExtractor(p.config, extractor), group);
  } finally {
    extractor?.model.dispose();
  }
}

export async function trainAutoencoderTask(p: AutoencoderPayload, inputs: TrainingInputs, ctx: TaskContext, backend: string, group?: ParallelGroup): Promise<TrainTaskResult> {
  const modelId = p.manifest.modelId;
  const epochs = p.config.epochs ?? 20;
  const workers = group?.workers ?? 1;
  const reporter = new RunReporter(ctx, () => ({ modelId, kind: 'autoencoder', backend, workers, dataset: p.dataset, epochs, config: runConfig(p.config) }), p.reportEverySeconds ?? 0.25);
  const data = autoencoderData(inputs, p.labels);
  const extractor = await loadExtractor(p.perceptualModelDir);
  try {
    let resolved: ResolvedAutoencoderTrainingConfig | null = null;
    let plan: { usesLabels: boolean; usesViews: boolean } = { usesLabels: false, usesViews: false };
    const history: AutoencoderEpochMetrics[] = [];
    const started = performance.now() / 1000;
    const manifestOf = (models: Autoencoder, r: Pick<AutoencoderTrainingResult, 'history' | 'bestEpoch' | 'stopReason' | 'seconds' | 'samplesPerSecond'>, c: ResolvedAutoencoderTrainingConfig, metrics: Record<string, number>): Omit<ModelManifest, 'files' | 'format' | 'version'> => {
      const summary: AutoencoderSummary = {
        kind: c.autoencoder.kind,
        latentDim: models.latentDim,
        output: c.autoencoder.output,
        weights: { ...c.loss.weights },
        latentLoss: c.loss.latentLoss,
        positives: { labels: plan.usesLabels, views: plan.usesViews },
        perceptual: c.perceptual?.source ?? null,
      };
      return {
        ...p.manifest,
        data: { ...p.manifest.data, encoderKind: c.autoencoder.kind },
        autoencoder: summary,
        config: c,
        metrics,
        history: historySummary(r, autoencoderEpoch),
        backend,
        embeddingDim: models.latentDim,
        distance: c.loss.distance,
        euclideanWeight: c.loss.euclideanWeight,
      };
    };
    const result = await trainAutoencoder(
      data,
      withExtractor(p.config, extractor),
      {
        checkCancelled: () => ctx.throwIfCancelled(),
        shouldStop: stopRequested(p.stopFlag),
        onStart: (_models, start) => {
          resolved = start.config;
          plan = { usesLabels: start.usesLabels, usesViews: start.usesViews };
          reporter.totalSteps = start.totalSteps;
        },
        onStep: (s: AutoencoderStepMetrics) => {
          if (!reporter.stepDue(s.step, s.totalSteps)) return;
          const c = resolved!;
          const metrics = {
            ...partMetrics(s.parts, c.loss.latentLoss),
            ...(c.loss.latentLoss === 'triplet' && s.parts.latent !== null ? { activeTriplets: s.activeShare } : {}),
            embeddingStd: s.spread,
            learningRate: s.learningRate,
            samplesPerSecond: s.samplesPerSecond,
          };
          reporter.report({ epoch: s.epoch - 1, step: s.step, loss: s.loss, metrics, event: 'step' }, `epoch ${s.epoch}/${epochs} step ${s.stepInEpoch}/${s.stepsPerEpoch} loss ${s.loss.toFixed(4)}`);
        },
        onEpoch: (e) => {
          history.push(e);
          const v = e.validation;
          const q = v?.retrieval;
          const note = `epoch ${e.epoch}/${epochs} loss ${e.loss.toFixed(4)}${v ? ` validation loss ${v.valLoss.toFixed(4)}` : ''}${q ? ` P@1 ${q.precisionAt1.toFixed(3)} MAP@R ${q.mapAtR.toFixed(3)}` : ''}${e.best ? ' (best)' : ''}`;
          reporter.report({ epoch: e.epoch - 1, step: reporter.lastStep, loss: e.loss, metrics: epochMetrics(e, resolved!), event: 'epoch' }, note);
        },
        onCheckpoint: async (models, e) => {
          const partial = { history, bestEpoch: e.epoch, stopReason: 'epochs' as const, seconds: performance.now() / 1000 - started, samplesPerSecond: e.samplesPerSecond };
          await saveModel(p.out, models.autoencoder, manifestOf(models, partial, resolved!, epochMetrics(e, resolved!)));
        },
      },
      group,
    );
    try {
      // Stopped before its first step: nothing trained, so nothing to save (a model of random weights would mislead).
      if (result.history.length === 0) throw new CancelledError('Training was stopped before its first step: no model was saved.');
      const best = result.history.find((e) => e.epoch === result.bestEpoch);
      const metrics = best ? epochMetrics(best, result.config) : {};
      const manifest = await saveModel(p.out, result.models.autoencoder, manifestOf(result.models, result, result.config, metrics));
      return { modelId, out: p.out, manifest, metrics, stopReason: result.stopReason, bestEpoch: result.bestEpoch, epochs: result.history.length, seconds: result.seconds, samplesPerSecond: result.samplesPerSecond, backend, workers };
    } finally {
      disposeAutoencoder(result.models);
    }
  } finally {
    extractor?.model.dispose();
  }
}
