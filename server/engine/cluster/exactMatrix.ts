// The study's quadratic path: the full pairwise distance matrix, then DBSCAN on it.
//
// The matrix is condensed (scipy's layout): the n(n − 1)/2 distances d(i, j), i < j, row by row
// in one Float32Array — 4 bytes a pair, so 5,000 records take 50 MB and 50,000 take 5 GB. A
// guard refuses sizes above a bound (default: n ≤ 5,000 and ≤ 512 MiB, both configurable)
// with a message that says what it would need and points to the MinHash + LSH path.
// Distances are stored as float32: eps is compared with the stored (rounded) value, which is
// exact for edit distances and other small integers.

import { dbscanGraph } from './dbscan';
import { NeighbourGraph, buildNeighbourGraph } from './graph';

export const DEFAULT_MAX_MATRIX_RECORDS = 5000;
export const DEFAULT_MAX_MATRIX_BYTES = 512 * 1024 * 1024;

export interface MatrixGuard {
  /** Largest number of records accepted (default 5,000; Infinity to rely on the byte bound only). */
  readonly maxRecords?: number;
  /** Largest matrix accepted, in bytes (default 512 MiB). */
  readonly maxBytes?: number;
}

/** Bytes of the condensed Float32 distance matrix of n records: 4·n(n − 1)/2. */
export function estimateMatrixBytes(n: number): number {
  return n < 2 ? 0 : (n * (n - 1) / 2) * Float32Array.BYTES_PER_ELEMENT;
}

function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${v} bytes`;
  return `${Number.isInteger(v) ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

export class MatrixTooLargeError extends Error {
  constructor(
    readonly records: number,
    readonly bytes: number,
    readonly maxRecords: number,
    readonly maxBytes: number,
  ) {
    super(
      `The exact distance matrix for ${records.toLocaleString('en-US')} records would need ${formatBytes(bytes)} ` +
        `(${(records * (records - 1) / 2).toLocaleString('en-US')} pairs × 4 bytes), above the limit of ` +
        `${Number.isFinite(maxRecords) ? `${maxRecords.toLocaleString('en-US')} records and ` : ''}${formatBytes(maxBytes)}. ` +
        'Use the scalable path instead (MinHash + LSH candidates, exact distances on the candidates only, then DBSCAN), ' +
        'or raise the limit if the memory is really there.',
    );
    this.name = 'MatrixTooLargeError';
  }
}

/** Throws MatrixTooLargeError when n records exceed the guard. */
export function checkMatrixSize(n: number, guard: MatrixGuard = {}): void {
  const maxRecords = guard.maxRecords ?? DEFAULT_MAX_MATRIX_RECORDS;
  const maxBytes = guard.maxBytes ?? DEFAULT_MAX_MATRIX_BYTES;
  const bytes = estimateMatrixBytes(n);
  if (n > maxRecords || bytes > maxBytes) throw new MatrixTooLargeError(n, bytes, maxRecords, maxBytes);
}

/** Position of d(i, j) in the condensed matrix (i ≠ j, either order). */
export function condensedIndex(i: number, j: number, n: number): number {
  if (i > j) [i, j] = [j, i];
  return n * i - (i * (i + 1)) / 2 + (j - i - 1);
}

/** The distance function of the records, by index. */
export type IndexDistance = (i: number, j: number) => number;

/**
 * Fills rows [rowFrom, rowTo) of a condensed matrix (entries d(i, j) for i in the range, j > i).
 * Chunkable: workers may fill disjoint row ranges of one matrix backed by a SharedArrayBuffer.
 */
export function fillDistanceMatrixRows(matrix: Float32Array, n: number, distance: IndexDistance, rowFrom: number, rowTo: number): void {
  if (matrix.length !== (n * (n - 1)) / 2 && n > 1) throw new RangeError(`matrix length ${matrix.length} does not match n = ${n}`);
  for (let i = rowFrom; i < rowTo; i++) {
    let at = condensedIndex(i, i + 1, n);
    for (let j = i + 1; j < n; j++) matrix[at++] = distance(i, j);
  }
}

/** The guarded condensed distance matrix of n records. */
export function computeDistanceMatrix(n: number, distance: IndexDistance, guard: MatrixGuard = {}): Float32Array {
  checkMatrixSize(n, guard);
  const matrix = new Float32Array(n < 2 ? 0 : (n * (n - 1)) / 2);
  fillDistanceMatrixRows(matrix, n, distance, 0, n);
  return matrix;
}

/** The neighbour graph of the matrix at radius eps (d ≤ eps), with distances. O(n²) scan, O(n + edges) output. */
export function matrixNeighbourGraph(matrix: Float32Array, n: number, eps: number): NeighbourGraph {
  let m = 0;
  for (let t = 0; t < matrix.length; t++) if (matrix[t] <= eps) m++;
  const i = new Uint32Array(m);
  const j = new Uint32Array(m);
  const d = new Float32Array(m);
  let w = 0;
  let at = 0;
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++, at++) {
      const v = matrix[at];
      if (v <= eps) {
        i[w] = a;
        j[w] = b;
        d[w++] = v;
      }
    }
  }
  return buildNeighbourGraph(n, { i, j, distance: d });
}

export interface ExactDbscanOptions {
  readonly eps: number;
  readonly minPts: number;
  readonly guard?: MatrixGuard;
}

/** The quadratic path end to end: guarded matrix, then DBSCAN (neighbours: d ≤ eps). */
export function exactMatrixDbscan(n: number, distance: IndexDistance, options: ExactDbscanOptions): { labels: Int32Array; matrix: Float32Array } {
  const matrix = computeDistanceMatrix(n, distance, options.guard);
  return { labels: dbscanGraph(matrixNeighbourGraph(matrix, n, options.eps), options.minPts), matrix };
}

/**
 * A distance function over record indices backed by the matrix, for reference implementations
 * that take a dataset and a distance (density-clustering: pass the dataset [0, 1, ..., n − 1]).
 * Note density-clustering's neighbourhood is d < eps (strict), ours d ≤ eps.
 */
export function matrixDistance(matrix: Float32Array, n: number): (a: number, b: number) => number {
  return (a, b) => (a === b ? 0 : matrix[condensedIndex(a, b, n)]);
}

/** Neighbours of record i (j ≠ i with d ≤ eps) from the matrix: a NeighbourFunction for `dbscanWithNeighbours`. */
export function matrixNeighbours(matrix: Float32Array, n: number, eps: number): (i: number) => number[] {
  return (i) => {
    const out: number[] = [];
    for (let j = 0; j < n; j++) if (j !== i && matrix[condensedIndex(i, j, n)] <= eps) out.push(j);
    return out;
  };
}
