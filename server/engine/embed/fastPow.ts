/**
 * x^b for x > 0 within 1e-13 relative error (float32 embeddings carry 6e-8) at a fraction of
 * Math.pow's cost, which dominates UMAP's layout loop (one pow per gradient, ~10⁸ per fit).
 * No division and no series on the whole mantissa: log2 x = exponent + log2 c + log2(m/c), with
 * c the centre of the mantissa's bin among 256 (tables of log2 c and 1/c, so |m/c − 1| < 2⁻⁹ and
 * five terms of the log series suffice); then 2^y = 2^⌊256y⌋/256 from two tables (2^(j/256) and
 * powers of two) times a 6-term exp series on the remainder (< ln2/256).
 */
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Which 32-bit word holds the sign/exponent depends on the platform's byte order.
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LOG_BITS = 8;
const LOG_BINS = 1 << LOG_BITS;
const LOG2_CENTRE = new Float64Array(LOG_BINS);
const INV_CENTRE = new Float64Array(LOG_BINS);
for (let i = 0; i < LOG_BINS; i++) {
  const c = 1 + (i + 0.5) / LOG_BINS;
  LOG2_CENTRE[i] = Math.log2(c);
  INV_CENTRE[i] = 1 / c;
}
const EXP_STEPS = 256;
const EXP_FRACTION = new Float64Array(EXP_STEPS);
for (let i = 0; i < EXP_STEPS; i++) EXP_FRACTION[i] = Math.pow(2, i / EXP_STEPS);
const POW2 = new Float64Array(2046);
for (let i = 0; i < POW2.length; i++) POW2[i] = Math.pow(2, i - 1022);
// log2(1 + r) = (r − r²/2 + r³/3 − r⁴/4 + r⁵/5)·log2 e (+ O(r⁶) < 2⁻⁵⁵).
const L1 = Math.LOG2E;
const L2 = -Math.LOG2E / 2;
const L3 = Math.LOG2E / 3;
const L4 = -Math.LOG2E / 4;
const L5 = Math.LOG2E / 5;
const LN2_STEP = Math.LN2 / EXP_STEPS;

export function fastPow(x: number, b: number): number {
  if (!(x >= 2.2250738585072014e-308) || x === Infinity) return Math.pow(x, b); // 0, subnormals, NaN, ∞
  f64[0] = x;
  const hi = u32[HI];
  const bin = (hi >>> (20 - LOG_BITS)) & (LOG_BINS - 1);
  u32[HI] = (hi & 0x000fffff) | 0x3ff00000;
  const r = f64[0] * INV_CENTRE[bin] - 1;
  const y = b * ((hi >>> 20) - 1023 + LOG2_CENTRE[bin] + r * (L1 + r * (L2 + r * (L3 + r * (L4 + r * L5)))));
  if (!(y > -1022 && y < 1022)) return Math.pow(x, b);
  const steps = Math.floor(y * EXP_STEPS);
  const g = (y * EXP_STEPS - steps) * LN2_STEP;
  return POW2[(steps >> LOG_BITS) + 1022] * EXP_FRACTION[steps & (EXP_STEPS - 1)] * (1 + g * (1 + g * (0.5 + g * (1 / 6 + g * (1 / 24 + g * (1 / 120))))));
}

/**
 * x^b for one fixed b, cheaper still (the layout's case: b is fixed for a fit): with x = 2^e·m,
 * m in [1, 2) and c the centre of m's bin among 256, x^b = (2^e)^b · c^b · (1 + r)^b with
 * r = m/c − 1, |r| < 2⁻⁹; the first two factors come from tables made for this b and the third
 * is its binomial series to r⁴ (relative error below 1e-12 for b ≤ 3). No log, no exp, no floor.
 * The layout inlines `pow` by hand (see layout.ts); this is the reference form.
 */
export interface PowerTable {
  b: number;
  /** (2^(e − 1023))^b for each biased exponent e. */
  exponent: Float64Array;
  /** c^b for each mantissa bin's centre c. */
  bin: Float64Array;
  /** 1/c for each bin. */
  inverseCentre: Float64Array;
  /** 2^(1023 − e) for each biased exponent e (x times it is x's mantissa, exactly). */
  inverseScale: Float64Array;
  /** Binomial coefficients C(b, 1..4). */
  c1: number;
  c2: number;
  c3: number;
  c4: number;
}

const INV_SCALE = new Float64Array(2048);
for (let e = 1; e < 2047; e++) INV_SCALE[e] = Math.pow(2, 1023 - e);

export function powerTable(b: number): PowerTable {
  if (!Number.isFinite(b)) throw new RangeError(`power table: b must be finite, got ${b}`);
  const exponent = new Float64Array(2048);
  for (let e = 1; e < 2047; e++) exponent[e] = Math.pow(2, b * (e - 1023));
  const bin = new Float64Array(LOG_BINS);
  for (let i = 0; i < LOG_BINS; i++) bin[i] = Math.pow(1 + (i + 0.5) / LOG_BINS, b);
  const c1 = b;
  const c2 = (c1 * (b - 1)) / 2;
  const c3 = (c2 * (b - 2)) / 3;
  const c4 = (c3 * (b - 3)) / 4;
  return { b, exponent, bin, inverseCentre: INV_CENTRE, inverseScale: INV_SCALE, c1, c2, c3, c4 };
}

/** x^b from a power table; x must be a normal positive float64 (else Math.pow). */
export function tablePow(t: PowerTable, x: number): number {
  if (!(x >= 2.2250738585072014e-308) || x === Infinity) return Math.pow(x, t.b);
  f64[0] = x;
  // Only the high word is read back (writing it and reloading the double would stall the load).
  const hi = u32[HI];
  const e = hi >>> 20;
  const i = (hi >>> (20 - LOG_BITS)) & (LOG_BINS - 1);
  const r = x * t.inverseScale[e] * t.inverseCentre[i] - 1;
  return t.exponent[e] * t.bin[i] * (1 + r * (t.c1 + r * (t.c2 + r * (t.c3 + r * t.c4))));
}

/** The scratch words tablePow uses, for code that inlines it (one float64 and its two 32-bit halves). */
export const powScratch = { f64, u32, HI, LOG_BITS, LOG_BINS };
