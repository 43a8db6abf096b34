/** The Markdown report "Compare Selections" opens (client/compareReport.ts has no vscode import). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatValue, renderComparison } from '../../client/compareReport';

void test('lists what was compared, every measure with its value, and what was skipped', () => {
  const md = renderComparison(
    'Comparison 1',
    { source: 'data/a|b.fasta, lines 3–5', text: 'kitten' },
    { source: 'data/c.fasta', text: 'sitting' },
    {
      kind: 'strings',
      values: { levenshtein: 3, jaro: 0.746031746 },
      skipped: [{ measure: 'hamming', reason: 'unequal lengths' }],
      about: { levenshtein: { sense: 'distance', description: 'edit distance' }, jaro: { sense: 'similarity', description: 'Jaro | similarity' } },
    },
  );
  assert.match(md, /^# Comparison 1\n/);
  assert.match(md, /\| \*\*A\*\* \| data\/a\\\|b\.fasta, lines 3–5 +\| 6 characters/, 'a | in a name does not break the table');
  assert.match(md, /\| levenshtein +\| +3 \| distance +\|/);
  assert.match(md, /\| jaro +\| 0\.746032 \| similarity \|/);
  assert.match(md, /- \*\*levenshtein\*\*: edit distance/);
  assert.match(md, /- \*\*jaro\*\*: Jaro \| similarity/);
  assert.match(md, /- \*\*hamming\*\*: unequal lengths/);
  assert.match(md, /Compared as \*\*text\*\*/);
});

void test('a preview cannot be closed early by backticks in the text, and long texts are cut', () => {
  const md = renderComparison('C', { source: 'a', text: 'x ``` y' }, { source: 'b', text: 'z'.repeat(1000) }, { kind: 'strings', values: {}, skipped: [], about: {} });
  assert.match(md, /````text\nx ``` y\n````/);
  assert.match(md, /first 400 of 1,000 characters/);
  assert.match(md, /No measure applies/);
});

void test('vectors are described by their number of values', () => {
  const md = renderComparison('C', { source: 'a', text: '1, 2, 3' }, { source: 'b', text: '4 5 6\n' }, { kind: 'vectors', values: { euclidean: Math.sqrt(27) }, skipped: [], about: {} });
  assert.match(md, /3 values/);
  assert.match(md, /numeric vectors/);
  assert.match(md, /5\.196152/);
});

void test('values: integers as integers, 6 decimals, tiny values in exponent form, null (non-finite in JSON) as n/a', () => {
  assert.equal(formatValue(3), '3');
  assert.equal(formatValue(0.5), '0.5');
  assert.equal(formatValue(2e-9), '2e-9');
  assert.equal(formatValue(1.234567e-9), '1.23457e-9');
  assert.equal(formatValue(null), 'n/a');
});

void test('a final newline does not count as another line', () => {
  const md = renderComparison('C', { source: 'a', text: 'one\ntwo\n' }, { source: 'b', text: 'one' }, { kind: 'strings', values: {}, skipped: [], about: {} });
  assert.match(md, /\| \*\*A\*\* \| a +\| 8 characters, 2 lines \|/);
  assert.match(md, /\| \*\*B\*\* \| b +\| 3 characters +\|/);
});
