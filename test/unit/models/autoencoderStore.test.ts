import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { autoencoderFromModel, disposeAutoencoder } from '../../../server/engine/models/autoencoder';
import { reconstruct } from '../../../server/engine/models/autoencoderStep';
import { latentCodes, trainAutoencoder } from '../../../server/engine/models/autoencoderTraining';
import { loadModel, newModelId, readManifest, saveModel, type ModelManifest } from '../../../server/engine/models/modelStore';
import { mulberry32 } from '../../../server/engine/random';
import { denseInputs } from '../../../server/engine/models/training';

let dir: string;
before(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(path.join(os.tmpdir(), 'simlab-autoencoder-store-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function randomRows(n: number, shape: number[], seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: n * shape.reduce((a, b) => a * b, 1) }, () => random());
}

function manifestFor(kind: ModelManifest['data']['encoderKind'], inputShape: number[], latentDim: number): Omit<ModelManifest, 'files' | 'format' | 'version'> {
  return {
    modelId: newModelId('test', new Date('2026-01-02T03:04:05.678Z'), 'autoencoder'),
    created: '2026-01-02T03:04:05.678Z',
    model: 'autoencoder',
    data: { kind: kind === 'conv1d' ? 'sequence' : kind === 'conv2d' ? 'image' : kind === 'conv3d' ? 'volume' : 'table', format: 'test', dataset: 'x', records: 12, inputShape, encoderKind: kind },
    autoencoder: { kind, latentDim, output: 'sigmoid', weights: { reconstruction: 1, latent: 0.1, perceptual: 0 }, latentLoss: 'contrastive', positives: { labels: false, views: true }, perceptual: null },
    preprocessing: { features: 'raw' },
    config: {},
    metrics: {},
    history: { epochs: 1, bestEpoch: 1, stopReason: 'epochs', seconds: 1, samplesPerSecond: 10, perEpoch: [{ epoch: 1, loss: 0.1, valLoss: 0.1 }] },
    backend: 'cpu',
    classes: [],
    embeddingDim: latentDim,
    distance: 'cosine',
    euclideanWeight: 0.5,
  };
}

void describe('autoencoder models on disk', () => {
  void it('round-trip every kind (upsampling and crop layers, 3-D batch norm): the reloaded model gives the same latent codes and reconstructions, and frees all it holds', async () => {
    const cases: [ModelManifest['data']['encoderKind'], number[]][] = [
      ['dense', [5]],
      ['conv1d', [12, 4]],
      ['conv2d', [7, 7, 1]],
      ['conv3d', [5, 4, 4, 1]],
    ];
    for (const [kind, shape] of cases) {
      const data = randomRows(12, shape, 3);
      const inputs = denseInputs(data, shape);
      // Two trained steps: batch norm's moving statistics are no longer their initial values.
      const r = await trainAutoencoder({ inputs }, { autoencoder: { kind, latentDim: 3, ...(kind === 'dense' ? { hidden: [4] } : { filters: [2, 3] }) }, epochs: 1, stepsPerEpoch: 2, batchSize: 6, validationSplit: 0 });
      const out = path.join(dir, kind);
      await saveModel(out, r.models.autoencoder, manifestFor(kind, shape, 3));
      const before = tf.memory().numTensors;
      const loaded = await loadModel(out);
      const views = autoencoderFromModel(loaded.model);
      assert.equal(views.kind, kind);
      assert.equal(views.latentDim, 3);
      assert.deepEqual(latentCodes(views, inputs), latentCodes(r.models, inputs), `${kind}: latent codes`);
      assert.deepEqual(reconstruct(views, data, 4).outputs, reconstruct(r.models, data, 4).outputs, `${kind}: reconstructions`);
      disposeAutoencoder(views);
      assert.equal(tf.memory().numTensors, before, `${kind}: the loaded model freed`);
      assert.equal(loaded.manifest.model, 'autoencoder');
      assert.equal(loaded.manifest.modelId, 'test-autoencoder-20260102T030405Z');
      disposeAutoencoder(r.models);
    }
  });

  void it('a manifest of an unknown kind of model, or an autoencoder that does not say what it is, is refused naming the field', async () => {
    const out = path.join(dir, 'dense');
    const file = path.join(out, 'manifest.json');
    const good = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...good, model: 'gan' }));
    await assert.rejects(readManifest(out), /manifest\.json: field 'model' is "gan", expected siamese or autoencoder/);
    const { autoencoder: _a, ...withoutSummary } = good;
    writeFileSync(file, JSON.stringify(withoutSummary));
    await assert.rejects(readManifest(out), /manifest\.json: field 'autoencoder' is missing/);
  });
});
