/**
 * Data-parallel Siamese training (engine/models/dataParallel.ts) with real worker threads, one
 * cpu backend each, on the digits fixture: the ranks stay in sync bit for bit, a run is
 * reproducible bit for bit for a seed and worker count, and 2 workers follow 1 worker's loss curve.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { initBackend } from '../../../server/engine/models/backend';
import { assembledOrder, createParallelBuffers, ParallelGroup, shardOf, trainableVariables } from '../../../server/engine/models/dataParallel';
import { denseInputs, siameseParallelShape, trainSiamese, type TrainingConfig } from '../../../server/engine/models/training';
import { readDigits } from '../digitsFixture';
import type { RankData, RankResult } from './dataParallelRank';

const RANK_SCRIPT = path.join(__dirname, 'dataParallelRank.ts');
const TSX = require.resolve('tsx/cjs');

const digits = readDigits();
const config: TrainingConfig = {
  epochs: 1,
  stepsPerEpoch: 6,
  classesPerBatch: 5,
  perClass: 4,
  validationSplit: 0,
  schedule: 'constant',
  learningRate: 1e-2,
  loss: { distance: 'euclidean', mining: 'batch-all' },
  encoder: { embeddingDim: 8, hidden: [16], batchNorm: false },
  seed: 7,
};

async function runParallel(workers: number, c: TrainingConfig = config, backend: 'cpu' | 'wasm' = 'cpu'): Promise<RankResult[]> {
  await initBackend('cpu');
  const buffers = createParallelBuffers(siameseParallelShape([digits.dim], c, workers));
  const runs = Array.from({ length: workers }, (_, rank) => {
    const data: RankData = { buffers, rank, data: digits.data, dim: digits.dim, labels: digits.labels, config: c, backend };
    const worker = new Worker(`require(${JSON.stringify(TSX)}); require(${JSON.stringify(RANK_SCRIPT)});`, { eval: true, workerData: data });
    return new Promise<RankResult>((resolve, reject) => {
      worker.once('message', (m: RankResult | { error: string }) => {
        void worker.terminate();
        if ('error' in m) reject(new Error(`rank ${rank}: ${m.error}`));
        else resolve(m);
      });
      worker.once('error', reject);
    });
  });
  return Promise.all(runs);
}

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

void describe('data-parallel training', () => {
  void it('shards are strided, cover the batch once and assemble in rank order', () => {
    for (const [n, w] of [[20, 2], [20, 3], [7, 7], [10, 4]] as const) {
      const seen: number[] = [];
      let offset = 0;
      for (let r = 0; r < w; r++) {
        const s = shardOf(n, w, r);
        assert.equal(s.offset, offset);
        offset += s.positions.length;
        seen.push(...s.positions);
        assert.ok(s.positions.every((p) => p % w === r));
      }
      assert.deepEqual(seen, Array.from(assembledOrder(n, w)));
      assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
    }
  });

  void it('2 workers: the ranks end with the same weights, and the same seed gives the same weights bit for bit', async () => {
    const first = await runParallel(2);
    assert.equal(first[0]!.steps, 6);
    assert.equal(first[1]!.steps, 6);
    assert.deepEqual(bits(first[1]!.weights), bits(first[0]!.weights));
    assert.deepEqual(first.map((r) => r.leaked), [0, 0], 'every tensor a step makes is disposed');
    const again = await runParallel(2);
    assert.deepEqual(bits(again[0]!.weights), bits(first[0]!.weights));
    assert.deepEqual(again[0]!.losses, first[0]!.losses);
    // A different seed is a different run (the comparison can fail).
    const other = await runParallel(2, { ...config, seed: 8 });
    assert.notDeepEqual(bits(other[0]!.weights), bits(first[0]!.weights));
  });

  void it('2 workers follow the loss curve of 1 worker (the whole batch mined, the gradient summed over shards)', async () => {
    await initBackend('cpu');
    const single: number[] = [];
    const r = await trainSiamese({ inputs: denseInputs(digits.data, [digits.dim]), labels: digits.labels }, config, { onStep: (s) => single.push(s.loss) });
    const singleWeights = Float32Array.from(trainableVariables(r.encoder).flatMap((v) => Array.from(v.dataSync())));
    r.encoder.dispose();
    const [leader] = await runParallel(2);
    assert.equal(leader!.losses.length, single.length);
    // The first step's loss is the same batch through the same weights: equal but for rounding.
    assert.ok(Math.abs(leader!.losses[0]! - single[0]!) <= 1e-5 * Math.max(1, single[0]!), `${leader!.losses[0]} vs ${single[0]}`);
    for (let i = 0; i < single.length; i++) assert.ok(Math.abs(leader!.losses[i]! - single[i]!) <= 1e-3 * Math.max(1, single[i]!), `step ${i + 1}: ${leader!.losses[i]} vs ${single[i]}`);
    let maxDiff = 0;
    for (let i = 0; i < singleWeights.length; i++) maxDiff = Math.max(maxDiff, Math.abs(singleWeights[i]! - leader!.weights[i]!));
    assert.ok(maxDiff < 1e-3, `weights differ by up to ${maxDiff}`);
    // Training moved the weights: the comparison above is not of untouched initial weights.
    assert.ok(single[single.length - 1]! < single[0]!, `loss ${single.join(', ')}`);
  });

  void it('on wasm (the default backend: gradients read from its heap, weights copied in from the shared vector) the ranks agree bit for bit, runs repeat bit for bit, and 2 workers follow 1', async () => {
    const first = await runParallel(2, config, 'wasm');
    assert.equal(first[0]!.steps, 6);
    assert.deepEqual(bits(first[1]!.weights), bits(first[0]!.weights));
    assert.deepEqual(first.map((r) => r.leaked), [0, 0], 'every tensor a step makes is disposed');
    const again = await runParallel(2, config, 'wasm');
    assert.deepEqual(bits(again[0]!.weights), bits(first[0]!.weights));
    assert.deepEqual(again[0]!.losses, first[0]!.losses);
    const [one] = await runParallel(1, config, 'wasm');
    for (let i = 0; i < one!.losses.length; i++) assert.ok(Math.abs(first[0]!.losses[i]! - one!.losses[i]!) <= 1e-3 * Math.max(1, one!.losses[i]!), `step ${i + 1}: ${first[0]!.losses[i]} vs ${one!.losses[i]}`);
    let maxDiff = 0;
    for (let i = 0; i < one!.weights.length; i++) maxDiff = Math.max(maxDiff, Math.abs(one!.weights[i]! - first[0]!.weights[i]!));
    assert.ok(maxDiff < 1e-3, `weights differ by up to ${maxDiff}`);
    assert.ok(one!.losses[one!.losses.length - 1]! < one!.losses[0]!, `loss ${one!.losses.join(', ')}`);
  });

  void it('a rank that fails stops the others instead of leaving them waiting', async () => {
    await initBackend('cpu');
    const buffers = createParallelBuffers({ workers: 2, maxBatch: 4, outputDim: 1, paramCount: 1 });
    const follower = new ParallelGroup(buffers, 1, { pollMs: 5 });
    new ParallelGroup(buffers, 0).abort();
    assert.throws(() => follower.awaitCommand(), (e: Error) => e.name === 'ParallelAbortedError');
    const cancelled = new ParallelGroup(createParallelBuffers({ workers: 2, maxBatch: 4, outputDim: 1, paramCount: 1 }), 1, { pollMs: 5, checkCancelled: () => { throw new Error('cancelled'); } });
    assert.throws(() => cancelled.barrier(), /cancelled/);
    assert.ok(cancelled.aborted, 'a cancelled rank aborts the group');
  });
});
