/** Entry point of each worker thread (bundled to dist/worker.js): serves the registered tasks. */
import { tasks } from './registry';
import { serveTasks } from './workerRuntime';

serveTasks(tasks);
