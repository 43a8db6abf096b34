/**
 * Remembers the two most recent non-empty editor selections, each with its document and range,
 * for "Compare Selections".
 *
 * Growing a selection (dragging, Shift+arrows) keeps its anchor, so a selection with the same
 * document and anchor (or the same range) as a remembered one replaces it: a long drag is one
 * selection, not many.
 * Multi-cursor selections (Alt+drag) count one each. Selections the editor restores by itself
 * (switching back to a file) do not count. The extension activates on first use, so at that
 * moment the visible editors' current selections are taken as the starting point.
 */
import * as vscode from 'vscode';

export interface TrackedSelection {
  uri: vscode.Uri;
  range: vscode.Range;
  /** The selected text when it was selected (later edits do not change what is compared). */
  text: string;
}

interface Entry extends TrackedSelection {
  anchor: vscode.Position;
}

const KEEP = 2;

export class SelectionTracker implements vscode.Disposable {
  /** Oldest first. */
  private recent: Entry[] = [];
  private readonly subscription: vscode.Disposable;

  /** `ignoredSchemes`: documents whose selections are not data (our own result documents, output). */
  constructor(private readonly ignoredSchemes: readonly string[]) {
    const visible = [...vscode.window.visibleTextEditors];
    const active = vscode.window.activeTextEditor;
    // The active editor's selection is the most recent one.
    visible.sort((x, y) => Number(x === active) - Number(y === active));
    for (const editor of visible) this.take(editor.document, editor.selections);
    this.subscription = vscode.window.onDidChangeTextEditorSelection((e) => {
      // No kind: the editor set the selection itself (e.g. restoring it when a file is reopened),
      // which is not a new selection by the user.
      if (e.kind !== undefined) this.take(e.textEditor.document, e.selections);
    });
  }

  /** The remembered selections, oldest first (at most two). */
  lastTwo(): readonly TrackedSelection[] {
    return this.recent.map(({ uri, range, text }) => ({ uri, range, text }));
  }

  dispose(): void {
    this.subscription.dispose();
  }

  private take(document: vscode.TextDocument, selections: readonly vscode.Selection[]): void {
    if (this.ignoredSchemes.includes(document.uri.scheme)) return;
    for (const selection of selections) {
      if (selection.isEmpty) continue;
      const uri = document.uri;
      const same = this.recent.findIndex(
        (e) => e.uri.toString() === uri.toString() && (e.anchor.isEqual(selection.anchor) || e.range.isEqual(selection)),
      );
      if (same >= 0) this.recent.splice(same, 1);
      this.recent.push({ uri, range: new vscode.Range(selection.start, selection.end), anchor: selection.anchor, text: document.getText(selection) });
      if (this.recent.length > KEEP) this.recent.splice(0, this.recent.length - KEEP);
    }
  }
}
