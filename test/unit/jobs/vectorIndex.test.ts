/**
 * buildVectorIndex with HOG features: the reading worker leaves HOG to the whole pool (hogRows
 * over row ranges), and the features are those of featuresOf on one thread, bit for bit; raw
 * features are as before. A real pool of two workers bundled from the worker sources.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readVectorDataset } from '../../../server/engine/data/vectorDataset';
import { featuresOf } from '../../../server/engine/features/vectorFeatures';
import { WorkerPool } from '../../../server/jobs/pool';
import { buildVectorIndex } from '../../../server/jobs/vectorIndex';
import { bundleTestWorker } from '../helpers/bundleWorker';

const IMAGES = path.resolve(__dirname, '../../fixtures/images/fashion64-images-idx3-ubyte.gz');

let dir: string;
let pool: WorkerPool;

before(async () => {
  let workerFile: string;
  ({ dir, workerFile } = await bundleTestWorker({ contents: `import { serveTasks } from './workerRuntime'; import { contentHashTask, hogRowsTask, loadVectorsTask } from './tasks/loadVectors'; serveTasks({ loadVectors: loadVectorsTask, hogRows: hogRowsTask, contentHash: contentHashTask });` }, { prefix: 'simlab-vector-index-test-', underNodeModules: true }));
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
