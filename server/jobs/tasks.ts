/**
 * Every task a worker can run, by name. A new kind of heavy work (verifyPairs, cluster, train, ...)
 * is a handler in tasks/ and one line here; callers run it with `pool.run('<name>', payload)`.
 */
import type { TaskRegistry } from './task';
import { compareTask } from './tasks/compare';

export const tasks: TaskRegistry = {
  compare: compareTask,
};
