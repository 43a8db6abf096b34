/**
 * Colours from VS Code's theme variables (set on <body> inside a webview), so the charts follow
 * light, dark and high-contrast themes. Canvas drawing needs concrete colours, hence reading the
 * variables here; each has a fallback (VS Code's Dark Modern value) for a page shown outside VS
 * Code, such as the browser tests.
 */

export interface Theme {
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  /** One colour per series, in order. */
  series: string[];
  font: string;
}

const SERIES_VARIABLES: [string, string][] = [
  ['--vscode-charts-blue', '#3794ff'],
  ['--vscode-charts-orange', '#d18616'],
  ['--vscode-charts-green', '#89d185'],
  ['--vscode-charts-purple', '#b180d7'],
  ['--vscode-charts-red', '#f14c4c'],
  ['--vscode-charts-yellow', '#cca700'],
];

export function readTheme(element: HTMLElement = document.body): Theme {
  const style = getComputedStyle(element);
  const read = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
  const family = read('--vscode-font-family', 'system-ui, sans-serif');
  const size = read('--vscode-font-size', '13px');
  return {
    foreground: read('--vscode-editor-foreground', '#cccccc'),
    muted: read('--vscode-descriptionForeground', '#9d9d9d'),
    grid: read('--vscode-charts-lines', 'rgba(128, 128, 128, 0.35)'),
    background: read('--vscode-editor-background', '#1f1f1f'),
    series: SERIES_VARIABLES.map(([name, fallback]) => read(name, fallback)),
    font: `${size} ${family}`,
  };
}

export function seriesColour(theme: Theme, index: number): string {
  return theme.series[index % theme.series.length]!;
}
