import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ParseError } from '../../../server/engine/data/records';
import { pairedIdxLabels } from '../../../server/engine/data/idx';
import { readVectorDataset, vectorFormatOf } from '../../../server/engine/data/vectorDataset';
import { rowOf } from '../../../server/engine/data/vectors';
import { expectParseError, fixture, SHARED_DATA, tempDir } from './helpers';

const IMAGES = fixture('images', 'fashion64-images-idx3-ubyte.gz');
const LABELS = fixture('images', 'fashion64-labels-idx1-ubyte.gz');
const rawImages = (): Buffer => gunzipSync(readFileSync(IMAGES));
const rawLabels = (): Buffer => gunzipSync(readFileSync(LABELS));

function idx(magic: number, dims: number[], body: Uint8Array): Buffer {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([h, body]);
}

void test('IDX: 64 Fashion-MNIST images with the labels file found beside them', async () => {
  assert.equal(await pairedIdxLabels(IMAGES), LABELS);
  assert.equal(await vectorFormatOf(IMAGES), 'idx');
  assert.equal(await vectorFormatOf(LABELS), undefined);
  const d = await readVectorDataset(IMAGES);
  assert.equal(d.kind, 'image');
  assert.deepEqual(d.shape, [28, 28, 1]);
  assert.equal(d.records.length, 64);
  const pixels = rawImages().subarray(16);
  assert.deepEqual(Array.from(d.data), Array.from(pixels));
  assert.deepEqual(d.records.map((r) => r.label), Array.from(rawLabels().subarray(8), String));
  assert.deepEqual(d.records[5], { index: 5, id: '5', label: d.records[5]!.label });
  // allocate: the values land in the array it makes (the pool reads into shared memory).
  const shared = await readVectorDataset(IMAGES, { allocate: (length) => new Float32Array(new SharedArrayBuffer(length * 4)) });
  assert.ok(shared.data.buffer instanceof SharedArrayBuffer);
  assert.deepEqual(Array.from(shared.data), Array.from(pixels));
  // limit: the first N, with their labels.
  const ten = await readVectorDataset(IMAGES, { limit: 10 });
  assert.equal(ten.records.length, 10);
  assert.deepEqual(Array.from(ten.data), Array.from(pixels.subarray(0, 7840)));
  assert.deepEqual(ten.records.map((r) => r.label), d.records.slice(0, 10).map((r) => r.label));
});

void test('IDX: labels from a text labels file; plain (not gzip) files; vectors (0x802)', async () => {
  const t = tempDir();
  try {
    const plain = t.write('plain.idx', rawImages());
    const names = Array.from(rawLabels().subarray(8), (c) => `class${c}`);
    const labels = t.write('labels.txt', names.join('\n') + '\n');
    const d = await readVectorDataset(plain, { labelsFile: labels });
    assert.deepEqual(d.records.map((r) => r.label), names);
    const limited = await readVectorDataset(plain, { labelsFile: labels, limit: 3 });
    assert.deepEqual(limited.records.map((r) => r.label), names.slice(0, 3));
    const short = t.write('short.txt', names.slice(0, 63).join('\n'));
    await expectParseError(() => readVectorDataset(plain, { labelsFile: short }), short, { line: 64, column: 1, reason: /63 labels for 64 records: too few/, field: 'label' });
    // An IDX labels file given explicitly, to a file whose name pairs with nothing.
    const withIdx = await readVectorDataset(plain, { labelsFile: LABELS });
    assert.deepEqual(withIdx.records.map((r) => r.label), Array.from(rawLabels().subarray(8), String));
    const vec = t.write('v-ubyte', idx(0x802, [2, 3], Uint8Array.of(1, 2, 3, 4, 5, 255)));
    const v = await readVectorDataset(vec);
    assert.equal(v.kind, 'table');
    assert.deepEqual(v.shape, [3]);
    assert.deepEqual(Array.from(rowOf(v, 1)), [4, 5, 255]);
  } finally {
    t.cleanup();
  }
});

void test('IDX: wrong magic, truncated and over-long files, label counts that differ', async () => {
  const t = tempDir();
  try {
    const raw = rawImages();
    const bad = t.write('bad-images-idx3-ubyte', idx(0x804, [1, 1, 1, 1], Uint8Array.of(0)));
    await expectParseError(() => readVectorDataset(bad), bad, { line: 1, column: 1, reason: /wrong magic number 0x00000804: expected 0x00000803 or 0x00000802/ });
    const labelsAsData = t.write('l.idx', rawLabels());
    await assert.rejects(readVectorDataset(labelsAsData), /is not a numeric dataset/);
    await expectParseError(() => readVectorDataset(labelsAsData, { format: 'idx' }), labelsAsData, { line: 1, column: 1, reason: /0x00000801 \(an IDX labels file/ });
    const floats = t.write('f.idx', idx(0x00000d02, [1, 1], Uint8Array.of(0, 0, 0, 0)));
    await expectParseError(() => readVectorDataset(floats), floats, { line: 1, column: 1, reason: /data type 0x0d/ });
    // Cut in the middle of image 40 (byte 16 + 40 × 784 + 100).
    const cut = t.write('cut-images-idx3-ubyte.gz', gzipSync(raw.subarray(0, 16 + 40 * 784 + 100)));
    await expectParseError(() => readVectorDataset(cut), cut, { line: 1, column: 16 + 40 * 784 + 100 + 1, reason: /truncated IDX file: the header announces 64 images of 28×28 \(50192 bytes\).*in record 40/ });
    // A limit that stops before the cut reads fine.
    assert.equal((await readVectorDataset(cut, { limit: 40 })).records.length, 40);
    const header = t.write('h.idx', raw.subarray(0, 10));
    await expectParseError(() => readVectorDataset(header), header, { line: 1, column: 11, reason: /truncated file: the IDX dimensions needs 12 bytes at byte 4/ });
    const long = t.write('long.idx', Buffer.concat([raw, Buffer.alloc(5)]));
    await expectParseError(() => readVectorDataset(long), long, { line: 1, column: raw.length + 1, reason: /5 bytes after the 64 images of 28×28/ });
    // The auto-paired labels file announces 63 labels for 64 images.
    const images = t.write('pair-images-idx3-ubyte', raw);
    const labels = t.write('pair-labels-idx1-ubyte', idx(0x801, [63], rawLabels().subarray(8, 71)));
    await expectParseError(() => readVectorDataset(images), labels, { line: 1, column: 5, reason: /63 labels for the 64 records/, field: 'label' });
    const gzCut = readFileSync(IMAGES);
    const corrupt = t.write('gzcut.idx', gzCut.subarray(0, 5000));
    // Where gunzip gives up depends on zlib's buffering: the file and the reason are fixed.
    await assert.rejects(readVectorDataset(corrupt), (e) => e instanceof ParseError && e.file === corrupt && e.line === 1 && /truncated gzip/.test(e.reason));
  } finally {
    t.cleanup();
  }
});

void test('IDX: the real Fashion-MNIST training file (when present) starts with the fixture', { skip: !existsSync(path.join(SHARED_DATA, 'images')) }, async () => {
  const d = await readVectorDataset(path.join(SHARED_DATA, 'images', 'train-images-idx3-ubyte.gz'), { limit: 64 });
  const f = await readVectorDataset(IMAGES);
  assert.deepEqual(d.data, f.data);
  assert.deepEqual(d.records.map((r) => r.label), f.records.map((r) => r.label));
});

void test('IDX: sizes the header announces are checked against the file and memory before anything is allocated', async () => {
  const t = tempDir();
  try {
    // Plain: 2^31 − 1 images in a 16-byte file; one image of 65535 × 65535; 1000 images with the data of 3.
    const billions = t.write('billions-idx3-ubyte', idx(0x803, [0x7fffffff, 28, 28], new Uint8Array(0)));
    await expectParseError(() => readVectorDataset(billions), billions, { line: 1, column: 5, reason: /2147483647 images of 28×28: 1683627179248 values, more than the 1073741824/, field: 'dimensions' });
    const wide = t.write('wide-idx3-ubyte', idx(0x803, [1, 65535, 65535], new Uint8Array(100)));
    await expectParseError(() => readVectorDataset(wide), wide, { line: 1, column: 5, reason: /4294836225 values in each record/, field: 'dimensions' });
    const more = t.write('more-idx3-ubyte', idx(0x803, [1000, 28, 28], new Uint8Array(3 * 784)));
    await expectParseError(() => readVectorDataset(more), more, { line: 1, column: 16 + 3 * 784 + 1, reason: /truncated IDX file: the header announces 1000 images of 28×28 \(784016 bytes\); the data ends after 2368 bytes, in record 3/, field: 'dimensions' });
    // Gzip: more than its compressed bytes can unpack to (deflate's 1032:1).
    const gz = t.write('claims-idx3-ubyte.gz', gzipSync(idx(0x803, [100_000, 28, 28], new Uint8Array(784))));
    await expectParseError(() => readVectorDataset(gz), gz, { line: 1, column: 5, reason: /100000 images of 28×28 \(78400016 bytes\), more than the \d+ bytes of this gzip file can hold/, field: 'dimensions' });
    // A labels file announcing more labels than it holds.
    const images = t.write('pair-images-idx3-ubyte', idx(0x803, [1, 2, 2], new Uint8Array(4)));
    const labels = t.write('pair-labels-idx1-ubyte', idx(0x801, [0x7fffffff], Uint8Array.of(1)));
    await expectParseError(() => readVectorDataset(images), labels, { line: 1, column: 5, reason: /the header announces 2147483647 labels: 2147483647 values, more than/, field: 'dimensions' });
  } finally {
    t.cleanup();
  }
});
