/** Entry point of each worker thread (bundled to dist/worker.js): serves the registered tasks. */
import { tasks } from './tasks';
import { serveTasks } from './workerRuntime';

serveTasks(tasks);
