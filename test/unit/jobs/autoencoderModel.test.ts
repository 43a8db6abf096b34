/**
 * Autoencoders through a real worker pool (the built dist/worker.js: run `node esbuild.mjs`
 * first): trainModel with model 'autoencoder' on 64 Fashion-MNIST images, its reports, its
 * embeddings (the latent codes) and reconstructions against the same model loaded here, the
 * Embedding Map's reconstructions, and the graceful stop — for an autoencoder and a Siamese model.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { autoencoderFromModel, disposeAutoencoder } from '../../../server/engine/models/autoencoder';
import { latentCodes } from '../../../server/engine/models/autoencoderTraining';
import { loadModel, readManifest } from '../../../server/engine/models/modelStore';
import { denseInputs } from '../../../server/engine/models/training';
import { buildEmbeddingMap } from '../../../server/jobs/embeddingMapData';
import { isCancellation } from '../../../server/jobs/errors';
import { modelEmbeddings } from '../../../server/jobs/modelEmbeddings';
import { reconstruct, reconstructionPreviews } from '../../../server/jobs/modelReconstructions';
import { WorkerPool } from '../../../server/jobs/pool';
import { trainModel, type TrainingMetricsReport } from '../../../server/jobs/trainModel';

const WORKER = path.resolve(__dirname, '../../../dist/worker.js');
const FIXTURES = path.resolve(__dirname, '../../fixtures');
const FASHION64 = path.join(FIXTURES, 'images/fashion64-images-idx3-ubyte.gz');
const tinyAe = { epochs: 2, stepsPerEpoch: 2, batchSize: 16, autoencoder: { kind: 'dense' as const, latentDim: 6, hidden: [32] } };

let dir: string;
let pool: WorkerPool;
before(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(path.join(os.tmpdir(), 'simlab-autoencoder-model-test-'));
  pool = new WorkerPool({ workerFile: WORKER, execArgv: [], size: 2, log: () => undefined });
});
after(async () => {
  await pool.dispose();
  rmSync(dir, { recursive: true, force: true });
});

void describe('autoencoder models through the pool', () => {
  const out = () => path.join(dir, 'fashion-ae');

  void it('trains, reporting its loss parts and validation loss (no active-triplet share for a contrastive latent loss), and saves an autoencoder manifest', async () => {
    const reports: TrainingMetricsReport[] = [];
    const r = await trainModel(FASHION64, { pool, out: out(), backend: 'cpu', model: 'autoencoder', autoencoder: { ...tinyAe, validationSplit: 0.25 }, onMetrics: (m) => reports.push(m), reportEverySeconds: 0 });
    assert.match(r.modelId, /^fashion64-images-idx3-ubyte-autoencoder-/);
    assert.equal(reports[0]!.run?.kind, 'autoencoder');
    assert.equal(reports[0]!.run?.totalSteps, 4);
    assert.deepEqual(reports.filter((m) => m.event === 'step').map((m) => m.step), [1, 2, 3, 4]);
    for (const m of reports) {
      assert.ok(m.metrics.reconstructionLoss! > 0 && m.metrics.contrastiveLoss! >= 0 && m.metrics.embeddingStd! > 0, JSON.stringify(m.metrics));
      assert.equal(m.metrics.activeTriplets, undefined);
      assert.equal(m.metrics.perceptualLoss, undefined, 'weight 0: not computed, not reported');
    }
    const epochs = reports.filter((m) => m.event === 'epoch');
    assert.equal(epochs.length, 2);
    assert.ok(epochs.every((m) => m.metrics.valLoss! > 0 && typeof m.metrics.precisionAt1 === 'number'), JSON.stringify(epochs.map((m) => m.metrics)));
    const manifest = await readManifest(out());
    assert.equal(manifest.model, 'autoencoder');
    assert.deepEqual(manifest.autoencoder, { kind: 'dense', latentDim: 6, output: 'sigmoid', weights: { reconstruction: 1, latent: 0.1, perceptual: 0 }, latentLoss: 'contrastive', positives: { labels: true, views: false }, perceptual: null });
    assert.equal(manifest.embeddingDim, 6);
    assert.equal(manifest.history.perEpoch.length, 2);
    assert.ok(manifest.history.perEpoch.every((e) => e.valLoss! > 0));
    assert.equal(r.metrics.valLoss, manifest.metrics.valLoss);
  });

  void it('its embeddings are the latent codes, and reconstruct() its output, exactly as the model loaded here gives them', async () => {
    const loaded = await pool.run('loadVectors', { file: FASHION64, read: {}, features: 'raw' });
    const inputs = denseInputs(loaded.features, [28, 28, 1]);
    const { model } = await loadModel(out());
    const views = autoencoderFromModel(model);
    try {
      const embedded = await modelEmbeddings(FASHION64, { pool, modelDir: out(), backend: 'cpu', reconstruct: 5 });
      assert.equal(embedded.index.dim, 6);
      assert.deepEqual(embedded.index.features, latentCodes(views, inputs));
      const expected = tf.tidy(() => views.autoencoder.predict(tf.tensor(loaded.features.subarray(0, 5 * 784), [5, 28, 28, 1])) as tf.Tensor).dataSync();
      assert.deepEqual(embedded.reconstructions, expected);
      const rows = loaded.features.slice(0, 3 * 784);
      const r = await reconstruct(out(), rows, { pool, backend: 'cpu' });
      assert.deepEqual(r.shape, [3, 28, 28, 1]);
      assert.deepEqual(r.values, expected.subarray(0, 3 * 784));
      let mse = 0;
      for (let i = 0; i < 5 * 784; i++) mse += (expected[i]! - loaded.features[i]!) ** 2;
      assert.ok(Math.abs(embedded.reconstructionMse! - mse / (5 * 784)) < 1e-6);
      await assert.rejects(reconstruct(out(), new Float32Array(10), { pool }), /10 values are not whole rows of \[28, 28, 1\]/);
    } finally {
      disposeAutoencoder(views);
    }
  });

  void it('the embedding map of an autoencoder carries one reconstruction per record beside the previews; other maps carry none', async () => {
    const map = await buildEmbeddingMap(FASHION64, { pool, modelDir: out() });
    assert.equal(map.map.reconstructions?.length, 64);
    assert.equal(map.map.previews?.length, 64);
    const first = map.map.reconstructions![0]!;
    assert.equal(first.type, 'pixels');
    if (first.type !== 'pixels') return;
    assert.deepEqual([first.width, first.height, first.channels], [28, 28, 1]);
    assert.equal(Buffer.from(first.data, 'base64').length, 784);
    assert.notEqual(first.data, (map.map.previews![0] as { data: string }).data, 'a reconstruction, not the original');
    const raw = await buildEmbeddingMap(FASHION64, { pool });
    assert.equal(raw.map.reconstructions, undefined);
  });

  void it('reconstruction previews: tables back in their units, DNA as its likeliest bases, volumes by their middle slice', () => {
    const table = reconstructionPreviews({ data: { kind: 'table', format: 'csv', dataset: 'x', records: 1, inputShape: [2], encoderKind: 'dense' }, preprocessing: { features: 'scaled', scaler: { type: 'StandardScaler', version: 1, mean: [10, 0], scale: [2, 1], count: 5, dim: 2 }, columns: ['a', 'b'] } }, Float32Array.from([1, -0.5]), 1);
    assert.deepEqual(table, [{ type: 'text', text: 'a=12, b=-0.5' }]);
    const dna = reconstructionPreviews({ data: { kind: 'sequence', format: 'fasta', dataset: 'x', records: 1, inputShape: [4, 4], encoderKind: 'conv1d' }, preprocessing: { features: 'one-hot', oneHotLength: 4 } }, Float32Array.from([0.9, 0, 0, 0.1, 0, 0.2, 0.7, 0, 0.1, 0.1, 0, 0.05, 0, 0, 0, 0]), 1);
    assert.deepEqual(dna, [{ type: 'text', text: 'AG' }]);
    const volume = reconstructionPreviews({ data: { kind: 'volume', format: 'npy', dataset: 'x', records: 1, inputShape: [3, 1, 2, 1], encoderKind: 'conv3d' }, preprocessing: { features: 'raw' } }, Float32Array.from([9, 9, 0.5, 1, 9, 9]), 1);
    assert.deepEqual(volume, [{ type: 'pixels', width: 2, height: 1, channels: 1, data: Buffer.from([128, 255]).toString('base64') }]);
  });

  void it('Stop (stopSignal) ends a run after the current step with a saved, usable model — an autoencoder and a Siamese model', async () => {
    for (const kind of ['autoencoder', 'siamese'] as const) {
      const stop = new AbortController();
      const dirOf = path.join(dir, `stopped-${kind}`);
      const file = kind === 'autoencoder' ? FASHION64 : path.join(FIXTURES, 'tables/iris.csv');
      const r = await trainModel(file, {
        pool,
        out: dirOf,
        backend: 'cpu',
        reportEverySeconds: 0,
        ...(kind === 'autoencoder' ? { model: kind, autoencoder: { ...tinyAe, epochs: 200, stepsPerEpoch: 3 } } : { config: { epochs: 200, stepsPerEpoch: 3, classesPerBatch: 3, perClass: 4, encoder: { embeddingDim: 8 } } }),
        stopSignal: stop.signal,
        onMetrics: (m) => {
          if (m.event === 'step' && m.step === 5) stop.abort();
        },
      });
      assert.equal(r.stopReason, 'stopped', kind);
      assert.equal(r.epochs, 2, `${kind}: the epoch in progress (2 of 3 steps done at the stop) is scored`);
      const manifest = await readManifest(dirOf);
      assert.equal(manifest.history.stopReason, 'stopped');
      assert.equal(manifest.model, kind);
      const embedded = await modelEmbeddings(file, { pool, modelDir: dirOf, backend: 'cpu' });
      assert.ok(embedded.index.features.length > 0 && embedded.index.features.every(Number.isFinite), `${kind}: the stopped model embeds`);
    }
    // Stopped before the first step: nothing trained, nothing saved, and the caller hears so.
    const early = path.join(dir, 'stopped-early');
    await assert.rejects(trainModel(FASHION64, { pool, out: early, backend: 'cpu', model: 'autoencoder', autoencoder: tinyAe, stopSignal: AbortSignal.abort() }), (e: Error) => isCancellation(e) && /stopped before its first step: no model was saved/.test(e.message));
    assert.equal(existsSync(early), false);
  });
});
