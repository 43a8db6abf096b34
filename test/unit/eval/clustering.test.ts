import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  adjustedRandIndex,
  contingencyTable,
  evaluateClustering,
  homogeneityCompletenessVMeasure,
  normalizedMutualInfo,
  type ClusterLabel,
  type ClusteringScores,
} from '../../../server/engine/eval/clustering';

const close = (actual: number, expected: number, what: string, tol = 1e-12): void => {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);
};

function assertScores(s: ClusteringScores, expected: Partial<Record<keyof ClusteringScores, number>>, tol = 1e-12): void {
  for (const [k, v] of Object.entries(expected)) close(s[k as keyof ClusteringScores], v, k, tol);
}

void test('a small example checked by hand (and by scikit-learn 1.2.1)', () => {
  // truth [0,0,0,1,1,1], pred [0,0,1,1,2,2]. Contingency: class 0 → clusters {0: 2, 1: 1},
  // class 1 → {1: 1, 2: 2}; class sizes 3, 3; cluster sizes 2, 2, 2; n = 6.
  // ARI: pairs together Σ C(nij,2) = 1 + 0 + 0 + 1 = 2; Σ C(ai,2) = 3 + 3 = 6; Σ C(bj,2) = 3;
  //   C(6,2) = 15; expected = 6·3/15 = 1.2; max = (6 + 3)/2 = 4.5; ARI = (2 − 1.2)/(4.5 − 1.2) = 8/33.
  // MI = Σ nij/n · ln(n·nij/(ai·bj)) = 2 · (2/6) · ln(6·2/(3·2)) + 2 · (1/6) · ln 1 = (2/3) ln 2.
  // H(truth) = ln 2, H(pred) = ln 3; NMI = MI / ((ln 2 + ln 3)/2) = (4/3) ln 2 / ln 6 ≈ 0.515804.
  // homogeneity = MI / H(truth) = 2/3; completeness = MI / H(pred) = (2/3) ln 2 / ln 3; V = NMI.
  const s = evaluateClustering([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]);
  assertScores(s, {
    ari: 8 / 33,
    mutualInfo: (2 / 3) * Math.LN2,
    nmi: ((4 / 3) * Math.LN2) / Math.log(6),
    homogeneity: 2 / 3,
    completeness: ((2 / 3) * Math.LN2) / Math.log(3),
    vMeasure: ((4 / 3) * Math.LN2) / Math.log(6),
  });
  // scikit-learn 1.2.1 (Debian python3-sklearn), printed with repr():
  assertScores(s, { ari: 0.24242424242424243, nmi: 0.5158037429793889, mutualInfo: 0.4620981203732969, homogeneity: 0.6666666666666669, completeness: 0.420619835714305, vMeasure: 0.5158037429793889 });
  assert.deepEqual([s.n, s.classes, s.clusters, s.noisePoints], [6, 2, 3, 0]);
});

void test('perfect match = 1, whatever the label names and types', () => {
  const truth = ['a', 'a', 'b', 'b', 'c'];
  const s = evaluateClustering(truth, [7, 7, 3, 3, 'x']);
  assertScores(s, { ari: 1, nmi: 1, homogeneity: 1, completeness: 1, vMeasure: 1 });
});

void test('degenerate partitions follow scikit-learn', () => {
  // One cluster vs all singletons: ARI 0, NMI 0, homogeneity 1, completeness 0, V 0.
  assertScores(evaluateClustering([0, 0, 0, 0, 0], [0, 1, 2, 3, 4]), { ari: 0, nmi: 0, mutualInfo: 0, homogeneity: 1, completeness: 0, vMeasure: 0 });
  assertScores(evaluateClustering([0, 1, 2, 3, 4], [0, 0, 0, 0, 0]), { ari: 0, nmi: 0, homogeneity: 0, completeness: 1, vMeasure: 0 });
  // Both one cluster, or both all singletons: perfect.
  assertScores(evaluateClustering([1, 1, 1, 1, 1], [7, 7, 7, 7, 7]), { ari: 1, nmi: 1, mutualInfo: 0, homogeneity: 1, completeness: 1, vMeasure: 1 });
  assertScores(evaluateClustering([0, 1, 2, 3, 4], [4, 3, 2, 1, 0]), { ari: 1, nmi: 1, mutualInfo: 1.6094379124341005, vMeasure: 1 });
  // Empty and single-point inputs.
  assertScores(evaluateClustering([], []), { ari: 1, nmi: 1, homogeneity: 1, completeness: 1, vMeasure: 1 });
  assertScores(evaluateClustering(['a'], [3]), { ari: 1, nmi: 1, vMeasure: 1 });
  assert.throws(() => evaluateClustering([1, 2], [1]), RangeError);
});

void test('noise (-1 or "-1"): singletons by default, one cluster on request; values from scikit-learn', () => {
  const truth = ['a', 'a', 'a', 'b', 'b', 'b', 'c', 'c'];
  const pred = [0, 0, -1, 1, 1, -1, -1, 2];
  // scikit-learn with each -1 replaced by a label of its own:
  const singletons = evaluateClustering(truth, pred);
  assertScores(singletons, { ari: 0.375, nmi: 0.7688604801805138, mutualInfo: 1.0821955300387671, homogeneity: 1, completeness: 0.624511249783653, vMeasure: 0.7688604801805139 });
  assert.deepEqual([singletons.clusters, singletons.noisePoints], [6, 3]);
  // scikit-learn with -1 kept as a label:
  const together = evaluateClustering(truth, pred, { noise: 'cluster' });
  assertScores(together, { ari: 0.15789473684210525, nmi: 0.5577965290899926, mutualInfo: 0.670215921788226, homogeneity: 0.6193113011326309, completeness: 0.5073978624039234, vMeasure: 0.5577965290899926 });
  assert.equal(together.clusters, 4);
  // The string "-1" (a TSV round trip) is noise too; noiseLabel: null turns noise off.
  assertScores(evaluateClustering(truth, pred.map(String)), { ari: 0.375 });
  assertScores(evaluateClustering(truth, pred, { noiseLabel: null }), { ari: 0.15789473684210525 });
  assertScores(evaluateClustering(truth, pred.map((p) => (p === -1 ? 'noise' : p)), { noiseLabel: 'noise' }), { ari: 0.375 });
  // Noise in the truth is just a label.
  assert.equal(contingencyTable([-1, -1], [0, 0]).classSizes.length, 1);
});

void test('40 random labels, values from scikit-learn 1.2.1', () => {
  const T = [2, 2, 0, 3, 1, 0, 1, 0, 2, 3, 1, 3, 0, 1, 0, 1, 3, 2, 1, 3, 1, 0, 1, 3, 1, 1, 0, 0, 1, 1, 1, 1, 2, 2, 1, 1, 1, 1, 3, 2];
  const P = [0, 2, 3, 1, 1, 2, 0, 2, 2, 4, 4, 0, 4, 2, 0, 2, 2, 2, 3, 2, 1, 3, 3, 1, 0, 2, 0, 2, 3, 0, 4, 3, 2, 3, 4, 0, 3, 0, 1, 4];
  assertScores(evaluateClustering(T, P), {
    ari: -0.015993974569137388,
    nmi: 0.12245968544507965,
    mutualInfo: 0.17477784687678402,
    homogeneity: 0.13535498869271367,
    completeness: 0.1118077348906781,
    vMeasure: 0.12245968544507964,
  });
});

void test('real labels: genus vs family on the 16S fixture, values from scikit-learn 1.2.1', () => {
  const headers = readFileSync(path.resolve(__dirname, '../../fixtures/dna/16S-sample.fasta'), 'latin1')
    .split('\n')
    .filter((l) => l.startsWith('>'));
  const field = (h: string, fromEnd: number): string => h.split(';').at(-fromEnd)!.trim().split(/\s+/)[0]!;
  const genus = headers.map((h) => field(h, 1));
  const family = headers.map((h) => field(h, 2));
  const s = evaluateClustering(genus, family);
  assert.deepEqual([s.n, s.classes, s.clusters], [276, 20, 18]);
  assertScores(s, { ari: 0.8968868545631251, nmi: 0.9760821625554548, mutualInfo: 2.846877186284224, homogeneity: 0.9532817252129556, completeness: 1, vMeasure: 0.9760821625554548 });
});

// ---- against a plain reference on random labelings ----

/** Noise → one label per point (the documented meaning of 'singletons'). */
function explicitNoise(pred: readonly ClusterLabel[]): ClusterLabel[] {
  return pred.map((p, i) => (String(p) === '-1' ? `noise#${i}` : p));
}

/** O(n²) pair counting, classic Hubert–Arabie formula. */
function referenceAri(t: readonly ClusterLabel[], p: readonly ClusterLabel[]): number {
  const n = t.length;
  let both = 0;
  let sameT = 0;
  let sameP = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const a = t[i] === t[j];
      const b = p[i] === p[j];
      if (a) sameT++;
      if (b) sameP++;
      if (a && b) both++;
    }
  const all = (n * (n - 1)) / 2;
  if ((sameT === all && sameP === all) || (sameT === 0 && sameP === 0)) return 1;
  const expected = (sameT * sameP) / all;
  const max = (sameT + sameP) / 2;
  return (both - expected) / (max - expected);
}

function distinct(xs: readonly ClusterLabel[]): ClusterLabel[] {
  return [...new Set(xs)];
}

function referenceInfo(t: readonly ClusterLabel[], p: readonly ClusterLabel[]): { mi: number; ht: number; hp: number } {
  const n = t.length;
  const H = (xs: readonly ClusterLabel[]): number =>
    distinct(xs).reduce<number>((h, v) => {
      const q = xs.filter((x) => x === v).length / n;
      return h - q * Math.log(q);
    }, 0);
  let mi = 0;
  for (const u of distinct(t))
    for (const v of distinct(p)) {
      const nij = t.filter((x, i) => x === u && p[i] === v).length;
      if (nij === 0) continue;
      const pu = t.filter((x) => x === u).length / n;
      const pv = p.filter((x) => x === v).length / n;
      mi += (nij / n) * Math.log(nij / n / (pu * pv));
    }
  return { mi: Math.max(0, mi), ht: H(t), hp: H(p) };
}

const labelArb = fc.oneof(fc.integer({ min: -1, max: 4 }), fc.constantFrom('a', 'b', 'c', '-1', '1'));
const pairArb = fc.integer({ min: 1, max: 40 }).chain((n) => fc.tuple(fc.array(labelArb, { minLength: n, maxLength: n }), fc.array(labelArb, { minLength: n, maxLength: n })));

void test('matches a plain reference on random labelings (seeded)', () => {
  fc.assert(
    fc.property(pairArb, ([t, p]) => {
      const pe = explicitNoise(p);
      const s = evaluateClustering(t, p);
      close(s.ari, referenceAri(t, pe), 'ari', 1e-9);
      const { mi, ht, hp } = referenceInfo(t, pe);
      close(s.mutualInfo, mi, 'mi', 1e-9);
      const oneEach = distinct(t).length === 1 && distinct(pe).length === 1;
      close(s.nmi, oneEach ? 1 : mi < 1e-15 ? 0 : mi / ((ht + hp) / 2), 'nmi', 1e-9);
      close(s.homogeneity, ht === 0 ? 1 : mi / ht, 'homogeneity', 1e-9);
      close(s.completeness, hp === 0 ? 1 : mi / hp, 'completeness', 1e-9);
      // 'cluster' mode is the same as keeping -1 as an ordinary label.
      const together = evaluateClustering(t, p, { noise: 'cluster' });
      close(together.ari, referenceAri(t, p.map((x) => (String(x) === '-1' ? -1 : x))), 'ari (noise as a cluster)', 1e-9);
    }),
    { seed: 1337, numRuns: 400 },
  );
});

void test('invariances: relabelling, symmetry, homogeneity ↔ completeness, V = NMI', () => {
  fc.assert(
    fc.property(pairArb, fc.integer({ min: 1, max: 1000 }), ([t, p], shift) => {
      const q = p.map((x) => (String(x) === '-1' ? -1 : `renamed-${typeof x}-${String(x)}-${shift}`));
      const a = evaluateClustering(t, p);
      const b = evaluateClustering(t, q);
      close(a.ari, b.ari, 'ari under relabelling', 1e-12);
      close(a.nmi, b.nmi, 'nmi under relabelling', 1e-12);
      const pe = explicitNoise(p);
      const ab = evaluateClustering(t, pe);
      const ba = evaluateClustering(pe, t, { noiseLabel: null });
      close(ab.ari, ba.ari, 'ari symmetric', 1e-12);
      close(ab.nmi, ba.nmi, 'nmi symmetric', 1e-12);
      close(ab.homogeneity, ba.completeness, 'homogeneity = completeness swapped', 1e-12);
      if (ab.mutualInfo > 0) close(ab.vMeasure, ab.nmi, 'V-measure = arithmetic NMI', 1e-12);
    }),
    { seed: 4242, numRuns: 300 },
  );
});

void test('the single-score helpers agree with evaluateClustering', () => {
  const t = [0, 0, 0, 1, 1, 1];
  const p = [0, 0, 1, 1, 2, 2];
  close(adjustedRandIndex(t, p), 8 / 33, 'ari');
  close(normalizedMutualInfo(t, p), 0.5158037429793889, 'nmi');
  close(homogeneityCompletenessVMeasure(t, p).homogeneity, 2 / 3, 'h');
});

// No wall-clock assertion: a quadratic contingency table (10^10 cells here) would not finish
// within the test's timeout, which is a hang guard only.
void test('O(n): 200,000 points with 5,000 classes', { timeout: 60_000 }, () => {
  const n = 200_000;
  const t = Array.from({ length: n }, (_, i) => i % 5000);
  const p = Array.from({ length: n }, (_, i) => (i % 97 === 0 ? -1 : (i * 7) % 5000));
  const s = evaluateClustering(t, p);
  assert.ok(s.ari > -1 && s.ari <= 1);
});
