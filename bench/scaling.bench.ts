/**
 * How clustering and mapping use the cores (issue 15), in-process with a pool of 1 and then 2
 * workers (the built dist/worker.js; no index cache):
 *  - BioMarKs50k clustered at 97 % (clusterDataset's stages);
 *  - the embedding map of 10,000 Fashion-MNIST images (pixels → kNN → UMAP; embedMap's stages),
 *    the two maps compared (1 and 2 workers must draw the same map for a seed);
 *  - DBSCAN of 5,000 Fashion-MNIST HOG descriptors (eps estimate, range queries, graph DBSCAN).
 * Per stage: wall
 * seconds, CPU seconds over every thread of the process (the pool runs in-process, so its workers
 * count), and CPU ÷ wall — the stage's parallel share, robust on a shared machine where wall time
 * is noise. Targets, each printed ✔/✖:
 *  - every heavy stage (≥ 10 % of wall at 1 worker) at least 1.8× faster with 2 workers;
 *  - with 2 workers, no stage that runs on one thread (CPU ÷ wall < 1.3) above 10 % of the wall.
 * SIMLAB_BENCH_REPEATS (default 1) runs each pool size that many times, medians reported.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readIdxData } from '../server/engine/data/idx';
import { DEFAULT_HOG, hogMatrix } from '../server/engine/features/hog';
import { clusterDataset } from '../server/jobs/clusterDataset';
import { embedMap } from '../server/jobs/mapLayout';
import { WorkerPool } from '../server/jobs/pool';
import type { WeightedEdges } from '../server/engine/cluster/graph';
import { estimateEpsInPool, rangeEdgesInPool } from '../server/jobs/vectorSearch';
import { median, row, skippedRow, type BenchContext, type BenchRow } from './harness';

const root = path.resolve(__dirname, '..');
const WORKER = path.join(root, 'dist', 'worker.js');

interface StageTimes {
  wall: Record<string, number>;
  cpu: Record<string, number>;
}

async function withPool<T>(workers: number, body: (pool: WorkerPool) => Promise<T>): Promise<T> {
  const pool = new WorkerPool({ workerFile: WORKER, execArgv: [], size: workers });
  try {
    return await body(pool);
  } finally {
    await pool.dispose();
  }
}

function clusterOnce(file: string, workers: number): Promise<StageTimes> {
  return withPool(workers, async (pool) => {
    const out = await clusterDataset(file, { pool, params: { threshold: 0.97, minPts: 2, mutualNeighbours: { neighbours: 8, strongSimilarity: 0.98 }, candidatesPerRecord: 32 } });
    return { wall: out.stats.seconds, cpu: out.stats.cpuSeconds };
  });
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Wall and CPU seconds of each named step, run in turn. */
async function stages(steps: [string, () => Promise<unknown>][]): Promise<StageTimes> {
  const wall: Record<string, number> = {};
  const cpu: Record<string, number> = {};
  for (const [name, step] of steps) {
    const t = performance.now();
    const c = cpuNow();
    await step();
    wall[name] = (performance.now() - t) / 1000;
    cpu[name] = cpuNow() - c;
  }
  return { wall, cpu };
}

function medians(runs: StageTimes[]): StageTimes {
  const wall: Record<string, number> = {};
  const cpu: Record<string, number> = {};
  for (const k of Object.keys(runs[0].wall)) {
    wall[k] = median(runs.map((r) => r.wall[k] ?? 0));
    cpu[k] = median(runs.map((r) => r.cpu[k] ?? 0));
  }
  return { wall, cpu };
}

const mark = (ok: boolean): string => (ok ? '✔' : '✖');

/** Rows per stage of one workload measured at 1 and 2 workers, with the targets of the file comment. */
function stageRows(workload: string, runs1: StageTimes[], runs2: StageTimes[], extraNote = ''): BenchRow[] {
  const one = medians(runs1);
  const two = medians(runs2);
  const total1 = Object.values(one.wall).reduce((s, v) => s + v, 0);
  const total2 = Object.values(two.wall).reduce((s, v) => s + v, 0);
  const rows: BenchRow[] = [];
  for (const stage of Object.keys(one.wall)) {
    const share1 = one.wall[stage] / total1;
    const share2 = two.wall[stage] / total2;
    const par2 = two.cpu[stage] / Math.max(1e-9, two.wall[stage]);
    const heavy = share1 >= 0.1;
    const oneThread = par2 < 1.3;
    const speedOk = !heavy || one.wall[stage] / two.wall[stage] >= 1.8;
    const shareOk = !oneThread || share2 <= 0.1;
    const note =
      `1w ${one.wall[stage].toFixed(2)} s wall / ${one.cpu[stage].toFixed(2)} s CPU (${(100 * share1).toFixed(0)} %); ` +
      `2w ${two.wall[stage].toFixed(2)} s wall / ${two.cpu[stage].toFixed(2)} s CPU = ${par2.toFixed(2)} threads (${(100 * share2).toFixed(0)} %); ` +
      `${heavy ? `heavy: ≥ 1.8× ${mark(speedOk)}` : 'light'}; ${oneThread ? `one thread, ≤ 10 % of wall ${mark(shareOk)}` : 'parallel ✔'}`;
    rows.push(row({ bench: `${workload} ${stage}`, metric: 'seconds, 2 vs 1 worker', ours: two.wall[stage], anchor: one.wall[stage], anchorName: '1 worker', higherIsBetter: false, ...(heavy ? { target: '≥ 1.8×' } : {}), note }));
  }
  const cpu2 = Object.values(two.cpu).reduce((s, v) => s + v, 0);
  rows.push(
    row({
      bench: `${workload} total`,
      metric: 'seconds, 2 vs 1 worker',
      ours: total2,
      anchor: total1,
      anchorName: '1 worker',
      higherIsBetter: false,
      note: `CPU ${cpu2.toFixed(1)} s = ${(cpu2 / total2).toFixed(2)} threads at 2 workers${extraNote}; machine shared: wall is noisy, CPU ÷ wall is the robust figure`,
    }),
  );
  return rows;
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  if (!existsSync(WORKER)) return [skippedRow('scaling', 'speed-up 1→2 workers', '1 worker', `${WORKER} not built (node esbuild.mjs)`)];
  const repeats = Math.max(1, Number(process.env.SIMLAB_BENCH_REPEATS ?? 1));
  const rows: BenchRow[] = [];
  const dna = path.join(ctx.sharedData, 'dna', 'BioMarKs50k.fsa.gz');
  if (!existsSync(dna)) rows.push(skippedRow('BioMarKs50k stages', 'speed-up 1→2 workers', '1 worker', `${dna} not found`));
  else {
    const by: Record<number, StageTimes[]> = { 1: [], 2: [] };
    for (let r = 0; r < repeats; r++) {
      for (const w of [1, 2]) {
        ctx.log(`BioMarKs50k @0.97: ${w} worker(s), run ${r + 1}/${repeats} …`);
        by[w].push(await clusterOnce(dna, w));
      }
    }
    rows.push(...stageRows('BioMarKs50k', by[1], by[2]));
  }
  const images = path.join(ctx.sharedData, 'images', 'train-images-idx3-ubyte.gz');
  if (!existsSync(images)) {
    rows.push(skippedRow('Fashion-MNIST 10k map stages', 'speed-up 1→2 workers', '1 worker', `${images} not found`));
    return rows;
  }
  const n = 10_000;
  const pixels = (await readIdxData(images, path.basename(images), n)).data;
  // The embedding map: pixels → kNN (projected at this size) → UMAP.
  const maps: Record<number, Float32Array[]> = { 1: [], 2: [] };
  const embed: Record<number, StageTimes[]> = { 1: [], 2: [] };
  for (let r = 0; r < repeats; r++) {
    for (const w of [1, 2]) {
      ctx.log(`Fashion-MNIST 10k map: ${w} worker(s), run ${r + 1}/${repeats} …`);
      const out = await withPool(w, (pool) => embedMap(pixels, 784, { pool, umap: { seed: 1 } }));
      maps[w].push(out.points);
      const keep = (o: Record<string, number>) => ({ scale: o.scale, kNN: o.kNN, UMAP: o.UMAP });
      embed[w].push({ wall: keep(out.seconds), cpu: keep(out.cpuSeconds) });
    }
  }
  const sameMap = maps[1].every((m) => m.length === maps[2][0].length && m.every((v, i) => Object.is(v, maps[2][0][i])));
  rows.push(...stageRows('Fashion-MNIST 10k map', embed[1], embed[2], `; the 1- and 2-worker maps (seed 1) are ${sameMap ? 'the same ✔' : 'different ✖'}`));
  // DBSCAN of HOG descriptors (5,000: the range queries are O(n²·dim)): the eps estimate, the
  // range queries over the pool, then the graph DBSCAN task on their edges (clusterVectorsInPool's steps).
  const m = 5_000;
  const { data, dim } = hogMatrix({ data: pixels.subarray(0, m * 784), shape: [28, 28, 1] }, DEFAULT_HOG);
  const hog: Record<number, StageTimes[]> = { 1: [], 2: [] };
  for (let r = 0; r < repeats; r++) {
    for (const w of [1, 2]) {
      ctx.log(`Fashion-MNIST 5k HOG DBSCAN: ${w} worker(s), run ${r + 1}/${repeats} …`);
      hog[w].push(
        await withPool(w, async (pool) => {
          let eps = 0;
          let edges: WeightedEdges | undefined;
          return stages([
            ['eps estimate', async () => (eps = (await estimateEpsInPool(data, m, dim, { pool, minPts: 10, sampleSize: 1000 })).eps)],
            ['range queries', async () => (edges = await rangeEdgesInPool(data, m, dim, eps, { pool }))],
            ['graph DBSCAN', () => pool.run('vectorGraphDbscan', { n: m, minPts: 10, i: edges!.i, j: edges!.j })],
          ]);
        }),
      );
    }
  }
  rows.push(...stageRows('Fashion-MNIST 5k HOG DBSCAN', hog[1], hog[2]));
  return rows;
}
