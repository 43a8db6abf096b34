/**
 * Per-record candidate selection (engine/index/candidateSelection.ts) against a plain reference:
 * the estimate of a pair is its 8-bit b-bit MinHash estimate (low bytes of the slots, corrected for chance agreement); pairs below the floor are
 * dropped (and counted); each record sorts its remaining pairs by estimate (descending, ties by
 * pair index) and takes the first R; a pair is kept when either end takes it. Output: the kept
 * pairs in input order, with their estimates.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { collectSelected, equalLowBytes, estimatePairs, jaccardFloor, lowBytes, markSelected, selectCandidatesPerRecord } from '../../../server/engine/index/candidateSelection';

interface Case {
  n: number;
  numHashes: number;
  signatures: Uint32Array;
  pairs: { i: Uint32Array; j: Uint32Array };
}

/** Random signatures over a tiny alphabet (so estimates spread and tie), random distinct pairs i < j. */
const caseArb: fc.Arbitrary<Case> = fc
  .record({
    n: fc.integer({ min: 2, max: 20 }),
    numHashes: fc.constantFrom(1, 3, 8, 10, 16, 100, 128, 253, 1024), // > 252: the lane counts are folded more than once
    alphabet: fc.integer({ min: 1, max: 4 }),
  })
  .chain(({ n, numHashes, alphabet }) => {
    const all: [number, number][] = [];
    for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) all.push([a, b]);
    return fc
      .record({
        slots: fc.array(fc.integer({ min: 0, max: alphabet - 1 }), { minLength: n * numHashes, maxLength: n * numHashes }),
        chosen: fc.subarray(all),
        shuffle: fc.boolean(),
      })
      .map(({ slots, chosen, shuffle }) => {
        const pairs = shuffle ? [...chosen].reverse() : chosen;
        return {
          n,
          numHashes,
          signatures: Uint32Array.from(slots),
          pairs: { i: Uint32Array.from(pairs, (p) => p[0]), j: Uint32Array.from(pairs, (p) => p[1]) },
        };
      });
  });

/** b-bit MinHash with b = 8: the fraction f of slots whose low bytes agree, corrected for chance: (f − 1/256)/(1 − 1/256). */
function estimate(c: Case, p: number): number {
  const H = c.numHashes;
  let equal = 0;
  for (let h = 0; h < H; h++) if ((c.signatures[c.pairs.i[p] * H + h] & 0xff) === (c.signatures[c.pairs.j[p] * H + h] & 0xff)) equal++;
  return Math.max(0, (equal / H - 1 / 256) / (1 - 1 / 256));
}

function reference(c: Case, perRecord: number, minJaccard: number): { kept: number[]; belowFloor: number } {
  const P = c.pairs.i.length;
  const est = Array.from({ length: P }, (_, p) => estimate(c, p));
  const rows: number[][] = Array.from({ length: c.n }, () => []);
  let belowFloor = 0;
  for (let p = 0; p < P; p++) {
    if (est[p] < minJaccard) {
      belowFloor++;
      continue;
    }
    rows[c.pairs.i[p]].push(p);
    rows[c.pairs.j[p]].push(p);
  }
  const keep = new Set<number>();
  for (const row of rows) for (const p of [...row].sort((x, y) => est[y] - est[x] || x - y).slice(0, perRecord)) keep.add(p);
  return { kept: [...keep].sort((x, y) => x - y), belowFloor };
}

void describe('selectCandidatesPerRecord', () => {
  void test('equals the reference on random signatures (any R, floors on and between estimate steps)', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 0, max: 6 }), fc.nat({ max: 128 }), fc.boolean(), (c, perRecord, floorSteps, onStep) => {
        // Floors exactly on an estimate value (k/H) are the edge case; between steps too.
        const floor = onStep ? Math.min(floorSteps, c.numHashes) / c.numHashes : floorSteps / 129;
        const got = selectCandidatesPerRecord(c.n, c.pairs, c.signatures, c.numHashes, { perRecord, minJaccard: floor });
        const want = reference(c, perRecord, floor);
        assert.equal(got.belowFloor, want.belowFloor, 'pairs below the floor');
        assert.deepEqual(
          Array.from(got.i, (a, t) => `${a},${got.j[t]}`),
          want.kept.map((p) => `${c.pairs.i[p]},${c.pairs.j[p]}`),
          `kept pairs (R ${perRecord}, floor ${floor}, H ${c.numHashes})`,
        );
        want.kept.forEach((p, t) => assert.equal(got.jaccard[t], Math.fround(estimate(c, p)), 'estimate of a kept pair'));
      }),
      { seed: 0xca5d, numRuns: 500 },
    );
  });

  void test('split by record ranges (each range marking into one flag array, any cut points) equals one full selection', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 0, max: 6 }), fc.array(fc.nat(), { maxLength: 4 }), (c, perRecord, cuts) => {
        const full = selectCandidatesPerRecord(c.n, c.pairs, c.signatures, c.numHashes, { perRecord, minJaccard: 0.1 });
        const { codes } = estimatePairs(c.n, c.pairs, c.signatures, c.numHashes, { minJaccard: 0.1 });
        const bounds = [0, ...cuts.map((x) => x % (c.n + 1)).sort((a, b) => a - b), c.n];
        const keep = new Uint8Array(c.pairs.i.length);
        // Ranges marked in reverse: the order of the workers must not matter.
        for (let r = bounds.length - 2; r >= 0; r--) markSelected(c.n, c.pairs, codes, c.numHashes, perRecord, keep, bounds[r], bounds[r + 1]);
        const split = collectSelected(c.pairs, codes, c.numHashes, keep);
        assert.deepEqual(split.i, full.i);
        assert.deepEqual(split.j, full.j);
        assert.deepEqual(split.jaccard, full.jaccard);
      }),
      { seed: 0x5e1c, numRuns: 300 },
    );
  });

  void test('a floor exactly at an estimate keeps pairs at that estimate (numHashes 10: not exact in float32)', () => {
    // Records 0 and 1 share 7 of 10 slots, 2 and 3 share 3 of 10.
    const sig = new Uint32Array(40);
    for (let h = 0; h < 10; h++) {
      sig[h] = h;
      sig[10 + h] = h < 7 ? h : 100 + h;
      sig[20 + h] = h;
      sig[30 + h] = h < 3 ? h : 200 + h;
    }
    const pairs = { i: Uint32Array.of(2, 0), j: Uint32Array.of(3, 1) };
    const atSeven = (0.7 - 1 / 256) / (1 - 1 / 256); // the b-bit estimate of 7 equal slots of 10
    const r = selectCandidatesPerRecord(4, pairs, sig, 10, { perRecord: 5, minJaccard: atSeven });
    assert.equal(r.belowFloor, 1);
    assert.deepEqual([Array.from(r.i), Array.from(r.j)], [[0], [1]], 'only the 7/10 pair (the 3/10 one is below the floor)');
  });

  void test('R = 1: each record keeps its best pair, ties by pair index; a pair survives when either end takes it', () => {
    // Record 0's pairs: (0,1) 2/4, (0,2) 4/4, (0,3) 4/4 → 0 takes (0,2) (first of the tie).
    // Record 3's only pair is (0,3): it takes it, so (0,3) is kept as well. Record 1 takes (0,1).
    const sig = Uint32Array.from([1, 2, 3, 4, /* 1 */ 1, 2, 9, 9, /* 2 */ 1, 2, 3, 4, /* 3 */ 1, 2, 3, 4]);
    const pairs = { i: Uint32Array.of(0, 0, 0), j: Uint32Array.of(1, 2, 3) };
    const r = selectCandidatesPerRecord(4, pairs, sig, 4, { perRecord: 1, minJaccard: 0 });
    assert.deepEqual(Array.from(r.j), [1, 2, 3]);
    const noOne = selectCandidatesPerRecord(4, { i: Uint32Array.of(0, 0, 0, 2), j: Uint32Array.of(1, 2, 3, 3) }, sig, 4, { perRecord: 1, minJaccard: 0 });
    // Now 3 prefers (0,3)? both (0,3) and (2,3) are 4/4: index order gives (0,3). 2 takes (0,2). 1 takes (0,1).
    assert.deepEqual(Array.from(noOne.i, (a, t) => `${a},${noOne.j[t]}`), ['0,1', '0,2', '0,3']);
  });

  void test('lowBytes: the low byte of every slot once per record, zero padding; equal bytes counted as the low bytes agree', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 13 }), fc.array(fc.constantFrom(0, 1, 0xff, 0x100, 0x1ff, 0x7fffffff, 0x80000001, 0xffffffff), { minLength: 26, maxLength: 26 * 13 }), fc.boolean(), (H, values, reorder) => {
        const n = Math.floor(values.length / H);
        const signatures = Uint32Array.from(values.slice(0, n * H));
        const order = reorder ? Uint32Array.from({ length: n }, (_, r) => n - 1 - r) : undefined;
        const bytes = lowBytes(signatures, n, H, undefined, order);
        const W = bytes.wordsPerRecord;
        assert.equal(W * 4 - bytes.padding, H);
        const lane = (r: number, h: number): number => (bytes.words[r * W + (h >> 2)]! >>> (8 * (h & 3))) & 0xff;
        for (let r = 0; r < n; r++) {
          const src = order ? order[r]! : r;
          for (let h = 0; h < H; h++) assert.equal(lane(r, h), signatures[src * H + h]! & 0xff);
          for (let h = H; h < W * 4; h++) assert.equal(lane(r, h), 0, 'padding');
        }
        for (let a = 0; a + 1 < n; a++) {
          let same = 0;
          for (let h = 0; h < H; h++) if (lane(a, h) === lane(a + 1, h)) same++;
          assert.equal(equalLowBytes(bytes.words, W, a * W, (a + 1) * W) - bytes.padding, same);
        }
      }),
      { seed: 31, numRuns: 200 },
    );
  });

  void test('no pairs, and records without pairs', () => {
    const r = selectCandidatesPerRecord(3, { i: new Uint32Array(0), j: new Uint32Array(0) }, new Uint32Array(12), 4, { perRecord: 2, minJaccard: 0.5 });
    assert.equal(r.i.length, 0);
    assert.equal(r.belowFloor, 0);
  });

  void test('jaccardFloor: q/(2 − q) at equal sizes, lower for a shorter copy; a per-pair floor keeps a trimmed copy', () => {
    assert.equal(jaccardFloor(0.5, 100, 100), 0.5 / 1.5);
    assert.ok(Math.abs(jaccardFloor(1, 70, 100) - 0.7) < 1e-12, 'identical but trimmed to 70 %: J = 0.7');
    // Records 0 and 1 agree on 7 of 10 slots: below a flat floor of 0.75, above the floor for sizes 70 and 100 at q = 1.
    const sig = new Uint32Array(20);
    for (let h = 0; h < 10; h++) {
      sig[h] = h;
      sig[10 + h] = h < 7 ? h : 100 + h;
    }
    const pairs = { i: Uint32Array.of(0), j: Uint32Array.of(1) };
    assert.equal(selectCandidatesPerRecord(2, pairs, sig, 10, { perRecord: 2, minJaccard: 0.75 }).i.length, 0);
    const aware = selectCandidatesPerRecord(2, pairs, sig, 10, { perRecord: 2, minJaccard: 0.75, lengthAware: { q: 0.95, shingles: [70, 100] } });
    assert.equal(aware.i.length, 1);
  });
});
