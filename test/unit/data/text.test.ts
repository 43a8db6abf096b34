import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { jsonErrorOffset } from '../../../server/engine/data/jsonPosition';
import { parseJsonl, readAllJsonl, readAllTextLines } from '../../../server/engine/data/text';
import { collect, fixture } from './helpers';

void test('text: one record per non-blank line, id = 0-based line index, CRLF and UTF-8', async () => {
  const { records } = await readAllTextLines(fixture('text', 'sentences.txt'));
  assert.deepEqual(
    records.map((r) => [r.index, r.id, r.text, r.startLine, r.endLine]),
    [
      [0, '0', 'The quick brown fox', 0, 0],
      [1, '2', 'jumps over the lazy dog', 2, 2],
      [2, '4', 'Café crème', 4, 4],
      [3, '5', 'last line without newline', 5, 5],
    ],
  );
  const limited = await readAllTextLines(fixture('text', 'sentences.txt'), { limit: 2 });
  assert.equal(limited.records.length, 2);
});

void test('JSONL: id field, text field, label field, blank lines', async () => {
  const { records, summary } = await readAllJsonl(fixture('text', 'records.jsonl'), { labelField: 'label' });
  assert.deepEqual(
    records.map((r) => [r.index, r.id, r.text, r.label, r.startLine]),
    [
      [0, 'a1', 'first text', 'x', 0],
      [1, 'a2', 'second text', 'y', 1],
      [2, '3', 'third', '7', 3],
    ],
  );
  assert.equal(summary.unlabeled, 0);
});

void test('JSONL: without an id field the id is the data-row index; "sequence" is a default text field', async () => {
  const { records } = await readAllJsonl(fixture('text', 'no-ids.jsonl'));
  assert.deepEqual(records.map((r) => [r.id, r.text]), [['0', 'ACGT'], ['1', 'TTGG']]);
  const chosen = await readAllJsonl(fixture('text', 'no-ids.jsonl'), { textField: 'kind' });
  assert.deepEqual(chosen.records.map((r) => r.text), ['dna', 'dna']);
});

void test('JSONL: text preferred over sequence over content; duplicate ids warn', async () => {
  const rows = ['{"content":"c","sequence":"s","text":"t","id":"k"}', '{"text":"u","id":"k"}'].join('\n');
  const records = await collect(parseJsonl([Buffer.from(rows)], 'mem'));
  assert.deepEqual(records.map((r) => r.text), ['t', 'u']);
  await assert.rejects(collect(parseJsonl([Buffer.from(rows)], 'mem', { duplicateIds: 'error' })), /mem:2:\d+: duplicate id 'k'/);
});

void test('jsonErrorOffset: -1 for valid JSON, and V8 agrees wherever V8 gives a position', () => {
  fc.assert(
    fc.property(fc.json(), (text) => jsonErrorOffset(text) === -1),
    { seed: 7, numRuns: 300 },
  );
  const pieces = fc.constantFrom('{', '}', '[', ']', '"a"', ':', ',', '1', '-', '.5', 'e3', 'true', 'nul', ' ', '"\\u12"', '"\\q"', '0');
  fc.assert(
    fc.property(fc.array(pieces, { maxLength: 12 }), (parts) => {
      const text = parts.join('');
      let v8: number | undefined;
      let valid = true;
      try {
        JSON.parse(text);
      } catch (e) {
        valid = false;
        const m = /at position (\d+)/.exec((e as Error).message);
        if (m) v8 = Number(m[1]);
      }
      const ours = jsonErrorOffset(text);
      if (valid) return ours === -1;
      if (ours < 0) return false;
      return v8 === undefined || v8 === ours;
    }),
    { seed: 11, numRuns: 2000 },
  );
  assert.equal(jsonErrorOffset('{"a":}'), 5);
  assert.equal(jsonErrorOffset('{"a":1'), 6);
});
