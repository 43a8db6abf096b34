/**
 * What the editor reads from FASTA/FASTQ headers without being told: the description after the
 * id (shown beside it) and the default label (`similarityLab.labels.fromHeader`), which never
 * warns about a header that has none — nobody asked for labels.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readDataset } from '../../../server/engine/data/dataset';
import { autoHeaderLabel, defaultHeaderLabeler, headerDescription, MAX_DESCRIPTION_LENGTH } from '../../../server/engine/data/labels';
import { fixture } from './helpers';

void test('headerDescription: the header after the id, spaces folded, cut with an ellipsis; none for a bare id', () => {
  assert.equal(headerDescription('NR_041263.1 Alcaligenes faecalis'), 'Alcaligenes faecalis');
  assert.equal(headerDescription('  acc\tAlcaligenes   faecalis \t'), 'Alcaligenes faecalis');
  assert.equal(headerDescription('acc'), undefined);
  assert.equal(headerDescription('acc   '), undefined);
  const long = headerDescription(`acc ${'x'.repeat(500)}`)!;
  assert.equal(long.length, MAX_DESCRIPTION_LENGTH);
  assert.ok(long.endsWith('…'));
  assert.equal(headerDescription('acc abcdef', 4), 'abc…');
});

void test('autoHeaderLabel: the genus of a lineage, else the first word after the id, else none', () => {
  assert.equal(autoHeaderLabel('NR_041263.1 Alcaligenes faecalis strain IAM 12369'), 'Alcaligenes');
  assert.equal(autoHeaderLabel('S000009620 Deinococcus radiodurans (T); DSM 20539T\tBacteria; Deinococcus-Thermus; Deinococci; Deinococcaceae; Deinococcus'), 'Deinococcus');
  assert.equal(autoHeaderLabel('AB001.1.1500 Bacteria;Proteobacteria;Gammaproteobacteria;Escherichia-Shigella;Escherichia coli'), 'Escherichia');
  assert.equal(autoHeaderLabel('acc'), undefined);
});

void test('defaultHeaderLabeler: word and regex as the CLI reads them, none → no labeler', () => {
  assert.equal(defaultHeaderLabeler({ from: 'word', field: 3 })?.('acc Alcaligenes faecalis'), 'faecalis');
  assert.equal(defaultHeaderLabeler({ from: 'regex', regex: 'strain (\\S+)' })?.('acc A b strain IAM-12'), 'IAM-12');
  assert.equal(defaultHeaderLabeler({ from: 'none' }), undefined);
});

void test('readDataset with headerLabelDefault: labels where headers have them, no warning where not; asked-for labels still warn', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'simlab-headers-'));
  try {
    const file = path.join(dir, 'named.fasta');
    writeFileSync(file, '>a1 Alcaligenes faecalis\nACGT\n>a2 Bacillus subtilis 168\nACGA\n>a3\nACGG\n');
    const quiet = await readDataset(file, { headerLabelDefault: { from: 'auto' } });
    assert.deepEqual(quiet.records.map((r) => r.label), ['Alcaligenes', 'Bacillus', undefined]);
    assert.deepEqual(quiet.warnings, []);
    assert.equal(quiet.summary.unlabeled, 1);
    // A label source that was asked for wins over the default, and says which headers had none.
    const asked = await readDataset(file, { labelField: 3, headerLabelDefault: { from: 'auto' } });
    assert.deepEqual(asked.records.map((r) => r.label), ['faecalis', 'subtilis', undefined]);
    assert.deepEqual(asked.warnings.map((w) => w.code), ['no-label']);
    // Text files have no headers: the default does not apply (and is not an error).
    const text = path.join(dir, 'lines.txt');
    writeFileSync(text, 'one line\nanother line\n');
    const lines = await readDataset(text, { format: 'text', headerLabelDefault: { from: 'auto' } });
    assert.deepEqual(lines.records.map((r) => r.label), [undefined, undefined]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('the 16S sample: every record gets its genus by default (20 genera)', async () => {
  const data = await readDataset(fixture('dna/16S-sample.fasta'), { headerLabelDefault: { from: 'auto' } });
  assert.equal(data.records.length, 276);
  assert.ok(data.records.every((r) => r.label !== undefined && /^[A-Z][a-z]+/u.test(r.label)));
  assert.equal(new Set(data.records.map((r) => r.label)).size, 20);
  assert.deepEqual(data.warnings.filter((w) => w.code === 'no-label'), []);
});
