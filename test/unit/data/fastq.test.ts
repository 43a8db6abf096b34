import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseFastq, readAllFastq } from '../../../server/engine/data/fastq';
import { ascii, collect, fixture, tempDir } from './helpers';

void test('four-line records: id, header, sequence (lowercase, U, gap), quality, line ranges', async () => {
  const { records, summary } = await readAllFastq(fixture('dna', 'tiny.fastq'));
  assert.deepEqual(
    records.map((r) => [r.index, r.id, r.header, ascii(r.sequence), r.quality, r.startLine, r.endLine]),
    [
      [0, 'read1', 'read1 sample=A', 'ACGTACGTNN', 'IIIIIHHH##', 0, 3],
      [1, 'read2', 'read2 sample=B', 'ACGTTACGTA', '!!!!!IIIII', 4, 7],
      [2, 'read3', 'read3 sample=A', 'GGGGNCCCC', 'ABCDEFGHI', 8, 11],
    ],
  );
  assert.equal(summary.alphabet, 'nucleotide');
});

void test('CRLF, no final newline, gzip', async () => {
  const t = tempDir();
  try {
    const text = '@a\r\nACGT\r\n+\r\nIIII\r\n@b\r\nGG\r\n+b\r\n#!';
    for (const p of [t.write('crlf.fq', text), t.write('crlf.fq.gz', gzipSync(text))]) {
      const { records } = await readAllFastq(p);
      assert.deepEqual(records.map((r) => [r.id, ascii(r.sequence), r.quality, r.endLine]), [['a', 'ACGT', 'IIII', 3], ['b', 'GG', '#!', 7]]);
    }
  } finally {
    t.cleanup();
  }
});

void test('a wrapped sequence may have a wrapped quality', async () => {
  const records = await collect(parseFastq([Buffer.from('@w\nACGT\nAC\n+\nIII\nIII\n@x\nA\n+\n@\n')], 'mem'));
  assert.deepEqual(records.map((r) => [r.id, ascii(r.sequence), r.quality, r.startLine, r.endLine]), [
    ['w', 'ACGTAC', 'IIIIII', 0, 5],
    ['x', 'A', '@', 6, 9], // '@' is a legal quality character
  ]);
});

void test('an empty read', async () => {
  const records = await collect(parseFastq([Buffer.from('@e\n\n+\n\n@f\nA\n+\nI\n')], 'mem'));
  assert.deepEqual(records.map((r) => [r.id, r.sequence.length, r.quality]), [['e', 0, ''], ['f', 1, 'I']]);
});

void test('limit', async () => {
  const { records } = await readAllFastq(fixture('dna', 'tiny.fastq'), { limit: 2 });
  assert.deepEqual(records.map((r) => r.id), ['read1', 'read2']);
});
