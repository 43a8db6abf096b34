/**
 * Tasks of the UMAP layout:
 * - `umap`: a whole fit in this worker, epoch by epoch, reporting progress after each epoch (the
 *   pool throttles the messages) and stopping at the next epoch when cancelled. Returns the
 *   n·nComponents map (moved, not copied).
 * - `umapPrepare` + `umapLayout` (the map over several threads, server/jobs/mapLayout.ts): the
 *   first builds the fit (graph, edges, random start, partitions: engine/embed/umap.ts
 *   prepareUmap) on SharedArrayBuffers and returns it; then one `umapLayout` per thread shares
 *   its epochs (engine/embed/parallelLayout.ts). Role 0 reports progress. Any of them cancelled
 *   stops them all (the shared stop flag). The map is the same whatever the number of threads.
 */
import { runLayoutShare } from '../../engine/embed/parallelLayout';
import type { LayoutState } from '../../engine/embed/layout';
import { prepareUmap, UmapFit, type KnnGraph, type UmapOptions, type UmapSetup } from '../../engine/embed/umap';
import { CancelledError } from '../errors';
import type { TaskContext } from '../taskContext';

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

export function umapTask({ knn, options = {} }: UmapPayload, ctx: TaskContext): UmapResult {
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

/** The fit, on SharedArrayBuffers, for `umapLayout` tasks. */
export function umapPrepareTask({ knn, options = {} }: UmapPayload): UmapSetup {
  return prepareUmap(knn, options, true).setup;
}

export interface UmapLayoutPayload {
  state: LayoutState;
  /** engine/embed/parallelLayout.ts createLayoutControl(), one per fit. */
  control: Int32Array;
  /** 0 reports progress. */
  role: number;
}

/** Shares the epochs of a prepared fit; the map is in state.published when every such task has returned. */
export function umapLayoutTask({ state, control, role }: UmapLayoutPayload, ctx: TaskContext): { stopped: boolean } {
  const nEpochs = state.params.nEpochs;
  if (role === 0) ctx.progress(0, nEpochs, 'UMAP: optimising the layout');
  const outcome = runLayoutShare(state, control, {
    shouldStop: () => ctx.isCancelled(),
    ...(role === 0 ? { onEpoch: (done: number) => ctx.progress(done, nEpochs, `UMAP epoch ${done}/${nEpochs}`) } : {}),
  });
  if (outcome === 'stopped' && ctx.isCancelled()) throw new CancelledError('The UMAP layout was cancelled.');
  return { stopped: outcome === 'stopped' };
}
