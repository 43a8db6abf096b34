/**
 * The shape of a task that runs in a worker thread. A task is a function `(payload, ctx) → result`
 * registered under a name in registry.ts; the pool runs it by that name.
 */
import type { Transferable } from 'node:worker_threads';
import type { TaskProgress } from './messages';

export interface TaskContext {
  /** True once the caller has cancelled. Cheap (an atomic load): poll it in inner loops. */
  isCancelled(): boolean;
  /** Throws a `CancelledError` when cancelled. */
  throwIfCancelled(): void;
  /**
   * Reports progress to the caller's `onProgress`. Throttled (a report at most every 100 ms, plus
   * the final `done === total` one), so calling it once per item is fine. A report carrying
   * `data` (structured, e.g. training metrics) is never dropped: the task paces those itself.
   */
  progress(done: number, total: number, message?: string, data?: unknown): void;
  /** Moves these buffers to the caller with the result instead of copying them. */
  transferResult(...buffers: Transferable[]): void;
}

export type TaskHandler = (payload: unknown, ctx: TaskContext) => unknown;

/** Task name → handler. */
export type TaskRegistry = Readonly<Record<string, TaskHandler>>;

export type { TaskProgress };
