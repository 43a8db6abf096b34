/**
 * Trained models in the editor: *Train Similarity Model* (asks the distance and epochs, and the
 * label regex for FASTA/FASTQ; the Training Dashboard follows the run, Stop cancels it), the Models
 * view (the workspace's models with their metrics) and *Find Similar With Model…* (the record at
 * the cursor, or an image file, by a model's embeddings).
 */
import * as vscode from 'vscode';
import { LSPErrorCodes, ResponseError } from 'vscode-languageclient/node';
import { FindSimilarRequest, ModelsRequest, TrainRequest, type ModelInfo } from '../server/protocol';
import type { AnalysisHost } from './host';
import type { TrainingDashboard } from './trainingDashboard';
import type { SimilarView } from './views';

/** The Models view: one item per trained model, its validation metrics as the description. */
export class ModelsView implements vscode.TreeDataProvider<ModelInfo> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly load: () => Promise<ModelInfo[]>) {}

  refresh(): void {
    this.changed.fire();
  }

  async getChildren(node?: ModelInfo): Promise<ModelInfo[]> {
    if (node) return [];
    try {
      return await this.load();
    } catch {
      return [];
    }
  }

  getTreeItem(m: ModelInfo): vscode.TreeItem {
    const item = new vscode.TreeItem(m.modelId, vscode.TreeItemCollapsibleState.None);
    const p1 = m.metrics['precisionAt1'];
    const map = m.metrics['mapAtR'];
    item.description = [p1 !== undefined ? `P@1 ${p1.toFixed(3)}` : '', map !== undefined ? `MAP@R ${map.toFixed(3)}` : '', m.distance].filter(Boolean).join(' · ');
    item.tooltip = `${m.model} model on ${m.dataset} (${m.dataKind})\n${m.created}\n${Object.entries(m.metrics)
      .map(([k, v]) => `${k} ${Number(v.toPrecision(4))}`)
      .join('\n')}`;
    item.iconPath = new vscode.ThemeIcon('symbol-class');
    item.contextValue = 'similarityLab.model';
    item.command = { title: 'Show Training Dashboard', command: 'similarityLab.showTrainingDashboard', arguments: [m.modelId] };
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export interface ModelCommandDeps {
  host: AnalysisHost;
  models: ModelsView;
  similar: SimilarView;
  dashboard: TrainingDashboard;
  output: vscode.LogOutputChannel;
  /** Runs in flight: Stop in the dashboard cancels the one with that model id. */
  runs: Map<string, vscode.CancellationTokenSource>;
}

function targetUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string') return vscode.Uri.parse(arg);
  return vscode.window.activeTextEditor?.document.uri;
}

async function fail(err: unknown, what: string, output: vscode.LogOutputChannel): Promise<void> {
  if (err instanceof ResponseError && err.code === LSPErrorCodes.RequestCancelled) return;
  const message = err instanceof Error ? err.message : String(err);
  output.error(`${what}: ${message}`);
  await vscode.window.showErrorMessage(`Similarity Lab: ${what} failed: ${message}`);
}

export async function trainSimilarityModel(deps: ModelCommandDeps, arg?: unknown): Promise<void> {
  const uri = targetUri(arg);
  if (!uri) {
    await vscode.window.showInformationMessage('Open a labelled dataset (or pick one, or a folder of images in class folders, in the Explorer), then run Train Similarity Model.');
    return;
  }
  const distance = await vscode.window.showQuickPick(
    [
      { label: 'cosine', description: 'angle between embeddings' },
      { label: 'euclidean', description: 'straight-line distance' },
      { label: 'combined', description: 'half of each' },
    ],
    { title: 'Train Similarity Model: distance of the triplet loss' },
  );
  if (!distance) return;
  const epochs = await vscode.window.showInputBox({ title: 'Train Similarity Model: epochs', value: '10', validateInput: (v) => (/^[1-9]\d*$/u.test(v) ? undefined : 'a positive integer') });
  if (!epochs) return;
  const config: TrainRequest.Config = { distance: distance.label as TrainRequest.Config['distance'], epochs: Number(epochs) };
  if (/\.(fa|fasta|fna|ffn|frn|fas|fq|fastq)(\.gz)?$/iu.test(uri.path)) {
    const regex = await vscode.window.showInputBox({ title: 'Train Similarity Model: label of each sequence (regex on the header, first group)', value: ';\\s*([^;\\s]+)[^;]*$' });
    if (regex === undefined) return;
    config.labelRegex = regex;
  }
  const cts = new vscode.CancellationTokenSource();
  const pending = `pending:${uri.toString()}`;
  deps.runs.set(pending, cts);
  try {
    const client = await deps.host.ready();
    deps.dashboard.show(undefined, true);
    const result = await client.sendRequest(TrainRequest.type, { uri: uri.toString(), model: 'siamese', config }, cts.token);
    deps.dashboard.setStatus(result.modelId, 'finished', `saved to ${vscode.Uri.parse(result.uri).fsPath}`);
    deps.models.refresh();
    const p1 = result.metrics['precisionAt1'];
    void vscode.window.showInformationMessage(`Similarity Lab: trained ${result.modelId}${p1 !== undefined ? ` (validation P@1 ${p1.toFixed(3)})` : ''}.`);
  } catch (err) {
    const cancelled = err instanceof ResponseError && err.code === LSPErrorCodes.RequestCancelled;
    for (const [id, source] of deps.runs) if (source === cts && !id.startsWith('pending:')) deps.dashboard.setStatus(id, cancelled ? 'stopped' : 'failed', cancelled ? 'stopped' : String(err));
    deps.models.refresh();
    await fail(err, 'Train Similarity Model', deps.output);
  } finally {
    for (const [id, source] of [...deps.runs]) if (source === cts) deps.runs.delete(id);
    cts.dispose();
  }
}

/** The first report of a run names its model id: Stop for that id cancels the pending request. */
export function adoptRun(deps: Pick<ModelCommandDeps, 'runs'>, modelId: string): void {
  if (deps.runs.has(modelId)) return;
  for (const [id, source] of deps.runs) {
    if (id.startsWith('pending:') && ![...deps.runs.entries()].some(([other, s]) => s === source && !other.startsWith('pending:'))) {
      deps.runs.set(modelId, source);
      return;
    }
  }
}

export async function findSimilarWithModel(deps: ModelCommandDeps, arg?: unknown): Promise<void> {
  const uri = targetUri(arg);
  if (!uri) {
    await vscode.window.showInformationMessage('Place the cursor on a record (or pick an image in the Explorer), then run Find Similar With Model.');
    return;
  }
  try {
    const client = await deps.host.ready();
    const { models } = await client.sendRequest(ModelsRequest.type, {});
    if (models.length === 0) {
      await vscode.window.showInformationMessage('No trained models in this workspace yet: run Train Similarity Model first.');
      return;
    }
    const pick = await vscode.window.showQuickPick(
      models.map((m) => ({ label: m.modelId, description: `${m.dataKind} · ${m.distance}`, model: m })),
      { title: 'Find Similar With Model' },
    );
    if (!pick) return;
    const editor = vscode.window.activeTextEditor;
    const position = editor && editor.document.uri.toString() === uri.toString() ? editor.selection.active : undefined;
    const result = await client.sendRequest(FindSimilarRequest.type, { uri: uri.toString(), modelId: pick.model.modelId, ...(position ? { position: { line: position.line, character: position.character } } : {}) });
    deps.similar.show(result);
    await vscode.commands.executeCommand('similarityLab.similar.focus');
  } catch (err) {
    await fail(err, 'Find Similar With Model', deps.output);
  }
}
