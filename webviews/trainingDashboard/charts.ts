/**
 * One uPlot line chart over the steps. The series it draws can change during a run (a metric
 * first reported at the end of epoch 1): then the chart is built anew, which is rare; every other
 * update is a `setData` of the store's columns.
 */
import uPlot from 'uplot';
import type { DashboardState } from './messages';
import { labelOf } from './store';
import { seriesColour, type Theme } from './theme';

export interface ChartOptions {
  /** Fixed y range (shares, accuracies), else fitted to the data. */
  yRange?: [number, number];
  height: number;
  formatY?: (v: number) => string;
}

export class LineChart {
  private plot: uPlot | undefined;
  private names: string[] = [];
  private readonly resizer: ResizeObserver;

  constructor(
    private readonly host: HTMLElement,
    private readonly options: ChartOptions,
  ) {
    this.resizer = new ResizeObserver(() => {
      if (this.plot) this.plot.setSize({ width: this.width(), height: this.options.height });
    });
    this.resizer.observe(host);
  }

  get instance(): uPlot | undefined {
    return this.plot;
  }

  get seriesNames(): readonly string[] {
    return this.names;
  }

  /** Draws `names` from the state, each in the theme's colour for its place in the list. */
  update(state: DashboardState, names: string[], theme: Theme, rebuild: boolean): void {
    if (names.length === 0) {
      this.destroy();
      return;
    }
    if (rebuild || !this.plot || names.join('\n') !== this.names.join('\n')) {
      this.destroy();
      this.names = names;
      this.plot = new uPlot(this.optionsFor(names, theme), this.dataOf(state), this.host);
      return;
    }
    this.plot.setData(this.dataOf(state));
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.names = [];
  }

  dispose(): void {
    this.destroy();
    this.resizer.disconnect();
  }

  private dataOf(state: DashboardState): uPlot.AlignedData {
    return [state.steps, ...this.names.map((n) => state.series[n] ?? [])] as uPlot.AlignedData;
  }

  private width(): number {
    return Math.max(200, Math.floor(this.host.clientWidth));
  }

  private optionsFor(names: string[], theme: Theme): uPlot.Options {
    const axis = (label: string, values?: uPlot.Axis['values']): uPlot.Axis => ({
      label,
      stroke: theme.muted,
      font: theme.font,
      labelFont: theme.font,
      grid: { stroke: theme.grid, width: 1 },
      ticks: { stroke: theme.grid, width: 1 },
      ...(values ? { values } : {}),
    });
    const formatY = this.options.formatY;
    const yRange = this.options.yRange;
    return {
      width: this.width(),
      height: this.options.height,
      scales: {
        x: { time: false },
        y: yRange ? { range: () => yRange } : {},
      },
      axes: [axis('step'), axis('', formatY ? (_u, splits) => splits.map((v) => formatY(v)) : undefined)],
      series: [
        { label: 'step' },
        ...names.map((name, i) => ({
          label: labelOf(name),
          stroke: seriesColour(theme, i),
          width: 2,
          // Validation metrics come once an epoch: join them across the steps between.
          spanGaps: true,
          ...(formatY ? { value: (_u: uPlot, v: number | null) => (v === null ? '–' : formatY(v)) } : {}),
        })),
      ],
      legend: { show: true },
      cursor: { drag: { x: true, y: false } },
    };
  }
}
