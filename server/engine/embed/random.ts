/**
 * The seeded random source of the embedding code: Mulberry32, uniform in [0, 1). Any `() => number`
 * with that contract can be injected instead (the same seed always gives the same map).
 */
export type RandomSource = () => number;

export function seededRandom(seed: number): RandomSource {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
