/** Turns what a job threw into the JSON-RPC error the client gets. */
import { ErrorCodes, LSPErrorCodes, ResponseError } from 'vscode-languageserver/node';
import { isCancellation, isInputErrorName } from '../jobs/errors';

export type FailureKind = 'cancelled' | 'input' | 'internal';

export function classify(err: unknown): FailureKind {
  if (isCancellation(err)) return 'cancelled';
  if (isInputErrorName(err)) return 'input';
  return 'internal';
}

/** `what` names the request for internal errors ("compare failed: ..."). */
export function toResponseError(err: unknown, what: string): ResponseError<void> {
  if (err instanceof ResponseError) return err as ResponseError<void>;
  const message = err instanceof Error ? err.message : String(err);
  switch (classify(err)) {
    case 'cancelled':
      return new ResponseError(LSPErrorCodes.RequestCancelled, `${what} was cancelled.`);
    case 'input':
      return new ResponseError(ErrorCodes.InvalidParams, message);
    case 'internal':
      return new ResponseError(ErrorCodes.InternalError, `${what} failed: ${message}`);
  }
}
