/**
 * `--model DIR` on the dataset commands (eval, similar, cluster): the dataset embedded by a
 * trained model (jobs/modelEmbeddings.ts) instead of its own features. The model decides the
 * preprocessing and the distance, so the feature options do not apply.
 */
import { BACKEND_PREFERENCES, type BackendPreference } from '../engine/models/choices';
import type { ModelEmbeddings } from '../jobs/modelEmbeddings';
import type { WorkerPool } from '../jobs/pool';
import type { CliIO } from './command';
import { DATASET_OPTIONS, isVectorDataset, progressReporter, readOptions, vectorOptions } from './dataset';
import type { ParsedOptions } from './args';
import { UsageError } from './errors';

export const MODEL_BACKEND_OPTION = {
  backend: { type: 'string', valueName: 'NAME', description: `With --model: TensorFlow.js backend, ${BACKEND_PREFERENCES.join(', ')} (default auto)` },
} as const;

type Options = ParsedOptions<typeof DATASET_OPTIONS> & { backend?: string };

/** Reads and embeds `file` with the model in `modelDir` (exit 2 on options that do not fit). */
export async function embedWithModel(file: string, modelDir: string, options: Options, pool: WorkerPool, io: CliIO, extra: { reconstruct?: number } = {}): Promise<ModelEmbeddings> {
  for (const k of ['features', 'metric', 'p', 'image-size', 'channels'] as const) {
    if (options[k] !== undefined) throw new UsageError(`--${k} does not apply with --model: the model's manifest fixes the inputs and the distance`);
  }
  const backend = options.backend ?? 'auto';
  if (!(BACKEND_PREFERENCES as readonly string[]).includes(backend)) throw new UsageError(`--backend is one of ${BACKEND_PREFERENCES.join(', ')}, got '${backend}'`);
  const reads = (await isVectorDataset(file)) ? { vectorRead: vectorOptions(options).read } : { sequenceRead: readOptions(options) };
  // The model stack (tfjs, its backend, the models) loads here, for --model only: the other paths start without it.
  const { modelEmbeddings } = await import('../jobs/modelEmbeddings.js');
  return modelEmbeddings(file, { pool, modelDir, backend: backend as BackendPreference, ...reads, ...extra, onProgress: progressReporter(io) });
}

/** One line saying which model and distance were used. */
export function describeModel(e: ModelEmbeddings): string {
  const m = e.manifest;
  if (m.autoencoder) return `model ${m.modelId} (${m.autoencoder.kind} autoencoder, ${m.embeddingDim}-dim latent, ${m.distance} distance${m.distance === 'combined' ? ', ranked as euclidean' : ''})`;
  return `model ${m.modelId} (${m.data.encoderKind} encoder, ${m.embeddingDim}-dim embeddings, ${m.distance} distance${m.distance === 'combined' ? ', ranked as euclidean' : ''})`;
}

/** Refuses --backend without --model. */
export function refuseBackendWithoutModel(options: { backend?: string; model?: string }): void {
  if (options.backend !== undefined && options.model === undefined) throw new UsageError('--backend applies with --model DIR');
}
