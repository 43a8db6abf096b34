// The hash tables shared by the LSH families of ./hyperplaneLsh.ts and ./pStableLsh.ts.
//
// Each of L tables maps a 32-bit key to the rows that have it. Stored sorted, not as maps: per
// table, the n keys in ascending order with their rows (ascending inside a key), so a table is
// two typed arrays and a lookup is a binary search. Sorting packs (key, row) into one float64
// (key·2²¹ + row, exact for n ≤ 2²¹) and uses the native typed-array sort.

import { mulberry32 } from '../random';

/** A seeded family of L keys per vector. */
export interface LshFamily {
  readonly tables: number;
  /** Hash functions concatenated per key. */
  readonly bits: number;
  /** Keys of `count` rows: out[r·tables + t]. */
  keys(rows: Float32Array, count: number): Uint32Array;
}

export interface LshTables {
  readonly tables: number;
  readonly n: number;
  /** Table t: sortedKeys / rows [t·n, (t + 1)·n). */
  readonly sortedKeys: Uint32Array;
  readonly rows: Int32Array;
}

const ROW_BITS = 21;
export const MAX_LSH_ROWS = 1 << ROW_BITS;

export { mulberry32 };

/** rows × dim standard normal values (Box–Muller), seeded. */
export function gaussianMatrix(rows: number, dim: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  const out = new Float32Array(rows * dim);
  for (let t = 0; t < out.length; t++) out[t] = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return out;
}

/** The tables of n rows from their keys (keys[r·L + t]). */
export function buildTables(keys: Uint32Array, n: number, tables: number): LshTables {
  if (n > MAX_LSH_ROWS) throw new RangeError(`LSH tables hold at most ${MAX_LSH_ROWS} rows, got ${n}`);
  const sortedKeys = new Uint32Array(tables * n);
  const rows = new Int32Array(tables * n);
  const packed = new Float64Array(n);
  for (let t = 0; t < tables; t++) {
    for (let r = 0; r < n; r++) packed[r] = keys[r * tables + t] * MAX_LSH_ROWS + r;
    packed.sort();
    for (let x = 0; x < n; x++) {
      const v = packed[x];
      const key = Math.floor(v / MAX_LSH_ROWS);
      sortedKeys[t * n + x] = key;
      rows[t * n + x] = v - key * MAX_LSH_ROWS;
    }
  }
  return { tables, n, sortedKeys, rows };
}

/** Positions [start, end) in `rows` of the rows with `key` in table t (start = end when absent): two binary searches. */
export function bucket(tables: LshTables, t: number, key: number): [number, number] {
  const keys = tables.sortedKeys;
  const base = t * tables.n;
  const end = base + tables.n;
  let lo = base;
  let hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  const start = lo;
  hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] <= key) lo = mid + 1;
    else hi = mid;
  }
  return [start, lo];
}
