import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { charShingleSets, charShingles, wordShingles } from '../../../server/engine/features/shingles';
import { hashString32, hashWords32 } from '../../../server/engine/features/hash';
import { packedSetAt } from '../../../server/engine/features/sets';

/** Reference: the distinct n-gram strings (code points) of the normalised text, hashed. */
function referenceChar(text: string, n: number): Uint32Array {
  const t = text.toLowerCase().replace(/\s+/gu, ' ').trim();
  const chars = [...t];
  if (chars.length === 0) return new Uint32Array(0);
  const grams = new Set<string>();
  if (chars.length <= n) grams.add(chars.join(''));
  for (let i = 0; i + n <= chars.length; i++) grams.add(chars.slice(i, i + n).join(''));
  const hashes = [...grams].map((g) => {
    const points = Uint32Array.from([...g].map((c) => c.codePointAt(0) as number));
    return hashWords32(points, 0, points.length, 0);
  });
  return Uint32Array.from(new Set(hashes)).sort();
}

function referenceWords(text: string, w: number): Uint32Array {
  const words = text.toLowerCase().match(/[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*/gu) ?? [];
  if (words.length === 0) return new Uint32Array(0);
  const grams = new Set<string>();
  if (words.length <= w) grams.add(words.join('\u0000'));
  for (let i = 0; i + w <= words.length; i++) grams.add(words.slice(i, i + w).join('\u0000'));
  const hashes = [...grams].map((g) => {
    const hs = Uint32Array.from(g.split('\u0000').map((word) => hashString32(word, 0)));
    return hashWords32(hs, 0, hs.length, 0);
  });
  return Uint32Array.from(new Set(hashes)).sort();
}

const texty = fc.array(fc.constantFrom('a', 'b', 'c', 'A', ' ', '  ', '\n', '.', ',', "'", 'é', '😀', 'word', 'Word'), { maxLength: 60 }).map((xs) => xs.join(''));

void describe('shingles', () => {
  void it('character n-grams match a string-based reference (case, white space, code points)', () => {
    fc.assert(
      fc.property(texty, fc.integer({ min: 1, max: 6 }), (text, n) => {
        assert.deepEqual(charShingles(text, { n }), referenceChar(text, n));
      }),
      { seed: 2101, numRuns: 300 },
    );
  });

  void it('word shingles match a string-based reference', () => {
    fc.assert(
      fc.property(texty, fc.integer({ min: 1, max: 4 }), (text, w) => {
        assert.deepEqual(wordShingles(text, { w }), referenceWords(text, w));
      }),
      { seed: 2102, numRuns: 300 },
    );
  });

  void it('normalises by default and can be told not to', () => {
    assert.deepEqual(charShingles('Hello   World', { n: 3 }), charShingles('hello world', { n: 3 }));
    assert.notDeepEqual(charShingles('Hello World', { n: 3, lowercase: false }), charShingles('hello world', { n: 3, lowercase: false }));
    assert.deepEqual(wordShingles('The quick, brown fox!', { w: 2 }), wordShingles('the QUICK brown   fox', { w: 2 }));
  });

  void it('short texts give one shingle, empty texts none', () => {
    assert.equal(charShingles('ab', { n: 5 }).length, 1);
    assert.equal(charShingles('   ', { n: 3 }).length, 0);
    assert.equal(wordShingles('only', { w: 3 }).length, 1);
    assert.equal(wordShingles('... !!', { w: 1 }).length, 0);
  });

  void it('packs many texts', () => {
    const texts = ['alpha beta', '', 'gamma'];
    const packed = charShingleSets(texts, { n: 2 });
    texts.forEach((t, r) => assert.deepEqual(packedSetAt(packed, r), charShingles(t, { n: 2 })));
  });

  void it('rejects n or w below 1', () => {
    assert.throws(() => charShingles('abc', { n: 0 }), RangeError);
    assert.throws(() => wordShingles('abc', { w: 0 }), RangeError);
  });
});
