/**
 * Per-stage timing of a pipeline that runs in the worker pool: wall seconds, CPU seconds of the
 * whole process (every thread: an in-process pool's workers too), and the stage's parallelism —
 * the CPU of the calling thread plus every worker's, over the calling thread's plus the busiest
 * worker's. That ratio is what the stage would gain on free cores; unlike CPU ÷ wall it does not
 * depend on what else runs on the machine (each thread's CPU is its own: worker/threadCpu.ts).
 */
import { threadCpuSeconds } from '../worker/threadCpu';
import type { WorkerPool } from './pool';

export interface StageTimes {
  seconds: Record<string, number>;
  cpuSeconds: Record<string, number>;
  /** ≥ 1; 1 = the stage ran on one thread at a time. NaN where thread CPU time is unknown. */
  parallelism: Record<string, number>;
  /** The calling thread's plus the busiest worker's CPU seconds: the stage's length on free cores. */
  criticalCpuSeconds: Record<string, number>;
}

function processCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Times stages in turn: `lap(name)` ends the stage begun at the previous lap (or at the start). */
export function stageTimer(pool: Pick<WorkerPool, 'workerCpuSeconds'>): StageTimes & { lap(name: string): void } {
  const times: StageTimes = { seconds: {}, cpuSeconds: {}, parallelism: {}, criticalCpuSeconds: {} };
  let wall = performance.now();
  let cpu = processCpu();
  let host = threadCpuSeconds();
  let workers = pool.workerCpuSeconds;
  const lap = (name: string): void => {
    const nowWall = performance.now();
    const nowCpu = processCpu();
    const nowHost = threadCpuSeconds();
    const nowWorkers = pool.workerCpuSeconds;
    let sum = 0;
    let busiest = 0;
    for (const [w, c] of nowWorkers) {
      const d = c - (workers.get(w) ?? 0);
      sum += d;
      if (d > busiest) busiest = d;
    }
    const hostCpu = nowHost - host;
    times.seconds[name] = (nowWall - wall) / 1000;
    times.cpuSeconds[name] = nowCpu - cpu;
    times.criticalCpuSeconds[name] = hostCpu + busiest;
    times.parallelism[name] = hostCpu + busiest > 0 ? (hostCpu + sum) / (hostCpu + busiest) : 1;
    wall = nowWall;
    cpu = nowCpu;
    host = nowHost;
    workers = nowWorkers;
  };
  return { ...times, lap };
}
