/**
 * x^b for x > 0 within 1e-9 relative error (float32 embeddings carry 6e-8) at a fraction of
 * Math.pow's cost, which dominates UMAP's layout loop (one pow per gradient, ~10⁸ per fit):
 * log2 x from the IEEE-754 exponent and an atanh series on the mantissa (kept in [√½, √2)), then
 * 2^y from a table of powers of two and a Taylor polynomial on the rounded remainder (|f| ≤ ½).
 */
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Which 32-bit word holds the sign/exponent depends on the platform's byte order.
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const POW2 = new Float64Array(2046);
for (let i = 0; i < POW2.length; i++) POW2[i] = Math.pow(2, i - 1022);

export function fastPow(x: number, b: number): number {
  if (!(x >= 2.2250738585072014e-308) || x === Infinity) return Math.pow(x, b); // 0, subnormals, NaN, ∞
  f64[0] = x;
  const hi = u32[HI];
  let e = (hi >>> 20) - 1023;
  u32[HI] = (hi & 0x000fffff) | 0x3ff00000;
  let m = f64[0];
  if (m > Math.SQRT2) {
    m *= 0.5;
    e += 1;
  }
  const t = (m - 1) / (m + 1);
  const t2 = t * t;
  const lnM = 2 * t * (1 + t2 * (1 / 3 + t2 * (1 / 5 + t2 * (1 / 7 + t2 * (1 / 9 + t2 / 11)))));
  const y = b * (e + lnM * Math.LOG2E);
  if (!(y > -1022 && y < 1023)) return Math.pow(x, b);
  const i = Math.floor(y + 0.5);
  const g = (y - i) * Math.LN2;
  const p = 1 + g * (1 + g * (0.5 + g * (1 / 6 + g * (1 / 24 + g * (1 / 120 + g * (1 / 720 + g * (1 / 5040 + g / 40320)))))));
  return p * POW2[i + 1022];
}
