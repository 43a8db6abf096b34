/**
 * UMAP's low-dimensional similarity curve 1 / (1 + a·d^(2b)), fitted to the target
 * "1 when d < minDist, exp(−(d − minDist)/spread) beyond" on 300 points of [0, 3·spread], exactly
 * as umap-learn's `find_ab_params` (scipy `curve_fit`, Levenberg–Marquardt from a = b = 1).
 * Ours is Levenberg–Marquardt with the analytic Jacobian, run to convergence: it lands on the same
 * least-squares optimum (a = 1.5769, b = 0.8951 for minDist 0.1, spread 1).
 */
export interface AbParams {
  a: number;
  b: number;
}

const POINTS = 300;

export function findAbParams(spread: number, minDist: number): AbParams {
  if (!(spread > 0) || !Number.isFinite(spread)) throw new RangeError(`spread must be a positive finite number, got ${spread}`);
  if (!(minDist >= 0) || !(minDist <= spread) || !Number.isFinite(minDist)) {
    throw new RangeError(`minDist must be in [0, spread] (spread = ${spread}), got ${minDist}`);
  }
  const x = new Float64Array(POINTS);
  const y = new Float64Array(POINTS);
  for (let i = 0; i < POINTS; i++) {
    x[i] = ((spread * 3) / (POINTS - 1)) * i;
    y[i] = x[i] < minDist ? 1 : Math.exp(-(x[i] - minDist) / spread);
  }
  // Residuals r_i = f(x_i) − y_i with f = 1/(1 + a·x^(2b)); x = 0 contributes f = 1, no gradient.
  const cost = (a: number, b: number): number => {
    let s = 0;
    for (let i = 0; i < POINTS; i++) {
      const r = 1 / (1 + a * Math.pow(x[i], 2 * b)) - y[i];
      s += r * r;
    }
    return s;
  };
  let a = 1;
  let b = 1;
  let lambda = 1e-3;
  let current = cost(a, b);
  for (let iter = 0; iter < 1000; iter++) {
    // Normal equations JᵀJ δ = −Jᵀr with Marquardt's diagonal damping.
    let jaa = 0;
    let jab = 0;
    let jbb = 0;
    let ga = 0;
    let gb = 0;
    for (let i = 0; i < POINTS; i++) {
      if (x[i] === 0) continue;
      const p = Math.pow(x[i], 2 * b);
      const f = 1 / (1 + a * p);
      const r = f - y[i];
      const dfa = -p * f * f;
      const dfb = -a * p * 2 * Math.log(x[i]) * f * f;
      jaa += dfa * dfa;
      jab += dfa * dfb;
      jbb += dfb * dfb;
      ga += dfa * r;
      gb += dfb * r;
    }
    let improved = false;
    while (lambda < 1e12) {
      const m00 = jaa * (1 + lambda);
      const m11 = jbb * (1 + lambda);
      const det = m00 * m11 - jab * jab;
      const da = (-ga * m11 + gb * jab) / det;
      const db = (-gb * m00 + ga * jab) / det;
      const next = cost(a + da, b + db);
      if (Number.isFinite(next) && next <= current) {
        const rel = (current - next) / Math.max(current, 1e-300);
        a += da;
        b += db;
        current = next;
        lambda = Math.max(lambda / 10, 1e-12);
        improved = true;
        if (rel < 1e-15 && Math.abs(da) < 1e-12 * Math.abs(a) && Math.abs(db) < 1e-12 * Math.abs(b)) return { a, b };
        break;
      }
      lambda *= 10;
    }
    if (!improved) break;
  }
  return { a, b };
}
