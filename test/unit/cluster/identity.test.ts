/**
 * Sequence identity (engine/cluster/identity.ts) against a plain dynamic-programming reference:
 * identity = 1 − (d − |Δlen|) / min(len), d the Levenshtein distance. identityWithin answers
 * "identity ≥ t?" with the bounded distance: NaN exactly when identity < t, the identity otherwise.
 *
 * Thresholds are checked at and around the exact identities (num/shorter), where an off-by-one
 * in the edit budget shows, and as rationals p/q compared in integers (no floating-point excuse
 * either way; identityWithin's 1e-12 tolerance is far below 1/(q·shorter)).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { editBudget, identityFromDistance, identityWithin, sequenceIdentity } from '../../../server/engine/cluster/identity';
import { refLevenshtein } from '../measures/reference';

const BASES = 'ACGT';

/** The identity as an exact fraction num/den (den = shorter length; 0/0 means both empty). */
function refIdentityFraction(a: Uint8Array, b: Uint8Array): { num: number; den: number } {
  const d = refLevenshtein(a, b);
  const shorter = Math.min(a.length, b.length);
  if (shorter === 0) return a.length === b.length ? { num: 1, den: 1 } : { num: 0, den: 1 };
  return { num: shorter - (d - Math.abs(a.length - b.length)), den: shorter };
}

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

const dna = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...BASES), minLength: 0, maxLength, size: 'max' });

/** An edit script applied to a sequence: substitutions, insertions, deletions, and a trim at either end. */
const mutation = fc.record({
  edits: fc.array(fc.record({ kind: fc.constantFrom('sub', 'ins', 'del'), at: fc.nat(), base: fc.constantFrom(...BASES) }), { maxLength: 25 }),
  trimStart: fc.nat({ max: 30 }),
  trimEnd: fc.nat({ max: 30 }),
});

function mutate(seq: string, m: { edits: { kind: string; at: number; base: string }[]; trimStart: number; trimEnd: number }): string {
  const s = Array.from(seq);
  for (const e of m.edits) {
    const at = s.length === 0 ? 0 : e.at % (s.length + (e.kind === 'ins' ? 1 : 0));
    if (e.kind === 'sub' && s.length > 0) s[at] = e.base;
    else if (e.kind === 'ins') s.splice(at, 0, e.base);
    else if (e.kind === 'del' && s.length > 0) s.splice(at, 1);
  }
  return s.slice(Math.min(m.trimStart, s.length), Math.max(0, s.length - m.trimEnd)).join('');
}

/** Pairs of DNA: a random sequence and a mutated copy (related), two independent ones, and empties. */
const pair: fc.Arbitrary<[string, string]> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(dna(300), mutation).map(([s, m]): [string, string] => [s, mutate(s, m)]) },
  { weight: 2, arbitrary: fc.tuple(dna(120), dna(120)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(''), dna(20)) },
  { weight: 1, arbitrary: fc.tuple(dna(20), fc.constantFrom('')) },
);

const RUNS = { seed: 0x1d3a71, numRuns: 300 } as const;

void describe('identityFromDistance and sequenceIdentity', () => {
  void test('hand examples', () => {
    assert.equal(identityFromDistance(0, 0, 0), 1, 'two empty sequences are identical');
    assert.equal(identityFromDistance(5, 0, 5), 0, 'empty against non-empty');
    assert.equal(identityFromDistance(5, 5, 0), 0);
    assert.equal(identityFromDistance(0, 10, 10), 1);
    assert.equal(identityFromDistance(100, 1500, 1400), 1, 'a trimmed copy: the length difference is forgiven');
    assert.equal(identityFromDistance(107, 1500, 1400), 1 - 7 / 1400);
    assert.equal(sequenceIdentity(bytes('ACGTACGTAC'), bytes('ACGTTCGTAC')), 0.9);
    assert.equal(sequenceIdentity(bytes('ACGTACGTAC'), bytes('CGTACGTA')), 1, 'substring: only terminal gaps');
    assert.equal(sequenceIdentity(bytes(''), bytes('')), 1);
    assert.equal(sequenceIdentity(bytes('A'), bytes('')), 0);
  });

  void test('equal the DP reference on random pairs (related, unrelated, different lengths, empty)', () => {
    fc.assert(
      fc.property(pair, ([sa, sb]) => {
        const a = bytes(sa);
        const b = bytes(sb);
        const { num, den } = refIdentityFraction(a, b);
        const d = refLevenshtein(a, b);
        assert.ok(Math.abs(identityFromDistance(d, a.length, b.length) - num / den) < 1e-12);
        const id = sequenceIdentity(a, b);
        assert.ok(Math.abs(id - num / den) < 1e-12, `identity ${id}, reference ${num}/${den}`);
        assert.ok(id >= 0 && id <= 1);
        assert.equal(sequenceIdentity(b, a), id, 'symmetric');
      }),
      RUNS,
    );
  });
});

void describe('identityWithin', () => {
  /** The expected answer for threshold p/q, decided in integers. */
  function expectedWithin(frac: { num: number; den: number }, p: number, q: number): number {
    return frac.num * q >= p * frac.den ? frac.num / frac.den : NaN;
  }

  function check(a: Uint8Array, b: Uint8Array, p: number, q: number): void {
    const frac = refIdentityFraction(a, b);
    const t = p / q;
    const got = identityWithin(a, b, t);
    const want = expectedWithin(frac, p, q);
    const what = `|a| ${a.length}, |b| ${b.length}, identity ${frac.num}/${frac.den}, threshold ${p}/${q}`;
    if (Number.isNaN(want)) assert.ok(Number.isNaN(got), `${what}: expected NaN, got ${got}`);
    else {
      assert.ok(!Number.isNaN(got), `${what}: expected ${want}, got NaN`);
      assert.equal(got, sequenceIdentity(a, b), `${what}: equals sequenceIdentity`);
    }
  }

  void test('NaN exactly when identity < threshold, sequenceIdentity otherwise: thresholds at and next to the identity', () => {
    fc.assert(
      fc.property(pair, ([sa, sb]) => {
        const a = bytes(sa);
        const b = bytes(sb);
        const { num, den } = refIdentityFraction(a, b);
        // At the identity, one step above and below it (in units of 1/shorter), and just off it.
        for (const p of [num, num + 1, num - 1]) if (p > 0 && p <= den) check(a, b, p, den);
        for (const [p, q] of [[num * 1000 + 1, den * 1000], [num * 1000 - 1, den * 1000]]) if (p > 0 && p <= q) check(a, b, p, q);
      }),
      RUNS,
    );
  });

  void test('random rational thresholds, including the clustering ones (0.93, 0.97, 1)', () => {
    const threshold = fc.oneof(
      fc.constantFrom<[number, number]>([93, 100], [97, 100], [1, 1], [9, 10], [1, 2], [1, 1000]),
      fc.integer({ min: 1, max: 1000 }).map((p): [number, number] => [p, 1000]),
    );
    fc.assert(
      fc.property(pair, threshold, ([sa, sb], [p, q]) => check(bytes(sa), bytes(sb), p, q)),
      RUNS,
    );
  });

  void test('decimal thresholds as users type them: an identity of exactly 0.93 passes 0.93', () => {
    // 1 − 7/100 is 0.92999… in floating point, below the double 0.93.
    const a = bytes('A'.repeat(100));
    const b = bytes(`${'C'.repeat(7)}${'A'.repeat(93)}`);
    assert.equal(identityWithin(a, b, 0.93), sequenceIdentity(a, b));
    assert.ok(Number.isNaN(identityWithin(a, b, 0.931)));
    const c = bytes(`${'C'.repeat(8)}${'A'.repeat(92)}`);
    assert.ok(Number.isNaN(identityWithin(a, c, 0.93)));
  });

  void test('empty sequences: two empties are identical, empty against non-empty is 0', () => {
    assert.equal(identityWithin(bytes(''), bytes(''), 1), 1);
    assert.ok(Number.isNaN(identityWithin(bytes(''), bytes('ACGT'), 0.5)));
    assert.ok(Number.isNaN(identityWithin(bytes('ACGT'), bytes(''), 0.001)));
  });

  void test('editBudget is the largest distance that keeps identity ≥ t', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 100 }), (la, lb, p) => {
        const k = editBudget(la, lb, p / 100);
        const shorter = Math.min(la, lb);
        const delta = Math.abs(la - lb);
        // identity ≥ p/100 ⇔ (shorter − (d − Δ))·100 ≥ p·shorter
        const ok = (d: number) => (shorter - (d - delta)) * 100 >= p * shorter;
        assert.ok(ok(k), `budget ${k} itself must pass`);
        assert.ok(!ok(k + 1) || k + 1 - delta > shorter, `budget ${k} + 1 must fail`);
      }),
      { seed: 0x1d3a72, numRuns: 500 },
    );
  });
});
