/**
 * Data-parallel autoencoder training (engine/models/dataParallel.ts, autoencoderShardStep) with
 * real worker threads, one cpu backend each, on the digits fixture: the dense autoencoder with
 * augmented views, and the convolutional one with batch norm, labels and a perceptual loss. The
 * ranks stay in sync bit for bit, a run is reproducible bit for bit for a seed and worker count,
 * no rank leaks a tensor, and 2 workers follow 1 worker's loss curve.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { disposeAutoencoder } from '../../../server/engine/models/autoencoder';
import { autoencoderParallelShape, trainAutoencoder, type AutoencoderTrainingConfig } from '../../../server/engine/models/autoencoderTraining';
import { initBackend } from '../../../server/engine/models/backend';
import { createParallelBuffers, trainableVariables } from '../../../server/engine/models/dataParallel';
import { denseInputs } from '../../../server/engine/models/training';
import { readDigits } from '../digitsFixture';
import type { AutoencoderRankData, AutoencoderRankResult } from './autoencoderParallelRank';

const RANK_SCRIPT = path.join(__dirname, 'autoencoderParallelRank.ts');
const TSX = require.resolve('tsx/cjs');

const digits = readDigits();
const common: AutoencoderTrainingConfig = { epochs: 1, stepsPerEpoch: 5, batchSize: 24, validationSplit: 0, schedule: 'constant', learningRate: 1e-2, seed: 7 };
/** The study's dense model: no batch norm; the latent's positives are augmented views. */
const dense: AutoencoderTrainingConfig = { ...common, autoencoder: { hidden: [32], latentDim: 8 }, positives: 'views' };
/** The convolutional one with batch norm, labels as the latent's positives, and a perceptual loss. */
const conv: AutoencoderTrainingConfig = { ...common, autoencoder: { kind: 'conv', filters: [4, 8], latentDim: 8 }, positives: 'labels', loss: { latentLoss: 'triplet', mining: 'batch-all', weights: { perceptual: 0.5 } }, perceptual: { filters: [4] } };

const shapeOf = (c: AutoencoderTrainingConfig) => (c.autoencoder?.kind === 'conv' ? [8, 8, 1] : [digits.dim]);

async function runParallel(workers: number, c: AutoencoderTrainingConfig): Promise<AutoencoderRankResult[]> {
  await initBackend('cpu');
  const inputShape = shapeOf(c);
  const buffers = createParallelBuffers(autoencoderParallelShape({ inputs: denseInputs(digits.data, inputShape), labels: digits.labels }, c, workers));
  const runs = Array.from({ length: workers }, (_, rank) => {
    const data: AutoencoderRankData = { buffers, rank, data: digits.data, inputShape, labels: digits.labels, config: c };
    const worker = new Worker(`require(${JSON.stringify(TSX)}); require(${JSON.stringify(RANK_SCRIPT)});`, { eval: true, workerData: data });
    return new Promise<AutoencoderRankResult>((resolve, reject) => {
      worker.once('message', (m: AutoencoderRankResult | { error: string }) => {
        void worker.terminate();
        if ('error' in m) reject(new Error(`rank ${rank}: ${m.error}`));
        else resolve(m);
      });
      worker.once('error', reject);
    });
  });
  return Promise.all(runs);
}

async function runSingle(c: AutoencoderTrainingConfig): Promise<{ losses: number[]; weights: Float32Array }> {
  await initBackend('cpu');
  const losses: number[] = [];
  const r = await trainAutoencoder({ inputs: denseInputs(digits.data, shapeOf(c)), labels: digits.labels }, c, { onStep: (s) => losses.push(s.loss) });
  const weights = Float32Array.from(trainableVariables(r.models.autoencoder).flatMap((v) => Array.from(v.dataSync())));
  disposeAutoencoder(r.models);
  return { losses, weights };
}

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

void describe('data-parallel autoencoder training', () => {
  for (const [name, c] of [['dense with views', dense], ['conv with batch norm, labels and a perceptual loss', conv]] as const) {
    void it(`${name}, 2 workers: the ranks end with the same weights, no rank leaks a tensor, and the same seed gives the same weights bit for bit`, async () => {
      const first = await runParallel(2, c);
      assert.deepEqual(first.map((r) => r.steps), [5, 5]);
      assert.deepEqual(bits(first[1]!.weights), bits(first[0]!.weights));
      assert.deepEqual(first.map((r) => r.leaked), [0, 0], 'every tensor a step makes is disposed');
      const again = await runParallel(2, c);
      assert.deepEqual(bits(again[0]!.weights), bits(first[0]!.weights));
      assert.deepEqual(again[0]!.losses, first[0]!.losses);
      // A different seed is a different run (the comparison can fail).
      const other = await runParallel(2, { ...c, seed: 8 });
      assert.notDeepEqual(bits(other[0]!.weights), bits(first[0]!.weights));
    });
  }

  /** Labels as positives, with a triplet loss: the gathered codes must meet their own labels (assembled order). */
  const denseLabels: AutoencoderTrainingConfig = { ...dense, positives: 'labels', loss: { latentLoss: 'triplet', mining: 'batch-all', weights: { latent: 1 } } };
  for (const [name, c] of [['views', dense], ['labels, triplet', denseLabels]] as const) {
    void it(`dense (${name}): 2 workers follow the loss curve of 1 worker (the whole batch mined, each shard weighed by its share)`, async () => {
      const single = await runSingle(c);
      const [leader] = await runParallel(2, c);
      assert.equal(leader!.losses.length, single.losses.length);
      // The same batches, views and weights: the losses differ only by rounding.
      for (let i = 0; i < single.losses.length; i++) assert.ok(Math.abs(leader!.losses[i]! - single.losses[i]!) <= 1e-4 * Math.max(1, single.losses[i]!), `step ${i + 1}: ${leader!.losses[i]} vs ${single.losses[i]}`);
      let maxDiff = 0;
      for (let i = 0; i < single.weights.length; i++) maxDiff = Math.max(maxDiff, Math.abs(single.weights[i]! - leader!.weights[i]!));
      assert.ok(maxDiff < 1e-3, `weights differ by up to ${maxDiff}`);
      // Training moved the weights: the comparison above is not of untouched initial weights.
      assert.ok(single.losses[single.losses.length - 1]! < single.losses[0]!, `loss ${single.losses.join(', ')}`);
    });
  }

  void it('conv with batch norm: 2 workers follow 1 worker (each shard normalised by its own statistics, as DistributedDataParallel)', async () => {
    const single = await runSingle(conv);
    const [leader] = await runParallel(2, conv);
    assert.equal(leader!.losses.length, single.losses.length);
    for (let i = 0; i < single.losses.length; i++) assert.ok(Math.abs(leader!.losses[i]! - single.losses[i]!) <= 0.03 * single.losses[i]!, `step ${i + 1}: ${leader!.losses[i]} vs ${single.losses[i]}`);
    assert.ok(leader!.losses[leader!.losses.length - 1]! < leader!.losses[0]!, `loss ${leader!.losses.join(', ')}`);
  });
});
