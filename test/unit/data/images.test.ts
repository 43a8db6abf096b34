import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { encode as encodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { datasetFolderOfImage } from '../../../server/engine/data/imageFolder';
import { axisWeights, probeImage, resizeImage } from '../../../server/engine/data/images';
import { readVectorDataset, vectorFormatOf } from '../../../server/engine/data/vectorDataset';
import { rowOf } from '../../../server/engine/data/vectors';
import { expectParseError, fixture, tempDir } from './helpers';

const FOLDER = fixture('images', 'fashion');
const JPEG = fixture('images', 'tinted.jpg');
const idxPixels = gunzipSync(readFileSync(fixture('images', 'fashion64-images-idx3-ubyte.gz'))).subarray(16);
const idxImage = (i: number): number[] => Array.from(idxPixels.subarray(i * 784, (i + 1) * 784));

/** A PNG of the given grey (colorType 0) or RGBA (colorType 6) pixels. */
function png(width: number, height: number, pixels: number[], colorType: 0 | 6 = 0): Buffer {
  const img = new PNG({ width, height, colorType, inputColorType: colorType, inputHasAlpha: colorType === 6 });
  img.data = Buffer.from(pixels);
  return PNG.sync.write(img, { colorType, inputColorType: colorType, inputHasAlpha: colorType === 6 });
}

void test('image folder: 12 real Fashion-MNIST PNGs in 3 class folders, grey, sorted, pixels exact', async () => {
  assert.equal(await vectorFormatOf(FOLDER), 'image-folder');
  const d = await readVectorDataset(FOLDER);
  assert.equal(d.kind, 'image');
  assert.equal(d.format, 'image-folder');
  assert.deepEqual(d.shape, [28, 28, 1]);
  const ids = d.records.map((r) => r.id);
  assert.deepEqual(ids, [...ids].sort());
  assert.equal(ids.length, 12);
  assert.deepEqual(ids.slice(0, 4), ['bag/00023.png', 'bag/00035.png', 'bag/00057.png', 'bag/00099.png']);
  assert.deepEqual([...new Set(d.records.map((r) => r.label))], ['bag', 'sneaker', 'trouser']);
  assert.equal(d.records[0]!.file, path.join(FOLDER, 'bag', '00023.png'));
  // The file name is the image's index in the training set; the first 64 are in the IDX fixture.
  let compared = 0;
  d.records.forEach((r, i) => {
    const k = Number(path.basename(r.id, '.png'));
    if (k < 64) {
      assert.deepEqual(Array.from(rowOf(d, i)), idxImage(k), r.id);
      compared++;
    }
  });
  assert.ok(compared >= 8);
  assert.equal(d.summary.warnings.length, 0);
  const two = await readVectorDataset(FOLDER, { limit: 2 });
  assert.deepEqual(two.data, d.data.subarray(0, 2 * 784));
});

void test('image file: a jpeg-js JPEG is RGB; channels 1 gives its luma', async () => {
  assert.equal(await vectorFormatOf(JPEG), 'image-file');
  assert.deepEqual(await probeImage(JPEG), { type: 'jpeg', width: 28, height: 28, grey: false });
  const d = await readVectorDataset(JPEG);
  assert.equal(d.format, 'image-file');
  assert.deepEqual(d.shape, [28, 28, 3]);
  assert.deepEqual(d.records, [{ index: 0, id: 'tinted.jpg', file: JPEG }]);
  // make-fixtures.mjs: R = v, G = v / 2, B = 255 - v of image 0, saved at quality 90.
  const v = idxImage(0);
  let err = 0;
  for (let p = 0; p < 784; p++) err += Math.abs(d.data[3 * p]! - v[p]!) + Math.abs(d.data[3 * p + 1]! - (v[p]! >> 1)) + Math.abs(d.data[3 * p + 2]! - (255 - v[p]!));
  assert.ok(err / (3 * 784) < 6, `mean abs error ${err / (3 * 784)}`);
  const grey = await readVectorDataset(JPEG, { channels: 1 });
  assert.deepEqual(grey.shape, [28, 28, 1]);
  for (const p of [0, 300, 500]) assert.ok(Math.abs(grey.data[p]! - (0.299 * d.data[3 * p]! + 0.587 * d.data[3 * p + 1]! + 0.114 * d.data[3 * p + 2]!)) < 1e-3);
  const small = await readVectorDataset(JPEG, { imageSize: [14, 7] });
  assert.deepEqual(small.shape, [14, 7, 3]);
});

void test('image folder: one RGB image makes the dataset RGB (grey ones repeated), alpha dropped', async () => {
  const t = tempDir();
  try {
    mkdirSync(path.join(t.dir, 'x'));
    copyFileSync(path.join(FOLDER, 'bag', '00023.png'), path.join(t.dir, 'x', 'a.png'));
    copyFileSync(JPEG, path.join(t.dir, 'x', 'b.jpeg'));
    t.write('c.png', png(28, 28, Array.from({ length: 784 * 4 }, (_, i) => (i % 4 === 3 ? 0 : i % 251)), 6));
    const d = await readVectorDataset(t.dir);
    assert.deepEqual(d.shape, [28, 28, 3]);
    assert.deepEqual(d.records.map((r) => [r.id, r.label]), [
      ['c.png', undefined],
      ['x/a.png', 'x'],
      ['x/b.jpeg', 'x'],
    ]);
    const a = rowOf(d, 1);
    const bag = idxImage(23);
    for (let p = 0; p < 784; p++) assert.deepEqual([a[3 * p], a[3 * p + 1], a[3 * p + 2]], [bag[p], bag[p], bag[p]]);
    assert.deepEqual(Array.from(rowOf(d, 0).subarray(0, 6)), [0, 1, 2, 4, 5, 6]);
    const forced = await readVectorDataset(t.dir, { channels: 1 });
    assert.deepEqual(Array.from(rowOf(forced, 1)), bag);
  } finally {
    t.cleanup();
  }
});

void test('image folder: sizes differ → the most common size, others resampled with a warning; imageSize overrides', async () => {
  const t = tempDir();
  try {
    const four = Array.from({ length: 16 }, (_, i) => i * 10);
    t.write('a.png', png(4, 4, four));
    t.write('b.png', png(4, 4, four.map((v) => 255 - v)));
    t.write('c.png', png(2, 2, [0, 100, 200, 40]));
    t.write('notes.txt', 'not an image');
    const d = await readVectorDataset(t.dir);
    assert.deepEqual(d.shape, [4, 4, 1]);
    // Bilinear, pixel centres aligned: a row [0, 100] becomes [0, 25, 75, 100].
    assert.deepEqual(Array.from(rowOf(d, 2).subarray(0, 4)), [0, 25, 75, 100]);
    assert.deepEqual(Array.from(rowOf(d, 0)), four);
    const resized = d.summary.warnings.filter((w) => w.code === 'resized');
    assert.deepEqual(resized.map((w) => w.message), [`${t.dir}/c.png:1:1: resized from 2×2 to the common 4×4`]);
    assert.deepEqual(d.summary.warnings.filter((w) => w.code === 'skipped-file').map((w) => w.file), [`${t.dir}/notes.txt`]);
    // imageSize [2, 2]: area average, i.e. the mean of each 2×2 block.
    const s = await readVectorDataset(t.dir, { imageSize: [2, 2] });
    assert.deepEqual(Array.from(rowOf(s, 0)), [25, 45, 105, 125]);
    assert.deepEqual(Array.from(rowOf(s, 2)), [0, 100, 200, 40]);
    assert.equal(s.summary.warningCounts.resized, undefined);
    // A tie between sizes: the larger area wins.
    t.write('d.png', png(2, 2, [1, 2, 3, 4]));
    assert.deepEqual((await readVectorDataset(t.dir)).shape, [4, 4, 1]);
  } finally {
    t.cleanup();
  }
});

/** Plain reference: the area average over the exact 2-D overlap of each output pixel with each source pixel. */
function areaReference(src: number[], h: number, w: number, H: number, W: number): number[] {
  const out: number[] = [];
  const sy = h / H;
  const sx = w / W;
  for (let Y = 0; Y < H; Y++) {
    for (let X = 0; X < W; X++) {
      let s = 0;
      for (let y = 0; y < h; y++) {
        const oy = Math.max(0, Math.min(y + 1, (Y + 1) * sy) - Math.max(y, Y * sy));
        for (let x = 0; x < w; x++) {
          const ox = Math.max(0, Math.min(x + 1, (X + 1) * sx) - Math.max(x, X * sx));
          s += oy * ox * src[y * w + x]!;
        }
      }
      out.push(s / (sy * sx));
    }
  }
  return out;
}

void test('resize: shrinking equals the exact area average (random sizes), weights sum to 1, enlarging is bilinear', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer(),
      (h, w, dh, dw, seed) => {
        const H = Math.max(1, h - dh);
        const W = Math.max(1, w - dw);
        let s = seed;
        const src = Array.from({ length: h * w }, () => ((s = (s * 1103515245 + 12345) | 0) >>> 16) % 256);
        const got = Array.from(resizeImage(Float32Array.from(src), h, w, 1, H, W));
        const want = areaReference(src, h, w, H, W);
        got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) < 1e-3, `${h}×${w}→${H}×${W} at ${i}: ${g} vs ${want[i]}`));
      },
    ),
    { seed: 42, numRuns: 200 },
  );
  for (const [n, m] of [
    [7, 3],
    [3, 7],
    [5, 5],
    [28, 9],
  ] as const) {
    for (const ws of axisWeights(n, m).weight) assert.ok(Math.abs(ws.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  }
  // Enlarging 2 → 4 in both axes: rows then columns are bilinear; a constant stays constant.
  assert.deepEqual(Array.from(resizeImage(Float32Array.of(0, 10, 0, 10), 2, 2, 1, 1, 4)), [0, 2.5, 7.5, 10]);
  assert.deepEqual(Array.from(resizeImage(Float32Array.of(3, 3, 3, 3, 3, 3), 1, 2, 3, 5, 3)), Array(45).fill(3));
});

void test('images: files that do not decode are ParseErrors naming the file', async () => {
  const t = tempDir();
  try {
    mkdirSync(path.join(t.dir, 'k'));
    const good = readFileSync(path.join(FOLDER, 'bag', '00023.png'));
    t.write('k/a.png', good);
    // A PNG cut after its header: probed fine, decoding fails, and says where the file ends (column: the cut chunk's byte).
    t.write('k/b.png', good.subarray(0, 60));
    await expectParseError(() => readVectorDataset(t.dir), `${t.dir}/k/b.png`, { line: 1, column: 34, reason: /^truncated PNG: the file ends after 60 bytes, inside its "IDAT" chunk/ });
    t.write('k/b.png', Buffer.from('GIF89a this is not a png'));
    await expectParseError(() => readVectorDataset(t.dir), `${t.dir}/k/b.png`, { line: 1, column: 1, reason: /not a PNG or JPEG image/ });
    const jpg = readFileSync(JPEG);
    t.write('k/b.png', jpg.subarray(0, 400));
    await expectParseError(() => readVectorDataset(t.dir), `${t.dir}/k/b.png`, { line: 1, column: 1, reason: /image does not decode/ });
    t.write('k/b.png', good.subarray(0, 20));
    await expectParseError(() => readVectorDataset(t.dir), `${t.dir}/k/b.png`, { line: 1, column: 21, reason: /ends after 20 bytes, inside the header/ });
    const lone = t.write('lone.jpg', jpg.subarray(0, 300));
    await expectParseError(() => readVectorDataset(lone), lone, { line: 1, column: 1, reason: /image does not decode/ });
    const jpegOf = (w: number, h: number): Buffer => encodeJpeg({ width: w, height: h, data: Buffer.alloc(w * h * 4, 128) }, 80).data;
    assert.deepEqual(await probeImage(t.write('wide.jpg', jpegOf(5, 3))), { type: 'jpeg', width: 5, height: 3, grey: false });
  } finally {
    t.cleanup();
  }
});

void test('datasetFolderOfImage: the parent of a class folder among siblings, else the own folder', async () => {
  assert.equal(await datasetFolderOfImage(path.join(FOLDER, 'bag', '00023.png')), FOLDER);
  assert.equal(await datasetFolderOfImage(JPEG), path.dirname(JPEG));
  const t = tempDir();
  try {
    mkdirSync(path.join(t.dir, 'only'));
    const p = t.write('only/a.png', png(1, 1, [5]));
    assert.equal(await datasetFolderOfImage(p), path.join(t.dir, 'only'));
    mkdirSync(path.join(t.dir, 'empty'));
    assert.equal(await datasetFolderOfImage(p), path.join(t.dir, 'only'));
    mkdirSync(path.join(t.dir, 'other'));
    t.write('other/b.jpg', readFileSync(JPEG));
    assert.equal(await datasetFolderOfImage(p), t.dir);
  } finally {
    t.cleanup();
  }
});
