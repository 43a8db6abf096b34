import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alphabetOf } from '../../../server/engine/data/nucleotides';

void test('alphabetOf', () => {
  assert.equal(alphabetOf(Buffer.from('ACGTNRYKM')), 'nucleotide');
  assert.equal(alphabetOf(Buffer.from('MEEPQ')), 'protein');
});
