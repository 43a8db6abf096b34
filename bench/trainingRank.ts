/**
 * One rank of the data-parallel reference-net benchmark (training.bench.ts), in a worker thread:
 * the reference conv net (classification head, sparse categorical cross-entropy, Adam 1e-3) on
 * batches of 64 random 28×28×1 images, every step shared by the ranks through
 * engine/models/dataParallel.ts as the Siamese trainer shares its steps. Rank 0 leads and times:
 * it posts wall-clock samples/s and the process's CPU time (all threads) per step.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../server/engine/models/backend';
import { assembledOrder, dataParallelStep, ParallelGroup, trainableVariables, type ParallelBuffers } from '../server/engine/models/dataParallel';
import { referenceNet } from './training.bench';

export interface RankInput {
  buffers: ParallelBuffers;
  rank: number;
  /** POOL × 784 pixels and POOL labels, shared. */
  images: Float32Array;
  labels: Int32Array;
  batch: number;
  warmup: number;
  steps: number;
}

export interface RankOutput {
  rank: number;
  backend: string;
  samplesPerSecond: number;
  /** Process CPU (every thread) per step, ms. */
  cpuMsPerStep: number;
  wallMsPerStep: number;
}

async function main(): Promise<void> {
  const d = workerData as RankInput;
  const choice = await initBackend('auto');
  const group = new ParallelGroup(d.buffers, d.rank);
  const model = referenceNet();
  const optimizer = tf.train.adam(1e-3);
  const variables = trainableVariables(model);
  const pool = d.labels.length / d.batch;
  const step = (indices: Int32Array): void => {
    const n = indices.length;
    const { positions } = group.shardOf(n);
    const pixels = new Float32Array(positions.length * 784);
    positions.forEach((p, r) => pixels.set(d.images.subarray(indices[p]! * 784, (indices[p]! + 1) * 784), r * 784));
    const x = tf.tensor4d(pixels, [positions.length, 28, 28, 1]);
    const labels = tf.oneHot(tf.tensor1d(Int32Array.from(assembledOrder(n, group.workers), (p) => d.labels[indices[p]!]!), 'int32'), 10);
    dataParallelStep(group, variables, optimizer, n, () => model.apply(x, { training: true }) as tf.Tensor, (probabilities) => tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.log(tf.clipByValue(probabilities, 1e-7, 1))), 1))) as tf.Scalar);
    tf.dispose([x, labels]);
  };
  group.syncWeights(variables);
  if (d.rank !== 0) {
    for (;;) {
      const c = group.awaitCommand();
      if (c.kind === 'end') break;
      step(c.indices);
    }
    parentPort!.postMessage({ rank: d.rank });
    return;
  }
  const batchOf = (i: number) => Int32Array.from({ length: d.batch }, (_, k) => (i % pool) * d.batch + k);
  const run = (i: number) => {
    const indices = batchOf(i);
    group.announceStep(indices, 1e-3);
    step(indices);
  };
  for (let i = 0; i < d.warmup; i++) run(i);
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let i = 0; i < d.steps; i++) run(i);
  const cpu = process.cpuUsage(c0);
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  group.announceEnd();
  parentPort!.postMessage({ rank: 0, backend: choice.backend, samplesPerSecond: (d.steps * d.batch) / (wall / 1000), cpuMsPerStep: (cpu.user + cpu.system) / 1000 / d.steps, wallMsPerStep: wall / d.steps } satisfies RankOutput);
}

main().catch((err: unknown) => {
  parentPort!.postMessage({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
});
