/** How a Find Similar result reads in the Similar Items view (client/similarText.ts, no VS Code needed). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FindSimilarRequest } from '../../../server/protocol';
import { lengthDifference, similarHeading, similarRow } from '../../../client/similarText';

const range = { start: { line: 40, character: 0 }, end: { line: 60, character: 0 } };

const sequences: FindSimilarRequest.Result = {
  query: 'NR_041263.1',
  queryDescription: 'Alcaligenes faecalis',
  queryLength: 1337,
  unit: 'bases',
  kind: 'records',
  items: [
    { uri: 'file:///w/16S.fasta', range, recordId: 'NR_025357.1', description: 'Alcaligenes aquatilis', length: 1500, score: 1, distance: 163 },
    { uri: 'file:///w/16S.fasta', range, recordId: 'NR_1', length: 1335, score: 0.987, distance: 19 },
    { uri: 'file:///w/16S.fasta', range, recordId: 'NR_2', length: 1337, score: 0.95, distance: 67 },
  ],
};

void test('a sequence row: identity, the length difference apart (never the edit distance), then the description', () => {
  const [longer, shorter, same] = sequences.items.map((it) => similarRow(sequences, it, '/w/16S.fasta'));
  assert.equal(longer!.label, 'NR_025357.1');
  assert.equal(longer!.description, '100.0 % identity · 163 bases longer · Alcaligenes aquatilis · line 41');
  assert.doesNotMatch(longer!.description, /distance/u);
  assert.equal(shorter!.description, '98.7 % identity · 2 bases shorter · line 41');
  assert.equal(same!.description, '95.0 % identity · line 41');
  // The details go to the tooltip: where, the name, the edit distance and both lengths.
  assert.equal(longer!.tooltip, '/w/16S.fasta:41\nNR_025357.1 Alcaligenes aquatilis\n100.0 % identity (end gaps not counted) · edit distance 163 · 1,500 bases (query 1,337 bases)');
});

void test('lengthDifference: singular, plural, equal and unknown lengths', () => {
  assert.equal(lengthDifference(11, 10, 'bases'), '1 base longer');
  assert.equal(lengthDifference(7, 10, 'characters'), '3 characters shorter');
  assert.equal(lengthDifference(10, 10, 'bases'), undefined);
  assert.equal(lengthDifference(undefined, 10, 'bases'), undefined);
});

void test('the heading names the query, its description and its length', () => {
  assert.deepEqual(similarHeading(sequences), { title: 'like NR_041263.1', message: 'Records like NR_041263.1 Alcaligenes faecalis (1,337 bases), by identity; a length difference is shown apart.' });
});

void test('numeric data (a model): the metric once in the heading, a short distance on each row', () => {
  const model: FindSimilarRequest.Result = {
    query: 'bag/00023.png',
    kind: 'records',
    metric: 'cosine (model siamese-2026-12-04-abc)',
    items: [{ uri: 'file:///w/fashion/bag/00035.png', recordId: 'bag/00035.png', score: 0.912345, distance: 0.0876543 }],
  };
  assert.deepEqual(similarHeading(model), { title: 'like bag/00023.png', message: 'Records like bag/00023.png, by cosine (model siamese-2026-12-04-abc) distance (smaller is closer).' });
  const row = similarRow(model, model.items[0]!, '/w/fashion/bag/00035.png');
  assert.equal(row.description, 'distance 0.08765');
  assert.equal(row.tooltip, '/w/fashion/bag/00035.png\nbag/00035.png\ncosine (model siamese-2026-12-04-abc) distance 0.08765 · score 0.9123');
});

void test('a FASTA by a model: the distance, then the description, then the line', () => {
  const model: FindSimilarRequest.Result = { query: 'acc1', queryDescription: 'Alcaligenes faecalis', kind: 'records', metric: 'cosine (model m1)', items: [{ uri: 'file:///w/a.fasta', range, recordId: 'acc2', description: 'Bacillus subtilis', score: 0.9, distance: 0.1 }] };
  assert.equal(similarRow(model, model.items[0]!, '/w/a.fasta').description, 'distance 0.1 · Bacillus subtilis · line 41');
  assert.equal(similarHeading(model).message, 'Records like acc1 Alcaligenes faecalis, by cosine (model m1) distance (smaller is closer).');
});

void test('whole files: Jaccard of their k-mer sets', () => {
  const files: FindSimilarRequest.Result = { query: 'data/a.fasta', kind: 'files', items: [{ uri: 'file:///w/data/b.fasta', recordId: 'data/b.fasta', score: 0.53219, distance: 0.46781 }] };
  assert.equal(similarHeading(files).title, 'like data/a.fasta');
  assert.deepEqual(similarRow(files, files.items[0]!, '/w/data/b.fasta'), { label: 'data/b.fasta', description: 'Jaccard 0.532', tooltip: "/w/data/b.fasta\nestimated Jaccard similarity of the two files' k-mer sets: 0.5322" });
});
