/**
 * Trained models in the editor: *Train Similarity Model* (asks the distance and epochs, and the
 * label regex for FASTA/FASTQ), *Train Autoencoder* (asks dense or convolutional, epochs and the
 * latent size; labels optional), the Models view (the workspace's models with their metrics) and
 * *Find Similar With Model…* (the record at the cursor, or an image file, by a model's embeddings
 * — an autoencoder's are its latent codes).
 *
 * A run's two ways to end early: the dashboard's Stop asks the host to stop gracefully
 * (`stopTraining`: the best epoch is kept and saved, a usable model); cancelling the request (a
 * host restart, the window closing) abandons the run. Its progress shows once in the status bar,
 * in the host's status item (see trainRequest.ts).
 */
import * as vscode from 'vscode';
import { LSPErrorCodes, ResponseError } from 'vscode-languageclient/node';
import { FindSimilarRequest, ModelsRequest, StopTrainingRequest, TrainRequest, type ModelInfo } from '../server/protocol';
import type { AnalysisHost } from './host';
import type { TrainingDashboard } from './trainingDashboard';
import { describeOutcome } from './trainingOutcome';
import { trainRequestParams } from './trainRequest';
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
    const valLoss = m.metrics['valLoss'];
    const ae = m.autoencoder;
    item.description = [
      ae ? `${ae.kind} autoencoder, latent ${ae.latentDim}` : '',
      ae && valLoss !== undefined ? `val loss ${valLoss.toPrecision(3)}` : '',
      p1 !== undefined ? `P@1 ${p1.toFixed(3)}` : '',
      map !== undefined ? `MAP@R ${map.toFixed(3)}` : '',
      m.distance,
    ]
      .filter(Boolean)
      .join(' · ');
    item.tooltip = `${ae ? `${ae.kind} autoencoder (${ae.latentDim}-dim latent)` : `${m.model} model`} on ${m.dataset} (${m.dataKind})\n${m.created}\n${Object.entries(m.metrics)
      .map(([k, v]) => `${k} ${Number(v.toPrecision(4))}`)
      .join('\n')}`;
    item.iconPath = new vscode.ThemeIcon(ae ? 'symbol-interface' : 'symbol-class');
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
  /** Runs in flight, by model id once known (before: `pending:<uri>`): their requests' cancellation. */
  runs: Map<string, vscode.CancellationTokenSource>;
}

/**
 * The dashboard's Stop: ask the host to stop the run gracefully. A host that does not know the
 * run (it ended meanwhile) says so; a host that cannot be asked gets the request cancelled.
 */
export async function stopRun(deps: Pick<ModelCommandDeps, 'host' | 'runs' | 'output'>, modelId: string): Promise<void> {
  try {
    const client = await deps.host.ready();
    const { stopping } = await client.sendRequest(StopTrainingRequest.type, { modelId });
    if (!stopping) deps.output.info(`Stop: ${modelId} is not training any more`);
  } catch (err) {
    deps.output.warn(`Stop: the host could not be asked to stop ${modelId} gracefully (${err instanceof Error ? err.message : String(err)}); cancelling it`);
    deps.runs.get(modelId)?.cancel();
  }
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

const FASTA = /\.(fa|fasta|fna|ffn|frn|fas|fq|fastq)(\.gz)?$/iu;

function askEpochs(title: string): Thenable<string | undefined> {
  return vscode.window.showInputBox({ title: `${title}: epochs`, value: '10', validateInput: (v) => (/^[1-9]\d*$/u.test(v) ? undefined : 'a positive integer') });
}

export async function trainSimilarityModel(deps: ModelCommandDeps, arg?: unknown): Promise<void> {
  const uri = targetUri(arg);
  if (!uri) {
    await vscode.window.showInformationMessage('Open a labelled dataset (or pick one, or a folder of images in class folders, in the Explorer), then run Train Similarity Model.');
    return;
  }
  const distance = await vscode.window.showQuickPick(
    [
      { label: 'cosine', description: 'angle between embeddings', value: 'cosine' as const },
      { label: 'euclidean', description: 'straight-line distance', value: 'euclidean' as const },
      { label: 'combined', description: 'half of each', value: 'combined' as const },
    ],
    { title: 'Train Similarity Model: distance of the triplet loss' },
  );
  if (!distance) return;
  const epochs = await askEpochs('Train Similarity Model');
  if (!epochs) return;
  const config: TrainRequest.Config = { distance: distance.value, epochs: Number(epochs) };
  if (FASTA.test(uri.path)) {
    const regex = await vscode.window.showInputBox({ title: 'Train Similarity Model: label of each sequence (regex on the header, first group)', value: ';\\s*([^;\\s]+)[^;]*$' });
    if (regex === undefined) return;
    config.labelRegex = regex;
  }
  await runTraining(deps, uri, 'siamese', config, 'Train Similarity Model');
}

export async function trainAutoencoder(deps: ModelCommandDeps, arg?: unknown): Promise<void> {
  const uri = targetUri(arg);
  if (!uri) {
    await vscode.window.showInformationMessage('Open a dataset (or pick one, or a folder of images, in the Explorer), then run Train Autoencoder.');
    return;
  }
  const kind = await vscode.window.showQuickPick(
    [
      { label: 'convolutional', description: 'conv encoder and decoder with batch norm (sequences, images, volumes)', value: 'conv' as const },
      { label: 'dense', description: 'fully connected layers (any data, tables included)', value: 'dense' as const },
    ],
    { title: 'Train Autoencoder: kind' },
  );
  if (!kind) return;
  const epochs = await askEpochs('Train Autoencoder');
  if (!epochs) return;
  const latent = await vscode.window.showInputBox({ title: 'Train Autoencoder: latent size (the embedding)', value: '32', validateInput: (v) => (/^[1-9]\d*$/u.test(v) ? undefined : 'a positive integer') });
  if (!latent) return;
  const config: TrainRequest.Config = { autoencoder: kind.value, epochs: Number(epochs), latentDim: Number(latent) };
  if (FASTA.test(uri.path)) {
    // Labels are optional for an autoencoder (latent positives, validation scores): an empty regex trains without.
    const regex = await vscode.window.showInputBox({ title: 'Train Autoencoder: label of each sequence, optional (regex on the header, first group; empty: none)', value: '' });
    if (regex === undefined) return;
    if (regex !== '') config.labelRegex = regex;
  }
  await runTraining(deps, uri, 'autoencoder', config, 'Train Autoencoder');
}

/** Sends the train request and follows it in the dashboard until it ends (finished, stopped with a model, cancelled or failed). */
async function runTraining(deps: ModelCommandDeps, uri: vscode.Uri, model: TrainRequest.Params['model'], config: TrainRequest.Config, what: string): Promise<void> {
  const cts = new vscode.CancellationTokenSource();
  const pending = `pending:${uri.toString()}`;
  deps.runs.set(pending, cts);
  try {
    const client = await deps.host.ready();
    deps.dashboard.show(undefined, true);
    const result = await client.sendRequest(TrainRequest.type, trainRequestParams(uri.toString(), model, config), cts.token);
    const folder = vscode.Uri.parse(result.uri).fsPath;
    const stopped = result.stopReason === 'stopped';
    // The dashboard says why the run ended where it did (early stopping, the time limit, Stop), not only where it was saved.
    const outcome = describeOutcome({ stopReason: result.stopReason, folder, metrics: result.metrics }, deps.dashboard.history(result.modelId));
    deps.dashboard.setStatus(result.modelId, outcome.status, outcome.message);
    deps.models.refresh();
    const p1 = result.metrics['precisionAt1'];
    const valLoss = result.metrics['valLoss'];
    const score = p1 !== undefined ? ` (validation P@1 ${p1.toFixed(3)})` : valLoss !== undefined ? ` (validation loss ${valLoss.toPrecision(3)})` : '';
    void vscode.window.showInformationMessage(`Similarity Lab: ${stopped ? 'stopped' : 'trained'} ${result.modelId}${score}${stopped ? '; its best epoch is saved and ready to use' : ''}.`);
  } catch (err) {
    const cancelled = err instanceof ResponseError && err.code === LSPErrorCodes.RequestCancelled;
    for (const [id, source] of deps.runs) if (source === cts && !id.startsWith('pending:')) deps.dashboard.setStatus(id, cancelled ? 'stopped' : 'failed', cancelled ? 'cancelled: the run was abandoned' : String(err));
    deps.models.refresh();
    await fail(err, what, deps.output);
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
      await vscode.window.showInformationMessage('No trained models in this workspace yet: run Train Similarity Model or Train Autoencoder first.');
      return;
    }
    const pick = await vscode.window.showQuickPick(
      models.map((m) => ({ label: m.modelId, description: `${m.autoencoder ? `${m.autoencoder.kind} autoencoder · ` : ''}${m.dataKind} · ${m.distance}`, model: m })),
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
