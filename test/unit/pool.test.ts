/**
 * The worker pool with real threads, running a test worker (helpers/poolTestWorker.ts, bundled
 * here with esbuild): results, queueing, cooperative cancellation, termination of a task that
 * ignores cancellation, crashes, errors that keep their name, progress, transfers, dispose.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { isCancellation, PoolDisposedError, TaskError, WorkerCrashedError } from '../../server/jobs/errors';
import { CancelledError } from '../../server/worker/errors';
import { WorkerPool, type PoolOptions } from '../../server/jobs/pool';
import { bundleTestWorker } from './helpers/bundleWorker';
import type { TaskProgress } from '../../server/worker/messages';
import type { PoolTestTasks } from './helpers/poolTestWorker';

let dir: string;
let workerFile: string;
const pools: WorkerPool<PoolTestTasks>[] = [];

function pool(options: PoolOptions = {}): WorkerPool<PoolTestTasks> {
  // The test worker is plain JS: its threads need not load tsx, which this process runs under.
  const created = new WorkerPool<PoolTestTasks>({ workerFile, execArgv: [], ...options });
  pools.push(created);
  return created;
}

before(async () => {
  ({ dir, workerFile } = await bundleTestWorker({ entry: path.join(__dirname, 'helpers/poolTestWorker.ts') }, { prefix: 'simlab-pool-test-' }));
});

after(async () => {
  await Promise.all(pools.map((p) => p.dispose()));
  rmSync(dir, { recursive: true, force: true });
});

void describe('WorkerPool', () => {
  void test('runs a task in a worker and returns its result', async () => {
    const p = pool({ size: 1 });
    const payload = { text: 'kitten', vector: [1, 2, 3], typed: new Float32Array([0.5, 1.5]) };
    assert.deepEqual(await p.run('echo', payload), payload);
    assert.notEqual(await p.run('threadId', null), 0, 'ran on a worker thread');
  });

  void test('collectGarbage: each worker runs its gc before its next task where gc is exposed, and is a no-op where it is not', async () => {
    const plain = pool({ size: 1 });
    assert.equal(await plain.run('echo', 1), 1);
    plain.collectGarbage();
    assert.equal(await plain.run('echo', 2), 2, 'no gc exposed: tasks run as before');
    const p = pool({ size: 1 });
    assert.equal(await p.run('spyGc', null), true);
    p.collectGarbage();
    p.collectGarbage();
    assert.equal(await p.run('gcCalls', null), 2, 'both collections ran, before the task sent after them');
  });

  void test("counts each worker's CPU time on its own thread (workerCpuSeconds: a busy task adds to it, a copy each time)", async () => {
    const p = pool({ size: 1 });
    assert.deepEqual([...p.workerCpuSeconds], []);
    await p.run('sleep', { ms: 20 });
    const before = p.workerCpuSeconds;
    assert.deepEqual([...before.keys()], [1]);
    assert.ok(before.get(1)! >= 0);
    await p.run('spin', { ms: 400 });
    const after = p.workerCpuSeconds;
    assert.ok(after.get(1)! > before.get(1)!, `CPU ${before.get(1)} → ${after.get(1)} s after 400 ms of spinning`);
    assert.notEqual(after, p.workerCpuSeconds, 'a copy');
  });

  void test('defaults to one worker per available core, at least one', () => {
    const p = pool();
    assert.equal(p.size, Math.max(1, os.availableParallelism()));
    assert.equal(pool({ size: 0 }).size, 1);
  });

  void test('runs up to `size` tasks at once and queues the rest in order', async () => {
    const p = pool({ size: 2 });
    const finished: number[] = [];
    const runs = [0, 1, 2, 3].map((i) => p.run('sleep', { ms: 250 }).then((thread) => (finished.push(i), thread)));
    assert.deepEqual(p.stats, { size: 2, workers: 2, busy: 2, queued: 2 });
    const threads = await Promise.all(runs);
    // The order of events, not their timing: the queued two start only when the first two end.
    assert.deepEqual([...finished.slice(0, 2)].sort(), [0, 1], `finished in the order ${finished.join(', ')}`);
    assert.equal(new Set(threads).size, 2, 'the two workers were reused');
    assert.deepEqual(p.stats, { size: 2, workers: 2, busy: 0, queued: 0 });
  });

  void test('errors keep their name and message across the thread', async () => {
    const p = pool({ size: 1 });
    await assert.rejects(p.run('fail', { name: 'MeasureError', message: 'hamming: lengths differ' }), (err: unknown) => {
      assert.ok(err instanceof TaskError);
      assert.equal(err.name, 'MeasureError');
      assert.equal(err.message, 'hamming: lengths differ');
      assert.match(err.stack ?? '', /in worker task 'fail'/);
      return true;
    });
    // @ts-expect-error a name the worker does not serve: the typed run rejects it at compile time too.
    await assert.rejects(p.run('no-such-task', null), { name: 'UnknownTaskError', message: /Unknown task 'no-such-task'/ });
    assert.equal(await p.run('echo', 'still fine'), 'still fine');
  });

  void test('a cooperative task stops when cancelled and its worker is reused', async () => {
    const p = pool({ size: 1, cancelGraceMs: 5000 });
    const thread = await p.run('threadId', null);
    const controller = new AbortController();
    const running = p.run('spin', {}, { signal: controller.signal });
    await sleep(50);
    controller.abort();
    await assert.rejects(running, (err: unknown) => err instanceof CancelledError && isCancellation(err));
    // The caller is answered at once: before the worker has even reported that it stopped.
    assert.equal(p.stats.busy, 1, 'the caller was answered only after the worker stopped');
    // Well within the grace period, so the worker was not terminated: same thread.
    assert.equal(await p.run('threadId', null), thread);
  });

  void test('a task that ignores cancellation is terminated after the grace period and replaced', async () => {
    const p = pool({ size: 1, cancelGraceMs: 150 });
    const thread = await p.run('threadId', null);
    const controller = new AbortController();
    const stubborn = p.run('stubborn', null, { signal: controller.signal });
    await sleep(50);
    controller.abort();
    await assert.rejects(stubborn, CancelledError);
    const next = await p.run('threadId', null);
    assert.notEqual(next, thread, 'a new worker took the place of the terminated one');
    assert.equal(p.stats.workers, 1);
  });

  void test('a task stuck in an open() that never returns is replaced: the pool serves the next task', { timeout: 30_000 }, async (t) => {
    // A FIFO with no writer: its open() waits in the libuv thread pool, where terminating the
    // worker cannot interrupt it, so that worker may never emit 'exit'. The host's only worker
    // stuck like this answered nothing more (a compare, a 2-record cluster) until it was restarted.
    const fifo = path.join(dir, 'stuck.fifo');
    execFileSync('mkfifo', [fifo]);
    t.after(() => {
      // Lets the stuck open() return (it is this process's thread pool's), so nothing lingers.
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        /* no reader left */
      }
    });
    const p = pool({ size: 1, cancelGraceMs: 100 });
    const controller = new AbortController();
    const stuck = p.run('readFile', { path: fifo }, { signal: controller.signal });
    await sleep(100);
    controller.abort();
    await assert.rejects(stuck, CancelledError);
    assert.equal(await p.run('echo', 'next'), 'next');
    assert.equal(p.stats.workers, 1, 'the stuck worker no longer counts');
  });

  void test('cancelGraceMs 0 terminates at once', { timeout: 120_000 }, async () => {
    // The pool's own grace is 10 minutes: waiting for it instead of terminating at once would run
    // into the test's timeout.
    const p = pool({ size: 1, cancelGraceMs: 10 * 60_000 });
    const controller = new AbortController();
    const stubborn = p.run('stubborn', null, { signal: controller.signal, cancelGraceMs: 0 });
    await sleep(50);
    controller.abort();
    await assert.rejects(stubborn, CancelledError);
    assert.equal(await p.run('echo', 1), 1);
  });

  void test('a queued task can be cancelled before it starts; an aborted signal never starts one', async () => {
    const p = pool({ size: 1 });
    const first = p.run('sleep', { ms: 200 });
    const controller = new AbortController();
    const second = p.run('echo', 'never', { signal: controller.signal });
    assert.equal(p.stats.queued, 1);
    controller.abort();
    await assert.rejects(second, { name: 'CancelledError', message: /before it started/ });
    assert.equal(p.stats.queued, 0);
    await first;
    await assert.rejects(p.run('echo', 1, { signal: AbortSignal.abort() }), CancelledError);
  });

  void test('a worker that exits or throws outside the task rejects that task and is replaced', async () => {
    const p = pool({ size: 1 });
    await assert.rejects(p.run('exit', { code: 7 }), (err: unknown) => {
      assert.ok(err instanceof WorkerCrashedError);
      assert.match(err.message, /task 'exit' crashed \(it exited with code 7\)/);
      return true;
    });
    await assert.rejects(p.run('throwLater', null), { name: 'WorkerCrashedError', message: /boom from a timer/ });
    assert.equal(await p.run('echo', 'alive'), 'alive');
  });

  void test('tasks queued behind a crash still run', async () => {
    const p = pool({ size: 1 });
    const crash = p.run('exit', { code: 1 });
    const queued = [p.run('echo', 'a'), p.run('echo', 'b')];
    await assert.rejects(crash, WorkerCrashedError);
    assert.deepEqual(await Promise.all(queued), ['a', 'b']);
  });

  void test('progress reports reach onProgress, the last one included', async () => {
    const p = pool({ size: 1 });
    const reports: TaskProgress[] = [];
    assert.equal(await p.run('progress', { steps: 5 }, { onProgress: (r) => reports.push(r) }), 5);
    assert.ok(reports.length >= 2, `got ${reports.length} reports`);
    assert.deepEqual(reports.at(-1), { done: 5, total: 5, message: 'step 5' });
    for (let i = 1; i < reports.length; i++) assert.ok(reports[i]!.done > reports[i - 1]!.done);
  });

  void test('buffers move instead of being copied when listed for transfer', async () => {
    const p = pool({ size: 1 });
    const buffer = new ArrayBuffer(1024);
    assert.equal(await p.run('byteLength', buffer, { transfer: [buffer] }), 1024);
    assert.equal(buffer.byteLength, 0, 'the caller no longer holds the transferred buffer');
    const result = await p.run('makeBuffer', { n: 4 });
    assert.deepEqual([...result], [0, 1, 2, 3]);
    // Two views of one buffer list it twice: postMessage alone would refuse the list.
    const shared = new ArrayBuffer(64);
    assert.equal(await p.run('byteLength', shared, { transfer: [new Uint8Array(shared).buffer, shared] }), 64);
    assert.equal(shared.byteLength, 0);
  });

  void test("worker output goes to the pool's log, never to stdout", async () => {
    const lines: string[] = [];
    const p = pool({ size: 1, log: (line, stream) => lines.push(`${stream}: ${line}`) });
    assert.equal(await p.run('log', null), 'logged');
    await sleep(50);
    assert.deepEqual(lines.sort(), ['stderr: a warning from the worker', 'stdout: hello from the worker']);
  });

  void test('dispose rejects running and queued tasks, and later runs', async () => {
    const p = pool({ size: 1 });
    const running = p.run('sleep', { ms: 5000 });
    const queued = p.run('echo', 1);
    const rejected = [assert.rejects(running, PoolDisposedError), assert.rejects(queued, PoolDisposedError)];
    await sleep(20);
    await p.dispose();
    await Promise.all(rejected);
    await assert.rejects(p.run('echo', 1), PoolDisposedError);
  });

  void test('a missing worker script is reported when the pool is made', () => {
    assert.throws(() => new WorkerPool({ workerFile: path.join(dir, 'missing.js') }), /Worker script not found/);
  });

  void test('a busy pool keeps the process alive; an idle one lets it exit', () => {
    const script = path.join(dir, 'alive.ts');
    writeFileSync(
      script,
      [
        `const { WorkerPool } = require(${JSON.stringify(path.resolve(__dirname, '../../server/jobs/pool.ts'))});`,
        `const pool = new WorkerPool({ workerFile: ${JSON.stringify(workerFile)}, size: 1, execArgv: [] });`,
        `pool.run('sleep', { ms: 300 }).then(() => console.log('done'));`,
      ].join('\n'),
    );
    // A process the idle pool kept alive would be killed at the timeout (status null, not 0).
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.status, 0, `exited on its own once the pool was idle (signal ${child.signal ?? 'none'}): ${child.stderr}`);
    assert.equal(child.stdout.trim(), 'done', 'the process waited for the running task');
  });
});
