// The partitioned layout (layout.ts, parallelLayout.ts): on real data (600 scikit-learn digits)
// two partitions give a map as trustworthy as umap-learn's sequential loop (one partition);
// the map is reproducible and the same whether the partitions run in turn (LayoutOptimizer) or
// by claimed tasks (runLayoutShare, here on one thread; the worker-thread run is in
// umapTask.test.ts); the cuts balance the edges; a stop request stops the fit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLayoutState, LayoutOptimizer } from '../../../server/engine/embed/layout';
import { createLayoutControl, epochsDone, runLayoutShare } from '../../../server/engine/embed/parallelLayout';
import { trustworthiness } from '../../../server/engine/embed/trustworthiness';
import { prepareUmap, UmapFit } from '../../../server/engine/embed/umap';
import { bruteKnn } from './blobs';
import { readDigits } from '../digitsFixture';

const { data, dim } = readDigits(1);
const knn = bruteKnn(data, dim, 15);

void test('digits: 2, 4 and 16 partitions (a partition per worker) are as trustworthy as 1 (within 0.01, seeds 1–3); each map reproducible', () => {
  const tw = (partitions: number, seed: number) => trustworthiness(data, dim, new UmapFit(knn, { seed, partitions }).run(), 2, { k: 10 });
  const mean = (partitions: number) => [1, 2, 3].reduce((s, seed) => s + tw(partitions, seed) / 3, 0);
  const one = mean(1);
  assert.ok(one > 0.95, `1 partition: trustworthiness ${one}`);
  for (const partitions of [2, 4, 16]) {
    const many = mean(partitions);
    assert.ok(Math.abs(many - one) < 0.01, `${partitions} partitions ${many} vs 1 partition ${one}`);
  }
  const a = new UmapFit(knn, { seed: 4, partitions: 2, nEpochs: 50 }).run();
  assert.deepEqual(new UmapFit(knn, { seed: 4, partitions: 2, nEpochs: 50 }).run(), a);
  assert.notDeepEqual(new UmapFit(knn, { seed: 4, partitions: 1, nEpochs: 50 }).run(), a);
});

void test('claimed tasks (runLayoutShare) give the map of LayoutOptimizer bit for bit, 2 and 3 partitions, 2-D and 3-D', () => {
  for (const [partitions, nComponents] of [
    [2, 2],
    [3, 2],
    [2, 3],
    [16, 2],
  ]) {
    const options = { seed: 8, partitions, nComponents, nEpochs: 40 };
    const reference = new UmapFit(knn, options).run();
    const { setup } = prepareUmap(knn, options, true);
    const control = createLayoutControl();
    const seen: number[] = [];
    assert.equal(runLayoutShare(setup.state, control, { onEpoch: (done) => seen.push(done) }), 'done');
    assert.deepEqual(setup.state.published, reference);
    assert.equal(epochsDone(setup.state, control), 40);
    assert.deepEqual(seen, Array.from({ length: 40 }, (_, i) => i + 1));
    assert.equal(runLayoutShare(setup.state, control), 'done', 'nothing left to claim');
  }
});

void test("a thread that finds nothing left to claim returns 'done' only once the other threads' last tasks are done, and reports the last epoch", () => {
  const { setup } = prepareUmap(knn, { seed: 3, partitions: 2, nEpochs: 5 }, true);
  const total = 2 * 2 * 5;
  const control = createLayoutControl();
  // Every task claimed, the last one still running on another thread.
  Atomics.store(control, 0, total);
  Atomics.store(control, 1, total - 1);
  const seen: number[] = [];
  let polls = 0;
  const outcome = runLayoutShare(setup.state, control, {
    pollMs: 1,
    onEpoch: (done) => seen.push(done),
    shouldStop: () => {
      // The other thread finishes its task while this one waits.
      if (++polls === 3) {
        Atomics.add(control, 1, 1);
        Atomics.notify(control, 1);
      }
      return false;
    },
  });
  assert.equal(outcome, 'done');
  assert.ok(polls >= 3, 'waited for the running task');
  assert.deepEqual(seen, [5]);
});

void test('partition cuts: contiguous, about equal edges, each edge run by the owner of its head', () => {
  const { setup } = prepareUmap(knn, { seed: 1, partitions: 3, nEpochs: 10 });
  const { vertexBounds, edgeBounds, head } = setup.state;
  assert.equal(vertexBounds[0], 0);
  assert.equal(vertexBounds[3], 600);
  const m = head.length;
  for (let p = 0; p < 3; p++) {
    const count = edgeBounds[p + 1] - edgeBounds[p];
    assert.ok(Math.abs(count - m / 3) < 0.05 * m, `partition ${p}: ${count} of ${m} edges`);
    for (let e = edgeBounds[p]; e < edgeBounds[p + 1]; e++) assert.ok(head[e] >= vertexBounds[p] && head[e] < vertexBounds[p + 1]);
  }
  assert.throws(() => new UmapFit(knn, { partitions: 0 }), /partitions must be an integer/);
  const edges = { head: Int32Array.of(1, 0), tail: Int32Array.of(0, 1), epochsPerSample: Float64Array.of(1, 1) };
  const params = { a: 1.6, b: 0.9, nEpochs: 5, negativeSampleRate: 5, learningRate: 1, repulsionStrength: 1 };
  assert.throws(() => createLayoutState(new Float32Array(4), 2, edges, params, { seeds: [1] }), /sorted by head \(edge 1\)/);
});

void test('a stop request stops every claimant; the partial map is finite', () => {
  const { setup } = prepareUmap(knn, { seed: 1, partitions: 2, nEpochs: 200 });
  const control = createLayoutControl();
  let polls = 0;
  assert.equal(runLayoutShare(setup.state, control, { shouldStop: () => ++polls > 30 }), 'stopped');
  assert.ok(epochsDone(setup.state, control) < 200);
  assert.equal(runLayoutShare(setup.state, control), 'stopped', 'the flag is shared');
  assert.ok(setup.state.published.every(Number.isFinite));
  // The in-thread optimizer over the same kind of state runs to the end.
  const optimizer = new LayoutOptimizer(prepareUmap(knn, { seed: 1, partitions: 2, nEpochs: 5 }).setup.state);
  while (!optimizer.done) optimizer.step();
  assert.equal(optimizer.epoch, 5);
});
