import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  characterBigrams,
  compareValues,
  damerau,
  defaultMeasures,
  euclidean,
  levenshtein,
  MEASURE_NAMES,
  MEASURES,
  MeasureError,
  parseComparable,
} from '../../../server/engine/measures';
import { close } from './arbitraries';

void describe('registry', () => {
  void it('knows every measure name of the design, with what it applies to', () => {
    assert.deepEqual(
      [...MEASURE_NAMES].sort(),
      ['chebyshev', 'cosine', 'cosine-similarity', 'damerau', 'damerau-osa', 'euclidean', 'hamming', 'jaccard', 'jaccard-similarity', 'jaro', 'jaro-winkler', 'levenshtein', 'manhattan', 'minkowski', 'pearson', 'spearman', 'sqeuclidean'].sort(),
    );
    assert.equal(MEASURES.length, MEASURE_NAMES.length);
    assert.deepEqual(defaultMeasures('strings'), ['jaccard', 'jaccard-similarity', 'hamming', 'levenshtein', 'damerau-osa', 'damerau', 'jaro', 'jaro-winkler']);
    assert.deepEqual(defaultMeasures('vectors'), [
      'euclidean', 'sqeuclidean', 'cosine', 'cosine-similarity', 'manhattan', 'minkowski', 'chebyshev', 'jaccard', 'jaccard-similarity', 'hamming', 'levenshtein', 'pearson', 'spearman',
    ]);
  });

  void it('compares two strings with every string measure', () => {
    const r = compareValues('kitten', 'sitting');
    assert.equal(r.kind, 'strings');
    assert.equal(r.values.levenshtein, 3);
    assert.equal(r.values['damerau-osa'], 3);
    assert.equal(r.values.damerau, 3);
    assert.ok(r.values.jaro > 0.74 && r.values.jaro < 0.75);
    assert.ok(r.values['jaro-winkler'] >= r.values.jaro);
    // Bigrams: ki it tt te en / si it tt ti in ng → 2 common of 9.
    assert.ok(close(r.values['jaccard-similarity'], 2 / 9));
    assert.ok(close(r.values.jaccard, 7 / 9));
    assert.deepEqual(r.skipped, [{ measure: 'hamming', reason: 'sequences have different lengths (6 and 7)' }]);
    assert.deepEqual(Object.keys(r.values).sort(), defaultMeasures('strings').filter((n) => n !== 'hamming').sort());
  });

  void it('gives Hamming for equal lengths, in code points', () => {
    const r = compareValues('a𝔸c', 'abc', ['hamming', 'levenshtein']);
    assert.deepEqual(r, { kind: 'strings', values: { hamming: 1, levenshtein: 1 }, skipped: [] });
  });

  void it('bigram Jaccard: a one-character string is its character; two empty strings are identical', () => {
    assert.deepEqual([...characterBigrams('a')], ['a']);
    assert.deepEqual([...characterBigrams('𝔸b𝔸b')], ['𝔸b', 'b𝔸']);
    assert.deepEqual([...characterBigrams('')], []);
    assert.equal(compareValues('a', 'a', ['jaccard']).values.jaccard, 0);
    assert.equal(compareValues('', '', ['jaccard-similarity']).values['jaccard-similarity'], 1);
    assert.equal(compareValues('a', 'ab', ['jaccard-similarity']).values['jaccard-similarity'], 0);
  });

  void it('compares two vectors with every vector measure', () => {
    const r = compareValues([0, 3, 4], [4, 0, 4]);
    assert.equal(r.kind, 'vectors');
    assert.equal(r.values.euclidean, 5);
    assert.equal(r.values.sqeuclidean, 25);
    assert.equal(r.values.manhattan, 7);
    assert.equal(r.values.minkowski, 5); // p defaults to 2
    assert.equal(r.values.chebyshev, 4);
    assert.ok(close(r.values['cosine-similarity'], 16 / 5 / Math.sqrt(32)));
    assert.ok(close(r.values.cosine, 1 - 16 / 5 / Math.sqrt(32)));
    assert.ok(close(r.values['jaccard-similarity'], 4 / 11));
    assert.equal(r.values.hamming, 2);
    assert.equal(r.values.levenshtein, 2);
    assert.ok(Number.isFinite(r.values.pearson) && Number.isFinite(r.values.spearman));
    assert.deepEqual(r.skipped, []);
    assert.equal(compareValues([0, 3, 4], [4, 0, 4], ['minkowski'], { p: 1 }).values.minkowski, 7);
  });

  void it('skips what cannot be computed, with a reason', () => {
    const r = compareValues([1, 2, 3], [1, 2], ['euclidean', 'levenshtein', 'hamming', 'pearson']);
    assert.deepEqual(r.values, { levenshtein: 1 });
    assert.deepEqual(
      r.skipped.map((s) => s.measure),
      ['euclidean', 'hamming', 'pearson'],
    );
    assert.equal(r.skipped[0].reason, 'vectors have different lengths (3 and 2)');

    const c = compareValues([1, 1, 1], [1, 2, 3], ['pearson', 'spearman', 'cosine']);
    assert.deepEqual(Object.keys(c.values), ['cosine']);
    assert.deepEqual(c.skipped, [
      { measure: 'pearson', reason: 'correlation undefined: an input is constant' },
      { measure: 'spearman', reason: 'correlation undefined: an input is constant' },
    ]);

    const j = compareValues([1, -2], [1, 2], ['jaccard', 'jaccard-similarity']);
    assert.deepEqual(j.values, {});
    assert.equal(j.skipped[0].reason, 'weighted Jaccard needs non-negative values');

    const one = compareValues([5], [7], ['pearson']);
    assert.match(one.skipped[0].reason, /at least 2 points/);

    const s = compareValues('abc', 'abd', ['euclidean', 'jaro']);
    assert.deepEqual(s.skipped, [{ measure: 'euclidean', reason: 'applies to numeric vectors, not strings' }]);
    const v = compareValues([1, 2], [1, 3], ['damerau']);
    assert.deepEqual(v.skipped, [{ measure: 'damerau', reason: 'applies to strings, not vectors' }]);
  });

  void it('rejects unknown names (listing the valid ones), mixed inputs and a bad p', () => {
    assert.throws(() => compareValues('a', 'b', ['levenshtein', 'edit']), (e: unknown) => {
      assert.ok(e instanceof MeasureError);
      assert.match(e.message, /unknown measure "edit"/);
      for (const n of MEASURE_NAMES) assert.ok(e.message.includes(n));
      return true;
    });
    assert.throws(() => compareValues('a', [1], []), MeasureError);
    assert.throws(() => compareValues([1], [2], ['minkowski'], { p: 0.5 }), MeasureError);
  });

  void it('keeps the asked order, drops repeats, and "all" means the default list', () => {
    assert.deepEqual(Object.keys(compareValues('ab', 'ba', ['jaro', 'damerau', 'jaro']).values), ['jaro', 'damerau']);
    assert.deepEqual(Object.keys(compareValues('ab', 'ba', ['all']).values), defaultMeasures('strings'));
  });

  void it('agrees with the measures themselves on random inputs', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (a, b) => {
        const r = compareValues(a, b);
        assert.equal(r.values.levenshtein, levenshtein(a, b));
        assert.equal(r.values.damerau, damerau(a, b));
        for (const v of Object.values(r.values)) assert.ok(Number.isFinite(v));
      }),
      { seed: 42, numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -9, max: 9 }), { minLength: 1, maxLength: 10 }), (a) => {
        const b = a.map((x) => x * 2 + 1);
        const r = compareValues(a, b);
        assert.equal(r.values.euclidean, euclidean(a, b));
        for (const v of Object.values(r.values)) assert.ok(Number.isFinite(v));
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});

void describe('size bounds of the quadratic measures', () => {
  void it('every measure whose cost is n·m states its bound; inputs past it are skipped with the reason, not computed', () => {
    for (const name of ['damerau', 'damerau-osa', 'jaro', 'jaro-winkler', 'levenshtein'] as const) {
      const info = MEASURES.find((m) => m.name === name);
      assert.ok(info?.maxCells !== undefined && info.maxCells > 0, `${name} has a bound`);
    }
    // 20,000 × 20,000 = 4·10⁸ cells: past the DP bound (a plain DP would take ~10 s here), within levenshtein's.
    const a = 'ab'.repeat(10_000);
    const b = 'ba'.repeat(10_000);
    const r = compareValues(a, b, ['damerau', 'damerau-osa', 'levenshtein']);
    assert.deepEqual(Object.keys(r.values), ['levenshtein']);
    assert.deepEqual(
      r.skipped.map((s) => s.measure),
      ['damerau', 'damerau-osa'],
    );
    for (const s of r.skipped) assert.match(s.reason, /inputs too long for a quadratic measure: 20000 × 20000 symbols is 4\.0e\+8 pairs, the limit is 2\.5e\+8/);
    // At the bound's edge it is computed.
    assert.equal(compareValues('ab'.repeat(100), 'ba'.repeat(100), ['damerau']).values.damerau, damerau('ab'.repeat(100), 'ba'.repeat(100)));
  });
});

void describe('parseComparable', () => {
  void it('reads numeric vectors separated by commas and/or whitespace', () => {
    assert.deepEqual(parseComparable('1,2,3'), [1, 2, 3]);
    assert.deepEqual(parseComparable('1 2 3'), [1, 2, 3]);
    assert.deepEqual(parseComparable(' 0.5, -2e3 ,\t+.25\n7 '), [0.5, -2000, 0.25, 7]);
    assert.deepEqual(parseComparable('42'), [42]);
  });

  void it('keeps anything else as the string itself', () => {
    for (const t of ['', '   ', 'kitten', '1,2,x', '1,,2', '1,2,', '0x10', 'Infinity', '1e999', 'NaN', '1 2 three', '1.2.3', '- 1']) {
      assert.equal(parseComparable(t), t, JSON.stringify(t));
    }
  });
});
