// Approximate kNN for large n (euclidean family) by projection: the data are projected onto
// their top m principal directions (found by subspace iteration on a seeded sample's covariance,
// all products on the GEMM of ./gemm.ts), each query's C nearest rows in the m-dimensional
// projection (exact there, ./knnGemm.ts) are the candidates, and those are re-ranked with the
// exact full-dimensional distance (vector.ts's loop). Projection onto an orthonormal basis never
// lengthens a difference, so close pairs stay close; what is lost is a neighbour whose difference
// lies mostly outside the top m directions. For image-like data (Fashion-MNIST: 64 directions
// hold most of the variance) the recall@10 is about 0.97 with C = 4k; see bench/vectors.bench.ts.
//
// The cost is a GEMM of n² · m instead of n² · dim (12× less for 784 → 64) plus C exact distances
// per query. Everything random is drawn from the seed.

import { loadedTfjs, type Gemm } from './gemm';
import { checkMatrixRows, checkMatrixShape, type KnnResult } from './knnExact';
import { knnExactGemm } from './knnGemm';
import { rerankCandidates } from './rerank';
import { mulberry32 } from './lshTables';

export interface ProjectionOptions {
  /** Directions kept (default 64, at most dim). */
  components?: number;
  /** Rows sampled for the covariance (default 5,000). */
  sampleRows?: number;
  /** Subspace iterations (default 10). */
  iterations?: number;
  seed?: number;
}

export interface Projection {
  /** n × m projected rows (centred), row-major. */
  points: Float32Array;
  m: number;
}

/** The seeded covariance sample's rows (s × dim) and mean, and the generator where the sampling left it. */
function drawSample(data: Float32Array, n: number, dim: number, options: ProjectionOptions): { sample: Float32Array; s: number; mean: Float32Array; rng: () => number } {
  const s = Math.min(n, options.sampleRows ?? 5000);
  const rng = mulberry32(options.seed ?? 1);
  // A seeded sample without replacement (partial Fisher–Yates over row numbers).
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const sample = new Float32Array(s * dim);
  for (let i = 0; i < s; i++) {
    const r = i + Math.floor(rng() * (n - i));
    const t = order[i];
    order[i] = order[r];
    order[r] = t;
    // Only the sampled rows decide the basis: only they are checked here (each by its own number).
    checkMatrixRows(data, n, dim, order[i], order[i] + 1);
    sample.set(data.subarray(order[i] * dim, (order[i] + 1) * dim), i * dim);
  }
  const mean = new Float32Array(dim);
  for (let i = 0; i < s; i++) for (let t = 0; t < dim; t++) mean[t] += sample[i * dim + t] / s;
  return { sample, s, mean, rng };
}

/**
 * Columns [colFrom, colTo) of the sample's covariance (up to a factor), dim × (colTo − colFrom)
 * row-major, on the GEMM. Each entry is one dot product over the sample's rows, summed in the
 * same order whatever the column range (checked on the wasm GEMM by the unit tests): the
 * columns can be computed apart, in parallel, and give the whole matrix bit for bit.
 */
export function covarianceColumns(data: Float32Array, n: number, dim: number, colFrom: number, colTo: number, options: ProjectionOptions = {}): Float32Array {
  checkMatrixShape(data, n, dim);
  if (!(Number.isInteger(colFrom) && Number.isInteger(colTo) && 0 <= colFrom && colFrom <= colTo && colTo <= dim)) throw new RangeError(`columns [${colFrom}, ${colTo}) outside 0..${dim}`);
  const tf = loadedTfjs();
  const { sample, s, mean } = drawSample(data, n, dim, options);
  const product = tf.tidy(() => {
    const x = tf.tensor2d(sample, [s, dim]).sub(tf.tensor1d(mean));
    const cols = colFrom === 0 && colTo === dim ? x : x.slice([0, colFrom], [s, colTo - colFrom]);
    return tf.matMul(x.transpose(), cols);
  });
  // Read outside tidy: tidy walks a returned typed array element by element (0.25 s at 784 × 392).
  try {
    return product.dataSync() as Float32Array;
  } finally {
    product.dispose();
  }
}

/** The top principal directions (dim × m, row-major) from the sample's covariance, and the sample's mean. */
export interface ProjectionBasis {
  basis: Float32Array;
  mean: Float32Array;
  m: number;
}

/** Subspace iteration on the covariance (covarianceColumns of every column) towards its top m eigenvectors. */
export function principalBasis(cov: Float32Array, data: Float32Array, n: number, dim: number, options: ProjectionOptions = {}): ProjectionBasis {
  checkMatrixShape(data, n, dim);
  if (cov.length !== dim * dim) throw new RangeError(`a covariance of ${cov.length} values for dim ${dim}`);
  const tf = loadedTfjs();
  const m = Math.min(dim, options.components ?? 64);
  // The start vectors come from the generator after the sample, as they always have.
  const { mean, rng } = drawSample(data, n, dim, options);
  // V ← orth(C·V), which converges to the top-m eigenvectors; orthonormalised by modified
  // Gram–Schmidt in float64 (dim × m is small).
  const covT = tf.tensor2d(cov, [dim, dim]);
  let v: Float64Array = Float64Array.from({ length: dim * m }, () => rng() - 0.5);
  try {
    for (let it = 0; it < (options.iterations ?? 10); it++) {
      const next = tf.tidy(() => tf.matMul(covT, tf.tensor2d(Float32Array.from(v), [dim, m])));
      v = orthonormalColumns(Float64Array.from(next.dataSync()), dim, m);
      next.dispose();
    }
  } finally {
    covT.dispose();
  }
  return { basis: Float32Array.from(v), mean, m };
}

/**
 * Rows [from, to) projected onto a basis (centred by its mean), (to − from) × m row-major. A
 * row's projection does not depend on the other rows of its block: any cut gives the same values.
 */
export function projectRowRange(data: Float32Array, n: number, dim: number, b: ProjectionBasis, from = 0, to = n): Float32Array {
  checkMatrixRows(data, n, dim, from, to);
  const tf = loadedTfjs();
  const { m } = b;
  const basis = tf.tensor2d(b.basis, [dim, m]);
  const meanT = tf.tensor1d(b.mean);
  try {
    const points = new Float32Array((to - from) * m);
    // Blocks of 2,048 rows: each block's tensors grow the wasm heap of this worker for good.
    const block = 2048;
    for (let r0 = from; r0 < to; r0 += block) {
      const r1 = Math.min(to, r0 + block);
      const y = tf.tidy(() => tf.matMul(tf.tensor2d(data.subarray(r0 * dim, r1 * dim), [r1 - r0, dim]).sub(meanT), basis));
      points.set(y.dataSync(), (r0 - from) * m);
      y.dispose();
    }
    return points;
  } finally {
    basis.dispose();
    meanT.dispose();
  }
}

/**
 * Projects the rows onto the top principal directions of a sample (see the file comment), on one
 * thread: covarianceColumns, principalBasis and projectRowRange in turn, the steps that the
 * worker pool also runs split (jobs/vectorSearch.ts knnProjectedInPool).
 */
export function projectRows(data: Float32Array, n: number, dim: number, options: ProjectionOptions = {}): Projection {
  const cov = covarianceColumns(data, n, dim, 0, dim, options);
  const basis = principalBasis(cov, data, n, dim, options);
  return { points: projectRowRange(data, n, dim, basis), m: basis.m };
}

/** Modified Gram–Schmidt on the columns of a row-major dim × m matrix (a zero column stays zero). */
function orthonormalColumns(v: Float64Array, dim: number, m: number): Float64Array {
  for (let c = 0; c < m; c++) {
    for (let p = 0; p < c; p++) {
      let d = 0;
      for (let r = 0; r < dim; r++) d += v[r * m + c] * v[r * m + p];
      for (let r = 0; r < dim; r++) v[r * m + c] -= d * v[r * m + p];
    }
    let norm = 0;
    for (let r = 0; r < dim; r++) norm += v[r * m + c] * v[r * m + c];
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let r = 0; r < dim; r++) v[r * m + c] *= inv;
  }
  return v;
}

export interface ProjectedKnnOptions {
  /** Candidates per query from the projection (default 4k). */
  candidates?: number;
  /** 'euclidean' (default) or 'sqeuclidean'. */
  metric?: 'euclidean' | 'sqeuclidean';
  /** Query rows [from, to) of the data (default all), each without itself. */
  from?: number;
  to?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Approximate k nearest neighbours of data rows [from, to), each without itself, from a
 * projection of the same rows: candidates by the projection, distances exact (full dimension).
 */
export function knnProjected(gemm: Gemm, data: Float32Array, n: number, dim: number, projection: Projection, k: number, options: ProjectedKnnOptions = {}): KnnResult {
  const kk = Math.min(k, n - 1);
  const c = Math.min(n - 1, Math.max(kk, options.candidates ?? 4 * kk));
  const from = options.from ?? 0;
  const to = options.to ?? n;
  const cand = knnExactGemm(gemm, projection.points, n, projection.m, c, { metric: 'sqeuclidean', from, to, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  return rerankCandidates(data, n, dim, cand, kk, options.metric === 'sqeuclidean' ? 'sqeuclidean' : 'euclidean', from);
}
