import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultOneHotLength, oneHot, oneHotInputs, ONE_HOT_CHANNELS } from '../../../server/engine/models/oneHot';

/** Plain reference: one base at a time, by the documented rule. */
function reference(seq: string, length: number): number[] {
  const sets: Record<string, string> = { A: 'A', C: 'C', G: 'G', T: 'T', U: 'T', R: 'AG', Y: 'CT', S: 'CG', W: 'AT', K: 'GT', M: 'AC', B: 'CGT', D: 'AGT', H: 'ACT', V: 'ACG', N: 'ACGT' };
  const out: number[] = [];
  for (let i = 0; i < length; i++) {
    const set = i < seq.length ? (sets[seq[i]!.toUpperCase()] ?? '') : '';
    for (const b of 'ACGT') out.push(set.includes(b) ? 1 / set.length : 0);
  }
  return out;
}

void describe('oneHot', () => {
  void it('A C G T one-hot in that channel order; U reads as T; lower case as upper case', () => {
    assert.deepEqual(Array.from(oneHot('ACGTu', 5)), [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
  });

  void it('keeps the first bases of a longer sequence and pads a shorter one with zero rows at the end', () => {
    assert.deepEqual(Array.from(oneHot('GATTACA', 3)), [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1]);
    assert.deepEqual(Array.from(oneHot('C', 3)), [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  void it('ambiguity codes spread their weight (N = 0.25 each, R = A/G); gaps and other letters are zero rows', () => {
    assert.deepEqual(Array.from(oneHot('NR-X', 4)), [0.25, 0.25, 0.25, 0.25, 0.5, 0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  void it('matches the plain reference on random sequences and lengths; each row sums to 1 or 0', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ACGTUNRYSWKMBDHVacgtn-.XE'), maxLength: 40 }), fc.integer({ min: 1, max: 50 }), (seq, length) => {
        const got = oneHot(seq, length);
        assert.deepEqual(Array.from(got), reference(seq, length).map((v) => Math.fround(v)));
        for (let i = 0; i < length; i++) {
          const sum = got.subarray(i * 4, i * 4 + 4).reduce((a, b) => a + b, 0);
          assert.ok(Math.abs(sum - 1) < 1e-6 || sum === 0);
        }
      }),
      { numRuns: 100, seed: 15 },
    );
  });

  void it('oneHotInputs builds the rows of any indices, in order, at the fixed length', () => {
    const seqs = ['ACGT', 'TTTTTTTT', 'G'].map((s) => Uint8Array.from(s, (c) => c.charCodeAt(0)));
    const inputs = oneHotInputs(seqs.length, (i) => seqs[i]!, 6);
    assert.deepEqual(inputs.inputShape, [6, ONE_HOT_CHANNELS]);
    const rows = inputs.rows([2, 0]);
    assert.equal(rows.length, 2 * 6 * 4);
    assert.deepEqual(Array.from(rows.subarray(0, 24)), Array.from(oneHot('G', 6)));
    assert.deepEqual(Array.from(rows.subarray(24)), Array.from(oneHot('ACGT', 6)));
    assert.throws(() => inputs.rows([3]), /index 3 out of range \(3 sequences\)/);
  });

  void it('default length: the longest rounded up to 8, capped at 4,096; bad lengths are refused', () => {
    assert.equal(defaultOneHotLength([100, 1501, 7]), 1504);
    assert.equal(defaultOneHotLength([3]), 8);
    assert.equal(defaultOneHotLength([50_000]), 4096);
    assert.throws(() => oneHot('A', 0), /one-hot length: 0 must be a positive integer/);
  });
});
