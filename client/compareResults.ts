/**
 * Read-only documents `similarity-lab-compare:/Comparison N.md` that show comparison results.
 * A document rather than a QuickPick: it stays open beside the data, lists every measure at
 * once, says what was compared, and its values can be copied.
 */
import * as vscode from 'vscode';

export const COMPARE_SCHEME = 'similarity-lab-compare';

/** Results kept for reopening (e.g. from "recently closed"); older ones are dropped. */
const KEEP = 20;

export class ComparisonResults implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private count = 0;
  private readonly registration: vscode.Disposable;

  constructor() {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(COMPARE_SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '# Comparison no longer available\n\nRun **Similarity Lab: Compare Selections** again.\n';
  }

  /** Opens a new result document beside the editor; `render` gets its title ("Comparison 3"). */
  async show(render: (title: string) => string): Promise<void> {
    const title = `Comparison ${++this.count}`;
    const uri = vscode.Uri.from({ scheme: COMPARE_SCHEME, path: `/${title}.md` });
    this.contents.set(uri.toString(), render(title));
    while (this.contents.size > KEEP) {
      const oldest = this.contents.keys().next().value;
      if (oldest === undefined) break;
      this.contents.delete(oldest);
    }
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: false, preserveFocus: true });
  }

  dispose(): void {
    this.registration.dispose();
    this.contents.clear();
  }
}
