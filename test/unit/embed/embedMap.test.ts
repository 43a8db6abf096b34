// embedMap end to end in a real worker pool: scaler → pool kNN (the point itself first, as
// umap-learn) → UMAP task → DBSCAN on the map or on the vectors; progress per stage,
// reproducibility with a seed, a precomputed kNN graph, cancellation.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { trustworthiness } from '../../../server/engine/embed/trustworthiness';
import { UmapFit } from '../../../server/engine/embed/umap';
import { adjustedRandIndex } from '../../../server/engine/eval/clustering';
import { StandardScaler } from '../../../server/engine/features/scaler';
import { embedMap, type EmbedStage } from '../../../server/jobs/mapLayout';
import { isCancellation } from '../../../server/jobs/errors';
import { WorkerPool } from '../../../server/jobs/pool';
import { bundleTestWorker } from '../helpers/bundleWorker';
import { blobs, bruteKnn } from './blobs';

let dir: string;
let pool: WorkerPool;

before(async () => {
  let workerFile: string;
  ({ dir, workerFile } = await bundleTestWorker({ entry: path.join(__dirname, 'umapTestWorker.ts') }, { prefix: 'simlab-embed-map-' }));
  pool = new WorkerPool({ workerFile, execArgv: [], size: 2 });
});
after(async () => {
  await pool.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const data = blobs(5, 80, 16, 12);

void test('blobs → map → DBSCAN on the map: clusters recovered (ARI 1), stages reported, seeded', async () => {
  const stages = new Set<EmbedStage>();
  const options = { pool, umap: { seed: 5 }, cluster: { on: 'map' as const, eps: 0.5, minPts: 5 }, onProgress: (s: EmbedStage) => void stages.add(s) };
  const out = await embedMap(data.data, data.dim, options);
  assert.equal(out.points.length, data.n * 2);
  assert.equal(out.knn.k, 15);
  for (let i = 0; i < data.n; i++) assert.equal(out.knn.indices[i * 15], i, 'the point itself first');
  assert.equal(adjustedRandIndex(Array.from(data.labels), Array.from(out.clusters ?? [])), 1);
  assert.deepEqual(out.clustering, { on: 'map', eps: 0.5, minPts: 5, method: 'grid', count: 5, noise: out.clusters?.filter((l) => l < 0).length });
  assert.ok(trustworthiness(data.data, data.dim, out.points, 2, { k: 10 }) > 0.95);
  assert.deepEqual([...stages].sort(), ['UMAP', 'cluster', 'kNN', 'scale']);
  // The same map as the in-process fit on the scaled data's brute-force graph, and on a rerun.
  const scaled = StandardScaler.fit(data.data, data.dim).transform(data.data);
  const reference = new UmapFit(bruteKnn(scaled, data.dim, 15), { seed: 5, partitions: 2 }).run();
  let maxDiff = 0;
  for (let e = 0; e < reference.length; e++) maxDiff = Math.max(maxDiff, Math.abs(reference[e] - out.points[e]));
  assert.ok(maxDiff < 1e-3, `pool kNN vs brute force: maps differ by ${maxDiff}`);
  assert.deepEqual((await embedMap(data.data, data.dim, options)).points, out.points);
});

void test('DBSCAN on the embedding, eps estimated; a precomputed graph skips the kNN stage; scale: false', async () => {
  const knn = bruteKnn(data.data, data.dim, 10);
  const stages = new Set<EmbedStage>();
  // Within a blob (σ = 1, 16-D) points are ≈ 5.7 apart; blob centres, tens.
  const out = await embedMap(data.data, data.dim, { pool, knn, scale: false, nNeighbors: 10, umap: { nEpochs: 50 }, cluster: { on: 'embedding', eps: 9, minPts: 5 }, onProgress: (s) => void stages.add(s) });
  assert.ok(!stages.has('kNN') && !stages.has('scale'));
  assert.equal(out.knn, knn);
  assert.equal(out.clustering?.method, 'graph');
  assert.equal(adjustedRandIndex(Array.from(data.labels), Array.from(out.clusters ?? [])), 1);
  const estimated = await embedMap(data.data, data.dim, { pool, knn, scale: false, nNeighbors: 10, umap: { nEpochs: 20 }, cluster: { on: 'embedding', minPts: 5 } });
  assert.ok((estimated.clustering?.eps ?? 0) > 0);
  assert.ok(adjustedRandIndex(Array.from(data.labels), Array.from(estimated.clusters ?? [])) > 0.9);
  await assert.rejects(embedMap(data.data, data.dim, { pool, knn: bruteKnn(data.data.subarray(0, 16 * 100), 16, 5) }), /the kNN graph has 100 rows, the features 400/);
  await assert.rejects(embedMap(data.data.subarray(0, 16 * 10), 16, { pool }), /10 records are too few/);
});

void test('cancelling during UMAP rejects with a cancellation', async () => {
  const controller = new AbortController();
  const run = embedMap(data.data, data.dim, {
    pool,
    signal: controller.signal,
    umap: { nEpochs: 1_000_000 },
    onProgress: (stage, done) => {
      if (stage === 'UMAP' && done > 0) controller.abort();
    },
  });
  await assert.rejects(run, isCancellation);
});

void test('layout threads: 1 thread gives the default 2-thread map bit for bit; partitions 1 is the sequential fit', async () => {
  const knn = bruteKnn(data.data, data.dim, 15);
  const base = { pool, knn, scale: false } as const;
  const two = await embedMap(data.data, data.dim, { ...base, umap: { seed: 2, nEpochs: 80 } });
  const one = await embedMap(data.data, data.dim, { ...base, layoutThreads: 1, umap: { seed: 2, nEpochs: 80 } });
  assert.deepEqual(one.points, two.points);
  assert.deepEqual(two.points, new UmapFit(knn, { seed: 2, nEpochs: 80, partitions: 2 }).run());
  const sequential = await embedMap(data.data, data.dim, { ...base, umap: { seed: 2, nEpochs: 80, partitions: 1 } });
  assert.deepEqual(sequential.points, new UmapFit(knn, { seed: 2, nEpochs: 80 }).run());
  assert.notDeepEqual(sequential.points, two.points);
});
