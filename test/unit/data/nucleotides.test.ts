import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { alphabetOf, forEachKmer, kmerCode } from '../../../server/engine/data/nucleotides';

const COMPLEMENT: Record<string, string> = { A: 'T', C: 'G', G: 'C', T: 'A' };

/** Plain reference: every window, kept only when it is all ACGT (U read as T). */
function referenceKmers(seq: string, k: number, canonical: boolean): [number, number][] {
  const out: [number, number][] = [];
  const s = seq.toUpperCase().replace(/U/g, 'T');
  for (let i = 0; i + k <= s.length; i++) {
    const w = s.slice(i, i + k);
    if (!/^[ACGT]+$/.test(w)) continue;
    let code = kmerCode(w);
    if (canonical) {
      const rc = kmerCode([...w].reverse().map((c) => COMPLEMENT[c]).join(''));
      code = Math.min(code, rc);
    }
    out.push([code, i]);
  }
  return out;
}

void test('forEachKmer matches a plain reference for every k in 1..16, both strands', () => {
  const base = fc.constantFrom('A', 'C', 'G', 'T', 'a', 'u', 'N', 'R', '-');
  fc.assert(
    fc.property(fc.array(base, { maxLength: 60 }), fc.integer({ min: 1, max: 16 }), fc.boolean(), (chars, k, canonical) => {
      const seq = chars.join('');
      const got: [number, number][] = [];
      forEachKmer(Buffer.from(seq, 'latin1'), k, (code, pos) => got.push([code, pos]), { canonical });
      assert.deepEqual(got, referenceKmers(seq, k, canonical));
    }),
    { seed: 42, numRuns: 600 },
  );
});

void test('a run of N shares no k-mer with another run of N', () => {
  const codes: number[] = [];
  forEachKmer(Buffer.from('NNNNNNNNNNNNNNNNNNNNNNNNACG'), 4, (c) => codes.push(c));
  assert.deepEqual(codes, []);
});

void test('kmer codes are unsigned 32-bit at k = 16', () => {
  assert.equal(kmerCode('TTTTTTTTTTTTTTTT'), 0xffffffff);
  let seen = -1;
  forEachKmer(Buffer.from('TTTTTTTTTTTTTTTT'), 16, (c) => (seen = c));
  assert.equal(seen, 0xffffffff);
  assert.throws(() => forEachKmer(new Uint8Array(0), 17, () => {}), RangeError);
  assert.equal(kmerCode('ACGX'), -1);
});

void test('alphabetOf', () => {
  assert.equal(alphabetOf(Buffer.from('ACGTNRYKM')), 'nucleotide');
  assert.equal(alphabetOf(Buffer.from('MEEPQ')), 'protein');
});
