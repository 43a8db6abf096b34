/**
 * Errors of the job system, and how an error crosses the thread boundary. Structured clone keeps
 * an Error's message but not reliably its class or custom name, so errors travel as plain
 * `{ name, message, stack }` and come back as a {@link TaskError} carrying the original name
 * (a `MeasureError` thrown in a worker is still `err.name === 'MeasureError'`).
 */

/** A serialised error. */
export interface ErrorInfo {
  name: string;
  message: string;
  stack?: string;
  /** A string or numeric code (`ERR_...`, an errno), when the error had one. */
  code?: string | number;
  /** The error's own primitive fields (a ParseError's file, line, column, reason, field). */
  fields?: Record<string, string | number | boolean>;
}

/** Thrown by a task that stopped because it was cancelled (see `TaskContext.throwIfCancelled`). */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor(message = 'The task was cancelled.') {
    super(message);
  }
}

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

export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof Error) {
    const info: ErrorInfo = { name: err.name || 'Error', message: err.message };
    if (err.stack !== undefined) info.stack = err.stack;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' || typeof code === 'number') info.code = code;
    const fields: Record<string, string | number | boolean> = {};
    for (const [key, value] of Object.entries(err)) {
      if (key !== 'name' && key !== 'message' && key !== 'stack' && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) fields[key] = value;
    }
    if (Object.keys(fields).length > 0) info.fields = fields;
    return info;
  }
  return { name: 'Error', message: typeof err === 'string' ? err : `non-error value thrown: ${safeString(err)}` };
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The input of a task is malformed (the host answers such a request with InvalidParams). */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
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
