/**
 * UMAP's fuzzy simplicial set from a kNN graph, on flat typed arrays (umap-learn's
 * `smooth_knn_dist`, `compute_membership_strengths` and the fuzzy union, step for step):
 * - per point, ρ = distance to the nearest non-identical neighbour (localConnectivity 1) and σ
 *   found by bisection so that Σ_j exp(−max(0, d_j − ρ)/σ) = log2(k) over the neighbours after
 *   the first (64 steps, tolerance 1e-5, floored at 1e-3 × the mean distance);
 * - directed memberships v_ij = exp(−(d_ij − ρ_i)/σ_i) (1 within ρ, 0 for the point itself);
 * - the symmetric union w = v_ij + v_ji − v_ij·v_ji (setOpMixRatio 1; in general
 *   mix·(union) + (1 − mix)·(intersection)), with explicit zeros dropped.
 * umap-js builds the same set with a sparse-matrix class keyed by strings (≈ 7 s for 10k points);
 * here it is a CSR build in O(n·k) (tens of milliseconds).
 */

/** k nearest neighbours of each of n points, row-major n·k; the point itself usually first. */
export interface KnnGraph {
  n: number;
  k: number;
  /** Neighbour indices; −1 marks a missing neighbour. */
  indices: Int32Array;
  /** Distances, ascending within a row. */
  distances: Float32Array;
}

const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;

export function checkKnnGraph(knn: KnnGraph): void {
  const { n, k, indices, distances } = knn;
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`kNN graph: n must be an integer ≥ 2, got ${n}`);
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`kNN graph: k must be an integer ≥ 2, got ${k}`);
  if (indices.length !== n * k) throw new RangeError(`kNN graph: indices has ${indices.length} entries, expected n·k = ${n * k}`);
  if (distances.length !== n * k) throw new RangeError(`kNN graph: distances has ${distances.length} entries, expected n·k = ${n * k}`);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const p = i * k + j;
      const v = indices[p];
      if (v < -1 || v >= n || !Number.isInteger(v)) throw new RangeError(`kNN graph: row ${i}, neighbour ${j}: index ${v} outside [−1, ${n})`);
      const d = distances[p];
      if (!(d >= 0) || !Number.isFinite(d)) throw new RangeError(`kNN graph: row ${i}, neighbour ${j}: distance ${d} is not a finite number ≥ 0`);
    }
  }
}

export interface SmoothKnn {
  sigmas: Float64Array;
  rhos: Float64Array;
}

export function smoothKnnDistances(knn: KnnGraph, localConnectivity = 1, nIter = 64, bandwidth = 1): SmoothKnn {
  const { n, k, distances } = knn;
  const target = Math.log2(k) * bandwidth;
  const rhos = new Float64Array(n);
  const sigmas = new Float64Array(n);
  let meanAll = 0;
  for (let p = 0; p < distances.length; p++) meanAll += distances[p];
  meanAll /= distances.length;
  const nonZero = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const row = i * k;
    let nz = 0;
    let rowMean = 0;
    for (let j = 0; j < k; j++) {
      const d = distances[row + j];
      rowMean += d;
      if (d > 0) nonZero[nz++] = d;
    }
    rowMean /= k;
    let rho = 0;
    if (nz >= localConnectivity) {
      const index = Math.floor(localConnectivity);
      const interpolation = localConnectivity - index;
      if (index > 0) {
        rho = nonZero[index - 1];
        if (interpolation > SMOOTH_K_TOLERANCE) rho += interpolation * (nonZero[index] - nonZero[index - 1]);
      } else {
        rho = interpolation * nonZero[0];
      }
    } else if (nz > 0) {
      for (let t = 0; t < nz; t++) rho = Math.max(rho, nonZero[t]);
    }
    let lo = 0;
    let hi = Infinity;
    let mid = 1;
    for (let it = 0; it < nIter; it++) {
      let psum = 0;
      for (let j = 1; j < k; j++) {
        const d = distances[row + j] - rho;
        psum += d > 0 ? Math.exp(-(d / mid)) : 1;
      }
      if (Math.abs(psum - target) < SMOOTH_K_TOLERANCE) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    const floor = MIN_K_DIST_SCALE * (rho > 0 ? rowMean : meanAll);
    sigmas[i] = mid < floor ? floor : mid;
    rhos[i] = rho;
  }
  return { sigmas, rhos };
}

/** A symmetric sparse graph in CSR form (both directions stored), columns ascending in a row. */
export interface FuzzyGraph {
  n: number;
  rowPtr: Int32Array;
  cols: Int32Array;
  weights: Float32Array;
}

export interface FuzzySetOptions {
  /** Default 1. */
  localConnectivity?: number;
  /** 1 (default): fuzzy union; 0: fuzzy intersection. */
  setOpMixRatio?: number;
}

export function fuzzySimplicialSet(knn: KnnGraph, options: FuzzySetOptions = {}): FuzzyGraph {
  const { n, k, indices, distances } = knn;
  const mix = options.setOpMixRatio ?? 1;
  if (!(mix >= 0 && mix <= 1)) throw new RangeError(`setOpMixRatio must be in [0, 1], got ${mix}`);
  const { sigmas, rhos } = smoothKnnDistances(knn, options.localConnectivity ?? 1);

  // Directed memberships, one CSR row per point with columns sorted (duplicates merged by max:
  // a kNN row should not repeat a neighbour, but a sloppy approximate index might).
  const dRowPtr = new Int32Array(n + 1);
  const dCols = new Int32Array(n * k);
  const dVals = new Float64Array(n * k);
  const order = new Int32Array(k);
  let nnz = 0;
  for (let i = 0; i < n; i++) {
    const row = i * k;
    for (let j = 0; j < k; j++) order[j] = j;
    const sorted = Array.from(order).sort((x, y) => indices[row + x] - indices[row + y]);
    for (const j of sorted) {
      const c = indices[row + j];
      if (c < 0 || c === i) continue;
      const d = distances[row + j] - rhos[i];
      const v = d <= 0 || sigmas[i] === 0 ? 1 : Math.exp(-(d / sigmas[i]));
      if (nnz > dRowPtr[i] && dCols[nnz - 1] === c) {
        if (v > dVals[nnz - 1]) dVals[nnz - 1] = v;
        continue;
      }
      dCols[nnz] = c;
      dVals[nnz] = v;
      nnz++;
    }
    dRowPtr[i + 1] = nnz;
  }

  // v_ji for each stored v_ij: look j's row up for column i (rows are short and sorted).
  const lookup = (row: number, col: number): number => {
    let lo = dRowPtr[row];
    let hi = dRowPtr[row + 1] - 1;
    while (lo <= hi) {
      const m = (lo + hi) >> 1;
      const c = dCols[m];
      if (c === col) return dVals[m];
      if (c < col) lo = m + 1;
      else hi = m - 1;
    }
    return 0;
  };

  // Symmetric result: entry (i, j) exists when v_ij or v_ji is stored. Count per row first.
  const rowCount = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let p = dRowPtr[i]; p < dRowPtr[i + 1]; p++) {
      const j = dCols[p];
      rowCount[i]++;
      if (!hasEntry(dRowPtr, dCols, j, i)) rowCount[j]++;
    }
  }
  const rowPtr = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) rowPtr[i + 1] = rowPtr[i] + rowCount[i];
  const cols = new Int32Array(rowPtr[n]);
  const weights = new Float32Array(rowPtr[n]);
  const fill = rowCount.fill(0);
  const put = (i: number, j: number, w: number): void => {
    const at = rowPtr[i] + fill[i]++;
    cols[at] = j;
    weights[at] = w;
  };
  for (let i = 0; i < n; i++) {
    for (let p = dRowPtr[i]; p < dRowPtr[i + 1]; p++) {
      const j = dCols[p];
      const a = dVals[p];
      const b = lookup(j, i);
      const w = mix * (a + b - a * b) + (1 - mix) * a * b;
      put(i, j, w);
      if (!hasEntry(dRowPtr, dCols, j, i)) put(j, i, w);
    }
  }
  // Sort each row by column and drop explicit zeros (intersection of one-sided edges).
  let w = 0;
  const outPtr = new Int32Array(n + 1);
  const pairs: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = rowPtr[i];
    const end = rowPtr[i + 1];
    pairs.length = 0;
    for (let p = start; p < end; p++) pairs.push(p);
    pairs.sort((x, y) => cols[x] - cols[y]);
    const c = cols.slice(start, end);
    const v = weights.slice(start, end);
    for (let t = 0; t < pairs.length; t++) {
      const src = pairs[t] - start;
      if (v[src] === 0) continue;
      cols[w] = c[src];
      weights[w] = v[src];
      w++;
    }
    outPtr[i + 1] = w;
  }
  return { n, rowPtr: outPtr, cols: cols.slice(0, w), weights: weights.slice(0, w) };
}

function hasEntry(rowPtr: Int32Array, cols: Int32Array, row: number, col: number): boolean {
  let lo = rowPtr[row];
  let hi = rowPtr[row + 1] - 1;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    const c = cols[m];
    if (c === col) return true;
    if (c < col) lo = m + 1;
    else hi = m - 1;
  }
  return false;
}
