import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { openDataset, readDataset } from '../../../server/engine/data/dataset';
import { detectFileFormat, detectFormat, formatFromContent, formatFromExtension } from '../../../server/engine/data/detect';
import { genusOf16S } from '../../../server/engine/data/labels';
import { ascii, fixture, tempDir } from './helpers';

const none = new Uint8Array(0);

void test('detectFormat by extension, with or without .gz', () => {
  const cases: [string, string][] = [
    ['a.fa', 'fasta'], ['a.fasta', 'fasta'], ['a.FNA', 'fasta'], ['dir.x/a.fsa.gz', 'fasta'], ['a.ffn', 'fasta'], ['a.fas.gz', 'fasta'],
    ['a.fq', 'fastq'], ['a.fastq.gz', 'fastq'], ['a.txt', 'text'], ['a.txt.gz', 'text'], ['a.jsonl', 'jsonl'], ['a.ndjson.gz', 'jsonl'],
  ];
  for (const [p, f] of cases) assert.equal(detectFormat(p, none), f, p);
  assert.equal(formatFromExtension('reads'), undefined);
  assert.equal(formatFromExtension('reads.gz'), undefined);
});

void test('detectFormat sniffs content when the extension does not say (gzip looked through, even partial)', () => {
  const b = (s: string): Uint8Array => Buffer.from(s);
  assert.equal(detectFormat('x.dat', b('\n>r\nACGT')), 'fasta');
  assert.equal(detectFormat('x', b('@r\nACGT\n+\nIIII')), 'fastq');
  assert.equal(detectFormat('x', b('  {"text": 1}')), 'jsonl');
  assert.equal(detectFormat('x', b('hello')), 'text');
  assert.equal(detectFormat('x', Buffer.from('\xef\xbb\xbf>r', 'latin1')), 'fasta');
  const gz = gzipSync(readFileSync(fixture('dna', '16S-sample.fasta')));
  assert.equal(formatFromContent(gz.subarray(0, 300)), 'fasta');
  assert.equal(detectFormat('x.gz', gz), 'fasta');
  // The extension wins: a .txt that looks like FASTA is still text.
  assert.equal(detectFormat('x.txt', b('>r\nACGT')), 'text');
});

void test('detectFileFormat reads the first bytes only when needed', async () => {
  const t = tempDir();
  try {
    assert.equal(await detectFileFormat(t.write('reads', gzipSync('@r\nA\n+\nI\n'))), 'fastq');
    assert.equal(await detectFileFormat(t.dir + '/missing.fasta'), 'fasta');
  } finally {
    t.cleanup();
  }
});

void test('readDataset: FASTA with header labels, limit, summary', async () => {
  const d = await readDataset(fixture('dna', '16S-sample.fasta'), { labelOf: genusOf16S, limit: 10 });
  assert.equal(d.format, 'fasta');
  assert.equal(d.kind, 'sequence');
  assert.equal(d.records.length, 10);
  assert.ok(d.records.every((r) => typeof r.label === 'string' && r.label.length > 0));
  assert.equal(d.summary.alphabet, 'nucleotide');
  const byField = await readDataset(fixture('dna', 'tiny.fastq'), { labelField: 2 });
  assert.equal(byField.format, 'fastq');
  assert.deepEqual(byField.records.map((r) => r.label), ['sample=A', 'sample=B', 'sample=A']);
  const byRegex = await readDataset(fixture('dna', 'tiny.fastq'), { labelRegex: 'sample=(\\w)' });
  assert.deepEqual(byRegex.records.map((r) => r.label), ['A', 'B', 'A']);
  const unmatched = await readDataset(fixture('dna', 'mixed.fasta'), { labelRegex: 'RNA|IUPAC' });
  assert.equal(unmatched.summary.unlabeled, 3);
  assert.deepEqual(unmatched.records.map((r) => r.label), [undefined, undefined, 'IUPAC', 'RNA', undefined]);
});

void test('readDataset: text and JSONL, labels file, label column', async () => {
  const text = await readDataset(fixture('text', 'sentences.txt'));
  assert.equal(text.kind, 'text');
  assert.equal(text.records.length, 4);
  const jsonl = await readDataset(fixture('text', 'records.jsonl'), { labelsFile: fixture('text', 'labels.txt') });
  assert.equal(jsonl.format, 'jsonl');
  assert.deepEqual(jsonl.records.map((r) => r.label), ['x', 'y', 'z']);
  const column = await readDataset(fixture('text', 'records.jsonl'), { labelColumn: 'label' });
  assert.deepEqual(column.records.map((r) => r.label), ['x', 'y', '7']);
  // --limit with a labels file for the whole dataset: the first labels are used.
  const limited = await readDataset(fixture('text', 'records.jsonl'), { labelsFile: fixture('text', 'labels.txt'), limit: 2 });
  assert.deepEqual(limited.records.map((r) => r.label), ['x', 'y']);
  // Without a limit, more labels than records is an error.
  await assert.rejects(readDataset(fixture('dna', 'crlf.fasta'), { labelsFile: fixture('text', 'labels.txt') }), /labels\.txt:3:1: 3 labels for 2 records: too many labels/);
});

void test('readDataset: usage errors are DatasetOptionErrors (bad usage: exit 2, InvalidParams), not failures', async () => {
  await assert.rejects(readDataset(fixture('text', 'sentences.txt'), { labelField: 2 }), (e: unknown) => e instanceof Error && e.name === 'DatasetOptionError' && /read FASTA\/FASTQ headers/.test(e.message));
  await assert.rejects(readDataset(fixture('dna', 'tiny.fastq'), { labelField: 2, labelsFile: 'x' }), /cannot be combined/);
  await assert.rejects(readDataset(fixture('dna', 'tiny.fastq'), { limit: -1 }), RangeError);
});

void test('openDataset streams, and the format can be forced', async () => {
  const t = tempDir();
  try {
    const p = t.write('seqs.data', '>a\nAC\n>b\nGT\n');
    const s = await openDataset(p);
    assert.equal(s.format, 'fasta');
    const ids: string[] = [];
    for await (const r of s.records) ids.push(r.id);
    assert.deepEqual(ids, ['a', 'b']);
    assert.equal(s.summary.records, 2);
    const forced = await readDataset(p, { format: 'text' });
    assert.equal(forced.kind, 'text');
    assert.deepEqual(forced.records.map((r) => r.text), ['>a', 'AC', '>b', 'GT']);
    if (forced.kind === 'text') assert.equal(forced.records[1]!.text, 'AC');
    const seq = await readDataset(p);
    if (seq.kind === 'sequence') assert.equal(ascii(seq.records[1]!.sequence), 'GT');
  } finally {
    t.cleanup();
  }
});
