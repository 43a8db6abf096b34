/**
 * Every task a worker can run, by name: the one task map of the product. A new kind of heavy work
 * (verifyPairs, cluster, train, ...) is a handler in tasks/ and one line here; callers run it with
 * `pool.run('<name>', payload)`, typed by {@link Tasks}. The host imports this module as a type
 * only, so the server bundle does not pull in the tasks (and the engine code they run).
 */
import type { TaskContext, TaskRegistry } from './taskContext';
import { candidatesTask, collectCandidatesTask, localityOrderTask, lshBandsTask, lshBoundsTask, lshSelectTask, markCandidatesTask, mergeChoicesTask } from './tasks/candidates';
import { compareTask } from './tasks/compare';
import { clusterBuiltGraphTask, graphClusterTask, graphKeepTask, graphRowCountsTask, graphRowsTask } from './tasks/graphCluster';
import { contentKeysTask, crossLeaksTask } from './tasks/leaks';
import { loadDatasetTask } from './tasks/loadDataset';
import { inflateChunksTask, parseChunkTask } from './tasks/readChunks';
import { nnDescentTask } from './tasks/nnDescent';
import { contentHashTask, hogRowsTask, loadVectorsTask } from './tasks/loadVectors';
import { profilesTask } from './tasks/profiles';
import { distanceRowsTask, matrixClusterTask } from './tasks/matrix';
import { similarTask } from './tasks/similar';
import { sketchTask } from './tasks/sketch';
import { umapLayoutTask, umapPrepareTask, umapTask } from './tasks/umap';
import { vectorTasks } from './tasks/vectorKnn';
import { identityPairsTask, verifyTask } from './tasks/verify';

/**
 * A task whose module is loaded on its first run, not with the worker: the model tasks import
 * TensorFlow.js, whose evaluation cost every worker ~25 MB (RSS) though clustering and search
 * never touch it. esbuild keeps a dynamic import in the bundle but runs the module's code only
 * when it is first imported.
 */
function lazyTask<P, R>(load: () => Promise<(payload: P, ctx: TaskContext) => R>): (payload: P, ctx: TaskContext) => Promise<Awaited<R>> {
  return async (payload, ctx): Promise<Awaited<R>> => await (await load())(payload, ctx);
}

export const tasks = {
  compare: compareTask,
  loadDataset: loadDatasetTask,
  inflateChunks: inflateChunksTask,
  parseChunk: parseChunkTask,
  loadVectors: loadVectorsTask,
  hogRows: hogRowsTask,
  contentHash: contentHashTask,
  profiles: profilesTask,
  sketch: sketchTask,
  localityOrder: localityOrderTask,
  lshBands: lshBandsTask,
  lshCandidates: candidatesTask,
  markCandidates: markCandidatesTask,
  collectCandidates: collectCandidatesTask,
  lshBounds: lshBoundsTask,
  lshSelect: lshSelectTask,
  mergeChoices: mergeChoicesTask,
  verifyPairs: verifyTask,
  identityPairs: identityPairsTask,
  graphCluster: graphClusterTask,
  graphRowCounts: graphRowCountsTask,
  graphRows: graphRowsTask,
  graphKeep: graphKeepTask,
  clusterBuiltGraph: clusterBuiltGraphTask,
  distanceRows: distanceRowsTask,
  matrixCluster: matrixClusterTask,
  similarQuery: similarTask,
  contentKeys: contentKeysTask,
  crossLeaks: crossLeaksTask,
  // vectorKnn, vectorKnnShare, vectorKnnSymmetric, vectorKnnMerge, vectorRange, vectorNearestWithin, vectorGridCluster, vectorGraphDbscan, vectorCommunity, vectorCovariance, vectorBasis, vectorProjectRows, vectorKnnProjected
  ...vectorTasks,
  nnDescent: nnDescentTask,
  umap: umapTask,
  umapPrepare: umapPrepareTask,
  umapLayout: umapLayoutTask,
  train: lazyTask(async () => (await import('./tasks/train.js')).trainTask),
  trainPrepare: lazyTask(async () => (await import('./tasks/train.js')).trainPrepareTask),
  trainFollower: lazyTask(async () => (await import('./tasks/train.js')).trainFollowerTask),
  embedModel: lazyTask(async () => (await import('./tasks/embedModel.js')).embedModelTask),
} satisfies TaskRegistry;

/** The task map the host's WorkerPool is typed by. */
export type Tasks = typeof tasks;
