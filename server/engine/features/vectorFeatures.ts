/**
 * The feature step of numeric datasets: the vectors kNN, DBSCAN, the embedding map and training
 * work on, from a VectorDataset as read.
 *
 *  - 'raw': images → pixel / 255 (the readers give 0–255); volumes → voxel / 255 when every value
 *    is an integer in 0–255 (how uint8 volumes are read; the dataset does not carry the dtype),
 *    else as read; tables → as read. A uniform scale changes no kNN ranking, only the unit of
 *    DBSCAN's eps.
 *  - 'scaled': StandardScaler per column (sklearn semantics, scaler.ts), fitted on the data, or
 *    the given fitted scaler applied (a saved index or model scaling new records the same way).
 *  - 'hog': images only — HOG descriptors (hog.ts, DEFAULT_HOG unless options are given).
 *
 * Defaults ('auto', `defaultFeatureKind`): tables → 'scaled' (columns in different units would
 * otherwise be weighted by their units); volumes → 'raw' (no 3-D HOG); images → 'hog', chosen by
 * measurement — leave-one-out 1-NN precision@1 on 2,000 Fashion-MNIST training images, two
 * disjoint samples (images 0–1999 / 30000–31999), Euclidean distance (cosine in brackets):
 *     raw / 255                              784 values   0.788 / 0.772   (0.783 / 0.772)
 *     scaled                                 784          0.783 / 0.776   (0.799 / 0.785)
 *     HOG 9 bins, 4×4 cells, 2×2, L2-Hys    1296          0.821 / 0.809   (0.820 / 0.806)  DEFAULT_HOG
 *     HOG 9 bins, 4×4 cells, 2×2, L1-sqrt   1296          0.823 / 0.800
 *     HOG 9 bins, 4×4 cells, 2×2, L2        1296          0.799 / 0.804
 *     HOG 8 bins, 4×4 cells, 2×2, L2-Hys, √ 1152          0.823 / 0.803
 *     HOG 9 bins, 4×4 cells, 3×3, L2-Hys    2025          0.821 / 0.800
 *     HOG 9 bins, 3×3 cells, 2×2, L2-Hys    2304          0.818 / 0.788
 *     HOG 12 bins, 4×4 cells, 2×2, L2-Hys   1728          0.803 / 0.798
 *     HOG 9 bins, 7×7 cells, 2×2, L2-Hys     324          0.778 / 0.756
 *     HOG 9 bins, 7×7 cells, 1×1, L2-Hys     144          0.722 / 0.706
 * HOG with 4×4-pixel cells beats raw pixels by 3–4 points; 7×7 cells are too coarse for
 * 28-pixel images. The default has the best mean of the two samples (0.815); differences below a
 * point are within the noise of 2,000 queries. bench/hog.bench.ts re-measures raw, scaled and
 * DEFAULT_HOG on the first sample.
 */
import type { VectorDataset, VectorKind } from '../data/vectors';
import { hogMatrix, type HogMatrixControl, type HogOptions } from './hog';
import { StandardScaler } from './scaler';

export type FeatureKind = 'raw' | 'hog' | 'scaled';

export interface FeatureSpec {
  kind: FeatureKind;
  /** 'hog': options over DEFAULT_HOG. */
  hog?: Partial<HogOptions>;
  /** 'scaled': apply this fitted scaler instead of fitting one (its dim must match). */
  scaler?: StandardScaler;
}

export interface Features {
  /** `n × dim`, row-major. A new array, never the dataset's own. */
  data: Float32Array;
  dim: number;
  kind: FeatureKind;
  /** 'scaled': the scaler used (fitted here or given); save it with the index or model. */
  scaler?: StandardScaler;
}

export type FeatureControl = Pick<HogMatrixControl, 'onProgress' | 'checkCancelled'> & {
  /**
   * 'raw' only: the dataset's values are the caller's to overwrite (it keeps no other use of
   * them), so the features are computed in place and returned in the same array, with no copy.
   */
  inPlace?: boolean;
};

/** What 'auto' means for each kind of dataset (see the measurements above). */
export function defaultFeatureKind(kind: VectorKind): FeatureKind {
  return kind === 'table' ? 'scaled' : kind === 'image' ? 'hog' : 'raw';
}

/** The features of every record of `dataset` (see the module comment for each kind). */
export function featuresOf(dataset: Pick<VectorDataset, 'kind' | 'shape' | 'dim' | 'data'>, spec: FeatureSpec, control: FeatureControl = {}): Features {
  const { kind, dim, data } = dataset;
  if (spec.scaler && spec.kind !== 'scaled') throw new RangeError(`features '${spec.kind}': a scaler is only used with 'scaled'`);
  if (spec.hog && spec.kind !== 'hog') throw new RangeError(`features '${spec.kind}': HOG options are only used with 'hog'`);
  const n = dim > 0 ? data.length / dim : 0;
  control.checkCancelled?.();
  switch (spec.kind) {
    case 'hog': {
      if (kind !== 'image') throw new RangeError(`features 'hog' need images; this dataset holds ${kind}s of shape [${dataset.shape.join(', ')}]`);
      const m = hogMatrix({ data, shape: dataset.shape }, spec.hog ?? {}, control);
      return { data: m.data, dim: m.dim, kind: 'hog' };
    }
    case 'scaled': {
      // No records: nothing to fit, no features; what needs records says so in its own terms.
      if (n === 0 && !spec.scaler) return { data: new Float32Array(0), dim, kind: 'scaled' };
      const scaler = spec.scaler ?? StandardScaler.fit(data, dim);
      if (scaler.dim !== dim) throw new RangeError(`features 'scaled': the scaler has ${scaler.dim} columns, the dataset ${dim}`);
      const out = scaler.transform(data);
      control.onProgress?.(n, n);
      return { data: out, dim, kind: 'scaled', scaler };
    }
    case 'raw': {
      const divide = kind === 'image' || (kind === 'volume' && allBytes(data));
      // A plain loop, not data.map: a callback per value costs ~1 s on 50,000 images of 784 pixels.
      const out = control.inPlace ? data : divide ? new Float32Array(data.length) : data.slice();
      if (divide) for (let t = 0; t < out.length; t++) out[t] = data[t] / 255;
      control.onProgress?.(n, n);
      return { data: out, dim, kind: 'raw' };
    }
    default:
      throw new RangeError(`unknown feature kind ${JSON.stringify((spec as { kind: unknown }).kind)} (expected 'raw', 'hog' or 'scaled')`);
  }
}

/** True when every value is an integer in 0–255 (what a uint8 volume reads as). */
function allBytes(data: Float32Array): boolean {
  for (let k = 0; k < data.length; k++) {
    const v = data[k] as number;
    if (!(v >= 0 && v <= 255) || v !== Math.floor(v)) return false;
  }
  return true;
}
