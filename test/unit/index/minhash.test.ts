import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  EMPTY_SLOT,
  createMinHashFamily,
  estimateJaccard,
  estimateJaccardAt,
  isEmptySignature,
  minhashSignature,
  minhashSignatures,
  signatureJaccard,
  useSimdMinHash,
} from '../../../server/engine/index/minhash';
import { simdMinHashAvailable } from '../../../server/engine/index/minhashSimd';
import { packSets } from '../../../server/engine/features/sets';
import { distinctUint32, mulberry32, randomInt } from '../features/rng';

/** Two sets with exactly `common` shared values and `onlyA` / `onlyB` private ones. */
function pairWithOverlap(values: Uint32Array, common: number, onlyA: number, onlyB: number): [Uint32Array, Uint32Array] {
  const a = values.slice(0, common + onlyA);
  const b = new Uint32Array(common + onlyB);
  b.set(values.subarray(0, common));
  b.set(values.subarray(common + onlyA, common + onlyA + onlyB), common);
  return [a, b];
}

void describe('minhash', () => {
  void it('estimates Jaccard within binomial tolerance on random sets of known Jaccard', () => {
    const m = 128;
    const family = createMinHashFamily(m, 42);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), (seed, common, onlyA, onlyB) => {
        const rng = mulberry32(seed);
        const [a, b] = pairWithOverlap(distinctUint32(rng, common + onlyA + onlyB), common, onlyA, onlyB);
        const j = common / (common + onlyA + onlyB);
        const est = estimateJaccard(minhashSignature(family, a), 0, minhashSignature(family, b), 0, m);
        const sigma = Math.sqrt((j * (1 - j)) / m);
        assert.ok(Math.abs(est - j) <= 5 * sigma + 1e-9, `J = ${j}, estimate ${est}, σ = ${sigma}`);
      }),
      { seed: 3101, numRuns: 300 },
    );
  });

  void it('is unbiased, with the variance of independent slots, even on structured inputs', () => {
    const m = 64;
    const rng = mulberry32(3102);
    for (const structured of [false, true]) {
      const family = createMinHashFamily(m, 7);
      const errors: number[] = [];
      const j = 1 / 3; // 100 shared, 100 + 100 private
      for (let t = 0; t < 300; t++) {
        let values: Uint32Array;
        if (structured) {
          // Consecutive integers: the worst case for a linear permutation without the pre-mix.
          const base = randomInt(rng, 0, 1e9);
          values = Uint32Array.from({ length: 300 }, (_, i) => base + i);
        } else {
          values = distinctUint32(rng, 300);
        }
        const [a, b] = pairWithOverlap(values, 100, 100, 100);
        errors.push(estimateJaccard(minhashSignature(family, a), 0, minhashSignature(family, b), 0, m) - j);
      }
      const mean = errors.reduce((s, e) => s + e, 0) / errors.length;
      const variance = errors.reduce((s, e) => s + (e - mean) ** 2, 0) / (errors.length - 1);
      const expected = (j * (1 - j)) / m;
      assert.ok(Math.abs(mean) < 4 * Math.sqrt(expected / errors.length), `bias ${mean} (structured ${structured})`);
      assert.ok(variance > 0.6 * expected && variance < 1.5 * expected, `variance ${variance} vs ${expected} (structured ${structured})`);
    }
  });

  void it('ignores order and duplicates; identical sets estimate 1', () => {
    const family = createMinHashFamily(96, 1);
    const set = Uint32Array.of(5, 1, 99, 1234567, 5, 1);
    const sorted = Uint32Array.of(1, 5, 99, 1234567);
    assert.deepEqual(minhashSignature(family, set), minhashSignature(family, sorted));
    assert.equal(estimateJaccard(minhashSignature(family, set), 0, minhashSignature(family, sorted), 0, 96), 1);
  });

  void it('gives the empty set the all-0xFFFFFFFF signature, which estimates 0 against anything', () => {
    const family = createMinHashFamily(64, 1);
    const empty = minhashSignature(family, new Uint32Array(0));
    assert.ok(empty.every((v) => v === EMPTY_SLOT));
    assert.ok(isEmptySignature(empty, 0, 64));
    assert.ok(!isEmptySignature(minhashSignature(family, Uint32Array.of(3)), 0, 64));
    assert.equal(estimateJaccard(empty, 0, empty, 0, 64), 0);
    assert.equal(estimateJaccard(empty, 0, minhashSignature(family, Uint32Array.of(3)), 0, 64), 0);
  });

  void it('judges empty slots by the whole signature: a lone 0xFFFFFFFF slot is a real minimum and matches', () => {
    // Records' signatures, or files' (slot-wise minima): only the all-EMPTY_SLOT one is the empty set.
    const e = EMPTY_SLOT;
    assert.equal(signatureJaccard(Uint32Array.of(1, 2, e, 4), Uint32Array.of(1, 3, e, 4)), 0.75);
    assert.equal(signatureJaccard(Uint32Array.of(1, 2, e, 4), Uint32Array.of(1, 3, 7, 4)), 0.5);
    assert.equal(signatureJaccard(Uint32Array.of(e, e, e, e), Uint32Array.of(e, e, e, e)), 0);
    assert.equal(signatureJaccard(Uint32Array.of(e, e, e, e), Uint32Array.of(e, e, e, 4)), 0);
    assert.equal(signatureJaccard(new Uint32Array(0), new Uint32Array(0)), 0);
    const packed = Uint32Array.of(9, 1, 2, e, 4, 1, 3, e, 4);
    assert.equal(estimateJaccard(packed, 1, packed, 5, 4), signatureJaccard(packed.subarray(1, 5), packed.subarray(5, 9)));
    assert.throws(() => signatureJaccard(new Uint32Array(4), new Uint32Array(8)), RangeError);
  });

  void it('packs signatures of many sets; any chunk [from, to) equals that slice of the whole', () => {
    const rng = mulberry32(3103);
    const sets = Array.from({ length: 30 }, (_, i) => distinctUint32(rng, i % 7 === 0 ? 0 : randomInt(rng, 1, 400)).sort());
    const m = 64;
    const family = createMinHashFamily(m, 99);
    const all = minhashSignatures(family, packSets(sets));
    assert.equal(all.length, sets.length * m);
    assert.deepEqual(minhashSignatures(family, sets), all);
    sets.forEach((s, r) => assert.deepEqual(all.subarray(r * m, (r + 1) * m), minhashSignature(family, s)));
    assert.deepEqual(minhashSignatures(family, packSets(sets), 10, 17), all.slice(10 * m, 17 * m));
    assert.equal(estimateJaccardAt(all, m, 3, 3), 1);
    assert.throws(() => minhashSignatures(family, sets, 5, 31), RangeError);
  });

  void it('gives the same signatures with the WebAssembly SIMD loop as with the scalar one', { skip: simdMinHashAvailable() ? false : 'no WebAssembly SIMD in this runtime' }, () => {
    // numHashes not a multiple of 16 (padded lanes), sets of 1 to 40,000 values (memory growth),
    // values near 0 and 2³² (the signed-minimum shift).
    const edge = fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff);
    const value = fc.oneof(fc.nat({ max: 0xffffffff }), edge);
    try {
      fc.assert(
        fc.property(fc.constantFrom(1, 7, 16, 33, 128, 256), fc.integer({ min: 0, max: 2 ** 31 }), fc.array(value, { minLength: 0, maxLength: 600 }), fc.nat({ max: 40_000 }), (m, seed, values, extra) => {
          const family = createMinHashFamily(m, seed);
          const random = mulberry32(seed);
          const set = Uint32Array.from([...values, ...Array.from({ length: extra % 3 === 0 ? extra : 0 }, () => randomInt(random, 0, 0x100000000))]);
          useSimdMinHash(false);
          const scalar = minhashSignature(family, set);
          useSimdMinHash(true);
          assert.deepEqual(minhashSignature(family, set), scalar);
        }),
        { seed: 11, numRuns: 120 },
      );
    } finally {
      useSimdMinHash(true);
    }
  });

  void it('derives the family deterministically from the seed, with odd multipliers', () => {
    const a = createMinHashFamily(128, 5);
    const b = createMinHashFamily(128, 5);
    const c = createMinHashFamily(128, 6);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.mul, c.mul);
    assert.ok(a.mul.every((v) => (v & 1) === 1));
    assert.throws(() => createMinHashFamily(0), RangeError);
  });
});
