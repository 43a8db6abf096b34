/**
 * trainModel and modelEmbeddings through a real worker pool (the built dist/worker.js: run
 * `node esbuild.mjs` first) on the committed fixtures of each kind: a table (iris), IDX images
 * (64 Fashion-MNIST), .npy volumes in class folders, and 16S FASTA with genus labels.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isCancellation } from '../../../server/jobs/errors';
import { modelEmbeddings } from '../../../server/jobs/modelEmbeddings';
import { WorkerPool } from '../../../server/jobs/pool';
import { trainModel, type TrainingMetricsReport } from '../../../server/jobs/trainModel';
import { readManifest } from '../../../server/engine/models/modelStore';

const WORKER = path.resolve(__dirname, '../../../dist/worker.js');
const FIXTURES = path.resolve(__dirname, '../../fixtures');
const GENUS = ';\\s*([^;\\s]+)[^;]*$';
const tiny = { epochs: 2, stepsPerEpoch: 2, classesPerBatch: 3, perClass: 4, encoder: { embeddingDim: 8 } };

let dir: string;
let pool: WorkerPool;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'simlab-train-model-test-'));
  pool = new WorkerPool({ workerFile: WORKER, execArgv: [], size: 2, log: () => undefined });
});
after(async () => {
  await pool.dispose();
  rmSync(dir, { recursive: true, force: true });
});

void describe('trainModel', () => {
  void it('a table: trains in the pool, reports metrics in the trainingMetrics shape, saves a model whose embeddings modelEmbeddings reproduces', async () => {
    const reports: TrainingMetricsReport[] = [];
    const out = path.join(dir, 'iris');
    const r = await trainModel(path.join(FIXTURES, 'tables/iris.csv'), { pool, out, backend: 'cpu', config: { ...tiny, validationSplit: 0.2 }, onMetrics: (m) => reports.push(m), reportEverySeconds: 0 });
    assert.deepEqual(readdirSync(out).sort(), ['manifest.json', 'model.json', 'weights.bin']);
    assert.equal(r.backend, 'cpu');
    assert.equal(r.epochs, 2);
    assert.deepEqual(r.classes, ['setosa', 'versicolor', 'virginica']);
    assert.ok(r.metrics.precisionAt1! > 0 && r.metrics.mapAtR! > 0, JSON.stringify(r.metrics));
    // The first report describes the run; then every step, and one report per epoch with validation scores.
    assert.equal(reports[0]!.run?.modelId, r.modelId);
    assert.equal(reports[0]!.run?.totalSteps, 4);
    assert.deepEqual(reports.filter((m) => m.event === 'step').map((m) => m.step), [1, 2, 3, 4]);
    const epochs = reports.filter((m) => m.event === 'epoch');
    assert.deepEqual(epochs.map((m) => [m.epoch, m.step]), [[0, 2], [1, 4]]);
    for (const m of reports) assert.ok(m.modelId === r.modelId && Number.isFinite(m.loss) && typeof m.metrics.activeTriplets === 'number');
    assert.ok(epochs.every((m) => typeof m.metrics.precisionAt1 === 'number' && m.attention?.length === 8));
    const manifest = await readManifest(out);
    assert.equal(manifest.preprocessing.features, 'scaled');
    assert.equal(manifest.preprocessing.scaler?.dim, 4);
    assert.deepEqual(manifest.data.inputShape, [4]);
    assert.equal(manifest.history.epochs, 2);
    const e = await modelEmbeddings(path.join(FIXTURES, 'tables/iris.csv'), { pool, modelDir: out, backend: 'cpu' });
    assert.equal(e.index.records.length, 150);
    assert.equal(e.index.dim, 8);
    assert.equal(e.index.metric, 'cosine');
    for (let i = 0; i < 150; i++) {
      const row = e.index.features.subarray(i * 8, i * 8 + 8);
      assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-4, 'unit-length embeddings');
    }
  });

  void it('IDX images → conv2d on [28, 28, 1]; volumes → conv3d on [6, 6, 6, 1]; FASTA → conv1d on one-hot', async () => {
    const cases = [
      { file: 'images/fashion64-images-idx3-ubyte.gz', shape: [28, 28, 1], kind: 'image', options: {} },
      { file: 'volumes', shape: [6, 6, 6, 1], kind: 'volume', options: {} },
      { file: 'dna/16S-sample.fasta', shape: [64, 4], kind: 'sequence', options: { sequenceRead: { labelRegex: GENUS }, oneHotLength: 64 } },
    ] as const;
    for (const c of cases) {
      const out = path.join(dir, c.kind);
      const r = await trainModel(path.join(FIXTURES, c.file), { pool, out, backend: 'cpu', config: { ...tiny, classesPerBatch: 2, perClass: 2, encoder: { embeddingDim: 8, filters: [4] } }, ...c.options });
      assert.deepEqual(r.manifest.data.inputShape, c.shape, c.kind);
      assert.equal(r.manifest.data.kind, c.kind);
      const e = await modelEmbeddings(path.join(FIXTURES, c.file), { pool, modelDir: out, backend: 'cpu', ...('sequenceRead' in c.options ? { sequenceRead: c.options.sequenceRead } : {}) });
      assert.equal(e.index.features.length, e.index.records.length * 8, c.kind);
    }
    const seq = await readManifest(path.join(dir, 'sequence'));
    assert.deepEqual(seq.preprocessing, { features: 'one-hot', oneHotLength: 64 });
    assert.equal(seq.classes.length, 20);
    const img = await readManifest(path.join(dir, 'image'));
    assert.deepEqual(img.preprocessing, { features: 'raw', imageSize: [28, 28], channels: 1 });
  });

  void it('refuses data without labels, text datasets, a model of another kind, and a bad configuration — as input errors', async () => {
    const out = path.join(dir, 'refused');
    await assert.rejects(trainModel(path.join(FIXTURES, 'tables/points.csv'), { pool, out, config: tiny, vectorRead: { labelColumn: 'name' } }), (e: Error) => e.name === 'InvalidInputError' && /class\(es\) and 0 with at least 2 records/.test(e.message));
    await assert.rejects(trainModel(path.join(FIXTURES, 'text/sentences.txt'), { pool, out, config: tiny }), (e: Error) => e.name === 'InvalidInputError' && /text dataset; Siamese training takes/.test(e.message));
    await assert.rejects(trainModel(path.join(FIXTURES, 'tables/iris.csv'), { pool, out, config: { epochs: 0 } }), /training configuration: epochs: 0 must be a positive integer/);
    await assert.rejects(modelEmbeddings(path.join(FIXTURES, 'dna/16S-sample.fasta'), { pool, modelDir: path.join(dir, 'iris') }), (e: Error) => e.name === 'InvalidInputError' && /not a numeric dataset; the model .* was trained on tables/.test(e.message));
    await assert.rejects(modelEmbeddings(path.join(FIXTURES, 'tables/points.csv'), { pool, modelDir: path.join(dir, 'iris') }), /points\.csv: 2 numeric columns; the model .* was trained on 4/);
  });

  void it('cancellation through the signal stops the training task', async () => {
    const controller = new AbortController();
    const run = trainModel(path.join(FIXTURES, 'tables/iris.csv'), {
      pool,
      out: path.join(dir, 'cancelled'),
      backend: 'cpu',
      config: { ...tiny, epochs: 1000 },
      signal: controller.signal,
      onMetrics: (m) => {
        if (m.step >= 3) controller.abort();
      },
    });
    await assert.rejects(run, (e) => isCancellation(e));
  });
});
