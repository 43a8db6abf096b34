/**
 * One progress item per training run: the train request carries a work-done token of the
 * client's own (a fresh one per run), so the host reports on it instead of creating a second,
 * status-bar progress beside the host's status item.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainRequestParams } from '../../client/trainRequest';

void test('train params carry a fresh client work-done token per run', () => {
  const a = trainRequestParams('file:///d.csv', 'siamese', { epochs: 3 });
  const b = trainRequestParams('file:///d.csv', 'siamese', { epochs: 3 });
  assert.deepEqual({ ...a, workDoneToken: undefined }, { uri: 'file:///d.csv', model: 'siamese', config: { epochs: 3 }, workDoneToken: undefined });
  assert.equal(typeof a.workDoneToken, 'string');
  assert.notEqual(a.workDoneToken, b.workDoneToken);
});
