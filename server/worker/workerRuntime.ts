/**
 * The worker side of the pool: receives `run` messages, dispatches them by task name to a
 * registry, and posts back the result, the error, or progress. One task at a time per worker
 * (the pool never sends a second before the first has answered).
 */
import { parentPort, type MessagePort, type Transferable } from 'node:worker_threads';
import { CancelledError, toErrorInfo } from './errors';
import type { CollectMessage, RunMessage, WorkerMessage } from './messages';
import type { TaskContext, TaskRegistry } from './taskContext';
import { threadCpuSeconds } from './threadCpu';

const PROGRESS_INTERVAL_MS = 100;

export function serveTasks(tasks: TaskRegistry): void {
  const port = parentPort;
  if (!port) throw new Error('serveTasks() must run inside a worker thread.');
  captureOutput(port);
  port.on('message', (message: RunMessage | CollectMessage) => {
    if (message.type === 'collect') (globalThis as { gc?: () => void }).gc?.();
    else void runTask(port, tasks, message);
  });
}

/**
 * Sends what the worker writes to stdout/stderr (console.log included) to the pool as messages.
 * A worker's own stdout would otherwise go to the host's stdout, which under `--stdio` carries
 * the LSP stream; and reading the worker's stdio streams from the pool would keep an idle
 * worker, and so the process, alive.
 */
function captureOutput(port: MessagePort): void {
  for (const stream of ['stdout', 'stderr'] as const) {
    const target = process[stream];
    target.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
      for (const line of text.replace(/\r?\n$/, '').split(/\r?\n/)) port.postMessage({ type: 'log', stream, line } satisfies WorkerMessage);
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') (done as () => void)();
      return true;
    }) as typeof target.write;
  }
}

async function runTask(port: MessagePort, tasks: TaskRegistry, message: RunMessage): Promise<void> {
  const { id, task, payload, cancelFlag } = message;
  const cpuAtStart = threadCpuSeconds();
  const resultTransfer: Transferable[] = [];
  let lastProgressAt = 0;
  const post = (reply: WorkerMessage, transfer?: Transferable[]) => port.postMessage(reply, transfer);

  const ctx: TaskContext = {
    isCancelled: () => Atomics.load(cancelFlag, 0) !== 0,
    throwIfCancelled: () => {
      if (Atomics.load(cancelFlag, 0) !== 0) throw new CancelledError();
    },
    progress: (done, total, note, data) => {
      const now = Date.now();
      if (data === undefined && done < total && now - lastProgressAt < PROGRESS_INTERVAL_MS) return;
      lastProgressAt = now;
      post({ type: 'progress', id, progress: { done, total, ...(note !== undefined ? { message: note } : {}), ...(data !== undefined ? { data } : {}) } });
    },
    transferResult: (...buffers) => {
      resultTransfer.push(...buffers);
    },
  };

  try {
    const handler = Object.hasOwn(tasks, task) ? tasks[task] : undefined;
    if (!handler) {
      throw Object.assign(new Error(`Unknown task '${task}'. Known tasks: ${Object.keys(tasks).sort().join(', ') || '(none)'}.`), {
        name: 'UnknownTaskError',
      });
    }
    // The one unchecked step: the pool's typed `run` sent this payload under this task's name.
    const value = await (handler as (payload: unknown, ctx: TaskContext) => unknown)(payload, ctx);
    post({ type: 'result', id, value, cpuSeconds: threadCpuSeconds() - cpuAtStart }, resultTransfer);
  } catch (err) {
    // Also reached when the result cannot be cloned (DataCloneError): the caller gets that error.
    post({ type: 'error', id, error: toErrorInfo(err), cpuSeconds: threadCpuSeconds() - cpuAtStart });
  }
}
