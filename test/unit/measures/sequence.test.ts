import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { codePoints, normalizedSimilarity, symbolLength, toSymbols } from '../../../server/engine/measures';
import { str } from './arbitraries';

void describe('symbol sequences', () => {
  void it('strings are code points: one symbol per character, even beyond the BMP', () => {
    assert.deepEqual([...codePoints('a𝔸😀')], [0x61, 0x1d538, 0x1f600]);
    assert.equal(symbolLength('a𝔸😀'), 3);
    assert.deepEqual([...codePoints('abc')], [97, 98, 99]);
    assert.deepEqual([...codePoints('')], []);
    // A lone surrogate is a symbol of its own.
    assert.deepEqual([...codePoints('a\ud800b')], [0x61, 0xd800, 0x62]);
    assert.equal(symbolLength('\udc00\ud800'), 2);
    const bytes = Uint8Array.from([1, 2]);
    assert.equal(toSymbols(bytes), bytes);
  });

  void it('agrees with Array.from on any string', () => {
    fc.assert(
      fc.property(str('binary', 0, 50), (s) => {
        const expected = Array.from(s, (c) => c.codePointAt(0) as number);
        assert.deepEqual([...codePoints(s)], expected);
        assert.equal(symbolLength(s), expected.length);
      }),
      { seed: 42, numRuns: 1000 },
    );
  });

  void it('normalizedSimilarity = 1 − d / max length, both empty → 1', () => {
    assert.equal(normalizedSimilarity(3, 6, 7), 1 - 3 / 7);
    assert.equal(normalizedSimilarity(0, 0, 0), 1);
    assert.equal(normalizedSimilarity(4, 4, 0), 0);
  });
});
