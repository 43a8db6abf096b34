// Worker entry for the umap task and embedMap tests (bundled there with esbuild): the real worker
// runtime serving the tasks the map needs, so the tests do not depend on a fresh dist/worker.js.
import { nnDescentTask } from '../../../server/worker/tasks/nnDescent';
import { umapLayoutTask, umapPrepareTask, umapTask } from '../../../server/worker/tasks/umap';
import { vectorTasks } from '../../../server/worker/tasks/vectorKnn';
import { serveTasks } from '../../../server/worker/workerRuntime';

serveTasks({ umap: umapTask, umapPrepare: umapPrepareTask, umapLayout: umapLayoutTask, ...vectorTasks, nnDescent: nnDescentTask });
