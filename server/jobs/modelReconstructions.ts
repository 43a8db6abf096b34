/**
 * An autoencoder's reconstructions: `reconstruct` decodes model-ready rows in a worker (task
 * `embedModel` with `reconstruct`), and `reconstructionPreviews` turns reconstructions into the
 * Embedding Map's hover-card previews, drawn like the originals' (loadVectors' previews):
 *   images   pixels (the model's [0, 1] output × 255), at most 48 px a side
 *   volumes  the middle slice, stretched to the grey range
 *   tables   the first 12 values back in the columns' units (the saved scaler inverted)
 *   DNA      the most likely base per position (one-hot argmax; '-' where the output is ~empty)
 */
import { thumbnail } from '../worker/tasks/loadVectors';
import { StandardScaler } from '../engine/features/scaler';
import type { BackendPreference } from '../engine/models/backend';
import { readManifest, type ModelManifest } from '../engine/models/modelStore';
import { InvalidInputError } from '../worker/errors';
import type { MapPreview } from '../protocol';
import type { WorkerPool } from './pool';
import type { EmbedModelPayload } from '../worker/tasks/embedModel';

export interface ReconstructOptions {
  pool: WorkerPool;
  /** Default 'auto'. */
  backend?: BackendPreference;
  signal?: AbortSignal;
}

export interface ReconstructionResult {
  manifest: ModelManifest;
  /** [n, ...inputShape]. */
  shape: number[];
  /** n × prod(inputShape), row-major: the decoder's output, in the model's input units (after preprocessing). */
  values: Float32Array;
}

/**
 * Decodes `rows` (n × prod(inputShape) values, preprocessed as the model's manifest says: pixels
 * / 255, standardised columns, one-hot bases) with the autoencoder in `modelDir`.
 */
export async function reconstruct(modelDir: string, rows: Float32Array, options: ReconstructOptions): Promise<ReconstructionResult> {
  const manifest = await readManifest(modelDir);
  if (manifest.model !== 'autoencoder') throw new InvalidInputError(`${modelDir}: a ${manifest.model} model has no decoder; reconstructions need an autoencoder`);
  const inputShape = manifest.data.inputShape;
  const size = inputShape.reduce((a, b) => a * b, 1);
  const n = rows.length / size;
  if (!Number.isInteger(n)) throw new InvalidInputError(`reconstruct: ${rows.length} values are not whole rows of [${inputShape.join(', ')}] (${size} values each)`);
  if (n === 0) return { manifest, shape: [0, ...inputShape], values: new Float32Array(0) };
  const payload: EmbedModelPayload = { modelDir, backend: options.backend ?? 'auto', inputs: { kind: 'dense', data: rows, inputShape }, reconstruct: n, embed: false };
  const r = await options.pool.run('embedModel', payload, { ...(options.signal ? { signal: options.signal } : {}) });
  return { manifest, shape: [n, ...inputShape], values: r.reconstructions ?? new Float32Array(0) };
}

const BASES = 'ACGT';

function bytes(values: Float32Array, scale: number): string {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(values[i]! * scale)));
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength).toString('base64');
}

function pixels(values: Float32Array, h: number, w: number, c: number, scale: number): MapPreview {
  const t = thumbnail(values, h, w, c);
  return { type: 'pixels', width: t.w, height: t.h, channels: c === 3 ? 3 : 1, data: bytes(t.pixels, scale) };
}

/** One preview per reconstructed row (see the module comment). */
export function reconstructionPreviews(manifest: Pick<ModelManifest, 'data' | 'preprocessing'>, values: Float32Array, count: number): MapPreview[] {
  const shape = manifest.data.inputShape;
  const size = shape.reduce((a, b) => a * b, 1);
  if (values.length !== count * size) throw new Error(`reconstructionPreviews: ${values.length} values for ${count} rows of ${size}`);
  const rows = (i: number) => values.subarray(i * size, (i + 1) * size);
  const out: MapPreview[] = [];
  switch (manifest.data.kind) {
    case 'image': {
      const [h, w, c] = shape as [number, number, number];
      for (let i = 0; i < count; i++) out.push(pixels(rows(i), h, w, c, 255));
      return out;
    }
    case 'volume': {
      const [d, h, w] = shape as [number, number, number];
      for (let i = 0; i < count; i++) {
        const mid = Math.floor(d / 2);
        const slice = rows(i).subarray(mid * h * w, (mid + 1) * h * w);
        let max = 0;
        for (const v of slice) if (v > max) max = v;
        out.push(pixels(slice, h, w, 1, max > 0 ? 255 / max : 1));
      }
      return out;
    }
    case 'sequence': {
      const length = shape[0]!;
      for (let i = 0; i < count; i++) {
        const row = rows(i);
        let text = '';
        for (let p = 0; p < Math.min(length, 120); p++) {
          let best = 0;
          for (let k = 1; k < 4; k++) if (row[p * 4 + k]! > row[p * 4 + best]!) best = k;
          text += row[p * 4 + best]! < 0.25 ? '-' : BASES[best];
        }
        out.push({ type: 'text', text: `${text.replace(/-+$/u, '')}${length > 120 ? '…' : ''}` });
      }
      return out;
    }
    case 'table': {
      const pre = manifest.preprocessing;
      const original = pre.features === 'scaled' && pre.scaler ? StandardScaler.fromJSON(pre.scaler).inverseTransform(values) : values;
      const dim = size;
      for (let i = 0; i < count; i++) {
        const row = original.subarray(i * dim, (i + 1) * dim);
        const parts = Array.from(row.subarray(0, 12), (v, j) => `${pre.columns?.[j] !== undefined && !/^\d+$/u.test(pre.columns[j]!) ? `${pre.columns[j]}=` : ''}${Number(v.toPrecision(4))}`);
        out.push({ type: 'text', text: `${parts.join(', ')}${dim > 12 ? `, … (${dim} values)` : ''}` });
      }
      return out;
    }
  }
}
