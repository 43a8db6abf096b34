/**
 * The work-done progress of a long request (cluster, embeddingMap, train): the client's token when
 * it sent one, else one the host creates. Its Cancel button and the request's own cancellation
 * both abort the job; the progress ends however the job does.
 */
import type { CancellationToken, WorkDoneProgressParams, WorkDoneProgressReporter } from 'vscode-languageserver/node';
import { signalFromTokens } from '../jobs/cancellation';
import type { HostContext } from './context';

/** A reporter that may carry a Cancel token (one the host created with `createWorkDoneProgress`). */
export type RequestProgress = WorkDoneProgressReporter & { token?: CancellationToken };

export interface ProgressJob {
  /** Aborts when the request or the progress is cancelled. */
  readonly signal: AbortSignal;
  /** Reports a stage's `done` of `total` as a percentage (also returned, for status labels). */
  report(stage: string, done: number, total: number): number;
  readonly progress: RequestProgress;
  /** Ends the progress and unlinks the tokens: call it when the job settles. */
  end(): void;
}

/** The request's progress: attached to the client's `workDoneToken`, else created by the host. */
export async function requestProgress(host: HostContext, params: WorkDoneProgressParams | undefined): Promise<RequestProgress> {
  return params?.workDoneToken !== undefined ? host.connection.languages.attachWorkDoneProgress(params) : await host.connection.window.createWorkDoneProgress();
}

/** Begins `progress` with `title` (cancellable) and links its token and the request's to one signal. */
export function beginProgress(progress: RequestProgress, token: CancellationToken | undefined, title: string): ProgressJob {
  const linked = signalFromTokens([token, progress.token]);
  progress.begin(title, 0, 'reading', true);
  return {
    signal: linked.signal,
    progress,
    report: (stage, done, total) => {
      const pct = total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 0;
      progress.report(pct, stage);
      return pct;
    },
    end: () => {
      linked.dispose();
      progress.done();
    },
  };
}

/** Runs `work` under `progress` (see beginProgress), and ends it however the work does. */
export async function withProgress<T>(progress: RequestProgress, token: CancellationToken | undefined, title: string, work: (job: ProgressJob) => Promise<T>): Promise<T> {
  const job = beginProgress(progress, token, title);
  try {
    return await work(job);
  } finally {
    job.end();
  }
}
