/**
 * Errors of the job system on the host's side. An error thrown in a worker travels as plain
 * `{ name, message, stack }` (worker/errors.ts) and comes back as a {@link TaskError} carrying
 * the original name (a `MeasureError` thrown in a worker is still `err.name === 'MeasureError'`).
 */
import type { ErrorInfo } from '../worker/errors';

/** An error a task threw in a worker, rebuilt on this side with the original name and message. */
export class TaskError extends Error {
  /** The error's stack as it was in the worker. */
  readonly remoteStack: string | undefined;
  readonly code: string | number | undefined;
  constructor(info: ErrorInfo, task: string) {
    super(info.message);
    // Keep the thrower's name so callers can tell a MeasureError from an internal failure.
    this.name = info.name;
    this.remoteStack = info.stack;
    this.code = info.code;
    // A ParseError's line and column (and any other plain field) stay readable on this side.
    for (const [key, value] of Object.entries(info.fields ?? {})) if (!(key in this)) (this as unknown as Record<string, unknown>)[key] = value;
    this.stack = `${info.name}: ${info.message}\n    in worker task '${task}'${info.stack ? `\n${stackFrames(info.stack)}` : ''}`;
  }
}

function stackFrames(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
}

/**
 * Names of the errors that mean "the input is wrong" (bad data, bad parameters) rather than a
 * failure: the host answers them with InvalidParams, the command line with exit code 2. By name,
 * because errors from a worker arrive as a TaskError carrying the original name.
 */
const INPUT_ERROR_NAMES: ReadonlySet<string> = new Set([
  'InvalidInputError',
  'MeasureError',
  'ParseError',
  'MatrixTooLargeError',
  'DatasetOptionError',
  'InputError',
  'TooFewRecordsError',
  'NotADatasetFileError',
  'IncomparableDatasetsError',
]);

export function isInputErrorName(err: unknown): err is Error {
  return err instanceof Error && INPUT_ERROR_NAMES.has(err.name);
}

/** The worker running a task died before answering. */
export class WorkerCrashedError extends Error {
  override readonly name = 'WorkerCrashedError';
}

/** The pool was disposed before the task finished. */
export class PoolDisposedError extends Error {
  override readonly name = 'PoolDisposedError';
}

/** True for the error a cancelled `run` rejects with (or a task's own CancelledError / AbortError). */
export function isCancellation(err: unknown): boolean {
  return err instanceof Error && (err.name === 'CancelledError' || err.name === 'AbortError');
}
