import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DatasetOptionError } from '../../../server/engine/data/records';
import { readVectorDataset, vectorFormatOf } from '../../../server/engine/data/vectorDataset';
import { rowOf } from '../../../server/engine/data/vectors';
import { expectParseError, expectProblem, fixture, tempDir } from './helpers';

const IDX = fixture('images', 'fashion64-images-idx3-ubyte.gz');

void test('vectorFormatOf: numeric files and folders; anything else undefined', async () => {
  const t = tempDir();
  try {
    const cases: [string, string | undefined][] = [
      [fixture('tables', 'iris.csv'), 'csv'],
      [fixture('tables', 'digits-100.csv.gz'), 'csv'],
      [fixture('tables', 'points.tsv'), 'tsv'],
      [fixture('tables', 'embeddings.jsonl'), 'jsonl-vectors'],
      [fixture('text', 'records.jsonl'), undefined],
      [fixture('text', 'sentences.txt'), undefined],
      [fixture('dna', 'tiny.fasta.gz'), undefined],
      [IDX, 'idx'],
      [fixture('images', 'fashion64-labels-idx1-ubyte.gz'), undefined],
      [fixture('images', 'tinted.jpg'), 'image-file'],
      [fixture('images', 'fashion'), 'image-folder'],
      [fixture('images', 'fashion', 'bag'), 'image-folder'],
      [fixture('images'), 'image-folder'],
      [fixture('volumes'), 'volume-folder'],
      [fixture('text'), undefined],
      [fixture('nope.csv'), undefined],
      [t.write('x.npy.gz', 'anything'), 'npy'],
      [t.write('bad.jsonl', '{not json\n'), undefined],
      [t.write('t10k-images.idx3-ubyte', 'short'), 'idx'],
    ];
    for (const [p, want] of cases) assert.equal(await vectorFormatOf(p), want, p);
  } finally {
    t.cleanup();
  }
});

void test('JSONL vectors: default field, id field, label field (labelColumn), blank lines keep line numbers', async () => {
  const d = await readVectorDataset(fixture('tables', 'embeddings.jsonl'), { labelColumn: 'topic' });
  assert.equal(d.format, 'jsonl-vectors');
  assert.equal(d.kind, 'table');
  assert.deepEqual(d.shape, [3]);
  assert.deepEqual(Array.from(d.data), [0.5, 1, 1.5, 2, -1, 0, 0, 0, Math.fround(1e-3)]);
  assert.deepEqual(d.records, [
    { index: 0, id: 'q1', startLine: 0, endLine: 0, label: 'a' },
    { index: 1, id: '7', startLine: 2, endLine: 2, label: 'b' },
    { index: 2, id: '2', startLine: 3, endLine: 3 },
  ]);
  assert.equal(d.summary.unlabeled, 1);
  const two = await readVectorDataset(fixture('tables', 'embeddings.jsonl'), { limit: 2, idField: 'topic' });
  assert.deepEqual(two.records.map((r) => r.id), ['a', 'b']);
});

void test('JSONL vectors: ragged, non-numeric, missing vectors are skipped and listed at the line and field (an error with badRecords fail)', async () => {
  const t = tempDir();
  try {
    const cases: [string, { line: number; column: number; reason: RegExp; field?: string }][] = [
      ['{"vector":[1,2]}\n{"vector":[1,2,3]}\n', { line: 2, column: 2, reason: /has 3 numbers, expected 2 \(as line 1\)/, field: 'vector' }],
      ['{"features":[1,2]}\n{"id":1, "features":[1,"x"]}\n', { line: 2, column: 10, reason: /element 1 is "x", expected a number/, field: 'features' }],
      ['{"values":[1,2]}\n\n{"id":3}\n', { line: 3, column: 1, reason: /missing field "values"/, field: 'values' }],
      ['{"vector":[1,2]}\n{"vector":null}\n', { line: 2, column: 2, reason: /is null, expected an array/, field: 'vector' }],
      ['{"vector":[1,2]}\n{"vector":[1,2]\n', { line: 2, column: 16, reason: /invalid JSON/ }],
      ['{"vector":[1,2]}\n[1,2]\n', { line: 2, column: 1, reason: /expected a JSON object, found an array/ }],
    ];
    for (const [i, [content, expected]] of cases.entries()) {
      const p = t.write(`c${i}.jsonl`, content);
      const read = await readVectorDataset(p, { format: 'jsonl-vectors' });
      assert.deepEqual(Array.from(read.data), [1, 2], 'the valid first line is kept');
      expectProblem(read.summary, p, expected);
      await expectParseError(() => readVectorDataset(p, { format: 'jsonl-vectors', badRecords: 'fail' }), p, expected);
    }
    const none = t.write('none.jsonl', '{"text":"hi","v":[1]}\n');
    await expectParseError(() => readVectorDataset(none, { format: 'jsonl-vectors' }), none, { line: 1, column: 1, reason: /no vector field/ });
    assert.deepEqual(Array.from((await readVectorDataset(none, { format: 'jsonl-vectors', vectorField: 'v' })).data), [1]);
  } finally {
    t.cleanup();
  }
});

void test('labelsFile replaces folder labels and must match the record count', async () => {
  const t = tempDir();
  try {
    const folder = fixture('images', 'fashion');
    const names = Array.from({ length: 12 }, (_, i) => `L${i}`);
    const labels = t.write('labels.txt', names.join('\n'));
    const d = await readVectorDataset(folder, { labelsFile: labels });
    assert.deepEqual(d.records.map((r) => r.label), names);
    const partial = await readVectorDataset(folder, { labelsFile: labels, limit: 5 });
    assert.deepEqual(partial.records.map((r) => r.label), names.slice(0, 5));
    const long = t.write('long.txt', [...names, 'extra'].join('\n'));
    await expectParseError(() => readVectorDataset(folder, { labelsFile: long }), long, { line: 13, column: 1, reason: /13 labels for 12 records: too many/, field: 'label' });
    const iris = await readVectorDataset(fixture('tables', 'iris.csv'), { labelsFile: t.write('iris.txt', 'x\n'.repeat(150)) });
    assert.equal(iris.records[149]!.label, 'x');
  } finally {
    t.cleanup();
  }
});

void test('images from IDX/.npy/tables: imageSize resamples, channels 3 repeats grey', async () => {
  const d = await readVectorDataset(IDX, { limit: 2 });
  const half = await readVectorDataset(IDX, { limit: 2, imageSize: [14, 14] });
  assert.deepEqual(half.shape, [14, 14, 1]);
  const src = rowOf(d, 1);
  const block = (y: number, x: number): number => (src[2 * y * 28 + 2 * x]! + src[2 * y * 28 + 2 * x + 1]! + src[(2 * y + 1) * 28 + 2 * x]! + src[(2 * y + 1) * 28 + 2 * x + 1]!) / 4;
  for (const [y, x] of [
    [0, 0],
    [7, 7],
    [13, 5],
  ] as const) {
    assert.ok(Math.abs(rowOf(half, 1)[y * 14 + x]! - block(y, x)) < 1e-4);
  }
  assert.equal(half.records[1]!.label, d.records[1]!.label);
  const rgb = await readVectorDataset(IDX, { limit: 1, channels: 3 });
  assert.deepEqual(rgb.shape, [28, 28, 3]);
  for (const p of [0, 400, 783]) assert.deepEqual(Array.from(rgb.data.subarray(3 * p, 3 * p + 3)), [d.data[p], d.data[p], d.data[p]]);
  const digits = await readVectorDataset(fixture('tables', 'digits-100.csv.gz'), { labelColumn: -1, imageShape: [8, 8], imageSize: [4, 4], limit: 3 });
  assert.deepEqual(digits.shape, [4, 4, 1]);
  assert.equal(digits.data.length, 48);
});

void test('options that do not fit the format are DatasetOptionErrors', async () => {
  const t = tempDir();
  try {
    const bad = (p: string, o: Parameters<typeof readVectorDataset>[1], re: RegExp): Promise<void> => assert.rejects(readVectorDataset(p, o), (e) => e instanceof DatasetOptionError && re.test(e.message));
    await bad(IDX, { labelColumn: 0 }, /labelColumn applies to tables and JSONL/);
    await bad(fixture('tables', 'iris.csv'), { labelColumn: -1, labelsFile: IDX }, /cannot be used together/);
    await bad(fixture('tables', 'iris.csv'), { vectorField: 'v' }, /vectorField applies to JSONL/);
    await bad(fixture('volumes'), { imageSize: [2, 2] }, /apply to images/);
    await bad(fixture('images', 'fashion'), { imageSize: [0, 2] }, /imageSize must be/);
    await bad(fixture('images', 'fashion'), { channels: 2 as 1 }, /channels must be 1 or 3/);
    await bad(fixture('images', 'fashion'), { imageShape: [2, 2] }, /imageShape applies to vector datasets/);
    await bad(IDX, { imageShape: [28, 28] }, /imageShape applies to vector datasets; .* holds images/);
    await bad(fixture('text', 'sentences.txt'), {}, /is not a numeric dataset/);
    mkdirSync(path.join(t.dir, 'empty'));
    await bad(path.join(t.dir, 'empty'), {}, /is not a numeric dataset/);
    await assert.rejects(readVectorDataset(IDX, { limit: 0 }), RangeError);
    // displayName names the file in errors (a bad row is fatal with badRecords 'fail', as on the command line).
    const p = t.write('x.csv', 'a\n1\nq\n');
    await expectParseError(() => readVectorDataset(p, { displayName: 'shown.csv', badRecords: 'fail' }), 'shown.csv', { line: 3, column: 1, reason: /"q" in column "a" is not a number/, field: 'a' });
  } finally {
    t.cleanup();
  }
});

void test('onProgress reports bytes read up to the total', async () => {
  const seen: [number, number][] = [];
  await readVectorDataset(IDX, { onProgress: (a, b) => seen.push([a, b]) });
  assert.ok(seen.length > 0);
  assert.deepEqual(seen.at(-1), [seen.at(-1)![1], seen.at(-1)![1]]);
  const folder: [number, number][] = [];
  await readVectorDataset(fixture('images', 'fashion'), { onProgress: (a, b) => folder.push([a, b]) });
  assert.equal(folder.length, 12);
  assert.equal(folder.at(-1)![0], folder.at(-1)![1]);
});
