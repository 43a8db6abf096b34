import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fastPow, powerTable, tablePow } from '../../../server/engine/embed/fastPow';

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

void test('tablePow (one b, tables) is within 1e-12 of Math.pow; non-normal x falls back', () => {
  fc.assert(
    fc.property(fc.double({ min: 1e-30, max: 1e30, noNaN: true }), fc.double({ min: 0.05, max: 3, noNaN: true }), (x, b) => {
      return Math.abs(tablePow(powerTable(b), x) / Math.pow(x, b) - 1) < 1e-12;
    }),
    { numRuns: 5000, seed: 11 },
  );
  const t = powerTable(0.8950608780665811);
  for (const x of [1, 2, 0.5, 1.0039, 1.99999, 3e-300, 7e300]) assert.ok(Math.abs(tablePow(t, x) / Math.pow(x, t.b) - 1) < 1e-12, String(x)); // Math.pow(2, y) itself is good to ~1e-14 at large |y|
  assert.equal(tablePow(t, 0), 0);
  assert.equal(tablePow(t, 5e-324), Math.pow(5e-324, t.b));
  assert.ok(Number.isNaN(tablePow(t, Number.NaN)));
  assert.throws(() => powerTable(Number.NaN), /b must be finite/);
});
