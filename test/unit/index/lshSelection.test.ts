/**
 * Selection straight from the LSH index (engine/index/lshSelection.ts) against the pipeline it
 * replaces: every LSH candidate pair (lshCandidatePairs, the same bucket cap), then the
 * per-record best-R selection over that list (selectCandidatesPerRecord). Same pairs, same order,
 * same pair and below-floor counts — whatever the record chunks, with capped buckets, ties, empty
 * records and per-pair (length-aware) floors; with the low bytes in a shared WebAssembly memory
 * (the SIMD count, as the product runs it) and in a plain buffer (the SWAR count).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { equalLowBytes, lowBytes, lowBytesSize, selectCandidatesPerRecord, type LowByteSignatures } from '../../../server/engine/index/candidateSelection';
import { EQUAL_BYTES_MAX, equalBytesAvailable, equalBytesKernel } from '../../../server/engine/index/equalBytesSimd';
import { buildLshIndex, lshCandidatePairs } from '../../../server/engine/index/lsh';
import { bucketBounds, mergeChoices, selectFromLsh } from '../../../server/engine/index/lshSelection';

interface Case {
  n: number;
  numHashes: number;
  bands: number;
  rows: number;
  signatures: Uint32Array;
  perRecord: number;
  cap: number;
  minJaccard: number;
  shingles?: Int32Array;
  q: number;
  cuts: number[];
  simd: boolean;
}

const EMPTY = 0xffffffff;

/** Signatures over a tiny alphabet (big buckets, many ties), some records empty. */
const caseArb: fc.Arbitrary<Case> = fc
  .record({
    n: fc.integer({ min: 1, max: 60 }),
    shape: fc.constantFrom([8, 4, 2], [12, 6, 2], [16, 8, 1], [20, 5, 3]),
    alphabet: fc.integer({ min: 1, max: 4 }),
    perRecord: fc.integer({ min: 1, max: 8 }),
    cap: fc.integer({ min: 2, max: 12 }),
    minJaccard: fc.constantFrom(0, 0.1, 0.3, 0.6),
    lengthAware: fc.boolean(),
    q: fc.double({ min: 0.05, max: 1, noNaN: true }),
    seed: fc.integer(),
    simd: fc.boolean(),
  })
  .chain((c) =>
    fc
      .record({
        slots: fc.array(fc.integer({ min: 0, max: c.alphabet - 1 }), { minLength: c.n * c.shape[0]!, maxLength: c.n * c.shape[0]! }),
        empty: fc.array(fc.boolean(), { minLength: c.n, maxLength: c.n }),
        shingles: fc.array(fc.integer({ min: 1, max: 400 }), { minLength: c.n, maxLength: c.n }),
        cuts: fc.array(fc.integer({ min: 0, max: c.n }), { maxLength: 4 }),
      })
      .map(({ slots, empty, shingles, cuts }) => {
        const [numHashes, bands, rows] = c.shape as [number, number, number];
        const signatures = Uint32Array.from(slots);
        // An empty record: every slot at the empty value (never indexed); at most a few.
        for (let r = 0; r < c.n; r++) if (empty[r] && r % 5 === 0) signatures.fill(EMPTY, r * numHashes, (r + 1) * numHashes);
        return {
          n: c.n,
          numHashes,
          bands,
          rows,
          signatures,
          perRecord: c.perRecord,
          cap: c.cap,
          minJaccard: c.minJaccard,
          ...(c.lengthAware ? { shingles: Int32Array.from(shingles) } : {}),
          q: c.q,
          cuts: [...new Set(cuts)].sort((a, b) => a - b),
          simd: c.simd,
        };
      }),
  );

function viaPairList(c: Case) {
  const index = buildLshIndex(c.signatures, c.numHashes, { bands: c.bands, rows: c.rows });
  const pairs = lshCandidatePairs(index, { maxBucketSize: c.cap });
  const selected = selectCandidatesPerRecord(c.n, pairs, c.signatures, c.numHashes, {
    perRecord: c.perRecord,
    minJaccard: c.minJaccard,
    ...(c.shingles ? { lengthAware: { q: c.q, shingles: c.shingles } } : {}),
  });
  return { i: [...selected.i], j: [...selected.j], pairs: pairs.stats.pairs, belowFloor: selected.belowFloor };
}

/** The low bytes as the product places them: in a shared WebAssembly memory, where the SIMD count reads them. */
function inWasmMemory(signatures: Uint32Array, n: number, H: number): LowByteSignatures {
  assert.ok(equalBytesAvailable(), 'this runtime runs WebAssembly SIMD');
  const memory = new WebAssembly.Memory({ initial: Math.ceil(lowBytesSize(n, H) / 65536), maximum: Math.ceil(lowBytesSize(n, H) / 65536), shared: true });
  return { ...lowBytes(signatures, n, H, () => memory.buffer), memory };
}

function viaIndex(c: Case) {
  const index = buildLshIndex(c.signatures, c.numHashes, { bands: c.bands, rows: c.rows });
  const bounds = bucketBounds(index);
  const bytes = c.simd ? inWasmMemory(c.signatures, c.n, c.numHashes) : lowBytes(c.signatures, c.n, c.numHashes);
  const edges = [0, ...c.cuts, c.n];
  const parts = edges.slice(0, -1).map((from, t) =>
    selectFromLsh(index, bounds, bytes, {
      perRecord: c.perRecord,
      maxBucketSize: c.cap,
      minJaccard: c.minJaccard,
      ...(c.shingles ? { lengthAware: { q: c.q, shingles: c.shingles } } : {}),
      recordFrom: from,
      recordTo: edges[t + 1]!,
    }),
  );
  const merged = mergeChoices(parts, c.n);
  return { i: [...merged.i], j: [...merged.j], pairs: parts.reduce((s, p) => s + p.pairs, 0), belowFloor: parts.reduce((s, p) => s + p.belowFloor, 0) };
}

void describe('selectFromLsh + mergeChoices', () => {
  void test('equal the per-record selection over the full candidate pair list', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        assert.deepEqual(viaIndex(c), viaPairList(c));
      }),
      { numRuns: 300, seed: 1807 },
    );
  });

  void test('the SIMD count of equal low bytes equals the SWAR count, up to the most bytes a call may compare', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 2, max: 6 }), fc.integer(), (H0, n, seed) => {
        // H up to 300, and the largest a call takes; slots agree often (a small alphabet) but not always.
        const H = seed % 7 === 0 ? EQUAL_BYTES_MAX : H0;
        let x = seed >>> 0;
        const signatures = Uint32Array.from({ length: n * H }, () => {
          x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
          return (x >>> 24) % 3 === 0 ? x : x >>> 30;
        });
        const bytes = inWasmMemory(signatures, n, H);
        const eq = equalBytesKernel(bytes.memory!)!;
        const W = bytes.wordsPerRecord;
        for (let a = 0; a < n; a++) {
          for (let b = 0; b < n; b++) assert.equal(eq(4 * W * a, 4 * W * b, 4 * W * (a + 1)), equalLowBytes(bytes.words, W, W * a, W * b), `H ${H}, records ${a} and ${b}`);
        }
      }),
      { numRuns: 150, seed: 2026 },
    );
  });

  void test('a record takes at most R partners, and only partners at or above the floor', () => {
    // 30 records in two groups of identical signatures: each record has 14 partners at Jaccard 1, none across.
    const H = 8;
    const signatures = new Uint32Array(30 * H);
    for (let r = 0; r < 30; r++) signatures.fill(r < 15 ? 1 : 2, r * H, (r + 1) * H);
    const index = buildLshIndex(signatures, H, { bands: 4, rows: 2 });
    const out = selectFromLsh(index, bucketBounds(index), lowBytes(signatures, 30, H), { perRecord: 3, maxBucketSize: 64, minJaccard: 0.5 });
    const perRecord = new Map<number, number>();
    for (let t = 0; t < out.i.length; t++) perRecord.set(out.i[t]!, (perRecord.get(out.i[t]!) ?? 0) + 1);
    assert.equal(out.i.length, 30 * 3);
    assert.equal(out.pairs, 2 * (15 * 14) / 2);
    for (let t = 0; t < out.i.length; t++) assert.equal(out.i[t]! < 15, out.j[t]! < 15, 'no pair across the groups');
    // Ties everywhere: each record takes its 3 smallest partners.
    const merged = mergeChoices([out], 30);
    assert.deepEqual([...merged.j.subarray(0, 3)], [1, 2, 3]);
  });

  void test('rejects an index of part of the bands, and a bad R', () => {
    const H = 8;
    const signatures = Uint32Array.from({ length: 10 * H }, (_, t) => t % 3);
    const partial = buildLshIndex(signatures, H, { bands: 4, rows: 2 }, { bandFrom: 1, bandTo: 3 });
    const bytes = lowBytes(signatures, 10, H);
    assert.throws(() => selectFromLsh(partial, bucketBounds(partial), bytes, { perRecord: 2, maxBucketSize: 8, minJaccard: 0 }), RangeError);
    const full = buildLshIndex(signatures, H, { bands: 4, rows: 2 });
    assert.throws(() => selectFromLsh(full, bucketBounds(full), bytes, { perRecord: 0, maxBucketSize: 8, minJaccard: 0 }), RangeError);
  });
});

void describe('ordered indexes and low bytes (no reordered signature copy)', () => {
  void test('buildLshIndex with an order and lowBytes with an order equal them on the reordered copy', () => {
    fc.assert(
      fc.property(caseArb, fc.integer(), (c, seed) => {
        // A seeded permutation of the records.
        const order = Uint32Array.from({ length: c.n }, (_, r) => r);
        let s = seed >>> 0;
        for (let r = c.n - 1; r > 0; r--) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          const t = s % (r + 1);
          [order[r], order[t]] = [order[t]!, order[r]!];
        }
        const copy = new Uint32Array(c.signatures.length);
        for (let p = 0; p < c.n; p++) copy.set(c.signatures.subarray(order[p]! * c.numHashes, (order[p]! + 1) * c.numHashes), p * c.numHashes);
        const viaOrder = buildLshIndex(c.signatures, c.numHashes, { bands: c.bands, rows: c.rows }, { order });
        const viaCopy = buildLshIndex(copy, c.numHashes, { bands: c.bands, rows: c.rows });
        assert.deepEqual(viaOrder, viaCopy);
        assert.deepEqual(lowBytes(c.signatures, c.n, c.numHashes, undefined, order), lowBytes(copy, c.n, c.numHashes));
      }),
      { numRuns: 100, seed: 77 },
    );
  });
});
