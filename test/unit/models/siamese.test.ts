import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { encoderFor, type EncoderKind } from '../../../server/engine/models/encoders';
import { ClassBalancedSampler, mulberry32 } from '../../../server/engine/models/batching';
import { batchFromIndices, embed, resolveSiameseLossConfig, siameseTrainStep } from '../../../server/engine/models/siamese';
import { MINING_KINDS } from '../../../server/engine/models/mining';
import { DISTANCE_KINDS } from '../../../server/engine/models/losses';
import { attentionWeights } from '../../../server/engine/models/attention';
import { retrievalScores, tripletAccuracy } from '../../../server/engine/eval/retrieval';
import { readDigits } from '../digitsFixture';

/**
 * Blobs that raw distances cannot separate: 6 classes on a circle of radius 3 in 2 dimensions
 * (within-class sd 0.5), buried under 14 dimensions of noise with sd 3. Nearest neighbours on
 * the raw vectors are near chance (1/6); an encoder must learn to drop the noise.
 */
function noisyBlobs(seed: number) {
  const classes = 6;
  const n = 240;
  const dim = 16;
  const rng = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const data = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels[i] = c;
    for (let k = 0; k < dim; k++) data[i * dim + k] = k < 2 ? 3 * Math.cos((2 * Math.PI * c) / classes + (k * Math.PI) / 2) + 0.5 * gauss() : 3 * gauss();
  }
  return { data, labels, dim, n };
}

void describe('Siamese training step', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  void it('leaks no tensors across many steps, for every mining kind and distance (conv encoder with batch norm)', () => {
    const encoder = encoderFor('conv2d', [6, 6, 1], { filters: [4, 8], embeddingDim: 8 });
    const optimizer = tf.train.adam(1e-3);
    const x = tf.randomNormal([12, 6, 6, 1], 0, 1, 'float32', 4);
    const labels = tf.tensor1d(Array.from({ length: 12 }, (_, i) => i % 3), 'int32');
    // The first step creates the optimizer's slots; from then on the count must not move.
    siameseTrainStep(encoder, optimizer, { x, labels });
    const counts = new Set<number>();
    for (const mining of MINING_KINDS)
      for (const distance of DISTANCE_KINDS)
        for (let i = 0; i < 2; i++) {
          const r = siameseTrainStep(encoder, optimizer, { x, labels }, { mining, distance });
          assert.ok(Number.isFinite(r.loss) && r.activeShare >= 0 && r.activeShare <= 1, JSON.stringify(r));
          counts.add(tf.memory().numTensors);
        }
    assert.equal(counts.size, 1, `tensor counts ${[...counts].join(' ')}`);
    tf.dispose([x, labels]);
    encoder.dispose();
    optimizer.dispose();
  });

  void it('exactly flat tensor count when labels are a typed array; embed leaks nothing either', () => {
    const encoder = encoderFor('dense', [5], { hidden: [8], embeddingDim: 4 });
    const optimizer = tf.train.adam(1e-3);
    const x = tf.randomNormal([8, 5], 0, 1, 'float32', 2);
    const labels = [0, 0, 1, 1, 2, 2, 3, 3];
    siameseTrainStep(encoder, optimizer, { x, labels });
    const counts: number[] = [];
    for (let i = 0; i < 30; i++) {
      siameseTrainStep(encoder, optimizer, { x, labels }, { mining: (['batch-all', 'batch-hard', 'semi-hard', 'contrastive'] as const)[i % 4] });
      embed(encoder, x, 3);
      counts.push(tf.memory().numTensors);
    }
    assert.deepEqual(new Set(counts).size, 1, `tensor counts ${counts.join(' ')}`);
    x.dispose();
  });

  void it('every encoder kind trains: the loss gradient reaches every trainable weight; batch norm running statistics move', () => {
    const shapes: [EncoderKind, number[]][] = [
      ['dense', [6]],
      ['conv1d', [12, 4]],
      ['conv2d', [6, 6, 1]],
      ['conv3d', [4, 4, 4, 1]],
    ];
    for (const [kind, shape] of shapes) {
      const encoder = encoderFor(kind, shape, { filters: [3], embeddingDim: 4 });
      const weightsBefore = encoder.getWeights().map((w) => Array.from(w.dataSync()));
      const x = tf.add(tf.randomNormal([8, ...shape], 0, 1, 'float32', 6), 1);
      const optimizer = tf.train.sgd(0.1);
      const r = siameseTrainStep(encoder, optimizer, { x, labels: [0, 0, 1, 1, 2, 2, 3, 3] }, { mining: 'batch-all', margin: 1 });
      assert.ok(r.loss > 0, `${kind}: loss ${r.loss}`);
      encoder.getWeights().forEach((w, i) => {
        // Every weight moves: trainable ones by the gradient, batch norm's running mean/variance by the update.
        assert.notDeepEqual(Array.from(w.dataSync()), weightsBefore[i], `${kind}: weight ${encoder.weights[i]!.name} unchanged`);
      });
      x.dispose();
      encoder.dispose();
      optimizer.dispose();
    }
  });

  void it('reports collapse when every embedding is the same, not for a fresh encoder on varied inputs', () => {
    const encoder = encoderFor('dense', [5], { hidden: [8], embeddingDim: 4 });
    const optimizer = tf.train.sgd(0);
    const same = tf.ones([8, 5]);
    const varied = tf.randomNormal([8, 5], 0, 1, 'float32', 3);
    const labels = [0, 0, 1, 1, 2, 2, 3, 3];
    // Batch norm in training mode maps identical rows to identical activations.
    const r = siameseTrainStep(encoder, optimizer, { x: same, labels });
    assert.equal(r.collapsed, true);
    assert.ok(r.spread < 1e-3, `spread ${r.spread}`);
    const v = siameseTrainStep(encoder, optimizer, { x: varied, labels });
    assert.equal(v.collapsed, false);
    tf.dispose([same, varied]);
  });

  void it('embed: chunking does not change the result; Float32Array and tensor inputs agree; inference-mode batch norm', () => {
    const encoder = encoderFor('conv1d', [10, 4], { filters: [4], embeddingDim: 6 });
    const data = Float32Array.from({ length: 7 * 40 }, (_, i) => Math.sin(i));
    const all = embed(encoder, data, 100);
    assert.equal(all.length, 7 * 6);
    assert.deepEqual(embed(encoder, data, 2), all);
    const t = tf.tensor(data, [7, 10, 4]);
    assert.deepEqual(embed(encoder, t, 3), all);
    // Inference mode: one item alone embeds as it does in a batch (batch statistics would differ).
    assert.deepEqual(embed(encoder, data.subarray(0, 40), 1), all.subarray(0, 6));
    assert.throws(() => embed(encoder, data.subarray(0, 39)), /39 values is not a multiple of 40/);
    t.dispose();
  });

  void it('rejects bad loss configs naming the field; defaults are cosine, margin 0.1 (contrastive: radius 0.2), semi-hard', () => {
    assert.deepEqual(resolveSiameseLossConfig(), { distance: 'cosine', euclideanWeight: 0.5, margin: 0.1, mining: 'semi-hard', collapseThreshold: 0.03 });
    assert.equal(resolveSiameseLossConfig({ mining: 'batch-hard' }).margin, 0.1);
    assert.equal(resolveSiameseLossConfig({ mining: 'contrastive' }).margin, 0.2);
    assert.equal(resolveSiameseLossConfig({ mining: 'contrastive', margin: 0.5 }).margin, 0.5);
    assert.throws(() => resolveSiameseLossConfig({ mining: 'hardest' as never }), /mining: unknown 'hardest'/);
    assert.throws(() => resolveSiameseLossConfig({ margin: Number.NaN }), /margin: NaN/);
    assert.throws(() => resolveSiameseLossConfig({ distance: 'l1' as never }), /distance: unknown 'l1'/);
  });
});

void describe('Siamese learning (quick)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const blobs = noisyBlobs(7);
  const trainRows = blobs.n / 2;
  const train = blobs.data.subarray(0, trainRows * blobs.dim);
  const test = blobs.data.subarray(trainRows * blobs.dim);
  const testLabels = blobs.labels.subarray(trainRows);

  for (const distance of DISTANCE_KINDS) {
    void it(`${distance}: 30 steps lift held-out precision@1 from chance (1/6) to ≥ 0.7`, () => {
      const encoder = encoderFor('dense', [blobs.dim], { hidden: [16], embeddingDim: 8, seed: 3 });
      const optimizer = tf.train.adam(0.03);
      const before = retrievalScores(embed(encoder, test), 8, testLabels, { distance }).precisionAt1;
      const sampler = new ClassBalancedSampler(blobs.labels.subarray(0, trainRows), { p: 6, k: 4, seed: 1 });
      const started = Date.now();
      let last = { loss: 0, activeShare: 0, collapsed: true };
      for (let step = 0; step < 30; step++) {
        const batch = batchFromIndices(train, [blobs.dim], blobs.labels, sampler.next());
        last = siameseTrainStep(encoder, optimizer, batch, { distance });
        batch.x.dispose();
      }
      const seconds = (Date.now() - started) / 1000;
      const after = retrievalScores(embed(encoder, test), 8, testLabels, { distance }).precisionAt1;
      assert.ok(before < 0.35, `untrained precision@1 ${before}`);
      assert.ok(after >= 0.7, `${distance}: precision@1 ${before.toFixed(3)} → ${after.toFixed(3)} in ${seconds} s`);
      assert.equal(last.collapsed, false);
      // The attention weights moved away from uniform and still sum to 1.
      const w = attentionWeights(encoder)!;
      assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      assert.ok(Math.max(...w) - Math.min(...w) > 1e-3, `attention weights still uniform: ${Array.from(w)}`);
      encoder.dispose();
      optimizer.dispose();
    });
  }

  // Measured on the cpu backend: MAP@R 0.434 → 0.684, triplet accuracy 0.833 → 0.949.
  void it('real digits (8×8, fixture): 30 steps raise held-out MAP@R and triplet accuracy', () => {
    const digits = readDigits();
    const trainRowsDigits = 400;
    const trainX = digits.data.subarray(0, trainRowsDigits * 64);
    const testX = digits.data.subarray(trainRowsDigits * 64);
    const testLabelsDigits = digits.labels.subarray(trainRowsDigits);
    const encoder = encoderFor('dense', [64], { hidden: [64], embeddingDim: 16, seed: 3 });
    const optimizer = tf.train.adam(0.01);
    const score = () => {
      const e = embed(encoder, testX);
      return { map: retrievalScores(e, 16, testLabelsDigits).mapAtR, triplets: tripletAccuracy(e, 16, testLabelsDigits, { triplets: 4000 }) };
    };
    const before = score();
    const sampler = new ClassBalancedSampler(digits.labels.subarray(0, trainRowsDigits), { p: 10, k: 4, seed: 1 });
    for (let step = 0; step < 30; step++) {
      const batch = batchFromIndices(trainX, [64], digits.labels, sampler.next());
      siameseTrainStep(encoder, optimizer, batch, { distance: 'combined' });
      batch.x.dispose();
    }
    const after = score();
    assert.ok(after.map > before.map + 0.1, `MAP@R ${before.map.toFixed(3)} → ${after.map.toFixed(3)}`);
    assert.ok(after.triplets > before.triplets + 0.03 && after.triplets > 0.9, `triplet accuracy ${before.triplets.toFixed(3)} → ${after.triplets.toFixed(3)}`);
    encoder.dispose();
    optimizer.dispose();
  });
});
