/**
 * Data-parallel training through the real pool (the built dist/worker.js: run `node esbuild.mjs`
 * first): trainModel on 2 workers reports them, is reproducible bit for bit for a seed, follows
 * the 1-worker run, and stops and cancels as one run.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isCancellation } from '../../../server/jobs/errors';
import { WorkerPool } from '../../../server/jobs/pool';
import { autoencoderTrainingWorkers, editorTrainingWorkers, trainingWorkers, trainModel, type TrainingMetricsReport } from '../../../server/jobs/trainModel';
import { readManifest } from '../../../server/engine/models/modelStore';

const WORKER = path.resolve(__dirname, '../../../dist/worker.js');
const IRIS = path.resolve(__dirname, '../../fixtures/tables/iris.csv');
const FASHION = path.resolve(__dirname, '../../fixtures/images/fashion64-images-idx3-ubyte.gz');
const config = { epochs: 2, stepsPerEpoch: 4, classesPerBatch: 3, perClass: 6, validationSplit: 0.2, seed: 3, schedule: 'constant' as const, learningRate: 1e-2, loss: { mining: 'batch-all' as const }, encoder: { embeddingDim: 8, batchNorm: false } };

let dir: string;
let pool: WorkerPool;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'simlab-train-parallel-test-'));
  pool = new WorkerPool({ workerFile: WORKER, execArgv: [], size: 2, log: () => undefined });
});
after(async () => {
  await pool.dispose();
  rmSync(dir, { recursive: true, force: true });
});

void describe('data-parallel trainModel', () => {
  void it('the worker count: the wish within the pool and the batch; the editor leaves one thread free', () => {
    const warnings: string[] = [];
    assert.equal(trainingWorkers({ pool }, config), 2);
    assert.equal(trainingWorkers({ pool, workers: 1 }, config), 1);
    assert.equal(trainingWorkers({ pool, workers: 8 }, config, warnings), 2);
    assert.match(warnings[0]!, /2 worker\(s\), not 8: the pool has 2 thread/);
    assert.equal(trainingWorkers({ pool: { size: 16 } as WorkerPool, workers: 16 }, { classesPerBatch: 2, perClass: 3 }), 3);
    assert.throws(() => trainingWorkers({ pool, workers: 0 }, config), /workers: 0 must be a positive integer/);
    assert.equal(editorTrainingWorkers(0, 16), 15);
    assert.equal(editorTrainingWorkers(0, 1), 1);
    assert.equal(editorTrainingWorkers(4, 16), 4);
  });

  void it('2 workers: reported in the run, the same weights bit for bit for the same seed, and the loss curve of 1 worker', async () => {
    const train = async (name: string, workers: number) => {
      const reports: TrainingMetricsReport[] = [];
      const out = path.join(dir, name);
      const r = await trainModel(IRIS, { pool, out, backend: 'cpu', workers, config, onMetrics: (m) => reports.push(m), reportEverySeconds: 0 });
      return { r, reports, weights: readFileSync(path.join(out, 'weights.bin')), manifest: await readManifest(out) };
    };
    const a = await train('a', 2);
    assert.equal(a.r.workers, 2);
    assert.equal(a.reports[0]!.run?.workers, 2);
    assert.deepEqual(a.reports.filter((m) => m.event === 'step').map((m) => m.step), [1, 2, 3, 4, 5, 6, 7, 8]);
    const b = await train('b', 2);
    assert.ok(a.weights.equals(b.weights), 'same seed and worker count: the same weights');
    const one = await train('one', 1);
    assert.equal(one.r.workers, 1);
    const lossesOf = (x: typeof a) => x.reports.filter((m) => m.event === 'step').map((m) => m.loss);
    const [l1, l2] = [lossesOf(one), lossesOf(a)];
    for (let i = 0; i < l1.length; i++) assert.ok(Math.abs(l1[i]! - l2[i]!) <= 1e-3 * Math.max(1, l1[i]!), `step ${i + 1}: 1 worker ${l1[i]}, 2 workers ${l2[i]}`);
    assert.ok(Math.abs(one.manifest.history.perEpoch[1]!.precisionAt1! - a.manifest.history.perEpoch[1]!.precisionAt1!) <= 0.05);
  });

  void it('a graceful stop and a cancel end every worker of the run; the pool trains again after them', async () => {
    const stop = new AbortController();
    const stopped = await trainModel(IRIS, {
      pool,
      out: path.join(dir, 'stopped'),
      backend: 'cpu',
      workers: 2,
      config: { ...config, epochs: 1000 },
      stopSignal: stop.signal,
      onMetrics: (m) => {
        if (m.step >= 5) stop.abort();
      },
    });
    assert.equal(stopped.stopReason, 'stopped');
    assert.equal(stopped.workers, 2);
    const cancel = new AbortController();
    const run = trainModel(IRIS, {
      pool,
      out: path.join(dir, 'cancelled'),
      backend: 'cpu',
      workers: 2,
      config: { ...config, epochs: 1000 },
      signal: cancel.signal,
      onMetrics: (m) => {
        if (m.step >= 3) cancel.abort();
      },
    });
    await assert.rejects(run, (e) => isCancellation(e));
    const after = await trainModel(IRIS, { pool, out: path.join(dir, 'after'), backend: 'cpu', workers: 2, config: { ...config, epochs: 1 } });
    assert.equal(after.epochs, 1);
    assert.equal(pool.stats.busy, 0);
  });
});

/** The convolutional autoencoder with batch norm on 64 Fashion-MNIST images (no labels: views are the latent's positives). */
const autoencoder = { epochs: 2, stepsPerEpoch: 3, batchSize: 16, validationSplit: 0.25, seed: 3, schedule: 'constant' as const, learningRate: 1e-2, autoencoder: { kind: 'conv' as const, filters: [4, 8], latentDim: 8 } };

void describe('data-parallel autoencoder trainModel', () => {
  void it('the worker count: the wish within the pool and the batch of training items', () => {
    const warnings: string[] = [];
    assert.equal(autoencoderTrainingWorkers({ pool }, autoencoder, [28, 28, 1], 64), 2);
    assert.equal(autoencoderTrainingWorkers({ pool: { size: 16 } as WorkerPool, workers: 16 }, autoencoder, [28, 28, 1], 64, warnings), 8);
    assert.match(warnings[0]!, /8 worker\(s\), not 16: a batch of 16 gives at most 8 shards of 2/);
    // 10 items, 2 held out: a batch of 8.
    assert.equal(autoencoderTrainingWorkers({ pool: { size: 16 } as WorkerPool }, { ...autoencoder, validationSplit: 0.2 }, [28, 28, 1], 10), 4);
  });

  void it('2 workers: reported in the run, the same weights bit for bit for the same seed, and the loss curve of 1 worker', async () => {
    const train = async (name: string, workers: number) => {
      const reports: TrainingMetricsReport[] = [];
      const out = path.join(dir, name);
      const r = await trainModel(FASHION, { pool, out, backend: 'cpu', model: 'autoencoder', workers, autoencoder, onMetrics: (m) => reports.push(m), reportEverySeconds: 0 });
      return { r, reports, weights: readFileSync(path.join(out, 'weights.bin')) };
    };
    const a = await train('ae-a', 2);
    assert.equal(a.r.workers, 2);
    assert.equal(a.reports[0]!.run?.workers, 2);
    assert.deepEqual(a.reports.filter((m) => m.event === 'step').map((m) => m.step), [1, 2, 3, 4, 5, 6]);
    const b = await train('ae-b', 2);
    assert.ok(a.weights.equals(b.weights), 'same seed and worker count: the same weights');
    const one = await train('ae-one', 1);
    assert.equal(one.r.workers, 1);
    assert.equal(one.reports[0]!.run?.workers, 1);
    const lossesOf = (x: typeof a) => x.reports.filter((m) => m.event === 'step').map((m) => m.loss);
    const [l1, l2] = [lossesOf(one), lossesOf(a)];
    // Batch norm normalises each shard by its own statistics: close, not equal.
    for (let i = 0; i < l1.length; i++) assert.ok(Math.abs(l1[i]! - l2[i]!) <= 0.05 * l1[i]!, `step ${i + 1}: 1 worker ${l1[i]}, 2 workers ${l2[i]}`);
  });

  void it('a graceful stop and a cancel end every worker of the run; the pool trains again after them', async () => {
    const stop = new AbortController();
    const stopped = await trainModel(FASHION, {
      pool,
      out: path.join(dir, 'ae-stopped'),
      backend: 'cpu',
      model: 'autoencoder',
      workers: 2,
      autoencoder: { ...autoencoder, epochs: 1000 },
      stopSignal: stop.signal,
      onMetrics: (m) => {
        if (m.step >= 4) stop.abort();
      },
    });
    assert.equal(stopped.stopReason, 'stopped');
    assert.equal(stopped.workers, 2);
    const cancel = new AbortController();
    const run = trainModel(FASHION, {
      pool,
      out: path.join(dir, 'ae-cancelled'),
      backend: 'cpu',
      model: 'autoencoder',
      workers: 2,
      autoencoder: { ...autoencoder, epochs: 1000 },
      signal: cancel.signal,
      onMetrics: (m) => {
        if (m.step >= 2) cancel.abort();
      },
    });
    await assert.rejects(run, (e) => isCancellation(e));
    const after = await trainModel(FASHION, { pool, out: path.join(dir, 'ae-after'), backend: 'cpu', model: 'autoencoder', workers: 2, autoencoder: { ...autoencoder, epochs: 1 } });
    assert.equal(after.epochs, 1);
    assert.equal(after.workers, 2);
    assert.equal(pool.stats.busy, 0);
  });
});
