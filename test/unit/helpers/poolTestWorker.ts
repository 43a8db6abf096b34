/**
 * Worker entry for test/unit/pool.test.ts, bundled by that test: the real worker runtime serving
 * tasks that sleep, spin, ignore cancellation, fail, crash, report progress and move buffers.
 */
import { threadId } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { serveTasks } from '../../../server/worker/workerRuntime';
import type { TaskRegistry } from '../../../server/worker/taskContext';

const tasks: TaskRegistry = {
  echo: (payload) => payload,
  threadId: () => threadId,
  sleep: async (payload) => {
    await sleep((payload as { ms: number }).ms);
    return threadId;
  },
  /** Busy until cancelled (checked cooperatively) or `ms` passed; returns the thread id. */
  spin: (payload, ctx) => {
    const until = Date.now() + ((payload as { ms?: number }).ms ?? 60_000);
    while (Date.now() < until) ctx.throwIfCancelled();
    return threadId;
  },
  /** Never looks at the cancellation flag: only termination stops it. */
  stubborn: () => {
    for (;;) {
      /* spin */
    }
  },
  fail: (payload) => {
    const { name, message } = payload as { name: string; message: string };
    throw Object.assign(new Error(message), { name });
  },
  exit: (payload) => process.exit((payload as { code: number }).code),
  throwLater: () =>
    new Promise(() => {
      setTimeout(() => {
        throw new Error('boom from a timer');
      }, 0);
    }),
  progress: async (payload, ctx) => {
    const { steps } = payload as { steps: number };
    for (let i = 1; i <= steps; i++) {
      ctx.progress(i, steps, `step ${i}`);
      await sleep(30);
    }
    return steps;
  },
  byteLength: (payload) => (payload as ArrayBuffer).byteLength,
  makeBuffer: (payload, ctx) => {
    const data = new Float64Array((payload as { n: number }).n).map((_, i) => i);
    ctx.transferResult(data.buffer);
    return data;
  },
  log: () => {
    console.log('hello from the worker');
    console.error('a warning from the worker');
    return 'logged';
  },
};

serveTasks(tasks);
