/**
 * What a dataset path is, asked of `stat` before anything opens it. A FIFO waits for a writer on
 * open, and `/dev/zero` or `/dev/urandom` never end: a reader handed one blocks a thread (a libuv
 * thread-pool slot that no cancellation frees) or reads forever. Only regular files (and folders,
 * for image and volume datasets) are datasets; everything else is refused before it is opened.
 * `stat` follows symbolic links (a link to a dataset is fine) but never opens the target.
 */
import { statSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';

/** The path is missing, or is not a regular file or a folder (a FIFO, a device, a socket). */
export class NotADatasetFileError extends Error {
  override readonly name = 'NotADatasetFileError';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

export type DatasetPathKind = 'file' | 'folder';

/** 'file' or 'folder'; throws `NotADatasetFileError` for a missing path or anything else. */
export async function datasetPathKind(path: string, displayName = path): Promise<DatasetPathKind> {
  let s: Stats;
  try {
    s = await stat(path);
  } catch (err) {
    throw statFailure(err, displayName);
  }
  return kindOf(s, displayName);
}

/** The same check without awaiting (a `stat` does not block on a FIFO: it never opens it). */
export function datasetPathKindSync(path: string, displayName = path): DatasetPathKind {
  let s: Stats;
  try {
    s = statSync(path);
  } catch (err) {
    throw statFailure(err, displayName);
  }
  return kindOf(s, displayName);
}

function kindOf(s: Stats, file: string): DatasetPathKind {
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'folder';
  const what = s.isFIFO() ? 'a named pipe (FIFO)' : s.isCharacterDevice() ? 'a character device' : s.isBlockDevice() ? 'a block device' : s.isSocket() ? 'a socket' : 'not a regular file';
  throw new NotADatasetFileError(file, `is ${what}, not a regular file: datasets are files (or folders of images or volumes)`);
}

function statFailure(err: unknown, file: string): Error {
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new NotADatasetFileError(file, 'no such file');
  if (code === 'EACCES' || code === 'EPERM') return new NotADatasetFileError(file, 'permission denied');
  return err instanceof Error ? err : new Error(String(err));
}
