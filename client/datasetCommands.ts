/**
 * Cluster This Dataset, Find Similar (a record) and Find Similar Files (a whole file): each sends
 * its request to the host and shows the answer in its tree view. Progress of a clustering comes
 * from the host (work-done progress with Cancel, and the status bar item).
 */
import * as vscode from 'vscode';
import { LSPErrorCodes, ResponseError } from 'vscode-languageclient/node';
import { ClusterRequest, FindSimilarRequest, type Position } from '../server/protocol';
import { defaultTarget } from './datasetTarget';
import type { AnalysisHost } from './host';
import type { ClustersView, SimilarView } from './views';

export interface DatasetCommandDeps {
  host: AnalysisHost;
  clusters: ClustersView;
  similar: SimilarView;
  output: vscode.LogOutputChannel;
  /** Called after a clustering succeeded (the Datasets view refreshes, crash recovery remembers it). */
  onClustered(uri: string): void;
}

/** The target file: the command's argument (Explorer, view item, code lens), else the active editor or tab (see datasetTarget.ts). */
function targetUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string') return vscode.Uri.parse(arg);
  const uriField = (arg as { uri?: unknown } | undefined)?.uri;
  if (typeof uriField === 'string') return vscode.Uri.parse(uriField);
  return defaultTarget(vscode.window.activeTextEditor?.document.uri, vscode.window.tabGroups.activeTabGroup.activeTab?.input);
}

function isPosition(v: unknown): v is Position {
  return typeof v === 'object' && v !== null && typeof (v as Position).line === 'number' && typeof (v as Position).character === 'number';
}

async function report(err: unknown, what: string, output: vscode.LogOutputChannel): Promise<void> {
  if (err instanceof ResponseError && err.code === LSPErrorCodes.RequestCancelled) return;
  const message = err instanceof Error ? err.message : String(err);
  output.error(`${what}: ${message}`);
  await vscode.window.showErrorMessage(`Similarity Lab: ${what} failed: ${message}`);
}

export async function clusterDataset(deps: DatasetCommandDeps, arg?: unknown): Promise<ClusterRequest.Result | undefined> {
  const uri = targetUri(arg);
  if (!uri) {
    await vscode.window.showInformationMessage('Open a dataset file (FASTA/FASTQ, CSV/TSV, JSONL) or pick one — or a folder of images — in the Explorer, then run Cluster This Dataset.');
    return undefined;
  }
  try {
    const client = await deps.host.ready();
    const result = await client.sendRequest(ClusterRequest.type, { uri: uri.toString() });
    deps.clusters.show(result);
    deps.onClustered(result.uri);
    deps.output.info(`Clustered ${uri.fsPath}: ${result.stats.clusters} clusters, ${result.stats.noise} noise of ${result.stats.records} records (index ${result.stats.fromCache ? 'from cache' : 'built'}).`);
    void vscode.window.setStatusBarMessage(`Similarity Lab: ${result.stats.clusters} clusters, ${result.stats.noise} outliers`, 5000);
    return result;
  } catch (err) {
    await report(err, 'Cluster This Dataset', deps.output);
    return undefined;
  }
}

export async function findSimilar(deps: DatasetCommandDeps, arg?: unknown, positionArg?: unknown): Promise<void> {
  const uri = targetUri(arg);
  const editor = vscode.window.activeTextEditor;
  const position = isPosition(positionArg) ? positionArg : editor && uri && editor.document.uri.toString() === uri.toString() ? editor.selection.active : undefined;
  if (!uri || !position) {
    await vscode.window.showInformationMessage('Place the cursor on a record of a dataset file, then run Find Similar.');
    return;
  }
  await query(deps, { uri: uri.toString(), position: { line: position.line, character: position.character } }, 'Find Similar');
}

export async function findSimilarFiles(deps: DatasetCommandDeps, arg?: unknown): Promise<void> {
  const uri = targetUri(arg);
  if (!uri) {
    await vscode.window.showInformationMessage('Pick a dataset file in the Explorer, then run Find Similar Files.');
    return;
  }
  await query(deps, { uri: uri.toString() }, 'Find Similar Files');
}

async function query(deps: DatasetCommandDeps, params: FindSimilarRequest.Params, what: string): Promise<void> {
  try {
    const client = await deps.host.ready();
    const result = await vscode.window.withProgress({ location: { viewId: 'similarityLab.similar' }, title: what }, () => client.sendRequest(FindSimilarRequest.type, params));
    deps.similar.show(result);
    await vscode.commands.executeCommand('similarityLab.similar.focus');
    if (result.items.length === 0) void vscode.window.showInformationMessage(`Similarity Lab: nothing like ${result.query} was found.`);
  } catch (err) {
    await report(err, what, deps.output);
  }
}
