// p-stable LSH for Euclidean distance (E2LSH, Datar, Immorlica, Indyk & Mirrokni 2004).
//
// A hash is h(v) = ⌊(a·v + b)/w⌋ with a ~ N(0, I) (2-stable: a·u ~ N(0, ‖u‖²)) and b uniform in
// [0, w). Two points at distance c collide with probability
//     p(c) = 1 − 2Φ(−w/c) − 2/(√(2π)·(w/c)) · (1 − e^(−(w/c)²/2)),
// decreasing in c. A table's key combines `bits` such integers into a 32-bit hash (fmix32 chain);
// two different integer tuples may share a key, which only adds a candidate (re-ranked exactly),
// never loses one.

import { fmix32 } from '../features/hash';
import { dotProducts } from './knnExact';
import { gaussianMatrix, mulberry32, type LshFamily } from './lshTables';

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 on erf; absolute error < 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** P(one hash agrees) for points at Euclidean distance c with bucket width w. */
export function pStableCollision(c: number, w: number): number {
  if (!(c > 0)) return 1;
  const s = w / c;
  const p = 1 - 2 * normalCdf(-s) - (2 / (Math.sqrt(2 * Math.PI) * s)) * (1 - Math.exp((-s * s) / 2));
  return Math.min(1, Math.max(0, p));
}

/** `tables` keys of `bits` p-stable hashes of width w each, for vectors of `dim`; seeded. */
export function pStableFamily(dim: number, tables: number, bits: number, width: number, seed: number): LshFamily {
  if (!Number.isInteger(bits) || bits < 1) throw new RangeError(`p-stable LSH: bits must be a positive integer, got ${bits}`);
  if (!Number.isInteger(tables) || tables < 1) throw new RangeError(`p-stable LSH: tables must be a positive integer, got ${tables}`);
  if (!(width > 0 && Number.isFinite(width))) throw new RangeError(`p-stable LSH: width must be positive, got ${width}`);
  const m = tables * bits;
  const a = gaussianMatrix(m, dim, seed);
  const rng = mulberry32(seed ^ 0x5bd1e995);
  const offsets = Float64Array.from({ length: m }, () => rng() * width);
  return {
    tables,
    bits,
    keys(rows: Float32Array, count: number): Uint32Array {
      const proj = dotProducts(rows, count, a, m, dim);
      const keys = new Uint32Array(count * tables);
      for (let r = 0; r < count; r++) {
        for (let t = 0; t < tables; t++) {
          const o = r * m + t * bits;
          let key = 0x9747b28c;
          for (let b = 0; b < bits; b++) key = fmix32((key ^ Math.floor((proj[o + b] + offsets[t * bits + b]) / width)) + 0x9e3779b9 * (b + 1));
          keys[r * tables + t] = key;
        }
      }
      return keys;
    },
  };
}
