/**
 * Similarity Lab in VS Code. Activates when one of its commands is first used (VS Code derives
 * that from the contributed commands), starts the analysis host (dist/server.js) over node IPC,
 * and wires the commands, the status bar item and the result documents.
 */
import * as vscode from 'vscode';
import { DatasetsRequest, EmbeddingMapRequest, LeakFindingsClearedNotification, LeakFindingsNotification, ModelsRequest, TrainingMetricsNotification, type ModelInfo } from '../server/protocol';
import { EMBEDDING_MAP_VIEW_TYPE, EmbeddingMapPanels } from './embeddingMap';
import { TRAINING_DASHBOARD_VIEW_TYPE, TrainingDashboard } from './trainingDashboard';
import { compareSelections } from './compareCommand';
import { COMPARE_SCHEME, ComparisonResults } from './compareResults';
import { clusterDataset, findSimilar, findSimilarFiles, type DatasetCommandDeps } from './datasetCommands';
import { checkLeaks } from './leaksCommand';
import { LeaksView } from './leaksView';
import { AnalysisHost } from './host';
import { SelectionTracker } from './selections';
import { HostStatusItem } from './statusBar';
import { ClustersView, DatasetsView, SimilarView } from './views';
import { adoptRun, findSimilarWithModel, ModelsView, stopRun, trainAutoencoder, trainSimilarityModel } from './modelCommands';

const Commands = {
  compareSelections: 'similarityLab.compareSelections',
  restartHost: 'similarityLab.restartHost',
  showOutput: 'similarityLab.showOutput',
  clusterDataset: 'similarityLab.clusterDataset',
  findSimilar: 'similarityLab.findSimilar',
  findSimilarFiles: 'similarityLab.findSimilarFiles',
  refreshDatasets: 'similarityLab.refreshDatasets',
  showEmbeddingMap: 'similarityLab.showEmbeddingMap',
  showTrainingDashboard: 'similarityLab.showTrainingDashboard',
  trainSimilarityModel: 'similarityLab.trainSimilarityModel',
  trainAutoencoder: 'similarityLab.trainAutoencoder',
  findSimilarWithModel: 'similarityLab.findSimilarWithModel',
  refreshModels: 'similarityLab.refreshModels',
  checkLeaks: 'similarityLab.checkLeaks',
} as const;

/**
 * Set once activated. Commands that need the host use `similarityLab.hostRunning ||
 * !similarityLab.active` as enablement: before activation they must stay enabled, or invoking
 * them could never activate the extension.
 */
const ACTIVE_KEY = 'similarityLab.active';

let host: AnalysisHost | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Similarity Lab', { log: true });
  host = new AnalysisHost(context, output);
  const selections = new SelectionTracker([COMPARE_SCHEME, 'output']);
  const results = new ComparisonResults();
  const activeHost = host;

  context.subscriptions.push(
    output,
    selections,
    results,
    new HostStatusItem(activeHost, Commands.showOutput),
    vscode.commands.registerCommand(Commands.compareSelections, (clicked?: unknown, selected?: unknown) =>
      compareSelections({ host: activeHost, selections, results, showOutputCommand: Commands.showOutput, restartCommand: Commands.restartHost }, clicked, selected),
    ),
    vscode.commands.registerCommand(Commands.restartHost, async () => {
      output.info('Restarting the analysis host.');
      await activeHost.restart();
    }),
    vscode.commands.registerCommand(Commands.showOutput, () => output.show(true)),
  );

  // The Leakage view hears every check the host makes (the command's, the splits setting's).
  const leaks = new LeaksView();
  context.subscriptions.push(
    leaks,
    (leaks.view = vscode.window.createTreeView('similarityLab.leaks', { treeDataProvider: leaks, showCollapseAll: true })),
    activeHost.onNotification(LeakFindingsNotification.type, (findings) => leaks.add(findings)),
    activeHost.onNotification(LeakFindingsClearedNotification.type, (cleared) => leaks.clear(cleared)),
    vscode.commands.registerCommand(Commands.checkLeaks, (clicked?: unknown, selected?: unknown) => checkLeaks({ host: activeHost, output }, clicked, selected)),
  );

  const datasets = new DatasetsView(async () => {
    if (activeHost.currentState !== 'running') return [];
    const client = await activeHost.ready();
    return (await client.sendRequest(DatasetsRequest.type, {})).datasets;
  });
  const clusters = new ClustersView();
  const similar = new SimilarView();
  /** Datasets clustered in this session: re-clustered after a crash so their diagnostics come back (from the index cache). */
  const clustered = new Set<string>();
  const deps: DatasetCommandDeps = {
    host: activeHost,
    clusters,
    similar,
    output,
    onClustered: (uri) => {
      clustered.add(uri);
      datasets.refresh();
    },
  };
  context.subscriptions.push(
    datasets,
    clusters,
    similar,
    vscode.window.createTreeView('similarityLab.datasets', { treeDataProvider: datasets }),
    (clusters.view = vscode.window.createTreeView('similarityLab.clusters', { treeDataProvider: clusters, showCollapseAll: true })),
    (similar.view = vscode.window.createTreeView('similarityLab.similar', { treeDataProvider: similar })),

    activeHost.onDidChangeDatasets(() => datasets.refresh()),
    activeHost.onDidChangeState(() => datasets.refresh()),
    activeHost.onDidRecover(() => {
      for (const uri of clustered) void clusterDataset(deps, uri);
    }),
    vscode.commands.registerCommand(Commands.clusterDataset, (arg?: unknown) => clusterDataset(deps, arg)),
    vscode.commands.registerCommand(Commands.findSimilar, (arg?: unknown, position?: unknown) => findSimilar(deps, arg, position)),
    vscode.commands.registerCommand(Commands.findSimilarFiles, (arg?: unknown) => findSimilarFiles(deps, arg)),
    vscode.commands.registerCommand(Commands.refreshDatasets, () => datasets.refresh()),
    ...webviewPanels(context, activeHost, output, clusters, similar),
    // Trust granted: the host was started without reading datasets; start it afresh with them.
    vscode.workspace.onDidGrantWorkspaceTrust(() => void activeHost.restart()),
  );

  void vscode.commands.executeCommand('setContext', ACTIVE_KEY, true);
  void activeHost.start();
}

/** The Embedding Map and Training Dashboard panels: their commands, and their serializers (restored after a reload). */
function webviewPanels(context: vscode.ExtensionContext, activeHost: AnalysisHost, output: vscode.LogOutputChannel, clusters: ClustersView, similar: SimilarView): vscode.Disposable[] {
  const maps = new EmbeddingMapPanels(
    context.extensionUri,
    async (source, token) => {
      const client = await activeHost.ready();
      const data = await client.sendRequest(EmbeddingMapRequest.type, { uri: source.uri, ...(source.modelId !== undefined ? { modelId: source.modelId } : {}) }, token);
      // The map's clusters go to the Clusters view, like a clustering's.
      if (data.clustering) clusters.show(data.clustering);
      return data;
    },
    output,
  );
  // Stop: a graceful stop in the host (the best epoch is kept and saved), not a cancellation.
  const dashboard = new TrainingDashboard(context.extensionUri, { onStop: (modelId) => void stopRun({ host: activeHost, runs: trainingRuns, output }, modelId), log: output });
  const models = new ModelsView(async () => {
    if (activeHost.currentState !== 'running') return [];
    const client = await activeHost.ready();
    return (await client.sendRequest(ModelsRequest.type, {})).models;
  });
  const modelDeps = { host: activeHost, models, similar, dashboard, output, runs: trainingRuns };
  return [
    maps,
    dashboard,
    models,
    vscode.window.createTreeView('similarityLab.models', { treeDataProvider: models }),
    activeHost.onDidChangeState(() => models.refresh()),
    vscode.commands.registerCommand(Commands.trainSimilarityModel, (arg?: unknown) => trainSimilarityModel(modelDeps, arg)),
    vscode.commands.registerCommand(Commands.trainAutoencoder, (arg?: unknown) => trainAutoencoder(modelDeps, arg)),
    vscode.commands.registerCommand(Commands.findSimilarWithModel, (arg?: unknown) => findSimilarWithModel(modelDeps, arg)),
    vscode.commands.registerCommand(Commands.refreshModels, () => models.refresh()),
    vscode.window.registerWebviewPanelSerializer(EMBEDDING_MAP_VIEW_TYPE, maps),
    vscode.window.registerWebviewPanelSerializer(TRAINING_DASHBOARD_VIEW_TYPE, dashboard),
    activeHost.onNotification(TrainingMetricsNotification.type, (p) => {
      adoptRun(modelDeps, p.modelId);
      dashboard.addMetrics(p);
    }),
    vscode.commands.registerCommand(Commands.showEmbeddingMap, async (arg?: unknown, modelIdArg?: unknown) => {
      // From the Models view: the model's own dataset, mapped by its embeddings.
      const model = typeof arg === 'object' && arg !== null && 'modelId' in arg && 'dataset' in arg ? (arg as Pick<ModelInfo, 'modelId' | 'dataset'>) : undefined;
      const modelId = model?.modelId ?? modelIdArg;
      const uri = model ? vscode.Uri.file(model.dataset) : arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? vscode.Uri.parse(arg) : vscode.window.activeTextEditor?.document.uri;
      if (!uri) {
        await vscode.window.showInformationMessage('Open a dataset file, or pick one (or a folder of images) in the Explorer, then run Show Embedding Map.');
        return;
      }
      await maps.show({ uri: uri.toString(), ...(typeof modelId === 'string' ? { modelId } : {}) });
    }),
    vscode.commands.registerCommand(Commands.showTrainingDashboard, (modelId?: unknown) => dashboard.show(typeof modelId === 'string' ? modelId : undefined)),
  ];
}

/** Training runs in flight, by model id: their requests' cancellation (Stop falls back to it when the host cannot be asked). */
const trainingRuns = new Map<string, vscode.CancellationTokenSource>();

export async function deactivate(): Promise<void> {
  await host?.dispose();
  host = undefined;
}
