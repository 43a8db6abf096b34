import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { encoderFor, encoderKindForShape, resolveEncoderConfig, type EncoderKind } from '../../../server/engine/models/encoders';
import { DimensionAttention, L2Normalize } from '../../../server/engine/models/attention';

function unitRows(y: tf.Tensor): boolean {
  return (tf.tidy(() => tf.norm(y, 'euclidean', 1)).arraySync() as number[]).every((n) => Math.abs(n - 1) < 1e-5);
}

void describe('encoders', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const cases: [EncoderKind, number[]][] = [
    ['dense', [10]],
    ['conv1d', [30, 4]],
    ['conv2d', [8, 8, 1]],
    ['conv2d', [1, 1, 3]],
    ['conv3d', [4, 5, 6, 1]],
  ];
  for (const [kind, shape] of cases) {
    void it(`${kind} [${shape.join(', ')}] → [batch, embeddingDim], unit rows`, () => {
      const model = encoderFor(kind, shape, { embeddingDim: 12 });
      assert.deepEqual(model.outputs[0]!.shape, [null, 12]);
      const y = tf.tidy(() => model.predict(tf.randomNormal([3, ...shape], 0, 1, 'float32', 5)) as tf.Tensor);
      assert.deepEqual(y.shape, [3, 12]);
      assert.ok(unitRows(y));
      y.dispose();
      model.dispose();
    });
  }

  void it('the default 2-D encoder is the reference net conv32-pool-conv64-pool-dense64 (batch norm, attention)', () => {
    const model = encoderFor('conv2d', [28, 28, 1]);
    const layers = model.layers.map((l) => `${l.getClassName()} ${JSON.stringify(l.outputShape)} ${l.countParams()}`);
    assert.deepEqual(layers, [
      'Conv2D [null,28,28,32] 288',
      'BatchNormalization [null,28,28,32] 128',
      'ReLU [null,28,28,32] 0',
      'MaxPooling2D [null,14,14,32] 0',
      'Conv2D [null,14,14,64] 18432',
      'BatchNormalization [null,14,14,64] 256',
      'ReLU [null,14,14,64] 0',
      'MaxPooling2D [null,7,7,64] 0',
      'Flatten [null,3136] 0',
      'Dense [null,64] 200768',
      `${DimensionAttention.className} [null,64] 64`,
    ]);
    model.dispose();
  });

  void it('options: no batch norm (biases instead), no attention (plain L2), raw output, global pooling, hidden layers', () => {
    const plain = encoderFor('dense', [6], { batchNorm: false, attention: false, hidden: [8, 8], embeddingDim: 4 });
    assert.deepEqual(
      plain.layers.map((l) => l.getClassName()),
      ['Dense', 'ReLU', 'Dense', 'ReLU', 'Dense', L2Normalize.className],
    );
    assert.equal(plain.layers[0]!.countParams(), 6 * 8 + 8);
    const raw = encoderFor('dense', [6], { attention: false, normalize: false, hidden: [] });
    assert.deepEqual(raw.layers.map((l) => l.getClassName()), ['Dense']);
    const y = tf.tidy(() => raw.predict(tf.ones([2, 6])) as tf.Tensor);
    assert.ok(!unitRows(y), 'raw embeddings are not normalised');
    const pooled = encoderFor('conv2d', [9, 9, 1], { globalPool: 'average', filters: [4] });
    assert.ok(pooled.layers.some((l) => l.getClassName() === 'GlobalAveragePooling2D'));
    assert.equal(pooled.layers.find((l) => l.getClassName() === 'Dense')!.countParams(), 4 * 64 + 64);
    const volume = encoderFor('conv3d', [4, 4, 4, 1], { batchNorm: false, globalPool: 'max', filters: [3] });
    assert.equal(volume.layers.find((l) => l.getClassName() === 'Dense')!.countParams(), 3 * 64 + 64);
    assert.equal(resolveEncoderConfig('conv1d').globalPool, 'max');
    assert.equal(resolveEncoderConfig('conv1d').kernelSize, 7);
    tf.dispose(y);
    [plain, raw, pooled, volume].forEach((m) => m.dispose());
  });

  void it('one encoder is every branch: anchor, positive and negative alone equal the joint batch', () => {
    const model = encoderFor('conv2d', [8, 8, 1], { embeddingDim: 8 });
    const [a, p, n] = [1, 2, 3].map((s) => tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', s));
    const joint = (model.predict(tf.concat([a!, p!, n!])) as tf.Tensor).arraySync() as number[][];
    const apart = [a!, p!, n!].flatMap((x) => (model.predict(x) as tf.Tensor).arraySync() as number[][]);
    joint.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - apart[i]![j]!) < 1e-5)));
    model.dispose();
  });

  for (const [kind, shape] of [['conv1d', [16, 4]], ['conv3d', [4, 4, 4, 1]]] as [EncoderKind, number[]][]) {
    void it(`a ${kind} encoder (batch norm, attention) saves and loads: same embeddings`, async () => {
      const model = encoderFor(kind, shape, { filters: [4, 4], embeddingDim: 6 });
      let artifacts: tf.io.ModelArtifacts | undefined;
      await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
      const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
      const x = tf.randomNormal([3, ...shape], 0, 1, 'float32', 8);
      assert.deepEqual((loaded.predict(x) as tf.Tensor).arraySync(), (model.predict(x) as tf.Tensor).arraySync());
      assert.deepEqual(
        loaded.layers.map((l) => l.getClassName()),
        model.layers.map((l) => l.getClassName()),
      );
      tf.dispose(x);
      model.dispose();
      loaded.dispose();
    });
  }

  void it('weights come from the seed', () => {
    const weights = (seed: number) => {
      const m = encoderFor('dense', [5], { seed, hidden: [4], embeddingDim: 3 });
      const w = m.getWeights().map((t) => Array.from(t.dataSync()));
      m.dispose();
      return w;
    };
    assert.deepEqual(weights(7), weights(7));
    assert.notDeepEqual(weights(7), weights(8));
  });

  void it('kind from shape, and errors that name the field', () => {
    assert.equal(encoderKindForShape([64]), 'dense');
    assert.equal(encoderKindForShape([100, 4]), 'conv1d');
    assert.equal(encoderKindForShape([28, 28, 1]), 'conv2d');
    assert.equal(encoderKindForShape([8, 8, 8, 1]), 'conv3d');
    assert.throws(() => encoderKindForShape([1, 2, 3, 4, 5]), /expected rank 1 to 4/);
    assert.throws(() => encoderFor('conv2d', [28, 28]), /input shape \[28, 28\] must have rank 3/);
    assert.throws(() => encoderFor('dense', [0]), /inputShape: 0 is not a positive integer/);
    assert.throws(() => encoderFor('rnn' as EncoderKind, [3]), /encoder kind: unknown 'rnn'/);
    assert.throws(() => encoderFor('dense', [3], { embeddingDim: 2.5 }), /embeddingDim: 2.5/);
    assert.throws(() => encoderFor('conv1d', [9, 4], { filters: [8, -1] }), /filters: -1/);
  });
});
