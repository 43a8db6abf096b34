/**
 * `simlab train <dataset> --model siamese|autoencoder [--labels FILE] [--distance euclidean|cosine|combined] [--epochs N] [--out DIR]`
 * Trains a Siamese model on a labelled dataset, or an autoencoder on any dataset (tables, JSONL
 * vectors, images, volumes, FASTA/FASTQ), and saves it into a folder (model.json, weights.bin,
 * manifest.json) that `eval`, `similar`, `cluster` and `embed` take with `--model DIR` (an
 * autoencoder's embeddings are its latent codes).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
// Only names and types of the model stack here: it loads (tfjs and all) when training starts.
import {
  BACKEND_PREFERENCES,
  DISTANCE_KINDS,
  LATENT_LOSS_KINDS,
  LATENT_POSITIVES,
  LR_SCHEDULES,
  MINING_KINDS,
  MODEL_FILES,
  type BackendPreference,
  type DistanceKind,
  type LatentLossKind,
  type LatentPositives,
  type LearningRateSchedule,
  type MiningKind,
} from '../engine/models/choices';
import type { TrainingConfig } from '../engine/models/training';
import type { AutoencoderTrainingConfig } from '../engine/models/autoencoderTraining';
import type { TrainingMetricsReport } from '../jobs/trainModel';
import { defineCommand, type CliIO } from './command';
import { DATASET_OPTIONS, datasetPath, isVectorDataset, readOptions, reportWarnings, vectorOptions, withPool } from './dataset';
import { UsageError } from './errors';
import { refuseOverwritingInputs } from './output';
import { formatNumber } from './format';

export const MODEL_KINDS = ['siamese', 'autoencoder'] as const;

export function checkModelKind(model: string | undefined): (typeof MODEL_KINDS)[number] {
  if (model === undefined) throw new UsageError('train needs --model siamese (labelled data) or --model autoencoder');
  if (model !== 'siamese' && model !== 'autoencoder') throw new UsageError(`--model is siamese or autoencoder, got '${model}'`);
  return model;
}

/** Options that only one kind of model takes: given to the other, a usage error. */
const SIAMESE_ONLY = ['classes-per-batch', 'per-class', 'embedding-dim'] as const;
const AUTOENCODER_ONLY = ['ae', 'latent', 'latent-loss', 'reconstruction-weight', 'latent-weight', 'perceptual-weight', 'perceptual-model', 'positives', 'batch-size'] as const;

function weightOf(flag: string, v: number | undefined): number | undefined {
  if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new UsageError(`${flag} needs a number ≥ 0, got ${v}`);
  return v;
}

/** The autoencoder's configuration from the options (exit 2 on a bad value). */
export function autoencoderConfigOf(o: Parameters<typeof trainingConfigOf>[0] & {
  ae?: string;
  latent?: number;
  'latent-loss'?: string;
  'reconstruction-weight'?: number;
  'latent-weight'?: number;
  'perceptual-weight'?: number;
  positives?: string;
  'batch-size'?: number;
}): AutoencoderTrainingConfig {
  const { loss, encoder, classesPerBatch: _p, perClass: _k, ...common } = trainingConfigOf(o);
  const kind = oneOf<'dense' | 'conv'>('--ae', o.ae, ['dense', 'conv']);
  const latentLoss = oneOf<LatentLossKind>('--latent-loss', o['latent-loss'], LATENT_LOSS_KINDS);
  const positives = oneOf<LatentPositives>('--positives', o.positives, LATENT_POSITIVES);
  const latentDim = positiveInt('--latent', o.latent);
  const batchSize = positiveInt('--batch-size', o['batch-size']);
  if (batchSize !== undefined && batchSize < 2) throw new UsageError('--batch-size needs at least 2');
  const weights = {
    ...(weightOf('--reconstruction-weight', o['reconstruction-weight']) !== undefined ? { reconstruction: o['reconstruction-weight'] } : {}),
    ...(weightOf('--latent-weight', o['latent-weight']) !== undefined ? { latent: o['latent-weight'] } : {}),
    ...(weightOf('--perceptual-weight', o['perceptual-weight']) !== undefined ? { perceptual: o['perceptual-weight'] } : {}),
  };
  if ((weights.reconstruction ?? 1) + (weights.latent ?? 0.1) + (weights.perceptual ?? 0) === 0) throw new UsageError('the loss weights are all 0: give --reconstruction-weight, --latent-weight or --perceptual-weight a positive value');
  const aeLoss = { ...loss, ...(latentLoss ? { latentLoss } : {}), ...(Object.keys(weights).length ? { weights } : {}) };
  const model = { ...(kind ? { kind } : {}), ...(latentDim !== undefined ? { latentDim } : {}), ...(encoder?.batchNorm !== undefined ? { batchNorm: encoder.batchNorm } : {}) };
  return {
    ...common,
    ...(Object.keys(model).length ? { autoencoder: model } : {}),
    ...(Object.keys(aeLoss).length ? { loss: aeLoss } : {}),
    ...(positives ? { positives } : {}),
    ...(batchSize !== undefined ? { batchSize } : {}),
  };
}

/** Default model folder: ./simlab-models/<dataset name without extensions>. */
export function defaultOutDir(file: string, cwd = process.cwd()): string {
  const name = path.basename(path.resolve(file)).replace(/\.gz$/i, '').replace(/\.[^.]+$/, '') || 'model';
  return path.join(cwd, 'simlab-models', name);
}

function positiveInt(flag: string, v: number | undefined): number | undefined {
  if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new UsageError(`${flag} needs a positive integer, got ${v}`);
  return v;
}

function oneOf<T extends string>(flag: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v !== undefined && !(allowed as readonly string[]).includes(v)) throw new UsageError(`${flag} is one of ${allowed.join(', ')}, got '${v}'`);
  return v as T | undefined;
}

/** The training configuration from the options (exit 2 on a bad value). */
export function trainingConfigOf(o: {
  distance?: string;
  epochs?: number;
  mining?: string;
  margin?: number;
  'embedding-dim'?: number;
  'batch-norm'?: boolean;
  'classes-per-batch'?: number;
  'per-class'?: number;
  lr?: number;
  schedule?: string;
  'val-split'?: number;
  patience?: number;
  seed?: number;
  'max-seconds'?: number;
  'steps-per-epoch'?: number;
}): TrainingConfig {
  const distance = oneOf<DistanceKind>('--distance', o.distance, DISTANCE_KINDS);
  const mining = oneOf<MiningKind>('--mining', o.mining, MINING_KINDS);
  const schedule = oneOf<LearningRateSchedule>('--schedule', o.schedule, LR_SCHEDULES);
  if (o.margin !== undefined && !(o.margin >= 0)) throw new UsageError(`--margin needs a number ≥ 0, got ${o.margin}`);
  if (o.lr !== undefined && !(o.lr > 0)) throw new UsageError(`--lr needs a positive number, got ${o.lr}`);
  if (o['val-split'] !== undefined && !(o['val-split'] >= 0 && o['val-split'] < 1)) throw new UsageError(`--val-split is a share in [0, 1), got ${o['val-split']}`);
  if (o.patience !== undefined && !(Number.isInteger(o.patience) && o.patience >= 0)) throw new UsageError(`--patience needs an integer ≥ 0, got ${o.patience}`);
  if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new UsageError(`--seed needs an integer, got ${o.seed}`);
  if (o['max-seconds'] !== undefined && !(o['max-seconds'] > 0)) throw new UsageError(`--max-seconds needs a positive number, got ${o['max-seconds']}`);
  const p = positiveInt('--classes-per-batch', o['classes-per-batch']);
  const k = positiveInt('--per-class', o['per-class']);
  if (p !== undefined && p < 2) throw new UsageError('--classes-per-batch needs at least 2 (a batch needs negatives)');
  if (k !== undefined && k < 2) throw new UsageError('--per-class needs at least 2 (a batch needs positives)');
  const embeddingDim = positiveInt('--embedding-dim', o['embedding-dim']);
  const loss = { ...(distance ? { distance } : {}), ...(mining ? { mining } : {}), ...(o.margin !== undefined ? { margin: o.margin } : {}) };
  return {
    ...(Object.keys(loss).length ? { loss } : {}),
    ...(embeddingDim !== undefined || o['batch-norm'] !== undefined ? { encoder: { ...(embeddingDim !== undefined ? { embeddingDim } : {}), ...(o['batch-norm'] !== undefined ? { batchNorm: o['batch-norm'] } : {}) } } : {}),
    ...(positiveInt('--epochs', o.epochs) !== undefined ? { epochs: o.epochs } : {}),
    ...(positiveInt('--steps-per-epoch', o['steps-per-epoch']) !== undefined ? { stepsPerEpoch: o['steps-per-epoch'] } : {}),
    ...(p !== undefined ? { classesPerBatch: p } : {}),
    ...(k !== undefined ? { perClass: k } : {}),
    ...(o.lr !== undefined ? { learningRate: o.lr } : {}),
    ...(schedule ? { schedule } : {}),
    ...(o['val-split'] !== undefined ? { validationSplit: o['val-split'] } : {}),
    ...(o.patience !== undefined ? { patience: o.patience } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o['max-seconds'] !== undefined ? { maxSeconds: o['max-seconds'] } : {}),
  };
}

/** The model folder: never the dataset itself, nor inside a dataset folder; an existing model only with --overwrite. */
export function checkOutDir(out: string, dataset: string, overwrite: boolean): string {
  const dir = path.resolve(out);
  const data = path.resolve(dataset);
  if (dir === data || (existsSync(data) && statSync(data).isDirectory() && (dir + path.sep).startsWith(data + path.sep))) {
    throw new UsageError(`--out ${out}: is the dataset or inside its folder; models go elsewhere`);
  }
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`--out ${out}: is a file, not a folder`);
  if (!overwrite && existsSync(path.join(dir, MODEL_FILES.manifest))) throw new UsageError(`--out ${out}: already holds a model; pass --overwrite to replace it or choose another folder`);
  return dir;
}

function epochLine(r: TrainingMetricsReport, epochs: number): string {
  const m = r.metrics;
  if (r.run?.kind === 'autoencoder' || m.reconstructionLoss !== undefined || m.valLoss !== undefined) {
    const parts = (['reconstructionLoss', 'contrastiveLoss', 'tripletLoss', 'perceptualLoss'] as const).filter((k) => m[k] !== undefined).map((k) => `${k.replace(/Loss$/u, '')} ${formatNumber(round(m[k]!))}`);
    const v = m.valLoss !== undefined ? `, validation loss ${formatNumber(round(m.valLoss))}` : '';
    const q = m.precisionAt1 !== undefined ? `, latent P@1 ${formatNumber(round(m.precisionAt1))}, MAP@R ${formatNumber(round(m.mapAtR!))}` : '';
    return `epoch ${r.epoch + 1}/${epochs}: loss ${formatNumber(round(r.loss))}${parts.length ? ` (${parts.join(', ')})` : ''}${v}${q}, ${Math.round(m.samplesPerSecond!)} samples/s`;
  }
  const v = m.precisionAt1 !== undefined ? `, validation P@1 ${formatNumber(round(m.precisionAt1))}, MAP@R ${formatNumber(round(m.mapAtR!))}, triplet accuracy ${formatNumber(round(m.tripletAccuracy!))}` : '';
  return `epoch ${r.epoch + 1}/${epochs}: loss ${formatNumber(round(r.loss))}, active triplets ${formatNumber(round(m.activeTriplets!))}${v}, ${Math.round(m.samplesPerSecond!)} samples/s${m.collapsedSteps ? `, ${m.collapsedSteps} collapsed step(s)` : ''}`;
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

/** A redrawn step line on a terminal; one line per epoch always (stderr). */
function metricsReporter(io: CliIO, epochs: number): (r: TrainingMetricsReport) => void {
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  return (r) => {
    if (r.run) io.stderr.write(`training on ${r.run.backend}, ${r.run.workers ?? 1} worker${(r.run.workers ?? 1) === 1 ? '' : 's'}: ${r.run.totalSteps} steps (${epochs} epochs)\n`);
    if (r.event === 'step') {
      if (tty) io.stderr.write(`\r\x1b[Kepoch ${r.epoch + 1}/${epochs} step ${r.step} loss ${formatNumber(round(r.loss))}`);
      return;
    }
    io.stderr.write(`${tty ? '\r\x1b[K' : ''}${epochLine(r, epochs)}\n`);
  };
}

export default defineCommand({
  name: 'train',
  summary: 'Train a Siamese similarity model on a labelled dataset, or an autoencoder',
  usage: ['train <dataset> --model siamese|autoencoder [--labels FILE] [--distance euclidean|cosine|combined] [--epochs N] [--out DIR] [--workers N]'],
  details: [
    'Inputs: tables and JSONL vectors → dense encoder on standardised columns; images → conv2d on pixels / 255;',
    'volumes → conv3d; FASTA/FASTQ → conv1d on one-hot bases (the first --sequence-length bases, zero-padded).',
    'Labels: class folders and IDX labels come with the data; else --labels, --label-column, --label-field or --label-regex.',
    'The model folder (default ./simlab-models/<dataset name>) gets model.json, weights.bin and manifest.json, saved at',
    'each new best validation epoch and at the end. Prints the best epoch\'s validation scores (tsv, or --json).',
    'Autoencoders (--model autoencoder): --ae dense (any data) or conv (sequences, images, volumes; batch norm); labels are',
    'optional: the latent loss takes its positives from labels where there are some, else from augmented views (--positives),',
    'and labelled held-out records get latent retrieval scores. Loss = reconstruction MSE + latent contrastive/triplet +',
    'perceptual (features of a fixed random conv net, or of --perceptual-model DIR, a trained Siamese model), weighted.',
    'The best epoch is the one with the lowest validation loss. Its embeddings (for eval, similar, cluster, embed) are the latent codes.',
  ].join('\n'),
  options: {
    model: { type: 'string', valueName: 'siamese|autoencoder', description: 'The kind of model' },
    out: { type: 'string', valueName: 'DIR', description: 'The model folder (default ./simlab-models/<dataset name>)' },
    overwrite: { type: 'boolean', description: 'Replace a model already in --out' },
    distance: { type: 'string', valueName: 'NAME', description: `${DISTANCE_KINDS.join(', ')} (default cosine)` },
    epochs: { type: 'number', valueName: 'N', description: 'Epochs (default 20)' },
    'steps-per-epoch': { type: 'number', valueName: 'N', description: 'Steps per epoch (default: training records / batch size)' },
    mining: { type: 'string', valueName: 'NAME', description: `${MINING_KINDS.join(', ')} (default semi-hard)` },
    margin: { type: 'number', valueName: 'M', description: 'Triplet margin (default 0.1; with --mining contrastive the push radius, default 0.2)' },
    'embedding-dim': { type: 'number', valueName: 'D', description: 'Embedding size (default 64)' },
    'batch-norm': { type: 'boolean', description: 'Batch norm in the encoder (default on; --no-batch-norm to leave it out)' },
    ae: { type: 'string', valueName: 'dense|conv', description: 'Autoencoder: dense layers, or convolutional with batch norm (default: dense for tables, conv otherwise)' },
    latent: { type: 'number', valueName: 'D', description: 'Autoencoder: latent size (default 32; dense: at most half the input)' },
    'latent-loss': { type: 'string', valueName: 'NAME', description: 'Autoencoder: contrastive or triplet loss on the latent (default contrastive)' },
    'reconstruction-weight': { type: 'number', valueName: 'W', description: 'Autoencoder: weight of the reconstruction MSE (default 1)' },
    'latent-weight': { type: 'number', valueName: 'W', description: 'Autoencoder: weight of the latent loss (default 0.1; 0 = none)' },
    'perceptual-weight': { type: 'number', valueName: 'W', description: 'Autoencoder: weight of the perceptual loss (default 0 = none)' },
    'perceptual-model': { type: 'string', valueName: 'DIR', description: 'Autoencoder: a trained Siamese model whose encoder gives the perceptual features' },
    positives: { type: 'string', valueName: 'NAME', description: `Autoencoder: latent positives from ${LATENT_POSITIVES.join(', ')} (default auto: labels where known, else views)` },
    'batch-size': { type: 'number', valueName: 'N', description: 'Autoencoder: batch size (default 64)' },
    'classes-per-batch': { type: 'number', valueName: 'P', description: 'Classes per P×K batch (default 10)' },
    'per-class': { type: 'number', valueName: 'K', description: 'Records per class in a batch (default 8)' },
    lr: { type: 'number', valueName: 'RATE', description: 'Adam learning rate (default 0.001)' },
    schedule: { type: 'string', valueName: 'NAME', description: `Learning-rate schedule: ${LR_SCHEDULES.join(', ')} (default cosine)` },
    'val-split': { type: 'number', valueName: 'SHARE', description: 'Validation share, stratified by class (autoencoders: random) (default 0.1, at most 2,000 records; 0 = none)' },
    patience: { type: 'number', valueName: 'N', description: 'Stop after N epochs without a better validation MAP@R (autoencoders: validation loss) (default 5; 0 = never)' },
    'max-seconds': { type: 'number', valueName: 'S', description: 'Stop after S seconds, keeping the best epoch' },
    'sequence-length': { type: 'number', valueName: 'L', description: 'DNA: one-hot length (default: the longest record, at most 4,096)' },
    backend: { type: 'string', valueName: 'NAME', description: `TensorFlow.js backend: ${BACKEND_PREFERENCES.join(', ')} (default auto)` },
    seed: { type: 'number', valueName: 'N', description: 'Seed of the split, batches and weights (default 1)' },
    workers: { type: 'number', valueName: 'N', description: 'Worker threads to train on, data-parallel, Siamese and autoencoder alike (default: every core)' },
    json: { type: 'boolean', description: 'Print the result as one JSON object' },
    ...DATASET_OPTIONS,
  },
  async run({ options, positionals }, io) {
    const model = checkModelKind(options.model);
    const file = await datasetPath(positionals, 'train');
    for (const k of ['features', 'metric', 'p', 'cache-dir', 'no-cache'] as const) {
      if (options[k] !== undefined) throw new UsageError(`--${k} does not apply to training: the model learns its own features from the records`);
    }
    for (const k of model === 'autoencoder' ? SIAMESE_ONLY : AUTOENCODER_ONLY) {
      if (options[k] !== undefined) throw new UsageError(`--${k} applies to ${model === 'autoencoder' ? 'Siamese models' : 'autoencoders (--model autoencoder)'}`);
    }
    const autoencoder = model === 'autoencoder' ? autoencoderConfigOf(options) : undefined;
    const config = autoencoder ? {} : trainingConfigOf(options);
    const perceptualModel = options['perceptual-model'];
    if (perceptualModel !== undefined && !existsSync(path.join(perceptualModel, MODEL_FILES.manifest))) throw new UsageError(`--perceptual-model ${perceptualModel}: no model there (train a Siamese model with \`simlab train --model siamese\`)`);
    const backend = oneOf<BackendPreference>('--backend', options.backend, BACKEND_PREFERENCES) ?? 'auto';
    await refuseOverwritingInputs({ '--out': options.out }, [file, options.labels, perceptualModel]);
    const workers = positiveInt('--workers', options.workers);
    const out = checkOutDir(options.out ?? defaultOutDir(file), file, options.overwrite === true);
    const vector = await isVectorDataset(file);
    const oneHotLength = positiveInt('--sequence-length', options['sequence-length']);
    if (vector && oneHotLength !== undefined) throw new UsageError('--sequence-length applies to FASTA/FASTQ datasets');
    const reads = vector ? { vectorRead: vectorOptions(options).read } : { sequenceRead: readOptions(options) };
    const epochs = (autoencoder ?? config).epochs ?? 20;
    const kind = autoencoder ? { model: 'autoencoder' as const, autoencoder, ...(perceptualModel !== undefined ? { perceptualModelDir: perceptualModel } : {}) } : { config };
    const { trainModel } = await import('../jobs/trainModel.js');
    const result = await withPool((pool) => trainModel(file, { pool, out, backend, ...kind, ...reads, ...(oneHotLength !== undefined ? { oneHotLength } : {}), ...(workers !== undefined ? { workers } : {}), onMetrics: metricsReporter(io, epochs) }));
    reportWarnings(io, 'train', result.warnings);
    const ae = result.manifest.autoencoder;
    const summary = {
      modelId: result.modelId,
      out: result.out,
      backend: result.backend,
      workers: result.workers,
      ...(ae ? { autoencoder: ae.kind, latentDim: ae.latentDim } : {}),
      epochs: result.epochs,
      bestEpoch: result.bestEpoch,
      stopReason: result.stopReason,
      seconds: round(result.seconds),
      samplesPerSecond: Math.round(result.samplesPerSecond),
      classes: result.classes.length,
      ...result.metrics,
    };
    if (options.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
    else io.stdout.write(`${Object.entries(summary).map(([k, v]) => `${k}\t${typeof v === 'number' ? formatNumber(v) : v}`).join('\n')}\n`);
    io.stderr.write(`saved ${result.modelId} to ${result.out} (best epoch ${result.bestEpoch} of ${result.epochs}, ${result.stopReason})\n`);
  },
});
