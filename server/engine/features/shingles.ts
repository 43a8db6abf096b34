// Shingles of text for MinHash: character n-grams and word n-grams ("w-shingles"), each hashed
// once to 32 bits (MurmurHash3 over 32-bit blocks). Output, like the k-mers: sorted, distinct
// Uint32Array.
//
// Conventions, chosen so that short texts still compare sensibly:
// - a text shorter than n characters (or w words) but not empty gives ONE shingle, the whole text;
// - an empty text (after normalisation) gives the empty set, which MinHash maps to the "empty"
//   signature that is never a candidate.
// Characters are Unicode code points (a surrogate pair is one character).

import { hashString32, hashWords32, sortUniqueInPlace } from './hash';
import { PackedSets, packSets } from './sets';

export interface CharShingleOptions {
  /** Characters per shingle (≥ 1). */
  readonly n: number;
  /** Compare case-insensitively (default true). */
  readonly lowercase?: boolean;
  /** Turn every run of white space into one space and trim the ends (default true). */
  readonly collapseWhitespace?: boolean;
  readonly seed?: number;
}

export interface WordShingleOptions {
  /** Words per shingle (≥ 1). */
  readonly w: number;
  /** Compare case-insensitively (default true). */
  readonly lowercase?: boolean;
  readonly seed?: number;
}

/** Letters and digits, with inner apostrophes ("don't", "l'eau") kept inside the word. */
const WORD = /[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*/gu;

function checkCount(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

function finish(hashes: Uint32Array, count: number): Uint32Array {
  return hashes.slice(0, sortUniqueInPlace(hashes, 0, count));
}

/** Sorted, distinct hashes of the character n-grams of `text`. */
export function charShingles(text: string, options: CharShingleOptions): Uint32Array {
  checkCount('n', options.n);
  let t = (options.lowercase ?? true) ? text.toLowerCase() : text;
  if (options.collapseWhitespace ?? true) t = t.replace(/\s+/gu, ' ').trim();
  if (t.length === 0) return new Uint32Array(0);
  const points = new Uint32Array(t.length);
  let len = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.codePointAt(i) as number; // i < t.length
    points[len++] = c;
    if (c > 0xffff) i++;
  }
  const n = options.n;
  const seed = options.seed ?? 0;
  if (len <= n) return Uint32Array.of(hashWords32(points, 0, len, seed));
  const out = new Uint32Array(len - n + 1);
  for (let i = 0; i + n <= len; i++) out[i] = hashWords32(points, i, i + n, seed);
  return finish(out, out.length);
}

/** Sorted, distinct hashes of the word w-grams of `text` (words: letters, digits, inner apostrophes). */
export function wordShingles(text: string, options: WordShingleOptions): Uint32Array {
  checkCount('w', options.w);
  const t = (options.lowercase ?? true) ? text.toLowerCase() : text;
  const seed = options.seed ?? 0;
  const words = t.match(WORD) ?? [];
  if (words.length === 0) return new Uint32Array(0);
  // Each word is hashed once; a shingle hashes its w word hashes.
  const wordHashes = new Uint32Array(words.length);
  for (let i = 0; i < words.length; i++) wordHashes[i] = hashString32(words[i], seed);
  const w = options.w;
  if (words.length <= w) return Uint32Array.of(hashWords32(wordHashes, 0, words.length, seed));
  const out = new Uint32Array(words.length - w + 1);
  for (let i = 0; i + w <= words.length; i++) out[i] = hashWords32(wordHashes, i, i + w, seed);
  return finish(out, out.length);
}

/** Character-shingle sets of many texts, packed. */
export function charShingleSets(texts: readonly string[], options: CharShingleOptions): PackedSets {
  return packSets(texts.map((t) => charShingles(t, options)));
}

/** Word-shingle sets of many texts, packed. */
export function wordShingleSets(texts: readonly string[], options: WordShingleOptions): PackedSets {
  return packSets(texts.map((t) => wordShingles(t, options)));
}
