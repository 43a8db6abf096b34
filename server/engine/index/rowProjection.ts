/**
 * Rows projected onto a few orthonormal directions, used as lower bounds on their distances by
 * the exact search of nearestWithin.ts: for every x and y,
 * ‖x − y‖ ≥ (‖ŷ(x) − ŷ(y)‖ − E(x) − E(y)) / scale, where ŷ is projectRowRange's float32
 * projection (projectedKnn.ts) and E(x) = errorPerNorm·‖x‖ + errorFloor bounds its rounding.
 * A search multiplies tiles in the m projected dimensions first and computes in full only the
 * pairs that this bound cannot rule out; answers stay exact, whatever the directions (they only
 * decide how much is ruled out). That pays where few pairs survive (leaks: ~1 pair per query at
 * eps); for exact kNN (k = 10, Fashion-MNIST, 64 directions) ~170 pairs per query survived and
 * their exact checks in JavaScript (~1.5 µs each at 784 values) cost what the full GEMM does.
 */
import type { ProjectionBasis } from './projectedKnn';

/**
 * The bound's constants:
 * - scale ≥ ‖Bᵀ‖₂ (1 for an orthonormal basis; the float32 basis is orthonormal to ~1e-7): from
 *   Gershgorin's bound on the largest eigenvalue of the Gram matrix BᵀB, summed in float64 with
 *   its own rounding added.
 * - the rounding: z = fl(x − μ) is within u·|x − μ| of x − μ elementwise, and each product of the
 *   GEMM within γ(dim)·Σ|z_t B_ti| (gemm.ts) plus dim·2⁻¹²⁶ of underflow; with ‖B_i‖ ≤ scale and
 *   ‖x − μ‖ ≤ ‖x‖ + ‖μ‖, each coordinate is within γ(dim + 2)·scale·(‖x‖ + ‖μ‖) + dim·2⁻¹²⁶,
 *   and the m coordinates within √m times that.
 */
export interface ProjectionBounds {
  scale: number;
  errorPerNorm: number;
  errorFloor: number;
}

export function projectionBounds(b: ProjectionBasis, dim: number, unitRoundoff = 2 ** -24): ProjectionBounds {
  const { basis, mean, m } = b;
  if (basis.length !== dim * m || mean.length !== dim) throw new RangeError(`a basis of ${basis.length} values and a mean of ${mean.length} for dim ${dim}, m ${m}`);
  let rowSum = 0;
  for (let i = 0; i < m; i++) {
    let sum = 0;
    for (let j = 0; j < m; j++) {
      let g = 0;
      for (let t = 0; t < dim; t++) g += basis[t * m + i] * basis[t * m + j];
      sum += Math.abs(g);
    }
    rowSum = Math.max(rowSum, sum);
  }
  // Float64 rounding of the Gram entries and their sums: relative (m + dim)·2⁻⁵², doubled.
  const up = 1 + 2 * (m + dim + 4) * 2 ** -52;
  const scale = Math.sqrt(rowSum * up) * up;
  let meanSq = 0;
  for (let t = 0; t < dim; t++) meanSq += mean[t] * mean[t];
  const meanNorm = Math.sqrt(meanSq) * up;
  const k = (dim + 2) * unitRoundoff;
  const gamma = k < 0.5 ? k / (1 - k) : Infinity;
  const root = Math.sqrt(m) * up;
  return { scale, errorPerNorm: root * gamma * scale * up, errorFloor: root * (gamma * scale * meanNorm + dim * 2 ** -126) * up };
}

/**
 * Rows projected by projectRowRange with their bounds (projectionBounds): data (n × m) and, for a
 * search with queries of its own, those (nq × m).
 */
export interface RowProjection extends ProjectionBounds {
  m: number;
  data: Float32Array;
  queries?: Float32Array;
}

/** Relative margin on the limits (the searches' eps margin; float64 rounding of keys and norms is ~1e-15). */
const MARGIN = 1e-5;

/**
 * The largest projected squared distance (a lower key of the m-dimensional rows) that a pair at
 * true squared distance ≤ `key` can have, for a row of norm `norm` against rows whose projection
 * error is at most `errorOther`: (scale·√key + E(norm) + errorOther)², with a margin on top. A
 * pair whose projected lower key exceeds it is farther than √key.
 */
export function projectedLimit(p: ProjectionBounds, key: number, norm: number, errorOther: number): number {
  const reach = p.scale * Math.sqrt(Math.max(0, key)) * (1 + MARGIN) + p.errorPerNorm * norm + p.errorFloor + errorOther;
  return reach * reach * (1 + MARGIN);
}

/** The largest projection error E(x) over rows of these norms (‖x‖, not squared). */
export function largestError(p: ProjectionBounds, norms: Float64Array): number {
  let max = 0;
  for (const v of norms) if (v > max) max = v;
  return p.errorPerNorm * max + p.errorFloor;
}
