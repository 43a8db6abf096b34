/**
 * The Training Dashboard page (bundled by esbuild to dist/webviews/trainingDashboard.js, with its
 * CSS and uPlot's in trainingDashboard.css). It keeps one run's curves:
 * - messages from the extension are validated, then change the state; a malformed one is
 *   logged and ignored;
 * - drawing happens at most once a frame (requestAnimationFrame), however fast reports come;
 * - the state is saved with `vscode.setState` (at most once a second while points stream in, at
 *   once on a run or status change), so a hidden or reloaded page draws the same curves again;
 * - Stop posts `{ type: 'stop', modelId }`.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { MessageError } from '../shared/validate';
import {
  parseDashboardState,
  parseHostMessage,
  type DashboardState,
  type HostMessage,
  type WebviewMessage,
} from './messages';
import { appendPoints, emptyState, setStatus, startRun } from './store';
import { DashboardView } from './view';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: DashboardState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const SAVE_INTERVAL_MS = 1_000;

const vscode = acquireVsCodeApi();
const view = new DashboardView(document.getElementById('dashboard') ?? document.body);
let state = restoredState();
let frameRequested = false;
let rebuildCharts = true;
let saveTimer: ReturnType<typeof setTimeout> | undefined;

function restoredState(): DashboardState {
  const saved = vscode.getState();
  if (saved === undefined || saved === null) return emptyState();
  try {
    return parseDashboardState(saved);
  } catch (err) {
    console.warn(`Training Dashboard: the saved state is unusable and was dropped (${describe(err)})`);
    return emptyState();
  }
}

function describe(err: unknown): string {
  return err instanceof MessageError || err instanceof Error ? err.message : String(err);
}

function scheduleDraw(rebuild = false): void {
  rebuildCharts ||= rebuild;
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(() => {
    frameRequested = false;
    const rebuildNow = rebuildCharts;
    rebuildCharts = false;
    view.render(state, rebuildNow);
  });
}

function saveNow(): void {
  if (saveTimer !== undefined) clearTimeout(saveTimer);
  saveTimer = undefined;
  vscode.setState(state);
}

function saveSoon(): void {
  saveTimer ??= setTimeout(saveNow, SAVE_INTERVAL_MS);
}

function apply(message: HostMessage): void {
  switch (message.type) {
    case 'init':
      state = startRun(message.run);
      scheduleDraw(true);
      saveNow();
      return;
    case 'restore':
      state = message.state;
      scheduleDraw(true);
      saveNow();
      return;
    case 'metrics': {
      if (state.run?.modelId !== message.modelId) {
        console.warn(`Training Dashboard: ignored metrics for run ${message.modelId}; showing ${state.run?.modelId ?? 'no run'}`);
        return;
      }
      const dropped = appendPoints(state, message.points);
      if (dropped > 0) console.warn(`Training Dashboard: ignored ${dropped} report(s) whose step went backwards`);
      scheduleDraw();
      saveSoon();
      return;
    }
    case 'status':
      if (state.run?.modelId !== message.modelId) {
        console.warn(`Training Dashboard: ignored a status for run ${message.modelId}; showing ${state.run?.modelId ?? 'no run'}`);
        return;
      }
      setStatus(state, message.status, message.message);
      scheduleDraw();
      saveNow();
      return;
  }
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  let message: HostMessage;
  try {
    message = parseHostMessage(event.data);
  } catch (err) {
    console.warn(`Training Dashboard: ignored a malformed message (${describe(err)})`);
    return;
  }
  apply(message);
});

view.stopButton.addEventListener('click', () => {
  if (!state.run || state.status !== 'running') return;
  vscode.postMessage({ type: 'stop', modelId: state.run.modelId });
  setStatus(state, 'stopping');
  scheduleDraw();
  saveNow();
});

// A theme switch sets VS Code's colour variables on <html> and the theme's kind and name on
// <body>: read the colours again and redraw.
const themeObserver = new MutationObserver(() => {
  view.retheme();
  scheduleDraw(true);
});
themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class', 'style', 'data-vscode-theme-name'] });

/** Read-only handle for tests and debugging from the developer tools. */
Object.defineProperty(window, 'trainingDashboard', {
  value: Object.freeze({
    state: (): DashboardState => state,
    renders: (): number => view.renders,
    drawnSteps: (): number => view.drawnSteps,
    charts: () =>
      view.charts().map(({ id, chart }) => ({
        id,
        series: [...chart.seriesNames],
        dataLengths: chart.instance ? chart.instance.data.map((column) => column.length) : [],
      })),
  }),
});

scheduleDraw(true);
// Tells the extension the page can take messages, and which run it restored (if any).
const restored = state.status === 'idle' ? {} : { status: state.status };
vscode.postMessage({ type: 'ready', ...(state.run ? { modelId: state.run.modelId, ...restored } : {}) });
