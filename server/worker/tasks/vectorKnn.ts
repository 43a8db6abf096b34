/**
 * Task `vectorKnn`: one slice of the vector neighbour work, run by jobs/vectorSearch.ts over the pool.
 * The data (and any queries) arrive as Float32Array views of SharedArrayBuffers, so no worker
 * copies them. Modes:
 * - `knn`: exact k nearest neighbours of query rows [from, to) (of the data, or of `queries`), or
 *   of the data rows listed in `rows`;
 * - `range`: every data row within eps of query rows [from, to) (`onlyAfter`: j > i only);
 * - `cluster`: clusterVectors with a given eps (the grid path: one worker, O(n));
 * - `graphDbscan`: DBSCAN on the neighbour graph of range results gathered by the caller (with
 *   their distances: on its mutual-neighbour links only, with `mutualNeighbours`; and each
 *   record's `nearest` closest neighbours in the whole graph, with `nearest`);
 * - `project`: the rows projected onto their top principal directions (engine/index/
 *   projectedKnn.ts), or null when this worker has no GEMM;
 * - `knnProjected`: approximate kNN of rows [from, to) from such a projection, re-ranked exactly.
 * Progress per block of queries (per data block on the GEMM path); the pool's cancellation flag
 * is checked at each block. kNN and range queries run on the GEMM of this worker's TensorFlow.js
 * wasm backend (engine/index/knnGemm.ts, initialised on first use) when it loads, else on the
 * JavaScript tiles; both give the same answers.
 */
import { dbscanGraph } from '../../engine/cluster/dbscan';
import { buildNeighbourGraph, nearestInGraph, type WeightedEdges } from '../../engine/cluster/graph';
import { mutualNeighbourGraph } from '../../engine/cluster/mutualNeighbours';
import { clusterVectors } from '../../engine/cluster/vectorClustering';
import { type KnnResult, type MetricOptions, type RangeResult } from '../../engine/index/knnExact';
import { loadGemm } from '../../engine/index/gemm';
import { knnExactFast, rangeQueryFast } from '../../engine/index/knnGemm';
import { knnProjected, projectRows, type Projection } from '../../engine/index/projectedKnn';
import type { TaskContext } from '../taskContext';

interface Common extends MetricOptions {
  data: Float32Array;
  n: number;
  dim: number;
}

export type VectorKnnPayload =
  | (Common & { mode: 'knn'; k: number; from: number; to: number; queries?: Float32Array; rows?: Int32Array; excludeSelf?: boolean })
  | (Common & { mode: 'range'; eps: number; from: number; to: number; queries?: Float32Array; onlyAfter?: boolean; excludeSelf?: boolean })
  | (Common & { mode: 'cluster'; eps: number; minPts: number })
  | { mode: 'graphDbscan'; n: number; minPts: number; i: Uint32Array; j: Uint32Array; distance?: Float32Array; nearest?: number; mutualNeighbours?: number }
  | (Common & { mode: 'project'; components: number; seed: number })
  | (Common & { mode: 'knnProjected'; points: Float32Array; m: number; k: number; candidates: number; from: number; to: number; metric?: 'euclidean' | 'sqeuclidean' });

export type VectorKnnTaskResult = KnnResult | RangeResult | GraphDbscanResult | Projection | null;

export interface GraphDbscanResult {
  labels: Int32Array;
  /** Pairs within eps. */
  edges: number;
  /** With `mutualNeighbours`: the pairs DBSCAN kept. */
  keptEdges?: number;
  nearest?: WeightedEdges;
}

export async function vectorKnnTask(payload: unknown, ctx: TaskContext): Promise<VectorKnnTaskResult> {
  const p = payload as VectorKnnPayload;
  const onProgress = (done: number, total: number) => {
    ctx.throwIfCancelled();
    ctx.progress(done, total);
  };
  switch (p.mode) {
    case 'knn': {
      const metric = metricOf(p);
      const options = p.rows
        ? { ...metric, rows: p.rows, onProgress }
        : p.queries
          ? { ...metric, queries: p.queries.subarray(p.from * p.dim, p.to * p.dim), onProgress }
          : { ...metric, from: p.from, to: p.to, excludeSelf: p.excludeSelf ?? true, onProgress };
      const r = await knnExactFast(p.data, p.n, p.dim, p.k, options);
      ctx.transferResult(r.indices.buffer as ArrayBuffer, r.distances.buffer as ArrayBuffer);
      return r;
    }
    case 'range': {
      const metric = metricOf(p);
      const options = p.queries
        ? { ...metric, queries: p.queries.subarray(p.from * p.dim, p.to * p.dim), onProgress }
        : { ...metric, from: p.from, to: p.to, onlyAfter: p.onlyAfter ?? false, excludeSelf: p.excludeSelf ?? true, onProgress };
      const r = await rangeQueryFast(p.data, p.n, p.dim, p.eps, options);
      ctx.transferResult(r.offsets.buffer as ArrayBuffer, r.neighbours.buffer as ArrayBuffer, r.distances.buffer as ArrayBuffer);
      return r;
    }
    case 'cluster': {
      ctx.progress(0, 1);
      const r = clusterVectors(p.data, p.n, p.dim, { ...metricOf(p), eps: p.eps, minPts: p.minPts });
      ctx.transferResult(r.labels.buffer as ArrayBuffer);
      return { labels: r.labels, edges: r.edges ?? 0 };
    }
    case 'graphDbscan': {
      // Distances come along when the nearest neighbours or the mutual-neighbour refinement need them.
      const graph = buildNeighbourGraph(p.n, { i: p.i, j: p.j, ...(p.distance ? { distance: p.distance } : {}) });
      ctx.throwIfCancelled();
      const kept = p.mutualNeighbours ? mutualNeighbourGraph(graph, { neighbours: p.mutualNeighbours }, (d) => -d) : graph;
      ctx.throwIfCancelled();
      const result: GraphDbscanResult = { labels: dbscanGraph(kept, p.minPts), edges: graph.neighbours.length / 2, ...(kept !== graph ? { keptEdges: kept.neighbours.length / 2 } : {}) };
      const transfer = [result.labels.buffer as ArrayBuffer];
      if (p.nearest !== undefined) {
        ctx.throwIfCancelled();
        // From the whole eps-graph: a record's nearest neighbours need not be mutual ones.
        result.nearest = nearestInGraph(graph, p.nearest);
        transfer.push(result.nearest.i.buffer as ArrayBuffer, result.nearest.j.buffer as ArrayBuffer, result.nearest.distance.buffer as ArrayBuffer);
      }
      ctx.transferResult(...transfer);
      return result;
    }
    case 'project': {
      if (!(await loadGemm())) return null;
      const r = projectRows(p.data, p.n, p.dim, { components: p.components, seed: p.seed });
      ctx.transferResult(r.points.buffer as ArrayBuffer);
      return r;
    }
    case 'knnProjected': {
      const gemm = await loadGemm();
      if (!gemm) throw new Error('vectorKnn: knnProjected needs the GEMM (the wasm backend did not load)');
      const r = knnProjected(gemm, p.data, p.n, p.dim, { points: p.points, m: p.m }, p.k, { candidates: p.candidates, from: p.from, to: p.to, ...(p.metric ? { metric: p.metric } : {}), onProgress });
      ctx.transferResult(r.indices.buffer as ArrayBuffer, r.distances.buffer as ArrayBuffer);
      return r;
    }
    default:
      throw new Error(`vectorKnn: unknown mode '${String((p as { mode: unknown }).mode)}'`);
  }
}

function metricOf(p: MetricOptions): MetricOptions {
  return { metric: p.metric ?? 'euclidean', ...(p.p !== undefined ? { p: p.p } : {}) };
}
