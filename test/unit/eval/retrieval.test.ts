import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  pairVerification,
  retrievalScores,
  rowDistance,
  sampleTriplets,
  smallestSorted,
  tripletAccuracy,
  tripletAccuracyOn,
  verificationAccuracy,
} from '../../../server/engine/eval/retrieval';
import { mulberry32 } from '../../../server/engine/models/batching';

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`);

/** Plain reference: every query's full neighbour list sorted by (distance, index). */
function referenceScores(emb: Float32Array, dim: number, labels: number[], ks: number[]) {
  const d = rowDistance(emb, dim, { distance: 'euclidean' });
  const labelled = labels.map((l, i) => (l >= 0 ? i : -1)).filter((i) => i >= 0);
  let queries = 0;
  let p1 = 0;
  let rp = 0;
  let map = 0;
  const recall = ks.map(() => 0);
  for (const q of labelled) {
    const others = labelled.filter((j) => j !== q);
    const r = others.filter((j) => labels[j] === labels[q]).length;
    if (r === 0) continue;
    queries++;
    // Same float32 rounding as the implementation's sort key.
    const key = (j: number) => Math.fround(d(q, j));
    others.sort((a, b) => key(a) - key(b) || a - b);
    const rel = others.map((j) => labels[j] === labels[q]);
    if (rel[0]) p1++;
    let hits = 0;
    let ap = 0;
    for (let i = 0; i < r; i++) {
      if (rel[i]) {
        hits++;
        ap += hits / (i + 1);
      }
    }
    rp += hits / r;
    map += ap / r;
    ks.forEach((k, i) => {
      if (rel.slice(0, k).some(Boolean)) recall[i]!++;
    });
  }
  return { queries, p1: p1 / queries, rp: rp / queries, map: map / queries, recall: recall.map((x) => x / queries) };
}

void describe('retrieval scores', () => {
  // 1-D points, Euclidean. Worked by hand:
  //   0:(0,A) 1:(1,B) 2:(2,A) 3:(3,A) 4:(4,B) 5:(5,A); A has R = 3, B has R = 1.
  //   Q0 top3 B A A   Q2 top3 (1,3 tie → 1 first) B A A   Q3 (2,4 tie) A B B   Q5 B A A
  //   Q1 (0,2 tie → 0) first A, first B at rank 3; Q4 (3,5 tie) first B at rank 3.
  //   P@1 = 1/6; R-precision = (2/3·3 + 1/3)/6 = 7/18; MAP@R = (7/18·3 + 1/3)/6 = 1/4;
  //   recall@1 = 1/6, recall@2 = 4/6, recall@4 = 1.
  const points = Float32Array.from([0, 1, 2, 3, 4, 5]);
  const labels = [0, 1, 0, 0, 1, 0];

  void it('match the hand-worked example (ties broken by index)', () => {
    const s = retrievalScores(points, 1, labels, { distance: 'euclidean', ks: [1, 2, 4] });
    assert.equal(s.queries, 6);
    close(s.precisionAt1, 1 / 6, 'P@1');
    close(s.rPrecision, 7 / 18, 'R-precision');
    close(s.mapAtR, 1 / 4, 'MAP@R');
    close(s.recallAt[1]!, 1 / 6, 'recall@1');
    close(s.recallAt[2]!, 4 / 6, 'recall@2');
    close(s.recallAt[4]!, 1, 'recall@4');
  });

  void it('skip unlabelled items and classes of one (no R)', () => {
    const s = retrievalScores(Float32Array.from([0, 1, 5, 6, 100, 50]), 1, [0, 0, 1, 1, -1, 2], { distance: 'euclidean', ks: [1] });
    // Item 4 is unlabelled (never a neighbour), item 5 is alone in its class (not a query, but a neighbour).
    assert.equal(s.queries, 4);
    close(s.precisionAt1, 1, 'P@1');
    close(s.mapAtR, 1, 'MAP@R');
  });

  void it('a perfect embedding scores 1 everywhere; a useless one (all equal) scores by index order', () => {
    const perfect = retrievalScores(Float32Array.from([0, 0, 0.1, 0, 5, 5, 5.1, 5]), 2, [0, 0, 1, 1], { distance: 'euclidean' });
    close(perfect.precisionAt1, 1, 'P@1');
    close(perfect.rPrecision, 1, 'RP');
    close(perfect.mapAtR, 1, 'MAP@R');
    // All distances tie: each query's nearest is the lowest other index — only query 2 (→ 0) hits.
    const useless = retrievalScores(new Float32Array(4).fill(1), 1, [0, 1, 0, 1], { distance: 'euclidean' });
    close(useless.precisionAt1, 1 / 4, 'P@1 of ties');
  });

  void it('equal a plain full-sort reference on random data', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 2, max: 40 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), (seed, n, dim, classes) => {
        const rng = mulberry32(seed);
        // Coarse values so ties happen.
        const emb = Float32Array.from({ length: n * dim }, () => Math.floor(rng() * 4));
        const labels = Array.from({ length: n }, () => Math.floor(rng() * (classes + 1)) - 1);
        const ks = [1, 3, 7];
        const got = retrievalScores(emb, dim, labels, { distance: 'euclidean', ks });
        const want = referenceScores(emb, dim, labels, ks);
        assert.equal(got.queries, want.queries);
        if (want.queries === 0) return;
        close(got.precisionAt1, want.p1, 'P@1');
        close(got.rPrecision, want.rp, 'RP');
        close(got.mapAtR, want.map, 'MAP@R');
        ks.forEach((k, i) => close(got.recallAt[k]!, want.recall[i]!, `recall@${k}`));
      }),
      { seed: 5101, numRuns: 200 },
    );
  });

  void it('smallestSorted puts the k smallest first, in order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 1e6 }), { maxLength: 200 }), fc.integer({ min: 0, max: 210 }), (xs, k) => {
        const keys = Float64Array.from(xs);
        smallestSorted(keys, k);
        const want = Float64Array.from(xs).sort();
        const m = Math.min(k, xs.length);
        assert.deepEqual(Array.from(keys.subarray(0, m)), Array.from(want.subarray(0, m)));
        assert.deepEqual(Array.from(keys).sort((a, b) => a - b), Array.from(want));
      }),
      { seed: 5102, numRuns: 300 },
    );
  });

  void it('distances: cosine, euclidean, combined; a zero vector is at cosine distance 1', () => {
    const emb = Float32Array.from([3, 4, 6, 8, 0, 1, 0, 0]);
    const cos = rowDistance(emb, 2, { distance: 'cosine' });
    const euc = rowDistance(emb, 2, { distance: 'euclidean' });
    const comb = rowDistance(emb, 2, { distance: 'combined', euclideanWeight: 0.25 });
    close(cos(0, 1), 0, 'parallel');
    close(cos(0, 2), 1 - 4 / 5, 'cos');
    close(cos(0, 3), 1, 'zero vector');
    close(euc(0, 1), 5, 'euclidean');
    close(comb(0, 2), 0.25 * Math.hypot(3, 3) + 0.75 * (1 - 4 / 5), 'combined');
    assert.throws(() => rowDistance(emb, 2, { distance: 'manhattan' as never }), /unknown 'manhattan'/);
    assert.throws(() => retrievalScores(emb, 3, [0, 1]), /not a multiple of dim 3/);
    assert.throws(() => retrievalScores(emb, 2, [0, 1]), /2 labels for 4 embeddings/);
  });
});

void describe('triplet accuracy', () => {
  void it('counts d(a,p) < d(a,n) strictly on given triplets (hand-checked)', () => {
    const emb = Float32Array.from([0, 1, 2, 3, 4, 5]);
    // (0,2,1): 2 < 1 no; (3,2,4): 1 < 1 no (tie); (5,3,4): 2 < 1 no; (0,2,4): 2 < 4 yes.
    close(tripletAccuracyOn(emb, 1, Int32Array.from([0, 2, 1, 3, 2, 4, 5, 3, 4, 0, 2, 4]), { distance: 'euclidean' }), 1 / 4, 'accuracy');
  });

  void it('samples valid triplets, reproducibly from the seed', () => {
    const labels = [0, 0, 0, 1, 1, 2, -1, 3];
    const t = sampleTriplets(labels, 500, 7);
    for (let i = 0; i < 500; i++) {
      const [a, p, n] = [t[3 * i]!, t[3 * i + 1]!, t[3 * i + 2]!];
      assert.notEqual(a, p);
      assert.equal(labels[a], labels[p]);
      assert.ok(labels[n]! >= 0 && labels[n] !== labels[a], `negative ${n} of anchor ${a}`);
      assert.ok(labels[a] === 0 || labels[a] === 1, 'anchors only from classes with a positive');
    }
    assert.deepEqual(sampleTriplets(labels, 500, 7), t);
    assert.notDeepEqual(sampleTriplets(labels, 500, 8), t);
    // Every allowed negative shows up.
    assert.deepEqual(new Set(Array.from({ length: 500 }, (_, i) => labels[t[3 * i + 2]!])), new Set([0, 1, 2, 3]));
    assert.throws(() => sampleTriplets([0, 1, 2], 1), /no class has 2 items/);
  });

  void it('is 1 for separated classes and about 1/2 for an embedding that ignores the classes', () => {
    const rng = mulberry32(3);
    const n = 200;
    const labels = Array.from({ length: n }, (_, i) => i % 4);
    const separated = Float32Array.from({ length: n * 2 }, (_, k) => labels[k >> 1]! * 10 + rng());
    close(tripletAccuracy(separated, 2, labels, { distance: 'euclidean', triplets: 2000 }), 1, 'separated');
    const noise = Float32Array.from({ length: n * 2 }, () => rng());
    const acc = tripletAccuracy(noise, 2, labels, { distance: 'euclidean', triplets: 4000 });
    assert.ok(Math.abs(acc - 0.5) < 0.05, `noise accuracy ${acc}`);
  });
});

void describe('verification accuracy', () => {
  void it('finds the best "same iff d ≤ t" threshold (hand-checked)', () => {
    assert.deepEqual(verificationAccuracy([1, 2, 3, 4], [1, 1, 0, 0]), { accuracy: 1, threshold: 2, pairs: 4 });
    // Unordered input; t = 1 → 3/4 correct, t = 2 takes both ties and is no better.
    assert.deepEqual(verificationAccuracy([2, 1, 3, 2], [0, 1, 0, 1]), { accuracy: 0.75, threshold: 1, pairs: 4 });
    // A tie of one same and one different pair cannot be split.
    assert.deepEqual(verificationAccuracy([1, 1], [true, false]), { accuracy: 0.5, threshold: -Infinity, pairs: 2 });
    assert.throws(() => verificationAccuracy([1], []), /1 distances but 0 truths/);
  });

  void it('equals brute force over every threshold on random pairs', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.boolean()), { minLength: 1, maxLength: 40 }), (pairs) => {
        const d = pairs.map((p) => p[0]);
        const same = pairs.map((p) => p[1]);
        let best = 0;
        for (const t of [-1, ...d]) best = Math.max(best, pairs.filter(([x, s]) => (x <= t) === s).length);
        const got = verificationAccuracy(d, same);
        close(got.accuracy, best / pairs.length, 'accuracy');
        close(pairs.filter(([x, s]) => (x <= got.threshold) === s).length / pairs.length, got.accuracy, 'threshold reproduces accuracy');
      }),
      { seed: 5103, numRuns: 300 },
    );
  });

  void it('balanced sampled pairs: separated classes verify perfectly', () => {
    const labels = Array.from({ length: 60 }, (_, i) => i % 3);
    const emb = Float32Array.from({ length: 60 }, (_, i) => labels[i]! * 10 + (i % 7) / 10);
    const v = pairVerification(emb, 1, labels, { distance: 'euclidean', pairs: 501 });
    assert.equal(v.pairs, 501);
    assert.equal(v.accuracy, 1);
  });
});
