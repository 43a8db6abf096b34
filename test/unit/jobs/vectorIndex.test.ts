/**
 * buildVectorIndex with HOG features: the reading worker leaves HOG to the whole pool (hogRows
 * over row ranges), and the features are those of featuresOf on one thread, bit for bit; raw
 * features are as before. A real pool of two workers bundled from the worker sources.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readVectorDataset } from '../../../server/engine/data/vectorDataset';
import { featuresOf } from '../../../server/engine/features/vectorFeatures';
import { WorkerPool } from '../../../server/jobs/pool';
import { buildVectorIndex } from '../../../server/jobs/vectorIndex';
import { clusterVectorDataset } from '../../../server/jobs/vectorClusterDataset';
import { mulberry32 } from '../features/rng';
import { bundleTestWorker } from '../helpers/bundleWorker';

const IMAGES = path.resolve(__dirname, '../../fixtures/images/fashion64-images-idx3-ubyte.gz');

let dir: string;
let pool: WorkerPool;

before(async () => {
  let workerFile: string;
  ({ dir, workerFile } = await bundleTestWorker({ contents: `import { serveTasks } from './workerRuntime'; import { contentHashTask, hogRowsTask, loadVectorsTask } from './tasks/loadVectors'; import { vectorTasks } from './tasks/vectorKnn'; serveTasks({ loadVectors: loadVectorsTask, hogRows: hogRowsTask, contentHash: contentHashTask, ...vectorTasks });` }, { prefix: 'simlab-vector-index-test-', underNodeModules: true }));
  pool = new WorkerPool({ workerFile, execArgv: [], size: 2, cancelGraceMs: 5000 });
});
after(async () => {
  await pool.dispose();
  rmSync(dir, { recursive: true, force: true });
});

void describe('buildVectorIndex', () => {
  void test('HOG features computed over the pool equal featuresOf on one thread; raw features as read / 255', async () => {
    const dataset = await readVectorDataset(IMAGES, {});
    const want = featuresOf(dataset, { kind: 'hog' });
    let reported = 0;
    const hog = await buildVectorIndex(IMAGES, { pool, features: 'hog', onProgress: (stage, done, total) => (stage === 'features' && done === total ? reported++ : undefined) });
    assert.equal(hog.featureKind, 'hog');
    assert.equal(hog.dim, want.dim);
    assert.equal(hog.features.length, want.data.length);
    assert.deepEqual(Array.from(hog.features), Array.from(want.data));
    assert.ok(hog.features.buffer instanceof SharedArrayBuffer, 'the features are shared with the workers');
    assert.ok(reported >= 1, 'the HOG stage reports its progress');
    assert.equal(hog.records.length, dataset.records.length);
    // 'auto' is HOG for images too.
    const auto = await buildVectorIndex(IMAGES, { pool });
    assert.equal(auto.featureKind, 'hog');
    assert.deepEqual(Array.from(auto.features), Array.from(want.data));
    const raw = await buildVectorIndex(IMAGES, { pool, features: 'raw' });
    assert.equal(raw.dim, dataset.dim);
    assert.deepEqual(Array.from(raw.features), Array.from(dataset.data, (v) => Math.fround(v / 255)));
  });
});

void describe('clusterVectorDataset', () => {
  void test('the grid path (2-D): each record\'s related neighbours are its 5 nearest within eps, each pair once', async () => {
    // Three blobs of random reals (no tied distances), so the kNN order is unambiguous; eps given,
    // as an estimated one equals some pair's distance, which float32 and float64 round apart.
    const rng = mulberry32(41);
    const n = 240;
    const xy = Array.from({ length: n }, (_, r) => [(r % 3) * 10 + rng() * 3, (r % 3) * 5 + rng() * 3]);
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'simlab-grid-edges-'));
    try {
      const file = path.join(tmp, 'blobs.csv');
      writeFileSync(file, 'x,y\n' + xy.map(([x, y]) => `${x},${y}`).join('\n') + '\n');
      const r = await clusterVectorDataset(file, { pool, params: { method: 'dbscan', minPts: 5, eps: 0.12 } });
      assert.equal(r.stats.path, 'grid');
      const f = r.index.features;
      const d = (a: number, b: number) => Math.hypot(f[2 * a] - f[2 * b], f[2 * a + 1] - f[2 * b + 1]);
      // By brute force: the pairs where one record lists the other among its 5 nearest, within eps.
      const want = new Set<string>();
      for (let a = 0; a < n; a++) {
        const order = Array.from({ length: n }, (_, b) => b).filter((b) => b !== a).sort((p, q) => d(a, p) - d(a, q));
        for (const b of order.slice(0, 5)) if (d(a, b) <= r.eps) want.add(`${Math.min(a, b)},${Math.max(a, b)}`);
      }
      const got = Array.from(r.edges.i, (a, t) => `${Math.min(a, r.edges.j[t])},${Math.max(a, r.edges.j[t])}`);
      assert.equal(new Set(got).size, got.length, 'each pair once');
      assert.deepEqual(new Set(got), want);
      assert.ok(want.size > n, 'most records have neighbours within eps');
      r.edges.distance!.forEach((dist, t) => assert.ok(Math.abs(dist - d(r.edges.i[t], r.edges.j[t])) < 1e-4));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
