/** The summary of Check Splits for Leakage (client/leaksText.ts, no VS Code needed). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckLeaksRequest } from '../../../server/protocol';
import { describeLeaks } from '../../../client/leaksText';

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
