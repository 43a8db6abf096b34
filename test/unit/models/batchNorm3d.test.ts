/**
 * BatchNormalization3D: per-channel normalisation of rank-5 tensors, against a plain reference
 * (mean and population variance per channel), in training and inference; running averages;
 * the same numbers as tf.layers.batchNormalization on the same data reshaped to rank 4; save and
 * load; and training through it on the wasm backend.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BatchNormalization3D, batchNormalization3d } from '../../../server/engine/models/batchNorm3d';
import { initBackend } from '../../../server/engine/models/backend';
import { mulberry32 } from '../features/rng';
import { assertClose } from './tensorChecks';

const shape: [number, number, number, number, number] = [3, 4, 2, 5, 3];
const C = 3;

function data(seed: number): Float32Array {
  const rng = mulberry32(seed);
  // Channels on different scales and offsets, so a per-channel mistake shows.
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (rng() - 0.3) * (1 + (i % C) * 4) + (i % C) * 10);
}

/** Per channel: mean and population variance over every other axis. */
function referenceMoments(x: Float32Array): { mean: number[]; variance: number[] } {
  const mean = new Array<number>(C).fill(0);
  const variance = new Array<number>(C).fill(0);
  const count = x.length / C;
  x.forEach((v, i) => (mean[i % C] += v / count));
  x.forEach((v, i) => (variance[i % C] += (v - (mean[i % C] as number)) ** 2 / count));
  return { mean, variance };
}

function referenceNormalise(x: Float32Array, mean: number[], variance: number[], gamma: number[], beta: number[], eps: number): number[] {
  return Array.from(x, (v, i) => ((v - (mean[i % C] as number)) / Math.sqrt((variance[i % C] as number) + eps)) * (gamma[i % C] as number) + (beta[i % C] as number));
}

function withWeights(layer: BatchNormalization3D): { gamma: number[]; beta: number[] } {
  layer.build(shape);
  const gamma = [0.5, 2, -1];
  const beta = [1, -3, 0.25];
  layer.setWeights([tf.tensor1d(gamma), tf.tensor1d(beta), tf.tensor1d([0, 0, 0]), tf.tensor1d([1, 1, 1])]);
  return { gamma, beta };
}

void describe('BatchNormalization3D', () => {
  void it('in training, normalises each channel by the batch mean and variance and moves the running averages', async () => {
    await tf.setBackend('cpu');
    const xv = data(1);
    const layer = batchNormalization3d({ momentum: 0.9, epsilon: 1e-3 });
    const { gamma, beta } = withWeights(layer);
    const y = layer.apply(tf.tensor(xv, shape), { training: true }) as tf.Tensor;
    const { mean, variance } = referenceMoments(xv);
    assert.deepEqual(y.shape, shape);
    assertClose(await y.data(), referenceNormalise(xv, mean, variance, gamma, beta, 1e-3), 1e-4, 'training output');
    const [, , movingMean, movingVariance] = layer.getWeights();
    assertClose(await (movingMean as tf.Tensor).data(), mean.map((m) => 0.1 * m), 1e-5, 'running mean');
    assertClose(await (movingVariance as tf.Tensor).data(), variance.map((v) => 0.9 + 0.1 * v), 1e-5, 'running variance');
  });

  void it('in inference, normalises by the running averages and leaves them alone', async () => {
    await tf.setBackend('cpu');
    const xv = data(2);
    const layer = new BatchNormalization3D({ epsilon: 0.01 });
    const { gamma, beta } = withWeights(layer);
    const runMean = [5, -2, 30];
    const runVar = [4, 0.5, 9];
    layer.setWeights([tf.tensor1d(gamma), tf.tensor1d(beta), tf.tensor1d(runMean), tf.tensor1d(runVar)]);
    const y = layer.apply(tf.tensor(xv, shape)) as tf.Tensor;
    assertClose(await y.data(), referenceNormalise(xv, runMean, runVar, gamma, beta, 0.01), 1e-5, 'inference output');
    assertClose(await (layer.getWeights()[2] as tf.Tensor).data(), runMean, 0, 'running mean unchanged');
  });

  void it('gives what tf.layers.batchNormalization gives on the data reshaped to rank 4, gradients included', async () => {
    await tf.setBackend('cpu');
    const xv = data(3);
    const ours = batchNormalization3d();
    withWeights(ours);
    const theirs = tf.layers.batchNormalization();
    theirs.build([shape[0] * shape[1], shape[2], shape[3], C]);
    theirs.setWeights(ours.getWeights());
    const x = tf.tensor(xv, shape);
    const x4 = x.reshape([shape[0] * shape[1], shape[2], shape[3], C]);
    for (const training of [true, false]) {
      const a = ours.apply(x, { training }) as tf.Tensor;
      const b = theirs.apply(x4, { training }) as tf.Tensor;
      assertClose(await a.data(), await b.data(), 1e-5, `training=${training}`);
    }
    const weights = tf.tensor(data(4), shape);
    const gOurs = tf.grad((t: tf.Tensor) => (ours.apply(t, { training: true }) as tf.Tensor).mul(weights).sum())(x);
    const gTheirs = tf.grad((t: tf.Tensor) => (theirs.apply(t, { training: true }) as tf.Tensor).mul(weights.reshape(x4.shape)).sum())(x4);
    assertClose(await gOurs.data(), await gTheirs.data(), 1e-4, 'input gradient');
  });

  void it('refuses inputs that are not rank 5, and bad settings, with a message', () => {
    assert.throws(() => batchNormalization3d().build([2, 3, 4, 5]), /expected rank-5 input/);
    assert.throws(() => batchNormalization3d({ momentum: 1.5 }), /momentum 1.5/);
    assert.throws(() => batchNormalization3d({ epsilon: 0 }), /epsilon 0/);
  });

  void it('saves and loads inside a model (registered with tf.serialization): same config, weights and outputs', async () => {
    await tf.setBackend('cpu');
    const model = tf.sequential({
      layers: [
        tf.layers.conv3d({ inputShape: [4, 6, 6, 1], filters: 3, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }),
        batchNormalization3d({ momentum: 0.8, epsilon: 0.002 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }),
      ],
    });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = tf.tensor(Float32Array.from({ length: 2 * 4 * 6 * 6 }, (_, i) => Math.sin(i)), [2, 4, 6, 6, 1]);
    await model.fit(x, tf.tensor2d([[1, 0], [0, 1]]), { epochs: 2, verbose: 0 }); // moves the running averages
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    assert.ok(saved);
    assert.match(JSON.stringify(saved.modelTopology), /"class_name":"BatchNormalization3D"/);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
    const bn = loaded.layers[1] as BatchNormalization3D;
    assert.ok(bn instanceof BatchNormalization3D);
    assert.equal(bn.momentum, 0.8);
    assert.equal(bn.epsilon, 0.002);
    assertClose(await (loaded.predict(x) as tf.Tensor).data(), await (model.predict(x) as tf.Tensor).data(), 1e-6, 'outputs after loading');
  });

  void it('trains on the wasm backend: a Conv3D + BatchNormalization3D model gets the same weights after one step as on cpu', async () => {
    const choice = await initBackend('wasm');
    assert.equal(choice.backend, 'wasm', choice.reason);
    const x = Float32Array.from({ length: 2 * 4 * 6 * 6 }, (_, i) => Math.cos(i * 0.7));
    const step = async (backend: 'cpu' | 'wasm'): Promise<Float32Array[]> => {
      await tf.setBackend(backend);
      const model = tf.sequential({
        layers: [
          tf.layers.conv3d({ inputShape: [4, 6, 6, 1], filters: 3, kernelSize: 2, strides: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) }),
          batchNormalization3d(),
          tf.layers.flatten(),
          tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }) }),
        ],
      });
      model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
      await model.trainOnBatch(tf.tensor(x, [2, 4, 6, 6, 1]), tf.tensor2d([[1, 0], [0, 1]]));
      return Promise.all(model.getWeights().map((w) => w.data() as Promise<Float32Array>));
    };
    const cpu = await step('cpu');
    const wasm = await step('wasm');
    cpu.forEach((w, i) => assertClose(wasm[i] as Float32Array, w, 1e-4, `weight ${i}`));
  });
});
