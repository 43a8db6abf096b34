/**
 * Where a new Similarity Lab webview panel (Training Dashboard, Embedding Map) opens: in the
 * column that already holds one, else beside the active editor. Opening every panel `Beside` the
 * last made a new column each time: at 1280 px a third column left the map 300 px wide with its
 * legend over half of it. Pure (no vscode) so it is unit-tested; panelPlacement.ts feeds it the
 * editor's tab groups.
 */

/** The view types of our panels (VS Code may prefix a webview tab's viewType, e.g. `mainThreadWebview-`). */
export const SIMILARITY_LAB_PANEL_TYPES = ['similarityLab.trainingDashboard', 'similarityLab.embeddingMap'] as const;

export interface TabGroupSummary {
  /** The group's column, 1-based. */
  viewColumn: number;
  /** The webview view types of its tabs (other tabs need not be listed). */
  webviewTypes: readonly string[];
}

export function isSimilarityLabPanel(viewType: string): boolean {
  return SIMILARITY_LAB_PANEL_TYPES.some((t) => viewType === t || viewType.endsWith(`-${t}`));
}

/**
 * The column to open a panel in: the one with the most Similarity Lab panels (ties: the rightmost,
 * where `Beside` put them), or 'beside' when none is open.
 */
export function panelColumn(groups: readonly TabGroupSummary[]): number | 'beside' {
  let best: { column: number; count: number } | undefined;
  for (const g of groups) {
    const count = g.webviewTypes.filter(isSimilarityLabPanel).length;
    if (count === 0) continue;
    if (!best || count > best.count || (count === best.count && g.viewColumn > best.column)) best = { column: g.viewColumn, count };
  }
  return best ? best.column : 'beside';
}
