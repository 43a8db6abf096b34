import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { disposeAutoencoder } from '../../../server/engine/models/autoencoder';
import { reconstructionError } from '../../../server/engine/models/autoencoderStep';
import { latentCodes, randomSplit, resolveAutoencoderTrainingConfig, trainAutoencoder, type AutoencoderEpochMetrics, type AutoencoderTrainingConfig, type AutoencoderTrainingPlan } from '../../../server/engine/models/autoencoderTraining';
import { denseInputs, type TrainingInputs } from '../../../server/engine/models/training';
import { readDigits } from '../digitsFixture';

const { data, labels } = readDigits();
const flat = denseInputs(data, [64]);
const images = denseInputs(data, [8, 8, 1]);
const small = { autoencoder: { hidden: [32], latentDim: 8 }, batchSize: 32 };

function rowsOf(indices: Int32Array): Float32Array {
  return flat.rows(indices);
}

void describe('autoencoder training loop', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  void it('tf.memory().numTensors is the same after every epoch: dense with views, conv with batch norm, labels and a perceptual loss', async () => {
    const cases: [TrainingInputs, AutoencoderTrainingConfig][] = [
      [flat, { ...small, positives: 'views' }],
      [images, { autoencoder: { kind: 'conv', filters: [4, 8], latentDim: 8 }, batchSize: 16, loss: { weights: { perceptual: 0.5 } }, perceptual: { filters: [4] } }],
    ];
    for (const [inputs, config] of cases) {
      const counts: number[] = [];
      const start = tf.memory().numTensors;
      const r = await trainAutoencoder({ inputs, labels }, { ...config, epochs: 4, stepsPerEpoch: 3, patience: 0 }, {
        onEpoch: () => counts.push(tf.memory().numTensors),
        onCheckpoint: (models) => {
          latentCodes(models, inputs, [0, 1, 2]);
        },
      });
      assert.equal(r.history.length, 4);
      assert.equal(new Set(counts.slice(1)).size, 1, `${r.kind}: tensor counts ${counts.join(' ')}`);
      disposeAutoencoder(r.models);
      assert.equal(tf.memory().numTensors, start, `${r.kind}: nothing left once the models are disposed`);
    }
  });

  void it('learns digits: the held-out reconstruction error falls, the best epoch is restored, and labelled held-out items get retrieval scores', async () => {
    const history: AutoencoderEpochMetrics[] = [];
    let plan: AutoencoderTrainingPlan | undefined;
    const r = await trainAutoencoder({ inputs: flat, labels }, { ...small, epochs: 5, validationSplit: 0.2, patience: 0, learningRate: 3e-3 }, { onEpoch: (e) => history.push(e), onStart: (_m, p) => (plan = p) });
    assert.equal(plan!.validationItems, 120);
    assert.equal(plan!.usesLabels, true, 'auto positives: labels when there are some');
    assert.equal(plan!.usesViews, false, 'every training item has a label: no views needed');
    const first = history[0]!.validation!;
    const best = history.find((e) => e.epoch === r.bestEpoch)!.validation!;
    assert.ok(best.reconstruction < 0.7 * first.reconstruction, `MSE ${first.reconstruction} → ${best.reconstruction}`);
    assert.ok(best.retrieval && best.retrieval.items === 120 && best.retrieval.precisionAt1 > 0.5, JSON.stringify(best.retrieval));
    assert.equal(best.valLoss, best.reconstruction, 'weights 1 / 0.1 / 0: valLoss is the reconstruction error');
    // The returned models hold the best epoch's weights: re-measuring gives the recorded error.
    const again = reconstructionError(r.models, rowsOf(r.split.validation));
    assert.ok(Math.abs(again - best.reconstruction) < 1e-6, `${again} vs ${best.reconstruction}`);
    assert.equal(r.best?.valLoss, best.valLoss);
    const codes = latentCodes(r.models, flat);
    assert.equal(codes.length, 600 * 8);
    assert.ok(codes.every(Number.isFinite));
    // Training and held-out items are disjoint and cover everything.
    const train = new Set(r.split.train);
    assert.ok(r.split.validation.every((i) => !train.has(i)));
    assert.equal(r.split.train.length + r.split.validation.length, 600);
    disposeAutoencoder(r.models);
  });

  void it('without labels the latent positives are augmented views, and the reported parts are the step’s', async () => {
    let plan: AutoencoderTrainingPlan | undefined;
    const steps: number[] = [];
    const r = await trainAutoencoder({ inputs: flat }, { ...small, epochs: 2, stepsPerEpoch: 3 }, {
      onStart: (_m, p) => (plan = p),
      onStep: (s) => {
        steps.push(s.step);
        assert.ok(s.parts.reconstruction! > 0 && s.parts.latent! >= 0 && s.parts.perceptual === null, JSON.stringify(s.parts));
        assert.ok(Math.abs(s.loss - (s.parts.reconstruction! + 0.1 * s.parts.latent!)) < 1e-5);
      },
    });
    assert.equal(plan!.usesViews, true);
    assert.equal(plan!.usesLabels, false);
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6]);
    assert.equal(r.history[0]!.parts.perceptual, null);
    assert.ok(r.history[0]!.parts.latent !== null && r.history[0]!.validation?.retrieval === undefined);
    disposeAutoencoder(r.models);
  });

  void it('early stopping, a graceful stop, checkpoints holding the best weights, and cancellation without leaks', async () => {
    const still = await trainAutoencoder({ inputs: flat }, { ...small, epochs: 10, stepsPerEpoch: 2, learningRate: 1e-12, schedule: 'constant', patience: 2 });
    assert.equal(still.stopReason, 'early-stopping');
    assert.ok(still.history.length < 10, `${still.history.length} epochs`);
    disposeAutoencoder(still.models);

    let steps = 0;
    const saved: { epoch: number; first: number }[] = [];
    const stopped = await trainAutoencoder({ inputs: flat }, { ...small, epochs: 5, stepsPerEpoch: 4, learningRate: 3e-3 }, {
      onStep: () => steps++,
      shouldStop: () => steps === 6,
      onCheckpoint: (models, e) => {
        assert.equal(e.best, true);
        saved.push({ epoch: e.epoch, first: models.autoencoder.getWeights()[0]!.dataSync()[0]! });
      },
    });
    assert.equal(stopped.stopReason, 'stopped');
    assert.equal(stopped.history.length, 2, 'the epoch in progress is scored');
    assert.equal(stopped.history[1]!.steps, 2);
    assert.equal(saved.at(-1)!.epoch, stopped.bestEpoch);
    assert.equal(stopped.models.autoencoder.getWeights()[0]!.dataSync()[0], saved.at(-1)!.first);
    disposeAutoencoder(stopped.models);

    const before = tf.memory().numTensors;
    let n = 0;
    await assert.rejects(
      trainAutoencoder({ inputs: flat }, { ...small, epochs: 3, stepsPerEpoch: 5 }, {
        onStep: () => n++,
        checkCancelled: () => {
          if (n === 7) throw new Error('cancelled by test');
        },
      }),
      /cancelled by test/,
    );
    assert.equal(n, 7);
    assert.equal(tf.memory().numTensors, before);
  });

  void it('resolves the model from the inputs, and names the field of a bad configuration', () => {
    const r = resolveAutoencoderTrainingConfig([64]);
    assert.deepEqual([r.autoencoder.kind, r.autoencoder.latentDim, r.autoencoder.hidden, r.autoencoder.batchNorm, r.autoencoder.output], ['dense', 32, [128], false, 'sigmoid']);
    assert.deepEqual(resolveAutoencoderTrainingConfig([4], {}, false).autoencoder, { kind: 'dense', latentDim: 2, hidden: [], batchNorm: false, output: 'linear', seed: 1 });
    assert.equal(resolveAutoencoderTrainingConfig([28, 28, 1]).autoencoder.kind, 'conv2d');
    assert.equal(resolveAutoencoderTrainingConfig([100, 4], { autoencoder: { kind: 'conv' } }).autoencoder.kind, 'conv1d');
    assert.equal(resolveAutoencoderTrainingConfig([8, 8, 8, 1], { autoencoder: { kind: 'dense' } }).autoencoder.kind, 'dense');
    assert.throws(() => resolveAutoencoderTrainingConfig([64], { autoencoder: { kind: 'conv' } }), /autoencoder.kind: a convolutional autoencoder needs/);
    assert.throws(() => resolveAutoencoderTrainingConfig([8, 8, 1], { autoencoder: { kind: 'conv1d' } }), /autoencoder.kind: conv1d does not fit inputs of shape \[8, 8, 1\] \(conv2d does\)/);
    assert.throws(() => resolveAutoencoderTrainingConfig([64], { positives: 'both' as never }), /positives: unknown 'both'/);
    assert.throws(() => resolveAutoencoderTrainingConfig([64], { batchSize: 1 }), /batchSize: 1 must be an integer ≥ 2/);
    assert.throws(() => resolveAutoencoderTrainingConfig([64], { epochs: 0 }), /epochs: 0 must be a positive integer/);
    assert.throws(() => resolveAutoencoderTrainingConfig([64], { loss: { weights: { reconstruction: -1 } } }), /weights.reconstruction: -1/);
    assert.throws(() => resolveAutoencoderTrainingConfig([64], { monitor: 'loss' as never }), /monitor: unknown 'loss'/);
  });

  void it('random split: seeded, capped, all items in one part or the other', () => {
    const s = randomSplit(100, 0.2, 1000, 1);
    assert.equal(s.validation.length, 20);
    assert.deepEqual(randomSplit(100, 0.2, 1000, 1), s);
    assert.notDeepEqual(randomSplit(100, 0.2, 1000, 2).validation, s.validation);
    assert.equal(randomSplit(100, 0.5, 7, 1).validation.length, 7);
    assert.deepEqual([...s.train, ...s.validation].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
  });
});
