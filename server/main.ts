/**
 * The Similarity Lab analysis host: an LSP server. `node dist/server.js --stdio` for any LSP
 * client; VS Code starts it with `--node-ipc`. This file only wires the connection: request
 * handlers live in handlers/, heavy work runs in the worker pool (jobs/), never on this thread.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind, type InitializeResult } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { version } from '../package.json';
import { registerCluster } from './handlers/cluster';
import { registerCompare } from './handlers/compare';
import type { HostContext } from './handlers/context';
import { DatasetService } from './handlers/datasets';
import { registerEditorFeatures } from './handlers/editor';
import { registerEmbeddingMap } from './handlers/embeddingMap';
import { registerModels } from './handlers/models';
import { registerFindSimilar } from './handlers/findSimilar';
import { StatusReporter } from './handlers/status';
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

const datasets = new DatasetService(host);

connection.onInitialize((params): InitializeResult => {
  const options = (params.initializationOptions ?? {}) as InitializationOptions;
  if (typeof options.cacheDir === 'string' && options.cacheDir) datasets.cache = new IndexCache(options.cacheDir);
  datasets.trusted = options.trusted !== false;
  datasets.configurationSupported = params.capabilities.workspace?.configuration === true;
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
});

registerCompare(host);
registerCluster(host, datasets);
registerFindSimilar(host, datasets);
registerEmbeddingMap(host, datasets);
registerModels(host, datasets);
registerEditorFeatures(host, datasets, documents);

connection.onShutdown(async () => {
  await pool?.dispose();
  pool = undefined;
});

documents.listen(connection);
connection.listen();
