/**
 * Every kind of malformed input is reported naming the file, the 1-based line and column and what
 * is wrong — never a crash, never a silent skip: a ParseError when the file as a whole is wrong
 * (or has no valid record), a problem in the summary when one record was skipped and the others
 * read. Fixtures: test/fixtures/{dna,text}/bad.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFasta, readAllFasta } from '../../../server/engine/data/fasta';
import { parseFastq, readAllFastq } from '../../../server/engine/data/fastq';
import { readAllJsonl, readAllTextLines } from '../../../server/engine/data/text';
import { readDataset } from '../../../server/engine/data/dataset';
import { newReadSummary, type ReadSummary } from '../../../server/engine/data/records';
import { collect, expectParseError, expectProblem, fixture } from './helpers';

const bad = (name: string): string => fixture('dna', 'bad', name);
const badText = (name: string): string => fixture('text', 'bad', name);

void test('FASTA: sequence line before any header', async () => {
  const f = bad('seq-before-header.fasta'); // "\n\nACGT\n>r1…"
  await expectParseError(() => readAllFasta(f), f, { line: 3, column: 1, reason: /^sequence line before any '>' header$/ });
});

void test('FASTA: empty header', async () => {
  const f = bad('empty-header.fasta'); // ">r1\nACGT\n>\nACGT": r1 is read, the record at line 3 skipped
  const { records, summary } = await readAllFasta(f);
  assert.deepEqual(records.map((r) => r.id), ['r1']);
  expectProblem(summary, f, { line: 3, column: 2, reason: /empty header/ });
  // Its only record bad: nothing valid, the problem is the file's error.
  await expectParseError(() => collect(parseFasta([Buffer.from('>   \nAC\n')], 'm')), 'm', { line: 1, column: 2, reason: /empty header/ });
});

void test('FASTA: invalid character in a sequence, with its column', async () => {
  const f = bad('invalid-char.fasta'); // line 3 "ACG7T"
  await expectParseError(() => readAllFasta(f), f, { line: 3, column: 4, reason: /^invalid character '7' in sequence$/ });
  await expectParseError(() => collect(parseFasta([Buffer.from('>a\nAC\xc3\xa9\n', 'latin1')], 'm')), 'm', {
    line: 2,
    column: 3,
    reason: /invalid character byte 0xc3/,
  });
});

void test('FASTA: invalid UTF-8 in a header, at the column of the bad byte', async () => {
  const f = bad('invalid-utf8-header.fasta'); // ">r1 caf\xe9 au lait": é in Latin-1 at character 8
  await expectParseError(() => readAllFasta(f), f, { line: 1, column: 8, reason: /invalid UTF-8 in header \(bytes e9 20 61 75\)/ });
  // Columns count characters, not bytes: 'é' (2 bytes) before the bad byte is one column.
  const bytes = Buffer.concat([Buffer.from('>x é '), Buffer.from([0xc0, 0x80]), Buffer.from('\nA\n')]);
  await expectParseError(() => collect(parseFasta([bytes], 'm')), 'm', { line: 1, column: 6, reason: /invalid UTF-8/ });
});

void test('FASTA and FASTQ: an empty file has no records', async () => {
  const f = bad('empty.fasta');
  await expectParseError(() => readAllFasta(f), f, { line: 1, column: 1, reason: /^no records/ });
  const q = bad('empty.fastq');
  await expectParseError(() => readAllFastq(q), q, { line: 1, column: 1, reason: /^no records/ });
});

void test('a truncated gzip names the file and says so', async () => {
  const f = bad('truncated.fasta.gz');
  // The line is wherever the data stopped (it depends on zlib's output chunks): only its range is checked.
  const e = await expectParseError(() => readAllFasta(f), f, { column: 1, reason: /^truncated gzip \(unexpected end of file\)$/ });
  assert.ok(e.line >= 1 && e.line <= 400, `line ${e.line}`);
});

/** Reads FASTQ text that has valid records besides a bad one: the ids read and the summary. */
async function readFastqText(text: string): Promise<{ ids: string[]; summary: ReadSummary }> {
  const summary = newReadSummary();
  const records = await collect(parseFastq([Buffer.from(text)], 'm', { summary }));
  return { ids: records.map((r) => r.id), summary };
}

void test('FASTQ: a missing + line (the record is skipped, the others read)', async () => {
  const f = bad('missing-plus.fastq'); // record r2 (line 5): ACGT, then IIII where '+' belongs
  expectProblem((await readAllFastq(f)).summary, f, { line: 7, column: 1, reason: /^missing '\+' line after the sequence of record 'r2' \(line 5\)/ });
  const read = await readFastqText('@a\nACGT\n@b\nAC\n+\nII\n');
  assert.deepEqual(read.ids, ['b']);
  expectProblem(read.summary, 'm', { line: 3, column: 1, reason: /missing '\+' line: record 'a' \(line 1\) has no '\+' line/ });
  await expectParseError(() => collect(parseFastq([Buffer.from('@a\nACGT\n')], 'm')), 'm', { line: 3, column: 1, reason: /missing '\+' line: the file ends/ });
});

void test('FASTQ: quality length differs from the sequence length (both named, at the quality line)', async () => {
  const f = bad('quality-length.fastq'); // record r2: 8 bases, 7 quality characters on line 8
  expectProblem((await readAllFastq(f)).summary, f, { line: 8, column: 8, reason: /^quality has 7 characters but the sequence has 8 \(record 'r2' \(line 5\)\)$/ });
  await expectParseError(() => collect(parseFastq([Buffer.from('@a\nACG\n+\nIIIII\n')], 'm')), 'm', { line: 4, column: 4, reason: /quality has 5 characters but the sequence has 3/ });
  await expectParseError(() => collect(parseFastq([Buffer.from('@a\nACG\n+\n')], 'm')), 'm', { line: 4, column: 1, reason: /file ends before the quality/ });
});

void test('FASTQ: bad residues, bad quality characters, bad headers', async () => {
  await expectParseError(() => collect(parseFastq([Buffer.from('@a\nACXG\n+\nIIII\n')], 'm')), 'm', { line: 2, column: 3, reason: /invalid character 'X' in sequence/ });
  await expectParseError(() => collect(parseFastq([Buffer.from('@a\nACGG\n+\nII I\n')], 'm')), 'm', { line: 4, column: 3, reason: /invalid quality character a space/ });
  await expectParseError(() => collect(parseFastq([Buffer.from('ACGT\n')], 'm')), 'm', { line: 1, column: 1, reason: /^sequence line before any '@' header$/ });
  await expectParseError(() => collect(parseFastq([Buffer.from('@\nA\n+\nI\n')], 'm')), 'm', { line: 1, column: 2, reason: /empty header/ });
  const extra = await readFastqText('@a\nA\n+\nI\nextra\n');
  assert.deepEqual(extra.ids, ['a']);
  expectProblem(extra.summary, 'm', { line: 5, column: 1, reason: /expected an '@' header line after record 'a'/ });
  await expectParseError(() => collect(parseFastq([Buffer.from([0x40, 0x61, 0xff, 0x0a, 0x41, 0x0a, 0x2b, 0x0a, 0x49, 0x0a])], 'm')), 'm', {
    line: 1,
    column: 3,
    reason: /invalid UTF-8 in header/,
  });
});

void test('text: invalid UTF-8 (the line is skipped, the others read)', async () => {
  const f = badText('invalid-utf8.txt'); // line 2 "bad \xff\xfe here"
  const { records, summary } = await readAllTextLines(f);
  assert.ok(records.length > 0 && records.every((r) => r.startLine !== 1));
  expectProblem(summary, f, { line: 2, column: 5, reason: /invalid UTF-8 in text line/ });
});

void test('JSONL: a bad JSON line, with the column of the error', async () => {
  const f = badText('bad-json.jsonl'); // line 2 '{"id": "b", "text": }': the '}' is the 21st character
  expectProblem((await readAllJsonl(f)).summary, f, { line: 2, column: 21, reason: /^invalid JSON: Unexpected token '}'$/ });
});

void test('JSONL: a missing field is named', async () => {
  const f = badText('missing-field.jsonl');
  const read = await readAllJsonl(f);
  assert.deepEqual(read.records.map((r) => r.id), ['a']);
  expectProblem(read.summary, f, { line: 2, column: 1, reason: /^missing field "text"$/, field: 'text' });
  const g = fixture('text', 'records.jsonl');
  // No line has it: nothing valid, the first line's problem is the file's error.
  await expectParseError(() => readAllJsonl(g, { textField: 'body' }), g, { line: 1, column: 1, reason: /^missing field "body"$/, field: 'body' });
  await expectParseError(() => readAllJsonl(g, { textField: 'constructor' }), g, { line: 1, column: 1, reason: /^missing field "constructor"$/ });
  expectProblem((await readAllJsonl(g, { textField: 'label' })).summary, g, { line: 4, column: 28, reason: /^field "label" is a number, expected a string$/, field: 'label' });
});

void test('JSONL: no default text field lists the fields there are', async () => {
  const f = badText('no-text-field.jsonl');
  await expectParseError(() => readAllJsonl(f), f, { line: 1, column: 1, reason: /no text field: .* the fields are "id", "body", "n"/ });
});

void test('JSONL: a line that is not an object', async () => {
  const f = badText('not-an-object.jsonl');
  const read = await readAllJsonl(f);
  assert.deepEqual(read.records.map((r) => r.id), ['0']);
  expectProblem(read.summary, f, { line: 2, column: 3, reason: /^expected a JSON object, found an array$/ });
});

void test('labels file: too few labels, a blank line inside', async () => {
  const data = fixture('text', 'records.jsonl'); // 3 records
  const short = fixture('text', 'labels-short.txt');
  await expectParseError(() => readDataset(data, { labelsFile: short }), short, { line: 3, column: 1, reason: /2 labels for more records: too few labels/, field: 'label' });
  const blank = fixture('text', 'labels-blank.txt');
  await expectParseError(() => readDataset(data, { labelsFile: blank }), blank, { line: 2, column: 1, reason: /empty label/ });
});
