/**
 * The errors a task throws, and how an error crosses the thread boundary. Structured clone keeps
 * an Error's message but not reliably its class or custom name, so errors travel as plain
 * `{ name, message, stack }` (see {@link toErrorInfo}) and the pool rebuilds them as a `TaskError`
 * carrying the original name (jobs/errors.ts): a `MeasureError` thrown in a worker is still
 * `err.name === 'MeasureError'` on the host.
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
