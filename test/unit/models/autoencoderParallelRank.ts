/**
 * One rank of a data-parallel autoencoder run, in a worker thread (autoencoderParallel.test.ts
 * starts N of these through tsx): rank 0 leads (trainAutoencoder), the others follow
 * (followAutoencoder). Posts the per-step losses (rank 0), the updated weights at the end as one
 * Float32Array, and the tensors the run left behind.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { disposeAutoencoder } from '../../../server/engine/models/autoencoder';
import { followAutoencoder, trainAutoencoder, type AutoencoderTrainingConfig } from '../../../server/engine/models/autoencoderTraining';
import { initBackend } from '../../../server/engine/models/backend';
import { ParallelGroup, trainableVariables, type ParallelBuffers } from '../../../server/engine/models/dataParallel';
import { denseInputs } from '../../../server/engine/models/training';

export interface AutoencoderRankData {
  buffers: ParallelBuffers;
  rank: number;
  data: Float32Array;
  inputShape: number[];
  labels?: Int32Array;
  config: AutoencoderTrainingConfig;
}

export interface AutoencoderRankResult {
  rank: number;
  losses: number[];
  weights: Float32Array;
  steps: number;
  /** Tensors left on the backend by the run (its models disposed): 0 unless a step leaks. */
  leaked: number;
}

async function main(): Promise<void> {
  const d = workerData as AutoencoderRankData;
  await initBackend('cpu');
  const group = new ParallelGroup(d.buffers, d.rank);
  const data = { inputs: denseInputs(d.data, d.inputShape), ...(d.labels ? { labels: d.labels } : {}) };
  const before = tf.memory().numTensors;
  if (d.rank === 0) {
    const losses: number[] = [];
    const r = await trainAutoencoder(data, d.config, { onStep: (s) => losses.push(s.loss) }, group);
    const w = d.config.loss?.weights;
    const updated = (w?.reconstruction ?? 1) > 0 || (w?.perceptual ?? 0) > 0 ? r.models.autoencoder : r.models.encoder;
    const weights = Float32Array.from(trainableVariables(updated).flatMap((v) => Array.from(v.dataSync())));
    disposeAutoencoder(r.models);
    parentPort!.postMessage({ rank: 0, losses, weights, steps: losses.length, leaked: tf.memory().numTensors - before } satisfies AutoencoderRankResult);
    return;
  }
  // The follower's weights: read through a hook, as followAutoencoder disposes its models on return.
  let weights = new Float32Array(0);
  const r = followAutoencoder(data, d.config, group, (variables) => {
    weights = Float32Array.from(variables.flatMap((v) => Array.from(v.dataSync())));
  });
  parentPort!.postMessage({ rank: d.rank, losses: [], weights, steps: r.steps, leaked: tf.memory().numTensors - before } satisfies AutoencoderRankResult);
}

main().catch((err: unknown) => {
  parentPort!.postMessage({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
});
