/**
 * Task `umap`: fits UMAP to a precomputed kNN graph in the worker, epoch by epoch, reporting
 * progress after each epoch (the pool throttles the messages) and stopping at the next epoch
 * when cancelled. Returns the n·nComponents map (moved, not copied).
 */
import { UmapFit, type KnnGraph, type UmapOptions } from '../../engine/embed/umap';
import type { TaskContext } from '../task';

/** Everything but the injectable random source, which cannot cross threads: a seed does. */
export type UmapTaskOptions = Omit<UmapOptions, 'random'>;

export interface UmapPayload {
  knn: KnnGraph;
  options?: UmapTaskOptions;
}

export interface UmapResult {
  /** n·nComponents coordinates, row-major. */
  embedding: Float32Array;
  nComponents: number;
  nEpochs: number;
  /** Edges the layout sampled (both directions of each fuzzy-graph edge). */
  edgeCount: number;
}

export function umapTask(payload: unknown, ctx: TaskContext): UmapResult {
  const { knn, options = {} } = payload as UmapPayload;
  const fit = new UmapFit(knn, options);
  ctx.progress(0, fit.nEpochs, 'UMAP: optimising the layout');
  while (!fit.done) {
    ctx.throwIfCancelled();
    const done = fit.step();
    ctx.progress(done, fit.nEpochs, `UMAP epoch ${done}/${fit.nEpochs}`);
  }
  const embedding = fit.embedding;
  ctx.transferResult(embedding.buffer as ArrayBuffer);
  return { embedding, nComponents: fit.nComponents, nEpochs: fit.nEpochs, edgeCount: fit.edgeCount };
}
