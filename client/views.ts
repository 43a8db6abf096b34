/**
 * The tree views of the Similarity Lab container: Datasets (each file and its state), Clusters
 * (the last clustering: cluster → members; a click reveals the record), Similar Items (the last
 * Find Similar: items with scores, the query named over them (similarText.ts); a click opens the
 * item at its range). FASTA records show their header's description beside the id. Models: modelCommands.ts.
 */
import * as vscode from 'vscode';
import type { ClusterRequest, DatasetInfo, FindSimilarRequest, Range } from '../server/protocol';
import { similarHeading, similarRow } from './similarText';

function toRange(r: Range): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

function openCommand(uri: string, line?: number, range?: Range): vscode.Command {
  const selection = range ? toRange(range) : line !== undefined ? new vscode.Range(line, 0, line, 0) : undefined;
  return { title: 'Open', command: 'vscode.open', arguments: [vscode.Uri.parse(uri), selection ? { selection, preview: false } : { preview: false }] };
}

function fileName(uri: string): string {
  const parsed = vscode.Uri.parse(uri);
  return parsed.path.slice(parsed.path.lastIndexOf('/') + 1);
}

/** Datasets: one item per dataset file the host found, with its state. */
export class DatasetsView implements vscode.TreeDataProvider<DatasetInfo> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly load: () => Promise<DatasetInfo[]>) {}

  refresh(): void {
    this.changed.fire();
  }

  async getChildren(element?: DatasetInfo): Promise<DatasetInfo[]> {
    if (element) return [];
    try {
      return await this.load();
    } catch {
      return []; // host down: the view's welcome text explains
    }
  }

  getTreeItem(d: DatasetInfo): vscode.TreeItem {
    const item = new vscode.TreeItem(fileName(d.uri), vscode.TreeItemCollapsibleState.None);
    item.resourceUri = vscode.Uri.parse(d.uri);
    const parts: string[] = [d.state];
    if (d.records !== undefined) parts.push(`${d.records} records`);
    if (d.clusters !== undefined) parts.push(`${d.clusters} clusters, ${d.noise ?? 0} noise`);
    item.description = parts.join(' · ');
    item.tooltip = d.message ? `${vscode.Uri.parse(d.uri).fsPath}\n${d.message}` : vscode.Uri.parse(d.uri).fsPath;
    item.iconPath = new vscode.ThemeIcon(d.state === 'error' ? 'error' : d.state === 'clustered' ? 'type-hierarchy' : d.state.endsWith('ing') ? 'loading~spin' : d.folder ? 'folder' : 'file');
    item.contextValue = 'similarityLab.dataset';
    // A folder of images cannot be opened in an editor: show it in the Explorer.
    item.command = d.folder ? { title: 'Reveal in Explorer', command: 'revealInExplorer', arguments: [vscode.Uri.parse(d.uri)] } : openCommand(d.uri);
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

type ClusterNode =
  | { kind: 'cluster'; cluster: ClusterRequest.Cluster; uri: string }
  | { kind: 'noise'; ids: string[]; lines: number[]; uris?: string[]; descriptions?: string[]; uri: string }
  /** `file`: the record is a file of its own (an image or volume of a folder dataset); `description`: a FASTA header's text after the id. */
  | { kind: 'record'; id: string; line: number; uri: string; file?: boolean; description?: string };

/** Clusters of the last clustered dataset. */
export class ClustersView implements vscode.TreeDataProvider<ClusterNode> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  result: ClusterRequest.Result | undefined;
  /** The tree view showing this provider: its description names the dataset the clusters are of. */
  view: vscode.TreeView<unknown> | undefined;

  show(result: ClusterRequest.Result): void {
    this.result = result;
    if (this.view) {
      const file = vscode.Uri.parse(result.uri);
      this.view.description = vscode.workspace.asRelativePath(file, false);
    }
    this.changed.fire();
  }

  getChildren(node?: ClusterNode): ClusterNode[] {
    const r = this.result;
    if (!r) return [];
    if (!node) {
      const nodes: ClusterNode[] = r.clusters.map((cluster) => ({ kind: 'cluster', cluster, uri: r.uri }));
      if (r.noise.length) nodes.push({ kind: 'noise', ids: r.noise, lines: r.noiseLines, ...(r.noiseUris ? { uris: r.noiseUris } : {}), ...(r.noiseDescriptions ? { descriptions: r.noiseDescriptions } : {}), uri: r.uri });
      return nodes;
    }
    const record = (id: string, line: number, own: string | undefined, uri: string, description: string | undefined): ClusterNode => {
      const described = description ? { description } : {};
      return own ? { kind: 'record', id, line: 0, uri: own, file: true, ...described } : { kind: 'record', id, line, uri, ...described };
    };
    if (node.kind === 'cluster') return node.cluster.members.map((id, i) => record(id, node.cluster.memberLines[i] ?? 0, node.cluster.memberUris?.[i], node.uri, node.cluster.memberDescriptions?.[i]));
    if (node.kind === 'noise') return node.ids.map((id, i) => record(id, node.lines[i] ?? 0, node.uris?.[i], node.uri, node.descriptions?.[i]));
    return [];
  }

  getTreeItem(node: ClusterNode): vscode.TreeItem {
    if (node.kind === 'cluster') {
      const item = new vscode.TreeItem(`Cluster ${node.cluster.id}`, vscode.TreeItemCollapsibleState.Collapsed);
      item.description = `${node.cluster.size} members`;
      item.iconPath = new vscode.ThemeIcon('symbol-namespace');
      return item;
    }
    if (node.kind === 'noise') {
      const item = new vscode.TreeItem('Outliers (noise)', vscode.TreeItemCollapsibleState.Collapsed);
      item.description = `${node.ids.length} records`;
      item.iconPath = new vscode.ThemeIcon('circle-slash');
      return item;
    }
    const item = new vscode.TreeItem(node.id, vscode.TreeItemCollapsibleState.None);
    if (node.file) {
      item.resourceUri = vscode.Uri.parse(node.uri);
      item.iconPath = vscode.ThemeIcon.File;
      item.command = openCommand(node.uri);
      return item;
    }
    // The header's description first (`Genus species`: what the user knows the record by), then where it is.
    item.description = node.description ? `${node.description} · line ${node.line + 1}` : `line ${node.line + 1}`;
    item.tooltip = `${node.description ? `${node.id} ${node.description}` : node.id}\nline ${node.line + 1}`;
    item.iconPath = new vscode.ThemeIcon('symbol-field');
    item.command = openCommand(node.uri, node.line);
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** The last Find Similar's results, best first. */
export class SimilarView implements vscode.TreeDataProvider<FindSimilarRequest.Item> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  result: FindSimilarRequest.Result | undefined;
  /** The tree view showing this provider: its description and message name the query. */
  view: vscode.TreeView<unknown> | undefined;

  show(result: FindSimilarRequest.Result): void {
    this.result = result;
    if (this.view) {
      const heading = similarHeading(result);
      this.view.description = heading.title;
      this.view.message = heading.message;
    }
    this.changed.fire();
  }

  getChildren(item?: FindSimilarRequest.Item): FindSimilarRequest.Item[] {
    return item ? [] : (this.result?.items ?? []);
  }

  getTreeItem(it: FindSimilarRequest.Item): vscode.TreeItem {
    const result = this.result ?? { query: '', kind: 'records' as const, items: [] };
    const files = result.kind === 'files';
    const text = similarRow(result, it, vscode.Uri.parse(it.uri).fsPath);
    const item = new vscode.TreeItem(text.label, vscode.TreeItemCollapsibleState.None);
    item.description = text.description;
    item.tooltip = text.tooltip;
    if (!it.range && !files) item.resourceUri = vscode.Uri.parse(it.uri);
    item.iconPath = files || !it.range ? vscode.ThemeIcon.File : new vscode.ThemeIcon('symbol-field');
    item.command = openCommand(it.uri, undefined, it.range ? { start: it.range.start, end: it.range.start } : undefined);
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
