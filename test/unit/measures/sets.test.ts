import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { jaccardDistance, jaccardSimilarity, MeasureError, multiset, weightedJaccard, weightedJaccardDistance } from '../../../server/engine/measures';
import { close, vectorPair } from './arbitraries';

void describe('jaccard (sets)', () => {
  void it('hand-checked examples', () => {
    assert.equal(jaccardSimilarity(new Set([1, 2, 3]), new Set([2, 3, 4])), 0.5);
    assert.equal(jaccardDistance(new Set([1, 2, 3]), new Set([2, 3, 4])), 0.5);
    assert.equal(jaccardSimilarity(['a', 'b', 'b'], ['b']), 0.5); // iterables are taken as sets
    assert.equal(jaccardSimilarity('abc', 'cd'), 0.25); // a string is an iterable of characters
    assert.equal(jaccardSimilarity([], []), 1); // nothing vs nothing: identical
    assert.equal(jaccardDistance(new Set(), new Set()), 0);
    assert.equal(jaccardSimilarity([1], []), 0);
  });

  void it('matches counting on random sets', () => {
    const items = fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 40, size: 'max' });
    fc.assert(
      fc.property(items, items, (a, b) => {
        const sa = [...new Set(a)];
        const sb = new Set(b);
        const inter = sa.filter((x) => sb.has(x)).length;
        const union = new Set([...a, ...b]).size;
        const expected = union === 0 ? 1 : inter / union;
        assert.equal(jaccardSimilarity(a, b), expected);
        assert.equal(jaccardSimilarity(new Set(b), new Set(a)), expected);
        assert.equal(jaccardDistance(a, b), 1 - expected);
      }),
      { seed: 42, numRuns: 2000 },
    );
  });
});

void describe('weighted jaccard', () => {
  void it('hand-checked examples', () => {
    assert.equal(weightedJaccard([1, 2, 0], [2, 1, 0]), 2 / 4);
    assert.equal(weightedJaccard(new Map([['a', 2], ['b', 1]]), new Map([['a', 1], ['c', 1]])), 1 / 4);
    assert.equal(weightedJaccardDistance([1, 0], [1, 0]), 0);
    assert.equal(weightedJaccard([0, 0], [0, 0]), 1); // all weights zero: identical
    assert.equal(weightedJaccard(new Map(), new Map()), 1);
    assert.equal(weightedJaccard(Float32Array.from([1, 1]), Float64Array.from([1, 3])), 2 / 4);
  });

  void it('counts multisets, and equals set Jaccard for 0/1 weights', () => {
    assert.deepEqual([...multiset('abca')], [['a', 2], ['b', 1], ['c', 1]]);
    assert.equal(weightedJaccard(multiset('aab'), multiset('ab')), 2 / 3);
    const bits = fc.array(fc.constantFrom(0, 1), { maxLength: 30, size: 'max' });
    fc.assert(
      fc.property(bits, (a) => {
        const b = a.map((x, i) => (i % 3 === 0 ? 1 - x : x));
        const setA = new Set(a.flatMap((x, i) => (x ? [i] : [])));
        const setB = new Set(b.flatMap((x, i) => (x ? [i] : [])));
        assert.equal(weightedJaccard(a, b), jaccardSimilarity(setA, setB));
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  void it('matches Σmin / Σmax on random non-negative vectors, and Maps agree with vectors', () => {
    fc.assert(
      fc.property(vectorPair(fc.double({ min: 0, max: 100, noNaN: true })), ([a, b]) => {
        const num = a.reduce((s, x, i) => s + Math.min(x, b[i]), 0);
        const den = a.reduce((s, x, i) => s + Math.max(x, b[i]), 0);
        const expected = den === 0 ? 1 : num / den;
        assert.ok(close(weightedJaccard(a, b), expected));
        const ma = new Map(a.map((x, i) => [i, x] as [number, number]));
        const mb = new Map(b.map((x, i) => [i, x] as [number, number]).filter(([, x]) => x !== 0));
        assert.ok(close(weightedJaccard(ma, mb), expected));
        assert.ok(close(weightedJaccardDistance(a, b), 1 - expected));
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  void it('rejects negative weights, mixed inputs and different lengths', () => {
    assert.throws(() => weightedJaccard([1, -1], [1, 1]), MeasureError);
    assert.throws(() => weightedJaccard(new Map([['a', -2]]), new Map()), MeasureError);
    assert.throws(() => weightedJaccard([1], [1, 2]), { name: 'MeasureError', message: 'jaccard: vectors have different lengths (1 and 2)' });
    assert.throws(() => weightedJaccard([Number.NaN], [1]), MeasureError);
  });
});
