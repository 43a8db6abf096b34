import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { convAutoencoder, denseAutoencoder, disposeAutoencoder, type Autoencoder } from '../../../server/engine/models/autoencoder';
import {
  autoencoderBatch,
  autoencoderTrainStep,
  embedLatent,
  latentIdentities,
  perceptualFeatures,
  reconstruct,
  reconstructionError,
  resolveAutoencoderLossConfig,
  type AutoencoderLossConfig,
} from '../../../server/engine/models/autoencoderStep';
import { encoderFor } from '../../../server/engine/models/encoders';
import { mulberry32, shuffleInPlace } from '../../../server/engine/models/batching';
import { retrievalScores } from '../../../server/engine/eval/retrieval';
import { initBackend } from '../../../server/engine/models/backend';
import { readDigits } from '../digitsFixture';

function weightsOf(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => (w.dataSync() as Float32Array).slice());
}

function sameWeights(a: Float32Array[], b: Float32Array[]): boolean {
  return a.length === b.length && a.every((w, i) => w.length === b[i]!.length && w.every((v, k) => v === b[i]![k]));
}

/** One step from a fresh model (seed 1) with `config` on `batch()`; returns the weights after it. */
function weightsAfterOneStep(make: () => Autoencoder, batch: () => Parameters<typeof autoencoderTrainStep>[2], config: AutoencoderLossConfig): { encoder: Float32Array[]; decoder: Float32Array[] } {
  const m = make();
  const opt = tf.train.adam(0.01);
  const b = batch();
  try {
    autoencoderTrainStep(m, opt, b, config);
    return { encoder: weightsOf(m.encoder), decoder: weightsOf(m.decoder) };
  } finally {
    tf.dispose([b.x, ...(b.views ? [b.views] : [])]);
    opt.dispose();
    disposeAutoencoder(m);
  }
}

void describe('autoencoder training step', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  void it('resolves its config with defaults and refuses bad fields by name', () => {
    const c = resolveAutoencoderLossConfig();
    assert.deepEqual(c.weights, { reconstruction: 1, latent: 0.1, perceptual: 0 });
    assert.equal(c.latentLoss, 'contrastive');
    assert.equal(c.mining, 'contrastive');
    assert.equal(c.margin, 0.5);
    assert.equal(c.distance, 'cosine');
    const t = resolveAutoencoderLossConfig({ latentLoss: 'triplet' });
    assert.equal(t.mining, 'semi-hard');
    assert.equal(t.margin, 0.2);
    assert.deepEqual(resolveAutoencoderLossConfig(t), t);
    assert.throws(() => resolveAutoencoderLossConfig({ weights: { latent: -1 } }), /weights.latent: -1/);
    assert.throws(() => resolveAutoencoderLossConfig({ weights: { reconstruction: 0, latent: 0 } }), /at least one loss weight/);
    assert.throws(() => resolveAutoencoderLossConfig({ latentLoss: 'cosine' as 'triplet' }), /latentLoss: unknown 'cosine'/);
    assert.throws(() => resolveAutoencoderLossConfig({ latentLoss: 'triplet', mining: 'contrastive' }), /mining: 'contrastive' is no triplet mining/);
    assert.throws(() => resolveAutoencoderLossConfig({ weights: { perceptual: 1 } }), /perceptual: weights.perceptual > 0 needs an extractor/);
    assert.throws(() => resolveAutoencoderLossConfig({ margin: -0.1 }), /margin/);
  });

  void it('latent identities: labels where known, else a class per item shared with its view, else left out', () => {
    assert.deepEqual([...latentIdentities(3, null, true)], [0, 1, 2, 0, 1, 2]);
    assert.deepEqual([...latentIdentities(3, null, false)], [-1, -1, -1]);
    assert.deepEqual([...latentIdentities(4, Int32Array.from([2, -1, 0, -1]), true)], [2, 4, 0, 6, 2, 4, 0, 6]);
    assert.deepEqual([...latentIdentities(3, Int32Array.from([1, -1, 1]), false)], [1, -1, 1]);
  });

  void it('refuses batches it cannot use, naming what is wrong', () => {
    const m = denseAutoencoder([6], { hidden: [4], latentDim: 2 });
    const opt = tf.train.adam(1e-3);
    const x = tf.zeros([4, 6]);
    const wrong = tf.zeros([4, 5]);
    assert.throws(() => autoencoderTrainStep(m, opt, { x }), /latent loss \(weights.latent > 0\) needs labels or augmented views/);
    assert.throws(() => autoencoderTrainStep(m, opt, { x: wrong }, { weights: { latent: 0 } }), /x has shape \[4, 5\], expected \[4, 6\]/);
    assert.throws(() => autoencoderTrainStep(m, opt, { x, views: wrong }), /views has shape \[4, 5\]/);
    assert.throws(() => autoencoderTrainStep(m, opt, { x, labels: [0, 1] }), /4 inputs but 2 labels/);
    const features = perceptualFeatures([3, 2]);
    assert.throws(() => autoencoderTrainStep(m, opt, { x }, { weights: { latent: 0, perceptual: 1 }, perceptual: features }), /extractor takes \[3, 2\], the autoencoder \[6\]/);
    const siamese = encoderFor('dense', [5], { hidden: [4], embeddingDim: 2 });
    assert.throws(() => perceptualFeatures([6], { extractor: siamese }), /extractor takes \[5\], the autoencoder \[6\]/);
    assert.throws(() => perceptualFeatures([5], { extractor: siamese, layers: ['nope'] }), /no layer "nope"/);
    features.dispose();
    siamese.dispose();
    tf.dispose([x, wrong]);
    opt.dispose();
    disposeAutoencoder(m);
  });

  void it('leaks no tensors across steps: every loss and part, conv with batch norm (2-D and 3-D), views, labels, both perceptual extractors', () => {
    const m2 = convAutoencoder('conv2d', [6, 6, 1], { filters: [3, 4], latentDim: 4 });
    const m3 = convAutoencoder('conv3d', [4, 4, 4, 1], { filters: [2], latentDim: 3 });
    const siamese = encoderFor('conv2d', [6, 6, 1], { filters: [3], embeddingDim: 4 });
    const fromSiamese = perceptualFeatures([6, 6, 1], { extractor: siamese });
    const random2 = perceptualFeatures([6, 6, 1]);
    const random3 = perceptualFeatures([4, 4, 4, 1]);
    const opt2 = tf.train.adam(1e-3);
    const opt3 = tf.train.adam(1e-3);
    const x2 = tf.randomUniform([8, 6, 6, 1], 0, 1, 'float32', 1);
    const v2 = tf.randomUniform([8, 6, 6, 1], 0, 1, 'float32', 2);
    const x3 = tf.randomUniform([4, 4, 4, 4, 1], 0, 1, 'float32', 3);
    const v3 = tf.randomUniform([4, 4, 4, 4, 1], 0, 1, 'float32', 4);
    const labels = [0, 0, 1, 1, 2, 2, -1, -1];
    const configs: AutoencoderLossConfig[] = [
      { weights: { latent: 0 } },
      { weights: { latent: 0.5 } },
      { weights: { latent: 0.5 }, latentLoss: 'triplet', mining: 'batch-hard' },
      { weights: { reconstruction: 0, latent: 1 }, latentLoss: 'triplet' },
      { weights: { latent: 0.2, perceptual: 0.5 }, perceptual: fromSiamese },
      { weights: { latent: 0, perceptual: 0.5 }, perceptual: random2 },
    ];
    // Warm-up: the first steps create the optimizers' slots (one per variable set used).
    for (const config of configs) autoencoderTrainStep(m2, opt2, { x: x2, labels, views: v2 }, config);
    autoencoderTrainStep(m3, opt3, { x: x3, views: v3 }, { weights: { perceptual: 1 }, perceptual: random3 });
    const counts = new Set<number>();
    for (let round = 0; round < 2; round++) {
      for (const config of configs) {
        const r = autoencoderTrainStep(m2, opt2, { x: x2, labels, views: v2 }, config);
        assert.ok(Number.isFinite(r.loss), JSON.stringify(r));
        counts.add(tf.memory().numTensors);
      }
      autoencoderTrainStep(m3, opt3, { x: x3, views: v3 }, { weights: { perceptual: 1 }, perceptual: random3 });
      counts.add(tf.memory().numTensors);
    }
    assert.equal(counts.size, 1, `tensor counts ${[...counts].join(' ')}`);
    // Labels as a tensor stay the caller's: not disposed by the step.
    const labelTensor = tf.tensor1d(labels, 'int32');
    autoencoderTrainStep(m2, opt2, { x: x2, labels: labelTensor }, { weights: { latent: 1 } });
    assert.deepEqual([...labelTensor.dataSync()], labels);
    labelTensor.dispose();
    assert.equal(tf.memory().numTensors, [...counts][0]);
    tf.dispose([x2, v2, x3, v3]);
    for (const f of [fromSiamese, random2, random3]) f.dispose();
    siamese.dispose();
    opt2.dispose();
    opt3.dispose();
    disposeAutoencoder(m2);
    disposeAutoencoder(m3);
  });

  const tinyConv = () => convAutoencoder('conv2d', [6, 6, 1], { filters: [3], latentDim: 4, seed: 1 });
  const tinyBatch = (labels?: number[]) => () => ({
    x: tf.randomUniform([8, 6, 6, 1], 0, 1, 'float32', 11),
    views: tf.randomUniform([8, 6, 6, 1], 0, 1, 'float32', 12),
    ...(labels ? { labels } : {}),
  });
  const labelsA = [0, 0, 1, 1, 2, 2, 3, 3];
  const labelsB = [0, 1, 2, 3, 0, 1, 2, 3];

  void it('latent part: weight 0 → the labels change nothing; weight > 0 → they change the update', () => {
    const off = { weights: { latent: 0 } };
    assert.ok(sameWeights(weightsAfterOneStep(tinyConv, tinyBatch(labelsA), off).encoder, weightsAfterOneStep(tinyConv, tinyBatch(labelsB), off).encoder));
    const on: AutoencoderLossConfig = { weights: { latent: 1 }, latentLoss: 'triplet', mining: 'batch-all' };
    assert.ok(!sameWeights(weightsAfterOneStep(tinyConv, tinyBatch(labelsA), on).encoder, weightsAfterOneStep(tinyConv, tinyBatch(labelsB), on).encoder));
  });

  void it('perceptual part: weight 0 → the extractor changes nothing; weight > 0 → it changes the update', () => {
    const a = perceptualFeatures([6, 6, 1], { seed: 1 });
    const b = perceptualFeatures([6, 6, 1], { seed: 2 });
    try {
      const off = (perceptual: typeof a): AutoencoderLossConfig => ({ weights: { latent: 0, perceptual: 0 }, perceptual });
      assert.ok(sameWeights(weightsAfterOneStep(tinyConv, tinyBatch(), off(a)).decoder, weightsAfterOneStep(tinyConv, tinyBatch(), off(b)).decoder));
      const on = (perceptual: typeof a): AutoencoderLossConfig => ({ weights: { latent: 0, perceptual: 1 }, perceptual });
      assert.ok(!sameWeights(weightsAfterOneStep(tinyConv, tinyBatch(), on(a)).decoder, weightsAfterOneStep(tinyConv, tinyBatch(), on(b)).decoder));
      // The extractor itself never trains.
      const before = weightsOf(a.model);
      weightsAfterOneStep(tinyConv, tinyBatch(), on(a));
      assert.ok(sameWeights(weightsOf(a.model), before));
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  void it('reconstruction part: weight 0 (latent only) leaves the decoder as it was; weight > 0 moves it', () => {
    const fresh = tinyConv();
    const initial = weightsOf(fresh.decoder);
    disposeAutoencoder(fresh);
    const latentOnly = weightsAfterOneStep(tinyConv, tinyBatch(labelsA), { weights: { reconstruction: 0, latent: 1 } });
    assert.ok(sameWeights(latentOnly.decoder, initial));
    const withReconstruction = weightsAfterOneStep(tinyConv, tinyBatch(), { weights: { reconstruction: 1, latent: 0 } });
    assert.ok(!sameWeights(withReconstruction.decoder, initial));
  });

  void it('reports every computed part (unweighted) and null for the others; the loss is their weighted sum', () => {
    const m = tinyConv();
    const features = perceptualFeatures([6, 6, 1]);
    const opt = tf.train.sgd(0); // a zero rate: the parts are those of the same weights
    const b = tinyBatch(labelsA)();
    try {
      const full = autoencoderTrainStep(m, opt, b, { weights: { reconstruction: 2, latent: 0.5, perceptual: 3 }, perceptual: features });
      const { reconstruction, latent, perceptual } = full.parts;
      assert.ok(reconstruction! > 0 && latent! > 0 && perceptual! > 0, JSON.stringify(full));
      assert.ok(Math.abs(full.loss - (2 * reconstruction! + 0.5 * latent! + 3 * perceptual!)) < 1e-5);
      const mseOnly = autoencoderTrainStep(m, opt, b, { weights: { latent: 0 } });
      assert.deepEqual(mseOnly.parts, { reconstruction: mseOnly.loss, latent: null, perceptual: null });
      // Without views the encoder sees the same batch, and batch norm (training mode) normalises
      // it the same way: the same MSE. (With views, both pass through the encoder as one batch.)
      const withLabels = autoencoderTrainStep(m, opt, { x: b.x, labels: labelsA }, { weights: { latent: 1 } });
      assert.ok(Math.abs(mseOnly.loss - withLabels.parts.reconstruction!) < 1e-6, `${mseOnly.loss} vs ${withLabels.parts.reconstruction}`);
      assert.ok(full.spread > 0 && !full.collapsed && full.activeShare > 0);
    } finally {
      tf.dispose([b.x, b.views]);
      features.dispose();
      opt.dispose();
      disposeAutoencoder(m);
    }
  });

  void it('a Siamese encoder as extractor: its ReLU layers by default, or the layers named; applied in inference mode', () => {
    const siamese = encoderFor('conv2d', [8, 8, 1], { filters: [2, 3], embeddingDim: 4 });
    const f = perceptualFeatures([8, 8, 1], { extractor: siamese });
    assert.equal(f.source, 'siamese');
    assert.equal(f.layers.length, 2);
    assert.ok(f.layers.every((name) => siamese.getLayer(name).getClassName() === 'ReLU'));
    const byIndex = perceptualFeatures([8, 8, 1], { extractor: siamese, layers: [0] });
    assert.deepEqual(byIndex.layers, [siamese.layers[0]!.name]);
    // Disposing the features leaves the caller's encoder usable.
    f.dispose();
    byIndex.dispose();
    const y = tf.tidy(() => siamese.predict(tf.ones([1, 8, 8, 1])) as tf.Tensor);
    assert.deepEqual(y.shape, [1, 4]);
    y.dispose();
    siamese.dispose();
  });

  void it('batches from a row-major dataset: rows, their labels, seeded views', () => {
    const data = Float32Array.from({ length: 5 * 4 }, (_, i) => i / 20);
    const labels = [3, 1, 4, 1, 5];
    const a = autoencoderBatch(data, [2, 2, 1], [4, 0, 2], { labels, augment: { random: mulberry32(1), options: { shift: 1, noise: 0 } } });
    const b = autoencoderBatch(data, [2, 2, 1], [4, 0, 2], { augment: { random: mulberry32(1), options: { shift: 1, noise: 0 } } });
    assert.deepEqual(a.x.shape, [3, 2, 2, 1]);
    assert.deepEqual([...a.x.dataSync()], [...data.subarray(16, 20), ...data.subarray(0, 4), ...data.subarray(8, 12)]);
    assert.deepEqual([...a.labels!], [5, 3, 4]);
    assert.equal(b.labels, undefined);
    assert.deepEqual(a.views!.dataSync(), b.views!.dataSync());
    tf.dispose([a.x, a.views!, b.x, b.views!]);
    const plain = autoencoderBatch(data, [4], [1]);
    assert.equal(plain.views, undefined);
    plain.x.dispose();
  });

  void it('latent codes, reconstructions and the reconstruction error of a model, with no tensor left behind', () => {
    const m = convAutoencoder('conv2d', [5, 5, 1], { filters: [2], latentDim: 3 });
    const data = Float32Array.from({ length: 7 * 25 }, (_, i) => (i % 11) / 11);
    const before = tf.memory().numTensors;
    const z = embedLatent(m, data, 3);
    assert.equal(z.length, 7 * 3);
    assert.deepEqual(embedLatent(m.encoder, data), z);
    const r = reconstruct(m, data, 4);
    assert.deepEqual(r.shape, [4, 5, 5, 1]);
    assert.deepEqual(r.inputs, data.subarray(0, 100));
    assert.equal(r.outputs.length, 100);
    assert.deepEqual(reconstruct(m, data, 50).shape, [7, 5, 5, 1]);
    // The error over all items (in chunks) is the plain mean of squared differences.
    const all = reconstruct(m, data, 7);
    let sq = 0;
    for (let i = 0; i < all.inputs.length; i++) sq += (all.inputs[i]! - all.outputs[i]!) ** 2;
    assert.ok(Math.abs(reconstructionError(m, data, 3) - sq / all.inputs.length) < 1e-6);
    assert.equal(tf.memory().numTensors, before);
    assert.throws(() => reconstructionError(m, new Float32Array(24)), /24 values is not a positive multiple of 25/);
    disposeAutoencoder(m);
  });

  /** Trains on the first 400 digits for `epochs` × 12 steps of 32 (seeded); P@1 of the latent and MSE on the last 200. */
  function trainOnDigits(make: () => Autoencoder, config: AutoencoderLossConfig, options: { epochs: number; labelled?: boolean; augment?: boolean }) {
    const { data, labels } = readDigits();
    const train = data.subarray(0, 400 * 64);
    const test = data.subarray(400 * 64);
    const m = make();
    const opt = tf.train.adam(3e-3);
    const random = mulberry32(1);
    const order = Int32Array.from({ length: 400 }, (_, i) => i);
    const before = reconstructionError(m, test);
    try {
      for (let epoch = 0; epoch < options.epochs; epoch++) {
        shuffleInPlace(order, random);
        for (let s = 0; s + 32 <= 400; s += 32) {
          const b = autoencoderBatch(train, m.inputShape, order.subarray(s, s + 32), {
            ...(options.labelled ? { labels } : {}),
            ...(options.augment ? { augment: { random } } : {}),
          });
          try {
            autoencoderTrainStep(m, opt, b, config);
          } finally {
            tf.dispose([b.x, ...(b.views ? [b.views] : [])]);
          }
        }
      }
      const z = embedLatent(m, test);
      const p1 = retrievalScores(z, m.latentDim, labels.subarray(400), { distance: 'cosine', ks: [1] }).precisionAt1;
      return { before, after: reconstructionError(m, test), p1 };
    } finally {
      opt.dispose();
      disposeAutoencoder(m);
    }
  }

  void it('learns on the wasm backend (the default one without tfjs-node): on real 8×8 digits, 36 steps cut the held-out reconstruction MSE of the conv autoencoder by 40 % (0.182 → 0.095 on cpu here)', async () => {
    // The cpu backend's conv gradients are plain JavaScript loops (~30× slower here).
    const choice = await initBackend('wasm');
    try {
      const r = trainOnDigits(() => convAutoencoder('conv2d', [8, 8, 1], { filters: [8, 16], latentDim: 16 }), { weights: { latent: 0 } }, { epochs: 3 });
      assert.ok(r.after < 0.6 * r.before, `${choice.backend}: ${JSON.stringify(r)}`);
    } finally {
      await tf.setBackend('cpu');
    }
  });

  void it('a triplet loss on the latent (with labels) raises held-out precision@1 over MSE alone (here 0.705 → 0.805)', () => {
    // A 4-dimensional latent: tight enough that MSE alone mixes classes.
    const make = () => denseAutoencoder([8, 8, 1], { hidden: [64], latentDim: 4 });
    const mse = trainOnDigits(make, { weights: { latent: 0 } }, { epochs: 4 });
    const triplet = trainOnDigits(make, { weights: { latent: 1 }, latentLoss: 'triplet' }, { epochs: 4, labelled: true });
    assert.ok(triplet.p1 >= mse.p1 + 0.05, `triplet ${JSON.stringify(triplet)} vs MSE ${JSON.stringify(mse)}`);
    // ... and still reconstructs.
    assert.ok(triplet.after < 0.6 * triplet.before, JSON.stringify(triplet));
  });
});
