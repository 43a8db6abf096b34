/**
 * Vector kNN, range edges and DBSCAN over a real worker pool (a worker bundled here with esbuild
 * that serves the `vectorKnn` task): the same results as the engine functions on one thread,
 * chunks cut at equal work, progress, cancellation through an AbortSignal (prompt, a cancellation
 * error, the pool still usable afterwards).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { clusterVectors, clusterVectorsByCommunity } from '../../../server/engine/cluster/vectorClustering';
import { estimateEps } from '../../../server/engine/cluster/epsEstimate';
import { knnExact, squaredNorms } from '../../../server/engine/index/knnExact';
import { loadGemm } from '../../../server/engine/index/gemm';
import { knnProjected, projectRows } from '../../../server/engine/index/projectedKnn';
import { isCancellation } from '../../../server/jobs/errors';
import { nearestNeighbours } from '../../../server/jobs/recordNeighbours';
import { WorkerPool } from '../../../server/jobs/pool';
import { bundleTestWorker } from '../helpers/bundleWorker';
import { clusterVectorsInPool, cutByWork, estimateEpsInPool, knnInPool, knnProjectedInPool, nearestWithinInPool, rangeEdgesInPool, sharedCopy, squaredNormsInPool } from '../../../server/jobs/vectorSearch';
import { EPS_QUANTILE, epsRuleInPool } from '../../../server/jobs/findLeaks';
import { sampleRows } from '../../../server/engine/cluster/epsEstimate';
import { nearestWithin } from '../../../server/engine/index/nearestWithin';
import { gaussian, mulberry32 } from '../features/rng';

let dir: string;
let pool: WorkerPool;

before(async () => {
  // Under node_modules, so that the bundled worker runs the GEMM path (bundleTestWorker).
  let workerFile: string;
  ({ dir, workerFile } = await bundleTestWorker({ contents: `import { serveTasks } from './workerRuntime'; import { vectorTasks } from './tasks/vectorKnn'; serveTasks(vectorTasks);` }, { prefix: 'simlab-vector-knn-test-', underNodeModules: true }));
  pool = new WorkerPool({ workerFile, execArgv: [], size: 2, cancelGraceMs: 5000 });
});
after(async () => {
  await pool.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function blobs(seed: number, n: number, dim: number, centres: number, spread = 1): Float32Array {
  const rng = mulberry32(seed);
  const c = Array.from({ length: centres }, () => Array.from({ length: dim }, () => rng() * 40));
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let t = 0; t < dim; t++) data[i * dim + t] = c[i % centres][t] + gaussian(rng) * spread;
  return data;
}

void describe('vector kNN over the pool', () => {
  void test('kNN big enough to be merged in a worker (rows × k above 2^16): every row and own queries equal knnExact', async () => {
    const n = 6000;
    const dim = 8;
    const data = blobs(5611, n, dim, 12);
    assert.deepEqual(await knnInPool(data, n, dim, 12, { pool }), knnExact(data, n, dim, 12), 'every row (the symmetric partials)');
    const queries = data.map((v, i) => (i % 3 === 0 ? v + 0.5 : v));
    assert.deepEqual(await knnInPool(data, n, dim, 12, { pool, queries }), knnExact(data, n, dim, 12, { queries }), 'queries (the shares)');
  });

  void test('kNN of every row, of own queries and of chosen rows equals knnExact on one thread', async () => {
    const n = 1500;
    const dim = 12;
    const data = blobs(5601, n, dim, 6);
    const stages: number[] = [];
    for (const metric of [{ metric: 'euclidean' as const }, { metric: 'cosine' as const }, { metric: 'manhattan' as const }]) {
      const got = await knnInPool(data, n, dim, 7, { pool, ...metric, onProgress: (_s, done, total) => stages.push(done / total) });
      assert.deepEqual(got, knnExact(data, n, dim, 7, metric), metric.metric);
    }
    assert.ok(stages.length > 3 && stages.every((f) => f >= 0 && f <= 1) && stages[stages.length - 1] === 1);
    const queries = blobs(5602, 90, dim, 3);
    assert.deepEqual(await knnInPool(data, n, dim, 5, { pool, queries }), knnExact(data, n, dim, 5, { queries }));
    const rows = Int32Array.of(3, 1400, 17, 17, 999);
    assert.deepEqual(await knnInPool(data, n, dim, 4, { pool, rows }), knnExact(data, n, dim, 4, { rows }));
  });

  void test('kNN of many queries or rows: the workers claim data blocks, the shares merge into knnExact (ties and duplicates)', async () => {
    const n = 2300;
    const dim = 9;
    // Small integers: many equal distances, and copied rows at distance 0 from each other.
    const rng = mulberry32(5612);
    const data = Float32Array.from({ length: n * dim }, () => Math.floor(rng() * 4) - 1);
    for (let d = 0; d < 200; d++) data.copyWithin(Math.floor(rng() * n) * dim, Math.floor(rng() * n) * dim, Math.floor(rng() * n) * dim + dim);
    const queries = data.slice(0, 300 * dim).map((v, i) => (i % 5 === 0 ? v + 1 : v));
    const rows = Int32Array.from({ length: 400 }, () => Math.floor(rng() * n));
    for (const metric of [{ metric: 'euclidean' as const }, { metric: 'sqeuclidean' as const }, { metric: 'cosine' as const }]) {
      const progress: number[] = [];
      const got = await knnInPool(data, n, dim, 9, { pool, ...metric, queries, onProgress: (_s, done, total) => progress.push(done / total) });
      assert.deepEqual(got, knnExact(data, n, dim, 9, { ...metric, queries }), `${metric.metric}, queries`);
      assert.ok(progress.length > 3 && progress.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= progress[i - 1])) && progress[progress.length - 1] === 1, `progress ${progress.join(' ')}`);
      assert.deepEqual(await knnInPool(data, n, dim, 9, { pool, ...metric, rows }), knnExact(data, n, dim, 9, { ...metric, rows }), `${metric.metric}, rows`);
      assert.deepEqual(await knnInPool(data, n, dim, 9, { pool, ...metric, rows, excludeSelf: false }), knnExact(data, n, dim, 9, { ...metric, rows, excludeSelf: false }), `${metric.metric}, rows with themselves`);
    }
  });

  void test('projected kNN: projection split over the pool (covariance columns, row ranges) gives the one-thread projection and answer', async () => {
    const n = 1200;
    const dim = 40;
    const data = blobs(5611, n, dim, 8);
    const gemm = await loadGemm();
    assert.ok(gemm);
    const projection = projectRows(data, n, dim, { components: 10, seed: 4 });
    const want = knnProjected(gemm, data, n, dim, projection, 6, { candidates: 24 });
    for (const chunksPerWorker of [1, 3]) {
      const got = await knnProjectedInPool(data, n, dim, 6, { pool, components: 10, seed: 4, candidates: 24, chunksPerWorker });
      assert.ok(got);
      assert.deepEqual(got, want, `${chunksPerWorker} chunks a worker`);
    }
  });

  void test('kNN of every row on the symmetric tiles (the workers claim tile columns; partials merged) equals knnExact, with ties and duplicate rows; progress rises to n', async () => {
    const n = 2300;
    const dim = 9;
    // Small integers: many equal distances, and copied rows at distance 0 from each other.
    const rng = mulberry32(5609);
    const data = Float32Array.from({ length: n * dim }, () => Math.floor(rng() * 4) - 1);
    for (let d = 0; d < 200; d++) data.copyWithin(Math.floor(rng() * n) * dim, Math.floor(rng() * n) * dim, Math.floor(rng() * n) * dim + dim);
    for (const metric of [{ metric: 'euclidean' as const }, { metric: 'sqeuclidean' as const }, { metric: 'cosine' as const }]) {
      const seen: number[] = [];
      const onProgress = (_stage: string, done: number, total: number): void => {
        assert.equal(total, n);
        seen.push(done);
      };
      assert.deepEqual(await knnInPool(data, n, dim, 12, { pool, ...metric, onProgress }), knnExact(data, n, dim, 12, metric), metric.metric);
      assert.ok(seen.every((d, i) => i === 0 || d >= seen[i - 1]), `progress monotone: ${seen.join(',')}`);
      assert.equal(seen.at(-1), n);
    }
    assert.deepEqual(await knnInPool(data, 3, dim, 5, { pool }), knnExact(data, 3, dim, 5), 'k beyond n − 1');
  });

  void test('nearest within eps (queries, rows, every row) equals the single-thread reference; the leak eps rule equals the 1-NN of every sampled row', async () => {
    const n = 2600;
    const dim = 10;
    // Blobs of different spreads and offsets, so that norms spread and the windows cut.
    const data = blobs(5605, n, dim, 7, 2);
    for (let i = 0; i < n; i += 5) for (let t = 0; t < dim; t++) data[i * dim + t] *= 1 + (i % 4);
    const queries = blobs(5606, 300, dim, 7, 2);
    for (let q = 0; q < 60; q++) queries.set(data.subarray(q * 31 * dim, (q * 31 + 1) * dim).map((v) => v + 0.05), q * dim);
    for (const metric of [{ metric: 'euclidean' as const }, { metric: 'sqeuclidean' as const }, { metric: 'cosine' as const }]) {
      const eps = metric.metric === 'cosine' ? 0.001 : metric.metric === 'sqeuclidean' ? 4 : 2;
      assert.deepEqual(await nearestWithinInPool(data, n, dim, eps, { pool, ...metric, queries }), nearestWithin(data, n, dim, eps, { ...metric, queries }), `${metric.metric} queries`);
      const rows = Int32Array.of(5, 2599, 17, 17, 1000, 3);
      assert.deepEqual(await nearestWithinInPool(data, n, dim, eps, { pool, ...metric, rows }), nearestWithin(data, n, dim, eps, { ...metric, rows }), `${metric.metric} rows`);
      assert.deepEqual(await nearestWithinInPool(data, n, dim, eps, { pool, ...metric }), nearestWithin(data, n, dim, eps, metric), `${metric.metric} every row`);
    }
    // Without a dot form (manhattan): equal query chunks, the same answers.
    for (const [what, opts] of [['queries', { queries }], ['rows', { rows: Int32Array.of(5, 2599, 17, 17, 1000, 3) }], ['every row', {}]] as const) {
      assert.deepEqual(await nearestWithinInPool(data, n, dim, 5, { pool, metric: 'manhattan', ...opts }), nearestWithin(data, n, dim, 5, { metric: 'manhattan', ...opts }), `manhattan ${what}`);
    }
    // The data's squared norms from the pool are squaredNorms' values; given to the searches
    // (and the rule), they answer the same.
    const dataNorms = await squaredNormsInPool(data, n, dim, { pool });
    assert.deepEqual(Array.from(dataNorms), Array.from(squaredNorms(data, n, dim)), 'squaredNormsInPool');
    for (const metric of [{ metric: 'euclidean' as const }, { metric: 'sqeuclidean' as const }, { metric: 'cosine' as const }]) {
      const eps = metric.metric === 'cosine' ? 0.001 : metric.metric === 'sqeuclidean' ? 4 : 2;
      assert.deepEqual(await nearestWithinInPool(data, n, dim, eps, { pool, ...metric, queries, dataNorms }), nearestWithin(data, n, dim, eps, { ...metric, queries }), `${metric.metric} queries, dataNorms`);
      const rows = Int32Array.of(5, 2599, 17, 17, 1000, 3);
      assert.deepEqual(await nearestWithinInPool(data, n, dim, eps, { pool, ...metric, rows, dataNorms: Float64Array.from(dataNorms) }), nearestWithin(data, n, dim, eps, { ...metric, rows }), `${metric.metric} rows, unshared dataNorms`);
    }
    assert.deepEqual(await epsRuleInPool(data, n, dim, { pool, dataNorms }), await epsRuleInPool(data, n, dim, { pool }), 'eps rule with dataNorms');
    // A non-finite value still fails, found through its row's norm.
    const bad = Float32Array.from(data);
    bad[7 * dim + 3] = NaN;
    await assert.rejects(nearestWithinInPool(bad, n, dim, 2, { pool, queries, dataNorms: await squaredNormsInPool(bad, n, dim, { pool }) }), /row 7, column 3 is not a finite number/);
    // The rule's quantile from a growing radius is the one from every sampled row's 1-NN.
    for (const metric of [{ metric: 'euclidean' as const }, { metric: 'sqeuclidean' as const }]) {
      const rule = await epsRuleInPool(data, n, dim, { pool, ...metric });
      const sample = sampleRows(n, 2000);
      const knn = knnExact(data, n, dim, 1, { ...metric, rows: sample });
      const d = Array.from(knn.distances).filter((x) => x > 0).sort((a, b) => a - b);
      assert.equal(rule.quantileDistance, d[Math.floor(EPS_QUANTILE * d.length)], metric.metric);
      assert.equal(rule.sampled, sample.length);
    }
    // With content keys the passes ask only for the quantile's smallest distances (and the rows
    // that may be duplicates): the same value, on data where a tenth of the rows are copies (0 is
    // left out of the quantile) and a few are near copies (the smallest positive distances).
    const copies = data.slice();
    for (let i = 0; i < n; i += 10) copies.copyWithin((i + 3) * dim, i * dim, (i + 1) * dim);
    for (let i = 5; i < n; i += 97) for (let t = 0; t < dim; t++) copies[(i + 1) * dim + t] = copies[i * dim + t]! + 0.001 * (t + 1);
    const ids = new Map<string, number>();
    const keys = Float64Array.from({ length: n }, (_, r) => {
      const row = copies.subarray(r * dim, (r + 1) * dim).join();
      if (!ids.has(row)) ids.set(row, ids.size);
      return ids.get(row)!;
    });
    for (const metric of [{ metric: 'euclidean' as const }, { metric: 'sqeuclidean' as const }]) {
      const sample = sampleRows(n, 2000);
      const knn = knnExact(copies, n, dim, 1, { ...metric, rows: sample });
      const d = Array.from(knn.distances).filter((x) => x > 0).sort((a, b) => a - b);
      const want = d[Math.floor(EPS_QUANTILE * d.length)];
      assert.equal((await epsRuleInPool(copies, n, dim, { pool, ...metric, keys })).quantileDistance, want, `${metric.metric}, keys`);
      assert.equal((await epsRuleInPool(copies, n, dim, { pool, ...metric })).quantileDistance, want, `${metric.metric}, no keys`);
    }
  });

  void test('range edges, eps estimate and DBSCAN (graph and grid paths) equal the single-thread engine', async () => {
    const n = 1200;
    const dim = 6;
    const data = blobs(5603, n, dim, 5);
    const edges = await rangeEdgesInPool(data, n, dim, 2.5, { pool });
    // Every pair within eps once, i < j, sorted — checked by brute force.
    const want: string[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let s = 0;
        for (let t = 0; t < dim; t++) s += (data[i * dim + t] - data[j * dim + t]) ** 2;
        if (s <= 2.5 * 2.5) want.push(`${i},${j}`);
      }
    }
    assert.deepEqual(Array.from(edges.i, (a, t) => `${a},${edges.j[t]}`), want);
    const members = await rangeEdgesInPool(data, n, dim, 2.5, { pool, distances: false });
    assert.deepEqual(members, { i: edges.i, j: edges.j }, 'membership only: the same pairs, no distances');
    assert.deepEqual(await estimateEpsInPool(data, n, dim, { pool, minPts: 5, sampleSize: 300 }), estimateEps(data, n, dim, { minPts: 5, sampleSize: 300 }));

    const local = clusterVectors(data, n, dim, { minPts: 5 });
    const pooled = await clusterVectorsInPool(data, n, dim, { pool, minPts: 5 });
    assert.equal(pooled.method, 'graph');
    assert.deepEqual(pooled, local);
    // The mutual-neighbour refinement in the worker gives the engine's labels.
    assert.deepEqual(await clusterVectorsInPool(data, n, dim, { pool, minPts: 5, mutualNeighbours: 8 }), clusterVectors(data, n, dim, { minPts: 5, mutualNeighbours: 8 }));
    // With `nearest`, the same labels and each row's 5 nearest within eps, picked from the range edges.
    const withNearest = await clusterVectorsInPool(data, n, dim, { pool, minPts: 5, nearest: 5 });
    assert.deepEqual(withNearest.labels, local.labels);
    const knn = knnExact(data, n, dim, 5);
    const lists = nearestNeighbours(n, { ...withNearest.nearest!, identity: withNearest.nearest!.distance.map((d) => -d) });
    let linked = 0;
    for (let q = 0; q < n; q++) {
      const want: number[] = [];
      for (let r = 0; r < 5 && knn.distances[q * 5 + r] <= local.eps; r++) want.push(knn.indices[q * 5 + r]);
      assert.deepEqual(lists.of(q).map((x) => x.record), want, `row ${q}`);
      linked += want.length;
    }
    assert.ok(linked > n, `rows have neighbours within eps (${linked} links)`);
    const flat = blobs(5604, 5000, 2, 8);
    const grid = await clusterVectorsInPool(flat, 5000, 2, { pool, eps: 0.4, minPts: 4 });
    assert.equal(grid.method, 'grid');
    assert.deepEqual(grid.labels, clusterVectors(flat, 5000, 2, { eps: 0.4, minPts: 4 }).labels);
    // method 'leiden': the kNN in the pool, Leiden in a worker, the engine's labels on one thread.
    const communities = await clusterVectorsInPool(data, n, dim, { pool, minPts: 5, method: 'leiden', nearest: 3 });
    assert.equal(communities.method, 'leiden');
    assert.deepEqual(communities.labels, clusterVectorsByCommunity(data, n, dim, { minPts: 5 }).labels);
    assert.ok(communities.nearest!.i.length >= n * 1.5 && communities.nearest!.i.length <= n * 3, `${communities.nearest!.i.length} nearest links`);
    for (let t = 0; t < communities.nearest!.i.length; t++) assert.ok(communities.nearest!.i[t] < communities.nearest!.j[t]);
  });

  void test('cancellation stops the chunks promptly; the pool runs the next job', async () => {
    const n = 12_000;
    const dim = 256;
    const data = sharedCopy(blobs(5605, n, dim, 4));
    const controller = new AbortController();
    let done = 0;
    let total = 0;
    const run = knnInPool(data, n, dim, 10, {
      pool,
      signal: controller.signal,
      onProgress: (_stage, rows, all) => {
        [done, total] = [rows, all];
        controller.abort();
      },
    });
    await assert.rejects(run, (err: unknown) => isCancellation(err));
    // The order of events, not their timing: rejected before every row had its neighbours.
    assert.ok(done < total, `rejected after ${done} of ${total} rows`);
    // The workers stop at their next query block (well inside the 5 s grace) and serve the next job.
    const small = blobs(5606, 200, 4, 2);
    assert.deepEqual(await knnInPool(small, 200, 4, 3, { pool }), knnExact(small, 200, 4, 3));
    assert.equal(pool.stats.workers, 2, 'no worker was terminated');
  });

  void test('chunks cut at equal work', () => {
    assert.deepEqual(cutByWork(10, 2, () => 1), [0, 5, 10]);
    const cuts = cutByWork(1000, 4, (i) => 1000 - i);
    assert.equal(cuts.length, 5);
    const work = (a: number, b: number) => Array.from({ length: b - a }, (_, t) => 1000 - a - t).reduce((s, v) => s + v, 0);
    for (let c = 0; c < 4; c++) assert.ok(Math.abs(work(cuts[c], cuts[c + 1]) - 500500 / 4) < 1000, `chunk ${c}`);
    assert.deepEqual(cutByWork(0, 4, () => 1), [0]);
    assert.deepEqual(cutByWork(2, 8, () => 1), [0, 1, 2]);
  });
});
