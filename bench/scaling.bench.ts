/**
 * How the clustering pipeline uses the cores (issue 15): BioMarKs50k at 97 % clustered in-process
 * with a pool of 1 and then 2 workers (the built dist/worker.js; index cache off). Per stage: wall
 * seconds, CPU seconds over every thread of the process (the pool runs in-process, so its workers
 * count), and CPU ÷ wall — the stage's parallel share, robust on a shared machine where wall time
 * is noise. Targets, each printed ✔/✖:
 *  - every heavy stage (≥ 10 % of wall at 1 worker) at least 1.8× faster with 2 workers;
 *  - with 2 workers, no stage that runs on one thread (CPU ÷ wall < 1.3) above 10 % of the wall.
 * SIMLAB_BENCH_REPEATS (default 1) runs each pool size that many times, medians reported.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { clusterDataset } from '../server/jobs/clusterDataset';
import { WorkerPool } from '../server/jobs/pool';
import { median, row, skippedRow, type BenchContext, type BenchRow } from './harness';

const root = path.resolve(__dirname, '..');
const WORKER = path.join(root, 'dist', 'worker.js');

interface StageTimes {
  wall: Record<string, number>;
  cpu: Record<string, number>;
}

async function clusterOnce(file: string, workers: number): Promise<StageTimes> {
  const pool = new WorkerPool({ workerFile: WORKER, execArgv: [], size: workers });
  try {
    const out = await clusterDataset(file, { pool, params: { threshold: 0.97, minPts: 2, mutualNeighbours: { neighbours: 8, strongSimilarity: 0.98 }, candidatesPerRecord: 32 } });
    return { wall: out.stats.seconds, cpu: out.stats.cpuSeconds };
  } finally {
    await pool.dispose();
  }
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

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const file = path.join(ctx.sharedData, 'dna', 'BioMarKs50k.fsa.gz');
  if (!existsSync(file)) return [skippedRow('BioMarKs50k stages', 'speed-up 1→2 workers', '1 worker', `${file} not found`)];
  if (!existsSync(WORKER)) return [skippedRow('BioMarKs50k stages', 'speed-up 1→2 workers', '1 worker', `${WORKER} not built (node esbuild.mjs)`)];
  const repeats = Math.max(1, Number(process.env.SIMLAB_BENCH_REPEATS ?? 1));
  const by: Record<number, StageTimes[]> = { 1: [], 2: [] };
  for (let r = 0; r < repeats; r++) {
    for (const w of [1, 2]) {
      ctx.log(`BioMarKs50k @0.97: ${w} worker(s), run ${r + 1}/${repeats} …`);
      by[w].push(await clusterOnce(file, w));
    }
  }
  const one = medians(by[1]);
  const two = medians(by[2]);
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
    rows.push(row({ bench: `BioMarKs50k ${stage}`, metric: 'seconds, 2 vs 1 worker', ours: two.wall[stage], anchor: one.wall[stage], anchorName: '1 worker', higherIsBetter: false, ...(heavy ? { target: '≥ 1.8×' } : {}), note }));
  }
  rows.push(row({ bench: 'BioMarKs50k total', metric: 'seconds, 2 vs 1 worker', ours: total2, anchor: total1, anchorName: '1 worker', higherIsBetter: false, note: `CPU ${Object.values(two.cpu).reduce((s, v) => s + v, 0).toFixed(1)} s at 2 workers; machine shared: wall is noisy, CPU ÷ wall is the robust figure` }));
  return rows;
}
