/**
 * Training throughput of the reference conv net (issue 6): samples per second of
 * conv32 3×3 relu - maxpool2 - conv64 3×3 relu - maxpool2 - flatten - dense64 relu - dense10
 * softmax (classification head, sparse categorical cross-entropy), Adam 1e-3, batch 64 of
 * 28×28×1 ('valid' padding: 28-26-13-11-5), one `trainOnBatch` per step (loss read back each
 * step, as `fit` does), on
 *  - our default backend (initBackend('auto'): tfjs-node if installed, else wasm + our kernels),
 *  - PyTorch on the CPU with the same net and as many threads as we use
 *    (bench/anchors/torch_throughput.py with /usr/bin/python3; skipped when torch is missing),
 *  - tfjs's plain cpu backend with our conv2d gradient kernels (its own take minutes a step),
 *    for reference.
 * and the same for a batch-norm variant (the blocks our default conv2d encoder builds: conv
 * 'same' without bias - batch norm - relu - maxpool 2, twice; flatten - dense10), whose
 * gradient is where the wasm backend was weakest.
 * Data-parallel (issue 15): the same net trained by 1…N worker threads of one backend each
 * (engine/models/dataParallel.ts; bench/trainingRank.ts is a rank), batch 64 split among them,
 * beside PyTorch with as many threads; N = the machine's cores. Rows: each worker count against
 * PyTorch at that thread count (target ≥ 0.8× at N), and the scaling 1 → N workers (target
 * ≥ 1.6× at 2) with the efficiency of each count and its CPU time / wall time (cores really used).
 * Ours and PyTorch run in alternating rounds (the median of each is kept), so a busy moment on
 * a shared machine weighs on both alike. The headline is wall-clock samples/s; the note also
 * gives each side's median process CPU time per step, steadier when other jobs share the cores.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../server/engine/models/backend';
import { createParallelBuffers, STEP_PHASES, trainableVariables } from '../server/engine/models/dataParallel';
import { median, row, seededRandom, skippedRow, type BenchContext, type BenchRow } from './harness';
import type { FollowerOutput, RankInput, RankOutput } from './trainingRank';

const BATCH = 64;
const ROUNDS = 5;
const anchorScript = path.join(__dirname, 'anchors', 'torch_throughput.py');

/** The reference net, as in torch_throughput.py. */
export function referenceNet(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 64, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
  return model;
}

/** The batch-norm variant, as batchnorm_net() in torch_throughput.py. */
export function batchNormNet(): tf.LayersModel {
  const block = (filters: number, first: boolean): tf.layers.Layer[] => [
    tf.layers.conv2d({ ...(first ? { inputShape: [28, 28, 1] } : {}), filters, kernelSize: 3, padding: 'same', useBias: false }),
    tf.layers.batchNormalization(),
    tf.layers.reLU(),
    tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
  ];
  const model = tf.sequential({ layers: [...block(32, true), ...block(64, false), tf.layers.flatten(), tf.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
  return model;
}

type NetName = 'reference' | 'batchnorm';

interface Rate {
  samplesPerSecond: number;
  cpuMsPerStep: number;
}

interface Trainer {
  /** Wall-clock samples per second and process CPU ms per step over `steps` steps. */
  measure(steps: number): Promise<Rate>;
  dispose(): void;
}

async function tfjsTrainer(backend: string, net: NetName = 'reference'): Promise<Trainer> {
  if (backend === 'cpu') await initBackend('cpu');
  else await tf.setBackend(backend);
  const model = net === 'reference' ? referenceNet() : batchNormNet();
  // A few batches cycled, so no step reuses the previous one's input.
  const xs = [1, 2, 3, 4].map((seed) => tf.randomUniform([BATCH, 28, 28, 1], 0, 1, 'float32', seed));
  const ys = [5, 6, 7, 8].map((seed) => tf.randomUniform([BATCH, 1], 0, 10, 'int32', seed).cast('float32'));
  let i = 0;
  const step = async (): Promise<void> => {
    await model.trainOnBatch(xs[i % 4] as tf.Tensor, ys[i % 4] as tf.Tensor);
    i++;
  };
  for (let w = 0; w < 3; w++) await step();
  return {
    async measure(steps) {
      await tf.setBackend(backend);
      const t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      for (let s = 0; s < steps; s++) await step();
      const cpu = process.cpuUsage(c0);
      return { samplesPerSecond: (steps * BATCH) / (Number(process.hrtime.bigint() - t0) / 1e9), cpuMsPerStep: (cpu.user + cpu.system) / 1000 / steps };
    },
    dispose() {
      model.dispose();
      tf.dispose([...xs, ...ys]);
    },
  };
}

function hasTorch(): string | null {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (r.error) return `/usr/bin/python3 not found (${r.error.message})`;
  return r.status === 0 ? null : 'python3-torch not installed (import torch failed)';
}

/**
 * The BLAS library PyTorch's process maps (its dense layers multiply there). Debian's torch
 * depends on libblas3 only: without libopenblas0 its Linear layers run on the reference BLAS,
 * slower, and the anchor understates PyTorch. Printed in every PyTorch note.
 */
let blasSeen: string | null = null;
function torchBlas(): string {
  if (blasSeen !== null) return blasSeen;
  const probe = "import torch; torch.mm(torch.rand(8, 8), torch.rand(8, 8)); print(' '.join(sorted({l.split()[-1].rsplit('/', 2)[-2] + '/' + l.split()[-1].rsplit('/', 1)[-1] for l in open('/proc/self/maps') if 'blas' in l.split()[-1]})))";
  const r = spawnSync('/usr/bin/python3', ['-c', probe], { encoding: 'utf8' });
  const libs = r.status === 0 ? r.stdout.trim() : '';
  // Debian's reference BLAS lives in .../blas/ (libblas3); OpenBLAS in .../openblas-*/.
  blasSeen = !libs ? 'BLAS unknown' : /(^| )blas\/libblas/.test(libs) ? `the REFERENCE BLAS (${libs}): apt-get install libopenblas0-pthread for a fair anchor` : `BLAS ${libs}`;
  return blasSeen;
}

function torchRate(threads: number, steps: number, net: NetName): Rate {
  const r = spawnSync('/usr/bin/python3', [anchorScript, '--threads', String(threads), '--net', net, '--steps', String(steps), '--batch', String(BATCH)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${anchorScript} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { samples_per_s?: number; cpu_ms_per_step?: number };
  if (typeof out.samples_per_s !== 'number' || typeof out.cpu_ms_per_step !== 'number') throw new Error(`${anchorScript}: no samples_per_s / cpu_ms_per_step in ${r.stdout}`);
  return { samplesPerSecond: out.samples_per_s, cpuMsPerStep: out.cpu_ms_per_step };
}

/** Alternating rounds of ours and PyTorch on one net; one row. */
async function compare(ctx: BenchContext, backend: string, simd: boolean | undefined, threads: number, noTorch: string | null, net: NetName, steps: { ours: number; torch: number }): Promise<BenchRow> {
  const bench = net === 'reference' ? 'training, reference conv net' : 'training, batch-norm conv net';
  const metric = `samples/s, batch ${BATCH}`;
  const ours = await tfjsTrainer(backend, net);
  const ourRates: Rate[] = [];
  const torchRates: Rate[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    ctx.log(`${bench}: round ${r + 1}/${ROUNDS}: tfjs ${backend} …`);
    ourRates.push(await ours.measure(steps.ours));
    if (!noTorch) {
      ctx.log(`${bench}: round ${r + 1}/${ROUNDS}: PyTorch (${threads} thread) …`);
      torchRates.push(torchRate(threads, steps.torch, net));
    }
  }
  ours.dispose();
  const oursRate = median(ourRates.map((r) => r.samplesPerSecond));
  const ourCpu = median(ourRates.map((r) => r.cpuMsPerStep));
  const list = (rates: Rate[]): string => rates.map((r) => Math.round(r.samplesPerSecond)).join('/');
  const note = `${backend}${simd ? ' SIMD' : ''}, ${threads} thread; rounds ${list(ourRates)}; CPU ${ourCpu.toFixed(0)} ms/step`;
  if (noTorch) {
    const skipped = skippedRow(bench, metric, 'PyTorch CPU', noTorch);
    return { ...skipped, ours: oursRate, note: `${skipped.note ?? ''}; ${note}` };
  }
  const torchCpu = median(torchRates.map((r) => r.cpuMsPerStep));
  return row({
    bench,
    metric,
    ours: oursRate,
    anchor: median(torchRates.map((r) => r.samplesPerSecond)),
    anchorName: `PyTorch CPU, ${threads} thread`,
    higherIsBetter: true,
    ...(net === 'reference' ? { target: '≥ 0.5×' } : {}),
    note: `${note}; torch ${list(torchRates)} on ${torchBlas()}, CPU ${torchCpu.toFixed(0)} ms/step (CPU-time ratio ${(torchCpu / ourCpu).toFixed(2)}×)`,
  });
}

const RANK_SCRIPT = path.join(__dirname, 'trainingRank.ts');
/** Distinct batches the ranks cycle through. */
const PARALLEL_POOL = 4;
/**
 * Steps before the timed ones. Each worker is a fresh V8 isolate that compiles tfjs's JavaScript
 * anew: with 3 warm-up steps, V8's compiler threads still took 6-7 ms of CPU a step per isolate
 * over the next 20 (on the same cores as the ranks), 1-1.5 ms after 60; a training run pays that
 * once, not every step. With 30 warm-up steps the process's other threads still took 5.6 ms a
 * step at 2 workers (2.9 at 1), stolen from the ranks' cores; with 90, 1.6-1.8 (1.3): the steady
 * state a run of thousands of steps sees. (PyTorch's anchor warms up too.)
 */
const PARALLEL_WARMUP = 90;

/** The reference net trained data-parallel on `workers` threads: rank 0's figures. */
export async function parallelRate(workers: number, steps: number): Promise<RankOutput> {
  await initBackend('auto');
  const net = referenceNet();
  const paramCount = trainableVariables(net).reduce((s, v) => s + v.size, 0);
  net.dispose();
  const buffers = createParallelBuffers({ workers, maxBatch: BATCH, outputDim: 10, paramCount });
  const random = seededRandom(5);
  const images = new Float32Array(new SharedArrayBuffer(PARALLEL_POOL * BATCH * 784 * 4));
  for (let i = 0; i < images.length; i++) images[i] = random();
  const labels = new Int32Array(new SharedArrayBuffer(PARALLEL_POOL * BATCH * 4));
  for (let i = 0; i < labels.length; i++) labels[i] = Math.floor(random() * 10);
  const tsx = require.resolve('tsx/cjs');
  const ranks = Array.from({ length: workers }, (_, rank) => {
    const input: RankInput = { buffers, rank, images, labels, batch: BATCH, warmup: PARALLEL_WARMUP, steps };
    const worker = new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(RANK_SCRIPT)});`, { eval: true, workerData: input, stdout: true });
    return new Promise<RankOutput | FollowerOutput>((resolve, reject) => {
      worker.once('message', (m: RankOutput | FollowerOutput | { error: string }) => {
        void worker.terminate();
        if ('error' in m) reject(new Error(`rank ${rank}: ${m.error}`));
        else resolve(m);
      });
      worker.once('error', reject);
    });
  });
  const outcomes = await Promise.all(ranks);
  const leader = outcomes[0] as RankOutput;
  const followers = outcomes.slice(1) as FollowerOutput[];
  const cpuPhases = leader.cpuPhases.length > 0 && followers.every((o) => o.cpuPhases) ? [...leader.cpuPhases, ...followers.map((o) => o.cpuPhases!)] : [];
  return { ...leader, phases: [...leader.phases, ...followers.map((o) => o.phases)], cpuPhases, tids: [...leader.tids, ...followers.map((o) => o.tid)] };
}

/**
 * Where the process's CPU time goes besides the ranks: the main thread (idle while the ranks
 * train) and the rest (V8's GC and compiler helpers, libuv), median ms per step.
 */
export function threadNote(outputs: RankOutput[]): string {
  if (outputs.some((o) => Object.keys(o.threadCpu).length === 0 || o.tids.some((t) => t === null))) return '';
  const split = (o: RankOutput) => {
    let ranks = 0;
    let main = 0;
    let other = 0;
    for (const [tid, ms] of Object.entries(o.threadCpu)) {
      if (o.tids.includes(tid)) ranks += ms;
      else if (tid === String(process.pid)) main += ms;
      else other += ms;
    }
    return { ranks, main, other };
  };
  const parts = outputs.map(split);
  return `thread CPU ms/step: ranks ${median(parts.map((p) => p.ranks)).toFixed(1)}, main ${median(parts.map((p) => p.main)).toFixed(1)}, other threads ${median(parts.map((p) => p.other)).toFixed(1)}`;
}

/**
 * Median ms per step of each phase, rank by rank, wall and (where the rank could read its thread's
 * CPU clock) CPU: "r0 forward 20.1/19.8, wait B 0.4/0.1, …; r1 …".
 */
export function phaseNote(outputs: RankOutput[]): string {
  const ranks = outputs[0]!.phases.length;
  const withCpu = outputs.every((o) => o.cpuPhases.length === ranks);
  const parts: string[] = [];
  for (let r = 0; r < ranks; r++) {
    const cells = STEP_PHASES.map((p) => [p, median(outputs.map((o) => o.phases[r]![p])), withCpu ? median(outputs.map((o) => o.cpuPhases[r]![p])) : null] as const).filter(([, ms]) => ms >= 0.05);
    parts.push(`r${r} ${cells.map(([p, wall, cpu]) => `${p} ${wall.toFixed(1)}${cpu === null ? '' : `/${cpu.toFixed(1)}`}`).join(', ')}`);
  }
  return `ms/step by phase (wall${withCpu ? '/thread CPU' : ''}): ${parts.join('; ')}`;
}

/** Ours on 1…N workers and PyTorch on 1…N threads, alternating; a row per count and the scaling. */
async function dataParallelRows(ctx: BenchContext, noTorch: string | null): Promise<BenchRow[]> {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const counts = Array.from({ length: cores }, (_, i) => i + 1);
  const ours = new Map<number, RankOutput[]>(counts.map((w) => [w, []]));
  const torch = new Map<number, Rate[]>(counts.map((w) => [w, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const w of counts) {
      ctx.log(`training, data-parallel: round ${r + 1}/${ROUNDS}: ${w} worker(s) …`);
      ours.get(w)!.push(await parallelRate(w, 20));
      if (!noTorch) {
        ctx.log(`training, data-parallel: round ${r + 1}/${ROUNDS}: PyTorch (${w} thread(s)) …`);
        torch.get(w)!.push(torchRate(w, 40, 'reference'));
      }
    }
  }
  const rate = (w: number) => median(ours.get(w)!.map((o) => o.samplesPerSecond));
  const cpuShare = (w: number) => median(ours.get(w)!.map((o) => o.cpuMsPerStep / o.wallMsPerStep));
  const torchRateOf = (w: number) => median(torch.get(w)!.map((t) => t.samplesPerSecond));
  const backend = ours.get(1)![0]!.backend;
  const rows: BenchRow[] = [];
  const metric = `samples/s, batch ${BATCH}`;
  for (const w of counts) {
    const bench = `training, reference conv net, data-parallel, ${w} worker${w === 1 ? '' : 's'}`;
    const cpuMs = median(ours.get(w)!.map((o) => o.cpuMsPerStep));
    const note = `${backend}, one backend per worker, ${PARALLEL_WARMUP} warm-up steps; rounds ${ours.get(w)!.map((o) => Math.round(o.samplesPerSecond)).join('/')}; CPU time / wall time ${cpuShare(w).toFixed(2)}; CPU ${cpuMs.toFixed(0)} ms/step; ${[threadNote(ours.get(w)!), phaseNote(ours.get(w)!)].filter(Boolean).join('; ')}`;
    if (noTorch) {
      const skipped = skippedRow(bench, metric, `PyTorch CPU, ${w} thread${w === 1 ? '' : 's'}`, noTorch);
      rows.push({ ...skipped, ours: rate(w), note: `${skipped.note ?? ''}; ${note}` });
      continue;
    }
    rows.push(row({ bench, metric, ours: rate(w), anchor: torchRateOf(w), anchorName: `PyTorch CPU, ${w} thread${w === 1 ? '' : 's'}`, higherIsBetter: true, ...(w === cores ? { target: '≥ 0.8×' } : {}), note: `${note}; torch ${torch.get(w)!.map((t) => Math.round(t.samplesPerSecond)).join('/')} on ${torchBlas()}, CPU ${median(torch.get(w)!.map((t) => t.cpuMsPerStep)).toFixed(0)} ms/step (CPU-time ratio ${(median(torch.get(w)!.map((t) => t.cpuMsPerStep)) / cpuMs).toFixed(2)}×)` }));
  }
  if (cores > 1) {
    const efficiency = counts.map((w) => `${w}: ${((100 * rate(w)) / (w * rate(1))).toFixed(0)} % (CPU/wall ${cpuShare(w).toFixed(2)})`).join(', ');
    const torchScaling = noTorch ? `PyTorch skipped: ${noTorch}` : `PyTorch 1 → ${cores} threads ${(torchRateOf(cores) / torchRateOf(1)).toFixed(2)}×`;
    rows.push(row({ bench: `training, data-parallel 1 → ${cores} workers (wall)`, metric: 'samples/s', ours: rate(cores), anchor: rate(1), anchorName: 'ours, 1 worker', higherIsBetter: true, ...(cores === 2 ? { target: '≥ 1.6×' } : {}), note: `efficiency per worker count ${efficiency}; ${torchScaling}` }));
    // Samples per CPU-second: what the extra workers cost in overhead, whatever else shares the cores.
    const perCpuSecond = (w: number) => median(ours.get(w)!.map((o) => (BATCH * 1000) / o.cpuMsPerStep));
    const cpuEfficiency = perCpuSecond(cores) / perCpuSecond(1);
    rows.push(row({ bench: `training, data-parallel 1 → ${cores} workers (CPU time)`, metric: 'samples per CPU-second', ours: perCpuSecond(cores), anchor: perCpuSecond(1), anchorName: 'ours, 1 worker', higherIsBetter: true, note: `${cores} × this ratio = ${(cores * cpuEfficiency).toFixed(2)}×: the speed-up on ${cores} free cores` }));
  }
  return rows;
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const bench = 'training, reference conv net';
  const metric = `samples/s, batch ${BATCH}`;
  const choice = await initBackend('auto', ctx.log);
  // Node's wasm backend is single-threaded; tfjs-node uses its own thread pool (we then give torch 2).
  const threads = choice.backend === 'wasm' || choice.backend === 'cpu' ? 1 : 2;
  const noTorch = hasTorch();

  const rows: BenchRow[] = [];
  if (process.env['SIMLAB_BENCH_TRAINING'] === 'parallel') return dataParallelRows(ctx, noTorch);
  rows.push(...(await dataParallelRows(ctx, noTorch)));
  rows.push(await compare(ctx, choice.backend, choice.simd, threads, noTorch, 'reference', { ours: 20, torch: 40 }));
  rows.push(await compare(ctx, choice.backend, choice.simd, threads, noTorch, 'batchnorm', { ours: 8, torch: 16 }));
  const torchReference = rows[0]?.anchor ?? null;

  ctx.log(`${bench}: tfjs cpu (reference) …`);
  const cpu = await tfjsTrainer('cpu');
  const cpuRate = (await cpu.measure(3)).samplesPerSecond;
  cpu.dispose();
  await initBackend('auto');
  rows.push(row({ bench: `${bench} (tfjs cpu backend)`, metric, ours: cpuRate, anchor: torchReference, anchorName: `PyTorch CPU, ${threads} thread`, higherIsBetter: true, note: 'the plain-JS backend (with our conv2d gradient kernels), for reference' }));
  return rows;
}
