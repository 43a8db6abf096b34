// Worker entry for umapTask.test.ts (bundled there with esbuild): the real worker runtime serving
// the umap task, so the test does not depend on a fresh dist/worker.js.
import { umapTask } from '../../../server/jobs/tasks/umap';
import { serveTasks } from '../../../server/jobs/workerRuntime';

serveTasks({ umap: umapTask });
