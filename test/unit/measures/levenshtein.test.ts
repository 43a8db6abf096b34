import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { levenshtein, levenshteinWithin, MeasureError } from '../../../server/engine/measures';
import { ASTRAL, DNA, str } from './arbitraries';
import { refLevenshtein } from './reference';

/** A related pair: a base string and a copy with random substitutions, insertions and deletions. */
function relatedPair(unit: fc.Arbitrary<string>, minLength: number, maxLength: number): fc.Arbitrary<[string, string]> {
  return fc
    .tuple(
      str(unit, minLength, maxLength),
      fc.array(fc.tuple(fc.nat(), fc.constantFrom('sub', 'ins', 'del', 'cut'), unit, fc.nat({ max: 150 })), { maxLength: 60, size: 'max' }),
    )
    .map(([base, edits]) => {
      const s = Array.from(base);
      for (const [pos, op, ch, len] of edits) {
        const i = s.length === 0 ? 0 : pos % (s.length + 1);
        if (op === 'sub' && i < s.length) s[i] = ch;
        else if (op === 'ins') s.splice(i, 0, ch);
        else if (op === 'del') s.splice(i, 1);
        else if (op === 'cut') s.splice(i, len % 40); // an indel block shifts the alignment
      }
      return [base, s.join('')];
    });
}

function withinExpected(d: number, k: number): number {
  return d <= k ? d : k + 1;
}

void describe('levenshtein', () => {
  void it('hand-checked examples', () => {
    assert.equal(levenshtein('kitten', 'sitting'), 3);
    assert.equal(levenshtein('sitting', 'kitten'), 3);
    assert.equal(levenshtein('flaw', 'lawn'), 2);
    assert.equal(levenshtein('', ''), 0);
    assert.equal(levenshtein('', 'abc'), 3);
    assert.equal(levenshtein('abc', ''), 3);
    assert.equal(levenshtein('same', 'same'), 0);
    assert.equal(levenshtein('GATTACA', 'GCATGCU'), 4);
    // One code point each, not two UTF-16 units.
    assert.equal(levenshtein('😀', '😁'), 1);
    assert.equal(levenshtein('a𝔸b', 'ab'), 1);
    assert.equal(levenshtein('𝔸', ''), 1);
  });

  void it('accepts every sequence type and compares by value', () => {
    const a = 'kitten';
    const b = 'sitting';
    const cp = (s: string): number[] => Array.from(s, (c) => c.codePointAt(0) as number);
    assert.equal(levenshtein(Buffer.from(a), Buffer.from(b)), 3);
    assert.equal(levenshtein(Int32Array.from(cp(a)), Int32Array.from(cp(b))), 3);
    assert.equal(levenshtein(Uint16Array.from(cp(a)), Uint16Array.from(cp(b))), 3);
    assert.equal(levenshtein(cp(a), cp(b)), 3);
    assert.equal(levenshtein(a, cp(b)), 3); // a string and the code points of another
    assert.equal(levenshtein([1.5, 2, 3], [1.5, 2.5, 3]), 1);
    assert.equal(levenshtein([-1, 1e9, 0.25], [0.25, -1, 1e9]), 2);
  });

  void it('matches the DP reference on short strings of any code points', () => {
    fc.assert(
      fc.property(str('binary', 0, 40), str('binary', 0, 40), (a, b) => {
        assert.equal(levenshtein(a, b), refLevenshtein(a, b));
      }),
      { seed: 42, numRuns: 1500 },
    );
  });

  void it('matches the reference on small alphabets, with astral characters, up to 3 words', () => {
    fc.assert(
      fc.property(str(ASTRAL, 0, 90), str(ASTRAL, 0, 90), (a, b) => {
        assert.equal(levenshtein(a, b), refLevenshtein(a, b));
      }),
      { seed: 42, numRuns: 1000 },
    );
  });

  void it('matches the reference on DNA (strings and bytes), unrelated and related pairs', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.tuple(str(DNA, 0, 300), str(DNA, 0, 300)), relatedPair(DNA, 0, 300)),
        ([a, b]) => {
          const d = refLevenshtein(a, b);
          assert.equal(levenshtein(a, b), d);
          assert.equal(levenshtein(Buffer.from(a), Buffer.from(b)), d);
        },
      ),
      { seed: 42, numRuns: 1500, endOnFailure: true },
    );
  });

  void it('matches the reference on numeric sequences, including typed arrays', () => {
    const num = fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 80, size: 'max' });
    fc.assert(
      fc.property(num, num, (a, b) => {
        const d = refLevenshtein(a, b);
        assert.equal(levenshtein(a, b), d);
        assert.equal(levenshtein(Int32Array.from(a), Int32Array.from(b)), d);
        assert.equal(levenshtein(a.map((x) => x + 0.5), b.map((x) => x + 0.5)), d);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  void it('matches the reference on strings of several thousand characters (banded and full routes)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          relatedPair(DNA, 1500, 3500),
          fc.tuple(str(DNA, 1000, 3000), str(DNA, 1000, 3000)),
          relatedPair(ASTRAL, 1000, 2500),
        ),
        ([a, b]) => {
          const d = refLevenshtein(a, b);
          assert.equal(levenshtein(a, b), d);
        },
      ),
      { seed: 42, numRuns: 24, endOnFailure: true },
    );
  });

  void it('finds alignments far off the main diagonal (the narrow band only gives an upper bound)', () => {
    // b = a rotated: the optimal path deletes a block at one end and inserts it at the other,
    // hundreds of diagonals away from the main one.
    fc.assert(
      fc.property(str(DNA, 600, 1600), fc.integer({ min: 60, max: 400 }), fc.boolean(), (a, r, bytes) => {
        const b = a.slice(r) + a.slice(0, r);
        const d = refLevenshtein(a, b);
        assert.equal(bytes ? levenshtein(Buffer.from(a), Buffer.from(b)) : levenshtein(a, b), d);
        assert.equal(levenshteinWithin(a, b, d), d);
        assert.equal(levenshteinWithin(a, b, d - 1), d);
      }),
      { seed: 42, numRuns: 12, endOnFailure: true },
    );
  });

  void it('is symmetric and a metric on random triples', () => {
    const s = str(DNA, 0, 120);
    fc.assert(
      fc.property(s, s, s, (a, b, c) => {
        const ab = levenshtein(a, b);
        assert.equal(ab, levenshtein(b, a));
        assert.ok(levenshtein(a, c) <= ab + levenshtein(b, c));
        assert.equal(levenshtein(a, a), 0);
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});

void describe('levenshteinWithin', () => {
  void it('returns the distance when ≤ k, else exactly k + 1', () => {
    assert.equal(levenshteinWithin('kitten', 'sitting', 3), 3);
    assert.equal(levenshteinWithin('kitten', 'sitting', 5), 3);
    assert.equal(levenshteinWithin('kitten', 'sitting', 2), 3);
    assert.equal(levenshteinWithin('kitten', 'sitting', 1), 2);
    assert.equal(levenshteinWithin('kitten', 'sitting', 0), 1);
    assert.equal(levenshteinWithin('same', 'same', 0), 0);
    assert.equal(levenshteinWithin('', 'abc', 10), 3);
    assert.equal(levenshteinWithin('a', 'abcdef', 2), 3); // length difference alone
    assert.equal(levenshteinWithin('𝔸𝔸𝔸', 'aaa', 2), 3); // code points, not UTF-16 units
    assert.equal(levenshteinWithin('𝔸', 'a', 0.9), 1); // k is floored
    assert.equal(levenshteinWithin('kitten', 'sitting', Infinity), 3);
  });

  void it('rejects a negative or NaN k', () => {
    assert.throws(() => levenshteinWithin('a', 'b', -1), MeasureError);
    assert.throws(() => levenshteinWithin('a', 'b', Number.NaN), MeasureError);
  });

  function checkAroundDistance(a: string, b: string, extraK: number): void {
    const d = refLevenshtein(a, b);
    const ks = new Set([0, 1, d - 1, d, d + 1, d - 8, d + 8, Math.floor(d / 2), extraK, 10_000]);
    const bytes = [Buffer.from(a), Buffer.from(b)] as const;
    for (const k of ks) {
      if (k < 0) continue;
      assert.equal(levenshteinWithin(a, b, k), withinExpected(d, k), `k = ${k}, d = ${d}`);
      if (/^[ACGT]*$/.test(a + b)) assert.equal(levenshteinWithin(bytes[0], bytes[1], k), withinExpected(d, k), `bytes, k = ${k}`);
    }
  }

  void it('matches the reference for k around the true distance (short, any code points)', () => {
    fc.assert(
      fc.property(str(ASTRAL, 0, 80), str(ASTRAL, 0, 80), fc.nat({ max: 100 }), (a, b, k) => {
        checkAroundDistance(a, b, k);
      }),
      { seed: 42, numRuns: 600 },
    );
  });

  void it('matches the reference for k around the true distance (DNA, related and unrelated, up to 600)', () => {
    fc.assert(
      fc.property(
        fc.oneof(relatedPair(DNA, 0, 600), fc.tuple(str(DNA, 0, 600), str(DNA, 0, 600))),
        fc.nat({ max: 400 }),
        ([a, b], k) => checkAroundDistance(a, b, k),
      ),
      { seed: 42, numRuns: 400, endOnFailure: true },
    );
  });

  void it('matches the reference on every k whose band fits one word (the diagonal kernel), bytes and strings', () => {
    // k ≤ 31 with any length difference up to k: the one-word diagonal band, byte and mapped paths,
    // including ambiguity codes and lower case (distinct symbols), trimmed ends and tiny inputs.
    const IUPAC = fc.constantFrom('A', 'C', 'G', 'T', 'N', 'R', 'a', 't');
    fc.assert(
      fc.property(fc.oneof(relatedPair(IUPAC, 0, 450), fc.tuple(str(IUPAC, 0, 40), str(IUPAC, 0, 40))), ([a, b]) => {
        const d = refLevenshtein(a, b);
        const bytes = [Buffer.from(a), Buffer.from(b)] as const;
        for (let k = 0; k <= 34; k++) {
          assert.equal(levenshteinWithin(bytes[0], bytes[1], k), withinExpected(d, k), `bytes, k = ${k}, d = ${d}`);
          assert.equal(levenshteinWithin(a, b, k), withinExpected(d, k), `string, k = ${k}, d = ${d}`);
        }
      }),
      { seed: 7, numRuns: 300, endOnFailure: true },
    );
  });

  void it('matches the reference on long related DNA at the clustering threshold (k = 7 %)', () => {
    fc.assert(
      fc.property(relatedPair(DNA, 1200, 2500), ([a, b]) => {
        checkAroundDistance(a, b, Math.floor(0.07 * Math.max(a.length, b.length)));
      }),
      { seed: 42, numRuns: 16, endOnFailure: true },
    );
  });
});
