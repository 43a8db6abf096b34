/**
 * A pool of worker threads that runs named tasks (see worker/registry.ts) off the calling thread.
 *
 * - Typed by a task map (default: the product's, worker/registry.ts): `run('sketch', payload)`
 *   checks the payload against the task's parameter and resolves with the task's result type.
 * - Workers start on demand, up to `size` (default: the machine's available parallelism); a task
 *   waits in a FIFO queue while all are busy.
 * - Cancellation is cooperative first: aborting a running task sets a flag in a SharedArrayBuffer
 *   that the task polls (`ctx.isCancelled()` / `ctx.throwIfCancelled()`). The caller's promise
 *   rejects at once with a `CancelledError`; if the task has not stopped within the grace period,
 *   its worker is terminated and a new one takes its place when next needed (at once: a worker stuck
 *   in a system call may never exit, and the pool does not wait for it).
 * - A worker that dies (uncaught error, `process.exit`, out of memory) rejects its task with a
 *   `WorkerCrashedError` and is replaced on demand.
 * - Errors thrown by a task come back as a `TaskError` with the original name and message.
 * - Idle workers are unref'd: an idle pool never keeps the process alive.
 */
import { setMaxListeners } from 'node:events';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker, type ResourceLimits, type Transferable } from 'node:worker_threads';
import { CancelledError } from '../worker/errors';
import { PoolDisposedError, TaskError, WorkerCrashedError } from './errors';
import type { CollectMessage, RunMessage, TaskProgress, WorkerMessage } from '../worker/messages';
// Types only: the tasks themselves run in the workers and stay out of the host's bundle.
import type { Tasks } from '../worker/registry';
import type { TaskPayload, TaskRegistry, TaskResult } from '../worker/taskContext';

export type { TaskProgress };

export interface PoolOptions {
  /** Number of worker threads; default `os.availableParallelism()`, at least 1. */
  size?: number;
  /** The worker script; default `worker.js` next to the running bundle. */
  workerFile?: string;
  /** How long a cancelled task may keep running before its worker is terminated; default 2000 ms. */
  cancelGraceMs?: number;
  /** Environment of the workers; default a copy of `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Node flags of the workers; default those of this process. */
  execArgv?: string[];
  resourceLimits?: ResourceLimits;
  /**
   * Where the workers' stdout/stderr lines go; default process.stderr. Never the host's stdout:
   * under `--stdio` that stream carries the LSP messages.
   */
  log?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (progress: TaskProgress) => void;
  /** Buffers in the payload to move to the worker instead of copying (each once; repeats are dropped). */
  transfer?: Transferable[];
  /** Overrides the pool's grace period for this task (0: terminate the worker at once on cancel). */
  cancelGraceMs?: number;
}

export interface PoolStats {
  size: number;
  workers: number;
  busy: number;
  queued: number;
}

interface Job {
  id: number;
  task: string;
  payload: unknown;
  options: RunOptions;
  cancelFlag: Int32Array;
  settled: boolean;
  resolve(value: unknown): void;
  reject(err: Error): void;
  detachAbort(): void;
}

interface Slot {
  worker: Worker;
  /** The worker's number (its thread's name), for workerCpuSeconds. */
  number: number;
  job: Job | undefined;
  /** Set once terminate() was called: the slot takes no more jobs. */
  terminating: boolean;
  graceTimer: NodeJS.Timeout | undefined;
  lastError: Error | undefined;
}

const DEFAULT_GRACE_MS = 2000;
/** How long `dispose()` waits for its workers to exit. */
const DISPOSE_WAIT_MS = 5000;

/** `R`: the tasks the workers serve; a test pool with test-only tasks passes its own map. */
export class WorkerPool<R extends TaskRegistry = Tasks> {
  readonly size: number;
  private readonly workerFile: string;
  private readonly graceMs: number;
  private readonly options: PoolOptions;
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private nextId = 1;
  private nextWorker = 1;
  private disposed = false;
  /** CPU seconds of the tasks each worker (by its number) has finished, on its own thread. */
  private readonly cpuByWorker = new Map<number, number>();

  constructor(options: PoolOptions = {}) {
    this.options = options;
    const parallelism = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    this.size = Math.max(1, Math.floor(options.size ?? parallelism));
    this.graceMs = Math.max(0, options.cancelGraceMs ?? DEFAULT_GRACE_MS);
    this.workerFile = options.workerFile ?? path.join(__dirname, 'worker.js');
    if (!existsSync(this.workerFile)) {
      throw new Error(`Worker script not found: ${this.workerFile} (build it with \`node esbuild.mjs\`).`);
    }
  }

  /** Runs `task` with `payload` in a worker; resolves with what the task returns. */
  run<K extends keyof R & string>(task: K, payload: TaskPayload<R, K>, options: RunOptions = {}): Promise<TaskResult<R, K>> {
    if (this.disposed) return Promise.reject(new PoolDisposedError('The worker pool has been disposed.'));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new CancelledError(`Task '${task}' was cancelled before it started.`));

    return new Promise<TaskResult<R, K>>((resolve, reject) => {
      const job: Job = {
        id: this.nextId++,
        task,
        payload,
        options,
        cancelFlag: new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)),
        settled: false,
        resolve: (value) => {
          if (job.settled) return;
          job.settled = true;
          job.detachAbort();
          // The worker answered with what this task returned (structured clone keeps the shape).
          resolve(value as TaskResult<R, K>);
        },
        reject: (err) => {
          if (job.settled) return;
          job.settled = true;
          job.detachAbort();
          reject(err);
        },
        detachAbort: () => undefined,
      };
      if (signal) {
        // One caller's signal usually covers many tasks (a job fanned out in chunks): each adds a
        // listener, removed when it settles. Not a leak, so no MaxListenersExceededWarning.
        setMaxListeners(0, signal);
        const onAbort = () => this.cancel(job);
        signal.addEventListener('abort', onAbort, { once: true });
        job.detachAbort = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(job);
      this.pump();
    });
  }

  /**
   * CPU seconds each worker (by number, workers that ended included) has spent on its finished
   * tasks, measured on its own thread: what a stage cost each worker whatever else ran on the
   * machine — the sum over the busiest is the stage's parallelism on free cores. A copy.
   */
  get workerCpuSeconds(): Map<number, number> {
    return new Map(this.cpuByWorker);
  }

  get stats(): PoolStats {
    let busy = 0;
    for (const slot of this.slots) if (slot.job && !slot.terminating) busy++;
    return { size: this.size, workers: this.liveSlots(), busy, queued: this.queue.length };
  }

  /**
   * Asks every started worker for a full garbage collection before its next task (messages keep
   * their order): where the process exposes V8's `gc`, the views of shared arrays a finished
   * stage left in the workers' heaps are collected, and the memory freed. Else a no-op.
   */
  collectGarbage(): void {
    for (const slot of this.slots) if (!slot.terminating) slot.worker.postMessage({ type: 'collect' } satisfies CollectMessage);
  }

  /** Rejects queued and running tasks and terminates every worker. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const error = () => new PoolDisposedError('The worker pool was disposed while the task was pending.');
    for (const job of this.queue.splice(0)) job.reject(error());
    const exits: Promise<number>[] = [];
    for (const slot of this.slots) {
      if (slot.job) this.signalCancel(slot.job);
      slot.job?.reject(error());
      slot.terminating = true;
      clearTimeout(slot.graceTimer);
      exits.push(slot.worker.terminate());
    }
    // Idle workers are unref'd, and a terminating worker's handle does not reliably keep the event
    // loop alive (seen on Node 20): without this timer the process could exit with `dispose()` —
    // and whatever its caller does next, such as writing the CLI's --out file — still pending.
    const keepAlive = setInterval(() => undefined, 1000);
    // A worker stuck outside JavaScript may never exit: wait for the others, not for ever for it.
    let giveUp: NodeJS.Timeout | undefined;
    try {
      await Promise.race([Promise.allSettled(exits), new Promise<void>((resolve) => (giveUp = setTimeout(resolve, Math.max(DISPOSE_WAIT_MS, this.graceMs))))]);
    } finally {
      clearTimeout(giveUp);
      clearInterval(keepAlive);
    }
  }

  private cancel(job: Job): void {
    if (job.settled) return;
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      job.reject(new CancelledError(`Task '${job.task}' was cancelled before it started.`));
      this.updateRefs();
      return;
    }
    this.signalCancel(job);
    job.reject(new CancelledError(`Task '${job.task}' was cancelled.`));
    const slot = this.slotOf(job);
    if (!slot) return;
    this.updateRefs();
    const grace = Math.max(0, job.options.cancelGraceMs ?? this.graceMs);
    if (grace === 0) {
      this.terminate(slot);
    } else {
      slot.graceTimer = setTimeout(() => {
        if (slot.job === job) this.terminate(slot);
      }, grace);
      slot.graceTimer.unref();
    }
  }

  private signalCancel(job: Job): void {
    Atomics.store(job.cancelFlag, 0, 1);
    Atomics.notify(job.cancelFlag, 0);
  }

  private slotOf(job: Job): Slot | undefined {
    for (const slot of this.slots) if (slot.job === job) return slot;
    return undefined;
  }

  private terminate(slot: Slot): void {
    if (slot.terminating) return;
    slot.terminating = true;
    clearTimeout(slot.graceTimer);
    // The 'exit' handler removes the slot; the queue moves on at once, on a new worker (liveSlots).
    slot.worker.terminate().catch(() => undefined);
    this.pump();
  }

  /** Hands queued jobs to idle workers, starting workers up to `size`. */
  private pump(): void {
    while (this.queue.length > 0 && !this.disposed) {
      let slot = this.idleSlot();
      if (!slot) {
        if (this.liveSlots() >= this.size) break;
        try {
          slot = this.spawn();
        } catch (err) {
          const job = this.queue.shift();
          job?.reject(new WorkerCrashedError(`Could not start a worker (${this.workerFile}): ${describe(err)}`));
          continue;
        }
      }
      const job = this.queue.shift();
      if (!job) break;
      this.start(slot, job);
    }
    this.updateRefs();
  }

  /**
   * A worker keeps the process alive only while someone waits on it: it runs a task whose caller
   * waits, or tasks are queued behind it. A cancelled task still running, or an idle worker,
   * does not.
   */
  private updateRefs(): void {
    const queued = this.queue.length > 0;
    for (const slot of this.slots) {
      // A terminating worker is awaited by no one: the queue no longer waits for its exit (see liveSlots).
      const awaited = !slot.terminating && ((slot.job !== undefined && !slot.job.settled) || (queued && slot.job !== undefined));
      if (awaited) slot.worker.ref();
      else slot.worker.unref();
    }
  }

  /**
   * Workers that count towards `size`: not those being terminated. A terminated worker whose thread
   * is stuck outside JavaScript (an `open()` of a FIFO in the thread pool) may never emit 'exit';
   * waiting for it would leave the pool one worker short for good — with one worker, dead.
   */
  private liveSlots(): number {
    let live = 0;
    for (const slot of this.slots) if (!slot.terminating) live++;
    return live;
  }

  private idleSlot(): Slot | undefined {
    for (const slot of this.slots) if (!slot.job && !slot.terminating) return slot;
    return undefined;
  }

  private start(slot: Slot, job: Job): void {
    const message: RunMessage = { type: 'run', id: job.id, task: job.task, payload: job.payload, cancelFlag: job.cancelFlag };
    try {
      // postMessage refuses a transfer list that names a buffer twice: views of one buffer are common.
      const transfer = job.options.transfer && [...new Set(job.options.transfer)];
      slot.worker.postMessage(message, transfer);
    } catch (err) {
      // The payload could not be cloned; the worker is untouched and stays idle.
      job.reject(Object.assign(new Error(`Cannot send the payload of task '${job.task}' to a worker: ${describe(err)}`), { name: 'DataCloneError' }));
      return;
    }
    slot.job = job;
  }

  private spawn(): Slot {
    const number = this.nextWorker++;
    const worker = new Worker(this.workerFile, {
      name: `simlab-worker-${number}`,
      env: this.options.env ?? { ...process.env },
      ...(this.options.execArgv ? { execArgv: this.options.execArgv } : {}),
      // The runtime sends the worker's output as 'log' messages; these streams stay unread.
      stdout: true,
      stderr: true,
      ...(this.options.resourceLimits ? { resourceLimits: this.options.resourceLimits } : {}),
    });
    const slot: Slot = { worker, number, job: undefined, terminating: false, graceTimer: undefined, lastError: undefined };
    this.slots.add(slot);
    worker.on('message', (message: WorkerMessage) => this.onMessage(slot, message));
    worker.on('messageerror', (err) => {
      const job = slot.job;
      if (!job) return;
      job.reject(new WorkerCrashedError(`A message from the worker running task '${job.task}' could not be read: ${err.message}`));
      this.release(slot);
    });
    worker.on('error', (err) => {
      slot.lastError = err;
    });
    worker.on('exit', (code) => this.onExit(slot, code));
    return slot;
  }

  private onMessage(slot: Slot, message: WorkerMessage): void {
    if (message.type === 'log') {
      this.log(message.line, message.stream);
      return;
    }
    const job = slot.job;
    if (!job || job.id !== message.id) return;
    switch (message.type) {
      case 'progress':
        if (!job.settled && job.options.onProgress) {
          try {
            job.options.onProgress(message.progress);
          } catch (err) {
            this.log(`onProgress of task '${job.task}' threw: ${describe(err)}`, 'stderr');
          }
        }
        return;
      case 'result':
        this.addCpu(slot, message.cpuSeconds);
        job.resolve(message.value);
        break;
      case 'error':
        this.addCpu(slot, message.cpuSeconds);
        job.reject(new TaskError(message.error, job.task));
        break;
    }
    this.release(slot);
  }

  private addCpu(slot: Slot, seconds: number): void {
    if (Number.isFinite(seconds)) this.cpuByWorker.set(slot.number, (this.cpuByWorker.get(slot.number) ?? 0) + seconds);
  }

  /** The slot's job is over: make it available again (unless it is being terminated). */
  private release(slot: Slot): void {
    slot.job = undefined;
    clearTimeout(slot.graceTimer);
    slot.graceTimer = undefined;
    this.pump();
  }

  private onExit(slot: Slot, code: number): void {
    this.slots.delete(slot);
    clearTimeout(slot.graceTimer);
    const job = slot.job;
    slot.job = undefined;
    if (job && !job.settled) {
      const cause = slot.lastError ? `${slot.lastError.name}: ${slot.lastError.message}` : `it exited with code ${code}`;
      job.reject(new WorkerCrashedError(`The worker running task '${job.task}' crashed (${cause}); it has been replaced.`));
    }
    this.pump();
  }

  private log(line: string, stream: 'stdout' | 'stderr'): void {
    if (this.options.log) this.options.log(line, stream);
    else process.stderr.write(`[worker ${stream}] ${line}\n`);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
