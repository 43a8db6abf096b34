/**
 * Finding the dataset files of a workspace: a walk of each folder (async, so the LSP thread stays
 * free between directories) matching workspace-relative paths against include globs, skipping
 * `node_modules`, `.git` and the exclude globs (`files.exclude`). Bounded, so a huge tree cannot
 * stall the host.
 *
 * Folders of images are datasets too, found in the same walk (no glob can say "a folder of
 * images"): a folder is an image dataset when at least two of its subfolders are class folders —
 * they hold PNG/JPEG files and nothing else (no other files, no folders); their names are the
 * labels — or when it directly holds at least `imageFolderMinImages` images. A folder of a few
 * pictures beside other files (docs/img) is not a class folder, so a workspace holding two of
 * them is not taken for an image dataset. The folders inside an image dataset are its parts,
 * not datasets of their own.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { isImageName } from '../engine/data/images';

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
  /** A folder directly holding this many images is an image dataset (see above); 0 or absent: no image folders are listed. */
  imageFolderMinImages?: number;
  /** Filled with the image folders listed (the rest of the result is files). */
  imageFolders?: Set<string>;
  /** Stop after this many directory entries (default 200,000). */
  maxEntries?: number;
  maxDepth?: number;
}

const ALWAYS_SKIPPED = new Set(['node_modules', '.git']);

/** Absolute paths of the files under `root` that match an include glob and no exclude glob, and of its image folders. */
export async function discoverDatasets(root: string, options: DiscoverOptions): Promise<string[]> {
  const include = options.include.map(safeGlob).filter((r): r is RegExp => r !== undefined);
  const exclude = options.exclude.map(safeGlob).filter((r): r is RegExp => r !== undefined);
  const maxEntries = options.maxEntries ?? 200_000;
  const maxDepth = options.maxDepth ?? 20;
  const minImages = options.imageFolderMinImages ?? 0;
  const found: string[] = [];
  const imageFolders = options.imageFolders ?? new Set<string>();
  let seen = 0;
  /** Walks `dir`; returns whether it is a class folder (images directly, and nothing else) for its parent's test. */
  const walk = async (dir: string, rel: string, depth: number): Promise<boolean> => {
    if (depth > maxDepth || seen > maxEntries) return false;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return false; // unreadable folders are simply not datasets
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const start = found.length;
    let images = 0;
    let others = 0;
    let classFolders = 0;
    for (const entry of entries) {
      if (++seen > maxEntries) break;
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (exclude.some((r) => r.test(relPath))) continue;
      if (entry.isDirectory()) {
        others++;
        if (!ALWAYS_SKIPPED.has(entry.name) && (await walk(path.join(dir, entry.name), relPath, depth + 1))) classFolders++;
      } else if (entry.isFile()) {
        if (isImageName(entry.name)) images++;
        else others++;
        if (include.some((r) => r.test(relPath))) found.push(path.join(dir, entry.name));
      }
    }
    if (minImages > 0 && (classFolders >= 2 || images >= minImages)) {
      // The image folders found inside are this dataset's classes, not datasets of their own.
      const inside = found.splice(start).filter((f) => !imageFolders.has(f));
      found.push(...inside, dir);
      imageFolders.add(dir);
    }
    return images > 0 && others === 0;
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
