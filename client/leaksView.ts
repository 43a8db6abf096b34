/**
 * The Leakage view (issue 17): one row per file pair the host checked — `train.fasta ←
 * test.fasta` `5 leaking of 25` — with the leaking records of the query file under it; a click on
 * a record reveals its line. Fed by the host's `leakFindings` notification, sent after every check
 * (the command, the `similarityLab.splits` setting, or a change of a checked file), so a check the
 * user did not start shows too; `leakFindingsCleared` drops the pairs of a deleted or unreadable file. The row text is leaksText.ts (pure, unit-tested); this file only renders it.
 */
import * as vscode from 'vscode';
import type { CheckLeaksRequest, LeakFindingsClearedNotification, LeakFindingsNotification } from '../server/protocol';
import { clearLeakFindings, leakFilePairRow, leakRecordRow, mergeLeakFindings, type LeakFilePair } from './leaksText';

type LeakNode = { kind: 'files'; files: LeakFilePair } | { kind: 'record'; files: LeakFilePair; pair: CheckLeaksRequest.Pair };

function nameOf(uri: string): string {
  return vscode.workspace.asRelativePath(vscode.Uri.parse(uri), false);
}

export class LeaksView implements vscode.TreeDataProvider<LeakNode> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private filePairs: LeakFilePair[] = [];
  /** The tree view showing this provider: its badge counts the leaking records. */
  view: vscode.TreeView<unknown> | undefined;

  /** A check's findings: they replace those of the same file pairs. */
  add(findings: LeakFindingsNotification.Params): void {
    this.show(mergeLeakFindings(this.filePairs, findings));
  }

  /** Pairs whose findings no longer hold (a file deleted, or unreadable after a change): their rows go. */
  clear(cleared: LeakFindingsClearedNotification.Params): void {
    this.show(clearLeakFindings(this.filePairs, cleared));
  }

  private show(filePairs: LeakFilePair[]): void {
    this.filePairs = filePairs;
    if (this.view) {
      const leaking = this.filePairs.reduce((n, f) => n + f.pairs.length, 0);
      this.view.badge = leaking > 0 ? { value: leaking, tooltip: `${leaking} leaking record${leaking === 1 ? '' : 's'}` } : undefined;
    }
    this.changed.fire();
  }

  getChildren(node?: LeakNode): LeakNode[] {
    if (!node) return this.filePairs.map((files) => ({ kind: 'files', files }));
    if (node.kind === 'files') return node.files.pairs.map((pair) => ({ kind: 'record', files: node.files, pair }));
    return [];
  }

  getTreeItem(node: LeakNode): vscode.TreeItem {
    const { files } = node;
    if (node.kind === 'files') {
      const text = leakFilePairRow(files, nameOf(files.reference), nameOf(files.query));
      const item = new vscode.TreeItem(text.label, files.pairs.length > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
      item.description = text.description;
      item.tooltip = text.tooltip;
      item.iconPath = new vscode.ThemeIcon(files.pairs.length > 0 ? 'warning' : 'pass');
      item.contextValue = 'similarityLab.leakFiles';
      return item;
    }
    const { pair } = node;
    const text = leakRecordRow(pair, files.kind, nameOf(files.reference));
    const item = new vscode.TreeItem(text.label, vscode.TreeItemCollapsibleState.None);
    item.description = text.description;
    item.tooltip = text.tooltip;
    item.iconPath = new vscode.ThemeIcon('symbol-field');
    const line = pair.queryLine ?? 0;
    item.command = { title: 'Reveal', command: 'vscode.open', arguments: [vscode.Uri.parse(pair.queryUri), { selection: new vscode.Range(line, 0, line, 0), preview: false }] };
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
