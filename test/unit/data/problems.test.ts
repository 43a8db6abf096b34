/**
 * One bad record does not disable a file (issue 14, item 5): the readers skip it, list every
 * problem of the file in one pass (up to MAX_PROBLEMS, the last entry then says how many were
 * cut), keep the valid records, and list an empty record as a warning.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFasta } from '../../../server/engine/data/fasta';
import { parseFastq } from '../../../server/engine/data/fastq';
import { readDataset } from '../../../server/engine/data/dataset';
import { parseJsonl } from '../../../server/engine/data/text';
import { MAX_PROBLEMS, newReadSummary } from '../../../server/engine/data/records';
import { readVectorDataset } from '../../../server/engine/data/vectorDataset';
import { collect, expectProblem, tempDir } from './helpers';

/** `n` two-line FASTA records r0…r(n-1); record `bad` has byte `byte` at column 3 of its sequence. */
function fasta(n: number, bad: (i: number) => boolean = () => false): string {
  let out = '';
  for (let i = 0; i < n; i++) out += `>r${i} sample ${i}\n${bad(i) ? 'AC\u00e9GT' : 'ACGTACGT'}\n`;
  return out;
}

void test('FASTA: a bad byte at line 92 skips that record only, reported at 92:3', async () => {
  // Record r45 starts at line 91: its sequence is line 92.
  const text = fasta(100, (i) => i === 45);
  const summary = newReadSummary();
  const records = await collect(parseFasta([Buffer.from(text, 'latin1')], 'x.fa', { summary }));
  assert.equal(records.length, 99);
  assert.ok(!records.some((r) => r.id === 'r45'));
  assert.deepEqual(records.map((r) => r.index), [...Array(99).keys()], 'indexes stay contiguous');
  assert.equal(records[45]!.id, 'r46');
  assert.equal(records[45]!.startLine, 92);
  assert.equal(summary.errors, 1);
  assert.equal(summary.problems.length, 1);
  expectProblem(summary, 'x.fa', { line: 92, column: 3, reason: /^invalid character byte 0xe9 in sequence$/ });
});

void test('FASTA: every bad record of the file in one pass; a record with several bad lines counts once', async () => {
  const text = '>a\nACGT\n>b\nAC!T\nAC?T\n>c\nACGT\n>\nACGT\n>d\nAC7T\n>e\nGG\n';
  const summary = newReadSummary();
  const records = await collect(parseFasta([Buffer.from(text)], 'm', { summary }));
  assert.deepEqual(records.map((r) => r.id), ['a', 'c', 'e']);
  assert.deepEqual(
    summary.problems.map((p) => [p.line, p.column, p.severity]),
    [
      [4, 3, 'error'],
      [8, 2, 'error'],
      [11, 3, 'error'],
    ],
  );
  assert.equal(summary.errors, 3);
});

void test('FASTA: a header with no sequence is read and listed as a warning', async () => {
  const summary = newReadSummary();
  const records = await collect(parseFasta([Buffer.from('>a\nACGT\n>empty one\n\n>b\nGGCC\n')], 'm', { summary }));
  assert.deepEqual(records.map((r) => r.id), ['a', 'empty', 'b']);
  assert.equal(summary.errors, 0);
  assert.deepEqual(summary.problems, [{ file: 'm', line: 3, column: 1, message: "record 'empty' has an empty sequence", severity: 'warning' }]);
});

void test('problems stop at MAX_PROBLEMS: the last entry says how many more there are', async () => {
  const bad = MAX_PROBLEMS + 50;
  const summary = newReadSummary();
  const records = await collect(parseFasta([Buffer.from(fasta(bad + 2, (i) => i > 0 && i <= bad), 'latin1')], 'm', { summary }));
  assert.deepEqual(records.map((r) => r.id), ['r0', `r${bad + 1}`]);
  assert.equal(summary.errors, bad);
  assert.equal(summary.problems.length, MAX_PROBLEMS);
  const last = summary.problems[MAX_PROBLEMS - 1]!;
  // Listed: the first MAX_PROBLEMS − 1; the note stands at the first one not listed and counts the rest.
  assert.equal(last.severity, 'error');
  assert.equal(last.line, 2 * MAX_PROBLEMS + 2);
  assert.match(last.message, new RegExp(`^${bad - MAX_PROBLEMS + 1} more problems not listed .*; the first: invalid character`));
  expectProblem(summary, 'm', { line: 2 * (MAX_PROBLEMS - 1) + 2, column: 3, reason: /^invalid character/ }, MAX_PROBLEMS - 2);
});

void test('CSV: three bad rows are three errors of one read; the other rows are the dataset, ids unshifted', async () => {
  const t = tempDir();
  try {
    const p = t.write('three.csv', 'x,y\n1,2\n3,abc\n5,6\n7\n9,10\n,12\n13,14\n');
    const dataset = await readVectorDataset(p);
    assert.deepEqual(dataset.records.map((r) => r.id), ['0', '2', '4', '6']);
    assert.deepEqual(Array.from(dataset.data), [1, 2, 5, 6, 9, 10, 13, 14]);
    assert.equal(dataset.summary.errors, 3);
    expectProblem(dataset.summary, p, { line: 3, column: 3, reason: /"abc" in column "y" is not a number/, field: 'y' }, 0);
    expectProblem(dataset.summary, p, { line: 5, column: 2, reason: /row has 1 fields, expected 2/ }, 1);
    expectProblem(dataset.summary, p, { line: 7, column: 1, reason: /missing value \(empty cell\) in column "x"/ }, 2);
  } finally {
    t.cleanup();
  }
});

void test('JSONL: a skipped line keeps the data-row ids of the lines after it', async () => {
  const summary = newReadSummary();
  const records = await collect(parseJsonl([Buffer.from('{"text":"a"}\n{"text":\n{"text":"c"}\n')], 'm', { summary }));
  assert.deepEqual(records.map((r) => [r.index, r.id, r.text]), [
    [0, '0', 'a'],
    [1, '2', 'c'],
  ]);
  expectProblem(summary, 'm', { line: 2, column: 9, reason: /^invalid JSON/ });
});

/** `n` four-line FASTQ records r0…r(n-1) (record i starts at line 4i+1); `edit` rewrites record i's lines. */
function fastq(n: number, edit: (i: number, lines: string[]) => string[] = (_i, lines) => lines): string {
  let out = '';
  for (let i = 0; i < n; i++) out += edit(i, [`@r${i} read ${i}`, 'ACGTACGT', '+', 'IIIIIIII']).map((l) => `${l}\n`).join('');
  return out;
}

void test('FASTQ: a bad byte in record 5 of 20 skips that record only, reported at its line and column', async () => {
  // r4 starts at line 17: its sequence is line 18.
  const text = fastq(20, (i, lines) => (i === 4 ? [lines[0]!, 'AC\u00e9GTACG', lines[2]!, lines[3]!] : lines));
  const summary = newReadSummary();
  const records = await collect(parseFastq([Buffer.from(text, 'latin1')], 'x.fq', { summary }));
  assert.equal(records.length, 19);
  assert.ok(!records.some((r) => r.id === 'r4'));
  assert.deepEqual(records.map((r) => r.index), [...Array(19).keys()]);
  assert.equal(records[4]!.id, 'r5');
  assert.equal(records[4]!.startLine, 20);
  assert.equal(summary.errors, 1);
  expectProblem(summary, 'x.fq', { line: 18, column: 3, reason: /^invalid character byte 0xe9 in sequence$/ });
});

void test('FASTQ: a bad byte and a truncated record are two errors of one pass; the reader resynchronises at the next header', async () => {
  // r4: bad byte at 18:3. r11 (line 45) lost its quality line, so r12's header (line 48) stands where it belongs.
  const text = fastq(20, (i, lines) => (i === 4 ? [lines[0]!, 'AC\u00e9GTACG', lines[2]!, lines[3]!] : i === 11 ? lines.slice(0, 3) : lines));
  const summary = newReadSummary();
  const records = await collect(parseFastq([Buffer.from(text, 'latin1')], 'x.fq', { summary }));
  assert.equal(records.length, 18);
  assert.deepEqual(records.map((r) => r.id), [...Array(20).keys()].filter((i) => i !== 4 && i !== 11).map((i) => `r${i}`));
  assert.equal(records.find((r) => r.id === 'r12')!.startLine, 47);
  assert.equal(summary.errors, 2);
  expectProblem(summary, 'x.fq', { line: 18, column: 3, reason: /^invalid character byte 0xe9 in sequence$/ }, 0);
  expectProblem(summary, 'x.fq', { line: 48, column: 1, reason: /^missing quality line: record 'r11' \(line 45\) has no quality before this '@' line/ }, 1);
});

void test('FASTQ: a quality line that starts with \'@\' is not taken for a header when resynchronising', async () => {
  // r1 has a wrong-length quality that starts with '@' (line 8): the next header is r2 at line 9.
  const text = fastq(4, (i, lines) => (i === 1 ? [lines[0]!, lines[1]!, lines[2]!, '@IIII'] : i === 2 ? [lines[0]!, lines[1]!, lines[2]!, '@IIIIIII'] : lines));
  const summary = newReadSummary();
  const records = await collect(parseFastq([Buffer.from(text)], 'm', { summary }));
  assert.deepEqual(records.map((r) => [r.id, r.quality]), [
    ['r0', 'IIIIIIII'],
    ['r2', '@IIIIIII'],
    ['r3', 'IIIIIIII'],
  ]);
  expectProblem(summary, 'm', { line: 8, column: 1, reason: /quality has 5 characters but the sequence has 8/ });
});

void test('FASTQ: a record with an empty sequence is read and listed as a warning; a truncated last record is an error', async () => {
  const summary = newReadSummary();
  const records = await collect(parseFastq([Buffer.from('@a\nACGT\n+\nIIII\n@e\n\n+\n\n@b\nGG\n+\nII\n@t\nACG\n+\n')], 'm', { summary }));
  assert.deepEqual(records.map((r) => r.id), ['a', 'e', 'b']);
  assert.equal(summary.errors, 1);
  assert.deepEqual(summary.problems[0], { file: 'm', line: 5, column: 1, message: "record 'e' has an empty sequence", severity: 'warning' });
  expectProblem(summary, 'm', { line: 16, column: 1, reason: /^the file ends before the quality of record 't'/ }, 1);
});

void test('JSONL vectors: three bad lines are three errors of one read; the other lines are the dataset, ids unshifted', async () => {
  const t = tempDir();
  try {
    const p = t.write(
      'three.jsonl',
      '{"vector":[1,2]}\n{"vector":[3,"x"]}\n{"vector":[5,6]}\n{"vector":[7]}\n\n{"vector":[9,10]}\n{"vector":\n{"vector":[13,14]}\n',
    );
    const dataset = await readVectorDataset(p);
    assert.deepEqual(dataset.records.map((r) => [r.index, r.id, r.startLine]), [
      [0, '0', 0],
      [1, '2', 2],
      [2, '4', 5],
      [3, '6', 7],
    ]);
    assert.deepEqual(Array.from(dataset.data), [1, 2, 5, 6, 9, 10, 13, 14]);
    assert.equal(dataset.summary.errors, 3);
    expectProblem(dataset.summary, p, { line: 2, column: 2, reason: /^field "vector" element 1 is "x", expected a number$/, field: 'vector' }, 0);
    expectProblem(dataset.summary, p, { line: 4, column: 2, reason: /^field "vector" has 1 numbers, expected 2 \(as line 1\)$/, field: 'vector' }, 1);
    expectProblem(dataset.summary, p, { line: 7, column: 11, reason: /^invalid JSON/ }, 2);
    await assert.rejects(readVectorDataset(p, { badRecords: 'fail' }), (e: Error) => e.message.startsWith(`${p}:2:2: `) && /\(3 errors\)/.test(e.message) && e.message.includes(`\n${p}:7:11: invalid JSON`));
  } finally {
    t.cleanup();
  }
});

void test('FASTQ, badRecords fail (the command line): one error naming every bad record of the file', async () => {
  const t = tempDir();
  try {
    const p = t.write('two.fastq', fastq(20, (i, lines) => (i === 4 ? [lines[0]!, 'ACXGTACG', lines[2]!, lines[3]!] : i === 11 ? lines.slice(0, 3) : lines)));
    assert.equal((await readDataset(p)).records.length, 18);
    await assert.rejects(readDataset(p, { badRecords: 'fail' }), (e: Error) => e.message.startsWith(`${p}:18:3: invalid character 'X' in sequence (2 errors)`) && e.message.includes(`\n${p}:48:1: missing quality line`));
  } finally {
    t.cleanup();
  }
});
