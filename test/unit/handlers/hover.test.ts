/**
 * The hover of a leaking record (server/handlers/hover.ts): a query split checked for leakage,
 * not indexed or clustered, answers on every line of a leaking record — its header and its
 * sequence lines — with what it copies and a link to the reference record's line, and on no line
 * of the records that do not leak.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DatasetEntry, LeakFindings } from '../../../server/host/datasetEntry';
import { hoverText } from '../../../server/handlers/hover';

/** Four records of a test split starting at lines 0, 3, 6 and 9; the 2nd (near) and the 4th (exact) leak. */
const leaks: LeakFindings = {
  referenceUri: 'file:///w/data/train.fasta',
  referencePath: '/w/data/train.fasta',
  vector: false,
  recordLines: [0, 3, 6, 9],
  pairs: [
    { id: 'planted-0', line: 3, referenceId: 'AB_001', referenceLine: 120, score: 0.99412, kind: 'near' },
    { id: 'copy', line: 9, referenceId: 'X9', referenceLine: 0, score: 1, kind: 'exact' },
  ],
};

function entry(findings: LeakFindings | undefined): DatasetEntry {
  return { uri: 'file:///w/data/test.fasta', path: '/w/data/test.fasta', state: 'discovered', generation: 0, ...(findings ? { leaks: findings } : {}) };
}

/** The hover as it renders: Markdown escapes dropped. */
function shown(text: string | undefined): string | undefined {
  return text?.replace(/\\(.)/gu, '$1');
}

void test('every line of a leaking record shows what it copies, with the reference line', () => {
  for (const line of [3, 4, 5]) assert.equal(shown(hoverText(entry(leaks), line)), '**planted-0**\n\nalso in train.fasta: AB_001 · 99.4 % identity ([line 121](file:///w/data/train.fasta#L121))', `line ${line}`);
  // Past the last record's start: still that record (the file's end is not known here).
  assert.equal(shown(hoverText(entry(leaks), 11)), '**copy**\n\nalso in train.fasta: X9 · 100.0 % identity ([line 1](file:///w/data/train.fasta#L1)) · an exact copy');
});

void test('records that do not leak, and a file never checked, have no leak hover', () => {
  for (const line of [0, 1, 2, 6, 7, 8]) assert.equal(hoverText(entry(leaks), line), undefined, `line ${line}`);
  assert.equal(hoverText(entry(undefined), 3), undefined);
});

void test('numeric data: the distance, as the warning says', () => {
  const rows: LeakFindings = { ...leaks, vector: true, referenceUri: 'file:///w/train.csv', referencePath: '/w/train.csv', recordLines: [1, 2, 3], pairs: [{ id: '7', line: 2, referenceId: '1203', referenceLine: 1204, score: 0.8123, kind: 'near' }] };
  assert.equal(shown(hoverText(entry(rows), 2)), '**7**\n\nalso in train.csv: 1203 · distance 0.812 ([line 1205](file:///w/train.csv#L1205))');
  assert.equal(hoverText(entry(rows), 1), undefined);
  assert.equal(hoverText(entry(rows), 0), undefined, 'the header row is no record');
});

void test('ids are escaped: a hostile id renders as itself', () => {
  const hostile: LeakFindings = { ...leaks, pairs: [{ ...leaks.pairs[0]!, id: '![x](https://h/t.png)', referenceId: '[y](command:z)' }] };
  const text = hoverText(entry(hostile), 3) as string;
  const link = '[line 121](file:///w/data/train.fasta#L121)';
  assert.ok(text.includes(link), 'the reference line is a link');
  assert.doesNotMatch(text.replace(link, ''), /(?<!\\)\]\(|(?<!\\)!\[/u, 'no other image or link can start');
  assert.equal(shown(text.replace(link, 'LINK')), '**![x](https://h/t.png)**\n\nalso in train.fasta: [y](command:z) · 99.4 % identity (LINK)');
});
