/**
 * The dashboard's DOM: header (run, status, Stop), progress, collapse banner, the three line
 * charts, the attention bars and the run's settings. Built with DOM calls only (the page's
 * policy allows no inline markup styles); `render` brings it up to date with a state.
 */
import { drawAttentionBars, largestWeights } from './attentionBars';
import { LineChart } from './charts';
import type { DashboardState } from './messages';
import { chartOf, collapseAlarm, labelOf, latest, progressOf, type ChartId } from './store';
import { readTheme, type Theme } from './theme';

const KIND_TITLES = { siamese: 'Siamese network', autoencoder: 'Autoencoder' } as const;
const STATUS_TEXT = { idle: 'waiting', running: 'running', stopping: 'stopping…', stopped: 'stopped', finished: 'finished', failed: 'failed' } as const;

/** The order series are listed in (and so their colours); others follow in arrival order. */
const PREFERRED_ORDER = ['loss', 'valLoss', 'precisionAt1', 'tripletAccuracy', 'mapAtR', 'rPrecision', 'activeTriplets'];

const share = (v: number): string => `${Math.round(v * 100)} %`;
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

interface Panel {
  figure: HTMLElement;
  chart: LineChart;
}

export class DashboardView {
  readonly stopButton: HTMLButtonElement;
  private readonly title: HTMLElement;
  private readonly statusPill: HTMLElement;
  private readonly statusMessage: HTMLElement;
  private readonly info: HTMLElement;
  private readonly progress: HTMLProgressElement;
  private readonly banner: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly panels: Record<ChartId, Panel>;
  private readonly attentionFigure: HTMLElement;
  private readonly attentionCanvas: HTMLCanvasElement;
  private readonly attentionCaption: HTMLElement;
  private readonly config: HTMLDetailsElement;
  private readonly configBody: HTMLTableSectionElement;
  private theme: Theme;
  private configShownFor: unknown;
  /** How many times the page has been drawn (the tests check redraws are batched). */
  renders = 0;
  /** Reports the last render drew. uPlot's data columns are the store's own arrays, so their
   *  lengths grow as reports arrive, before the next frame draws them. */
  drawnSteps = 0;

  constructor(root: HTMLElement) {
    this.theme = readTheme();
    const header = el('header', 'run');
    this.title = el('h1', 'run-title', 'Training Dashboard');
    this.statusPill = el('span', 'status');
    this.statusPill.setAttribute('role', 'status');
    this.stopButton = el('button', 'stop', 'Stop');
    this.stopButton.type = 'button';
    this.stopButton.title = 'Stop after the current step: the best epoch so far is kept and saved as a usable model';
    const headline = el('div', 'headline');
    headline.append(this.title, this.statusPill, this.stopButton);
    this.info = el('p', 'info');
    this.statusMessage = el('p', 'status-message');
    this.progress = el('progress', 'progress');
    this.progress.max = 1;
    header.append(headline, this.info, this.progress, this.statusMessage);

    this.banner = el('div', 'banner');
    this.banner.setAttribute('role', 'alert');
    this.banner.hidden = true;
    this.empty = el('p', 'empty', 'Waiting for a training run: start one with Train Similarity Model or Train Autoencoder.');

    const grid = el('section', 'charts');
    const makePanel = (id: ChartId, heading: string, chart: ConstructorParameters<typeof LineChart>[1]): Panel => {
      const figure = el('figure', `chart chart-${id}`);
      figure.dataset['chart'] = id;
      const plotHost = el('div', 'plot');
      figure.append(el('h2', undefined, heading), plotHost);
      figure.hidden = true;
      grid.append(figure);
      return { figure, chart: new LineChart(plotHost, chart) };
    };
    this.panels = {
      loss: makePanel('loss', 'Loss', { height: 220, formatY: (v) => v.toPrecision(3) }),
      metrics: makePanel('metrics', 'Retrieval metrics', { height: 220, yRange: [0, 1], formatY: (v) => v.toFixed(2) }),
      active: makePanel('active', 'Active triplets', { height: 160, yRange: [0, 1], formatY: share }),
    };
    this.attentionFigure = el('figure', 'chart chart-attention');
    this.attentionCanvas = el('canvas', 'attention');
    this.attentionCaption = el('figcaption', 'caption');
    this.attentionFigure.append(el('h2', undefined, 'Attention weights'), this.attentionCanvas, this.attentionCaption);
    this.attentionFigure.hidden = true;
    grid.append(this.attentionFigure);

    this.config = el('details', 'config');
    this.config.append(el('summary', undefined, 'Settings'));
    const table = el('table');
    this.configBody = el('tbody');
    table.append(this.configBody);
    this.config.append(table);
    this.config.hidden = true;

    root.append(header, this.banner, this.empty, grid, this.config);
  }

  /** Theme variables changed: read them again and rebuild the charts in the new colours. */
  retheme(): void {
    this.theme = readTheme();
  }

  /** The uPlot charts, for inspection (tests, debugging). */
  charts(): { id: ChartId; chart: LineChart }[] {
    return (Object.keys(this.panels) as ChartId[]).map((id) => ({ id, chart: this.panels[id].chart }));
  }

  /** `rebuild`: the run or the theme changed, so every chart is built anew. */
  render(state: DashboardState, rebuild: boolean): void {
    this.renders++;
    this.drawnSteps = state.steps.length;
    const run = state.run;
    this.empty.hidden = run !== null;
    this.title.textContent = run ? `${KIND_TITLES[run.kind]} · ${run.modelId}` : 'Training Dashboard';
    this.statusPill.textContent = STATUS_TEXT[state.status];
    this.statusPill.dataset['status'] = state.status;
    this.statusMessage.textContent = state.statusMessage ?? '';
    // Styled by the status: only a failure reads as an error ("saved to …" is good news).
    this.statusMessage.dataset['status'] = state.status;
    this.statusMessage.hidden = !state.statusMessage;
    this.stopButton.disabled = !(run && state.status === 'running');
    this.stopButton.hidden = run === null;

    const progress = progressOf(state);
    const parts: string[] = [];
    if (run) parts.push(`backend ${run.backend}, ${run.workers ?? 1} worker${(run.workers ?? 1) === 1 ? '' : 's'}`);
    if (run?.dataset) parts.push(run.dataset);
    if (progress.epoch !== undefined) parts.push(`epoch ${progress.epoch + 1}${run?.epochs ? ` / ${run.epochs}` : ''}`);
    if (progress.step !== undefined) parts.push(`step ${integer.format(progress.step)}${run?.totalSteps ? ` / ${integer.format(run.totalSteps)}` : ''}`);
    if (state.samplesPerSecond !== null) parts.push(`${integer.format(state.samplesPerSecond)} samples/s`);
    const lr = latest(state, 'learningRate');
    if (lr !== undefined) parts.push(`learning rate ${lr.toPrecision(2)}`);
    const spread = latest(state, 'embeddingStd');
    if (spread !== undefined) parts.push(`${labelOf('embeddingStd')} ${spread.toPrecision(2)}`);
    const validationItems = latest(state, 'validationItems');
    if (validationItems !== undefined) parts.push(`${integer.format(validationItems)} validation items`);
    this.info.textContent = parts.join(' · ');
    this.progress.hidden = progress.fraction === undefined;
    if (progress.fraction !== undefined) this.progress.value = progress.fraction;

    const alarm = collapseAlarm(state);
    this.banner.hidden = !alarm;
    this.banner.textContent = alarm ? `⚠ Step ${integer.format(alarm.step)}: ${alarm.message}` : '';

    const names = orderedSeries(state);
    for (const id of Object.keys(this.panels) as ChartId[]) {
      const { figure, chart } = this.panels[id];
      const mine = names.filter((n) => chartOf(n) === id);
      // Shown before the chart is built: uPlot sizes itself from its container.
      figure.hidden = mine.length === 0;
      chart.update(state, mine, this.theme, rebuild);
    }

    this.attentionFigure.hidden = !state.attention;
    if (state.attention) {
      drawAttentionBars(this.attentionCanvas, state.attention, this.theme);
      this.attentionCaption.textContent = `${state.attention.length} dimensions; largest: ${largestWeights(state.attention)}`;
    }

    if (this.configShownFor !== run) {
      this.configShownFor = run;
      this.configBody.replaceChildren(
        ...Object.entries(run?.config ?? {}).map(([key, value]) => {
          const row = el('tr');
          row.append(el('th', undefined, key), el('td', undefined, String(value)));
          return row;
        }),
      );
      this.config.hidden = !run || Object.keys(run.config).length === 0;
    }
  }
}

function orderedSeries(state: DashboardState): string[] {
  const names = Object.keys(state.series);
  const rank = (n: string): number => {
    const i = PREFERRED_ORDER.indexOf(n);
    return i < 0 ? PREFERRED_ORDER.length + names.indexOf(n) : i;
  };
  return names.sort((a, b) => rank(a) - rank(b));
}
