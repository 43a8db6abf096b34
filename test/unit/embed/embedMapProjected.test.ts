// embedMap's kNN method: 'auto' picks exact kNN for small n·n·dim or small dim and the projected
// approximate kNN above; 'projected' over a real pool (worker bundled under node_modules/.cache,
// where the wasm binaries resolve) gives a seeded, reproducible map whose graph is close to the
// exact one (recall of the 9 nearest others).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chooseKnnMethod, embedMap } from '../../../server/jobs/mapLayout';
import { WorkerPool } from '../../../server/jobs/pool';
import { blobs, bruteKnn } from './blobs';
import { bundleTestWorker } from '../helpers/bundleWorker';

let dir: string;
let pool: WorkerPool;

before(async () => {
  let workerFile: string;
  ({ dir, workerFile } = await bundleTestWorker({ entry: path.join(__dirname, 'umapTestWorker.ts') }, { prefix: 'simlab-embed-map-projected-', underNodeModules: true }));
  pool = new WorkerPool({ workerFile, execArgv: [], size: 2 });
});
after(async () => {
  await pool.dispose();
  rmSync(dir, { recursive: true, force: true });
});

void test('auto: exact up to n²·dim = 2·10¹⁰ or dim ≤ 128, projected above, NN-descent from 20,000 rows', () => {
  assert.equal(chooseKnnMethod(5000, 784), 'exact');
  assert.equal(chooseKnnMethod(10_000, 784), 'projected');
  assert.equal(chooseKnnMethod(19_999, 784), 'projected');
  assert.equal(chooseKnnMethod(60_000, 784), 'nnDescent');
  assert.equal(chooseKnnMethod(1_000_000, 128), 'exact');
  assert.equal(chooseKnnMethod(20_000, 1296), 'nnDescent');
});

void test('projected kNN map: reported, seeded (same map twice), graph close to the exact one', async () => {
  const data = blobs(4, 150, 160, 21);
  const options = { pool, scale: false, nNeighbors: 10, knnMethod: 'projected' as const, umap: { seed: 3, nEpochs: 60 } };
  const out = await embedMap(data.data, data.dim, options);
  assert.equal(out.knnMethod, 'projected');
  assert.deepEqual((await embedMap(data.data, data.dim, options)).points, out.points);
  const exact = bruteKnn(data.data, data.dim, 10);
  let found = 0;
  for (let i = 0; i < data.n; i++) {
    const want = new Set(exact.indices.subarray(i * 10 + 1, (i + 1) * 10));
    for (let t = 1; t < 10; t++) if (want.has(out.knn.indices[i * 10 + t])) found++;
  }
  const recall = found / (data.n * 9);
  assert.ok(recall > 0.9, `recall ${recall}`);
  assert.equal((await embedMap(data.data, data.dim, { ...options, knnMethod: 'exact' })).knnMethod, 'exact');
  await assert.rejects(embedMap(data.data, data.dim, { ...options, knnMethod: 'fast' as never }), /knnMethod must be/);
});

void test('NN-descent kNN map (task nnDescent): reported, seeded, graph close to the exact one, self first', async () => {
  const data = blobs(4, 150, 160, 22);
  const options = { pool, scale: false, nNeighbors: 10, knnMethod: 'nnDescent' as const, umap: { seed: 3, nEpochs: 60 } };
  const out = await embedMap(data.data, data.dim, options);
  assert.equal(out.knnMethod, 'nnDescent');
  assert.deepEqual((await embedMap(data.data, data.dim, options)).knn.indices, out.knn.indices);
  const exact = bruteKnn(data.data, data.dim, 10);
  let found = 0;
  for (let i = 0; i < data.n; i++) {
    assert.equal(out.knn.indices[i * 10], i);
    const want = new Set(exact.indices.subarray(i * 10 + 1, (i + 1) * 10));
    for (let t = 1; t < 10; t++) if (want.has(out.knn.indices[i * 10 + t])) found++;
  }
  const recall = found / (data.n * 9);
  assert.ok(recall > 0.9, `recall ${recall}`);
});
