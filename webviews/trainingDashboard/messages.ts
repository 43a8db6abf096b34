/**
 * The Training Dashboard's messages: what the extension posts to the page, what the page posts
 * back, and the state the page saves with `vscode.setState` (which the panel serializer hands back
 * after a window reload). The page sees nothing else of the extension.
 *
 * Every message is validated on arrival (`parseHostMessage`, `parseWebviewMessage`,
 * `parseDashboardState`): a malformed one is an error naming the field, which the receiver logs
 * and ignores.
 *
 * The host's LSP notification `similarityLab/trainingMetrics` (server/protocol.ts) carries a
 * `MetricPoint` and, with a run's first report, its `RunInfo`: both are the protocol's types,
 * imported for their shape only (nothing of the host runs in the page). The panel batches the
 * points into `metrics` messages.
 */
import type { TrainingMetricsNotification } from '../../server/protocol';
import { array, finiteNumber, MessageError, nonNegativeInteger, oneOf, optional, record, string } from '../shared/validate';

export type ModelKind = TrainingMetricsNotification.RunInfo['kind'];
export const MODEL_KINDS: readonly ModelKind[] = ['siamese', 'autoencoder'];

/** `stopping`: Stop was pressed and the host has not confirmed yet. */
export const RUN_STATUSES = ['running', 'stopping', 'stopped', 'finished', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** What a run is; sent once when it starts (and inside every saved state). */
export type RunInfo = TrainingMetricsNotification.RunInfo;

/**
 * One report from the trainer. A report with the same step as the previous one (the
 * end-of-epoch validation) is merged into it. Metric names the page knows: `valLoss` and any
 * `…Loss` (drawn with the loss), `precisionAt1`, `tripletAccuracy`, `mapAtR`, `rPrecision` (and
 * any other name: drawn with the metrics), `activeTriplets`, `samplesPerSecond`, `learningRate`,
 * `embeddingStd` (shown as text and used by the collapse alarm).
 */
export type MetricPoint = TrainingMetricsNotification.MetricPoint;

export interface InitMessage {
  type: 'init';
  run: RunInfo;
}
export interface MetricsMessage {
  type: 'metrics';
  modelId: string;
  points: MetricPoint[];
}
export interface StatusMessage {
  type: 'status';
  modelId: string;
  status: RunStatus;
  /** Why it stopped or failed, shown beside the status. */
  message?: string;
}
/** A whole state, e.g. the host's history of a run when the page was hidden or reloaded. */
export interface RestoreMessage {
  type: 'restore';
  state: DashboardState;
}
/** Extension → page. */
export type HostMessage = InitMessage | MetricsMessage | StatusMessage | RestoreMessage;

/** Page → extension: sent once the script runs, with the run it restored (if any). */
export interface ReadyMessage {
  type: 'ready';
  modelId?: string;
  status?: RunStatus;
}
export interface StopMessage {
  type: 'stop';
  modelId: string;
}
/** Page → extension. */
export type WebviewMessage = ReadyMessage | StopMessage;

/**
 * The curves as columns over the steps (x), one column per series, `null` where a series has no
 * value at that step (validation metrics come once an epoch). `stride`: steps per kept point
 * (1, 2, 4…), doubled each time the history is thinned to stay under its cap.
 */
export interface DashboardState {
  version: 1;
  run: RunInfo | null;
  status: RunStatus | 'idle';
  statusMessage?: string;
  stride: number;
  steps: number[];
  epochs: number[];
  series: Record<string, (number | null)[]>;
  attention: number[] | null;
  /** Latest throughput, samples/s. */
  samplesPerSecond: number | null;
}

/** Bounds that keep a hostile or broken sender from making the page allocate without limit. */
export const LIMITS = {
  pointsPerMessage: 20_000,
  statePoints: 20_000,
  seriesPerRun: 48,
  attentionDims: 4_096,
  configEntries: 64,
} as const;

const METRIC_NAME = /^[A-Za-z][A-Za-z0-9_.@-]{0,63}$/u;

export function isMetricName(name: string): boolean {
  return METRIC_NAME.test(name);
}

export function parseHostMessage(value: unknown): HostMessage {
  const m = record(value, 'message');
  const type = oneOf(m['type'], ['init', 'metrics', 'status', 'restore'], 'type');
  switch (type) {
    case 'init':
      return { type, run: parseRunInfo(m['run'], 'run') };
    case 'metrics': {
      const points = array(m['points'], 'points', LIMITS.pointsPerMessage).map((p, i) => parseMetricPoint(p, `points[${i}]`));
      return { type, modelId: string(m['modelId'], 'modelId', 200), points };
    }
    case 'status': {
      const message = optional(m['message'], 'message', (v, p) => string(v, p, 2_000));
      return {
        type,
        modelId: string(m['modelId'], 'modelId', 200),
        status: oneOf(m['status'], RUN_STATUSES, 'status'),
        ...(message !== undefined ? { message } : {}),
      };
    }
    case 'restore':
      return { type, state: parseDashboardState(m['state'], 'state') };
  }
}

export function parseWebviewMessage(value: unknown): WebviewMessage {
  const m = record(value, 'message');
  const type = oneOf(m['type'], ['ready', 'stop'], 'type');
  if (type === 'stop') return { type, modelId: string(m['modelId'], 'modelId', 200) };
  const modelId = optional(m['modelId'], 'modelId', (v, p) => string(v, p, 200));
  const status = optional(m['status'], 'status', (v, p) => oneOf(v, RUN_STATUSES, p));
  return { type, ...(modelId !== undefined ? { modelId } : {}), ...(status !== undefined ? { status } : {}) };
}

export function parseRunInfo(value: unknown, path: string): RunInfo {
  const r = record(value, path);
  const config: Record<string, string | number | boolean> = {};
  const rawConfig = record(r['config'] ?? {}, `${path}.config`);
  const entries = Object.entries(rawConfig);
  if (entries.length > LIMITS.configEntries) throw new MessageError(`${path}.config`, `more than ${LIMITS.configEntries} entries`);
  for (const [key, v] of entries) {
    if (!isMetricName(key)) throw new MessageError(`${path}.config`, `bad key ${JSON.stringify(key.slice(0, 80))}`);
    if (typeof v === 'boolean') config[key] = v;
    else if (typeof v === 'number') config[key] = finiteNumber(v, `${path}.config.${key}`);
    else config[key] = string(v, `${path}.config.${key}`, 500);
  }
  const dataset = optional(r['dataset'], `${path}.dataset`, (v, p) => string(v, p, 2_000));
  const epochs = optional(r['epochs'], `${path}.epochs`, nonNegativeInteger);
  const totalSteps = optional(r['totalSteps'], `${path}.totalSteps`, nonNegativeInteger);
  const workers = optional(r['workers'], `${path}.workers`, nonNegativeInteger);
  return {
    modelId: string(r['modelId'], `${path}.modelId`, 200),
    kind: oneOf(r['kind'], MODEL_KINDS, `${path}.kind`),
    backend: string(r['backend'], `${path}.backend`, 100),
    ...(workers !== undefined ? { workers } : {}),
    ...(dataset !== undefined ? { dataset } : {}),
    ...(epochs !== undefined ? { epochs } : {}),
    ...(totalSteps !== undefined ? { totalSteps } : {}),
    config,
  };
}

export function parseMetricPoint(value: unknown, path: string): MetricPoint {
  const p = record(value, path);
  const metrics: Record<string, number> = {};
  const raw = record(p['metrics'] ?? {}, `${path}.metrics`);
  const entries = Object.entries(raw);
  if (entries.length > LIMITS.seriesPerRun) throw new MessageError(`${path}.metrics`, `more than ${LIMITS.seriesPerRun} metrics`);
  for (const [key, v] of entries) {
    if (!isMetricName(key)) throw new MessageError(`${path}.metrics`, `bad metric name ${JSON.stringify(key.slice(0, 80))}`);
    metrics[key] = finiteNumber(v, `${path}.metrics.${key}`);
  }
  const attention = optional(p['attention'], `${path}.attention`, (v, q) => array(v, q, LIMITS.attentionDims).map((w, i) => finiteNumber(w, `${q}[${i}]`)));
  return {
    epoch: nonNegativeInteger(p['epoch'], `${path}.epoch`),
    step: nonNegativeInteger(p['step'], `${path}.step`),
    loss: finiteNumber(p['loss'], `${path}.loss`),
    metrics,
    ...(attention !== undefined ? { attention } : {}),
  };
}

export function parseDashboardState(value: unknown, path = 'state'): DashboardState {
  const s = record(value, path);
  if (s['version'] !== 1) throw new MessageError(`${path}.version`, 'expected 1');
  const steps = array(s['steps'], `${path}.steps`, LIMITS.statePoints).map((v, i) => nonNegativeInteger(v, `${path}.steps[${i}]`));
  for (let i = 1; i < steps.length; i++) {
    if (steps[i]! < steps[i - 1]!) throw new MessageError(`${path}.steps[${i}]`, 'steps must not decrease');
  }
  const epochs = array(s['epochs'], `${path}.epochs`, LIMITS.statePoints).map((v, i) => nonNegativeInteger(v, `${path}.epochs[${i}]`));
  if (epochs.length !== steps.length) throw new MessageError(`${path}.epochs`, `length ${epochs.length} ≠ steps length ${steps.length}`);
  const rawSeries = record(s['series'], `${path}.series`);
  const names = Object.keys(rawSeries);
  if (names.length > LIMITS.seriesPerRun) throw new MessageError(`${path}.series`, `more than ${LIMITS.seriesPerRun} series`);
  const series: Record<string, (number | null)[]> = {};
  for (const name of names) {
    const q = `${path}.series.${name}`;
    if (!isMetricName(name)) throw new MessageError(`${path}.series`, `bad series name ${JSON.stringify(name.slice(0, 80))}`);
    const column = array(rawSeries[name], q, LIMITS.statePoints).map((v, i) => (v === null ? null : finiteNumber(v, `${q}[${i}]`)));
    if (column.length !== steps.length) throw new MessageError(q, `length ${column.length} ≠ steps length ${steps.length}`);
    series[name] = column;
  }
  const attention = s['attention'] === null ? null : array(s['attention'], `${path}.attention`, LIMITS.attentionDims).map((w, i) => finiteNumber(w, `${path}.attention[${i}]`));
  const statusMessage = optional(s['statusMessage'], `${path}.statusMessage`, (v, p) => string(v, p, 2_000));
  const stride = nonNegativeInteger(s['stride'], `${path}.stride`);
  if (stride < 1) throw new MessageError(`${path}.stride`, 'must be at least 1');
  return {
    version: 1,
    run: s['run'] === null ? null : parseRunInfo(s['run'], `${path}.run`),
    status: oneOf(s['status'], ['idle', ...RUN_STATUSES], `${path}.status`),
    ...(statusMessage !== undefined ? { statusMessage } : {}),
    stride,
    steps,
    epochs,
    series,
    attention,
    samplesPerSecond: s['samplesPerSecond'] === null ? null : finiteNumber(s['samplesPerSecond'], `${path}.samplesPerSecond`),
  };
}
