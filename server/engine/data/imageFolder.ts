/**
 * Folders of images (and the listing shared with folders of .npy volumes).
 *
 * A dataset folder holds its files directly (no label) and/or in class subfolders one level deep
 * (label = the subfolder's name). Names starting with '.' are ignored; other files that are not
 * members, and deeper folders, are reported as 'skipped-file' warnings. Records are sorted by
 * their id — the path relative to the dataset folder with '/' separators — comparing UTF-16 code
 * units, so the order does not depend on the platform or locale. `file` is the absolute path.
 *
 * Image size: `imageSize: [h, w]` when given; else the size every image has; else the most common
 * size (ties: the larger area, then the size met first in record order), other images resampled
 * to it (see images.ts) with a 'resized' warning each. Sizes and colour are probed from the
 * headers of ALL the folder's images, so `limit` does not change a record's vector.
 * Channels: `channels` when given, else 1 when every image is grey (images.ts), else 3.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { decodeImage, isImageName, probeImage, resizeImage, toChannels, type ImageInfo } from './images';
import { isNpyName } from './npy';
import { addWarning, ParseError, type ReadSummary, type ReadWarning } from './records';
import type { VectorRecord } from './vectors';

export interface FolderEntry {
  /** Path relative to the dataset folder, '/' separators: the record id. */
  rel: string;
  abs: string;
  label?: string;
  bytes: number;
}

export interface FolderListOptions {
  /** The folder's name in errors and warnings. */
  file: string;
  summary: ReadSummary;
  onWarning?: (w: ReadWarning) => void;
}

async function entriesOf(dir: string): Promise<{ name: string; isDir: boolean; isFile: boolean }[]> {
  const out: { name: string; isDir: boolean; isFile: boolean }[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    if (d.name.startsWith('.')) continue;
    if (d.isSymbolicLink()) {
      const s = await stat(path.join(dir, d.name)).catch(() => undefined);
      out.push({ name: d.name, isDir: s?.isDirectory() ?? false, isFile: s?.isFile() ?? false });
    } else out.push({ name: d.name, isDir: d.isDirectory(), isFile: d.isFile() });
  }
  return out;
}

/** The member files of a dataset folder (directly and in class subfolders), sorted by relative path. */
export async function listDatasetFolder(dir: string, isMember: (name: string) => boolean, options: FolderListOptions): Promise<FolderEntry[]> {
  const entries: FolderEntry[] = [];
  const shown = (rel: string): string => `${options.file}/${rel}`;
  const skip = (rel: string, why: string): void => addWarning(options.summary, options.onWarning, 'skipped-file', shown(rel), 1, 1, why);
  const add = async (abs: string, rel: string, label?: string): Promise<void> => {
    const entry: FolderEntry = { rel, abs, bytes: (await stat(abs)).size };
    if (label !== undefined) entry.label = label;
    entries.push(entry);
  };
  for (const e of await entriesOf(dir)) {
    const abs = path.join(dir, e.name);
    if (e.isFile) {
      if (isMember(e.name)) await add(abs, e.name);
      else skip(e.name, 'not a member of this dataset (skipped)');
    } else if (e.isDir) {
      for (const f of await entriesOf(abs)) {
        const rel = `${e.name}/${f.name}`;
        if (f.isFile) {
          if (isMember(f.name)) await add(path.join(abs, f.name), rel, e.name);
          else skip(rel, 'not a member of this dataset (skipped)');
        } else if (f.isDir) skip(rel, 'folder not read: class folders are one level deep');
      }
    }
  }
  entries.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return entries;
}

/** True when `dir` holds a member file directly. */
async function holdsMembers(dir: string, isMember: (name: string) => boolean): Promise<boolean> {
  try {
    return (await entriesOf(dir)).some((e) => e.isFile && isMember(e.name));
  } catch {
    return false;
  }
}

/**
 * True when `dir` is a dataset folder of members: it holds one directly or in a subfolder.
 */
export async function isDatasetFolder(dir: string, isMember: (name: string) => boolean): Promise<boolean> {
  const entries = await entriesOf(dir);
  if (entries.some((e) => e.isFile && isMember(e.name))) return true;
  for (const e of entries) if (e.isDir && (await holdsMembers(path.join(dir, e.name), isMember))) return true;
  return false;
}

/**
 * The dataset folder an image (or .npy volume) file belongs to: its folder's parent when its
 * folder is one class folder among sibling class folders (another subfolder of the parent also
 * holds such files directly), else its own folder.
 */
export async function datasetFolderOfImage(file: string): Promise<string> {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  const parent = path.dirname(dir);
  if (parent === dir) return dir;
  const isMember = isImageName(abs) ? isImageName : isNpyName;
  const here = path.basename(dir);
  for (const e of await entriesOf(parent)) {
    if (e.isDir && e.name !== here && (await holdsMembers(path.join(parent, e.name), isMember))) return parent;
  }
  return dir;
}

export interface ImageReadOptions {
  file: string;
  limit: number;
  imageSize?: [number, number];
  channels?: 1 | 3;
  summary: ReadSummary;
  onWarning?: (w: ReadWarning) => void;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export interface ImagesRead {
  shape: [number, number, number];
  data: Float32Array;
  records: VectorRecord[];
  complete: boolean;
}

/** The common size of images by the rule in the module comment: [h, w]. */
export function commonImageSize(sizes: readonly { height: number; width: number }[]): [number, number] {
  const counts = new Map<string, { h: number; w: number; n: number; first: number }>();
  sizes.forEach((s, i) => {
    const key = `${s.height}x${s.width}`;
    const c = counts.get(key);
    if (c) c.n++;
    else counts.set(key, { h: s.height, w: s.width, n: 1, first: i });
  });
  let best: { h: number; w: number; n: number; first: number } | undefined;
  for (const c of counts.values()) {
    if (best === undefined || c.n > best.n || (c.n === best.n && (c.h * c.w > best.h * best.w || (c.h * c.w === best.h * best.w && c.first < best.first)))) best = c;
  }
  if (best === undefined) throw new RangeError('no images');
  return [best.h, best.w];
}

/** Reads the given image files (in order) into one matrix. */
async function readImages(
  entries: readonly { abs: string; shown: string; id: string; label?: string; bytes: number }[],
  infos: readonly ImageInfo[],
  options: ImageReadOptions,
): Promise<ImagesRead> {
  const [H, W] = options.imageSize ?? commonImageSize(infos);
  const channels = options.channels ?? (infos.every((i) => i.grey) ? 1 : 3);
  const count = Math.min(entries.length, options.limit);
  const dim = H * W * channels;
  // The first image decoded before the matrix is allocated: a header that lies about its size
  // fails here, as a ParseError, instead of asking for gigabytes first.
  const first = count > 0 ? await decodeImage(entries[0]!.abs, entries[0]!.shown) : undefined;
  const data = new Float32Array(count * dim);
  const records: VectorRecord[] = [];
  const totalBytes = entries.slice(0, count).reduce((a, e) => a + e.bytes, 0);
  let bytesRead = 0;
  for (let i = 0; i < count; i++) {
    const e = entries[i]!;
    const info = infos[i]!;
    const img = i === 0 && first ? first : await decodeImage(e.abs, e.shown);
    if (img.width !== info.width || img.height !== info.height) {
      throw new ParseError(e.shown, 1, 1, `image decodes to ${img.width}×${img.height}, its header says ${info.width}×${info.height}`);
    }
    const pixels = toChannels(img.rgba, img.width, img.height, channels, info.grey);
    resizeImage(pixels, img.height, img.width, channels, H, W, data.subarray(i * dim, (i + 1) * dim));
    if ((img.height !== H || img.width !== W) && options.imageSize === undefined) {
      addWarning(options.summary, options.onWarning, 'resized', e.shown, 1, 1, `resized from ${img.height}×${img.width} to the common ${H}×${W}`);
    }
    const record: VectorRecord = { index: i, id: e.id, file: e.abs };
    if (e.label !== undefined) record.label = e.label;
    records.push(record);
    options.summary.records++;
    bytesRead += e.bytes;
    options.onProgress?.(bytesRead, totalBytes);
  }
  return { shape: [H, W, channels], data, records, complete: count === entries.length };
}

/** A folder of PNG/JPEG images, class subfolders as labels. */
export async function readImageFolder(dir: string, options: ImageReadOptions): Promise<ImagesRead> {
  const listed = await listDatasetFolder(dir, isImageName, options);
  if (listed.length === 0) throw new ParseError(options.file, 1, 1, 'no PNG or JPEG images in the folder or its subfolders');
  const entries = listed.map((e) => ({ ...e, shown: `${options.file}/${e.rel}`, id: e.rel }));
  const infos: ImageInfo[] = [];
  for (const e of entries) infos.push(await probeImage(e.abs, e.shown));
  return readImages(entries, infos, options);
}

/** One image file as a dataset of one record (id = the file's name): its own size unless `imageSize` says. */
export async function readImageFile(filePath: string, options: ImageReadOptions): Promise<ImagesRead> {
  const abs = path.resolve(filePath);
  const entry = { abs, shown: options.file, id: path.basename(abs), bytes: (await stat(abs)).size };
  return readImages([entry], [await probeImage(abs, options.file)], options);
}
