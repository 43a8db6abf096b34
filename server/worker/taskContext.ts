/**
 * The shape of a task that runs in a worker thread. A task is a function `(payload, ctx) → result`
 * (or a promise of it) registered under a name in registry.ts; the pool runs it by that name.
 * Each task declares its own payload type, and the pool's `run` takes its payload and result
 * types from the registry ({@link TaskPayload}, {@link TaskResult}): a renamed field fails to
 * compile on both sides of the thread boundary.
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

/**
 * Task name → handler. The payload is `never` here so that a handler of any payload type fits
 * (a parameter is checked the other way round); its real type is the handler's own.
 */
export type TaskRegistry = Readonly<Record<string, (payload: never, ctx: TaskContext) => unknown>>;

/** What task `K` of registry `R` takes. */
export type TaskPayload<R extends TaskRegistry, K extends keyof R> = Parameters<R[K]>[0];

/** What task `K` of registry `R` resolves with. */
export type TaskResult<R extends TaskRegistry, K extends keyof R> = Awaited<ReturnType<R[K]>>;

export type { TaskProgress };
