/**
 * Adam by slices (adamSlice.ts) against tfjs's own Adam on the cpu backend: the same weights bit
 * for bit over several steps, for rows of gradients summed as the reduce-scatter sums them, with
 * the learning rate changed between steps, and whatever the split of the vector into slices.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { AdamSlice } from '../../../server/engine/models/adamSlice';
import { initBackend } from '../../../server/engine/models/backend';
import { mulberry32 } from '../features/rng';

function normals(n: number, rng: () => number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, () => scale * (rng() + rng() + rng() - 1.5));
}

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** Weights after `steps` tfjs Adam steps on the summed rows (the sum rounded to float32 once). */
function tfjsAdam(initial: Float32Array, gradients: Float32Array[], rows: number, rates: number[], beta1: number, beta2: number): Float32Array {
  const n = initial.length;
  const v = tf.variable(tf.tensor1d(initial));
  const optimizer = tf.train.adam(rates[0], beta1, beta2);
  gradients.forEach((g, step) => {
    (optimizer as unknown as { learningRate: number }).learningRate = rates[step]!;
    const summed = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = g[i]!;
      for (let r = 1; r < rows; r++) s += g[r * n + i]!;
      summed[i] = s;
    }
    const t = tf.tensor1d(summed);
    optimizer.applyGradients([{ name: v.name, tensor: t }]);
    t.dispose();
  });
  const out = v.dataSync().slice() as Float32Array;
  optimizer.dispose();
  v.dispose();
  return out;
}

before(async () => {
  await initBackend('cpu');
});

void describe('Adam by slices', () => {
  void it('equals tfjs Adam bit for bit, for any split into slices, rows of gradients and learning rates', () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 1, max: 300 }),
          rows: fc.integer({ min: 1, max: 4 }),
          steps: fc.integer({ min: 1, max: 6 }),
          cuts: fc.integer({ min: 1, max: 4 }),
          seed: fc.integer({ min: 1, max: 1e6 }),
          betas: fc.constantFrom({ beta1: 0.9, beta2: 0.999 }, { beta1: 0.5, beta2: 0.9 }, { beta1: 0.8, beta2: 0.99 }),
        }),
        ({ n, rows, steps, cuts, seed, betas: { beta1, beta2 } }) => {
          const rng = mulberry32(seed);
          const initial = normals(n, rng, 1);
          const gradients = Array.from({ length: steps }, () => normals(rows * n, rng, rng() < 0.3 ? 1e-4 : 1));
          const rates = Array.from({ length: steps }, (_, s) => 1e-3 * (1 + (s % 3)));
          const expected = tfjsAdam(initial, gradients, rows, rates, beta1, beta2);

          // Slices of random bounds over a shared vector, each stepping its own part.
          const bounds = [0, ...Array.from({ length: cuts - 1 }, () => Math.floor(rng() * (n + 1))).sort((a, b) => a - b), n];
          const slices = bounds.slice(1).map((hi, k) => new AdamSlice(bounds[k]!, hi));
          const weights = initial.slice();
          gradients.forEach((g, s) => {
            for (const slice of slices) slice.step(weights, g, rows, n, { learningRate: rates[s]!, beta1, beta2, epsilon: tf.backend().epsilon() });
          });
          assert.deepEqual(bits(weights), bits(expected));
          // The steps moved the weights (the comparison is not of untouched values).
          assert.notDeepEqual(bits(weights), bits(initial));
        },
      ),
      { numRuns: 60, seed: 15 },
    );
  });

  void it('refuses a slice outside the vector', () => {
    assert.throws(() => new AdamSlice(5, 3), /bad slice/);
    assert.throws(() => new AdamSlice(0, 10).step(new Float32Array(8), new Float32Array(8), 1, 8, { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }), /outside/);
  });
});
