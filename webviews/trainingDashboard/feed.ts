/**
 * The extension's side of the dashboard, without vscode (the panel in client/trainingDashboard.ts
 * wraps it; tests drive it directly). It keeps each run's history (the same capped store the page
 * uses), so a page that was hidden, closed or reloaded gets the whole run back, and it batches the
 * trainer's reports (possibly a thousand a second) into one `metrics` message per `flushMs`.
 *
 * Nothing is posted before the page says `ready`: a webview drops messages posted while its page
 * is still loading or while it is hidden (VS Code then destroys the page and loads it again).
 */
import type { TrainingMetricsNotification } from '../../server/protocol';
import {
  parseMetricPoint,
  parseRunInfo,
  parseWebviewMessage,
  parseDashboardState,
  type DashboardState,
  type HostMessage,
  type MetricPoint,
  type RunInfo,
  type RunStatus,
} from './messages';
import { appendPoints, setStatus, startRun } from './store';

export interface DashboardFeedOptions {
  /** Stop was pressed in the page. */
  onStop(modelId: string): void;
  log(message: string): void;
  /** The run shown changed (a run started, was first heard of in a report, or was picked): the panel's title follows it. */
  onShownChange?(modelId: string): void;
  flushMs?: number;
  /** Runs whose history is kept (the oldest not shown is forgotten first). */
  maxRuns?: number;
}

const ACTIVE: readonly string[] = ['running', 'stopping'];

export class DashboardFeed {
  private readonly runs = new Map<string, DashboardState>();
  private shown: string | undefined;
  private post: ((message: HostMessage) => void) | undefined;
  private pageReady = false;
  private pending: MetricPoint[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly flushMs: number;
  private readonly maxRuns: number;

  constructor(private readonly options: DashboardFeedOptions) {
    this.flushMs = options.flushMs ?? 100;
    this.maxRuns = options.maxRuns ?? 8;
  }

  /** The run the page shows. */
  get shownModelId(): string | undefined {
    return this.shown;
  }

  /** The history kept for a run. */
  history(modelId: string): DashboardState | undefined {
    return this.runs.get(modelId);
  }

  /** A page was created (or loaded again): it gets messages once it says `ready`. */
  connect(post: (message: HostMessage) => void): void {
    this.post = post;
    this.pageReady = false;
    this.dropPending();
  }

  /** The page is gone or hidden (a hidden webview's page is destroyed). */
  disconnect(): void {
    this.pageReady = false;
    this.dropPending();
  }

  /** The panel closed for good. */
  close(): void {
    this.disconnect();
    this.post = undefined;
  }

  /** Shows a run (default: the latest). Returns false when there is none. */
  show(modelId?: string): boolean {
    const id = modelId ?? [...this.runs.keys()].at(-1);
    if (id === undefined || !this.runs.has(id)) return false;
    if (id !== this.shown) {
      this.setShown(id);
      this.sendWhole();
    }
    return true;
  }

  startRun(run: RunInfo): void {
    this.runs.delete(run.modelId);
    this.runs.set(run.modelId, startRun(run));
    this.setShown(run.modelId);
    this.forgetOldRuns();
    this.dropPending();
    this.send({ type: 'init', run });
  }

  /**
   * One `trainingMetrics` notification. Its `run` (sent with a run's first report) lets the page
   * show a run it was not told about. A malformed report (a NaN loss…) is logged and skipped.
   */
  addMetrics(params: TrainingMetricsNotification.Params): void {
    if (params.run && (!this.runs.has(params.modelId) || this.runs.get(params.modelId)!.run?.backend !== params.run.backend)) {
      try {
        const run = parseRunInfo(params.run, 'trainingMetrics.run');
        if (run.modelId !== params.modelId) throw new Error(`run.modelId ${run.modelId} ≠ modelId ${params.modelId}`);
        const known = this.runs.get(params.modelId);
        if (known) known.run = run;
        else this.startRun(run);
        if (known && params.modelId === this.shown) this.sendWhole();
      } catch (err) {
        this.options.log(`Training Dashboard: bad run description: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const state = this.runs.get(params.modelId);
    if (!state) {
      this.options.log(`Training Dashboard: metrics for unknown run ${params.modelId} ignored`);
      return;
    }
    let point: MetricPoint;
    try {
      point = parseMetricPoint({ epoch: params.epoch, step: params.step, loss: params.loss, metrics: params.metrics, attention: params.attention }, `trainingMetrics(${params.modelId})`);
    } catch (err) {
      this.options.log(`Training Dashboard: skipped a report: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    appendPoints(state, [point]);
    if (params.modelId !== this.shown || !this.pageReady) return;
    this.pending.push(point);
    this.flushTimer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  setStatus(modelId: string, status: RunStatus, message?: string): void {
    const state = this.runs.get(modelId);
    if (!state) return;
    setStatus(state, status, message);
    if (modelId !== this.shown) return;
    this.flush();
    this.send({ type: 'status', modelId, status, ...(message !== undefined ? { message } : {}) });
  }

  /**
   * The page's state after a window reload (from the panel serializer). The run it shows cannot
   * still be training: the analysis host that ran it was restarted with the window.
   */
  adoptRestored(saved: unknown): void {
    let state: DashboardState;
    try {
      state = parseDashboardState(saved);
    } catch (err) {
      this.options.log(`Training Dashboard: the restored page state is unusable (${err instanceof Error ? err.message : String(err)})`);
      return;
    }
    if (!state.run) return;
    if (!this.runs.has(state.run.modelId)) {
      if (ACTIVE.includes(state.status)) setStatus(state, 'stopped', 'The window was reloaded while this run trained; these are its curves until then.');
      this.runs.set(state.run.modelId, state);
    }
    this.setShown(state.run.modelId);
    this.forgetOldRuns();
  }

  /** A message from the page. */
  receive(raw: unknown): void {
    let message;
    try {
      message = parseWebviewMessage(raw);
    } catch (err) {
      this.options.log(`Training Dashboard: ignored a malformed message from the page (${err instanceof Error ? err.message : String(err)})`);
      return;
    }
    if (message.type === 'ready') {
      this.pageReady = true;
      // The page restored its own saved state; ours is at least as recent, so it wins.
      if (this.shown === undefined && message.modelId !== undefined && this.runs.has(message.modelId)) this.setShown(message.modelId);
      this.sendWhole();
      return;
    }
    const state = this.runs.get(message.modelId);
    if (!state || state.status !== 'running') return;
    setStatus(state, 'stopping');
    this.options.onStop(message.modelId);
  }

  dispose(): void {
    this.close();
    this.runs.clear();
  }

  private setShown(modelId: string): void {
    const changed = modelId !== this.shown;
    this.shown = modelId;
    if (changed) this.options.onShownChange?.(modelId);
  }

  private sendWhole(): void {
    const state = this.shown === undefined ? undefined : this.runs.get(this.shown);
    if (!state) return;
    this.dropPending();
    this.send({ type: 'restore', state });
  }

  private flush(): void {
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0 || this.shown === undefined) return;
    const points = this.pending;
    this.pending = [];
    this.send({ type: 'metrics', modelId: this.shown, points });
  }

  private dropPending(): void {
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.pending = [];
  }

  private send(message: HostMessage): void {
    if (this.pageReady && this.post) this.post(message);
  }

  private forgetOldRuns(): void {
    for (const id of this.runs.keys()) {
      if (this.runs.size <= this.maxRuns) break;
      if (id !== this.shown) this.runs.delete(id);
    }
  }
}
