/**
 * Which files the host may read and write: only those inside a workspace folder. Requests come
 * from any LSP client (untrusted JSON): a uri naming /etc/passwd, or a link inside a folder that
 * points out of it, is refused before anything is opened. Both sides are compared after links
 * are resolved (realpath); a path that does not exist yet resolves through its nearest existing
 * ancestor, so a link to a folder outside cannot smuggle a new file out either.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';

/** `file` with every link resolved; the part below its nearest existing ancestor kept as written. */
export async function resolveLinks(file: string): Promise<string> {
  const abs = path.resolve(file);
  const rest: string[] = [];
  for (let at = abs; ; at = path.dirname(at)) {
    try {
      return path.join(await realpath(at), ...rest.reverse());
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      // Only a missing part is walked past; anything else (a loop of links, no permission) refuses.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || path.dirname(at) === at) throw err;
      rest.push(path.basename(at));
    }
  }
}

function isWithin(folder: string, file: string): boolean {
  const rel = path.relative(folder, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel) && rel.split(path.sep)[0] !== '..');
}

/**
 * The workspace folder (as given in `folders`) that holds `file` once links are resolved on both
 * sides, or undefined when none does (or the path cannot be resolved).
 */
export async function workspaceFolderOf(file: string, folders: readonly string[]): Promise<string | undefined> {
  let real: string;
  try {
    real = await resolveLinks(file);
  } catch {
    return undefined;
  }
  for (const folder of folders) {
    let realFolder: string;
    try {
      realFolder = await resolveLinks(folder);
    } catch {
      continue;
    }
    if (isWithin(realFolder, real)) return folder;
  }
  return undefined;
}
