/**
 * The Embedding Map page: a WebGL scatter plot (regl-scatterplot) of the 2-D projection of a
 * dataset's embeddings, coloured by cluster or by label, with a hover card per record, click to
 * reveal a record and lasso (shift+drag, or the Lasso button) to select some.
 *
 * Two homes: a VS Code webview (acquireVsCodeApi exists; the map arrives by postMessage after the
 * page says `ready`; camera, colour mode and selection persist through setState), or the
 * standalone export (the map is an inline JSON block; nothing is posted, nothing persists).
 */
import { clusterCategories, fitDistance, fitToView, labelCategories, palette, withOther, type Categories } from './encoding';
import { HoverCard, el } from './hoverCard';
import { EMBEDDED_MAP_ID, decodeMap, parseHostMessage, parsePageState, type ColorMode, type DecodedMap, type LoadMessage, type PageMessage, type PageState } from './messages';
import './style.css';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare const acquireVsCodeApi: (() => VsCodeApi) | undefined;

// regl-scatterplot is an ES module and tsconfig compiles these files as CommonJS: a dynamic import
// (which esbuild inlines into the bundle) is the form TypeScript accepts for it.
type ReglScatterplot = typeof import('regl-scatterplot', { with: { 'resolution-mode': 'import' } });
type CreateScatterplot = ReglScatterplot['default'];
type Scatterplot = ReturnType<CreateScatterplot>;

/** Camera moves come in bursts: the state is saved once they settle. */
const SAVE_DELAY_MS = 250;
/** Below this plot width the legend starts folded (it would cover much of the map), until the user opens it. */
const LEGEND_FOLD_WIDTH = 480;

class EmbeddingMapPage {
  private readonly root: HTMLElement;
  private readonly titleEl: HTMLElement;
  private readonly statusEl: HTMLElement;
  private readonly clusterButton: HTMLButtonElement;
  private readonly labelButton: HTMLButtonElement;
  private readonly lassoButton: HTMLButtonElement;
  private readonly saveButton: HTMLButtonElement;
  private readonly clearButton: HTMLButtonElement;
  private readonly plotHost: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly legendBox: HTMLElement;
  private readonly legendToggle: HTMLButtonElement;
  private readonly legend: HTMLElement;
  /** The user folded or opened the legend: their choice holds over the automatic one. */
  private legendChosen = false;
  private readonly errorEl: HTMLElement;
  private readonly card: HoverCard;

  private scatterplot: Scatterplot | undefined;
  /** The camera distance of the last fit (fitDistance): a view still there has not been moved by the user. */
  private lastFit = 1;
  private map: DecodedMap | undefined;
  private mapKey = '';
  private readOnly = false;
  private canSave = true;
  private categories: Record<ColorMode, Categories> | undefined;
  private mode: ColorMode = 'cluster';
  private selected: number[] = [];
  private hovered: number | undefined;
  private pointer = { x: 0, y: 0 };
  private lassoing = false;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private restored: PageState | undefined;

  constructor(
    private readonly createScatterplot: CreateScatterplot,
    private readonly host: VsCodeApi | undefined,
  ) {
    this.root = el('div', 'map-root');
    this.root.dataset['state'] = 'loading';
    const toolbar = el('div', 'toolbar');
    this.titleEl = el('span', 'title', 'Embedding Map');
    this.statusEl = el('span', 'status', 'Waiting for the map…');
    const modes = el('span', 'segmented');
    modes.setAttribute('role', 'group');
    modes.setAttribute('aria-label', 'Colour by');
    this.clusterButton = button('Cluster', 'color-cluster', 'Colour points by cluster');
    this.labelButton = button('Label', 'color-label', 'Colour points by label');
    modes.append(el('span', 'segmented-caption', 'Colour by'), this.clusterButton, this.labelButton);
    this.lassoButton = button('Lasso', 'lasso', 'Drag to select (or hold Shift and drag)');
    const resetButton = button('Reset view', 'reset-view', 'Back to the whole map');
    this.clearButton = button('Clear', 'clear-selection', 'Clear the selection (Esc)');
    this.saveButton = button('Save as dataset…', 'save-selection', 'Write the selected records to a new dataset file');
    toolbar.append(this.titleEl, modes, this.lassoButton, resetButton, this.statusEl, this.clearButton, this.saveButton);
    this.plotHost = el('div', 'plot');
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'plot-canvas';
    // A collapsible legend: folded, only its header shows, over a corner of the map.
    this.legendBox = el('div', 'legend-box');
    this.legendToggle = button('Legend', 'legend-toggle', 'Show or hide the legend');
    this.legend = el('ul', 'legend');
    this.legend.id = 'map-legend';
    this.legend.setAttribute('aria-label', 'Legend');
    this.legendToggle.setAttribute('aria-controls', this.legend.id);
    this.legendToggle.setAttribute('aria-expanded', 'true');
    this.legendBox.append(this.legendToggle, this.legend);
    this.legendBox.hidden = true;
    this.errorEl = el('div', 'error');
    this.errorEl.hidden = true;
    this.plotHost.append(this.canvas, this.legendBox);
    this.root.append(toolbar, this.errorEl, this.plotHost);
    document.body.appendChild(this.root);
    this.card = new HoverCard(document.body);

    this.clusterButton.addEventListener('click', () => this.setMode('cluster'));
    this.labelButton.addEventListener('click', () => this.setMode('label'));
    this.legendToggle.addEventListener('click', () => {
      this.legendChosen = true;
      this.setLegendOpen(this.legendToggle.getAttribute('aria-expanded') !== 'true');
    });
    this.lassoButton.addEventListener('click', () => this.toggleLasso());
    resetButton.addEventListener('click', () => this.fitView());
    this.clearButton.addEventListener('click', () => this.scatterplot?.deselect());
    this.saveButton.addEventListener('click', () => this.post({ type: 'saveSelection', ...this.selection() }));
    this.plotHost.addEventListener('mousemove', (e) => {
      this.pointer = { x: e.clientX, y: e.clientY };
    });
    this.plotHost.addEventListener('mouseleave', () => this.card.hide());
    new ResizeObserver(() => this.resize()).observe(this.plotHost);
    // VS Code swaps the body's theme class when the colour theme changes: the plot's colours follow.
    new MutationObserver(() => this.applyTheme()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
    this.restored = parsePageState(host?.getState());
    this.updateControls();
  }

  load(message: LoadMessage): void {
    const map = decodeMap(message.map);
    const n = map.ids.length;
    this.map = map;
    this.mapKey = message.mapKey ?? `${n}:${map.ids[0] ?? ''}:${map.ids[n - 1] ?? ''}`;
    this.readOnly = message.readOnly === true || this.host === undefined;
    this.canSave = message.canSave !== false;
    // The largest clusters and labels get distinct colours; the rest form one "other" group.
    this.categories = { cluster: withOther(clusterCategories(map.clusters, n), 'clusters'), label: withOther(labelCategories(map.labels, n), 'labels') };
    const saved = this.restored?.mapKey === this.mapKey ? this.restored : undefined;
    this.restored = undefined;
    this.mode = saved?.colorMode ?? (map.clusters || !map.labels ? 'cluster' : 'label');
    if (this.mode === 'label' && !map.labels) this.mode = 'cluster';
    this.selected = saved ? saved.selected.filter((i) => i < n) : [];
    this.titleEl.textContent = map.title;
    document.title = map.title;
    this.card.hide();
    this.root.dataset['state'] = 'drawing';
    this.errorEl.hidden = true;

    const plot = this.ensureScatterplot();
    const { x, y } = fitToView(map.xy);
    const colours = palette(Math.max(this.categories.cluster.legend.length, this.categories.label.legend.length) + 1);
    void plot
      .set({
        pointColor: colours,
        colorBy: this.mode === 'cluster' ? 'valueA' : 'valueB',
        pointSize: n > 200_000 ? 2 : n > 20_000 ? 3 : n > 2_000 ? 4 : 7,
      })
      .then(() =>
        plot.draw(
          { x, y, valueA: this.categories!.cluster.index, valueB: this.categories!.label.index },
          { zDataType: 'categorical', wDataType: 'categorical', ...(this.selected.length ? { select: this.selected } : {}) },
        ),
      )
      .then(() => {
        if (saved?.view) plot.view(saved.view, { preventEvent: true });
        this.root.dataset['state'] = 'ready';
        this.root.dataset['points'] = String(n);
        this.renderLegend();
        this.updateControls();
        this.saveState();
      })
      .catch((err: unknown) => this.fail(err));
    this.renderLegend();
    this.updateControls();
  }

  fail(err: unknown): void {
    this.root.dataset['state'] = 'error';
    this.errorEl.hidden = false;
    this.errorEl.textContent = `The map could not be shown: ${err instanceof Error ? err.message : String(err)}`;
    console.error(err);
  }

  /** For tests and debugging: where a point is drawn, in client pixels. */
  screenPosition(index: number): [number, number] | undefined {
    const p = this.scatterplot?.getScreenPosition(index);
    if (!p) return undefined;
    const r = this.canvas.getBoundingClientRect();
    return [r.left + p[0], r.top + p[1]];
  }

  private ensureScatterplot(): Scatterplot {
    if (this.scatterplot) return this.scatterplot;
    const { width, height } = this.plotHost.getBoundingClientRect();
    const plot = this.createScatterplot({
      canvas: this.canvas,
      width: Math.max(1, Math.floor(width)),
      height: Math.max(1, Math.floor(height)),
      cameraDistance: (this.lastFit = fitDistance(width, height)),
      // The k-d tree is built on the page thread: a blob: worker would need a looser CSP (and
      // regl-scatterplot only wants one above a million points).
      spatialIndexUseWorker: false,
      lassoMinDelay: 10,
      lassoMinDist: 2,
      opacityInactiveScale: 0.45,
      pointSizeSelected: 1,
    });
    plot.subscribe('pointOver', (i: number) => {
      this.hovered = i;
      if (this.map && !this.lassoing) this.card.show(this.map, i, this.pointer.x, this.pointer.y);
    });
    plot.subscribe('pointOut', () => {
      this.hovered = undefined;
      this.card.hide();
    });
    plot.subscribe('lassoStart', () => {
      this.lassoing = true;
      this.card.hide();
    });
    plot.subscribe('select', ({ points }: { points: number[] }) => this.onSelect(points));
    plot.subscribe('deselect', () => this.onSelect([]));
    plot.subscribe('lassoEnd', () => {
      this.lassoing = false;
    });
    plot.subscribe('view', () => this.scheduleSave());
    this.scatterplot = plot;
    this.applyTheme();
    return plot;
  }

  /** A lasso or a click changed the selection. A click (no lasso) also reveals the clicked record. */
  private onSelect(points: number[]): void {
    const byLasso = this.lassoing;
    this.lassoing = false;
    this.selected = [...points];
    this.updateControls();
    this.saveState();
    this.post({ type: 'selection', ...this.selection() });
    if (!byLasso && points.length > 0 && this.map) {
      const index = this.hovered !== undefined && points.includes(this.hovered) ? this.hovered : points[points.length - 1]!;
      this.post({ type: 'reveal', id: this.map.ids[index]!, index });
    }
  }

  private selection(): { ids: string[]; indices: number[] } {
    const indices = [...this.selected].sort((a, b) => a - b);
    return { ids: indices.map((i) => this.map!.ids[i]!), indices };
  }

  private setMode(mode: ColorMode): void {
    if (mode === this.mode) return;
    this.mode = mode;
    void this.scatterplot?.set({ colorBy: mode === 'cluster' ? 'valueA' : 'valueB' });
    this.renderLegend();
    this.updateControls();
    this.saveState();
  }

  private toggleLasso(): void {
    const on = this.lassoButton.getAttribute('aria-pressed') !== 'true';
    this.lassoButton.setAttribute('aria-pressed', String(on));
    void this.scatterplot?.set({ mouseMode: on ? 'lasso' : 'panZoom' });
  }

  private renderLegend(): void {
    this.legend.replaceChildren();
    const cats = this.categories?.[this.mode];
    this.legendBox.hidden = !cats || cats.legend.length === 0;
    if (!cats) return;
    const colours = palette(Math.max(this.categories!.cluster.legend.length, this.categories!.label.legend.length) + 1);
    for (const entry of cats.legend) {
      const item = el('li', entry.members ? 'legend-item legend-other' : 'legend-item');
      const swatch = el('span', 'swatch');
      swatch.style.backgroundColor = colours[entry.category]!;
      item.append(swatch, el('span', 'legend-name', entry.name), el('span', 'legend-count', entry.count.toLocaleString('en-US')));
      item.dataset['category'] = String(entry.category);
      if (entry.members) item.title = `${entry.members.slice(0, 40).join(', ')}${entry.members.length > 40 ? `, … (${entry.members.length - 40} more)` : ''}`;
      this.legend.appendChild(item);
    }
    if (!this.legendChosen) this.setLegendOpen(this.plotHost.getBoundingClientRect().width >= LEGEND_FOLD_WIDTH);
  }

  private setLegendOpen(open: boolean): void {
    this.legendToggle.setAttribute('aria-expanded', String(open));
    this.legendToggle.textContent = open ? '▾ Legend' : '▸ Legend';
    this.legend.hidden = !open;
    this.legendBox.dataset['open'] = String(open);
  }

  private updateControls(): void {
    const map = this.map;
    this.clusterButton.setAttribute('aria-pressed', String(this.mode === 'cluster'));
    this.labelButton.setAttribute('aria-pressed', String(this.mode === 'label'));
    this.clusterButton.disabled = !map?.clusters;
    this.labelButton.disabled = !map?.labels;
    this.root.dataset['colorMode'] = this.mode;
    const k = this.selected.length;
    this.root.dataset['selected'] = String(k);
    if (map) {
      const n = map.ids.length;
      this.statusEl.textContent = `${n.toLocaleString('en-US')} ${n === 1 ? 'point' : 'points'}${k ? ` · ${k.toLocaleString('en-US')} selected` : ''}`;
    }
    this.clearButton.hidden = k === 0;
    this.saveButton.hidden = k === 0 || this.readOnly || !this.canSave;
  }

  private resize(): void {
    const { width, height } = this.plotHost.getBoundingClientRect();
    const plot = this.scatterplot;
    if (!plot || width <= 0 || height <= 0) return;
    // A view the user has not moved stays fitted to the new shape; a moved one is left alone.
    const fitted = this.isFitted();
    void plot.set({ width: Math.floor(width), height: Math.floor(height) }).then(() => {
      if (fitted) this.fitView();
    });
  }

  /** The whole map in view: centred, unrotated, at the distance that fits the plot's current shape. */
  private fitView(): void {
    const plot = this.scatterplot;
    if (!plot) return;
    const { width, height } = this.plotHost.getBoundingClientRect();
    this.lastFit = fitDistance(width, height);
    void plot.set({ cameraTarget: [0, 0], cameraRotation: 0, cameraDistance: this.lastFit });
  }

  private isFitted(): boolean {
    const plot = this.scatterplot;
    if (!plot) return false;
    const target = plot.get('cameraTarget') as number[];
    const near = (a: number, b: number) => Math.abs(a - b) < 1e-6 * Math.max(1, Math.abs(b));
    return near(target[0]!, 0) && near(target[1]!, 0) && near(plot.get('cameraRotation') as number, 0) && near(plot.get('cameraDistance') as number, this.lastFit);
  }

  /** Plot colours from the theme: background (for selection outlines), foreground (hover), focus colour (selection, lasso). */
  private applyTheme(): void {
    const style = getComputedStyle(this.root);
    const accent = cssColour(style.getPropertyValue('--map-accent') || '#0a84ff');
    void this.scatterplot?.set({
      backgroundColor: cssColour(style.getPropertyValue('--map-background') || '#1e1e1e'),
      pointColorHover: cssColour(style.getPropertyValue('--map-foreground') || '#ffffff'),
      pointColorActive: accent,
      lassoColor: accent,
    });
  }

  private scheduleSave(): void {
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.saveState();
    }, SAVE_DELAY_MS);
  }

  private saveState(): void {
    if (!this.host || !this.map || !this.scatterplot || this.root.dataset['state'] !== 'ready') return;
    const state: PageState = {
      v: 1,
      mapKey: this.mapKey,
      colorMode: this.mode,
      view: Array.from(this.scatterplot.get('cameraView')),
      selected: [...this.selected],
    };
    this.host.setState(state);
  }

  private post(message: PageMessage): void {
    this.host?.postMessage(message);
  }
}

function button(text: string, name: string, title: string): HTMLButtonElement {
  const b = el('button', `btn btn-${name}`, text);
  b.type = 'button';
  b.title = title;
  b.dataset['action'] = name;
  return b;
}

/** Any CSS colour → normalised RGBA, by letting a 1×1 canvas parse and paint it. */
function cssColour(value: string): [number, number, number, number] {
  const ctx = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
  if (!ctx) return [0.5, 0.5, 0.5, 1];
  ctx.fillStyle = '#000';
  ctx.fillStyle = value.trim();
  ctx.fillRect(0, 0, 1, 1);
  const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
  return [r! / 255, g! / 255, b! / 255, a! / 255];
}

async function boot(): Promise<void> {
  const { default: createScatterplot } = await import('regl-scatterplot');
  const host = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : undefined;
  const page = new EmbeddingMapPage(createScatterplot, host);
  (window as unknown as { simlabEmbeddingMap: unknown }).simlabEmbeddingMap = { screenPosition: (i: number) => page.screenPosition(i) };
  const handle = (data: unknown): void => {
    try {
      page.load(parseHostMessage(data));
    } catch (err) {
      page.fail(err);
    }
  };
  const embedded = document.getElementById(EMBEDDED_MAP_ID);
  if (embedded) {
    let data: unknown;
    try {
      data = JSON.parse(embedded.textContent ?? '');
    } catch (err) {
      page.fail(err);
      return;
    }
    handle(data);
    return;
  }
  window.addEventListener('message', (event: MessageEvent<unknown>) => handle(event.data));
  host?.postMessage({ type: 'ready' } satisfies PageMessage);
}

boot().catch((err: unknown) => console.error('Embedding Map failed to start', err));
