/**
 * The committed 16S slice, and (when present beside the project) the full real datasets.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { readAllFasta, readFasta } from '../../../server/engine/data/fasta';
import { genusOf16S, headerLabeler } from '../../../server/engine/data/labels';
import { newReadSummary } from '../../../server/engine/data/records';
import { ascii, fixture, SHARED_DATA } from './helpers';

const GOLD = path.join(SHARED_DATA, 'dna', 'rRNA16S.gold.fasta');
const BIOMARKS = path.join(SHARED_DATA, 'dna', 'BioMarKs50k.fsa.gz');

function countBy(values: (string | undefined)[]): Map<string | undefined, number> {
  const m = new Map<string | undefined, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

void test('16S-sample.fasta: 276 real records, 20 genera of 10–15 members, full-length genes', async () => {
  const { records, summary } = await readAllFasta(fixture('dna', '16S-sample.fasta'), { labelOf: genusOf16S });
  assert.equal(records.length, 276);
  assert.equal(summary.unlabeled, 0);
  assert.equal(summary.alphabet, 'nucleotide');
  assert.deepEqual(summary.warnings, []);
  const genera = countBy(records.map((r) => r.label));
  assert.equal(genera.size, 20);
  for (const [genus, n] of genera) assert.ok(n >= 10 && n <= 15, `${genus}: ${n}`);
  for (const r of records) {
    assert.ok(r.sequence.length >= 1100 && r.sequence.length <= 1800, `${r.id}: ${r.sequence.length} bp`);
    assert.match(ascii(r.sequence), /^[ACGTRYSWKMBDHVN]+$/);
    assert.match(r.header, /\t[^\t]*; /, 'header keeps its tab-separated lineage');
  }
});

void test('every 16S-sample.fasta record is a gold-file record, header and sequence intact', { skip: !existsSync(GOLD) && 'shared data absent' }, async () => {
  const gold = new Map<string, { header: string; sequence: string }>();
  for await (const r of readFasta(GOLD)) gold.set(r.id, { header: r.header, sequence: ascii(r.sequence) });
  for await (const r of readFasta(fixture('dna', '16S-sample.fasta'))) {
    const g = gold.get(r.id);
    assert.ok(g, r.id);
    assert.equal(r.header, g.header);
    assert.equal(ascii(r.sequence), g.sequence);
  }
});

void test('the full 16S gold file: 5,181 records, 1,186 genera', { skip: !existsSync(GOLD) && 'shared data absent' }, async () => {
  const { records, summary } = await readAllFasta(GOLD, { labelOf: genusOf16S });
  assert.equal(records.length, 5181);
  assert.equal(countBy(records.map((r) => r.label)).size, 1186);
  assert.equal(summary.unlabeled, 0);
  assert.equal(summary.duplicateIds, 0);
});

void test('BioMarKs50k.fsa.gz streams: 50,000 amplicons, size= read by a label regex', { skip: !existsSync(BIOMARKS) && 'shared data absent' }, async () => {
  const summary = newReadSummary();
  const labelOf = headerLabeler({ labelRegex: ';size=(\\d+)' })!;
  let n = 0;
  let bases = 0;
  let first: string | undefined;
  for await (const r of readFasta(BIOMARKS, { labelOf, summary })) {
    if (n === 0) first = `${r.id} ${r.label} ${r.sequence.length}`;
    assert.ok(r.sequence.length > 0, r.id);
    bases += r.sequence.length;
    n++;
  }
  assert.equal(n, 50_000);
  assert.ok(Math.abs(bases / n - 380) < 20, `mean length ${bases / n}`);
  assert.equal(summary.unlabeled, 0);
  assert.equal(summary.alphabet, 'nucleotide');
  assert.match(first!, /^[0-9a-f]{32};size=22254 22254 \d+$/);
});
