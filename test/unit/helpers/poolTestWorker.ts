/**
 * Worker entry for test/unit/pool.test.ts, bundled by that test: the real worker runtime serving
 * tasks that sleep, spin, ignore cancellation, fail, crash, report progress and move buffers.
 */
import { threadId } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { serveTasks } from '../../../server/worker/workerRuntime';
import type { TaskContext, TaskRegistry } from '../../../server/worker/taskContext';

export const tasks = {
  echo: (payload: unknown) => payload,
  /** Stands in for V8's exposed gc: counts the collections the pool asks for. */
  spyGc: (_: null) => {
    const g = globalThis as { gc?: () => void; gcCalls?: number };
    g.gcCalls = 0;
    g.gc = () => void (g.gcCalls = (g.gcCalls ?? 0) + 1);
    return true;
  },
  gcCalls: (_: null) => (globalThis as { gcCalls?: number }).gcCalls ?? 0,
  threadId: (_: null) => threadId,
  sleep: async ({ ms }: { ms: number }) => {
    await sleep(ms);
    return threadId;
  },
  /** Busy until cancelled (checked cooperatively) or `ms` passed; returns the thread id. */
  spin: ({ ms }: { ms?: number }, ctx: TaskContext) => {
    const until = Date.now() + (ms ?? 60_000);
    while (Date.now() < until) ctx.throwIfCancelled();
    return threadId;
  },
  /** Opens a file: a FIFO without a writer blocks the open in the thread pool, where terminate() cannot reach. */
  readFile: async ({ path }: { path: string }) => (await readFile(path)).length,
  /** Never looks at the cancellation flag: only termination stops it. */
  stubborn: (_: null) => {
    for (;;) {
      /* spin */
    }
  },
  fail: ({ name, message }: { name: string; message: string }) => {
    throw Object.assign(new Error(message), { name });
  },
  exit: ({ code }: { code: number }) => process.exit(code),
  throwLater: (_: null) =>
    new Promise(() => {
      setTimeout(() => {
        throw new Error('boom from a timer');
      }, 0);
    }),
  progress: async ({ steps }: { steps: number }, ctx: TaskContext) => {
    for (let i = 1; i <= steps; i++) {
      ctx.progress(i, steps, `step ${i}`);
      await sleep(30);
    }
    return steps;
  },
  byteLength: (buffer: ArrayBuffer) => buffer.byteLength,
  makeBuffer: ({ n }: { n: number }, ctx: TaskContext) => {
    const data = new Float64Array(n).map((_, i) => i);
    ctx.transferResult(data.buffer);
    return data;
  },
  log: (_: null) => {
    console.log('hello from the worker');
    console.error('a warning from the worker');
    return 'logged';
  },
} satisfies TaskRegistry;

/** The pool test's task map (imported there as a type: the WorkerPool it makes is typed by it). */
export type PoolTestTasks = typeof tasks;

serveTasks(tasks);
