/**
 * Task `graphCluster`: verified edges → CSR neighbour graph → (optional) mutual-neighbour
 * refinement → DBSCAN labels. O(n + edges).
 */
import { dbscanGraph } from '../../engine/cluster/dbscan';
import { buildNeighbourGraph } from '../../engine/cluster/graph';
import { mutualNeighbourEdges, type MutualNeighbourOptions } from '../../engine/cluster/mutualNeighbours';
import type { TaskContext } from '../task';

export interface GraphClusterPayload {
  n: number;
  i: Uint32Array;
  j: Uint32Array;
  /** Similarity of each edge (identity); the graph's distance is 1 − similarity. */
  similarity: Float32Array;
  minPts: number;
  mutualNeighbours?: MutualNeighbourOptions;
}

export function graphClusterTask(payload: unknown, ctx: TaskContext): { labels: Int32Array; edgesUsed: number } {
  const p = payload as GraphClusterPayload;
  const distance = new Float32Array(p.similarity.length);
  for (let e = 0; e < distance.length; e++) distance[e] = 1 - p.similarity[e];
  let graph = buildNeighbourGraph(p.n, { i: p.i, j: p.j, distance });
  let edgesUsed = graph.neighbours.length / 2;
  if (p.mutualNeighbours) {
    ctx.throwIfCancelled();
    const dist = graph.distances as Float32Array;
    const sim = new Float32Array(dist.length);
    for (let e = 0; e < dist.length; e++) sim[e] = 1 - dist[e];
    const kept = mutualNeighbourEdges(graph, p.mutualNeighbours, sim);
    graph = buildNeighbourGraph(p.n, kept);
    edgesUsed = kept.i.length;
  }
  ctx.throwIfCancelled();
  const labels = dbscanGraph(graph, p.minPts);
  ctx.transferResult(labels.buffer as ArrayBuffer);
  return { labels, edgesUsed };
}
