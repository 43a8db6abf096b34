/**
 * Task `graphCluster`: verified edges → CSR neighbour graph → (optional) mutual-neighbour
 * refinement → DBSCAN labels. O(n + edges).
 */
import { dbscanGraph } from '../../engine/cluster/dbscan';
import { buildNeighbourGraph } from '../../engine/cluster/graph';
import { mutualNeighbourGraph, type MutualNeighbourOptions } from '../../engine/cluster/mutualNeighbours';
import type { TaskContext } from '../taskContext';

export interface GraphClusterPayload {
  n: number;
  i: Uint32Array;
  j: Uint32Array;
  /** Similarity of each edge (identity); the graph's distance is 1 − similarity. */
  similarity: Float32Array;
  minPts: number;
  mutualNeighbours?: MutualNeighbourOptions;
}

export function graphClusterTask(p: GraphClusterPayload, ctx: TaskContext): { labels: Int32Array; edgesUsed: number } {
  const distance = new Float32Array(p.similarity.length);
  for (let e = 0; e < distance.length; e++) distance[e] = 1 - p.similarity[e];
  let graph = buildNeighbourGraph(p.n, { i: p.i, j: p.j, distance });
  let edgesUsed = graph.neighbours.length / 2;
  if (p.mutualNeighbours) {
    ctx.throwIfCancelled();
    graph = mutualNeighbourGraph(graph, p.mutualNeighbours, (d) => 1 - d);
    edgesUsed = graph.neighbours.length / 2;
  }
  ctx.throwIfCancelled();
  const labels = dbscanGraph(graph, p.minPts);
  ctx.transferResult(labels.buffer as ArrayBuffer);
  return { labels, edgesUsed };
}
