import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CandidatePairs,
  bandKey,
  buildLshIndex,
  candidateProbability,
  estimateFloor,
  filterPairsByEstimate,
  chooseLshParams,
  identityToJaccard,
  joinLshBands,
  lshCandidatePairs,
  lshQuery,
  lshQueryRecord,
  mergeCandidatePairs,
} from '../../../server/engine/index/lsh';
import { createMinHashFamily, estimateJaccardAt, minhashSignatures } from '../../../server/engine/index/minhash';
import { kmerHashes } from '../../../server/engine/features/kmers';
import { distinctUint32, mulberry32, randomDna, randomInt } from '../features/rng';

function pairSet(p: CandidatePairs): Set<string> {
  const s = new Set<string>();
  for (let t = 0; t < p.i.length; t++) s.add(`${p.i[t]},${p.j[t]}`);
  return s;
}

/** Brute force: (i, j) is a candidate when some band's key agrees and neither record is empty. */
function bruteForcePairs(sigs: Uint32Array, m: number, bands: number, rows: number): Set<string> {
  const n = sigs.length / m;
  const empty = (r: number) => sigs.subarray(r * m, (r + 1) * m).every((v) => v === 0xffffffff);
  const out = new Set<string>();
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (empty(i) || empty(j)) continue;
      for (let b = 0; b < bands; b++) {
        if (bandKey(sigs, i * m, b, rows) === bandKey(sigs, j * m, b, rows)) {
          out.add(`${i},${j}`);
          break;
        }
      }
    }
  }
  return out;
}

/** Records as sets drawn from a small universe, so that bands collide often; some empty. */
function smallUniverseSets(seed: number, n: number): Uint32Array[] {
  const rng = mulberry32(seed);
  const universe = distinctUint32(rng, 12);
  return Array.from({ length: n }, () => {
    if (rng() < 0.1) return new Uint32Array(0);
    const s = new Set<number>();
    const size = randomInt(rng, 1, 6);
    while (s.size < size) s.add(universe[randomInt(rng, 0, universe.length)]);
    return Uint32Array.from(s).sort();
  });
}

void describe('lsh', () => {
  void it('follows the S-curve 1 − (1 − s^r)^b on pairs of known Jaccard', () => {
    const m = 128;
    const family = createMinHashFamily(m, 11);
    const rng = mulberry32(4101);
    const pairsPerS = 300;
    const similarities = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
    // Sets of 100 elements: shared = 100·s·2/(1+s) is not an integer in general, so use a
    // union of 100: shared c = 100·s, private (100 − c)/2 on each side (exact for these s).
    const sets: Uint32Array[] = [];
    for (const s of similarities) {
      const c = Math.round(100 * s);
      const d = (100 - c) / 2;
      for (let t = 0; t < pairsPerS; t++) {
        const v = distinctUint32(rng, 100);
        sets.push(v.slice(0, c + d));
        const b = new Uint32Array(c + d);
        b.set(v.subarray(0, c));
        b.set(v.subarray(c + d, 100), c);
        sets.push(b);
      }
    }
    const sigs = minhashSignatures(family, sets);
    for (const [bands, rows] of [[32, 4], [16, 8], [64, 2], [10, 12]]) {
      const found = pairSet(lshCandidatePairs(buildLshIndex(sigs, m, { bands, rows })));
      similarities.forEach((s, si) => {
        let hits = 0;
        for (let t = 0; t < pairsPerS; t++) {
          const first = 2 * (si * pairsPerS + t);
          if (found.has(`${first},${first + 1}`)) hits++;
        }
        const p = candidateProbability(s, bands, rows);
        const observed = hits / pairsPerS;
        const tolerance = 4.5 * Math.sqrt((p * (1 - p)) / pairsPerS) + 0.02;
        assert.ok(Math.abs(observed - p) <= tolerance, `b=${bands} r=${rows} s=${s}: observed ${observed}, expected ${p.toFixed(3)} ± ${tolerance.toFixed(3)}`);
      });
      // Unrelated sets (disjoint random values) never collide.
      let cross = 0;
      for (const key of found) {
        const [i, j] = key.split(',').map(Number);
        if ((i ^ 1) !== j) cross++;
      }
      assert.equal(cross, 0);
    }
  });

  void it('emits exactly the pairs that share a band, once each, sorted, i < j, never an empty record', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 0, max: 60 }), fc.constantFrom([8, 2], [4, 4], [16, 1], [5, 3]), (seed, n, [bands, rows]) => {
        const m = 16;
        const sets = smallUniverseSets(seed, n);
        const sigs = minhashSignatures(createMinHashFamily(m, seed), sets);
        const got = lshCandidatePairs(buildLshIndex(sigs, m, { bands, rows }), { maxBucketSize: 1000 });
        for (let t = 0; t < got.i.length; t++) {
          assert.ok(got.i[t] < got.j[t]);
          if (t > 0) assert.ok(got.i[t - 1] < got.i[t] || (got.i[t - 1] === got.i[t] && got.j[t - 1] < got.j[t]));
          assert.ok(sets[got.i[t]].length > 0 && sets[got.j[t]].length > 0);
        }
        assert.deepEqual(pairSet(got), bruteForcePairs(sigs, m, bands, rows));
        assert.equal(got.stats.pairs, got.i.length);
        assert.ok(got.stats.rawPairs >= got.stats.pairs);
      }),
      { seed: 4102, numRuns: 150 },
    );
  });

  void it('caps degenerate buckets: O(size·B) pairs, every record still linked, the whole group connected', () => {
    const m = 32;
    const n = 2000;
    const cap = 16;
    const same = Uint32Array.of(1, 2, 3, 4, 5);
    const sigs = minhashSignatures(createMinHashFamily(m, 3), Array.from({ length: n }, () => same));
    const bands = 8;
    const got = lshCandidatePairs(buildLshIndex(sigs, m, { bands, rows: 4 }), { maxBucketSize: cap });
    assert.equal(got.stats.cappedBuckets, bands);
    assert.equal(got.stats.largestBucket, n);
    assert.ok(got.stats.rawPairs <= bands * n * (cap - 1));
    assert.ok(got.stats.pairs < (n * (n - 1)) / 2 / 5, `${got.stats.pairs} pairs`); // 8 bands × 2000 × 15 ≪ 2000²/2
    const degree = new Int32Array(n);
    const parent = Int32Array.from({ length: n }, (_, i) => i);
    const root = (x: number): number => (parent[x] === x ? x : (parent[x] = root(parent[x])));
    for (let t = 0; t < got.i.length; t++) {
      degree[got.i[t]]++;
      degree[got.j[t]]++;
      parent[root(got.i[t])] = root(got.j[t]);
    }
    assert.ok(degree.every((d) => d >= cap - 1));
    const r0 = root(0);
    for (let i = 1; i < n; i++) assert.equal(root(i), r0);
    // Below the cap, a bucket is emitted in full.
    const small = lshCandidatePairs(buildLshIndex(sigs.subarray(0, 10 * m), m, { bands, rows: 4 }), { maxBucketSize: cap });
    assert.equal(small.stats.pairs, 45);
    assert.throws(() => lshCandidatePairs(buildLshIndex(sigs, m, { bands, rows: 4 }), { maxBucketSize: 1 }), RangeError);
  });

  void it('answers queries with the same candidates as the pair mode, and never for the empty set', () => {
    const m = 16;
    const sets = smallUniverseSets(77, 50);
    const sigs = minhashSignatures(createMinHashFamily(m, 5), sets);
    const params = { bands: 4, rows: 4 };
    const index = buildLshIndex(sigs, m, params);
    const pairs = lshCandidatePairs(index, { maxBucketSize: 1000 });
    for (let r = 0; r < sets.length; r++) {
      const expected: number[] = [];
      for (let t = 0; t < pairs.i.length; t++) {
        if (pairs.i[t] === r) expected.push(pairs.j[t]);
        if (pairs.j[t] === r) expected.push(pairs.i[t]);
      }
      expected.sort((a, b) => a - b);
      assert.deepEqual([...lshQueryRecord(index, sigs, r, { maxBucketSize: 1000 })], expected, `record ${r}`);
    }
    const emptySig = new Uint32Array(m).fill(0xffffffff);
    assert.equal(lshQuery(index, emptySig).length, 0);
    // A bucket cap bounds the answer.
    assert.ok(lshQuery(index, sigs, 0, { maxBucketSize: 2 }).length <= params.bands * 2);
  });

  void it('is chunkable by bands (merged) and by records (concatenated), equal to one full run', () => {
    const m = 32;
    const sets = smallUniverseSets(91, 80);
    const sigs = minhashSignatures(createMinHashFamily(m, 9), sets);
    const params = { bands: 8, rows: 4 };
    const full = lshCandidatePairs(buildLshIndex(sigs, m, params));
    const parts = [[0, 3], [3, 4], [4, 8]].map(([bandFrom, bandTo]) => lshCandidatePairs(buildLshIndex(sigs, m, params, { bandFrom, bandTo })));
    const merged = mergeCandidatePairs(parts, sets.length);
    assert.deepEqual(merged.i, full.i);
    assert.deepEqual(merged.j, full.j);
    // Chunks by records are disjoint slices of the output: concatenated, they are the whole.
    const index = buildLshIndex(sigs, m, params);
    const rows = [[0, 17], [17, 18], [18, 80]].map(([recordFrom, recordTo]) => lshCandidatePairs(index, { recordFrom, recordTo }));
    assert.deepEqual(Uint32Array.from(rows.flatMap((r) => [...r.i])), full.i);
    assert.deepEqual(Uint32Array.from(rows.flatMap((r) => [...r.j])), full.j);
    assert.equal(rows.reduce((sum, r) => sum + r.stats.rawPairs, 0), full.stats.rawPairs);
    assert.throws(() => lshCandidatePairs(index, { recordFrom: 5, recordTo: 81 }), RangeError);
    // Indexes of band ranges (built by several workers), joined, are the full index.
    const joined = joinLshBands([[0, 3], [3, 4], [4, 8]].map(([bandFrom, bandTo]) => buildLshIndex(sigs, m, params, { bandFrom, bandTo })));
    assert.deepEqual(joined, index);
    assert.deepEqual(lshCandidatePairs(joined, { maxBucketSize: 3 }), lshCandidatePairs(index, { maxBucketSize: 3 }));
    assert.throws(() => joinLshBands([buildLshIndex(sigs, m, params, { bandFrom: 0, bandTo: 3 }), buildLshIndex(sigs, m, params, { bandFrom: 4, bandTo: 8 })]), RangeError);
    // Built in place into the whole index's arrays (as the band workers write shared memory), in any order: the same index, as views.
    const records = sigs.length / m;
    const into = { keys: new Uint32Array(params.bands * records + 5), ids: new Uint32Array(params.bands * records + 5) };
    const inPlace = [[4, 8], [0, 3], [3, 4]].map(([bandFrom, bandTo]) => buildLshIndex(sigs, m, params, { bandFrom, bandTo, into }));
    assert.equal(inPlace[0].keys.buffer, into.keys.buffer, 'written in place');
    const viewed = joinLshBands([inPlace[1], inPlace[2], inPlace[0]], into);
    assert.equal(viewed.keys.buffer, into.keys.buffer, 'nothing allocated: a view');
    assert.deepEqual(viewed, index);
    assert.throws(() => buildLshIndex(sigs, m, params, { into: { keys: new Uint32Array(params.bands * index.size - 1), ids: into.ids } }), RangeError);
    assert.throws(() => buildLshIndex(sigs, m, params, { bandFrom: 3, bandTo: 9 }), RangeError);
    assert.throws(() => buildLshIndex(sigs, m, { bands: 9, rows: 4 }), RangeError);
  });

  void it('filters candidates by their MinHash estimate, order kept', () => {
    const m = 16;
    const sets = smallUniverseSets(123, 60);
    const sigs = minhashSignatures(createMinHashFamily(m, 4), sets);
    const all = lshCandidatePairs(buildLshIndex(sigs, m, { bands: 8, rows: 2 }));
    const kept = filterPairsByEstimate(all, sigs, m, 0.5);
    const expected: string[] = [];
    for (let t = 0; t < all.i.length; t++) if (estimateJaccardAt(sigs, m, all.i[t], all.j[t]) >= 0.5) expected.push(`${all.i[t]},${all.j[t]}`);
    assert.deepEqual([...kept.i].map((a, t) => `${a},${kept.j[t]}`), expected);
    assert.equal(kept.stats.pairs, expected.length);
    assert.ok(expected.length > 0 && expected.length < all.i.length);
    assert.ok(Math.abs(estimateFloor(0.5, 100) - (0.5 - 3 * 0.05)) < 1e-12);
    assert.equal(estimateFloor(0.01, 16), 0);
  });

  void it('chooses bands and rows by the weighted-area rule', () => {
    const riemann = (f: (s: number) => number, lo: number, hi: number) => {
      let sum = 0;
      const steps = 20000;
      for (let i = 0; i < steps; i++) sum += f(lo + ((i + 0.5) * (hi - lo)) / steps);
      return (sum * (hi - lo)) / steps;
    };
    for (const m of [64, 128, 256]) {
      for (const t of [0.1, 0.2, 0.35, 0.5, 0.7, 0.85]) {
        const c = chooseLshParams(t, m);
        assert.ok(c.bands * c.rows <= m);
        assert.ok(Math.abs(c.falseNegativeArea - riemann((s) => 1 - candidateProbability(s, c.bands, c.rows), t, 1)) < 1e-6);
        assert.ok(Math.abs(c.falsePositiveArea - riemann((s) => candidateProbability(s, c.bands, c.rows), 0, t)) < 1e-6);
        assert.ok(c.recallAtThreshold >= 0.75, `m=${m} t=${t}: recall at threshold ${c.recallAtThreshold}`);
        // No other (b, r) has a lower weighted cost (spot check on the neighbours of the choice).
        const cost = (b: number, r: number) => 0.9 * riemann((s) => 1 - candidateProbability(s, b, r), t, 1) + 0.1 * riemann((s) => candidateProbability(s, b, r), 0, t);
        const best = cost(c.bands, c.rows);
        for (const [b, r] of [[c.bands - 1, c.rows], [c.bands + 1, c.rows], [c.bands, c.rows + 1], [c.bands, c.rows - 1]]) {
          if (b >= 1 && r >= 1 && b * r <= m) assert.ok(cost(b, r) >= best - 1e-6);
        }
      }
    }
    // Weighting false positives more moves the curve right (fewer candidates below t).
    const strict = chooseLshParams(0.5, 128, { falseNegativeWeight: 0.5, falsePositiveWeight: 0.5 });
    assert.ok(strict.falsePositiveArea < chooseLshParams(0.5, 128).falsePositiveArea);
    assert.throws(() => chooseLshParams(0, 128), RangeError);
    assert.throws(() => chooseLshParams(1, 128), RangeError);
  });

  void it('maps identity to k-mer Jaccard as q/(2 − q), q = p^k, in line with simulated mutation', () => {
    assert.equal(identityToJaccard(1, 15), 1);
    assert.equal(identityToJaccard(0, 15), 0);
    const q = 0.93 ** 15;
    assert.ok(Math.abs(identityToJaccard(0.93, 15) - q / (2 - q)) < 1e-15);
    assert.throws(() => identityToJaccard(1.1, 15), RangeError);
    const rng = mulberry32(4107);
    const k = 15;
    const jaccard = (a: Uint32Array, b: Uint32Array) => {
      const sb = new Set(b);
      const inter = a.filter((x) => sb.has(x)).length;
      return inter / (a.length + b.length - inter);
    };
    for (const p of [0.99, 0.97, 0.95]) {
      let spread = 0;
      let clustered = 0;
      const trials = 20;
      for (let t = 0; t < trials; t++) {
        const base = randomDna(rng, 3000);
        // Independent substitutions at rate 1 − p (a substitution always changes the base).
        let mutated = '';
        for (const ch of base) mutated += rng() < 1 - p ? 'ACGT'.replace(ch, '')[randomInt(rng, 0, 3)] : ch;
        spread += jaccard(kmerHashes(base, { k }), kmerHashes(mutated, { k }));
        // The same number of differences, in runs of 10: more k-mers survive.
        const chars = base.split('');
        const runs = Math.round((3000 * (1 - p)) / 10);
        for (let r = 0; r < runs; r++) {
          const at = randomInt(rng, 0, 2990);
          for (let x = at; x < at + 10; x++) chars[x] = 'ACGT'.replace(chars[x], '')[randomInt(rng, 0, 3)];
        }
        clustered += jaccard(kmerHashes(base, { k }), kmerHashes(chars.join(''), { k }));
      }
      const predicted = identityToJaccard(p, k);
      assert.ok(Math.abs(spread / trials - predicted) < 0.02, `p=${p}: simulated ${spread / trials}, predicted ${predicted}`);
      assert.ok(clustered / trials > predicted, `p=${p}: clustered ${clustered / trials} should exceed ${predicted}`);
    }
  });
});
