/**
 * The tiny shared harness of `npm run bench`: what a benchmark receives and what it returns.
 * A benchmark module `bench/<name>.bench.ts` exports `run(ctx): Promise<BenchRow[]>`.
 * Benchmarks are not tests: they measure, side by side with an anchor, and report.
 */

export interface BenchContext {
  /** Absolute path of ../shared/data (the real datasets beside the project). */
  sharedData: string;
  log(msg: string): void;
}

export interface BenchRow {
  bench: string;
  metric: string;
  ours: number;
  /** The anchor's figure; null when the anchor or the data is missing (then `note` says why). */
  anchor: number | null;
  anchorName: string;
  /** ours / anchor when higher is better, anchor / ours otherwise; null without an anchor. */
  ratio: number | null;
  higherIsBetter: boolean;
  /** The goal for the ratio, e.g. "≥ 1.5×". */
  target?: string;
  note?: string;
}

/** The engine's seeded generator (Mulberry32), so every run draws the same pairs. */
export { mulberry32 as seededRandom } from '../server/engine/random';

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Seconds taken by one call of fn. */
export function timeOnce(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * Runs each contender once to warm up, then `reps` rounds in which every contender runs once
 * (interleaved, so a noisy moment hurts all alike). Returns the median seconds per contender.
 */
export function medianTimes(contenders: Record<string, () => void>, reps = 5): Record<string, number> {
  const names = Object.keys(contenders);
  for (const n of names) contenders[n]();
  const times: Record<string, number[]> = {};
  for (const n of names) times[n] = [];
  for (let r = 0; r < reps; r++) for (const n of names) times[n].push(timeOnce(contenders[n]));
  const out: Record<string, number> = {};
  for (const n of names) out[n] = median(times[n]);
  return out;
}

/** A row with a computed ratio. */
export function row(fields: Omit<BenchRow, 'ratio'>): BenchRow {
  let ratio: number | null = null;
  if (fields.anchor !== null && fields.anchor > 0 && fields.ours > 0) {
    ratio = fields.higherIsBetter ? fields.ours / fields.anchor : fields.anchor / fields.ours;
  }
  return { ...fields, ratio };
}

/** Rows saying a bench could not run (no data, no anchor): never a faked figure. */
export function skippedRow(bench: string, metric: string, anchorName: string, why: string, higherIsBetter = true): BenchRow {
  return { bench, metric, ours: Number.NaN, anchor: null, anchorName, ratio: null, higherIsBetter, note: `skipped: ${why}` };
}
