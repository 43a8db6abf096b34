/**
 * Task `embedModel`: loads a saved model (engine/models/modelStore.ts) in this worker and embeds
 * prepared inputs (dense rows or one-hot sequences, as tasks/train.ts takes them) in inference
 * mode, in chunks, with progress and cancellation between chunks. A Siamese model's embeddings
 * are its encoder's output; an autoencoder's are its latent codes (the encoder view rebuilt by
 * autoencoderFromModel), and with `reconstruct` its reconstructions of the first `reconstruct`
 * items come back too. Results are in SharedArrayBuffers, ready for the kNN and DBSCAN tasks of
 * every worker.
 */
import * as tf from '@tensorflow/tfjs';
import { autoencoderFromModel, disposeAutoencoder, type Autoencoder } from '../../engine/models/autoencoder';
import { initBackend, type BackendPreference } from '../../engine/models/backend';
import { loadModel } from '../../engine/models/modelStore';
import { embedInputs, type TrainingInputs } from '../../engine/models/training';
import { InvalidInputError } from '../errors';
import type { TaskContext } from '../taskContext';
import { inputsOf } from './train';
import type { TrainInputsPayload } from './trainTaskTypes';

export interface EmbedModelPayload {
  modelDir: string;
  backend: BackendPreference;
  inputs: TrainInputsPayload;
  /** Autoencoders: also decode the first this many items (0 or absent: none). */
  reconstruct?: number;
  /** Skip the embeddings (only reconstructions wanted). */
  embed?: boolean;
}

export interface EmbedModelResult {
  /** count × dim, row-major, in a SharedArrayBuffer (empty when `embed` was false). */
  embeddings: Float32Array;
  dim: number;
  /** Autoencoders with `reconstruct`: m × prod(inputShape) values, row-major, the model's output as is. */
  reconstructions?: Float32Array;
  /** ... and their mean squared error against the inputs. */
  reconstructionMse?: number;
}

const CHUNK = 512;

function sharedFloats(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(Math.max(4, n * 4)), 0, n);
}

function indexRange(start: number, end: number): Int32Array {
  return Int32Array.from({ length: end - start }, (_, i) => start + i);
}

/** The autoencoder's output for `indices`, inference mode. */
function decode(models: Autoencoder, inputs: TrainingInputs, indices: Int32Array): Float32Array {
  const y = tf.tidy(() => models.autoencoder.apply(tf.tensor(inputs.rows(indices), [indices.length, ...inputs.inputShape]), { training: false }) as tf.Tensor);
  try {
    return y.dataSync() as Float32Array;
  } finally {
    y.dispose();
  }
}

export async function embedModelTask(p: EmbedModelPayload, ctx: TaskContext): Promise<EmbedModelResult> {
  await initBackend(p.backend);
  const { model, manifest } = await loadModel(p.modelDir);
  let views: Autoencoder | undefined;
  try {
    const inputs = inputsOf(p.inputs);
    if (inputs.inputShape.join(',') !== manifest.data.inputShape.join(',')) {
      throw new InvalidInputError(`${p.modelDir}: the model takes inputs of shape [${manifest.data.inputShape.join(', ')}], this dataset gives [${inputs.inputShape.join(', ')}]`);
    }
    const isAutoencoder = manifest.model === 'autoencoder';
    if (isAutoencoder) views = autoencoderFromModel(model);
    else if (p.reconstruct) throw new InvalidInputError(`${p.modelDir}: a ${manifest.model} model has no decoder; reconstructions need an autoencoder`);
    const encoder = views ? views.encoder : model;
    const dim = manifest.embeddingDim;
    const count = p.embed === false ? 0 : inputs.count;
    const toDecode = views ? Math.min(p.reconstruct ?? 0, inputs.count) : 0;
    const total = count + toDecode;
    const embeddings = sharedFloats(count * dim);
    for (let start = 0; start < count; start += CHUNK) {
      ctx.throwIfCancelled();
      const indices = indexRange(start, Math.min(count, start + CHUNK));
      embeddings.set(embedInputs(encoder, inputs, indices), start * dim);
      ctx.progress(start + indices.length, total, 'embedding');
    }
    if (!views || toDecode === 0) return { embeddings, dim };
    const size = inputs.inputShape.reduce((a, b) => a * b, 1);
    const reconstructions = sharedFloats(toDecode * size);
    let squared = 0;
    for (let start = 0; start < toDecode; start += CHUNK) {
      ctx.throwIfCancelled();
      const indices = indexRange(start, Math.min(toDecode, start + CHUNK));
      const decoded = decode(views, inputs, indices);
      const original = inputs.rows(indices);
      for (let i = 0; i < decoded.length; i++) squared += (decoded[i]! - original[i]!) ** 2;
      reconstructions.set(decoded, start * size);
      ctx.progress(count + start + indices.length, total, 'reconstructing');
    }
    return { embeddings, dim, reconstructions, reconstructionMse: squared / reconstructions.length };
  } finally {
    // The views share the loaded model's layers: disposing them frees it too.
    if (views) disposeAutoencoder(views);
    else model.dispose();
  }
}
