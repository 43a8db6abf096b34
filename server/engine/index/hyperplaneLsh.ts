// Random-hyperplane LSH (SimHash, Charikar 2002) for cosine distance.
//
// A hash bit is the side of a random hyperplane through the origin (normal drawn from N(0, I)) a
// vector falls on. Two vectors at angle θ get the same bit with probability 1 − θ/π, whatever
// their lengths; with cosine distance d = 1 − cos θ that is 1 − arccos(1 − d)/π. A table's key
// is `bits` (≤ 32) such bits packed into one 32-bit word, so equal keys mean equal codes exactly.
// The projections of all rows on all tables × bits normals are one product with the normals'
// matrix (the tiled kernel of ./knnExact.ts).

import { dotProducts } from './knnExact';
import { gaussianMatrix, type LshFamily } from './lshTables';

/** P(one bit agrees) for vectors at cosine distance d (in [0, 2]). */
export function hyperplaneCollision(d: number): number {
  const c = Math.min(1, Math.max(-1, 1 - d));
  return 1 - Math.acos(c) / Math.PI;
}

/** `tables` keys of `bits` random-hyperplane bits each, for vectors of `dim`; seeded. */
export function hyperplaneFamily(dim: number, tables: number, bits: number, seed: number): LshFamily {
  if (!Number.isInteger(bits) || bits < 1 || bits > 32) throw new RangeError(`hyperplane LSH: bits must be an integer in 1..32, got ${bits}`);
  if (!Number.isInteger(tables) || tables < 1) throw new RangeError(`hyperplane LSH: tables must be a positive integer, got ${tables}`);
  const normals = gaussianMatrix(tables * bits, dim, seed);
  return {
    tables,
    bits,
    keys(rows: Float32Array, count: number): Uint32Array {
      const proj = dotProducts(rows, count, normals, tables * bits, dim);
      const keys = new Uint32Array(count * tables);
      for (let r = 0; r < count; r++) {
        for (let t = 0; t < tables; t++) {
          const o = r * tables * bits + t * bits;
          let key = 0;
          for (let b = 0; b < bits; b++) if (proj[o + b] >= 0) key |= 1 << b;
          keys[r * tables + t] = key >>> 0;
        }
      }
      return keys;
    },
  };
}
