import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { autoencoderFor, autoencoderFromModel, convAutoencoder, denseAutoencoder, disposeAutoencoder } from '../../../server/engine/models/autoencoder';
import { CropSpatial, UpSampleNearest } from '../../../server/engine/models/spatialLayers';

async function saveAndLoad(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  return tf.loadLayersModel(tf.io.fromMemory(artifacts!));
}

function values(t: tf.Tensor | tf.Tensor[]): Float32Array {
  const one = Array.isArray(t) ? t[0]! : t;
  return one.dataSync() as Float32Array;
}

function assertClose(a: Float32Array, b: Float32Array, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i]! - b[i]!) <= tol)) assert.fail(`${what}: [${i}] ${a[i]} vs ${b[i]}`);
}

/** Plain nearest ×2 upsampling of a row-major [b, ...spatial, c] array. */
function upsampleReference(x: Float32Array, shape: number[]): Float32Array {
  const spatial = shape.slice(1, -1);
  const c = shape[shape.length - 1]!;
  const outSpatial = spatial.map((s) => 2 * s);
  const inPositions = spatial.reduce((a, b) => a * b, 1);
  const outPositions = inPositions * 2 ** spatial.length;
  const out = new Float32Array(shape[0]! * outPositions * c);
  for (let b = 0; b < shape[0]!; b++)
    for (let p = 0; p < outPositions; p++) {
      let rest = p;
      let from = 0;
      let stride = 1;
      for (let a = outSpatial.length - 1; a >= 0; a--) {
        const coord = rest % outSpatial[a]!;
        rest = Math.floor(rest / outSpatial[a]!);
        from += Math.floor(coord / 2) * stride;
        stride *= spatial[a]!;
      }
      for (let k = 0; k < c; k++) out[(b * outPositions + p) * c + k] = x[(b * inPositions + from) * c + k]!;
    }
  return out;
}

void describe('autoencoder factories', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const cases: Array<{ kind: 'dense' | 'conv1d' | 'conv2d' | 'conv3d'; shape: number[] }> = [
    { kind: 'dense', shape: [20] },
    { kind: 'dense', shape: [28, 28, 1] },
    { kind: 'conv1d', shape: [32, 4] },
    { kind: 'conv1d', shape: [37, 4] },
    { kind: 'conv2d', shape: [28, 28, 1] },
    { kind: 'conv2d', shape: [8, 8, 1] },
    { kind: 'conv2d', shape: [7, 9, 3] },
    { kind: 'conv3d', shape: [8, 8, 8, 1] },
    { kind: 'conv3d', shape: [5, 6, 7, 2] },
  ];
  for (const { kind, shape } of cases) {
    void it(`${kind} [${shape.join(', ')}]: reconstruction has the input's shape; decoder(encoder(x)) = autoencoder(x); sigmoid output in (0, 1)`, () => {
      const m = autoencoderFor(shape, kind === 'dense' ? { kind, hidden: [16], latentDim: 5 } : { kind, filters: [4, 6], latentDim: 5 });
      const x = tf.randomUniform([3, ...shape], 0, 1, 'float32', 3);
      const y = m.autoencoder.predict(x) as tf.Tensor;
      const z = m.encoder.predict(x) as tf.Tensor;
      const y2 = m.decoder.predict(z) as tf.Tensor;
      assert.deepEqual(y.shape, [3, ...shape]);
      assert.deepEqual(z.shape, [3, 5]);
      assert.deepEqual(m.inputShape, shape);
      assert.equal(m.kind, kind);
      assertClose(values(y2), values(y), 1e-6, 'decoder(encoder(x))');
      for (const v of values(y)) assert.ok(v > 0 && v < 1, `output ${v}`);
      tf.dispose([x, y, z, y2]);
      disposeAutoencoder(m);
    });
  }

  void it('pooling rounds odd sides up and the decoder crops back: 28 → 14 → 7 → 4 → 28 with three blocks', () => {
    const m = convAutoencoder('conv2d', [28, 28, 1], { filters: [2, 2, 2], latentDim: 3 });
    const classes = m.autoencoder.layers.map((l) => l.getClassName());
    assert.equal(classes.filter((c) => c === 'MaxPooling2D').length, 3);
    assert.equal(classes.filter((c) => c === UpSampleNearest.className).length, 3);
    assert.ok(classes.includes(CropSpatial.className));
    const reshape = m.autoencoder.layers.find((l) => l.getClassName() === 'Reshape')!;
    assert.deepEqual(reshape.outputShape, [null, 4, 4, 2]);
    // A size that halves cleanly needs no crop.
    const even = convAutoencoder('conv2d', [8, 8, 1], { filters: [2, 2], latentDim: 3 });
    assert.ok(!even.autoencoder.layers.some((l) => l.getClassName() === CropSpatial.className));
    disposeAutoencoder(m);
    disposeAutoencoder(even);
  });

  void it('the dense model is traditional (no conv, no batch norm by default); the conv one has batch norm (BatchNormalization3D for volumes)', () => {
    const d = denseAutoencoder([12], { hidden: [8, 4], latentDim: 2 });
    const dc = d.autoencoder.layers.map((l) => l.getClassName());
    assert.ok(!dc.some((c) => /Conv|BatchNorm/.test(c)), dc.join(' '));
    assert.equal(dc.filter((c) => c === 'Dense').length, 6);
    const c3 = convAutoencoder('conv3d', [4, 4, 4, 1], { filters: [2], latentDim: 2 });
    const cc = c3.autoencoder.layers.map((l) => l.getClassName());
    assert.equal(cc.filter((c) => c === 'BatchNormalization3D').length, 2, cc.join(' '));
    const c2 = convAutoencoder('conv2d', [4, 4, 1], { filters: [2], latentDim: 2, batchNorm: false, output: 'linear' });
    assert.ok(!c2.autoencoder.layers.some((l) => /BatchNorm/.test(l.getClassName())));
    for (const m of [d, c3, c2]) disposeAutoencoder(m);
  });

  void it('the three models share one set of weights: training the autoencoder moves the encoder and decoder views', () => {
    const m = convAutoencoder('conv1d', [16, 4], { filters: [3], latentDim: 2 });
    assert.equal(m.autoencoder.trainableWeights.length, m.encoder.trainableWeights.length + m.decoder.trainableWeights.length);
    const x = tf.randomUniform([4, 16, 4], 0, 1, 'float32', 1);
    const z0 = values(m.encoder.predict(x) as tf.Tensor).slice();
    const opt = tf.train.sgd(0.5);
    opt.minimize(() => tf.mean(tf.square(tf.sub(m.autoencoder.apply(x, { training: true }) as tf.Tensor, x))) as tf.Scalar, false, m.autoencoder.trainableWeights.map((w) => w.read() as tf.Variable));
    const z1 = values(m.encoder.predict(x) as tf.Tensor);
    assert.ok(z0.some((v, i) => v !== z1[i]), 'encoder view unchanged');
    opt.dispose();
    x.dispose();
    disposeAutoencoder(m);
  });

  for (const [kind, shape] of [['conv2d', [7, 9, 1]], ['conv3d', [5, 4, 6, 1]], ['conv1d', [19, 4]], ['dense', [6, 5]]] as const) {
    void it(`a ${kind} autoencoder [${shape.join(', ')}] saves and loads (custom layers included): same outputs, views rebuilt`, async () => {
      const m = autoencoderFor([...shape], kind === 'dense' ? { kind, hidden: [8], latentDim: 4, batchNorm: true } : { kind, filters: [3, 4], latentDim: 4 });
      const x = tf.randomUniform([2, ...shape], 0, 1, 'float32', 9);
      // One training-mode pass moves the batch norm statistics away from their initial values.
      tf.dispose(m.autoencoder.apply(x, { training: true }) as tf.Tensor);
      const loaded = autoencoderFromModel(await saveAndLoad(m.autoencoder));
      assert.equal(loaded.kind, kind);
      assert.deepEqual(loaded.inputShape, [...shape]);
      assert.equal(loaded.latentDim, 4);
      assert.deepEqual(
        loaded.autoencoder.layers.map((l) => l.getClassName()),
        m.autoencoder.layers.map((l) => l.getClassName()),
      );
      const [y, y2, z, z2] = tf.tidy(() => [
        m.autoencoder.predict(x) as tf.Tensor,
        loaded.autoencoder.predict(x) as tf.Tensor,
        m.encoder.predict(x) as tf.Tensor,
        loaded.encoder.predict(x) as tf.Tensor,
      ]);
      assert.deepEqual(values(y2), values(y));
      assert.deepEqual(values(z2), values(z));
      const y3 = tf.tidy(() => loaded.decoder.predict(loaded.encoder.predict(x) as tf.Tensor) as tf.Tensor);
      assertClose(values(y3), values(y), 1e-6, 'loaded decoder(encoder(x))');
      tf.dispose([x, y, y2, z, z2, y3]);
      disposeAutoencoder(m);
      disposeAutoencoder(loaded);
    });
  }

  void it('disposeAutoencoder frees every weight, of a built and of a loaded model', async () => {
    const before = tf.memory().numTensors;
    const m = convAutoencoder('conv2d', [6, 6, 1], { filters: [2, 3], latentDim: 2 });
    const loaded = autoencoderFromModel(await saveAndLoad(m.autoencoder));
    assert.ok(tf.memory().numTensors > before);
    disposeAutoencoder(m);
    disposeAutoencoder(loaded);
    assert.equal(tf.memory().numTensors, before);
  });

  void it('refuses bad shapes and configs, naming the field', () => {
    assert.throws(() => convAutoencoder('conv2d', [8, 8], {}), /conv2d: input shape \[8, 8\] must have rank 3/);
    assert.throws(() => convAutoencoder('conv2d', [8, 0, 1], {}), /inputShape: 0/);
    assert.throws(() => convAutoencoder('conv2d', [8, 8, 1], { filters: [] }), /filters/);
    assert.throws(() => denseAutoencoder([8], { latentDim: 0 }), /latentDim: 0/);
    assert.throws(() => denseAutoencoder([8], { output: 'tanh' as 'linear' }), /output: unknown 'tanh'/);
    assert.throws(() => autoencoderFor([8], { kind: 'lstm' as 'conv1d' }), /kind: unknown 'lstm'/);
    const plain = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    assert.throws(() => autoencoderFromModel(plain), /no layer named 'latent'/);
    plain.dispose();
  });
});

void describe('UpSampleNearest and CropSpatial', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  void it('upsampling repeats each position twice along every spatial axis (ranks 3 to 5, against a plain loop)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 3 }), (b, spatial, c) => {
        const shape = [b, ...spatial, c];
        const n = shape.reduce((p, q) => p * q, 1);
        const x = Float32Array.from({ length: n }, (_, i) => i);
        const y = tf.tidy(() => new UpSampleNearest().apply(tf.tensor(x, shape)) as tf.Tensor);
        assert.deepEqual(y.shape, [b, ...spatial.map((s) => 2 * s), c]);
        assert.deepEqual(values(y), upsampleReference(x, shape));
        y.dispose();
      }),
      { numRuns: 40, seed: 5 },
    );
  });

  void it('upsampling passes gradients back (each input gets the sum of its copies) at rank 5', () => {
    const x = tf.randomNormal([2, 2, 3, 2, 1], 0, 1, 'float32', 1);
    const w = tf.randomNormal([2, 4, 6, 4, 1], 0, 1, 'float32', 2);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(new UpSampleNearest().apply(t) as tf.Tensor, w)))(x);
    // Reference: sum w over each 2×2×2 block.
    const expected = tf.tidy(() => tf.sum(tf.reshape(w, [2, 2, 2, 3, 2, 2, 2, 1]), [2, 4, 6]).reshape([2, 2, 3, 2, 1]));
    assertClose(values(g), values(expected), 1e-5, 'gradient');
    tf.dispose([x, w, g, expected]);
  });

  void it('crop keeps the first positions of each spatial axis', () => {
    const x = tf.tensor(Float32Array.from({ length: 2 * 4 * 5 * 1 }, (_, i) => i), [2, 4, 5, 1]);
    const y = new CropSpatial({ size: [3, 2] }).apply(x) as tf.Tensor;
    assert.deepEqual(y.arraySync(), (x.arraySync() as number[][][][]).map((img) => img.slice(0, 3).map((row) => row.slice(0, 2))));
    assert.throws(() => new CropSpatial({ size: [0] }), /size/);
    assert.throws(() => new CropSpatial({ size: [5, 2] }).apply(tf.input({ shape: [4, 5, 1] })), /axis 1 has 4 positions, fewer than 5/);
    tf.dispose([x, y]);
  });
});
