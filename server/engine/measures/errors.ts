/**
 * The one error type of the measures: bad input to a measure (mismatched lengths, too few points,
 * an unknown measure name). Callers (CLI, host) turn it into a "bad input" answer, not a crash.
 */
export class MeasureError extends Error {
  override readonly name = 'MeasureError';
}

/** Throws the standard "different lengths" error when the lengths differ. */
export function checkSameLength(measure: string, lenA: number, lenB: number): void {
  if (lenA !== lenB) throw new MeasureError(`${measure}: vectors have different lengths (${lenA} and ${lenB})`);
}
