/**
 * The exact integer GEMM (intGemm.ts, the kernel intDot.wat): the committed module is the .wat
 * assembled; every product equals the exact integer dot product for any shape (rows not a
 * multiple of the 4 × 2 blocks, dims not a multiple of 16) and for values at the limit where
 * sums come closest to int32's range; operands kept in the kernel's memory are not confused.
 * Then the kNN paths that pick it (knnGemm.ts gemmFor) on integer data whose products float32
 * could not hold, and on pixels / 255 (the 'raw' image features): the answers must be
 * knnExact's and rangeQuery's, bit for bit, and other float data must keep the float32 GEMM.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { loadGemm, type Gemm } from '../../../server/engine/index/gemm';
import { integerScale, intGemm, intLimit } from '../../../server/engine/index/intGemm';

const smallIntegers = (m: Float32Array, rows: number, dim: number): boolean => integerScale(m, rows, dim, [1]) === 1;
import { INT_DOT_WASM } from '../../../server/engine/index/intDotModule';
import { knnExact, rangeQuery } from '../../../server/engine/index/knnExact';
import { gemmFor, knnAllRowsGemm, knnExactGemm, rangeQueryGemm } from '../../../server/engine/index/knnGemm';
import { mulberry32 } from '../features/rng';

/** n × dim integers uniform in [−limit, limit] (or [0, limit] when `nonNegative`). */
function integers(seed: number, n: number, dim: number, limit: number, nonNegative = false): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n * dim }, () => (nonNegative ? Math.floor(rng() * (limit + 1)) : Math.floor(rng() * (2 * limit + 1)) - limit));
}

/** The exact a·bᵀ (a: na × dim, b: nb × dim), row-major. */
function reference(a: Float32Array, na: number, b: Float32Array, nb: number, dim: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < na; i++) {
    for (let j = 0; j < nb; j++) {
      let s = 0;
      for (let t = 0; t < dim; t++) s += a[i * dim + t] * b[j * dim + t];
      out.push(s);
    }
  }
  return out;
}

let ints: Gemm;
let floats: Gemm;

void describe('intGemm', () => {
  before(async () => {
    const g = intGemm();
    assert.ok(g, 'the kernel runs in Node (WebAssembly SIMD)');
    ints = g;
    const f = await loadGemm();
    assert.ok(f);
    floats = f;
  });

  void it('the committed module is intDot.wat assembled (npm run build:wasm)', async () => {
    // @ts-expect-error: an untyped .mjs build script
    const { KERNELS, moduleText } = (await import('../../../scripts/build-wasm.mjs')) as { KERNELS: { name: string; module: string }[]; moduleText: (k: unknown) => Promise<string> };
    const kernel = KERNELS.find((k) => k.name === 'INT_DOT_WASM');
    assert.ok(kernel);
    const committed = readFileSync(path.join(__dirname, '..', '..', '..', kernel.module), 'utf8');
    assert.equal(committed, await moduleText(kernel), 'intDotModule.ts is not intDot.wat assembled: run npm run build:wasm');
    assert.ok(committed.includes(`'${INT_DOT_WASM}'`));
  });

  void it('every product is the exact integer dot product, at the int32 limit too, for any shape', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 13 }), fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 70 }), fc.boolean(), (seed, na, nb, dim, atLimit) => {
        const limit = intLimit(dim);
        const rng = mulberry32(seed);
        // At the limit every value is ±limit: the largest sums the kernel may be given.
        const a = atLimit ? Float32Array.from({ length: na * dim }, () => (rng() < 0.5 ? -limit : limit)) : integers(seed, na, dim, limit);
        const b = atLimit ? Float32Array.from({ length: nb * dim }, () => (rng() < 0.5 ? -limit : limit)) : integers(seed + 1, nb, dim, limit);
        assert.ok(smallIntegers(a, na, dim) && smallIntegers(b, nb, dim));
        const left = ints.left(a, 0, na, dim);
        const right = ints.right(b, 0, nb, dim);
        assert.deepEqual(Array.from(ints.multiply(left, right)), reference(a, na, b, nb, dim));
        // Row ranges of the same matrices: operands taken from the middle.
        if (na > 2 && nb > 1) {
          const l2 = ints.left(a, 1, na - 1, dim);
          const r2 = ints.right(b, 1, nb, dim);
          assert.deepEqual(Array.from(ints.multiply(l2, r2)), reference(a.subarray(dim, (na - 1) * dim), na - 2, b.subarray(dim), nb - 1, dim));
          ints.dispose(l2, r2);
        }
        ints.dispose(left, right);
      }),
      { seed: 7201, numRuns: 200 },
    );
  });

  void it('keeps the right operand across products, and converts an operand again after its rows changed and it was disposed', () => {
    const dim = 33;
    const a = integers(1, 9, dim, 255, true);
    const b = integers(2, 7, dim, 255, true);
    const c = integers(3, 64, dim, 255, true);
    const right = ints.right(b, 0, 7, dim);
    const l1 = ints.left(a, 0, 9, dim);
    const l2 = ints.left(a, 3, 5, dim);
    assert.deepEqual(Array.from(ints.multiply(l1, right)), reference(a, 9, b, 7, dim));
    assert.deepEqual(Array.from(ints.multiply(l2, right)), reference(a.subarray(3 * dim), 2, b, 7, dim));
    // A larger product moves the layout; the small ones still come out right after it.
    const big = ints.left(c, 0, 64, dim);
    assert.deepEqual(Array.from(ints.multiply(big, right)), reference(c, 64, b, 7, dim));
    assert.deepEqual(Array.from(ints.multiply(l1, right)), reference(a, 9, b, 7, dim));
    ints.dispose(l1);
    a.fill(1);
    const again = ints.left(a, 0, 9, dim);
    assert.deepEqual(Array.from(ints.multiply(again, right)), reference(a, 9, b, 7, dim));
    ints.dispose(again, l2, big, right);
  });

  void it('takes only small integers: fractions, NaN, ±∞ and values past the limit are refused', () => {
    const dim = 784;
    assert.equal(intLimit(dim), 1655);
    assert.equal(intLimit(1), 32767);
    const row = (...values: number[]): Float32Array => {
      const r = new Float32Array(dim);
      r.set(values);
      return r;
    };
    assert.equal(smallIntegers(row(0, -0, 255, -1655, 1655, 3), 1, dim), true);
    for (const bad of [0.5, -1e-3, Number.NaN, Infinity, -Infinity, 1656, -1656]) assert.equal(smallIntegers(row(1, 2, bad), 1, dim), false, String(bad));
    // Only the rows asked for are scanned; the limit follows dim.
    const two = new Float32Array(2 * dim).fill(3);
    two[dim + 5] = 0.5;
    assert.equal(smallIntegers(two, 1, dim), true);
    assert.equal(smallIntegers(two, 2, dim), false);
    assert.equal(smallIntegers(Float32Array.from([20000, -20000]), 1, 2), true);
    assert.equal(smallIntegers(Float32Array.from([20000, -20000]), 2, 1), true);
    assert.equal(smallIntegers(Float32Array.from([32768, 0]), 1, 2), false);
  });

  void it('integerScale: integers at 1, pixels / 255 at 255 (their products are Σ kᵢlᵢ), anything else 0', () => {
    const dim = 30;
    const pixels = integers(7210, 6, dim, 255, true);
    const scaled = Float32Array.from(pixels, (x) => x / 255);
    assert.equal(integerScale(pixels, 6, dim), 1);
    assert.equal(integerScale(scaled, 6, dim), 255);
    assert.equal(integerScale(Float32Array.from(scaled, (x, i) => (i === 40 ? x + 1e-3 : x)), 6, dim), 0, 'one value off the grid');
    assert.equal(integerScale(Float32Array.from(scaled, (x, i) => (i === 40 ? Math.fround(x * (1 + 2 ** -20)) : x)), 6, dim), 0, 'one value a few ulps off');
    assert.equal(integerScale(scaled, 6, dim, [1]), 0);
    assert.equal(smallIntegers(scaled, 6, dim), false);
    const g = intGemm(255);
    assert.ok(g && g !== ints && g.valueScale === 255 && !g.exact);
    assert.equal(intGemm(255), g, 'one Gemm per scale');
    const left = g.left(scaled, 0, 6, dim);
    const right = g.right(scaled, 2, 6, dim);
    assert.deepEqual(Array.from(g.multiply(left, right)), reference(pixels, 6, pixels.subarray(2 * dim), 4, dim));
    // The scale-1 Gemm shares the kernel's memory: its product after this one is its own.
    const l1 = ints.left(pixels, 0, 6, dim);
    assert.deepEqual(Array.from(ints.multiply(l1, ints.right(pixels, 2, 6, dim))), reference(pixels, 6, pixels.subarray(2 * dim), 4, dim));
    assert.deepEqual(Array.from(g.multiply(left, right)), reference(pixels, 6, pixels.subarray(2 * dim), 4, dim));
    assert.throws(() => g.multiply(l1, right), RangeError, 'operands of another scale');
    g.dispose(left, right);
    ints.dispose(l1);
  });

  void it('gemmFor picks it for integer data and pixels / 255 only; knn and range answers on it are knnExact’s where float32 products round', () => {
    const dim = 40;
    const n = 150;
    // Values up to the limit: products up to ~2³¹, far beyond float32's 24 bits, so only exact
    // sums (and exact keys) give knnExact's ties and order. Duplicated rows make zero distances.
    const data = integers(7203, n, dim, intLimit(dim));
    data.copyWithin(5 * dim, 17 * dim, 18 * dim);
    const pixels = integers(7204, n, dim, 255, true);
    const raw = Float32Array.from(pixels, (x) => x / 255);
    raw.copyWithin(9 * dim, 3 * dim, 4 * dim);
    assert.equal(gemmFor(floats, data, n, data, n, dim), ints);
    assert.equal(gemmFor(floats, pixels, 3, data, n, dim), ints);
    assert.equal(gemmFor(floats, raw, n, raw, n, dim), intGemm(255));
    assert.equal(gemmFor(floats, raw, 3, data, n, dim), floats, 'queries at another scale');
    const fractional = Float32Array.from(data, (x, i) => (i === dim + 3 ? x + 0.5 : x));
    assert.equal(gemmFor(floats, fractional, n, fractional, n, dim), floats, 'one fraction keeps the float32 GEMM');
    assert.equal(gemmFor(floats, fractional, 2, data, n, dim), floats, 'queries are scanned too');
    assert.equal(gemmFor(floats, fractional, 1, data, n, dim), ints, 'only the query rows');
    for (const m of [data, pixels, raw]) {
      for (const metric of [{ metric: 'euclidean' as const }, { metric: 'sqeuclidean' as const }, { metric: 'cosine' as const }]) {
        const want = knnExact(m, n, dim, 12, metric);
        const got = knnExactGemm(floats, m, n, dim, 12, { ...metric, blocks: [7, 23] });
        assert.deepEqual(Array.from(got.indices), Array.from(want.indices), `${metric.metric}: indices`);
        assert.deepEqual(Array.from(got.distances), Array.from(want.distances), `${metric.metric}: distances`);
        const all = knnAllRowsGemm(floats, m, n, dim, 12, { ...metric, block: 19 });
        assert.deepEqual(Array.from(all.indices), Array.from(want.indices), `${metric.metric}: symmetric indices`);
        assert.deepEqual(Array.from(all.distances), Array.from(want.distances), `${metric.metric}: symmetric distances`);
        // eps: the 5th nearest distance of row 0, so the boundary holds ties.
        const eps = want.distances[4];
        for (const distances of [true, false]) {
          const r = rangeQueryGemm(floats, m, n, dim, eps, { ...metric, distances, blocks: [11, 29] });
          const w = rangeQuery(m, n, dim, eps, { ...metric, distances });
          assert.deepEqual(Array.from(r.offsets), Array.from(w.offsets), `${metric.metric}: range offsets`);
          assert.deepEqual(Array.from(r.neighbours), Array.from(w.neighbours), `${metric.metric}: range neighbours`);
          assert.deepEqual(Array.from(r.distances), Array.from(w.distances), `${metric.metric}: range distances`);
        }
      }
    }
  });
});
