import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hamming, MeasureError } from '../../../server/engine/measures';
import { ASTRAL, DNA, str } from './arbitraries';
import { refHamming } from './reference';

void describe('hamming', () => {
  void it('hand-checked examples', () => {
    assert.equal(hamming('karolin', 'kathrin'), 3);
    assert.equal(hamming('1011101', '1001001'), 2);
    assert.equal(hamming('', ''), 0);
    assert.equal(hamming('𝔸b', 'ab'), 1); // 𝔸 is one symbol
    assert.equal(hamming('😀😀', '😀😁'), 1);
    assert.equal(hamming([1, 2, 3], [1, 5, 3]), 1);
    assert.equal(hamming(Buffer.from('ACGT'), Buffer.from('ACCT')), 1);
  });

  void it('throws a clear error on different lengths (in code points)', () => {
    assert.throws(() => hamming('abc', 'abcd'), { name: 'MeasureError', message: 'hamming: sequences have different lengths (3 and 4)' });
    assert.throws(() => hamming('𝔸', 'ab'), MeasureError);
    assert.throws(() => hamming([1], []), MeasureError);
  });

  void it('matches the reference', () => {
    const pair = fc
      .integer({ min: 0, max: 60 })
      .chain((n) => fc.tuple(fc.oneof(str(DNA, n, n), str(ASTRAL, n, n)), fc.oneof(str(DNA, n, n), str(ASTRAL, n, n))));
    fc.assert(
      fc.property(pair, ([a, b]) => {
        assert.equal(hamming(a, b), refHamming(a, b));
      }),
      { seed: 42, numRuns: 2000 },
    );
  });
});
