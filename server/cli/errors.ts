/** The two ways a command fails on purpose; anything else thrown is a bug (exit 1). */
import { isInputErrorName } from '../jobs/errors';

/** Wrong command line: exit 2 with the message and the command's usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Bad input data: exit 2 with a message naming the file, line, field. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** File-system errors that mean the user named a file that cannot be read. */
const INPUT_ERROR_CODES = new Set(['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR', 'EPERM']);

/** Bad input (the engine's input errors, or a file that cannot be read), as opposed to a bug. */
export function isInputError(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return isInputErrorName(err) || (typeof code === 'string' && INPUT_ERROR_CODES.has(code));
}
