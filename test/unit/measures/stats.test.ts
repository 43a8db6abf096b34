import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { averageRanks, MeasureError, pearson, spearman } from '../../../server/engine/measures';
import { close } from './arbitraries';
import { refPearson, refRanks, refSpearman } from './reference';

/** Pairs of ≥ 2 points; small integer values make ties and constant inputs common. */
function pointPairs(value: fc.Arbitrary<number>): fc.Arbitrary<[number[], number[]]> {
  return fc
    .integer({ min: 2, max: 40 })
    .chain((n) => fc.tuple(fc.array(value, { minLength: n, maxLength: n }), fc.array(value, { minLength: n, maxLength: n })));
}

const isConstant = (v: number[]): boolean => v.every((x) => x === v[0]);

void describe('pearson / spearman', () => {
  void it('hand-checked examples', () => {
    assert.equal(pearson([1, 2, 3], [2, 4, 6]), 1);
    assert.equal(pearson([1, 2, 3], [3, 2, 1]), -1);
    assert.ok(close(pearson([1, 2, 3, 4], [1, 3, 2, 4]), 0.8));
    assert.equal(spearman([1, 2, 3, 4], [1, 4, 9, 16]), 1); // any increasing map
    assert.equal(spearman([1, 2, 3], [30, 20, 10]), -1);
    // Ties: x ranks 1, 2.5, 2.5, 4.
    assert.deepEqual([...averageRanks([10, 20, 20, 30])], [1, 2.5, 2.5, 4]);
    assert.ok(close(spearman([10, 20, 20, 30], [1, 2, 3, 4]), refPearson([1, 2.5, 2.5, 4], [1, 2, 3, 4])));
  });

  void it('stays exact for tiny and huge values', () => {
    assert.equal(pearson([1e-200, 2e-200, 3e-200], [1, 2, 3]), 1);
    assert.equal(pearson([0, -1.6e-46, 0], [2e-119, -1.1e-116, 0]) > 0.99, true);
    assert.equal(pearson([1e200, -1e200, 3e200], [1, -1, 3]), 1);
  });

  void it('a constant input gives NaN (correlation undefined)', () => {
    assert.ok(Number.isNaN(pearson([5, 5, 5], [1, 2, 3])));
    assert.ok(Number.isNaN(pearson([0.1, 0.1, 0.1], [1, 2, 3]))); // exact test, no rounding noise
    assert.ok(Number.isNaN(spearman([1, 2, 3], [7, 7, 7])));
  });

  void it('throws on different lengths and on fewer than 2 points', () => {
    assert.throws(() => pearson([1, 2, 3], [1, 2]), { name: 'MeasureError', message: 'pearson: vectors have different lengths (3 and 2)' });
    assert.throws(() => spearman([1, 2], [1, 2, 3]), MeasureError);
    assert.throws(() => pearson([1], [1]), { message: 'pearson: needs at least 2 points (got 1)' });
    assert.throws(() => spearman([], []), MeasureError);
  });

  void it('NaN anywhere gives NaN', () => {
    assert.ok(Number.isNaN(pearson([1, Number.NaN, 3], [1, 2, 3])));
    assert.ok(Number.isNaN(spearman([1, 2, 3], [1, Number.NaN, 3])));
  });

  void it('match the naive formulas on random data with ties', () => {
    fc.assert(
      fc.property(pointPairs(fc.integer({ min: -5, max: 5 })), ([x, y]) => {
        assert.deepEqual([...averageRanks(x)], refRanks(x));
        if (isConstant(x) || isConstant(y)) {
          assert.ok(Number.isNaN(pearson(x, y)));
          assert.ok(Number.isNaN(spearman(x, y)));
          return;
        }
        assert.ok(close(pearson(x, y), refPearson(x, y), 1e-9, 1e-12));
        assert.ok(close(spearman(x, y), refSpearman(x, y), 1e-9, 1e-12));
        assert.ok(Math.abs(pearson(x, y)) <= 1 && Math.abs(spearman(x, y)) <= 1);
      }),
      { seed: 42, numRuns: 3000 },
    );
  });

  void it('match the naive formulas on random real data', () => {
    fc.assert(
      // Tiny magnitudes would break the naive formula (not ours): flush them to zero here.
      fc.property(pointPairs(fc.double({ min: -1e3, max: 1e3, noNaN: true }).map((v) => (Math.abs(v) < 1e-50 ? 0 : v))), ([x, y]) => {
        if (isConstant(x) || isConstant(y)) return;
        assert.ok(close(pearson(x, y), refPearson(x, y), 1e-7, 1e-9));
        assert.ok(close(spearman(x, y), refSpearman(x, y), 1e-9, 1e-12));
        assert.ok(close(pearson(x, y), pearson(y, x), 1e-12, 1e-15));
      }),
      { seed: 42, numRuns: 2000 },
    );
  });
});
