/**
 * Where a command's result goes (--out FILE): never over one of the command's own inputs, and all
 * or nothing. `simlab cluster x.fasta --out x.fasta` used to replace the dataset with its
 * clusters; now any output that is an input — the same path, or the same file through a link or a
 * hard link (same device and inode) — is refused before any work starts (exit 2). The result is
 * written to a temporary file in the output's folder and renamed over it: a failure (a full disk,
 * a kill) leaves the old file or none, never half a file.
 */
import { randomBytes } from 'node:crypto';
import { realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './errors';

async function identity(file: string): Promise<{ dev: number; ino: number } | undefined> {
  try {
    const s = await stat(file);
    return { dev: s.dev, ino: s.ino };
  } catch {
    return undefined;
  }
}

/**
 * Exit 2 when an output (`--out FILE`) would write over an input: the dataset, a labels file, a
 * model folder. Outputs that do not exist yet cannot be an input; absent options are skipped.
 */
export async function refuseOverwritingInputs(outputs: Record<string, string | undefined>, inputs: readonly (string | undefined)[]): Promise<void> {
  const inputIds: { file: string; id: { dev: number; ino: number } }[] = [];
  for (const file of inputs) {
    if (file === undefined) continue;
    const id = await identity(file);
    if (id) inputIds.push({ file, id });
  }
  for (const [flag, out] of Object.entries(outputs)) {
    if (out === undefined) continue;
    const id = await identity(out);
    if (!id) continue;
    const same = inputIds.find((input) => input.id.dev === id.dev && input.id.ino === id.ino);
    if (same) throw new UsageError(`${flag} ${out}: is ${path.resolve(same.file) === path.resolve(out) ? '' : 'the same file as '}the input ${same.file}; writing it would destroy the input, choose another file`);
  }
}

/** Writes `content` to `out` through a temporary file in its folder and a rename (a link is written through to its target). */
export async function writeOutputFile(out: string, content: string | Uint8Array): Promise<void> {
  let target = out;
  try {
    target = await realpath(out);
  } catch {
    // Not there yet: written as named.
  }
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, content, { flag: 'wx' });
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
