import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fastPow } from '../../../server/engine/embed/fastPow';

void test('fastPow is within 1e-9 of Math.pow over the range UMAP uses', () => {
  fc.assert(
    fc.property(fc.double({ min: 1e-30, max: 1e30, noNaN: true }), fc.double({ min: 0.05, max: 3, noNaN: true }), (x, b) => {
      const want = Math.pow(x, b);
      return Math.abs(fastPow(x, b) / want - 1) < 1e-9;
    }),
    { numRuns: 20000, seed: 7 },
  );
});

void test('fastPow: exact powers, 0, subnormals and overflow fall back to Math.pow', () => {
  assert.ok(Math.abs(fastPow(4, 0.5) - 2) < 1e-15);
  assert.ok(Math.abs(fastPow(1, 0.8950608780665811) - 1) < 1e-15);
  assert.equal(fastPow(0, 0.9), 0);
  assert.equal(fastPow(5e-324, 0.5), Math.pow(5e-324, 0.5));
  assert.equal(fastPow(1e300, 3), Infinity);
  assert.ok(Number.isNaN(fastPow(Number.NaN, 1)));
});
