/**
 * Finding the dataset files of a workspace: a walk of each folder (async, so the LSP thread stays
 * free between directories) matching workspace-relative paths against include globs, skipping
 * `node_modules`, `.git` and the exclude globs (`files.exclude`). Bounded, so a huge tree cannot
 * stall the host.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * A glob as VS Code writes them (`**`, `*`, `?`, `{a,b}`, `[abc]`) → RegExp over '/'-separated
 * relative paths. Our own small converter: the host bundles no glob library.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let inBraces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        // `**/` matches zero or more folders; a trailing `**` matches anything.
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:[^/]*/)*';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      inBraces++;
      re += '(?:';
    } else if (c === '}' && inBraces > 0) {
      inBraces--;
      re += ')';
    } else if (c === ',' && inBraces > 0) re += '|';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/^!/u, '^').replace(/\\/gu, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^$()|\\\]]/gu, '\\$&');
  }
  while (inBraces-- > 0) re += ')';
  return new RegExp(`^${re}$`, 'u');
}

export interface DiscoverOptions {
  include: readonly string[];
  exclude: readonly string[];
  /** Stop after this many directory entries (default 200,000). */
  maxEntries?: number;
  maxDepth?: number;
}

const ALWAYS_SKIPPED = new Set(['node_modules', '.git']);

/** Absolute paths of the files under `root` that match an include glob and no exclude glob. */
export async function discoverDatasets(root: string, options: DiscoverOptions): Promise<string[]> {
  const include = options.include.map(safeGlob).filter((r): r is RegExp => r !== undefined);
  const exclude = options.exclude.map(safeGlob).filter((r): r is RegExp => r !== undefined);
  const maxEntries = options.maxEntries ?? 200_000;
  const maxDepth = options.maxDepth ?? 20;
  const found: string[] = [];
  let seen = 0;
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    if (depth > maxDepth || seen > maxEntries) return;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // unreadable folders are simply not datasets
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (++seen > maxEntries) return;
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (exclude.some((r) => r.test(relPath))) continue;
      if (entry.isDirectory()) {
        if (!ALWAYS_SKIPPED.has(entry.name)) await walk(path.join(dir, entry.name), relPath, depth + 1);
      } else if (entry.isFile() && include.some((r) => r.test(relPath))) {
        found.push(path.join(dir, entry.name));
      }
    }
  };
  await walk(root, '', 0);
  return found;
}

/** True when `relPath` (relative to a workspace folder, '/'-separated) is a dataset by these globs. */
export function matchesDataset(relPath: string, options: Pick<DiscoverOptions, 'include' | 'exclude'>): boolean {
  if (relPath.split('/').some((p) => ALWAYS_SKIPPED.has(p))) return false;
  const hit = (globs: readonly string[]) => globs.some((g) => safeGlob(g)?.test(relPath) === true);
  return hit(options.include) && !hit(options.exclude);
}

function safeGlob(glob: string): RegExp | undefined {
  try {
    return globToRegExp(glob);
  } catch {
    return undefined; // a malformed glob in the settings matches nothing
  }
}
