/**
 * Correlations. Rules: different lengths → MeasureError; fewer than 2 points → MeasureError;
 * a constant input (zero variance) → NaN, because the correlation is undefined there (0/0).
 * Any NaN in the input gives NaN.
 */
import { checkSameLength, MeasureError } from './errors';
import type { NumericVector } from './vector';

function check(measure: string, x: NumericVector, y: NumericVector): void {
  checkSameLength(measure, x.length, y.length);
  if (x.length < 2) throw new MeasureError(`${measure}: needs at least 2 points (got ${x.length})`);
}

function pearsonUnchecked(x: NumericVector, y: NumericVector): number {
  const n = x.length;
  // Two passes (means first): the one-pass sum-of-squares formula cancels catastrophically.
  // Constancy is tested exactly: rounding in the mean would make a constant input look varied.
  let mx = 0;
  let my = 0;
  let xVaries = false;
  let yVaries = false;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
    if (x[i] !== x[0]) xVaries = true;
    if (y[i] !== y[0]) yVaries = true;
  }
  if (!xVaries || !yVaries) return Number.NaN;
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  // √(sxx·syy) rather than √sxx·√syy: exact ±1 for exactly linear data.
  const den = sxx * syy;
  if (!(sxx >= MIN_NORMAL && syy >= MIN_NORMAL && den >= MIN_NORMAL && den < Infinity)) return rescaled(x, y, mx, my);
  return clampUnit(sxy / Math.sqrt(den));
}

/** Smallest normal double: below it (subnormals) precision is lost. */
const MIN_NORMAL = 2.2250738585072014e-308;

function clampUnit(r: number): number {
  return r > 1 ? 1 : r < -1 ? -1 : r;
}

/** Slow path: deviations too small or large to square, so scale them by their largest first. */
function rescaled(x: NumericVector, y: NumericVector, mx: number, my: number): number {
  const n = x.length;
  let ax = 0;
  let ay = 0;
  for (let i = 0; i < n; i++) {
    ax = Math.max(ax, Math.abs(x[i] - mx));
    ay = Math.max(ay, Math.abs(y[i] - my));
  }
  if (!(ax > 0 && ay > 0 && ax < Infinity && ay < Infinity)) return Number.NaN;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] - mx) / ax;
    const dy = (y[i] - my) / ay;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return clampUnit(sxy / Math.sqrt(sxx * syy));
}

/** Pearson's product-moment correlation, in [−1, 1]. */
export function pearson(x: NumericVector, y: NumericVector): number {
  check('pearson', x, y);
  return pearsonUnchecked(x, y);
}

/**
 * Ranks 1..n of the values, ties sharing the average of the ranks they span (fractional
 * ranking). NaN values get NaN ranks.
 */
export function averageRanks(x: NumericVector): Float64Array {
  const n = x.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((i, j) => x[i] - x[j]);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i + 1;
    while (j < n && x[order[j]] === x[order[i]]) j++;
    const rank = (i + 1 + j) / 2; // mean of ranks i+1..j
    for (let t = i; t < j; t++) ranks[order[t]] = rank;
    i = j;
  }
  return ranks;
}

/** Spearman's rank correlation: Pearson on average ranks (ties handled), in [−1, 1]. */
export function spearman(x: NumericVector, y: NumericVector): number {
  check('spearman', x, y);
  for (let i = 0; i < x.length; i++) if (x[i] !== x[i] || y[i] !== y[i]) return Number.NaN;
  return pearsonUnchecked(averageRanks(x), averageRanks(y));
}
