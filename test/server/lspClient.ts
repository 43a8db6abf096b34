/**
 * A real LSP client for tests: starts the built host (`node dist/server.js --stdio`) as a child
 * process and talks JSON-RPC to it over its stdin/stdout. Records every notification the host
 * sends, answers the host's own requests (configuration, progress tokens, registrations), and
 * offers the steps tests need: initialize, requests, document sync, waiting for a notification
 * or for diagnostics, shutdown/exit, kill.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import {
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  ResponseError,
  ErrorCodes,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type ClientCapabilities,
  type InitializeResult,
  type MessageConnection,
  type NotificationType,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol/node';

export const SERVER_BUNDLE = path.resolve(__dirname, '../../dist/server.js');

export interface StartOptions {
  serverPath?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ReceivedNotification {
  /** Order of arrival, from 0. */
  seq: number;
  method: string;
  params: unknown;
}

type ServerRequestHandler = (params: unknown) => unknown;

const DEFAULT_TIMEOUT_MS = 10_000;

export class LspTestClient {
  readonly connection: ProtocolConnection;
  /** Everything the host wrote to stderr (its console output goes there or to window/logMessage). */
  stderr = '';
  /** Resolves when the host process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private readonly received: ReceivedNotification[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly serverRequestHandlers = new Map<string, ServerRequestHandler>([
    ['workspace/configuration', (params) => ((params as { items?: unknown[] }).items ?? []).map(() => null)],
    ['window/workDoneProgress/create', () => null],
    ['client/registerCapability', () => null],
    ['client/unregisterCapability', () => null],
  ]);
  private readonly documentVersions = new Map<string, number>();

  private constructor(readonly process: ChildProcessWithoutNullStreams) {
    process.stderr.setEncoding('utf8');
    process.stderr.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => process.once('exit', (code, signal) => resolve({ code, signal })));
    this.connection = createProtocolConnection(new StreamMessageReader(process.stdout), new StreamMessageWriter(process.stdin));
    // The protocol connection is a vscode-jsonrpc MessageConnection: its catch-all handlers see every message.
    const raw = this.connection as unknown as MessageConnection;
    raw.onNotification((method, params) => {
      this.received.push({ seq: this.received.length, method, params });
      for (const wake of [...this.waiters]) wake();
    });
    raw.onRequest((method, params) => {
      const handler = this.serverRequestHandlers.get(method);
      if (!handler) return new ResponseError(ErrorCodes.MethodNotFound, `test client does not handle ${method}`);
      return handler(params) as object | null;
    });
    this.connection.listen();
  }

  /** Starts the host. Does not initialize it: call `initialize()`. */
  static start(options: StartOptions = {}): LspTestClient {
    const child = spawn(process.execPath, [options.serverPath ?? SERVER_BUNDLE, '--stdio'], {
      stdio: 'pipe',
      env: options.env ?? { ...process.env, NODE_OPTIONS: '' },
    });
    return new LspTestClient(child);
  }

  /** `initialize` then `initialized`. */
  async initialize(
    capabilities: ClientCapabilities = DEFAULT_CAPABILITIES,
    initializationOptions?: unknown,
    workspaceFolders: { uri: string; name: string }[] | null = null,
  ): Promise<InitializeResult> {
    const result = await this.connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: null,
      capabilities,
      initializationOptions,
      workspaceFolders,
    });
    await this.connection.sendNotification(InitializedNotification.type, {});
    return result;
  }

  /** Answers the host's requests for `method` with `handler` (replacing the default). */
  handleServerRequest(method: string, handler: ServerRequestHandler): void {
    this.serverRequestHandlers.set(method, handler);
  }

  /** Position in the notification log: pass as `after` to wait only for later notifications. */
  mark(): number {
    return this.received.length;
  }

  /** Notifications received so far, optionally only of one method. */
  notifications<P = unknown>(method?: string | NotificationType<P>): { seq: number; method: string; params: P }[] {
    const name = typeof method === 'string' || method === undefined ? method : method.method;
    return this.received.filter((n) => name === undefined || n.method === name) as { seq: number; method: string; params: P }[];
  }

  /**
   * The first notification of `type` (at or after `after`, default: any received) whose params
   * satisfy `predicate`; waits for it up to `timeoutMs`.
   */
  waitForNotification<P>(
    type: NotificationType<P> | string,
    predicate: (params: P) => boolean = () => true,
    { after = 0, timeoutMs = DEFAULT_TIMEOUT_MS }: { after?: number; timeoutMs?: number } = {},
  ): Promise<P> {
    const method = typeof type === 'string' ? type : type.method;
    const find = () => this.received.find((n) => n.seq >= after && n.method === method && predicate(n.params as P));
    return new Promise<P>((resolve, reject) => {
      const check = () => {
        const hit = find();
        if (!hit) return;
        done();
        resolve(hit.params as P);
      };
      const timer = setTimeout(() => {
        done();
        const seen = this.received.filter((n) => n.seq >= after && n.method === method).map((n) => JSON.stringify(n.params));
        reject(new Error(`no matching ${method} within ${timeoutMs} ms; received: ${seen.join('\n') || 'none'}\nhost stderr:\n${this.stderr}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Opens a document (version 1). */
  async openDocument(uri: string, languageId: string, text: string): Promise<void> {
    this.documentVersions.set(uri, 1);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text } });
  }

  /** Sends changes (full text when given a string); bumps the version. */
  async changeDocument(uri: string, change: string | TextDocumentContentChangeEvent[]): Promise<void> {
    const version = (this.documentVersions.get(uri) ?? 1) + 1;
    this.documentVersions.set(uri, version);
    const contentChanges = typeof change === 'string' ? [{ text: change }] : change;
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges });
  }

  async closeDocument(uri: string): Promise<void> {
    this.documentVersions.delete(uri);
    await this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  /** The next diagnostics published for `uri` (after `after`) that satisfy `predicate`. */
  waitForDiagnostics(
    uri: string,
    predicate: (params: PublishDiagnosticsParams) => boolean = () => true,
    options?: { after?: number; timeoutMs?: number },
  ): Promise<PublishDiagnosticsParams> {
    return this.waitForNotification(PublishDiagnosticsNotification.type, (p) => p.uri === uri && predicate(p), options);
  }

  /** The orderly end: `shutdown`, `exit`, then waits for the process to exit. */
  async shutdown(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    await this.connection.sendRequest(ShutdownRequest.type);
    await this.connection.sendNotification(ExitNotification.type);
    return withTimeout(this.exited, timeoutMs, 'host exit after shutdown');
  }

  /** Kills the host (if it still runs) and closes the connection. */
  async dispose(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGKILL');
      await this.exited;
    }
    this.connection.dispose();
    // Pipes of a killed host can outlive it and keep the test process from exiting.
    this.process.stdin.destroy();
    this.process.stdout.destroy();
    this.process.stderr.destroy();
  }
}

export const DEFAULT_CAPABILITIES: ClientCapabilities = {
  window: { workDoneProgress: true },
  workspace: { configuration: true, didChangeWatchedFiles: { dynamicRegistration: true } },
  textDocument: {
    synchronization: { dynamicRegistration: false },
    publishDiagnostics: { relatedInformation: true },
    hover: { contentFormat: ['markdown', 'plaintext'] },
  },
};

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
