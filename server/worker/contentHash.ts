/**
 * Content keys of datasets for the index cache, computed where the dataset is read (in a worker).
 * A text or sequence file: the SHA-256 of its bytes ({@link hashFile}). A numeric dataset
 * ({@link contentHashOf}): a file, the SHA-256 of its bytes (IDX also folds in its paired labels
 * file, which changes the labels); a folder of images or volumes, the SHA-256 of its listing —
 * every member's relative path, size and modification time — because hashing 60,000 image files
 * would cost as much as decoding them; an edited image changes its size or mtime, which is all a
 * cache key needs.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { datasetPathKind } from '../engine/data/fileKind';

/** SHA-256 of a file's bytes, streamed; stops (rejects) as soon as `signal` aborts. */
export async function hashFile(file: string, checkCancelled?: () => void): Promise<string> {
  // The first read of every dataset in a worker: a FIFO or a device is refused here, before an
  // open that would never return (a blocked open holds a thread no cancellation frees).
  await datasetPathKind(file);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) {
    checkCancelled?.();
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

async function listing(root: string, dir: string, out: string[], checkCancelled?: () => void): Promise<void> {
  checkCancelled?.();
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) await listing(root, full, out, checkCancelled);
    else if (e.isFile()) {
      const s = await stat(full);
      out.push(`${path.relative(root, full).split(path.sep).join('/')}\t${s.size}\t${Math.floor(s.mtimeMs)}`);
    }
  }
}

export async function contentHashOf(target: string, checkCancelled?: () => void, companions: readonly string[] = []): Promise<string> {
  if ((await datasetPathKind(target)) === 'folder') {
    const lines: string[] = [];
    await listing(target, target, lines, checkCancelled);
    return createHash('sha256').update('folder\n').update(lines.join('\n')).digest('hex');
  }
  if (companions.length === 0) return hashFile(target, checkCancelled);
  const hash = createHash('sha256').update(await hashFile(target, checkCancelled));
  for (const c of companions) hash.update('\0').update(await hashFile(c, checkCancelled));
  return hash.digest('hex');
}
