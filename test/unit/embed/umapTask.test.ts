// Task `umap` in a real worker pool: the map comes back (same as in-process for the same seed),
// progress reaches the caller, cancellation stops the fit; and with a stub context, progress is
// reported once per epoch and cancellation is checked before each.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { UmapFit } from '../../../server/engine/embed/umap';
import { isCancellation } from '../../../server/jobs/errors';
import { CancelledError } from '../../../server/worker/errors';
import type { TaskProgress } from '../../../server/worker/messages';
import { WorkerPool } from '../../../server/jobs/pool';
import { bundleTestWorker } from '../helpers/bundleWorker';
import type { TaskContext } from '../../../server/worker/taskContext';
import { createLayoutControl } from '../../../server/engine/embed/parallelLayout';
import { umapTask } from '../../../server/worker/tasks/umap';
import { blobs, bruteKnn } from './blobs';

let dir: string;
let workerFile: string;
let pool: WorkerPool;

before(async () => {
  ({ dir, workerFile } = await bundleTestWorker({ entry: path.join(__dirname, 'umapTestWorker.ts') }, { prefix: 'simlab-umap-task-' }));
  pool = new WorkerPool({ workerFile, execArgv: [], size: 2, cancelGraceMs: 5000 });
});
after(async () => {
  await pool.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const small = blobs(3, 50, 8, 4);
const knn = bruteKnn(small.data, small.dim, 10);

void test('the worker returns the same map as an in-process fit with the same seed, with progress', async () => {
  const progress: TaskProgress[] = [];
  const result = await pool.run('umap', { knn, options: { seed: 9, nEpochs: 80 } }, { onProgress: (p) => progress.push(p) });
  assert.deepEqual(result.embedding, new UmapFit(knn, { seed: 9, nEpochs: 80 }).run());
  assert.equal(result.nEpochs, 80);
  assert.equal(result.nComponents, 2);
  assert.ok(result.edgeCount > 0);
  assert.ok(progress.length >= 1);
  assert.deepEqual(progress.at(-1), { done: 80, total: 80, message: 'UMAP epoch 80/80' });
});

void test('cancelling stops the fit promptly and the pool stays usable', { timeout: 120_000 }, async () => {
  const big = blobs(4, 1500, 10, 5);
  const bigKnn = bruteKnn(big.data, big.dim, 10);
  // One worker with a grace period of 10 minutes: if the task ignored the flag, the next task
  // would wait that long for the worker to be terminated, and run into the test's timeout.
  const single = new WorkerPool({ workerFile, execArgv: [], size: 1, cancelGraceMs: 10 * 60_000 });
  after(() => single.dispose());
  const controller = new AbortController();
  let aborted = false;
  const run = single.run('umap', { knn: bigKnn, options: { nEpochs: 100_000 } }, {
    signal: controller.signal,
    onProgress: (p) => {
      if (p.done > 0 && !aborted) {
        aborted = true;
        controller.abort();
      }
    },
  });
  await assert.rejects(run, (e) => isCancellation(e) && e instanceof CancelledError);
  // The worker noticed (cooperatively, at the next epoch): the next task runs on the same worker,
  // with no termination (which would come only after the 10-minute grace).
  const again = await single.run('umap', { knn, options: { nEpochs: 5 } });
  assert.equal(again.embedding.length, knn.n * 2);
});

void test('with a stub context: one progress report per epoch, cancellation checked before each', () => {
  const reports: number[] = [];
  let checks = 0;
  const ctx = (cancelAfter: number): TaskContext => ({
    isCancelled: () => checks >= cancelAfter,
    throwIfCancelled: () => {
      if (checks++ >= cancelAfter) throw new CancelledError('cancelled');
    },
    progress: (done) => reports.push(done),
    transferResult: () => undefined,
  });
  umapTask({ knn, options: { nEpochs: 7 } }, ctx(Infinity));
  assert.deepEqual(reports, [0, 1, 2, 3, 4, 5, 6, 7]);
  reports.length = 0;
  checks = 0;
  assert.throws(() => umapTask({ knn, options: { nEpochs: 50 } }, ctx(3)), CancelledError);
  assert.deepEqual(reports, [0, 1, 2, 3], 'stopped at the fourth check');
});

void test('umapPrepare + umapLayout on 2 worker threads: the in-process partitioned map bit for bit (2 and 4 partitions); one thread alone finishes it too', async () => {
  const big = blobs(4, 400, 10, 6);
  const bigKnn = bruteKnn(big.data, big.dim, 10);
  for (const [partitions, threads] of [
    [2, 2],
    [2, 1],
    [4, 2],
  ]) {
    const options = { seed: 12, partitions, nEpochs: 60 };
    const reference = new UmapFit(bigKnn, options).run();
    const setup = await pool.run('umapPrepare', { knn: bigKnn, options });
    assert.ok(setup.state.published.buffer instanceof SharedArrayBuffer);
    const control = createLayoutControl();
    const progress: TaskProgress[] = [];
    const runs = Array.from({ length: threads }, (_, role) =>
      pool.run('umapLayout', { state: setup.state, control, role }, role === 0 ? { onProgress: (p) => progress.push(p) } : {}),
    );
    assert.deepEqual(await Promise.all(runs), Array.from({ length: threads }, () => ({ stopped: false })));
    assert.deepEqual(setup.state.published, reference, `${partitions} partitions, ${threads} thread(s)`);
    assert.deepEqual(progress.at(-1), { done: 60, total: 60, message: 'UMAP epoch 60/60' });
  }
});

void test('cancelling one umapLayout stops the other thread too', async () => {
  const big = blobs(4, 1500, 10, 5);
  const options = { seed: 1, partitions: 2, nEpochs: 100_000 };
  const setup = await pool.run('umapPrepare', { knn: bruteKnn(big.data, big.dim, 10), options });
  const control = createLayoutControl();
  const controller = new AbortController();
  const first = pool.run('umapLayout', { state: setup.state, control, role: 0 }, {
    signal: controller.signal,
    onProgress: (p) => {
      if (p.done > 0) controller.abort();
    },
  });
  const second = pool.run('umapLayout', { state: setup.state, control, role: 1 });
  await assert.rejects(first, (e) => isCancellation(e));
  assert.deepEqual(await second, { stopped: true });
});
