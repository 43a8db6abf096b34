/**
 * Our FusedBatchNorm and Mean gradients (batchNormGrad.ts, registered over tfjs-core's when the
 * wasm or cpu training kernels are installed) against autodiff through elementary ops on the
 * cpu backend: random shapes, per-channel and broadcast
 * statistics, statistics from tf.moments (as a training batch-norm layer computes them), and
 * one training step of a batch-norm conv net on wasm against cpu.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../server/engine/models/backend';
import { mulberry32 } from '../features/rng';
import { assertClose, on, type Backend } from './tensorChecks';

function uniforms(n: number, seed: number, lo: number, hi: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng());
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** y = (x − mean)·rsqrt(variance + ε)·scale + offset from elementary ops: its gradients are tfjs-core's generic ones. */
function elementaryBatchNorm(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, offset: tf.Tensor | undefined, scale: tf.Tensor | undefined, eps: number): tf.Tensor {
  let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  if (scale) y = tf.mul(y, scale);
  if (offset) y = tf.add(y, offset);
  return y;
}

before(async () => {
  const choice = await initBackend('wasm');
  assert.equal(choice.backend, 'wasm', choice.reason);
});

void describe('batch-norm gradients', () => {
  void it('tf.batchNorm gradients (x, mean, variance, scale, offset) match autodiff of the formula, on wasm and cpu', async () => {
    const cases = fc.record({
      lead: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
      c: fc.integer({ min: 1, max: 6 }),
      broadcastStats: fc.boolean(),
      eps: fc.constantFrom(1e-3, 1e-5, 0.1),
      seed: fc.integer({ min: 1, max: 1e6 }),
    });
    await fc.assert(
      fc.asyncProperty(cases, async (s) => {
        const shape = [...s.lead, s.c];
        // Per-channel statistics, scale and offset ([c], our path) or full-shape ones (tfjs-core's gradient).
        const statShape = s.broadcastStats ? shape : [s.c];
        const xv = uniforms(size(shape), s.seed, -2, 2);
        const wv = uniforms(size(shape), s.seed + 1, -1, 1);
        const mv = uniforms(size(statShape), s.seed + 2, -1, 1);
        const vv = uniforms(size(statShape), s.seed + 3, 0.2, 2);
        const sv = uniforms(size(statShape), s.seed + 4, 0.5, 1.5);
        const ov = uniforms(size(statShape), s.seed + 5, -1, 1);
        const grads = (fused: boolean) => (): tf.Tensor[] => {
          const weights = tf.tensor(wv, shape);
          const inputs = [tf.tensor(xv, shape), tf.tensor(mv, statShape), tf.tensor(vv, statShape), tf.tensor(sv, statShape), tf.tensor(ov, statShape)];
          const f = (x: tf.Tensor, m: tf.Tensor, v: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor): tf.Scalar => {
            // (tfjs-core cannot differentiate a batchNorm without scale or offset: it saves and walks them unconditionally.)
            const y = fused ? tf.batchNorm(x, m, v, offset as tf.Tensor1D, scale as tf.Tensor1D, s.eps) : elementaryBatchNorm(x, m, v, offset, scale, s.eps);
            return tf.sum(tf.mul(y, weights));
          };
          return tf.grads(f as (...args: tf.Tensor[]) => tf.Scalar)(inputs);
        };
        const reference = await on('cpu', grads(false));
        const label = JSON.stringify(s);
        for (const backend of ['wasm', 'cpu'] as const) {
          const ours = await on(backend, grads(true));
          for (let i = 0; i < 5; i++) assertClose(ours[i] as Float32Array, reference[i] as Float32Array, 2e-4, `${label} ${backend} grad ${['x', 'mean', 'variance', 'scale', 'offset'][i]}`);
        }
      }),
      { numRuns: 60, seed: 2024 },
    );
  });

  void it('a training batch norm (statistics from tf.moments) and tf.mean over any axes differentiate like the formula', async () => {
    const cases = fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 4 }),
      keepDims: fc.boolean(),
      axisSeed: fc.integer({ min: 1, max: 1e6 }),
      seed: fc.integer({ min: 1, max: 1e6 }),
    });
    await fc.assert(
      fc.asyncProperty(cases, async (s) => {
        const shape = s.shape;
        const c = shape[shape.length - 1] as number;
        const leading = shape.slice(0, -1).map((_, i) => i);
        const rng = mulberry32(s.axisSeed);
        const meanAxes = shape.map((_, i) => i).filter(() => rng() < 0.5);
        const axes = meanAxes.length ? meanAxes : [0];
        const xv = uniforms(size(shape), s.seed, -2, 2);
        const wv = uniforms(size(shape), s.seed + 1, -1, 1);
        const mw = uniforms(size(shape), s.seed + 2, -1, 1);
        const grads = (fused: boolean) => (): tf.Tensor[] => {
          const x = tf.tensor(xv, shape);
          const gamma = tf.tensor1d(uniforms(c, s.seed + 3, 0.5, 1.5));
          const beta = tf.tensor1d(uniforms(c, s.seed + 4, -1, 1));
          const weights = tf.tensor(wv, shape);
          const norm = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Scalar => {
            let y: tf.Tensor;
            if (fused) {
              const { mean, variance } = tf.moments(a, leading);
              y = tf.batchNorm(a, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, 1e-3);
            } else {
              const mean = tf.div(tf.sum(a, leading), size(shape.slice(0, -1)));
              const variance = tf.div(tf.sum(tf.square(tf.sub(a, mean)), leading), size(shape.slice(0, -1)));
              y = elementaryBatchNorm(a, mean, variance, b, g, 1e-3);
            }
            return tf.sum(tf.mul(y, weights));
          };
          const meanLoss = (a: tf.Tensor): tf.Scalar => {
            const m = fused ? tf.mean(a, axes, s.keepDims) : tf.div(tf.sum(a, axes, s.keepDims), axes.reduce((p, i) => p * (shape[i] as number), 1));
            return tf.sum(tf.mul(m, tf.tensor(mw.subarray(0, m.size), m.shape)));
          };
          return [...tf.grads(norm as (...args: tf.Tensor[]) => tf.Scalar)([x, gamma, beta]), tf.grad(meanLoss)(x)];
        };
        const reference = await on('cpu', grads(false));
        for (const backend of ['wasm', 'cpu'] as const) {
          const ours = await on(backend, grads(true));
          for (let i = 0; i < 4; i++) assertClose(ours[i] as Float32Array, reference[i] as Float32Array, 5e-4, `${JSON.stringify({ ...s, axes })} ${backend} ${['dx', 'dgamma', 'dbeta', 'dmean-x'][i]}`);
        }
      }),
      { numRuns: 60, seed: 99 },
    );
  });

  void it('one Adam step of a batch-norm conv net gives the same weights on wasm as on cpu', async () => {
    const build = (): tf.LayersModel => {
      const m = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [10, 10, 1], filters: 4, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
          tf.layers.batchNormalization(),
          tf.layers.reLU(),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
          tf.layers.batchNormalization(),
          tf.layers.reLU(),
          tf.layers.flatten(),
          tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
        ],
      });
      m.compile({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy' });
      return m;
    };
    const xv = uniforms(8 * 100, 9, -1, 1);
    const yv = Float32Array.from({ length: 8 }, (_, i) => i % 3);
    const weightsAfterSteps = async (backend: Backend): Promise<Float32Array[]> => {
      await tf.setBackend(backend);
      const model = build();
      const x = tf.tensor4d(xv, [8, 10, 10, 1]);
      const y = tf.tensor2d(yv, [8, 1]);
      for (let i = 0; i < 2; i++) await model.trainOnBatch(x, y);
      const out = await Promise.all(model.getWeights().map((w) => w.data() as Promise<Float32Array>));
      tf.dispose([x, y]);
      model.dispose();
      return out;
    };
    const cpu = await weightsAfterSteps('cpu');
    const wasm = await weightsAfterSteps('wasm');
    assert.equal(wasm.length, cpu.length);
    for (let i = 0; i < cpu.length; i++) assertClose(wasm[i] as Float32Array, cpu[i] as Float32Array, 1e-4, `weight ${i}`);
  });
});
