/**
 * Tasks of the study's exact path: `distanceRows` fills rows [from, to) of the condensed distance
 * matrix (1 − identity, full edit distances) in shared memory; `matrixCluster` runs DBSCAN on it.
 */
import { sequenceIdentity } from '../../engine/cluster/identity';
import { dbscanGraph } from '../../engine/cluster/dbscan';
import { condensedIndex, matrixNeighbourGraph } from '../../engine/cluster/exactMatrix';
import { symbolsAt, type PackedSymbols } from '../packedSymbols';
import type { TaskContext } from '../taskContext';

export interface DistanceRowsPayload {
  packed: PackedSymbols;
  /** Shared condensed Float32Array(n(n − 1)/2). */
  matrix: Float32Array;
  n: number;
  from: number;
  to: number;
}

export function distanceRowsTask(p: DistanceRowsPayload, ctx: TaskContext): { pairs: number } {
  let pairs = 0;
  let total = 0;
  for (let i = p.from; i < p.to; i++) total += p.n - 1 - i;
  for (let i = p.from; i < p.to; i++) {
    ctx.throwIfCancelled();
    const a = symbolsAt(p.packed, i);
    let at = condensedIndex(i, i + 1, p.n);
    for (let j = i + 1; j < p.n; j++) p.matrix[at++] = 1 - sequenceIdentity(a, symbolsAt(p.packed, j));
    pairs += p.n - 1 - i;
    ctx.progress(pairs, total);
  }
  return { pairs };
}

export interface MatrixClusterPayload {
  matrix: Float32Array;
  n: number;
  eps: number;
  minPts: number;
}

export function matrixClusterTask(p: MatrixClusterPayload, ctx: TaskContext): { labels: Int32Array; edges: number } {
  const graph = matrixNeighbourGraph(p.matrix, p.n, p.eps);
  ctx.throwIfCancelled();
  const labels = dbscanGraph(graph, p.minPts);
  ctx.transferResult(labels.buffer as ArrayBuffer);
  return { labels, edges: graph.neighbours.length / 2 };
}
