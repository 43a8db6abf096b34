import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { chebyshev, cosineDistance, cosineSimilarity, euclidean, manhattan, MeasureError, minkowski, sqeuclidean } from '../../../server/engine/measures';
import { close, finite, vectorPair } from './arbitraries';

// Plain references, straight from the formulas.
const diffs = (a: number[], b: number[]): number[] => a.map((x, i) => Math.abs(x - b[i]));
const refMinkowski = (a: number[], b: number[], p: number): number => diffs(a, b).reduce((s, d) => s + d ** p, 0) ** (1 / p);
const refChebyshev = (a: number[], b: number[]): number => diffs(a, b).reduce((m, d) => Math.max(m, d), 0);
const refCosine = (a: number[], b: number[]): number => {
  const dot = a.reduce((s, x, i) => s + x * b[i], 0);
  return dot / (Math.hypot(...a) * Math.hypot(...b));
};

void describe('vector distances', () => {
  void it('hand-checked examples', () => {
    const a = [0, 3, 4];
    const b = [4, 0, 4];
    assert.equal(euclidean(a, b), 5);
    assert.equal(sqeuclidean(a, b), 25);
    assert.equal(manhattan(a, b), 7);
    assert.equal(chebyshev(a, b), 4);
    assert.equal(minkowski(a, b, 1), 7);
    assert.equal(minkowski(a, b, 2), 5);
    assert.equal(minkowski(a, b, Infinity), 4);
    assert.ok(close(minkowski(a, b, 3), Math.cbrt(64 + 27)));
    assert.equal(cosineSimilarity([1, 0], [0, 1]), 0);
    assert.equal(cosineSimilarity([1, 2], [2, 4]), 1);
    assert.equal(cosineSimilarity([1, 2], [-1, -2]), -1);
    assert.equal(cosineDistance([1, 2], [-1, -2]), 2);
    assert.equal(euclidean([], []), 0);
  });

  void it('accepts Float32Array, Float64Array and number arrays alike', () => {
    const a = [1, 2, 3];
    const b = [4, 6, 8];
    assert.equal(euclidean(Float32Array.from(a), Float32Array.from(b)), euclidean(a, b));
    assert.equal(manhattan(Float64Array.from(a), b), 12);
    assert.equal(chebyshev(Float64Array.from(a), Float32Array.from(b)), 5);
  });

  void it('cosine of a vector with itself is exactly 1, also for tiny and huge entries', () => {
    fc.assert(
      fc.property(fc.array(finite, { minLength: 1, maxLength: 20 }), (a) => {
        if (a.some((x) => x !== 0)) assert.equal(cosineDistance(a, a), 0);
      }),
      { seed: 42, numRuns: 500 },
    );
    assert.equal(cosineSimilarity([-2.7e-54], [8.9e-271]), -1);
    assert.equal(cosineSimilarity([1e-300, 0], [0, 1e-300]), 0);
    assert.ok(close(cosineSimilarity([1e300, 1e300], [1e300, 0]), Math.SQRT1_2));
  });

  void it('defines zero vectors for cosine: both zero → similarity 1, one zero → 0', () => {
    assert.equal(cosineSimilarity([0, 0], [0, 0]), 1);
    assert.equal(cosineDistance([0, 0], [0, 0]), 0);
    assert.equal(cosineSimilarity([0, 0], [1, 2]), 0);
    assert.equal(cosineDistance([3, 4], [0, 0]), 1);
    assert.equal(cosineSimilarity([], []), 1);
  });

  void it('throws a clear MeasureError on different lengths', () => {
    assert.throws(() => euclidean([1, 2, 3], [1, 2, 3, 4]), { name: 'MeasureError', message: 'euclidean: vectors have different lengths (3 and 4)' });
    for (const f of [sqeuclidean, manhattan, chebyshev, cosineSimilarity, cosineDistance]) {
      assert.throws(() => f([1], [1, 2]), MeasureError);
    }
    assert.throws(() => minkowski([1], [1, 2], 3), /minkowski: vectors have different lengths \(1 and 2\)/);
  });

  void it('rejects p < 1 for Minkowski', () => {
    assert.throws(() => minkowski([1], [2], 0.5), MeasureError);
    assert.throws(() => minkowski([1], [2], Number.NaN), MeasureError);
  });

  void it('matches the formulas on random vectors', () => {
    fc.assert(
      fc.property(vectorPair(), fc.double({ min: 1, max: 8, noNaN: true }), ([a, b], p) => {
        const d = diffs(a, b);
        assert.ok(close(sqeuclidean(a, b), d.reduce((s, x) => s + x * x, 0)));
        assert.ok(close(euclidean(a, b), Math.sqrt(d.reduce((s, x) => s + x * x, 0))));
        assert.ok(close(manhattan(a, b), d.reduce((s, x) => s + x, 0)));
        assert.equal(chebyshev(a, b), refChebyshev(a, b));
        assert.ok(close(minkowski(a, b, p), refMinkowski(a, b, p), 1e-9, 1e-6));
        assert.ok(close(minkowski(a, b, 1), manhattan(a, b)));
        assert.ok(close(minkowski(a, b, 2), euclidean(a, b)));
        assert.equal(minkowski(a, b, Infinity), chebyshev(a, b));
        // Minkowski distances shrink towards Chebyshev as p grows.
        assert.ok(minkowski(a, b, p) >= chebyshev(a, b) * (1 - 1e-12));
        assert.ok(minkowski(a, b, p) <= manhattan(a, b) * (1 + 1e-12) + 1e-9);
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  void it('cosine matches the formula and stays in range', () => {
    fc.assert(
      // Subnormal entries would break the plain formula (not ours): flush them to zero here.
      fc.property(vectorPair(finite.map((x) => (Math.abs(x) < 1e-100 ? 0 : x)), 30), ([a, b]) => {
        const s = cosineSimilarity(a, b);
        assert.ok(s >= -1 && s <= 1);
        assert.ok(close(cosineDistance(a, b), 1 - s));
        const ref = refCosine(a, b);
        if (Number.isFinite(ref)) assert.ok(close(s, Math.max(-1, Math.min(1, ref)), 1e-9, 1e-9));
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  void it('Minkowski with a large p neither overflows nor underflows', () => {
    assert.ok(close(minkowski([0, 0], [1e200, 1e200], 4), 1e200 * 2 ** 0.25));
    assert.ok(close(minkowski([0, 0], [1e-200, 1e-200], 50), 1e-200 * 2 ** (1 / 50)));
    assert.ok(close(minkowski([0, 0], [3, 4], 1000), 4, 1e-6));
  });

  void it('NaN in, NaN out', () => {
    assert.ok(Number.isNaN(euclidean([Number.NaN], [1])));
    assert.ok(Number.isNaN(chebyshev([1, Number.NaN], [1, 1])));
    assert.ok(Number.isNaN(minkowski([1, Number.NaN], [1, 1], 3)));
  });
});
