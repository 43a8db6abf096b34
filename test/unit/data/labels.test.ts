import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  applyLabels,
  compileLabelRegex,
  genusOf16S,
  headerLabeler,
  headerWord,
  labelFromRegex,
  readLabelsFile,
} from '../../../server/engine/data/labels';
import { DatasetOptionError, ParseError } from '../../../server/engine/data/records';
import { readDataset } from '../../../server/engine/data/dataset';
import { fixture, tempDir } from './helpers';

void test('headerWord: word 1 is the id, negative counts from the end, too few words → undefined', () => {
  const h = 'id42  Escherichia\tcoli K-12';
  assert.equal(headerWord(h, 1), 'id42');
  assert.equal(headerWord(h, 2), 'Escherichia');
  assert.equal(headerWord(h, 3), 'coli');
  assert.equal(headerWord(h, -1), 'K-12');
  assert.equal(headerWord(h, 5), undefined);
  assert.throws(() => headerWord(h, 0), RangeError);
});

void test('label regex: first capture group, whole match without groups, no match → undefined, g flag harmless', () => {
  assert.equal(labelFromRegex('r1 taxon=Bacillus;', compileLabelRegex('taxon=(\\w+)')), 'Bacillus');
  assert.equal(labelFromRegex('r1 size=12', compileLabelRegex('\\d+')), '1');
  assert.equal(labelFromRegex('r1', compileLabelRegex('taxon=(\\w+)')), undefined);
  const global = compileLabelRegex(/x(\d)/g);
  assert.equal(labelFromRegex('x1', global), '1');
  assert.equal(labelFromRegex('x1', global), '1');
  assert.throws(() => compileLabelRegex('(unclosed'), /invalid --label-regex/);
});

void test('headerLabeler: field or regex, not both', () => {
  assert.equal(headerLabeler({ labelField: 2 })!('a b c'), 'b');
  assert.equal(headerLabeler({ labelRegex: 'g=(\\w+)' })!('a g=Q'), 'Q');
  assert.equal(headerLabeler({}), undefined);
  assert.throws(() => headerLabeler({ labelField: 2, labelRegex: 'x' }), /cannot be used together/);
});

void test('genusOf16S: first word of the last ";" field of the 16S gold headers', () => {
  const headers = readFileSync(fixture('dna', '16S-sample.fasta'), 'latin1')
    .split('\n')
    .filter((l) => l.startsWith('>'))
    .map((l) => l.slice(1));
  assert.equal(genusOf16S(headers[0]!), headers[0]!.split(';').pop()!.trim().split(' ')[0]);
  assert.equal(genusOf16S('x\tBacteria; Firmicutes; Lachnospiraceae incertae sedis'), 'Lachnospiraceae');
  assert.equal(genusOf16S('no lineage'), undefined);
  assert.equal(genusOf16S('x\tBacteria; '), undefined);
});

void test('labels file: one per line, trimmed, trailing blank lines ignored; counts must match', async () => {
  assert.deepEqual(await readLabelsFile(fixture('text', 'labels.txt')), ['x', 'y', 'z']);
  const records: { label?: string }[] = [{}, {}, {}];
  applyLabels(records, ['a', 'b', 'c'], 'l.txt');
  assert.deepEqual(records.map((r) => r.label), ['a', 'b', 'c']);
  assert.throws(() => applyLabels([{}, {}, {}], ['a', 'b'], 'l.txt'), (e: unknown) => e instanceof ParseError && e.message === 'l.txt:3:1: 2 labels for 3 records: too few labels');
  assert.throws(() => applyLabels([{}, {}], ['a', 'b', 'c'], 'l.txt'), (e: unknown) => e instanceof ParseError && e.message === 'l.txt:3:1: 3 labels for 2 records: too many labels');
  applyLabels([{}, {}], ['a', 'b', 'c'], 'l.txt', { prefix: true });
});

void test('a catastrophic --label-regex is stopped by its time bound and named, with the record it was matching', { timeout: 30_000 }, async () => {
  // ^(a+)+$ against 120 a's and a b backtracks exponentially: it ran for over a minute.
  const t = tempDir();
  try {
    const records = Array.from({ length: 300 }, (_, i) => `>r${i} G${i % 3}\nACGT\n`).join('');
    const file = t.write('slow.fasta', `${records}>${'a'.repeat(120)}b\nACGT\n`);
    await assert.rejects(
      readDataset(file, { labelRegex: '^(a+)+$' }),
      (err: unknown) =>
        err instanceof DatasetOptionError && err.message.includes('"^(a+)+$"') && /too slow/.test(err.message) && err.message.includes(`${file}:601`) && err.message.includes(`'${'a'.repeat(120)}b'`),
    );
    // A usual pattern still labels every record, across the batches it is matched in.
    const read = await readDataset(file, { labelRegex: ' (G\\d)$' });
    assert.equal(read.records.length, 301);
    assert.deepEqual(read.records.slice(0, 4).map((r) => r.label), ['G0', 'G1', 'G2', 'G0']);
    assert.equal(read.records[300]!.label, undefined);
    assert.equal(read.summary.unlabeled, 1);
    assert.ok(read.warnings.some((w) => w.code === 'no-label' && w.line === 601));
  } finally {
    t.cleanup();
  }
});

void test('headerLabeler with a regex is time-bounded too', () => {
  assert.throws(() => headerLabeler({ labelRegex: '^(a+)+$' })!(`${'a'.repeat(120)}b`), (err: unknown) => err instanceof DatasetOptionError && /too slow/.test(err.message));
});
