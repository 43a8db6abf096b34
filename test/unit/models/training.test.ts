import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../../server/engine/models/batching';
import { denseInputs, embedInputs, learningRateAt, resolveTrainingConfig, stratifiedSplit, trainSiamese, validationMetrics, type EpochMetrics } from '../../../server/engine/models/training';
import { readDigits } from '../digitsFixture';

/** 6 classes on a circle in 2 dimensions under 6 dimensions of noise. */
function blobs(n = 180, seed = 3) {
  const dim = 8;
  const rng = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const data = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 6;
    labels[i] = c;
    for (let k = 0; k < dim; k++) data[i * dim + k] = k < 2 ? 3 * Math.cos((2 * Math.PI * c) / 6 + (k * Math.PI) / 2) + 0.4 * gauss() : 2 * gauss();
  }
  return { inputs: denseInputs(data, [dim]), labels };
}

const small = { encoder: { hidden: [16], embeddingDim: 8 }, classesPerBatch: 6, perClass: 4 };

void describe('training loop', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  void it('tf.memory().numTensors is the same after every epoch (steps, validation, checkpoints)', async () => {
    const counts: number[] = [];
    const r = await trainSiamese(blobs(), { ...small, epochs: 5, stepsPerEpoch: 4, patience: 0 }, {
      onEpoch: () => counts.push(tf.memory().numTensors),
      onCheckpoint: (encoder) => {
        embedInputs(encoder, blobs().inputs, [0, 1, 2]);
      },
    });
    assert.equal(r.history.length, 5);
    assert.equal(new Set(counts.slice(1)).size, 1, `tensor counts ${counts.join(' ')}`);
    const before = tf.memory().numTensors;
    const weights = r.encoder.weights.length;
    r.encoder.dispose();
    assert.equal(tf.memory().numTensors, before - weights, 'only the encoder weights remain when training ends');
  });

  void it('learns digits: held-out validation P@1 and MAP@R rise; the best epoch is restored and reported', async () => {
    const { data, labels } = readDigits();
    const inputs = denseInputs(data, [64]);
    const history: EpochMetrics[] = [];
    const r = await trainSiamese({ inputs, labels }, { epochs: 4, stepsPerEpoch: 10, perClass: 4, validationSplit: 0.25, patience: 0, seed: 2 }, { onEpoch: (e) => history.push(e) });
    const first = history[0]!.validation!;
    const best = history.find((e) => e.epoch === r.bestEpoch)!.validation!;
    assert.ok(best.mapAtR > first.mapAtR, `MAP@R ${first.mapAtR} → ${best.mapAtR}`);
    assert.ok(best.precisionAt1 >= 0.85, `P@1 ${best.precisionAt1}`);
    assert.ok(best.tripletAccuracy > first.tripletAccuracy, `triplet accuracy ${first.tripletAccuracy} → ${best.tripletAccuracy}`);
    // The returned encoder holds the best epoch's weights: re-scoring gives the recorded scores.
    const again = validationMetrics(r.encoder, inputs, labels, r.split.validation, r.config.loss, r.config.seed);
    assert.deepEqual(again, best);
    assert.equal(r.best?.mapAtR, best.mapAtR);
    // Validation items were never trained on: no overlap with the training part.
    const train = new Set(r.split.train);
    assert.ok(r.split.validation.every((i) => !train.has(i)));
    r.encoder.dispose();
  });

  void it('early stopping: with a learning rate too small to change anything, stops after `patience` epochs', async () => {
    const r = await trainSiamese(blobs(), { ...small, epochs: 10, stepsPerEpoch: 2, learningRate: 1e-12, schedule: 'constant', patience: 2 });
    assert.equal(r.stopReason, 'early-stopping');
    assert.equal(r.history.length, 3);
    assert.equal(r.bestEpoch, 1);
    r.encoder.dispose();
  });

  void it('checkpoints on each new best epoch, with the encoder holding that epoch’s weights', async () => {
    const saved: { epoch: number; first: number }[] = [];
    const r = await trainSiamese(blobs(), { ...small, epochs: 4, stepsPerEpoch: 3, patience: 0 }, {
      onCheckpoint: (encoder, e) => {
        assert.equal(e.best, true);
        saved.push({ epoch: e.epoch, first: encoder.getWeights()[0]!.dataSync()[0]! });
      },
    });
    assert.deepEqual(
      saved.map((s) => s.epoch),
      r.history.filter((e) => e.best).map((e) => e.epoch),
    );
    assert.equal(saved.at(-1)!.epoch, r.bestEpoch);
    assert.equal(r.encoder.getWeights()[0]!.dataSync()[0], saved.at(-1)!.first);
    r.encoder.dispose();
  });

  void it('cancellation: checkCancelled’s error propagates between steps and nothing leaks', async () => {
    const before = tf.memory().numTensors;
    let steps = 0;
    await assert.rejects(
      trainSiamese(blobs(), { ...small, epochs: 3, stepsPerEpoch: 5 }, {
        onStep: () => steps++,
        checkCancelled: () => {
          if (steps === 7) throw new Error('cancelled by test');
        },
      }),
      /cancelled by test/,
    );
    assert.equal(steps, 7);
    assert.equal(tf.memory().numTensors, before);
  });

  void it('a graceful stop and a time limit keep the best weights; per-step metrics are reported', async () => {
    let steps = 0;
    const stopped = await trainSiamese(blobs(), { ...small, epochs: 5, stepsPerEpoch: 4 }, {
      onStep: (s) => {
        steps++;
        assert.ok(s.loss >= 0 && s.activeShare >= 0 && s.activeShare <= 1 && s.learningRate > 0 && typeof s.collapsed === 'boolean');
        assert.equal(s.totalSteps, 20);
      },
      shouldStop: () => steps === 6,
    });
    assert.equal(stopped.stopReason, 'stopped');
    assert.equal(stopped.history.length, 2, 'the epoch in progress is validated');
    assert.equal(stopped.history[1]!.steps, 2);
    stopped.encoder.dispose();
    let clock = 0;
    const timed = await trainSiamese(blobs(), { ...small, epochs: 5, stepsPerEpoch: 4, maxSeconds: 10 }, { now: () => clock, onStep: () => (clock += 1) });
    assert.equal(timed.stopReason, 'time-limit');
    assert.equal(timed.history.reduce((n, e) => n + e.steps, 0), 10);
    timed.encoder.dispose();
  });
});

void describe('training helpers', () => {
  void it('stratified split: each class in proportion, 2 left to train, unlabelled in neither, seeded, capped', () => {
    const labels = Int32Array.from([...Array(50).fill(0), ...Array(30).fill(1), 2, 2, 2, -1, -1]);
    const s = stratifiedSplit(labels, 0.2, 1000, 1);
    const count = (idx: Int32Array, c: number) => Array.from(idx).filter((i) => labels[i] === c).length;
    assert.deepEqual([count(s.validation, 0), count(s.validation, 1), count(s.validation, 2)], [10, 6, 1]);
    assert.equal(s.train.length + s.validation.length, 83);
    assert.ok(Array.from(s.validation).every((i) => labels[i]! >= 0));
    assert.deepEqual(stratifiedSplit(labels, 0.2, 1000, 1), s);
    assert.notDeepEqual(stratifiedSplit(labels, 0.2, 1000, 2).validation, s.validation);
    const capped = stratifiedSplit(labels, 0.5, 8, 1);
    assert.ok(capped.validation.length <= 9, `${capped.validation.length}`);
    assert.equal(stratifiedSplit(Int32Array.from([0, 0, 1, 1]), 0.5, 100, 1).validation.length, 0, 'classes of 2 stay for training');
  });

  void it('learning-rate schedules: cosine from lr to the minimum, step decay, warm-up, time budget', () => {
    const cosine = resolveTrainingConfig('dense', { epochs: 10, learningRate: 1e-2 });
    assert.equal(learningRateAt(cosine, 0, 10), 1e-2);
    assert.ok(Math.abs(learningRateAt(cosine, 99, 10) - 1e-4) < 1e-12);
    assert.ok(Math.abs(learningRateAt(cosine, 49.5, 10) - (1e-2 + 1e-4) / 2) < 1e-9);
    const step = resolveTrainingConfig('dense', { epochs: 10, schedule: 'step', decayEvery: 3, decayFactor: 0.1, learningRate: 1 });
    assert.deepEqual([0, 29, 30, 60].map((s) => learningRateAt(step, s, 10)), [1, 1, 0.1, 0.1 ** 2]);
    const warm = resolveTrainingConfig('dense', { epochs: 10, schedule: 'constant', warmupEpochs: 1, learningRate: 1 });
    assert.deepEqual([0, 5, 10].map((s) => learningRateAt(warm, s, 10)), [0.1, 0.55, 1]);
    const timed = resolveTrainingConfig('dense', { epochs: 100, learningRate: 1, minLearningRate: 0, maxSeconds: 60 });
    assert.ok(learningRateAt(timed, 1, 10, 60) < 1e-12, 'the budget used up: the final rate');
  });

  void it('bad configurations name the field', () => {
    assert.throws(() => resolveTrainingConfig('dense', { epochs: 0 }), /epochs: 0 must be a positive integer/);
    assert.throws(() => resolveTrainingConfig('dense', { perClass: 1 }), /perClass: 1 must be an integer ≥ 2/);
    assert.throws(() => resolveTrainingConfig('dense', { schedule: 'linear' as never }), /schedule: unknown 'linear'/);
    assert.throws(() => resolveTrainingConfig('dense', { validationSplit: 1 }), /validationSplit: 1 must be in \[0, 1\)/);
    assert.throws(() => resolveTrainingConfig('dense', { monitor: 'loss' as never }), /monitor: unknown 'loss'/);
  });
});
