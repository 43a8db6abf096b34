/**
 * How a finished `similarityLab/train` request reads on the Training Dashboard: its status and a
 * sentence that says why the run ended where it did. The host says why in the result's
 * `stopReason` (the training loop's: `epochs`, `early-stopping`, `time-limit`, `stopped`); the
 * run's history on the dashboard says what was monitored and the patience, so a run that ends at
 * epoch 8 of 10 says "stopped early: no better validation MAP@R for 5 epochs" rather than nothing.
 * Pure (no vscode), so it is unit-tested.
 */
import type { DashboardState, RunStatus } from '../webviews/trainingDashboard/messages';

export interface TrainOutcome {
  /** The host's stopReason. */
  stopReason: string;
  /** The saved model folder, as a path. */
  folder: string;
  /** The saved (best) epoch's metrics. */
  metrics: Record<string, number>;
}

export interface OutcomeView {
  status: Extract<RunStatus, 'finished' | 'stopped'>;
  message: string;
}

/** What the best epoch was chosen by: the trainers' default monitors (MAP@R; an autoencoder's validation loss), else the training loss. */
export function monitoredMetric(outcome: Pick<TrainOutcome, 'metrics'>, run: DashboardState | undefined): string {
  const has = (name: string): boolean => name in outcome.metrics || (run?.series[name]?.some((v) => v !== null) ?? false);
  if (run?.run?.kind === 'autoencoder') return has('valLoss') ? 'validation loss' : 'training loss';
  return has('mapAtR') ? 'validation MAP@R' : 'training loss';
}

/** The last epoch reported (1-based), when the history has any. */
function lastEpoch(run: DashboardState | undefined): number | undefined {
  const e = run?.epochs.at(-1);
  return e === undefined ? undefined : e + 1;
}

export function describeOutcome(outcome: TrainOutcome, run: DashboardState | undefined): OutcomeView {
  const planned = run?.run?.epochs;
  const reached = lastEpoch(run);
  const at = reached !== undefined ? ` at epoch ${reached}${planned ? ` of ${planned}` : ''}` : '';
  const saved = `The best epoch is saved to ${outcome.folder}`;
  switch (outcome.stopReason) {
    case 'early-stopping': {
      const patience = run?.run?.config['patience'];
      const span = typeof patience === 'number' ? `${patience} epoch${patience === 1 ? '' : 's'}` : 'the patience set';
      return { status: 'finished', message: `Stopped early${at}: no better ${monitoredMetric(outcome, run)} for ${span}. ${saved}.` };
    }
    case 'time-limit':
      return { status: 'finished', message: `Stopped${at}: the time limit was reached. ${saved}.` };
    case 'stopped':
      return { status: 'stopped', message: `Stopped${at} by request. ${saved}.` };
    case 'epochs':
      return { status: 'finished', message: `Finished ${planned ? `all ${planned} epochs` : 'every epoch'}. ${saved}.` };
    default:
      return { status: 'finished', message: `Finished (${outcome.stopReason})${at}. ${saved}.` };
  }
}
