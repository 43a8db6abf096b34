/**
 * The Similarity Lab analysis host: an LSP server. `node dist/server.js --stdio` for any LSP
 * client; VS Code starts it with `--node-ipc`. This file only wires the connection: request
 * handlers live in handlers/, heavy work runs in the worker pool (jobs/), never on this thread.
 */
import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind, type InitializeResult } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { version } from '../package.json';
import { registerCompare } from './handlers/compare';
import type { HostContext } from './handlers/context';
import { StatusReporter } from './handlers/status';
import { WorkerPool } from './jobs/pool';
import { ServerStatusNotification } from './protocol';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const status = new StatusReporter((params) => void connection.sendNotification(ServerStatusNotification.type, params));

let pool: WorkerPool | undefined;
const host: HostContext = {
  connection,
  status,
  jobs: () => {
    pool ??= new WorkerPool({
      // Worker output must not reach our stdout: under --stdio that is the LSP stream.
      log: (line, stream) => (stream === 'stderr' ? connection.console.warn(`[worker] ${line}`) : connection.console.log(`[worker] ${line}`)),
    });
    return pool;
  },
};

connection.onInitialize(
  (): InitializeResult => ({
    serverInfo: { name: 'Similarity Lab', version },
    capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental },
  }),
);

connection.onInitialized(() => {
  try {
    host.jobs();
  } catch (err) {
    status.setProblem('error', `The analysis host cannot run jobs: ${err instanceof Error ? err.message : String(err)}`);
  }
  status.start();
});

registerCompare(host);

connection.onShutdown(async () => {
  await pool?.dispose();
  pool = undefined;
});

documents.listen(connection);
connection.listen();
