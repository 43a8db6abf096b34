/**
 * Trained models in the editor: `similarityLab/train` (a Siamese model or an autoencoder trained
 * in one worker of the pool, its reports forwarded as `similarityLab/trainingMetrics`, work-done
 * progress with Cancel), `similarityLab/stopTraining` (a graceful stop: the run keeps and saves
 * its best epoch) and `similarityLab/models` (the model folders of the workspace, with their metrics).
 * Models live in `<workspace folder>/.similarity-lab/models/<modelId>/` (model.json, weights.bin,
 * manifest.json): next to the data they were trained on, never inside a data file.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { newModelId, readManifest, type ModelManifest } from '../engine/models/modelStore';
import { InvalidInputError } from '../worker/errors';
import { editorTrainingWorkers, trainModel } from '../jobs/trainModel';
import type { AutoencoderTrainingConfig } from '../engine/models/autoencoderTraining';
import type { TrainingConfig } from '../engine/models/training';
import { ModelsRequest, StopTrainingRequest, TrainRequest, TrainingMetricsNotification, type ModelInfo } from '../protocol';
import { DatasetService } from '../host/datasets';
import type { HostContext } from './context';
import { classify, toResponseError } from './errors';
import { beginProgress, requestProgress } from './progress';

export const MODELS_FOLDER = path.join('.similarity-lab', 'models');

/** The models folder for a dataset: in its workspace folder (a file outside every one is refused). */
async function modelsRoot(service: DatasetService, file: string): Promise<string> {
  return path.join(await service.workspaceFolderOf(file), MODELS_FOLDER);
}

function info(dir: string, m: ModelManifest): ModelInfo {
  return {
    modelId: m.modelId,
    uri: pathToFileURL(dir).href,
    model: m.model,
    dataset: m.data.dataset,
    dataKind: m.data.kind,
    distance: m.distance,
    created: m.created,
    metrics: m.metrics,
    ...(m.autoencoder ? { autoencoder: { kind: m.autoencoder.kind, latentDim: m.autoencoder.latentDim } } : {}),
  };
}

/** Every readable model folder of the workspace folders (unreadable ones are skipped). */
export async function listModels(service: DatasetService): Promise<{ info: ModelInfo; dir: string }[]> {
  const out: { info: ModelInfo; dir: string }[] = [];
  for (const folder of service.folders) {
    const root = path.join(folder, MODELS_FOLDER);
    let names: string[];
    try {
      names = await readdir(root);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const dir = path.join(root, name);
      try {
        out.push({ info: info(dir, await readManifest(dir)), dir });
      } catch {
        // A half-written or foreign folder is not a model.
      }
    }
  }
  return out;
}

/** The folder of a model by id; InvalidInputError when there is none. */
export async function modelDir(service: DatasetService, modelId: string): Promise<string> {
  const found = (await listModels(service)).find((m) => m.info.modelId === modelId);
  if (!found) throw new InvalidInputError(`no trained model '${modelId}' in ${MODELS_FOLDER} of the workspace`);
  return found.dir;
}

function checkConfig(input: unknown): TrainRequest.Config {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object') throw new InvalidInputError('train: config must be an object');
  const c = input as Record<string, unknown>;
  const out: TrainRequest.Config = {};
  if (c['distance'] !== undefined) {
    if (c['distance'] !== 'euclidean' && c['distance'] !== 'cosine' && c['distance'] !== 'combined') throw new InvalidInputError(`train: distance is euclidean, cosine or combined, got ${JSON.stringify(c['distance'])}`);
    out.distance = c['distance'];
  }
  if (c['mining'] !== undefined) {
    if (c['mining'] !== 'batch-all' && c['mining'] !== 'batch-hard' && c['mining'] !== 'semi-hard') throw new InvalidInputError(`train: mining is batch-all, batch-hard or semi-hard, got ${JSON.stringify(c['mining'])}`);
    out.mining = c['mining'];
  }
  if (c['autoencoder'] !== undefined) {
    if (c['autoencoder'] !== 'dense' && c['autoencoder'] !== 'conv') throw new InvalidInputError(`train: autoencoder is dense or conv, got ${JSON.stringify(c['autoencoder'])}`);
    out.autoencoder = c['autoencoder'];
  }
  if (c['latentLoss'] !== undefined) {
    if (c['latentLoss'] !== 'contrastive' && c['latentLoss'] !== 'triplet') throw new InvalidInputError(`train: latentLoss is contrastive or triplet, got ${JSON.stringify(c['latentLoss'])}`);
    out.latentLoss = c['latentLoss'];
  }
  if (c['lossWeights'] !== undefined) {
    const w = c['lossWeights'];
    if (typeof w !== 'object' || w === null) throw new InvalidInputError('train: lossWeights must be an object');
    out.lossWeights = {};
    for (const k of ['reconstruction', 'latent', 'perceptual'] as const) {
      const v = (w as Record<string, unknown>)[k];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InvalidInputError(`train: lossWeights.${k} must be a number ≥ 0, got ${JSON.stringify(v)}`);
      out.lossWeights[k] = v;
    }
  }
  for (const k of ['epochs', 'embeddingDim', 'latentDim', 'labelField'] as const) {
    const v = c[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || (k !== 'labelField' && v < 1)) throw new InvalidInputError(`train: ${k} must be a positive integer, got ${JSON.stringify(v)}`);
    out[k] = v;
  }
  for (const k of ['labelRegex', 'labelColumn'] as const) {
    const v = c[k];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new InvalidInputError(`train: ${k} must be a string`);
    out[k] = v;
  }
  return out;
}

function siameseConfig(config: TrainRequest.Config): TrainingConfig {
  return {
    ...(config.epochs !== undefined ? { epochs: config.epochs } : {}),
    loss: { ...(config.distance ? { distance: config.distance } : {}), ...(config.mining ? { mining: config.mining } : {}) },
    ...(config.embeddingDim !== undefined ? { encoder: { embeddingDim: config.embeddingDim } } : {}),
  };
}

function autoencoderConfig(config: TrainRequest.Config): AutoencoderTrainingConfig {
  const loss = {
    ...(config.distance ? { distance: config.distance } : {}),
    ...(config.latentLoss ? { latentLoss: config.latentLoss } : {}),
    ...(config.mining ? { mining: config.mining } : {}),
    ...(config.lossWeights ? { weights: config.lossWeights } : {}),
  };
  const latentDim = config.latentDim ?? config.embeddingDim;
  return {
    ...(config.epochs !== undefined ? { epochs: config.epochs } : {}),
    ...(config.autoencoder !== undefined || latentDim !== undefined ? { autoencoder: { ...(config.autoencoder ? { kind: config.autoencoder } : {}), ...(latentDim !== undefined ? { latentDim } : {}) } } : {}),
    ...(Object.keys(loss).length ? { loss } : {}),
  };
}

export function registerModels(host: HostContext, service: DatasetService): void {
  /** Runs in progress: model id → what Stop aborts (the graceful stop, not the cancellation). */
  const stops = new Map<string, AbortController>();

  host.connection.onRequest(StopTrainingRequest.type, (params) => {
    const modelId = typeof params?.modelId === 'string' ? params.modelId : '';
    const stop = stops.get(modelId);
    if (!stop || stop.signal.aborted) return { stopping: false };
    stop.abort();
    return { stopping: true };
  });

  host.connection.onRequest(ModelsRequest.type, async () => {
    try {
      service.checkTrusted();
      return { models: (await listModels(service)).map((m) => m.info) };
    } catch (err) {
      throw toResponseError(err, 'models');
    }
  });

  host.connection.onRequest(TrainRequest.type, async (params, token) => {
    try {
      const file = await service.fileOf(params?.uri);
      if (params.model !== 'siamese' && params.model !== 'autoencoder') throw new InvalidInputError(`train: model is "siamese" or "autoencoder", got ${JSON.stringify(params.model)}`);
      const config = checkConfig(params.config);
      const settings = await service.settings(params.uri);
      const name = path.basename(file);
      const root = await modelsRoot(service, file);
      const autoencoder = params.model === 'autoencoder';
      const job = beginProgress(await requestProgress(host, params), token, `Training ${autoencoder ? 'an autoencoder' : 'a similarity model'} on ${name}`);
      const modelId = newModelId(name.replace(/(\.gz)?$/u, '').replace(/\.[^.]*$/u, ''), new Date(), params.model);
      const stop = new AbortController();
      stops.set(modelId, stop);
      try {
        const result = await host.status.track(`Training on ${name}`, (setLabel) =>
          trainModel(file, {
            pool: host.jobs(),
            out: path.join(root, modelId),
            modelId,
            signal: job.signal,
            stopSignal: stop.signal,
            backend: settings.backend,
            workers: editorTrainingWorkers(settings.trainingWorkers, host.jobs().size),
            ...(autoencoder ? { model: 'autoencoder' as const, autoencoder: autoencoderConfig(config) } : { config: siameseConfig(config) }),
            ...(config.labelColumn !== undefined ? { vectorRead: { labelColumn: /^-?\d+$/u.test(config.labelColumn) ? Number(config.labelColumn) : config.labelColumn } } : {}),
            ...(config.labelRegex !== undefined || config.labelField !== undefined ? { sequenceRead: { ...(config.labelRegex !== undefined ? { labelRegex: config.labelRegex } : {}), ...(config.labelField !== undefined ? { labelField: config.labelField } : {}) } } : {}),
            onProgress: (stage, done, total) => void job.report(stage, done, total),
            onMetrics: (report) => {
              const { event: _event, ...params } = report;
              void host.connection.sendNotification(TrainingMetricsNotification.type, params).catch(() => undefined);
              const epochs = report.run?.epochs;
              setLabel(`Training on ${name}: epoch ${report.epoch + 1}, loss ${report.loss.toFixed(3)}`);
              if (epochs) job.progress.report(Math.min(100, Math.floor((100 * report.epoch) / epochs)), `epoch ${report.epoch + 1}, loss ${report.loss.toFixed(3)}`);
            },
          }),
        );
        return { modelId: result.modelId, uri: pathToFileURL(result.out).href, metrics: result.metrics, stopReason: String(result.stopReason) };
      } finally {
        stops.delete(modelId);
        job.end();
      }
    } catch (err) {
      if (classify(err) === 'internal') host.connection.console.error(`train failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      throw toResponseError(err, 'train');
    }
  });
}
