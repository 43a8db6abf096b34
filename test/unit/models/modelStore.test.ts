import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { encoderFor, type EncoderKind } from '../../../server/engine/models/encoders';
import { loadModel, MODEL_FORMAT, newModelId, readManifest, saveModel, type ModelManifest } from '../../../server/engine/models/modelStore';
import { embed } from '../../../server/engine/models/siamese';

let dir: string;
before(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(path.join(os.tmpdir(), 'simlab-model-store-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function manifestFor(kind: EncoderKind, inputShape: number[]): Omit<ModelManifest, 'files' | 'format' | 'version'> {
  return {
    modelId: newModelId('test', new Date('2026-01-02T03:04:05.678Z')),
    created: '2026-01-02T03:04:05.678Z',
    model: 'siamese',
    data: { kind: kind === 'conv1d' ? 'sequence' : kind === 'conv2d' ? 'image' : kind === 'conv3d' ? 'volume' : 'table', format: 'test', dataset: 'x', records: 4, inputShape, encoderKind: kind },
    preprocessing: { features: 'raw' },
    config: { epochs: 1 },
    metrics: { precisionAt1: 0.5 },
    history: { epochs: 1, bestEpoch: 1, stopReason: 'epochs', seconds: 1, samplesPerSecond: 10, perEpoch: [{ epoch: 1, loss: 0.1 }] },
    backend: 'cpu',
    classes: ['a', 'b'],
    embeddingDim: 4,
    distance: 'cosine',
    euclideanWeight: 0.5,
  };
}

void describe('model store', () => {
  void it('round-trips every encoder kind: same embeddings after load, manifest kept, no stray temp files', async () => {
    const cases: [EncoderKind, number[]][] = [
      ['dense', [5]],
      ['conv1d', [12, 4]],
      ['conv2d', [6, 6, 1]],
      ['conv3d', [4, 4, 4, 1]],
    ];
    for (const [kind, shape] of cases) {
      const model = encoderFor(kind, shape, { filters: [3], embeddingDim: 4, seed: 5 });
      const x = tf.randomNormal([3, ...shape], 0, 1, 'float32', 9);
      const out = path.join(dir, kind);
      const written = await saveModel(out, model, manifestFor(kind, shape));
      assert.equal(written.format, MODEL_FORMAT);
      assert.deepEqual(readdirSync(out).sort(), ['manifest.json', 'model.json', 'weights.bin']);
      const loaded = await loadModel(out);
      assert.deepEqual(embed(loaded.model, x), embed(model, x), kind);
      assert.deepEqual(loaded.manifest, written);
      assert.equal(loaded.manifest.modelId, 'test-siamese-20260102T030405Z');
      loaded.model.dispose();
      model.dispose();
      x.dispose();
    }
  });

  void it('errors name the file: missing manifest, bad JSON, foreign format, truncated weights, missing weights, shape mismatch', async () => {
    const model = encoderFor('dense', [5], { embeddingDim: 4 });
    const out = path.join(dir, 'broken');
    await saveModel(out, model, manifestFor('dense', [5]));
    const manifest = path.join(out, 'manifest.json');
    const weights = path.join(out, 'weights.bin');
    const good = readFileSync(manifest, 'utf8');
    const goodWeights = readFileSync(weights);

    await assert.rejects(loadModel(path.join(dir, 'nowhere')), (e: Error) => e.name === 'InputError' && /nowhere\/manifest\.json: missing — .* is not a Similarity Lab model folder/.test(e.message));
    writeFileSync(manifest, '{ nope');
    await assert.rejects(loadModel(out), /broken\/manifest\.json: not valid JSON/);
    writeFileSync(manifest, JSON.stringify({ format: 'keras' }));
    await assert.rejects(loadModel(out), /manifest\.json: not a Similarity Lab model manifest \(format is "keras"/);
    writeFileSync(manifest, JSON.stringify({ ...JSON.parse(good), version: 99 }));
    await assert.rejects(loadModel(out), /format version 99 is newer/);
    writeFileSync(manifest, JSON.stringify({ ...JSON.parse(good), data: { ...JSON.parse(good).data, inputShape: [6] } }));
    await assert.rejects(loadModel(out), /manifest\.json: input shape \[6\] does not match the model's \[5\]/);
    writeFileSync(manifest, good);
    writeFileSync(weights, goodWeights.subarray(0, 10));
    await assert.rejects(loadModel(out), /broken\/weights\.bin: does not match manifest\.json \(SHA-256 differs\)/);
    unlinkSync(weights);
    await assert.rejects(loadModel(out), /broken\/weights\.bin: missing/);
    writeFileSync(weights, goodWeights);
    const ok = await loadModel(out);
    assert.equal((await readManifest(out)).modelId, ok.manifest.modelId);
    ok.model.dispose();
    model.dispose();
  });

  void it('saving again replaces the files (a checkpoint overwritten by a better epoch)', async () => {
    const out = path.join(dir, 'again');
    const a = encoderFor('dense', [3], { embeddingDim: 4, seed: 1 });
    const b = encoderFor('dense', [3], { embeddingDim: 4, seed: 2 });
    await saveModel(out, a, manifestFor('dense', [3]));
    await saveModel(out, b, { ...manifestFor('dense', [3]), metrics: { precisionAt1: 0.9 } });
    const loaded = await loadModel(out);
    const x = tf.ones([1, 3]);
    assert.deepEqual(embed(loaded.model, x), embed(b, x));
    assert.equal(loaded.manifest.metrics.precisionAt1, 0.9);
    assert.deepEqual(readdirSync(out).sort(), ['manifest.json', 'model.json', 'weights.bin']);
    tf.dispose([x]);
    [a, b, loaded.model].forEach((m) => m.dispose());
  });
});
