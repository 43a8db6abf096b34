/**
 * Messages between the Embedding Map page and its host (the VS Code panel, or nothing for the
 * standalone HTML export), and the page's saved state. Everything that crosses postMessage or
 * comes back from getState is untyped at run time, so each side validates what it receives here;
 * a failure names the offending field (e.g. `map.previews[12].width`). The map's types are the
 * protocol's (server/protocol.ts), imported for their shape only: nothing of the host runs here.
 */
import type { EmbeddingMapRequest, MapPreview } from '../../server/protocol';
import { MessageError, array, finiteNumber, isRecord, nonNegativeInteger, oneOf, optional, record, string } from '../shared/validate';

/** Id of the inline JSON block (a LoadMessage) that carries the map in the standalone export. */
export const EMBEDDED_MAP_ID = 'embedding-map-data';

/** Enough for a large map; beyond this the page would not stay responsive anyway. */
export const MAX_POINTS = 2_000_000;
const MAX_ID_LENGTH = 1_000;
const MAX_TEXT_PREVIEW = 4_000;
/** A preview image is a thumbnail: 128×128 pixels at most. */
const MAX_PREVIEW_SIDE = 128;

/** What the records are; decides how the hover card reads. */
export type RecordKind = EmbeddingMapRequest.RecordKind;
export const RECORD_KINDS: readonly RecordKind[] = ['sequences', 'rows', 'text', 'images', 'volumes', 'vectors'];

export const COLOR_MODES = ['cluster', 'label'] as const;
export type ColorMode = (typeof COLOR_MODES)[number];

/**
 * A small picture of one record for the hover card: what the host sends (`MapPreview`: a text
 * excerpt, a table row, or base64 8-bit pixels), or — in a map made by hand — a base64 PNG
 * thumbnail, or raw pixels (row-major, `channels` bytes per pixel: 1, 3 or 4) as base64 or a
 * number array.
 */
export type Preview =
  | MapPreview
  | { type: 'png'; base64: string }
  | { type: 'pixels'; width: number; height: number; channels: 1 | 3 | 4; data: number[] | string };

/**
 * The map the page draws: the host's `similarityLab/embeddingMap` map (`EmbeddingMapRequest.MapContent`),
 * whose points and previews the page also takes in the hand-made forms. One entry per point in
 * every per-point array (all the same length n); ids may repeat, so page messages carry the
 * point index too.
 */
export interface MapPayload extends Omit<EmbeddingMapRequest.MapContent, 'points' | 'previews' | 'reconstructions'> {
  /**
   * 2-D coordinates, interleaved x0, y0, x1, y1, … (2n numbers), or the same as base64 of a
   * little-endian Float32Array (8n bytes). Any scale: the page fits them to the view.
   */
  points: number[] | string;
  previews?: (Preview | null)[];
  /** Autoencoders: the decoded record, shown beside the original in the hover card. */
  reconstructions?: (Preview | null)[];
}

/** Sent by the host → page. `mapKey` identifies the map for the saved state (restored only for the same map). */
export interface LoadMessage {
  type: 'load';
  map: MapPayload;
  mapKey?: string;
  /** True when nothing can be revealed or saved (the standalone export): those controls hide. */
  readOnly?: boolean;
  /** False when this dataset's records cannot be saved as a dataset (rows of an IDX or .npy array): Save as dataset… hides. */
  canSave?: boolean;
}
export type HostMessage = LoadMessage;

/** Sent by the page → host. Each names points by id and by index (ids may repeat in a file). */
export type PageMessage =
  | { type: 'ready' }
  | { type: 'reveal'; id: string; index: number }
  | { type: 'selection'; ids: string[]; indices: number[] }
  | { type: 'saveSelection'; ids: string[]; indices: number[] };

/** What the page keeps through setState: restored after a reload or when the panel is shown again. */
export interface PageState {
  v: 1;
  mapKey: string;
  colorMode: ColorMode;
  /** The camera's 4×4 view matrix (column-major), absent = the initial view. */
  view?: number[];
  /** Selected point indices. */
  selected: number[];
}

/** A validated map with its coordinates decoded. */
export interface DecodedMap extends Omit<MapPayload, 'points'> {
  /** Interleaved x, y; length 2n. */
  xy: Float32Array;
}

export function parseHostMessage(value: unknown): HostMessage {
  const m = record(value, 'message');
  if (m['type'] !== 'load') throw new MessageError('message.type', `unknown host message ${JSON.stringify(m['type'])}`);
  const out: LoadMessage = { type: 'load', map: parseMapPayload(m['map'], 'map') };
  const mapKey = optional(m['mapKey'], 'mapKey', (v, p) => string(v, p, 2_000));
  if (mapKey !== undefined) out.mapKey = mapKey;
  if (m['readOnly'] !== undefined) {
    if (typeof m['readOnly'] !== 'boolean') throw new MessageError('readOnly', 'expected a boolean');
    out.readOnly = m['readOnly'];
  }
  if (m['canSave'] !== undefined) {
    if (typeof m['canSave'] !== 'boolean') throw new MessageError('canSave', 'expected a boolean');
    out.canSave = m['canSave'];
  }
  return out;
}

export function parseMapPayload(value: unknown, path: string): MapPayload {
  const m = record(value, path);
  const ids = array(m['ids'], `${path}.ids`, MAX_POINTS).map((id, i) => string(id, `${path}.ids[${i}]`, MAX_ID_LENGTH));
  const n = ids.length;
  const map: MapPayload = {
    title: string(m['title'], `${path}.title`, 500),
    kind: oneOf(m['kind'], RECORD_KINDS, `${path}.kind`),
    ids,
    points: parsePoints(m['points'], `${path}.points`, n),
  };
  const labels = optional(m['labels'], `${path}.labels`, (v, p) =>
    sameLength(v, p, n).map((l, i) => (l === null ? null : string(l, `${p}[${i}]`, MAX_ID_LENGTH))),
  );
  if (labels) map.labels = labels;
  const descriptions = optional(m['descriptions'], `${path}.descriptions`, (v, p) =>
    sameLength(v, p, n).map((d, i) => (d === null ? null : string(d, `${p}[${i}]`, MAX_ID_LENGTH))),
  );
  if (descriptions) map.descriptions = descriptions;
  const clusters = optional(m['clusters'], `${path}.clusters`, (v, p) =>
    sameLength(v, p, n).map((c, i) => {
      const id = finiteNumber(c, `${p}[${i}]`);
      if (!Number.isInteger(id) || id < -1) throw new MessageError(`${p}[${i}]`, `expected a cluster id ≥ -1, got ${id}`);
      return id;
    }),
  );
  if (clusters) map.clusters = clusters;
  const previews = optional(m['previews'], `${path}.previews`, (v, p) => sameLength(v, p, n).map((x, i) => (x === null ? null : parsePreview(x, `${p}[${i}]`))));
  if (previews) map.previews = previews;
  const recons = optional(m['reconstructions'], `${path}.reconstructions`, (v, p) => sameLength(v, p, n).map((x, i) => (x === null ? null : parsePreview(x, `${p}[${i}]`))));
  if (recons) map.reconstructions = recons;
  return map;
}

function sameLength(value: unknown, path: string, n: number): unknown[] {
  const a = array(value, path, MAX_POINTS);
  if (a.length !== n) throw new MessageError(path, `expected ${n} entries (one per id), got ${a.length}`);
  return a;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/u;

function base64String(value: unknown, path: string, maxLength: number): string {
  const s = string(value, path, maxLength);
  if (s.length % 4 !== 0 || !BASE64.test(s)) throw new MessageError(path, 'expected base64');
  return s;
}

function parsePoints(value: unknown, path: string, n: number): number[] | string {
  if (typeof value === 'string') {
    const s = base64String(value, path, Math.ceil((8 * MAX_POINTS) / 3) * 4 + 4);
    const bytes = base64ByteLength(s);
    if (bytes !== 8 * n) throw new MessageError(path, `expected ${8 * n} bytes (2 float32 per id), got ${bytes}`);
    return s;
  }
  const a = array(value, path, 2 * MAX_POINTS);
  if (a.length !== 2 * n) throw new MessageError(path, `expected ${2 * n} numbers (x, y per id), got ${a.length}`);
  for (let i = 0; i < a.length; i++) finiteNumber(a[i], `${path}[${i}]`);
  return a as number[];
}

function base64ByteLength(s: string): number {
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  return (s.length / 4) * 3 - pad;
}

function parsePreview(value: unknown, path: string): Preview {
  const p = record(value, path);
  const type = oneOf(p['type'], ['text', 'png', 'pixels'] as const, `${path}.type`);
  if (type === 'text') return { type, text: string(p['text'], `${path}.text`, MAX_TEXT_PREVIEW) };
  if (type === 'png') return { type, base64: base64String(p['base64'], `${path}.base64`, 200_000) };
  const width = nonNegativeInteger(p['width'], `${path}.width`);
  const height = nonNegativeInteger(p['height'], `${path}.height`);
  if (width < 1 || height < 1 || width > MAX_PREVIEW_SIDE || height > MAX_PREVIEW_SIDE) {
    throw new MessageError(path, `a pixel preview is 1…${MAX_PREVIEW_SIDE} pixels a side, got ${width}×${height}`);
  }
  const channels = nonNegativeInteger(p['channels'], `${path}.channels`);
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new MessageError(`${path}.channels`, `expected 1, 3 or 4, got ${channels}`);
  const size = width * height * channels;
  let data: number[] | string;
  if (typeof p['data'] === 'string') {
    data = base64String(p['data'], `${path}.data`, Math.ceil(size / 3) * 4 + 4);
    if (base64ByteLength(data) !== size) throw new MessageError(`${path}.data`, `expected ${size} bytes, got ${base64ByteLength(data)}`);
  } else {
    const a = array(p['data'], `${path}.data`, size);
    if (a.length !== size) throw new MessageError(`${path}.data`, `expected ${size} values (${width}×${height}×${channels}), got ${a.length}`);
    for (let i = 0; i < a.length; i++) {
      const v = finiteNumber(a[i], `${path}.data[${i}]`);
      if (v < 0 || v > 255) throw new MessageError(`${path}.data[${i}]`, `expected a byte 0…255, got ${v}`);
    }
    data = a as number[];
  }
  return { type, width, height, channels, data };
}

export function base64ToBytes(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Decodes the coordinates (base64 is little-endian float32, whatever the machine's byte order). */
export function decodeMap(map: MapPayload): DecodedMap {
  const { points, ...rest } = map;
  let xy: Float32Array;
  if (typeof points === 'string') {
    const bytes = base64ToBytes(points);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    xy = new Float32Array(bytes.byteLength / 4);
    for (let i = 0; i < xy.length; i++) {
      const v = view.getFloat32(4 * i, true);
      if (!Number.isFinite(v)) throw new MessageError(`map.points[${i}]`, `expected a finite number, got ${v}`);
      xy[i] = v;
    }
  } else {
    xy = Float32Array.from(points);
  }
  return { ...rest, xy };
}

/** Checks a message from the page against the map it was shown (n points): indices in range, ids matching. */
export function parsePageMessage(value: unknown, ids: readonly string[]): PageMessage {
  const m = record(value, 'message');
  const type = oneOf(m['type'], ['ready', 'reveal', 'selection', 'saveSelection'] as const, 'message.type');
  if (type === 'ready') return { type };
  if (type === 'reveal') {
    const index = pointIndex(m['index'], 'message.index', ids.length);
    const id = string(m['id'], 'message.id', MAX_ID_LENGTH);
    if (ids[index] !== id) throw new MessageError('message.id', `point ${index} is ${JSON.stringify(ids[index])}, not ${JSON.stringify(id)}`);
    return { type, id, index };
  }
  const indices = array(m['indices'], 'message.indices', ids.length).map((v, i) => pointIndex(v, `message.indices[${i}]`, ids.length));
  const idList = array(m['ids'], 'message.ids', ids.length).map((v, i) => string(v, `message.ids[${i}]`, MAX_ID_LENGTH));
  if (idList.length !== indices.length) throw new MessageError('message.ids', `expected ${indices.length} ids (one per index), got ${idList.length}`);
  for (let i = 0; i < indices.length; i++) {
    if (ids[indices[i]!] !== idList[i]) throw new MessageError(`message.ids[${i}]`, `point ${indices[i]} is ${JSON.stringify(ids[indices[i]!])}, not ${JSON.stringify(idList[i])}`);
  }
  return { type, ids: idList, indices };
}

function pointIndex(value: unknown, path: string, n: number): number {
  const i = nonNegativeInteger(value, path);
  if (i >= n) throw new MessageError(path, `point index ${i} out of range (the map has ${n} points)`);
  return i;
}

/** A saved state, or undefined when there is none or it is malformed (then the page starts fresh). */
export function parsePageState(value: unknown): PageState | undefined {
  if (!isRecord(value) || value['v'] !== 1) return undefined;
  try {
    const state: PageState = {
      v: 1,
      mapKey: string(value['mapKey'], 'state.mapKey', 2_000),
      colorMode: oneOf(value['colorMode'], COLOR_MODES, 'state.colorMode'),
      selected: array(value['selected'], 'state.selected', MAX_POINTS).map((v, i) => nonNegativeInteger(v, `state.selected[${i}]`)),
    };
    const view = optional(value['view'], 'state.view', (v, p) => array(v, p, 16).map((x, i) => finiteNumber(x, `${p}[${i}]`)));
    if (view) {
      if (view.length !== 16) throw new MessageError('state.view', 'expected 16 numbers');
      state.view = view;
    }
    return state;
  } catch (err) {
    if (err instanceof MessageError) return undefined;
    throw err;
  }
}
