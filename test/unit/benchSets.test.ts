/**
 * The constant-density control of the clustering bench (bench/scaledAmplicons.ts): the real set
 * written in other alphabets must keep, within each world, every edit distance and (for the
 * permutations that commute with the complement) every canonical k-mer Jaccard — else the
 * control would not hold each record's neighbours fixed as n grows — and share no k-mer with
 * the real set.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { alphabetPermutations, writeAlphabetWorlds } from '../../bench/scaledAmplicons';
import { kmerHashes } from '../../server/engine/features/kmers';
import { levenshtein } from '../../server/engine/measures/levenshtein';

const fixture = path.join(__dirname, '..', 'fixtures', 'dna', '16S-sample.fasta');

function readRecords(file: string): { id: string; seq: string }[] {
  return readFileSync(file, 'latin1')
    .split('>')
    .slice(1)
    .map((block) => {
      const nl = block.indexOf('\n');
      return { id: block.slice(0, nl).trim().split(/\s/)[0]!, seq: block.slice(nl + 1).replace(/\s+/g, '').toUpperCase() };
    });
}

function jaccard(a: Uint32Array, b: Uint32Array): number {
  const sa = new Set(a);
  let shared = 0;
  for (const h of b) if (sa.has(h)) shared++;
  return shared / (a.length + b.length - shared);
}

void describe('bench sets: the real set in other alphabets', () => {
  void test('24 permutations, distinct; the first 8 commute with the complement, identity first', () => {
    const perms = alphabetPermutations();
    assert.equal(perms.length, 24);
    assert.equal(new Set(perms).size, 24);
    assert.equal(perms[0], 'ACGT');
    const comp: Record<string, string> = { A: 'T', C: 'G', G: 'C', T: 'A' };
    const image = (p: string, b: string): string => p['ACGT'.indexOf(b)]!;
    const commutes = (p: string): boolean => [...'ACGT'].every((b) => image(p, comp[b]!) === comp[image(p, b)]!);
    assert.deepEqual(perms.map(commutes), [...Array(8).fill(true), ...Array(16).fill(false)]);
  });

  void test('each world keeps the edit distances and canonical Jaccard of the real set, and shares no k-mers with it', async () => {
    const base = readRecords(fixture);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'simlab-worlds-'));
    try {
      const out = path.join(dir, 'worlds.fasta');
      const n = 2 * base.length + 10;
      await writeAlphabetWorlds(fixture, out, n);
      const written = readRecords(out);
      assert.equal(written.length, n);
      assert.deepEqual(written.slice(0, base.length), base, 'world 0 is the real set');
      assert.equal(written[base.length]!.id, `${base[0]!.id}.w1`);
      assert.equal(written[n - 1]!.id, `${base[9]!.id}.w2`, 'the last world is cut at n');
      const k = 15;
      for (const world of [1, 2]) {
        const offset = world * base.length;
        for (const [a, b] of [[0, 1], [3, 7], [2, 9]] as const) {
          const x = written[offset + a]!.seq;
          const y = written[offset + b]!.seq;
          assert.equal(levenshtein(x, y), levenshtein(base[a]!.seq, base[b]!.seq), `world ${world}, records ${a} and ${b}`);
          assert.equal(jaccard(kmerHashes(x, { k }), kmerHashes(y, { k })), jaccard(kmerHashes(base[a]!.seq, { k }), kmerHashes(base[b]!.seq, { k })));
          assert.equal(jaccard(kmerHashes(x, { k }), kmerHashes(base[a]!.seq, { k })), 0, 'no k-mer shared with its original');
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
