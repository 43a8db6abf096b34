/** What every request handler gets from the host, and the one way handlers run a job. */
import type { CancellationToken, Connection } from 'vscode-languageserver/node';
import { withTokenSignal } from '../jobs/cancellation';
import type { RunOptions, WorkerPool } from '../jobs/pool';
import type { Tasks } from '../worker/registry';
import type { TaskPayload, TaskResult } from '../worker/taskContext';
import { classify, toResponseError } from './errors';
import type { StatusReporter } from './status';

export interface HostContext {
  readonly connection: Connection;
  readonly status: StatusReporter;
  /** The worker pool, started on first use (throws when the worker script is missing). */
  jobs(): WorkerPool;
}

export interface RequestJob<K extends keyof Tasks> {
  /** Shown in the status while the job runs ("Comparing"). */
  label: string;
  /** Names the request in error messages ("compare"). */
  what: string;
  task: K;
  payload: TaskPayload<Tasks, K>;
  options?: Omit<RunOptions, 'signal'>;
}

/**
 * Runs a pool task for a request: the host is not quiescent meanwhile, the request's
 * cancellation token cancels the task, and any failure becomes a ResponseError
 * (RequestCancelled, InvalidParams for bad input, InternalError otherwise — also logged and shown
 * as a warning in the status until the next job succeeds).
 */
export async function runRequestJob<K extends keyof Tasks>(host: HostContext, token: CancellationToken, job: RequestJob<K>): Promise<TaskResult<Tasks, K>> {
  try {
    const value = await host.status.track(job.label, () =>
      withTokenSignal(token, (signal) => host.jobs().run(job.task, job.payload, { ...job.options, signal })),
    );
    host.status.clearProblem();
    return value;
  } catch (err) {
    if (classify(err) === 'internal') {
      host.connection.console.error(`${job.what} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      host.status.setProblem('warning', `${job.what} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    throw toResponseError(err, job.what);
  }
}
