/**
 * Nearest neighbours and DBSCAN of vectors (issue 5), side by side with scikit-learn
 * (bench/anchors/sklearn_vectors.py, /usr/bin/python3; only the fit or query is timed there) and
 * density-clustering:
 *  (a) DBSCAN on 100,000 2-D points (20 seeded Gaussian blobs): ours (the grid) vs sklearn's
 *      DBSCAN with the same eps and minPts on the same points; density-clustering on the first
 *      20,000 (it is O(n²)); ARI of our labels against sklearn's as a check;
 *  (b) DBSCAN on 20,000 Fashion-MNIST HOG descriptors (features/hog.ts, DEFAULT_HOG) with eps from
 *      our k-distance knee: ours (range queries over the worker pool, then graph DBSCAN) vs sklearn
 *      with n_jobs = -1 (every core, like our pool); the partitions compared exactly (same core
 *      and noise points; border points DBSCAN may give either cluster are counted);
 *      SIMLAB_BENCH_HOG_N changes n;
 *  (c) exact kNN (k = 10) on 10,000 × 784 Fashion-MNIST pixels: seconds per 1,000 queries, one
 *      thread (GEMM tiles, and the plain-JS tiles for comparison) and the pool, vs sklearn
 *      NearestNeighbors(algorithm='brute'); all 10,000 rows in the pool vs sklearn with
 *      n_jobs = -1 (target ≥ 1×); approximate kNN of all 10,000 rows by projection
 *      (top 64 principal directions, 4k candidates re-ranked exactly): recall@10 on the first
 *      1,000 and speed-up over exact in the pool; LSH (target recall 0.9) only with
 *      SIMLAB_BENCH_LSH=1 (minutes on this data).
 * SIMLAB_BENCH_VECTORS=hog,knn (any of blobs, hog, knn) runs only those parts.
 * The pool's worker is bundled here from server/jobs (task vectorKnn only), so this bench does
 * not depend on the rest of dist/; it is written under .bench/ so that it resolves the tfjs wasm
 * binaries from node_modules (from the system temp folder the GEMM could not load).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { DBSCAN } from 'density-clustering';
import { clusterVectors } from '../server/engine/cluster/vectorClustering';
import { readIdxData } from '../server/engine/data/idx';
import { adjustedRandIndex } from '../server/engine/eval/clustering';
import { DEFAULT_HOG, hogMatrix } from '../server/engine/features/hog';
import { knnApprox, recallAtK } from '../server/engine/index/knnApprox';
import { loadGemm } from '../server/engine/index/gemm';
import { knnExact } from '../server/engine/index/knnExact';
import { knnExactGemm } from '../server/engine/index/knnGemm';
import { WorkerPool } from '../server/jobs/pool';
import { clusterVectorsInPool, estimateEpsInPool, knnInPool, knnProjectedInPool } from '../server/jobs/vectorSearch';
import { row, seededRandom, skippedRow, type BenchContext, type BenchRow } from './harness';

const PYTHON = '/usr/bin/python3';
const ANCHOR = path.join(__dirname, 'anchors', 'sklearn_vectors.py');

function hasSklearn(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import sklearn, numpy'], { encoding: 'utf8' }).status === 0;
}

function sklearn(args: string[]): { seconds: number; clusters?: number } {
  const r = spawnSync(PYTHON, [ANCHOR, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`sklearn anchor ${args[0]} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as { seconds: number; clusters?: number };
}

function writeMatrix(file: string, data: Float32Array): void {
  writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

function seconds(fn: () => void): number {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}

async function secondsAsync(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

/** Labels as strings with noise points as singletons (ARI between two DBSCAN runs). */
function partition(labels: ArrayLike<number>): string[] {
  return Array.from(labels, (l, i) => (l < 0 ? `noise ${i}` : `c${l}`));
}

function clusterCount(labels: ArrayLike<number>): number {
  let m = -1;
  for (let i = 0; i < labels.length; i++) if (labels[i] > m) m = labels[i];
  return m + 1;
}

async function makePool(tmp: string): Promise<WorkerPool> {
  const workerFile = path.join(tmp, 'worker.js');
  await build({
    stdin: {
      contents: `import { serveTasks } from './workerRuntime'; import { vectorTasks } from './tasks/vectorKnn'; serveTasks(vectorTasks);`,
      resolveDir: path.join(__dirname, '..', 'server', 'worker'),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: workerFile,
    logLevel: 'error',
  });
  return new WorkerPool({ workerFile, execArgv: [], size: Math.max(1, os.availableParallelism()) });
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const benchDir = path.join(__dirname, '..', '.bench');
  mkdirSync(benchDir, { recursive: true });
  const tmp = mkdtempSync(path.join(benchDir, 'vectors-'));
  const pool = await makePool(tmp);
  const anchored = hasSklearn();
  const parts = process.env.SIMLAB_BENCH_VECTORS?.split(',');
  const wanted = (part: string): boolean => !parts || parts.includes(part);
  try {
    if (wanted('blobs')) rows.push(...blobs2d(ctx, tmp, anchored));
    const images = path.join(ctx.sharedData, 'images', 'train-images-idx3-ubyte.gz');
    if (!existsSync(images)) {
      rows.push(skippedRow('DBSCAN Fashion-MNIST HOG', 'seconds', 'scikit-learn', `${images} not found`, false));
      rows.push(skippedRow('kNN Fashion-MNIST 10k×784', 'seconds / 1,000 queries', 'scikit-learn', `${images} not found`, false));
    } else {
      if (wanted('hog')) rows.push(...(await hogDbscan(ctx, tmp, images, pool, anchored)));
      if (wanted('knn')) rows.push(...(await fashionKnn(ctx, tmp, images, pool, anchored)));
    }
  } finally {
    await pool.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
  return rows;
}

/** (a) 100k 2-D points in 20 Gaussian blobs. */
function blobs2d(ctx: BenchContext, tmp: string, anchored: boolean): BenchRow[] {
  const bench = 'DBSCAN 100k 2-D blobs';
  const n = 100_000;
  const rng = seededRandom(2024);
  const centres = Array.from({ length: 20 }, () => [rng() * 200, rng() * 200]);
  const data = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const c = centres[i % 20];
    const r = Math.sqrt(-2 * Math.log(1 - rng())) * 2;
    const a = 2 * Math.PI * rng();
    data[2 * i] = c[0] + r * Math.cos(a);
    data[2 * i + 1] = c[1] + r * Math.sin(a);
  }
  const eps = 0.3;
  const minPts = 10;
  ctx.log(`${bench}: ours …`);
  let labels: Int32Array = new Int32Array(0);
  const times = [0, 1, 2].map(() => seconds(() => (labels = clusterVectors(data, n, 2, { eps, minPts }).labels)));
  const ours = Math.min(...times);
  const note = `eps ${eps}, minPts ${minPts}; ours: ${clusterCount(labels)} clusters (best of 3)`;
  const out: BenchRow[] = [];
  if (anchored) {
    ctx.log(`${bench}: scikit-learn …`);
    const file = path.join(tmp, 'blobs.f32');
    writeMatrix(file, data);
    const labelsFile = path.join(tmp, 'blobs.labels');
    const sk = sklearn(['dbscan', file, String(n), '2', String(eps), String(minPts), labelsFile]);
    const skLabels = new Int32Array(readFileSync(labelsFile).buffer.slice(0));
    const ari = adjustedRandIndex(partition(skLabels), partition(labels));
    out.push(row({ bench, metric: 'seconds', ours, anchor: sk.seconds, anchorName: 'scikit-learn', higherIsBetter: false, target: '≥ 1×', note: `${note}; sklearn ${sk.clusters} clusters; ARI(ours, sklearn) = ${ari.toFixed(4)}` }));
  } else out.push(skippedRow(bench, 'seconds', 'scikit-learn', 'python3 with sklearn not found', false));
  ctx.log(`${bench}: density-clustering at 20k …`);
  const m = 20_000;
  const pts = Array.from({ length: m }, (_, i) => [data[2 * i], data[2 * i + 1]]);
  const dc = seconds(() => new DBSCAN().run(pts, eps, minPts));
  const ours20k = Math.min(...[0, 1, 2].map(() => seconds(() => clusterVectors(data.subarray(0, 2 * m), m, 2, { eps, minPts }))));
  out.push(row({ bench: 'DBSCAN 20k 2-D blobs', metric: 'seconds', ours: ours20k, anchor: dc, anchorName: 'density-clustering', higherIsBetter: false }));
  return out;
}

/**
 * The first `count` images, in a SharedArrayBuffer as the pool's reader loads a dataset
 * (worker/tasks/loadVectors.ts): the searches then share them with the workers as the product's
 * do, instead of copying 31 MB into shared memory at every call (0.12 s of a 1,000-query search).
 */
async function loadImages(file: string, count: number): Promise<Float32Array> {
  const r = await readIdxData(file, path.basename(file), count, undefined, (length) => new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT)));
  return r.data;
}

/** (b) DBSCAN of Fashion-MNIST HOG descriptors. */
async function hogDbscan(ctx: BenchContext, tmp: string, images: string, pool: WorkerPool, anchored: boolean): Promise<BenchRow[]> {
  const n = Number(process.env.SIMLAB_BENCH_HOG_N ?? 20_000);
  const bench = `DBSCAN Fashion-MNIST HOG ${n.toLocaleString('en-US')}`;
  ctx.log(`${bench}: reading and HOG …`);
  const pixels = await loadImages(images, n);
  const { data, dim } = hogMatrix({ data: pixels, shape: [28, 28, 1] }, DEFAULT_HOG);
  const minPts = 10;
  const est = await estimateEpsInPool(data, n, dim, { pool, minPts, sampleSize: 1000 });
  ctx.log(`${bench}: eps ${est.eps.toFixed(4)} from the k-distance knee; ours over the pool …`);
  let labels: Int32Array = new Int32Array(0);
  let edges = 0;
  const ours = await secondsAsync(async () => {
    const r = await clusterVectorsInPool(data, n, dim, { pool, eps: est.eps, minPts });
    labels = r.labels;
    edges = r.edges ?? 0;
  });
  const note = `dim ${dim}, eps ${est.eps.toFixed(4)} (knee of the 10-distance curve), minPts ${minPts}; ours: ${clusterCount(labels)} clusters, ${edges.toLocaleString('en-US')} edges, ${pool.size} workers`;
  if (!anchored) return [skippedRow(bench, 'seconds', 'scikit-learn', 'python3 with sklearn not found', false)];
  ctx.log(`${bench}: scikit-learn …`);
  const file = path.join(tmp, 'hog.f32');
  writeMatrix(file, data);
  const labelsFile = path.join(tmp, 'hog.labels');
  const sk = sklearn(['dbscan', file, String(n), String(dim), String(est.eps), String(minPts), labelsFile, '-1']);
  const skLabels = new Int32Array(readFileSync(labelsFile).buffer.slice(0));
  const ari = adjustedRandIndex(partition(skLabels), partition(labels));
  const differ = differingPoints(labels, skLabels);
  return [
    row({
      bench,
      metric: 'seconds',
      ours,
      anchor: sk.seconds,
      anchorName: 'scikit-learn (n_jobs -1)',
      higherIsBetter: false,
      target: '≥ 1×',
      note: `${note}; sklearn ${sk.clusters} clusters; ARI(ours, sklearn) = ${ari.toFixed(4)}; labels ${differ === 0 ? 'identical ✔' : `differ at ${differ} points ✖`}`,
    }),
  ];
}

/** Points whose label disagrees once cluster ids are matched (first come, first matched); 0: the same partition and noise. */
function differingPoints(ours: Int32Array, theirs: Int32Array): number {
  const match = new Map<number, number>();
  const taken = new Set<number>();
  let differ = 0;
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i];
    const b = theirs[i];
    if (a < 0 || b < 0) {
      if ((a < 0) !== (b < 0)) differ++;
      continue;
    }
    const m = match.get(a);
    if (m === undefined && !taken.has(b)) {
      match.set(a, b);
      taken.add(b);
    } else if (m !== b) differ++;
  }
  return differ;
}

/** (c) exact and approximate kNN on 10k × 784 pixels. */
async function fashionKnn(ctx: BenchContext, tmp: string, images: string, pool: WorkerPool, anchored: boolean): Promise<BenchRow[]> {
  const bench = 'kNN Fashion-MNIST 10k×784';
  const n = 10_000;
  const dim = 784;
  const nq = 1000;
  const k = 10;
  const data = await loadImages(images, n);
  const gemm = await loadGemm(ctx.log);
  ctx.log(`${bench}: exact, one thread (GEMM ${gemm ? gemm.backend : 'unavailable'}, then JS tiles) …`);
  let exact = knnExact(data, n, dim, 1, { to: 1 });
  const singleGemm = gemm ? seconds(() => (exact = knnExactGemm(gemm, data, n, dim, k, { from: 0, to: nq }))) : NaN;
  const singleJs = seconds(() => (exact = knnExact(data, n, dim, k, { from: 0, to: nq })));
  ctx.log(`${bench}: exact, pool …`);
  // The first nq images as the queries: a view of the shared rows, as the editor passes records of a loaded dataset.
  const queries = data.subarray(0, nq * dim);
  // Warm workers, as in the editor's host: their first task starts the wasm backend (~0.4 s),
  // which scikit-learn's figure (after its import) does not include either.
  await knnInPool(data, n, dim, k + 1, { pool, queries: queries.subarray(0, 32 * dim) });
  const pooled = await secondsAsync(() => knnInPool(data, n, dim, k + 1, { pool, queries }));
  const out: BenchRow[] = [];
  const oneThread = `one thread: GEMM ${singleGemm.toFixed(2)} s, JS tiles ${singleJs.toFixed(2)} s (×${(singleJs / singleGemm).toFixed(1)})`;
  if (anchored) {
    ctx.log(`${bench}: scikit-learn brute …`);
    const file = path.join(tmp, 'fashion.f32');
    writeMatrix(file, data);
    const sk = sklearn(['knn', file, String(n), String(dim), String(nq), String(k)]);
    out.push(row({ bench, metric: 'seconds / 1,000 queries (pool)', ours: pooled, anchor: sk.seconds, anchorName: 'sklearn brute (BLAS)', higherIsBetter: false, note: `${oneThread}; sklearn time includes fit (a copy)` }));
  } else out.push(skippedRow(bench, 'seconds / 1,000 queries', 'scikit-learn', `python3 with sklearn not found; ${oneThread}`, false));
  ctx.log(`${bench}: exact, all ${n} rows in the pool …`);
  // The machine may be shared (CI): the 1-minute load average beside the figure, ours and sklearn's back to back.
  const load = os.loadavg()[0];
  const allExactSeconds = await secondsAsync(() => knnInPool(data, n, dim, k, { pool }));
  if (anchored) {
    ctx.log(`${bench}: scikit-learn brute, all ${n} rows, n_jobs -1 …`);
    const file = path.join(tmp, 'fashion.f32');
    writeMatrix(file, data);
    const sk = sklearn(['knn', file, String(n), String(dim), String(n), String(k), '-1']);
    out.push(row({ bench, metric: `seconds, all ${n} rows (pool)`, ours: allExactSeconds, anchor: sk.seconds, anchorName: 'sklearn brute (n_jobs -1)', higherIsBetter: false, target: '≥ 1×', note: `${pool.size} workers, symmetric tiles (each pair's product once); load average ${load.toFixed(2)} before ours, ${os.loadavg()[0].toFixed(2)} after sklearn; sklearn time includes fit (a copy)` }));
  } else out.push(skippedRow(bench, `seconds, all ${n} rows`, 'scikit-learn', 'python3 with sklearn not found', false));
  ctx.log(`${bench}: projected (64 directions, 4k candidates), all ${n} rows in the pool …`);
  const t0 = performance.now();
  const projected = await knnProjectedInPool(data, n, dim, k, { pool, seed: 1 });
  const projectedSeconds = (performance.now() - t0) / 1000;
  if (projected) {
    const p = projected;
    const firstRows = { ...p, nq, indices: p.indices.subarray(0, nq * k), distances: p.distances.subarray(0, nq * k) };
    const recall = recallAtK(firstRows, exact, k);
    out.push(
      row({
        bench,
        metric: 'projected kNN speed-up vs exact (pool, all rows)',
        ours: allExactSeconds / projectedSeconds,
        anchor: null,
        anchorName: '—',
        higherIsBetter: true,
        note: `recall@10 = ${recall.toFixed(4)} (first 1,000 rows); projected ${projectedSeconds.toFixed(1)} s vs exact ${allExactSeconds.toFixed(1)} s for all ${n}`,
      }),
    );
  } else out.push(skippedRow(bench, 'projected kNN speed-up', '—', 'the workers have no GEMM', true));
  if (process.env.SIMLAB_BENCH_LSH === '1') {
    ctx.log(`${bench}: approximate (LSH, target recall 0.9), all ${n} rows …`);
    let approx = knnApprox(data, 1, dim, 1);
    const approxSeconds = seconds(() => (approx = knnApprox(data, n, dim, k, { metric: 'euclidean', recall: 0.9, seed: 1 })));
    const firstRows = { ...approx, nq, indices: approx.indices.subarray(0, nq * k), distances: approx.distances.subarray(0, nq * k) };
    const recall = recallAtK(firstRows, exact, k);
    const p = approx.params;
    out.push(
      row({
        bench,
        metric: 'LSH speed-up vs exact (one thread, GEMM)',
        ours: singleGemm / nq / (approxSeconds / n),
        anchor: null,
        anchorName: '—',
        higherIsBetter: true,
        note: `recall@10 = ${recall.toFixed(3)} (predicted ${(p.predictedRecall ?? NaN).toFixed(3)}); L=${p.tables}, K=${p.bits}, w=${(p.width ?? NaN).toFixed(0)}; ${approx.meanCandidates.toFixed(0)} candidates/query; ${approxSeconds.toFixed(1)} s for all ${n} incl. index`,
      }),
    );
  }
  return out;
}
