/**
 * Task `embedModel`: loads a saved model (engine/models/modelStore.ts) in this worker and embeds
 * prepared inputs (dense rows or one-hot sequences, as tasks/train.ts takes them) in inference
 * mode, in chunks, with progress and cancellation between chunks. The embeddings come back in a
 * SharedArrayBuffer, ready for the kNN and DBSCAN tasks of every worker.
 */
import { initBackend, type BackendPreference } from '../../engine/models/backend';
import { loadModel } from '../../engine/models/modelStore';
import { embedInputs } from '../../engine/models/training';
import type { TaskContext } from '../task';
import { inputsOf, type TrainInputsPayload } from './train';

export interface EmbedModelPayload {
  modelDir: string;
  backend: BackendPreference;
  inputs: TrainInputsPayload;
}

export interface EmbedModelResult {
  /** count × dim, row-major, in a SharedArrayBuffer. */
  embeddings: Float32Array;
  dim: number;
}

const CHUNK = 512;

export async function embedModelTask(payload: unknown, ctx: TaskContext): Promise<EmbedModelResult> {
  const p = payload as EmbedModelPayload;
  await initBackend(p.backend);
  const { model, manifest } = await loadModel(p.modelDir);
  try {
    const inputs = inputsOf(p.inputs);
    if (inputs.inputShape.join(',') !== manifest.data.inputShape.join(',')) {
      throw Object.assign(new Error(`${p.modelDir}: the model takes inputs of shape [${manifest.data.inputShape.join(', ')}], this dataset gives [${inputs.inputShape.join(', ')}]`), { name: 'InvalidInputError' });
    }
    const dim = manifest.embeddingDim;
    const embeddings = new Float32Array(new SharedArrayBuffer(Math.max(4, inputs.count * dim * 4)), 0, inputs.count * dim);
    for (let start = 0; start < inputs.count; start += CHUNK) {
      ctx.throwIfCancelled();
      const indices = Int32Array.from({ length: Math.min(CHUNK, inputs.count - start) }, (_, i) => start + i);
      embeddings.set(embedInputs(model, inputs, indices), start * dim);
      ctx.progress(start + indices.length, inputs.count, 'embedding');
    }
    return { embeddings, dim };
  } finally {
    model.dispose();
  }
}
