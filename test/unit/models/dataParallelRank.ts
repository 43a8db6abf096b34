/**
 * One rank of a data-parallel Siamese run, in a worker thread (dataParallel.test.ts starts N of
 * these through tsx): rank 0 leads (trainSiamese), the others follow (followSiamese). Posts the
 * per-step losses (rank 0) and the trainable weights at the end, as one Float32Array.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../server/engine/models/backend';
import { ParallelGroup, trainableVariables, type ParallelBuffers } from '../../../server/engine/models/dataParallel';
import { denseInputs, followSiamese, trainSiamese, type TrainingConfig } from '../../../server/engine/models/training';

export interface RankData {
  buffers: ParallelBuffers;
  rank: number;
  data: Float32Array;
  dim: number;
  labels: Int32Array;
  config: TrainingConfig;
  /** The rank's backend; default cpu. */
  backend?: 'cpu' | 'wasm';
}

export interface RankResult {
  rank: number;
  losses: number[];
  weights: Float32Array;
  steps: number;
  /** Tensors left on the backend by the run (its encoder disposed): 0 unless a step leaks. */
  leaked: number;
}

async function main(): Promise<void> {
  const d = workerData as RankData;
  const choice = await initBackend(d.backend ?? 'cpu');
  if (choice.backend !== (d.backend ?? 'cpu')) throw new Error(`backend ${d.backend ?? 'cpu'} unavailable: ${choice.reason}`);
  const group = new ParallelGroup(d.buffers, d.rank);
  const data = { inputs: denseInputs(d.data, [d.dim]), labels: d.labels };
  const before = tf.memory().numTensors;
  if (d.rank === 0) {
    const losses: number[] = [];
    const r = await trainSiamese(data, d.config, { onStep: (s) => losses.push(s.loss) }, group);
    const weights = Float32Array.from(trainableVariables(r.encoder).flatMap((v) => Array.from(v.dataSync())));
    r.encoder.dispose();
    parentPort!.postMessage({ rank: 0, losses, weights, steps: losses.length, leaked: tf.memory().numTensors - before } satisfies RankResult);
    return;
  }
  // The follower's weights: read through a hook, as followSiamese disposes its encoder on return.
  let weights = new Float32Array(0);
  const r = followSiamese(data, d.config, group, (variables) => {
    weights = Float32Array.from(variables.flatMap((v) => Array.from(v.dataSync())));
  });
  parentPort!.postMessage({ rank: d.rank, losses: [], weights, steps: r.steps, leaked: tf.memory().numTensors - before } satisfies RankResult);
}

main().catch((err: unknown) => {
  parentPort!.postMessage({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
});
