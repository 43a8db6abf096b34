/**
 * What both training tasks (tasks/train.ts, tasks/trainAutoencoder.ts) share: paced progress
 * reports carrying `similarityLab/trainingMetrics` params, and the graceful-stop flag.
 */
import type { ModelHistorySummary } from '../../engine/models/modelStore';
import type { TaskContext } from '../taskContext';
import type { TrainingMetricsNotification } from '../../protocol';
import type { TrainingMetricsReport } from './trainTaskTypes';

/** A graceful stop requested through the payload's flag. */
export function stopRequested(flag: Int32Array | undefined): () => boolean {
  return () => flag !== undefined && Atomics.load(flag, 0) !== 0;
}

/**
 * Paced progress reports for a run: step reports at most every `reportEvery` seconds (the last
 * step always), epoch reports always; the first report carries the run's description.
 */
export class RunReporter {
  private run: TrainingMetricsNotification.RunInfo | undefined;
  private lastReport = -Infinity;
  lastStep = 0;
  totalSteps = 1;

  constructor(
    private readonly ctx: TaskContext,
    private readonly describe: () => Omit<TrainingMetricsNotification.RunInfo, 'totalSteps'>,
    private readonly reportEvery: number,
  ) {}

  /** True when a step report is due (and then counts it as sent). */
  stepDue(step: number, totalSteps: number): boolean {
    this.totalSteps = totalSteps;
    this.lastStep = step;
    const now = performance.now() / 1000;
    if (now - this.lastReport < this.reportEvery && step < totalSteps) return false;
    this.lastReport = now;
    return true;
  }

  report(r: Omit<TrainingMetricsReport, 'modelId' | 'run'>, note: string): void {
    const first = this.run === undefined;
    const run = (this.run ??= { ...this.describe(), totalSteps: this.totalSteps });
    this.ctx.progress(Math.min(this.lastStep, this.totalSteps), this.totalSteps, note, { modelId: run.modelId, ...r, ...(first ? { run } : {}) } satisfies TrainingMetricsReport);
  }
}

/** A finished run's history for its manifest: the run's figures and one entry per epoch. */
export function historySummary<E>(
  r: { history: E[]; bestEpoch: number; stopReason: ModelHistorySummary['stopReason']; seconds: number; samplesPerSecond: number },
  epochOf: (e: E) => ModelHistorySummary['perEpoch'][number],
): ModelHistorySummary {
  return { epochs: r.history.length, bestEpoch: r.bestEpoch, stopReason: r.stopReason, seconds: r.seconds, samplesPerSecond: r.samplesPerSecond, perEpoch: r.history.map(epochOf) };
}
