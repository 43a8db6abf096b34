/**
 * One rank of the data-parallel reference-net benchmark (training.bench.ts), in a worker thread:
 * the reference conv net (classification head, sparse categorical cross-entropy, Adam 1e-3) on
 * batches of 64 random 28×28×1 images, every step shared by the ranks through
 * engine/models/dataParallel.ts as the Siamese trainer shares its steps. Rank 0 leads and times:
 * it posts wall-clock samples/s and the process's CPU time (all threads) per step.
 */
import { openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../server/engine/models/backend';
import { assembledOrder, dataParallelStep, ParallelGroup, trainableVariables, type ParallelBuffers, type StepPhase } from '../server/engine/models/dataParallel';
import { referenceNet } from './training.bench';

export interface RankInput {
  buffers: ParallelBuffers;
  rank: number;
  /** POOL × 784 pixels and POOL labels, shared. */
  images: Float32Array;
  labels: Int32Array;
  batch: number;
  warmup: number;
  steps: number;
}

export interface RankOutput {
  rank: number;
  backend: string;
  samplesPerSecond: number;
  /** Process CPU (every thread) per step, ms. */
  cpuMsPerStep: number;
  wallMsPerStep: number;
  /** Rank 0's wall ms per step in each phase, then each follower's (index = rank). */
  phases: Record<StepPhase, number>[];
  /** The same in this thread's CPU ms (empty where /proc/thread-self/schedstat is missing). */
  cpuPhases: Record<StepPhase, number>[];
  /** CPU ms per step of every thread of the process over the measured steps, by thread id (Linux). */
  threadCpu: Record<string, number>;
  /** The ranks' thread ids (index = rank; null where unknown). */
  tids: (string | null)[];
}

/** A follower's phases, posted to rank 0's parent through the shared result. */
export interface FollowerOutput {
  rank: number;
  phases: Record<StepPhase, number>;
  cpuPhases: Record<StepPhase, number> | null;
  tid: string | null;
}

/** This thread's id (Linux), to tell the ranks from the process's other threads. */
function threadId(): string | null {
  try {
    return readlinkSync('/proc/thread-self').split('/').pop() ?? null;
  } catch {
    return null;
  }
}

/** CPU ns of each thread of the process (Linux: /proc/self/task/<tid>/schedstat), else empty. */
function threadTimes(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        out.set(tid, Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'latin1').split(' ')[0]));
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  } catch {
    // Not Linux.
  }
  return out;
}

/**
 * This thread's CPU milliseconds (Linux: the first field of /proc/thread-self/schedstat, in ns;
 * Node 20 has no per-thread CPU clock), or undefined where that file is missing. The file is
 * opened once, in the thread that reads it, and re-read in place.
 */
function threadCpuClock(): (() => number) | undefined {
  let fd: number;
  try {
    fd = openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    return undefined;
  }
  const buf = Buffer.alloc(128);
  return () => {
    const n = readSync(fd, buf, 0, buf.length, 0);
    return Number(buf.toString('latin1', 0, n).split(' ')[0]) / 1e6;
  };
}

async function main(): Promise<void> {
  const d = workerData as RankInput;
  const choice = await initBackend('auto');
  const group = new ParallelGroup(d.buffers, d.rank, { profile: { cpuClock: threadCpuClock() } });
  const model = referenceNet();
  const optimizer = tf.train.adam(1e-3);
  const variables = trainableVariables(model);
  const pool = d.labels.length / d.batch;
  const step = (indices: Int32Array): void => {
    const n = indices.length;
    const { positions } = group.shardOf(n);
    const pixels = new Float32Array(positions.length * 784);
    positions.forEach((p, r) => pixels.set(d.images.subarray(indices[p]! * 784, (indices[p]! + 1) * 784), r * 784));
    const x = tf.tensor4d(pixels, [positions.length, 28, 28, 1]);
    const labels = tf.oneHot(tf.tensor1d(Int32Array.from(assembledOrder(n, group.workers), (p) => d.labels[indices[p]!]!), 'int32'), 10);
    dataParallelStep(group, variables, optimizer, n, () => model.apply(x, { training: true }) as tf.Tensor, (probabilities) => tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.log(tf.clipByValue(probabilities, 1e-7, 1))), 1))) as tf.Scalar);
    tf.dispose([x, labels]);
  };
  group.syncWeights(variables);
  if (d.rank !== 0) {
    for (let s = 0; ; s++) {
      // The profile counts the measured steps only, as rank 0 times them.
      if (s === d.warmup) group.profile!.reset();
      const c = group.awaitCommand();
      if (c.kind === 'end') break;
      step(c.indices);
    }
    parentPort!.postMessage({ rank: d.rank, phases: group.profile!.perStep()!, cpuPhases: group.profile!.perStep('cpu'), tid: threadId() } satisfies FollowerOutput);
    return;
  }
  const batchOf = (i: number) => Int32Array.from({ length: d.batch }, (_, k) => (i % pool) * d.batch + k);
  const run = (i: number) => {
    const indices = batchOf(i);
    group.announceStep(indices, 1e-3);
    step(indices);
  };
  for (let i = 0; i < d.warmup; i++) run(i);
  group.profile!.reset();
  const threads0 = threadTimes();
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let i = 0; i < d.steps; i++) run(i);
  const cpu = process.cpuUsage(c0);
  const threadCpu: Record<string, number> = {};
  for (const [tid, ns] of threadTimes()) threadCpu[tid] = (ns - (threads0.get(tid) ?? 0)) / 1e6 / d.steps;
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const phases = group.profile!.perStep()!;
  const cpuPhases = group.profile!.perStep('cpu');
  group.announceEnd();
  parentPort!.postMessage({ rank: 0, backend: choice.backend, samplesPerSecond: (d.steps * d.batch) / (wall / 1000), cpuMsPerStep: (cpu.user + cpu.system) / 1000 / d.steps, wallMsPerStep: wall / d.steps, phases: [phases], cpuPhases: cpuPhases ? [cpuPhases] : [], threadCpu, tids: [threadId()] } satisfies RankOutput);
}

main().catch((err: unknown) => {
  parentPort!.postMessage({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
});
