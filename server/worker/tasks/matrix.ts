/**
 * Tasks of the study's exact path: `distanceRows` fills rows [from, to) of the condensed distance
 * matrix (1 − identity, full edit distances) in shared memory; `matrixCluster` runs DBSCAN on it.
 */
import { sequenceIdentity } from '../../engine/cluster/identity';
import { dbscanGraph } from '../../engine/cluster/dbscan';
import { condensedIndex, matrixNeighbourGraph } from '../../engine/cluster/exactMatrix';
import { graphMedoids } from '../../engine/cluster/representatives';
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
  /** Record abundances (`;size=N`): the medoids' tie-break. */
  abundance?: Int32Array;
}

/** Labels, and each cluster's representative (the medoid by the eps-graph, as on the LSH path) with every member's exact identity to it, read off the matrix. */
export function matrixClusterTask(p: MatrixClusterPayload, ctx: TaskContext): { labels: Int32Array; edges: number; representative: Int32Array; identity: Float32Array } {
  const graph = matrixNeighbourGraph(p.matrix, p.n, p.eps);
  ctx.throwIfCancelled();
  const labels = dbscanGraph(graph, p.minPts);
  const { representative, identity } = graphMedoids(graph, labels, p.abundance);
  for (let v = 0; v < p.n; v++) {
    const r = representative[v];
    if (r >= 0 && r !== v) identity[v] = 1 - p.matrix[condensedIndex(Math.min(v, r), Math.max(v, r), p.n)];
  }
  ctx.transferResult(labels.buffer as ArrayBuffer, representative.buffer as ArrayBuffer, identity.buffer as ArrayBuffer);
  return { labels, edges: graph.neighbours.length / 2, representative, identity };
}
