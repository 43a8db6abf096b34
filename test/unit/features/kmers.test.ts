import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KmerHasher, MAX_K, hashKmerCode, kmerHashes, kmerSets } from '../../../server/engine/features/kmers';
import { packedSetAt } from '../../../server/engine/features/sets';
import { mulberry32, randomDna } from './rng';

const COMPLEMENT: Record<string, string> = { A: 'T', C: 'G', G: 'C', T: 'A', U: 'A', N: 'N' };

function reverseComplement(s: string): string {
  let out = '';
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s[i].toUpperCase();
    out += COMPLEMENT[c] ?? c;
  }
  return out;
}

/** The plain reference: substrings, a regex for validity, string comparison for the canonical form, BigInt codes. */
function referenceKmerHashes(seq: string, k: number, canonical: boolean, seed: number): Uint32Array {
  const code: Record<string, bigint> = { A: 0n, C: 1n, G: 2n, T: 3n };
  const hashes = new Set<number>();
  for (let i = 0; i + k <= seq.length; i++) {
    const kmer = seq.slice(i, i + k).toUpperCase().replace(/U/g, 'T');
    if (!/^[ACGT]+$/.test(kmer)) continue;
    const rc = reverseComplement(kmer);
    const chosen = canonical && rc < kmer ? rc : kmer;
    let v = 0n;
    for (const ch of chosen) v = (v << 2n) | code[ch];
    hashes.add(hashKmerCode(Number(v >> 32n), Number(v & 0xffffffffn), seed));
  }
  return Uint32Array.from([...hashes].sort((a, b) => a - b));
}

const dnaWithJunk = (maxLength: number) =>
  fc.array(fc.constantFrom('A', 'C', 'G', 'T', 'A', 'C', 'G', 'T', 'a', 'c', 'g', 't', 'u', 'U', 'N', 'R', 'Y', '-'), { maxLength }).map((cs) => cs.join(''));

void describe('kmers', () => {
  void it('matches a plain string-based reference (any k ≤ 31, both modes, mixed case, U, N and IUPAC codes)', () => {
    fc.assert(
      fc.property(dnaWithJunk(120), fc.integer({ min: 1, max: MAX_K }), fc.boolean(), fc.integer({ min: 0, max: 0xffff }), (seq, k, canonical, seed) => {
        assert.deepEqual(kmerHashes(seq, { k, canonical, seed }), referenceKmerHashes(seq, k, canonical, seed));
      }),
      { seed: 1501, numRuns: 400 },
    );
  });

  void it('is strand-independent: canonical(seq) equals canonical(reverse complement of seq)', () => {
    fc.assert(
      fc.property(dnaWithJunk(200), fc.integer({ min: 1, max: MAX_K }), (seq, k) => {
        assert.deepEqual(kmerHashes(seq, { k }), kmerHashes(reverseComplement(seq), { k }));
      }),
      { seed: 1502, numRuns: 300 },
    );
  });

  void it('strand-aware mode keeps the forward strand only', () => {
    const rng = mulberry32(7);
    const seq = randomDna(rng, 500);
    const fwd = kmerHashes(seq, { k: 15, canonical: false });
    const rev = kmerHashes(reverseComplement(seq), { k: 15, canonical: false });
    const shared = fwd.filter((h) => rev.includes(h)).length;
    assert.ok(shared < fwd.length / 10, `forward and reverse strands should share few 15-mers, shared ${shared}`);
  });

  void it('skips every k-mer touching N: runs of N never make sequences alike', () => {
    assert.equal(kmerHashes('N'.repeat(500), { k: 15 }).length, 0);
    const rng = mulberry32(8);
    const a = randomDna(rng, 300);
    const b = randomDna(rng, 300);
    const masked = 'N'.repeat(200);
    const x = kmerHashes(a + masked, { k: 15 });
    const y = kmerHashes(masked + b, { k: 15 });
    assert.equal(x.filter((h) => y.includes(h)).length, 0);
    // A k-mer spanning a single N is dropped, the parts on either side are kept.
    const joined = kmerHashes(a + 'N' + b, { k: 15 });
    const union = new Set([...kmerHashes(a, { k: 15 }), ...kmerHashes(b, { k: 15 })]);
    assert.deepEqual(joined, Uint32Array.from([...union].sort((p, q) => p - q)));
  });

  void it('gives sorted, distinct hashes with no collisions for k ≤ 16', () => {
    const rng = mulberry32(9);
    const seq = randomDna(rng, 5000);
    for (const k of [8, 15, 16]) {
      const hashes = kmerHashes(seq, { k });
      for (let i = 1; i < hashes.length; i++) assert.ok(hashes[i - 1] < hashes[i]);
      const canonical = new Set<string>();
      for (let i = 0; i + k <= seq.length; i++) {
        const kmer = seq.slice(i, i + k);
        const rc = reverseComplement(kmer);
        canonical.add(rc < kmer ? rc : kmer);
      }
      assert.equal(hashes.length, canonical.size, `k = ${k}`);
    }
  });

  void it('reads Uint8Array and string input alike, and short input gives the empty set', () => {
    const seq = 'ACGTTGCAAGGCTTAACGGATCNNACGT';
    assert.deepEqual(kmerHashes(new TextEncoder().encode(seq), { k: 5 }), kmerHashes(seq, { k: 5 }));
    assert.equal(kmerHashes('ACGT', { k: 5 }).length, 0);
    assert.equal(kmerHashes('', { k: 1 }).length, 0);
  });

  void it('raw mode (distinct: false) keeps every valid k-mer in order, the same set once deduplicated', () => {
    const rng = mulberry32(11);
    const seq = randomDna(rng, 400, 'ACGTN') + 'ACGTACGTACGTACGTACGT'.repeat(3);
    const raw = kmerHashes(seq, { k: 7, distinct: false });
    let valid = 0;
    for (let i = 0; i + 7 <= seq.length; i++) if (/^[ACGT]+$/.test(seq.slice(i, i + 7))) valid++;
    assert.equal(raw.length, valid);
    assert.deepEqual(Uint32Array.from(new Set(raw)).sort(), kmerHashes(seq, { k: 7 }));
    const packed = kmerSets([seq, 'ACGTNACGT'], { k: 7, distinct: false });
    assert.deepEqual(packedSetAt(packed, 0), raw);
  });

  void it('rejects k outside 1..31', () => {
    assert.throws(() => kmerHashes('ACGT', { k: 0 }), RangeError);
    assert.throws(() => kmerHashes('ACGT', { k: 32 }), RangeError);
    assert.throws(() => new KmerHasher({ k: 2.5 }), RangeError);
  });

  void it('packs many sequences exactly as hashing them one by one (and a reused hasher agrees)', () => {
    const rng = mulberry32(10);
    const seqs = Array.from({ length: 40 }, (_, i) => randomDna(rng, i * 7, 'ACGTN'));
    for (const k of [3, 15, 21]) {
      const packed = kmerSets(seqs, { k });
      assert.equal(packed.offsets.length, seqs.length + 1);
      const hasher = new KmerHasher({ k });
      seqs.forEach((s, r) => {
        assert.deepEqual(packedSetAt(packed, r), kmerHashes(s, { k }));
        assert.deepEqual(hasher.hash(s), kmerHashes(s, { k }));
      });
    }
  });
});
