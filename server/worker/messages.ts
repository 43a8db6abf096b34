/** What the pool and its workers say to each other (see errors.ts for how errors cross). */
import type { ErrorInfo } from './errors';

/** Progress a task reports: `done` of `total` units, with an optional human-readable note. */
export interface TaskProgress {
  done: number;
  total: number;
  message?: string;
  /** Structured payload for the caller (e.g. training metrics); must be cloneable. */
  data?: unknown;
}

/** Pool → worker. */
export interface RunMessage {
  type: 'run';
  id: number;
  task: string;
  payload: unknown;
  /** Int32Array view of a SharedArrayBuffer; index 0 becomes non-zero when the task is cancelled. */
  cancelFlag: Int32Array;
}

/**
 * Pool → worker: a full garbage collection before the next task, where the process exposes V8's
 * `gc` (the CLI's clustering; a no-op elsewhere). Shared arrays a stage has finished with are
 * freed only when every thread has collected its views of them.
 */
export interface CollectMessage {
  type: 'collect';
}

/** Worker → pool. */
export type WorkerMessage =
  /** cpuSeconds: the task's CPU time on its worker thread (threadCpu.ts; NaN where unknown). */
  | { type: 'result'; id: number; value: unknown; cpuSeconds: number }
  | { type: 'error'; id: number; error: ErrorInfo; cpuSeconds: number }
  | { type: 'progress'; id: number; progress: TaskProgress }
  /** What the worker wrote to its stdout/stderr (console.log included), one line per message. */
  | { type: 'log'; stream: 'stdout' | 'stderr'; line: string };

