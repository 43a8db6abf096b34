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
 * Ours and PyTorch run in alternating rounds (the median of each is kept), so a busy moment on
 * a shared machine weighs on both alike.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../server/engine/models/backend';
import { median, row, skippedRow, type BenchContext, type BenchRow } from './harness';

const BATCH = 64;
const ROUNDS = 3;
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

interface Trainer {
  /** Samples per second over `steps` steps. */
  measure(steps: number): Promise<number>;
  dispose(): void;
}

async function tfjsTrainer(backend: string): Promise<Trainer> {
  if (backend === 'cpu') await initBackend('cpu');
  else await tf.setBackend(backend);
  const model = referenceNet();
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
      for (let s = 0; s < steps; s++) await step();
      return (steps * BATCH) / (Number(process.hrtime.bigint() - t0) / 1e9);
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

function torchSamplesPerSecond(threads: number, steps: number): number {
  const r = spawnSync('/usr/bin/python3', [anchorScript, '--threads', String(threads), '--steps', String(steps), '--batch', String(BATCH)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${anchorScript} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { samples_per_s?: number };
  if (typeof out.samples_per_s !== 'number') throw new Error(`${anchorScript}: no samples_per_s in ${r.stdout}`);
  return out.samples_per_s;
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const bench = 'training, reference conv net';
  const metric = `samples/s, batch ${BATCH}`;
  const choice = await initBackend('auto', ctx.log);
  // Node's wasm backend is single-threaded; tfjs-node uses its own thread pool (we then give torch 2).
  const threads = choice.backend === 'wasm' || choice.backend === 'cpu' ? 1 : 2;
  const noTorch = hasTorch();

  const ours = await tfjsTrainer(choice.backend);
  const ourRates: number[] = [];
  const torchRates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    ctx.log(`${bench}: round ${r + 1}/${ROUNDS}: tfjs ${choice.backend} …`);
    ourRates.push(await ours.measure(20));
    if (!noTorch) {
      ctx.log(`${bench}: round ${r + 1}/${ROUNDS}: PyTorch (${threads} thread) …`);
      torchRates.push(torchSamplesPerSecond(threads, 40));
    }
  }
  ours.dispose();
  const oursRate = median(ourRates);
  const note = `${choice.backend}${choice.simd ? ' SIMD' : ''}, ${threads} thread; head: dense10 softmax; rounds ${ourRates.map((v) => Math.round(v)).join('/')}`;

  const rows: BenchRow[] = [];
  if (noTorch) rows.push({ ...skippedRow(bench, metric, 'PyTorch CPU', noTorch), ours: oursRate });
  else rows.push(row({ bench, metric, ours: oursRate, anchor: median(torchRates), anchorName: `PyTorch CPU, ${threads} thread`, higherIsBetter: true, target: '≥ 0.5×', note: `${note}; torch ${torchRates.map((v) => Math.round(v)).join('/')}` }));

  ctx.log(`${bench}: tfjs cpu (reference) …`);
  const cpu = await tfjsTrainer('cpu');
  const cpuRate = await cpu.measure(3);
  cpu.dispose();
  await initBackend('auto');
  rows.push(row({ bench: `${bench} (tfjs cpu backend)`, metric, ours: cpuRate, anchor: noTorch ? null : median(torchRates), anchorName: `PyTorch CPU, ${threads} thread`, higherIsBetter: true, note: 'the plain-JS backend (with our conv2d gradient kernels), for reference' }));
  return rows;
}
