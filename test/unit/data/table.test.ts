import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { DatasetOptionError } from '../../../server/engine/data/records';
import { parseCell } from '../../../server/engine/data/table';
import { readVectorDataset } from '../../../server/engine/data/vectorDataset';
import { rowOf } from '../../../server/engine/data/vectors';
import { expectParseError, expectProblem, fixture, tempDir } from './helpers';

const rows = (d: { data: Float32Array; dim: number; records: unknown[] }): number[][] => d.records.map((_, i) => Array.from(rowOf(d, i)));

void test('table: the sklearn layout (iris, whole): class names from the first line, count checked', async () => {
  const d = await readVectorDataset(fixture('tables', 'iris.csv'));
  assert.equal(d.format, 'csv');
  assert.equal(d.kind, 'table');
  assert.deepEqual(d.shape, [4]);
  assert.equal(d.records.length, 150);
  assert.deepEqual(d.columns, ['0', '1', '2', '3']);
  assert.deepEqual(rows(d)[0], [5.1, 3.5, 1.4, 0.2].map(Math.fround));
  assert.deepEqual(d.records[0], { index: 0, id: '0', startLine: 1, endLine: 1, label: 'setosa' });
  assert.deepEqual(d.records[149], { index: 149, id: '149', startLine: 150, endLine: 150, label: 'virginica' });
  const counts: Record<string, number> = {};
  for (const r of d.records) counts[r.label!] = (counts[r.label!] ?? 0) + 1;
  assert.deepEqual(counts, { setosa: 50, versicolor: 50, virginica: 50 });
  assert.equal(d.summary.records, 150);
  // A limit stops early: the count announced by the first line is then not checked.
  const ten = await readVectorDataset(fixture('tables', 'iris.csv'), { limit: 10 });
  assert.equal(ten.records.length, 10);
  assert.equal(ten.data.length, 40);
});

void test('table: headerless gzip digits, label column -1 (= 64 = "64"), readable as 8×8 images', async () => {
  const text = gunzipSync(readFileSync(fixture('tables', 'digits-100.csv.gz'))).toString('utf8').trim().split('\n');
  const d = await readVectorDataset(fixture('tables', 'digits-100.csv.gz'), { labelColumn: -1 });
  assert.equal(d.records.length, 100);
  assert.deepEqual(d.shape, [64]);
  for (const i of [0, 57, 99]) {
    const cells = text[i]!.split(',').map(Number);
    assert.deepEqual(rows(d)[i], cells.slice(0, 64));
    assert.equal(d.records[i]!.label, String(cells[64]));
    assert.equal(d.records[i]!.startLine, i);
  }
  for (const labelColumn of [64, '64', '-1'] as const) {
    const same = await readVectorDataset(fixture('tables', 'digits-100.csv.gz'), { labelColumn });
    assert.deepEqual(same.records.map((r) => r.label), d.records.map((r) => r.label));
  }
  const all = await readVectorDataset(fixture('tables', 'digits-100.csv.gz'));
  assert.deepEqual(all.shape, [65]);
  assert.equal(all.records[0]!.label, undefined);
  const img = await readVectorDataset(fixture('tables', 'digits-100.csv.gz'), { labelColumn: -1, imageShape: [8, 8] });
  assert.equal(img.kind, 'image');
  assert.deepEqual(img.shape, [8, 8, 1]);
  assert.deepEqual(img.data, d.data);
});

void test('table: header, id column, quoted fields across lines, a text column skipped with a warning', async () => {
  const d = await readVectorDataset(fixture('tables', 'points.csv'));
  assert.deepEqual(d.columns, ['x', 'y']);
  assert.deepEqual(rows(d), [
    [1.5, 2],
    [3, -4],
    [5, 6],
  ]);
  assert.deepEqual(
    d.records.map((r) => [r.id, r.label, r.startLine, r.endLine]),
    [
      ['a', 'cat', 1, 1],
      ['b', 'dog', 2, 3],
      ['c', undefined, 5, 5],
    ],
  );
  const skipped = d.summary.warnings.filter((w) => w.code === 'skipped-column');
  assert.equal(skipped.length, 1);
  assert.equal(skipped[0]!.message, `${fixture('tables', 'points.csv')}:2:3: column "name" is not numeric (first value "Smith, J"): skipped`);
  assert.equal(d.summary.unlabeled, 1);
  assert.equal(d.summary.warningCounts['no-label'], 1);
  // The label column by index; the id by an explicit idField.
  const byIndex = await readVectorDataset(fixture('tables', 'points.csv'), { labelColumn: 4 });
  assert.deepEqual(byIndex.records.map((r) => r.label), ['cat', 'dog', undefined]);
});

void test('table: TSV with a "Class" column (the default label), ids are data-row indices', async () => {
  const d = await readVectorDataset(fixture('tables', 'points.tsv'));
  assert.equal(d.format, 'tsv');
  assert.deepEqual(rows(d), [
    [0.5, 1],
    [2, 3.25],
  ]);
  assert.deepEqual(d.records.map((r) => [r.id, r.label]), [
    ['0', 'small'],
    ['1', 'big'],
  ]);
});

void test('table: RFC 4180 quotes ("" is a quote), spaces around fields, CRLF', async () => {
  const t = tempDir();
  try {
    const p = t.write('q.csv', 'id,"a ""b""",c\r\n"x,1", 1 ,"2.5"\r\n');
    const d = await readVectorDataset(p);
    assert.deepEqual(d.columns, ['a "b"', 'c']);
    assert.deepEqual(d.records[0]!.id, 'x,1');
    assert.deepEqual(rows(d), [[1, 2.5]]);
  } finally {
    t.cleanup();
  }
});

void test('parseCell is strict: numbers only (no hex, Infinity, empty)', () => {
  assert.equal(parseCell(' -1.5e3 '), -1500);
  assert.equal(parseCell('.5'), 0.5);
  assert.equal(parseCell('7.'), 7);
  for (const bad of ['', ' ', '0x10', 'Infinity', 'NaN', '1,5', '1e', 'e3', '--1']) assert.equal(parseCell(bad), undefined, bad);
});

void test('table: a bad data row is skipped and reported at the line, column and column name', async () => {
  const t = tempDir();
  try {
    const cases: [string, string, { line: number; column: number; reason: RegExp; field?: string }][] = [
      ['more.csv', 'x,y\n1,2\n3,4,5\n', { line: 3, column: 5, reason: /row has 3 fields, expected 2 \(as the header\)/ }],
      ['fewer.csv', 'x,y\n1,2\n3\n', { line: 3, column: 2, reason: /row has 1 fields, expected 2/, field: 'y' }],
      ['ragged-headerless.csv', '1,2\n\n3,4,5\n', { line: 3, column: 5, reason: /expected 2 \(as line 1\)/ }],
      ['nan.csv', 'x,y\n1,2\n3,NaN\n', { line: 3, column: 3, reason: /missing value "NaN" in column "y"/, field: 'y' }],
      ['text.csv', 'x,y\n1,2\n3, abc\n', { line: 3, column: 4, reason: /"abc" in column "y" is not a number/, field: 'y' }],
      ['empty.csv', 'x,y\n1,2\n,4\n', { line: 3, column: 1, reason: /missing value \(empty cell\) in column "x"/, field: 'x' }],
      ['sk-class.csv', '2,2,a,b\n1,2,0\n3,4,2\n', { line: 3, column: 5, reason: /class "2" is not an index of the 2 classes/, field: '2' }],
    ];
    for (const [name, content, expected] of cases) {
      const p = t.write(name, content);
      const dataset = await readVectorDataset(p);
      assert.equal(dataset.records.length, 1, name);
      assert.equal(dataset.summary.errors, 1, name);
      expectProblem(dataset.summary, p, expected);
    }
  } finally {
    t.cleanup();
  }
});

void test('table: malformed input is a ParseError at the line, column and column name', async () => {
  const t = tempDir();
  try {
    const cases: [string, string, { line: number; column: number; reason: RegExp; field?: string }][] = [
      ['first-empty.csv', 'x,y\n1,\n', { line: 2, column: 3, reason: /missing value \(empty cell\) in column "y"/, field: 'y' }],
      ['sk-short.csv', '3,2,a,b\n1,2,0\n3,4,1\n', { line: 4, column: 1, reason: /announces 3 samples, the file has 2 rows/ }],
      ['sk-long.csv', '1,2,a,b\n1,2,0\n3,4,1\n', { line: 3, column: 1, reason: /more rows than the 1 samples/ }],
      ['open.csv', 'x,y\n"1,2\n3,4\n', { line: 2, column: 1, reason: /unterminated quoted field/ }],
      ['after-quote.csv', 'x,y\n"1"x,2\n', { line: 2, column: 4, reason: /unexpected text after a closing quote/ }],
      ['header-only.csv', 'x,y\n', { line: 2, column: 1, reason: /no data rows/ }],
      ['no-numbers.csv', 'name\nbob\n', { line: 2, column: 1, reason: /no numeric column/ }],
      ['empty-file.csv', '', { line: 1, column: 1, reason: /no rows/ }],
      ['latin1.csv', Buffer.from([0x78, 0x0a, 0x31, 0xe9, 0x0a]) as unknown as string, { line: 2, column: 2, reason: /invalid UTF-8/ }],
    ];
    for (const [name, content, expected] of cases) {
      const p = t.write(name, content);
      await expectParseError(() => readVectorDataset(p), p, expected);
    }
    // A gzip cut short: the error names the line being read.
    const gz = readFileSync(fixture('tables', 'digits-100.csv.gz'));
    const cut = t.write('cut.csv.gz', gz.subarray(0, gz.length - 200));
    await expectParseError(() => readVectorDataset(cut, { labelColumn: -1 }), cut, { column: 1, reason: /truncated gzip/ });
  } finally {
    t.cleanup();
  }
});

void test('table: options that do not fit are DatasetOptionErrors', async () => {
  const p = fixture('tables', 'points.csv');
  await assert.rejects(readVectorDataset(p, { labelColumn: 'nope' }), (e) => e instanceof DatasetOptionError && /no such column/.test(e.message));
  await assert.rejects(readVectorDataset(p, { labelColumn: 9 }), DatasetOptionError);
  await assert.rejects(readVectorDataset(p, { labelColumn: 'id' }), (e) => e instanceof DatasetOptionError && /both the id and the label/.test(e.message));
  await assert.rejects(readVectorDataset(p, { idField: 'nope' }), DatasetOptionError);
  await assert.rejects(readVectorDataset(fixture('tables', 'iris.csv'), { labelColumn: 0 }), (e) => e instanceof DatasetOptionError && /sklearn layout/.test(e.message));
  await assert.rejects(readVectorDataset(p, { imageShape: [3, 3] }), (e) => e instanceof DatasetOptionError && /needs 9 values/.test(e.message));
  await assert.rejects(readVectorDataset(p, { imageSize: [4, 4] }), (e) => e instanceof DatasetOptionError && /apply to images/.test(e.message));
});
