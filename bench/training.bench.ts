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
 * Ours and PyTorch run in alternating rounds (the median of each is kept), so a busy moment on
 * a shared machine weighs on both alike. The headline is wall-clock samples/s; the note also
 * gives each side's median process CPU time per step, steadier when other jobs share the cores.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../server/engine/models/backend';
import { median, row, skippedRow, type BenchContext, type BenchRow } from './harness';

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
    note: `${note}; torch ${list(torchRates)}, CPU ${torchCpu.toFixed(0)} ms/step (CPU-time ratio ${(torchCpu / ourCpu).toFixed(2)}×)`,
  });
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const bench = 'training, reference conv net';
  const metric = `samples/s, batch ${BATCH}`;
  const choice = await initBackend('auto', ctx.log);
  // Node's wasm backend is single-threaded; tfjs-node uses its own thread pool (we then give torch 2).
  const threads = choice.backend === 'wasm' || choice.backend === 'cpu' ? 1 : 2;
  const noTorch = hasTorch();

  const rows: BenchRow[] = [];
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
