/** How the command line prints numbers. */

const DECIMALS = 6;

/**
 * Integers as integers (`3`); other values rounded to 6 decimal places with trailing zeros
 * trimmed (`0.746032`, `2.5`); values so small that this would print 0 keep 6 significant digits
 * in exponent form (`1.23457e-9`). NaN and infinities as `NaN`, `Infinity`, `-Infinity`.
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return Object.is(value, -0) ? '0' : String(value);
  const fixed = value.toFixed(DECIMALS);
  if (/^-?0\.0+$/.test(fixed)) return trimZeros(value.toExponential(DECIMALS - 1));
  return trimZeros(fixed);
}

function trimZeros(text: string): string {
  // "0.500000" → "0.5", "2.000000" → "2", "1.23400e-9" → "1.234e-9".
  return text.replace(/\.?0+(e|$)/, '$1');
}
