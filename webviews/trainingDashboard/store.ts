/**
 * The dashboard's data, as columns the charts draw directly. Pure (no DOM), so the panel can keep
 * the same history on the extension side and tests can check it without a browser.
 *
 * Points are appended in place (a run may report a thousand times a second). The history is
 * capped: past `cap` points, neighbouring pairs are merged and the stride doubles, so a long run
 * keeps its whole shape in bounded memory and a bounded saved state.
 */
import type { DashboardState, MetricPoint, RunInfo, RunStatus } from './messages';
import { LIMITS } from './messages';

export const DEFAULT_POINT_CAP = 4_000;

export type ChartId = 'loss' | 'metrics' | 'active';

/**
 * Names that are shown as text, not drawn. `samplesPerSecond` is kept only as its latest value.
 * `collapsed` (0/1 per step), `collapsedSteps` (a count per epoch) and `validationItems` (how many
 * items were scored) are bookkeeping the trainer reports beside its metrics, not scores on a 0..1
 * scale: plotted with the retrieval metrics they read as metrics and squash the real ones.
 */
const TEXT_ONLY = new Set(['learningRate', 'embeddingStd', 'collapsed', 'collapsedSteps', 'validationItems']);

/** Which chart draws a series (undefined: not drawn). */
export function chartOf(name: string): ChartId | undefined {
  if (name === 'samplesPerSecond' || TEXT_ONLY.has(name)) return undefined;
  if (name === 'activeTriplets') return 'active';
  if (name === 'loss' || /loss$/iu.test(name)) return 'loss';
  return 'metrics';
}

const LABELS: Record<string, string> = {
  loss: 'train loss',
  valLoss: 'validation loss',
  precisionAt1: 'precision@1',
  tripletAccuracy: 'triplet accuracy',
  mapAtR: 'MAP@R',
  rPrecision: 'R-precision',
  nmi: 'NMI',
  ari: 'ARI',
  activeTriplets: 'active triplets',
  reconstructionLoss: 'reconstruction loss',
  perceptualLoss: 'perceptual loss',
  contrastiveLoss: 'contrastive loss',
  tripletLoss: 'triplet loss',
  learningRate: 'learning rate',
  embeddingStd: 'embedding spread',
};

export function labelOf(name: string): string {
  return LABELS[name] ?? name;
}

export function emptyState(): DashboardState {
  return { version: 1, run: null, status: 'idle', stride: 1, steps: [], epochs: [], series: {}, attention: null, samplesPerSecond: null };
}

export function startRun(run: RunInfo): DashboardState {
  return { ...emptyState(), run, status: 'running' };
}

export function setStatus(state: DashboardState, status: RunStatus, message?: string): void {
  state.status = status;
  if (message === undefined) delete state.statusMessage;
  else state.statusMessage = message;
}

/**
 * Appends the points (in order). A point whose step is before the last one is dropped; one that
 * falls in the last point's stride bucket (the same step, at stride 1) is merged into it, each
 * series keeping its latest value. Returns how many points were dropped.
 */
export function appendPoints(state: DashboardState, points: readonly MetricPoint[], cap = DEFAULT_POINT_CAP): number {
  let dropped = 0;
  for (const p of points) {
    // Read afresh each time: thinning replaces the columns.
    const { steps, epochs, series } = state;
    const n = steps.length;
    if (n > 0 && p.step < steps[n - 1]!) {
      dropped++;
      continue;
    }
    let at: number;
    if (n > 0 && Math.floor(p.step / state.stride) === Math.floor(steps[n - 1]! / state.stride)) {
      at = n - 1;
      steps[at] = p.step;
      epochs[at] = p.epoch;
    } else {
      at = n;
      steps.push(p.step);
      epochs.push(p.epoch);
      for (const name in series) series[name]!.push(null);
    }
    put(state, 'loss', at, p.loss);
    for (const name in p.metrics) {
      const v = p.metrics[name]!;
      if (name === 'samplesPerSecond') state.samplesPerSecond = v;
      else put(state, name, at, v);
    }
    if (p.attention) state.attention = p.attention.slice();
    if (state.steps.length > cap) thin(state);
  }
  return dropped;
}

function put(state: DashboardState, name: string, at: number, value: number): void {
  let column = state.series[name];
  if (!column) {
    if (Object.keys(state.series).length >= LIMITS.seriesPerRun) return;
    column = new Array<number | null>(state.steps.length).fill(null);
    state.series[name] = column;
  }
  column[at] = value;
}

/** Halves the history: each pair of neighbours becomes the later one, a series missing there keeping the earlier value. */
export function thin(state: DashboardState): void {
  const { steps, epochs, series } = state;
  const n = steps.length;
  const half = Math.floor(n / 2);
  const odd = n % 2 === 1;
  const pick = <T>(column: T[], merge: (a: T, b: T) => T): T[] => {
    const out: T[] = new Array<T>(half + (odd ? 1 : 0));
    for (let k = 0; k < half; k++) out[k] = merge(column[2 * k]!, column[2 * k + 1]!);
    if (odd) out[half] = column[n - 1]!;
    return out;
  };
  state.steps = pick(steps, (_a, b) => b);
  state.epochs = pick(epochs, (_a, b) => b);
  for (const name in series) series[name] = pick(series[name]!, (a, b) => b ?? a);
  state.stride *= 2;
}

/** The latest non-null value of a series. */
export function latest(state: DashboardState, name: string): number | undefined {
  const column = state.series[name];
  if (!column) return undefined;
  for (let i = column.length - 1; i >= 0; i--) {
    const v = column[i];
    if (v !== null && v !== undefined) return v;
  }
  return undefined;
}

export interface Progress {
  epoch: number | undefined;
  step: number | undefined;
  /** 0..1 when the run's length is known. */
  fraction: number | undefined;
}

export function progressOf(state: DashboardState): Progress {
  const n = state.steps.length;
  const step = n > 0 ? state.steps[n - 1] : undefined;
  const epoch = n > 0 ? state.epochs[n - 1] : undefined;
  let fraction: number | undefined;
  if (state.status === 'finished') fraction = 1;
  else if (step !== undefined && state.run?.totalSteps) fraction = Math.min(1, (step + 1) / state.run.totalSteps);
  else if (epoch !== undefined && state.run?.epochs) fraction = Math.min(1, epoch / state.run.epochs);
  return { epoch, step, fraction };
}

export interface CollapseAlarm {
  step: number;
  message: string;
}

/** Points the flat-loss rule looks back over. */
export const COLLAPSE_WINDOW = 20;
/** Below this embedding spread the embeddings are taken to have collapsed to a point. */
export const COLLAPSE_STD = 1e-4;

/**
 * Embedding collapse (every input mapped to one point) shows as: the embeddings' spread near
 * zero (when the trainer reports `embeddingStd`), or every triplet active (d(a,p) = d(a,n) = 0)
 * with the loss flat at the margin over the last `COLLAPSE_WINDOW` reports.
 */
export function collapseAlarm(state: DashboardState): CollapseAlarm | undefined {
  const n = state.steps.length;
  if (n === 0) return undefined;
  const lastStep = state.steps[n - 1]!;
  const std = latest(state, 'embeddingStd');
  if (std !== undefined && std < COLLAPSE_STD) {
    // An autoencoder's latent collapses when its latent loss is too weak against the rest (or the rate too high).
    const advice = state.run?.kind === 'autoencoder' ? 'Lower the learning rate, or raise the latent loss\'s weight or margin.' : 'Lower the learning rate, raise the margin, or mine semi-hard negatives.';
    return { step: lastStep, message: `${state.run?.kind === 'autoencoder' ? 'The latent codes' : 'Embeddings'} have collapsed: their spread is ${std.toExponential(1)}. ${advice}` };
  }
  const active = state.series['activeTriplets'];
  const loss = state.series['loss'];
  if (!active || !loss) return undefined;
  const activeShares: number[] = [];
  const losses: number[] = [];
  for (let i = n - 1; i >= 0 && activeShares.length < COLLAPSE_WINDOW; i--) {
    const a = active[i];
    const l = loss[i];
    if (a === null || a === undefined || l === null || l === undefined) continue;
    activeShares.push(a);
    losses.push(l);
  }
  if (activeShares.length < COLLAPSE_WINDOW || activeShares.some((a) => a < 0.99)) return undefined;
  const lo = Math.min(...losses);
  const hi = Math.max(...losses);
  const mean = losses.reduce((s, v) => s + v, 0) / losses.length;
  if (hi - lo > 1e-3 * Math.max(Math.abs(mean), 1e-8)) return undefined;
  const margin = state.run?.config['margin'];
  const atMargin = typeof margin === 'number' && Math.abs(mean - margin) <= 1e-3 * Math.max(margin, 1e-8) ? ' (the margin)' : '';
  return {
    step: lastStep,
    message: `Embeddings look collapsed: every triplet has been active and the loss has stayed at ${mean.toPrecision(4)}${atMargin} for ${COLLAPSE_WINDOW} reports. Lower the learning rate, raise the margin, or mine semi-hard negatives.`,
  };
}
