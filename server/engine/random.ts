/**
 * The engine's one seeded random source: Mulberry32, uniform in [0, 1). Small and fast; a seed
 * always gives the same sequence, which is what makes samples, batches, LSH tables and maps
 * reproducible. Anything with the `RandomSource` contract can be injected in its place.
 */
export type RandomSource = () => number;

export function mulberry32(seed: number): RandomSource {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
