/**
 * How clustering and mapping use the cores (issue 15), in-process with a pool of 1 and then 2
 * workers (the built dist/worker.js; no index cache):
 *  - BioMarKs50k clustered at 97 % (clusterDataset's stages);
 *  - the embedding map of 10,000 Fashion-MNIST images (pixels → kNN → UMAP; embedMap's stages),
 *    the two maps compared (1 and 2 workers must draw the same map for a seed);
 *  - DBSCAN of 5,000 Fashion-MNIST HOG descriptors (eps estimate, range queries, graph DBSCAN).
 * Per stage: wall
 * seconds, CPU seconds over every thread of the process (the pool runs in-process), CPU ÷ wall,
 * and the parallelism on free cores from each thread's own CPU time (jobs/stageTimes.ts) — the
 * robust figure on a shared machine, where wall time is noise. Targets, each printed ✔/✖:
 *  - every heavy stage (≥ 10 % of the CPU at 1 worker) with a parallelism ≥ 1.8 at 2 workers;
 *  - at 2 workers, no stage on one thread (parallelism < 1.3) above 10 % of the critical path.
 * At 1 worker a FASTA file is read by one parser and sketched after; at 2 workers the bench reads
 * it in chunks on every worker (jobs/parallelRead.ts), sketched as it is parsed, so there the
 * `read` stage holds the sketching too and `sketch` is nearly empty. The product reads in chunks
 * from 3 workers on (PARALLEL_READ_MIN_WORKERS: on 2, one parser is faster); the 2-worker rows
 * measure the read as it runs on more cores, which is what their parallelism stands for.
 * SIMLAB_BENCH_REPEATS (default 1) runs each pool size that many times, medians reported.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readIdxData } from '../server/engine/data/idx';
import { DEFAULT_HOG, hogMatrix } from '../server/engine/features/hog';
import { clusterDataset } from '../server/jobs/clusterDataset';
import { embedMap } from '../server/jobs/mapLayout';
import { CHUNK_BYTES } from '../server/jobs/parallelRead';
import { WorkerPool } from '../server/jobs/pool';
import { stageTimer } from '../server/jobs/stageTimes';
import type { RangeChunk } from '../server/engine/cluster/vectorClustering';
import { estimateEpsInPool, rangeChunksInPool, sharedCopy } from '../server/jobs/vectorSearch';
import { median, row, skippedRow, type BenchContext, type BenchRow } from './harness';

const root = path.resolve(__dirname, '..');
const WORKER = path.join(root, 'dist', 'worker.js');

interface StageTimes {
  wall: Record<string, number>;
  cpu: Record<string, number>;
  /** (calling thread + all workers' CPU) ÷ (calling thread + busiest worker's CPU): the gain on free cores. */
  par: Record<string, number>;
  /** The calling thread's plus the busiest worker's CPU: the stage's length on free cores. */
  crit: Record<string, number>;
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
    // parallelRead: chunks from 2 workers, the read of 3 or more (on 2, the product reads with one parser: see below).
    const out = await clusterDataset(file, { pool, parallelRead: true, params: { threshold: 0.97, minPts: 2, mutualNeighbours: { neighbours: 8, strongSimilarity: 0.98 }, candidatesPerRecord: 32 } });
    return { wall: out.stats.seconds, cpu: out.stats.cpuSeconds, par: out.stats.parallelism ?? {}, crit: out.stats.criticalCpuSeconds ?? {} };
  });
}

/** The times of each named step, run in turn (jobs/stageTimes.ts). */
async function stages(pool: WorkerPool, steps: [string, () => Promise<unknown>][]): Promise<StageTimes> {
  const timer = stageTimer(pool);
  for (const [name, step] of steps) {
    await step();
    timer.lap(name);
  }
  return { wall: timer.seconds, cpu: timer.cpuSeconds, par: timer.parallelism, crit: timer.criticalCpuSeconds };
}

function medians(runs: StageTimes[]): StageTimes {
  const out: StageTimes = { wall: {}, cpu: {}, par: {}, crit: {} };
  for (const k of Object.keys(runs[0].wall)) {
    for (const f of ['wall', 'cpu', 'par', 'crit'] as const) out[f][k] = median(runs.map((r) => r[f][k] ?? Number.NaN));
  }
  return out;
}

const mark = (ok: boolean): string => (ok ? '✔' : '✖');

/** Rows per stage of one workload measured at 1 and 2 workers, with the targets of the file comment. */
function stageRows(workload: string, runs1: StageTimes[], runs2: StageTimes[], extraNote = ''): BenchRow[] {
  const one = medians(runs1);
  const two = medians(runs2);
  const sum = (r: Record<string, number>) => Object.values(r).reduce((s, v) => s + v, 0);
  const cpu1 = sum(one.cpu);
  const crit2 = sum(two.crit);
  const wall1 = sum(one.wall);
  const wall2 = sum(two.wall);
  const rows: BenchRow[] = [];
  for (const stage of Object.keys(one.wall)) {
    // Shares and parallelism from each thread's own CPU time: robust on a busy machine, where
    // wall time (and CPU ÷ wall) says more about the neighbours than about the code.
    const share1 = one.cpu[stage] / cpu1;
    const critShare2 = two.crit[stage] / crit2;
    const par2 = two.par[stage];
    const heavy = share1 >= 0.1;
    const oneThread = !(par2 >= 1.3);
    const speedOk = !heavy || par2 >= 1.8;
    const shareOk = !oneThread || critShare2 <= 0.1;
    const note =
      `1w ${one.wall[stage].toFixed(2)} s wall / ${one.cpu[stage].toFixed(2)} s CPU (${(100 * share1).toFixed(0)} % of CPU); ` +
      `2w ${two.wall[stage].toFixed(2)} s wall / ${two.cpu[stage].toFixed(2)} s CPU, ${(two.cpu[stage] / two.wall[stage]).toFixed(2)} CPU÷wall; ` +
      `parallelism on free cores at 2w ${par2.toFixed(2)}× (${(100 * critShare2).toFixed(0)} % of the critical path); ` +
      `${heavy ? `heavy: ≥ 1.8× ${mark(speedOk)}` : 'light'}; ${oneThread ? `one thread: ≤ 10 % ${mark(shareOk)}` : 'parallel ✔'}`;
    rows.push(row({ bench: `${workload} ${stage}`, metric: 'parallelism at 2 workers', ours: par2, anchor: 1, anchorName: '1 thread', higherIsBetter: true, ...(heavy ? { target: '≥ 1.8×' } : {}), note }));
  }
  rows.push(
    row({
      bench: `${workload} total`,
      metric: 'wall seconds, 2 vs 1 worker',
      ours: wall2,
      anchor: wall1,
      anchorName: '1 worker',
      higherIsBetter: false,
      note: `on free cores: ${(sum(two.cpu) / crit2).toFixed(2)}× (CPU ${sum(two.cpu).toFixed(1)} s, critical path ${crit2.toFixed(1)} s)${extraNote}; the machine is shared: wall times are noisy`,
    }),
  );
  return rows;
}

/** CPU seconds of one run of `task` alone on a 1-worker pool (the second of two runs: the first warms the worker). */
async function taskCpu(run: (pool: WorkerPool) => Promise<unknown>): Promise<number> {
  return withPool(1, async (pool) => {
    await run(pool);
    const before = pool.workerCpuSeconds;
    await run(pool);
    let cpu = 0;
    for (const [w, c] of pool.workerCpuSeconds) cpu += c - (before.get(w) ?? 0);
    return cpu;
  });
}

/**
 * The part of the read that stays on one thread however many workers there are, which bounds
 * the read's speed-up on free cores: the reading task's CPU alone — the chunk reader
 * (inflateChunks: hash, gunzip, cut) against one parser reading everything (loadDataset).
 * The bound: the read and sketch stages' CPU at 1 worker over that part.
 */
async function readerRow(file: string, one: StageTimes): Promise<BenchRow> {
  const chunked = await taskCpu((pool) => pool.run('inflateChunks', { file, format: 'fasta', chunkBytes: CHUNK_BYTES, parsed: new Int32Array(new SharedArrayBuffer(4)) }, { onProgress: () => undefined }));
  const whole = await taskCpu((pool) => pool.run('loadDataset', { file, read: {} }));
  const work = (one.cpu['read'] ?? 0) + (one.cpu['sketch'] ?? 0);
  return row({
    bench: 'BioMarKs50k read',
    metric: 'one-thread part, CPU s',
    ours: chunked,
    anchor: whole,
    anchorName: 'one parser',
    higherIsBetter: false,
    note: `the read + sketch stages' speed-up on free cores is at most ${(work / chunked).toFixed(1)}× in chunks, ${(work / whole).toFixed(1)}× with one parser (their CPU at 1 worker, ${work.toFixed(2)} s, over this part)`,
  });
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
    rows.push(await readerRow(dna, medians(by[1])));
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
      // The map's stages report no critical path: the calling thread's plus the busiest worker's CPU is CPU ÷ parallelism.
      const crit = { scale: out.cpuSeconds.scale / out.parallelism.scale, kNN: out.cpuSeconds.kNN / out.parallelism.kNN, UMAP: out.cpuSeconds.UMAP / out.parallelism.UMAP };
      embed[w].push({ wall: keep(out.seconds), cpu: keep(out.cpuSeconds), par: keep(out.parallelism), crit });
    }
  }
  const sameMap = maps[1].every((m) => m.length === maps[2][0].length && m.every((v, i) => Object.is(v, maps[2][0][i])));
  rows.push(...stageRows('Fashion-MNIST 10k map', embed[1], embed[2], `; the 1- and 2-worker maps (seed 1) are ${sameMap ? 'the same ✔' : 'different ✖'}`));
  // DBSCAN of HOG descriptors (5,000: the range queries are O(n²·dim)): the eps estimate, the
  // range queries over the pool, then the graph DBSCAN task on their edges (clusterVectorsInPool's steps).
  const m = 5_000;
  // In shared memory, as the product's vector index holds its features (jobs/vectorIndex.ts): else
  // each stage copies them there first (70 ms of the host's thread for 5,000 × 1,296).
  const features = hogMatrix({ data: pixels.subarray(0, m * 784), shape: [28, 28, 1] }, DEFAULT_HOG);
  const data = sharedCopy(features.data);
  const dim = features.dim;
  const hog: Record<number, StageTimes[]> = { 1: [], 2: [] };
  for (let r = 0; r < repeats; r++) {
    for (const w of [1, 2]) {
      ctx.log(`Fashion-MNIST 5k HOG DBSCAN: ${w} worker(s), run ${r + 1}/${repeats} …`);
      hog[w].push(
        await withPool(w, async (pool) => {
          let eps = 0;
          let ranges: RangeChunk[] = [];
          return stages(pool, [
            ['eps estimate', async () => (eps = (await estimateEpsInPool(data, m, dim, { pool, minPts: 10, sampleSize: 1000 })).eps)],
            ['range queries', async () => (ranges = await rangeChunksInPool(data, m, dim, eps, { pool }))],
            ['graph DBSCAN', () => pool.run('vectorGraphDbscan', { n: m, minPts: 10, ranges, distances: true })],
          ]);
        }),
      );
    }
  }
  rows.push(...stageRows('Fashion-MNIST 5k HOG DBSCAN', hog[1], hog[2]));
  return rows;
}
