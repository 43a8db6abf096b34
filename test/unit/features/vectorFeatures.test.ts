import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { VectorDataset } from '../../../server/engine/data/vectors';
import { hog } from '../../../server/engine/features/hog';
import { StandardScaler } from '../../../server/engine/features/scaler';
import { defaultFeatureKind, featuresOf } from '../../../server/engine/features/vectorFeatures';

type Numeric = Pick<VectorDataset, 'kind' | 'shape' | 'dim' | 'data'>;

const reference = JSON.parse(readFileSync(path.join(__dirname, '../../fixtures/hog/reference.json'), 'utf8')) as {
  cases: { shape: number[]; pixels: number[] }[];
};
/** The six real 28×28 grey Fashion-MNIST images of the HOG fixture. */
const greys = reference.cases.filter((c) => c.shape.join() === '28,28,1');
const images: Numeric = { kind: 'image', shape: [28, 28, 1], dim: 784, data: Float32Array.from(greys.flatMap((c) => c.pixels)) };
const table: Numeric = { kind: 'table', shape: [3], dim: 3, data: Float32Array.from([1, 100, 5, 2, 300, 5, 3, 200, 5, 6, 400, 5]) };

void describe('featuresOf', () => {
  void it('defaults: tables scaled, images HOG, volumes raw', () => {
    assert.equal(defaultFeatureKind('table'), 'scaled');
    assert.equal(defaultFeatureKind('image'), 'hog');
    assert.equal(defaultFeatureKind('volume'), 'raw');
  });

  void it("'raw' divides image pixels by 255 and copies tables as read, never returning the dataset's array", () => {
    const f = featuresOf(images, { kind: 'raw' });
    assert.equal(f.dim, 784);
    assert.notEqual(f.data, images.data);
    for (let k = 0; k < images.data.length; k++) assert.equal(f.data[k], Math.fround(images.data[k] / 255));
    const t = featuresOf(table, { kind: 'raw' });
    assert.deepEqual(t.data, table.data);
    assert.notEqual(t.data, table.data);
    assert.equal(t.scaler, undefined);
  });

  void it("'raw' in place: the same values, written into the dataset's own array", () => {
    const copy: Numeric = { ...images, data: images.data.slice() };
    const f = featuresOf(copy, { kind: 'raw' }, { inPlace: true });
    assert.equal(f.data, copy.data);
    for (let k = 0; k < images.data.length; k++) assert.equal(f.data[k], Math.fround(images.data[k] / 255));
    const t: Numeric = { ...table, data: table.data.slice() };
    assert.equal(featuresOf(t, { kind: 'raw' }, { inPlace: true }).data, t.data);
    assert.deepEqual(t.data, table.data);
  });

  void it("'raw' divides a volume by 255 only when it holds bytes (integers 0–255)", () => {
    const bytes: Numeric = { kind: 'volume', shape: [2, 2, 2], dim: 8, data: Float32Array.from([0, 255, 51, 102, 0, 0, 1, 2]) };
    assert.deepEqual(Array.from(featuresOf(bytes, { kind: 'raw' }).data), Array.from(bytes.data, (v) => Math.fround(v / 255)));
    for (const odd of [0.5, -1, 256]) {
      const floats: Numeric = { ...bytes, data: Float32Array.from([...bytes.data.subarray(0, 7), odd]) };
      assert.deepEqual(featuresOf(floats, { kind: 'raw' }).data, floats.data, `a volume holding ${odd} is kept as read`);
    }
  });

  void it("'scaled' fits a StandardScaler and returns it, or applies the one given", () => {
    const f = featuresOf(table, { kind: 'scaled' });
    assert.ok(f.scaler);
    assert.deepEqual(Array.from(f.scaler.mean), [3, 250, 5]);
    assert.deepEqual(Array.from(f.scaler.scale), [Math.sqrt(3.5), Math.sqrt(12500), 1]);
    assert.deepEqual(f.data, f.scaler.transform(table.data));
    // A saved scaler scales new records like the data it was fitted on.
    const saved = StandardScaler.fromJSON(JSON.parse(JSON.stringify(f.scaler)), 3);
    const fresh: Numeric = { ...table, data: Float32Array.from([3, 250, 5]) };
    const g = featuresOf(fresh, { kind: 'scaled', scaler: saved });
    assert.equal(g.scaler, saved);
    assert.deepEqual(Array.from(g.data), [0, 0, 0]);
    assert.throws(() => featuresOf(images, { kind: 'scaled', scaler: saved }), /scaler has 3 columns, the dataset 784/);
  });

  void it("'hog' gives every image's descriptor with DEFAULT_HOG or the options given, with progress", () => {
    const progress: number[] = [];
    const f = featuresOf(images, { kind: 'hog' }, { onProgress: (d) => progress.push(d) });
    assert.equal(f.dim, 1296);
    greys.forEach((c, i) => assert.deepEqual(f.data.subarray(i * 1296, (i + 1) * 1296), hog(c.pixels, 28, 28, 1)));
    assert.equal(progress.at(-1), greys.length);
    const g = featuresOf(images, { kind: 'hog', hog: { pixelsPerCell: [7, 7] } });
    assert.equal(g.dim, 324);
    assert.deepEqual(g.data.subarray(0, 324), hog(greys[0].pixels, 28, 28, 1, { pixelsPerCell: [7, 7] }));
  });

  void it('rejects HOG on non-images, mismatched options, and stops when the check throws', () => {
    assert.throws(() => featuresOf(table, { kind: 'hog' }), /need images; this dataset holds tables of shape \[3\]/);
    assert.throws(() => featuresOf(images, { kind: 'raw', hog: {} }), /HOG options are only used with 'hog'/);
    assert.throws(() => featuresOf(images, { kind: 'hog', scaler: StandardScaler.fit(images.data, 784) }), /only used with 'scaled'/);
    assert.throws(
      () =>
        featuresOf(images, { kind: 'raw' }, {
          checkCancelled: () => {
            throw new Error('cancelled');
          },
        }),
      /cancelled/,
    );
  });
});
