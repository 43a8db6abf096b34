import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { GzipError, LineSplitter, maybeGunzip, readLines } from '../../../server/engine/data/lines';
import { ParseError } from '../../../server/engine/data/records';
import { ascii, collect } from './helpers';

/** The plain reference: split the whole text at once. */
function referenceLines(bytes: Uint8Array): string[] {
  let text = ascii(bytes);
  if (text.startsWith('\xef\xbb\xbf')) text = text.slice(3);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function splitInChunks(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

function runSplitter(chunks: Uint8Array[]): { lines: string[]; indices: number[] } {
  const s = new LineSplitter();
  const out = [...chunks.flatMap((c) => s.push(c)), ...s.finish()];
  return { lines: out.map((l) => ascii(l.bytes)), indices: out.map((l) => l.index) };
}

void test('the line splitter matches a whole-text split for any chunking (\\n, \\r\\n, BOM, no final newline)', () => {
  const alphabet = fc.constantFrom(...'ab\n\r\n>'.split(''), '\xef\xbb\xbf');
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 8 }), (parts, cuts) => {
      const bytes = Buffer.from(parts.join(''), 'latin1');
      const { lines, indices } = runSplitter(splitInChunks(bytes, cuts));
      assert.deepEqual(lines, referenceLines(bytes));
      assert.deepEqual(indices, lines.map((_, i) => i));
    }),
    { seed: 20240601, numRuns: 400 },
  );
});

void test('a \\r\\n split across two chunks is one line ending', () => {
  assert.deepEqual(runSplitter([Buffer.from('ab\r'), Buffer.from('\ncd')]).lines, ['ab', 'cd']);
});

void test('a BOM is dropped even when it arrives one byte at a time; tiny files work', () => {
  const bom = Buffer.from('\xef\xbb\xbf>x\n', 'latin1');
  assert.deepEqual(runSplitter([...bom].map((b) => Uint8Array.of(b))).lines, ['>x']);
  assert.deepEqual(runSplitter([Buffer.from('a')]).lines, ['a']);
  assert.deepEqual(runSplitter([Buffer.from('\n')]).lines, ['']);
  assert.deepEqual(runSplitter([]).lines, []);
  assert.deepEqual(runSplitter([Buffer.from('\xef\xbb', 'latin1')]).lines, []);
});

void test('maybeGunzip passes plain bytes through and gunzips by magic bytes, even concatenated members', async () => {
  const plain = Buffer.from('>a\nACGT\n');
  assert.equal(Buffer.concat(await collect(maybeGunzip([plain]))).toString(), plain.toString());
  const two = Buffer.concat([gzipSync('>a\nACGT\n'), gzipSync('>b\nTTTT\n')]);
  // First chunk a single byte: the magic is only known after the second.
  const chunks = [two.subarray(0, 1), two.subarray(1, 7), two.subarray(7)];
  assert.equal(Buffer.concat(await collect(maybeGunzip(chunks))).toString(), '>a\nACGT\n>b\nTTTT\n');
});

void test('a truncated gzip is a GzipError, and a ParseError at the line being read from readLines', async () => {
  const text = Array.from({ length: 500 }, (_, i) => `>r${i}\nACGTTGCAACGT\n`).join('');
  const gz = gzipSync(text);
  const cut = gz.subarray(0, gz.length - 10);
  await assert.rejects(collect(maybeGunzip([cut])), (e: unknown) => e instanceof GzipError && e.kind === 'truncated');
  await assert.rejects(collect(readLines([cut], 'x.fa.gz')), (e: unknown) => {
    assert.ok(e instanceof ParseError);
    assert.match(e.message, /^x\.fa\.gz:\d+:1: truncated gzip/);
    assert.ok(e.line > 900, `line ${e.line}: reported where the data stopped`);
    return true;
  });
  const corrupt = Buffer.from(gz);
  corrupt[3] = 0xff; // reserved flag bits
  await assert.rejects(collect(maybeGunzip([corrupt])), (e: unknown) => e instanceof GzipError && e.kind === 'corrupt');
});
