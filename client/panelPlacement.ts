/** The editor side of panelColumn.ts: reads the tab groups and answers a vscode.ViewColumn. */
import * as vscode from 'vscode';
import { panelColumn } from './panelColumn';

/** The column for a new Similarity Lab panel: where one already is, else beside the active editor. */
export function similarityLabPanelColumn(): vscode.ViewColumn {
  const groups = vscode.window.tabGroups.all.map((g) => ({
    viewColumn: g.viewColumn,
    webviewTypes: g.tabs.flatMap((t) => (t.input instanceof vscode.TabInputWebview ? [t.input.viewType] : [])),
  }));
  const column = panelColumn(groups);
  return column === 'beside' ? vscode.ViewColumn.Beside : (column as vscode.ViewColumn);
}
