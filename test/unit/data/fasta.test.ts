import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseFasta, readAllFasta, readFasta } from '../../../server/engine/data/fasta';
import { newReadSummary, type ReadWarning } from '../../../server/engine/data/records';
import { ascii, collect, fixture, tempDir } from './helpers';

void test('multi-line sequences, blank lines, lowercase, gaps, IUPAC codes, RNA and a missing final newline', async () => {
  const { records, summary } = await readAllFasta(fixture('dna', 'mixed.fasta'));
  assert.deepEqual(
    records.map((r) => [r.index, r.id, ascii(r.sequence), r.startLine, r.endLine]),
    [
      [0, 'seq1', 'ACGTACGTACGTACGT', 0, 2],
      [1, 'seq2', 'ACGTACGTACNNNNACGT', 4, 6],
      [2, 'seq3', 'ACGTRYSWKMBDHVN', 7, 8],
      [3, 'seq4', 'ACGTACGT', 9, 10],
      [4, 'seq5', 'ACGTTGCA', 11, 12],
    ],
  );
  assert.equal(records[1]!.header, 'seq2  lower case and gaps');
  assert.equal(records[0]!.quality, undefined);
  assert.equal(summary.alphabet, 'nucleotide');
  assert.equal(summary.records, 5);
  assert.deepEqual(summary.warnings, []);
});

void test('CRLF line endings', async () => {
  const { records } = await readAllFasta(fixture('dna', 'crlf.fasta'));
  assert.deepEqual(
    records.map((r) => [r.id, r.header, ascii(r.sequence), r.startLine, r.endLine]),
    [
      ['c1', 'c1 windows line endings', 'ACGTTTGG', 0, 2],
      ['c2', 'c2', 'GGCC', 3, 4],
    ],
  );
});

void test('gzip is detected by its magic bytes, whatever the name says', async () => {
  const t = tempDir();
  try {
    const text = '>a x\nACGT\nAC\n>b\nGG\n';
    const named = t.write('named.fa.gz', gzipSync(text));
    const unnamed = t.write('no-extension', gzipSync(text));
    const notReally = t.write('plain.fa.gz', text);
    for (const p of [named, unnamed, notReally]) {
      const { records } = await readAllFasta(p);
      assert.deepEqual(records.map((r) => [r.id, ascii(r.sequence)]), [['a', 'ACGTAC'], ['b', 'GG']], p);
    }
    const committed = await readAllFasta(fixture('dna', 'tiny.fasta.gz'));
    assert.deepEqual(committed.records.map((r) => r.id), ['g1', 'g2']);
  } finally {
    t.cleanup();
  }
});

void test('protein letters are accepted as a generic alphabet and reported once', async () => {
  const warnings: ReadWarning[] = [];
  const { records, summary } = await readAllFasta(fixture('dna', 'protein.fasta'), { onWarning: (w) => warnings.push(w) });
  assert.equal(summary.alphabet, 'protein');
  assert.equal(ascii(records[1]!.sequence), 'MEEPQSDPSVEPPLSQETFSDLWKLL*');
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.code, 'non-nucleotide');
  // 'MKTAYIAK…': M, K, T, A, Y are IUPAC nucleotide codes; the first letter outside them is the 'I' at column 6.
  assert.equal(warnings[0]!.line, 2);
  assert.equal(warnings[0]!.column, 6);
  assert.match(warnings[0]!.message, /protein\.fasta:2:6: record 'P1' has 'I'/);
});

void test('U becomes T in nucleotide records only', async () => {
  const rec = await collect(parseFasta([Buffer.from('>r\nACGU\n>p\nMSEU\n')], 'mem'));
  assert.equal(ascii(rec[0]!.sequence), 'ACGT');
  assert.equal(ascii(rec[1]!.sequence), 'MSEU'); // selenocysteine stays
});

void test('duplicate ids: kept with a warning by default, an error on request', async () => {
  const { records, summary } = await readAllFasta(fixture('dna', 'duplicate-ids.fasta'));
  assert.deepEqual(records.map((r) => [r.index, r.id]), [[0, 'dup'], [1, 'other'], [2, 'dup']]);
  assert.equal(summary.duplicateIds, 1);
  assert.equal(summary.warnings.length, 1);
  assert.match(summary.warnings[0]!.message, /duplicate-ids\.fasta:5:2: duplicate id 'dup' \(first seen at line 1\)/);
  await assert.rejects(readAllFasta(fixture('dna', 'duplicate-ids.fasta'), { duplicateIds: 'error' }), /duplicate-ids\.fasta:5:2: duplicate id 'dup'/);
});

void test('empty sequences are kept and warned about; warnings are capped but counted', async () => {
  const text = Array.from({ length: 30 }, (_, i) => `>e${i}\n`).join('');
  const summary = newReadSummary();
  const records = await collect(parseFasta([Buffer.from(text)], 'empties.fa', { summary }));
  assert.equal(records.length, 30);
  assert.equal(summary.warningCounts['empty-sequence'], 30);
  assert.equal(summary.warnings.length, 20);
});

void test('labelOf labels records from their headers and counts the unlabeled', async () => {
  const summary = newReadSummary();
  const records = await collect(
    parseFasta([Buffer.from('>a genus=X\nAC\n>b\nGG\n>c genus=Y\nTT\n')], 'mem', { summary, labelOf: (h) => /genus=(\w+)/.exec(h)?.[1] }),
  );
  assert.deepEqual(records.map((r) => r.label), ['X', undefined, 'Y']);
  assert.equal(summary.unlabeled, 1);
  assert.equal(summary.warnings[0]!.code, 'no-label');
});

void test('limit stops after N records and does not read on', async () => {
  let pulled = 0;
  function* chunks(): Generator<Uint8Array> {
    for (let i = 0; ; i++) {
      pulled++;
      yield Buffer.from(`>r${i}\nACGT\n`);
    }
  }
  const records = await collect(parseFasta(chunks(), 'endless', { limit: 3 }));
  assert.deepEqual(records.map((r) => r.id), ['r0', 'r1', 'r2']);
  assert.ok(pulled <= 5, `pulled ${pulled} chunks`);
  const fromFile = await readAllFasta(fixture('dna', '16S-sample.fasta'), { limit: 7 });
  assert.equal(fromFile.records.length, 7);
  await assert.rejects(readAllFasta(fixture('dna', 'mixed.fasta'), { limit: 0 }), RangeError);
});

void test('readFasta closes the file when the caller stops early', async () => {
  const it = readFasta(fixture('dna', '16S-sample.fasta'));
  const first = await it.next();
  assert.equal(first.done, false);
  const end = await it.return(newReadSummary());
  assert.equal(end.done, true);
});

void test('displayName replaces the path in messages', async () => {
  await assert.rejects(readAllFasta(fixture('dna', 'bad', 'empty.fasta'), { displayName: 'shown.fa' }), /^ParseError: shown\.fa:1:1: no records/);
});
