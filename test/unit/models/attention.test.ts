import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { DimensionAttention, L2Normalize, attentionWeights } from '../../../server/engine/models/attention';

/** Save to memory and load back: what a model directory round trip does, without the files. */
async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  return tf.loadLayersModel(tf.io.fromMemory(artifacts!));
}

function norms(rows: number[][]): number[] {
  return rows.map((r) => Math.hypot(...r));
}

void describe('DimensionAttention', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  void it('starts with equal weights 1/dim: the output is the L2-normalised input', () => {
    const model = tf.sequential({ layers: [new DimensionAttention({ inputShape: [4] })] });
    const w = attentionWeights(model)!;
    assert.deepEqual(Array.from(w).map((v) => Math.round(v * 1e6) / 1e6), [0.25, 0.25, 0.25, 0.25]);
    const y = (model.predict(tf.tensor2d([[3, 0, 4, 0], [1, 1, 1, 1]])) as tf.Tensor).arraySync() as number[][];
    assert.ok(Math.abs(y[0]![0]! - 0.6) < 1e-6 && Math.abs(y[0]![2]! - 0.8) < 1e-6, JSON.stringify(y));
    assert.ok(y[1]!.every((v) => Math.abs(v - 0.5) < 1e-6));
  });

  void it('weights = softmax(logits), in [0, 1], sum 1; applied before normalisation; survive save/load', async () => {
    const model = tf.sequential({ layers: [new DimensionAttention({ inputShape: [3] })] });
    model.layers[0]!.setWeights([tf.tensor1d([Math.log(1), Math.log(2), Math.log(5)])]);
    const w = attentionWeights(model)!;
    const want = [1 / 8, 2 / 8, 5 / 8];
    w.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `weight ${i}: ${v}`));
    const x = tf.tensor2d([[1, 1, 1], [2, -1, 0.5]]);
    const y = (model.predict(x) as tf.Tensor).arraySync() as number[][];
    // Row 0: (1, 2, 5) / ‖(1, 2, 5)‖.
    const r = Math.hypot(1, 2, 5);
    [1 / r, 2 / r, 5 / r].forEach((v, i) => assert.ok(Math.abs(y[0]![i]! - v) < 1e-6));
    norms(y).forEach((n) => assert.ok(Math.abs(n - 1) < 1e-6));

    const loaded = await roundTrip(model);
    assert.equal(loaded.layers[0]!.getClassName(), DimensionAttention.className);
    assert.deepEqual(attentionWeights(loaded), w);
    assert.deepEqual((loaded.predict(x) as tf.Tensor).arraySync(), y);
  });

  void it('the logits are trainable: a gradient step moves weight toward a useful dimension', () => {
    const model = tf.sequential({ layers: [new DimensionAttention({ inputShape: [2] })] });
    const optimizer = tf.train.sgd(1);
    // Reward a large first coordinate of the normalised output for inputs (1, 1).
    for (let i = 0; i < 5; i++) optimizer.minimize(() => tf.neg(tf.sum(tf.slice((model.apply(tf.ones([1, 2])) as tf.Tensor2D), [0, 0], [1, 1]))) as tf.Scalar);
    const w = attentionWeights(model)!;
    assert.ok(w[0]! > 0.6 && Math.abs(w[0]! + w[1]! - 1) < 1e-6, `weights ${Array.from(w)}`);
  });

  void it('L2Normalize normalises rows and round-trips; a model without attention has no weights to read', async () => {
    const model = tf.sequential({ layers: [new L2Normalize({ inputShape: [2] })] });
    const x = tf.tensor2d([[3, 4], [0, 0]]);
    const y = (model.predict(x) as tf.Tensor).arraySync() as number[][];
    assert.ok(Math.abs(y[0]![0]! - 0.6) < 1e-6 && Math.abs(y[0]![1]! - 0.8) < 1e-6);
    assert.deepEqual(y[1], [0, 0]);
    assert.equal(attentionWeights(model), null);
    const loaded = await roundTrip(model);
    assert.deepEqual((loaded.predict(x) as tf.Tensor).arraySync(), y);
  });

  void it('rejects an input that is not [batch, dim]', () => {
    assert.throws(() => tf.sequential({ layers: [new DimensionAttention({ inputShape: [2, 3] })] }), /input must be \[batch, dim\]/);
  });
});
