/**
 * The Similarity Lab analysis host: an LSP server. `node dist/server.js --stdio` for any LSP
 * client; VS Code starts it with `--node-ipc`. This file only wires the connection: request
 * handlers live in handlers/, heavy work runs in the worker pool (jobs/), never on this thread.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind, type ClientCapabilities, type InitializeResult } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { version } from '../package.json';
import { registerCluster } from './handlers/cluster';
import { registerCompare } from './handlers/compare';
import { registerCodeLens } from './handlers/codeLens';
import type { HostContext } from './handlers/context';
import { registerDatasetList } from './handlers/datasetList';
import { registerDiagnostics } from './handlers/diagnostics';
import { registerEmbeddingMap } from './handlers/embeddingMap';
import { registerFileEvents } from './handlers/fileEvents';
import { registerHover } from './handlers/hover';
import { registerLeaks } from './handlers/leaks';
import { registerModels } from './handlers/models';
import { registerFindSimilar } from './handlers/findSimilar';
import { StatusReporter } from './handlers/status';
import { DatasetService } from './host/datasets';
import { SettingsCache } from './host/settings';
import { IndexCache } from './jobs/indexCache';
import { WorkerPool } from './jobs/pool';
import { ServerStatusNotification, type InitializationOptions } from './protocol';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const status = new StatusReporter((params) => void connection.sendNotification(ServerStatusNotification.type, params));

let pool: WorkerPool | undefined;
const host: HostContext = {
  connection,
  status,
  jobs: () => {
    pool ??= new WorkerPool({
      // One core stays free for this thread: with every core running a worker, the OS starves the
      // LSP thread (measured: 30–90 ms hover stalls on 2 cores while sketching; none with one free).
      size: Math.max(1, os.availableParallelism() - 1),
      // Worker output must not reach our stdout: under --stdio that is the LSP stream.
      log: (line, stream) => (stream === 'stderr' ? connection.console.warn(`[worker] ${line}`) : connection.console.log(`[worker] ${line}`)),
    });
    return pool;
  },
};

const settings = new SettingsCache(connection);
const datasets = new DatasetService(host, settings);
let clientCapabilities: ClientCapabilities = {};

connection.onInitialize((params): InitializeResult => {
  clientCapabilities = params.capabilities;
  const options = (params.initializationOptions ?? {}) as InitializationOptions;
  if (typeof options.cacheDir === 'string' && options.cacheDir) datasets.cache = new IndexCache(options.cacheDir);
  // Trust is granted, never assumed: a client that does not say gets an untrusted workspace.
  datasets.trusted = options.trusted === true;
  settings.supported = params.capabilities.workspace?.configuration === true;
  const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
  datasets.folders = folders.filter((u) => u.startsWith('file:')).map((u) => fileURLToPath(u));
  return {
    serverInfo: { name: 'Similarity Lab', version },
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
      hoverProvider: true,
      codeLensProvider: { resolveProvider: false },
    },
  };
});

connection.onInitialized(() => {
  try {
    host.jobs();
  } catch (err) {
    status.setProblem('error', `The analysis host cannot run jobs: ${err instanceof Error ? err.message : String(err)}`);
  }
  status.start();
  settings.register(clientCapabilities).catch((err: unknown) => connection.console.warn(`registering for configuration changes: ${String(err)}`));
  leakChecks.start();
});

registerCompare(host);
registerCluster(host, datasets);
registerFindSimilar(host, datasets);
registerEmbeddingMap(host, datasets);
registerModels(host, datasets);
registerDatasetList(host, datasets);
registerDiagnostics(host, datasets, documents);
registerHover(host, datasets);
registerCodeLens(host, datasets);
const leakChecks = registerLeaks(host, datasets, settings);
registerFileEvents(host, datasets, documents, leakChecks);

connection.onShutdown(async () => {
  await pool?.dispose();
  pool = undefined;
});

documents.listen(connection);
connection.listen();
