// 32-bit hashing primitives shared by the feature extractors and the MinHash index.
// Everything here is integer arithmetic on `Math.imul` and unsigned shifts: no BigInt, no allocation.

/**
 * MurmurHash3's 32-bit finaliser. A bijection on 32-bit integers (each step — xor-shift, multiply
 * by an odd constant — is invertible), so distinct inputs never collide, and every input bit
 * affects every output bit. Returns an unsigned 32-bit integer.
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** One MurmurHash3 body round: mixes the 32-bit block `k` into the running state `h`. */
export function murmurRound(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * MurmurHash3 (x86, 32-bit) of a string's UTF-16 code units, two units per 32-bit block,
 * over `s[start, end)`. Unsigned result.
 */
export function hashString32(s: string, seed = 0, start = 0, end = s.length): number {
  let h = seed | 0;
  let i = start;
  for (; i + 1 < end; i += 2) h = murmurRound(h, s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
  if (i < end) {
    // The tail block goes through the same key mixing as a body block, without the state rotation.
    let k = Math.imul(s.charCodeAt(i), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  return fmix32(h ^ ((end - start) << 1));
}

/** MurmurHash3-style hash of 32-bit words `words[start, end)` (code points, word hashes, ...). */
export function hashWords32(words: ArrayLike<number>, start: number, end: number, seed = 0): number {
  let h = seed | 0;
  for (let i = start; i < end; i++) h = murmurRound(h, words[i]);
  return fmix32(h ^ ((end - start) << 2));
}

/**
 * SplitMix32-style deterministic generator (Weyl sequence through a strong mixer). Used to derive
 * hash-family parameters from a seed; not for cryptography.
 */
export function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
}

/**
 * Sorts `a[start, end)` ascending (numeric, native typed-array sort) and removes duplicates in
 * place; returns the new end (the unique values occupy `a[start, newEnd)`).
 */
export function sortUniqueInPlace(a: Uint32Array, start = 0, end = a.length): number {
  if (end - start < 2) return end;
  a.subarray(start, end).sort();
  let w = start + 1;
  let last = a[start];
  for (let r = start + 1; r < end; r++) {
    const v = a[r];
    if (v !== last) {
      a[w++] = v;
      last = v;
    }
  }
  return w;
}
