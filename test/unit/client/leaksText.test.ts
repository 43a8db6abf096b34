/** How leakage checks read in the client (client/leaksText.ts, no VS Code needed): the summary, and the Leakage view's file pairs and rows. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckLeaksRequest, LeakFindingsNotification } from '../../../server/protocol';
import { clearLeakFindings, describeLeaks, leakCloseness, leakFilePairRow, leakRecordRow, mergeLeakFindings } from '../../../client/leaksText';

function result(stats: Partial<CheckLeaksRequest.Stats>): CheckLeaksRequest.Result {
  return { pairs: [], warnings: [], stats: { kind: 'sequence', records: 25, referenceRecords: 200, exact: 0, near: 0, seconds: {}, ...stats } };
}

void test('leaking records counted of the records checked, exact and near, with the rule', () => {
  assert.equal(describeLeaks(result({ exact: 1, near: 4, threshold: 0.97 }), 'data/train.fasta'), '5 leaking records of 25: 1 exact and 4 near copies of records of data/train.fasta (identity ≥ 97 %).');
  assert.equal(describeLeaks(result({ kind: 'vector', near: 1, records: 10, eps: 1.2075 }), 'train.csv'), '1 leaking record of 10: 0 exact and 1 near copies of records of train.csv (distance ≤ 1.21).');
});

void test('no leakage says so, naming the reference', () => {
  assert.equal(describeLeaks(result({ records: 1, threshold: 0.97 }), 'train.fasta'), 'No leakage: none of 1 record copies a record of train.fasta (identity ≥ 97 %).');
});

const TRAIN = 'file:///w/train.fasta';
const TEST = 'file:///w/test.fasta';
const VALID = 'file:///w/valid.fasta';

function pair(queryUri: string, queryId: string, queryLine: number, referenceId: string, score: number, kind: 'exact' | 'near' = 'near'): CheckLeaksRequest.Pair {
  return { queryUri, queryId, queryLine, referenceUri: TRAIN, referenceId, referenceLine: 40, score, kind };
}

function findings(queries: { uri: string; records: number }[], pairs: CheckLeaksRequest.Pair[], reference = TRAIN): LeakFindingsNotification.Params {
  const exact = pairs.filter((p) => p.kind === 'exact').length;
  return { trigger: 'splits', reference, referenceRecords: 200, queries, pairs, stats: { kind: 'sequence', records: queries.reduce((n, q) => n + q.records, 0), referenceRecords: 200, exact, near: pairs.length - exact, threshold: 0.97, seconds: {} } };
}

void test('a check gives one file pair per query file, each with its own leaking records and record count', () => {
  const merged = mergeLeakFindings([], findings([{ uri: TEST, records: 25 }, { uri: VALID, records: 10 }], [pair(TEST, 'a', 2, 'r1', 0.99), pair(VALID, 'b', 0, 'r2', 1, 'exact'), pair(TEST, 'c', 30, 'r3', 0.98)]));
  assert.deepEqual(
    merged.map((f) => [f.query, f.records, f.pairs.map((p) => p.queryId)]),
    [
      [TEST, 25, ['a', 'c']],
      [VALID, 10, ['b']],
    ],
  );
  assert.ok(merged.every((f) => f.reference === TRAIN && f.referenceRecords === 200 && f.threshold === 0.97 && f.kind === 'sequence'));
});

void test('a later check replaces its own file pairs only; a query file with no leak stays listed with 0', () => {
  const first = mergeLeakFindings([], findings([{ uri: TEST, records: 25 }, { uri: VALID, records: 10 }], [pair(TEST, 'a', 2, 'r1', 0.99), pair(VALID, 'b', 0, 'r2', 0.98)]));
  const again = mergeLeakFindings(first, findings([{ uri: TEST, records: 24 }], []));
  assert.deepEqual(
    again.map((f) => [f.query, f.records, f.pairs.length]),
    [
      [TEST, 24, 0],
      [VALID, 10, 1],
    ],
  );
  // The same query against another reference is another file pair.
  const other = mergeLeakFindings(again, findings([{ uri: TEST, records: 24 }], [], 'file:///w/all.fasta'));
  assert.deepEqual(
    other.map((f) => [f.reference, f.query]),
    [
      ['file:///w/all.fasta', TEST],
      [TRAIN, TEST],
      [TRAIN, VALID],
    ],
  );
});

void test('cleared pairs go; the same query against another reference, and the other queries, stay', () => {
  const ALL = 'file:///w/all.fasta';
  const first = mergeLeakFindings([], findings([{ uri: TEST, records: 25 }, { uri: VALID, records: 10 }], [pair(TEST, 'a', 2, 'r1', 0.99), pair(VALID, 'b', 0, 'r2', 0.98)]));
  const both = mergeLeakFindings(first, findings([{ uri: TEST, records: 25 }], [], ALL));
  const cleared = clearLeakFindings(both, { reference: TRAIN, queries: [TEST] });
  assert.deepEqual(
    cleared.map((c) => [c.reference, c.query, c.pairs.length]),
    [
      [ALL, TEST, 0],
      [TRAIN, VALID, 1],
    ],
  );
  assert.deepEqual(clearLeakFindings(cleared, { reference: TRAIN, queries: ['file:///w/other.fasta'] }), cleared, 'a pair never shown: nothing changes');
});

void test('the file pair row: reference ← query, N leaking of M, the rule and the kinds in its tooltip', () => {
  const [files] = mergeLeakFindings([], findings([{ uri: TEST, records: 25 }], [pair(TEST, 'a', 2, 'r1', 0.99), pair(TEST, 'b', 9, 'r2', 1, 'exact'), pair(TEST, 'c', 30, 'r3', 0.98)]));
  const row = leakFilePairRow(files!, 'data/train.fasta', 'data/test.fasta');
  assert.equal(row.label, 'data/train.fasta ← data/test.fasta');
  assert.equal(row.description, '3 leaking of 25');
  assert.equal(row.tooltip, 'data/test.fasta checked against data/train.fasta (200 records), identity ≥ 97 %: 3 of 25 records leak — 1 exact and 2 near copies of its records.');
  const [none] = mergeLeakFindings([], findings([{ uri: TEST, records: 1 }], []));
  assert.equal(leakFilePairRow(none!, 'train.fasta', 'test.fasta').description, '0 leaking of 1');
});

void test('a leaking record row: its id, what it copies as the warning says, its line last', () => {
  const row = leakRecordRow(pair(TEST, 'planted-0', 11, 'AB001', 0.99412), 'sequence', 'train.fasta');
  assert.equal(row.label, 'planted-0');
  assert.equal(row.description, 'AB001 · 99.4 % identity · line 12');
  assert.equal(row.tooltip, 'planted-0 at line 12: also in train.fasta: AB001 (line 41) · 99.4 % identity');
  const exact = leakRecordRow({ ...pair(TEST, '7', 8, '1203', 0), kind: 'exact' }, 'vector', 'train.csv');
  assert.equal(exact.description, '1203 · distance 0 · exact · line 9');
  assert.equal(leakCloseness(0.81234, 'vector'), 'distance 0.812');
});
