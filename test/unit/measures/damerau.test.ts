import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { damerau, damerauOSA, levenshtein } from '../../../server/engine/measures';
import { ASTRAL, DNA, str } from './arbitraries';
import { refDamerau, refDamerauBfs, refOSA } from './reference';

void describe('damerauOSA', () => {
  void it('hand-checked examples', () => {
    assert.equal(damerauOSA('CA', 'ABC'), 3); // no substring edited twice
    assert.equal(damerauOSA('ab', 'ba'), 1);
    assert.equal(damerauOSA('abcdef', 'abdcef'), 1);
    assert.equal(damerauOSA('kitten', 'sitting'), 3);
    assert.equal(damerauOSA('', 'abc'), 3);
    assert.equal(damerauOSA('abc', ''), 3);
    assert.equal(damerauOSA('', ''), 0);
    assert.equal(damerauOSA('😀𝔸', '𝔸😀'), 1); // one swap of two code points
    assert.equal(damerauOSA([1, 2, 3], [2, 1, 3]), 1);
  });

  void it('matches the OSA DP reference', () => {
    fc.assert(
      fc.property(fc.oneof(str(DNA, 0, 30), str(ASTRAL, 0, 30)), fc.oneof(str(DNA, 0, 30), str(ASTRAL, 0, 30)), (a, b) => {
        assert.equal(damerauOSA(a, b), refOSA(a, b));
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  void it('matches the reference on longer DNA', () => {
    fc.assert(
      fc.property(str(DNA, 0, 300), str(DNA, 0, 300), (a, b) => {
        assert.equal(damerauOSA(a, b), refOSA(a, b));
      }),
      { seed: 42, numRuns: 60, endOnFailure: true },
    );
  });
});

void describe('damerau (unrestricted)', () => {
  void it('hand-checked examples', () => {
    assert.equal(damerau('CA', 'ABC'), 2); // CA → AC → ABC
    assert.equal(damerau('ab', 'ba'), 1);
    assert.equal(damerau('abc', 'ca'), 2);
    assert.equal(damerau('kitten', 'sitting'), 3);
    assert.equal(damerau('', 'abc'), 3);
    assert.equal(damerau('abc', ''), 3);
    assert.equal(damerau('', ''), 0);
    assert.equal(damerau('𝔸b', 'b𝔸'), 1);
    assert.equal(damerau([1, 2, 3], [3, 1]), 2);
  });

  void it('matches the Lowrance–Wagner full-table reference', () => {
    fc.assert(
      fc.property(fc.oneof(str(DNA, 0, 30), str(ASTRAL, 0, 30)), fc.oneof(str(DNA, 0, 30), str(ASTRAL, 0, 30)), (a, b) => {
        assert.equal(damerau(a, b), refDamerau(a, b));
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  void it('matches the reference on longer DNA', () => {
    fc.assert(
      fc.property(str(DNA, 0, 300), str(DNA, 0, 300), (a, b) => {
        assert.equal(damerau(a, b), refDamerau(a, b));
      }),
      { seed: 42, numRuns: 60, endOnFailure: true },
    );
  });

  void it('matches the definition (breadth-first search over single edits) on tiny strings', () => {
    const tiny = str(fc.constantFrom('a', 'b', 'c'), 0, 4);
    fc.assert(
      fc.property(tiny, tiny, (a, b) => {
        assert.equal(damerau(a, b), refDamerauBfs(a, b));
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  void it('is a metric, and damerau ≤ OSA ≤ Levenshtein', () => {
    const s = str(fc.constantFrom('a', 'b', 'c'), 0, 12);
    fc.assert(
      fc.property(s, s, s, (a, b, c) => {
        const ab = damerau(a, b);
        assert.equal(ab, damerau(b, a));
        assert.ok(damerau(a, c) <= ab + damerau(b, c));
        assert.ok(ab <= damerauOSA(a, b));
        assert.ok(damerauOSA(a, b) <= levenshtein(a, b));
      }),
      { seed: 42, numRuns: 1000 },
    );
  });
});
