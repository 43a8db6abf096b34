/**
 * The analysis host as seen from the editor: a LanguageClient over node IPC running
 * dist/server.js, its lifecycle (start, restart, dispose), the `similarityLab.hostRunning` context
 * key, and the host's `serverStatus` notifications.
 */
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  State,
  TransportKind,
  type CloseHandlerResult,
  type ErrorHandler,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type NotificationType,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { DatasetsChangedNotification, ServerStatusNotification, type InitializationOptions } from '../server/protocol';

export type HostState = 'starting' | 'running' | 'stopped';

/** Context key for `enablement` / `when` clauses: true while the host runs. */
export const HOST_RUNNING_KEY = 'similarityLab.hostRunning';

/** The host is not running and could not be started. */
export class HostUnavailableError extends Error {
  override readonly name = 'HostUnavailableError';
}

/** Datasets whose editors the host follows (DESIGN.md, "Datasets and records"). */
const DATASET_FILES: LanguageClientOptions['documentSelector'] = [
  { scheme: 'file', pattern: '**/*.{fa,fasta,fna,ffn,faa,frn,fas,fq,fastq,csv,tsv,jsonl,ndjson}' },
];

/** Files whose changes the host hears of (it re-indexes only what changed). */
const WATCHED_FILES = '**/*.{fa,fasta,fna,ffn,faa,frn,fas,fq,fastq,gz,csv,tsv,jsonl,ndjson,npy,png,jpg,jpeg}';

/** Crash restarts: at most this many within the window, then the user decides. */
export const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 3 * 60_000;

/**
 * Restarts a crashed host a bounded number of times, telling the user each time (a crash is
 * never silent), then stops and offers a manual restart.
 */
class BoundedRestarts implements ErrorHandler {
  private readonly restarts: number[] = [];
  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly onGiveUp: () => void,
  ) {}

  error(error: Error, _message: unknown, count: number | undefined): ErrorHandlerResult {
    this.output.error(`Connection to the analysis host: ${error.message}`);
    // A few garbled messages are survivable; a stream of them means the host is broken.
    return { action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true };
  }

  closed(): CloseHandlerResult {
    const now = Date.now();
    while (this.restarts.length && now - (this.restarts[0] as number) > RESTART_WINDOW_MS) this.restarts.shift();
    if (this.restarts.length >= MAX_RESTARTS) {
      this.output.error(`The analysis host crashed ${MAX_RESTARTS + 1} times in ${RESTART_WINDOW_MS / 60_000} minutes; not restarting it.`);
      this.onGiveUp();
      return { action: CloseAction.DoNotRestart, handled: true };
    }
    this.restarts.push(now);
    const message = `The Similarity Lab analysis host stopped unexpectedly; restarting it (${this.restarts.length}/${MAX_RESTARTS}). Indexes come back from the cache.`;
    this.output.warn(message);
    void vscode.window.showWarningMessage(message);
    return { action: CloseAction.Restart, handled: true };
  }
}

export class AnalysisHost implements vscode.Disposable {
  /**
   * The current client, its start (which never rejects: a failure shows as 'stopped') and the
   * file watcher that feeds it: one watcher per client, disposed with it (a restart makes a new
   * client, and must not leave the old client's watcher running).
   */
  private current: { client: LanguageClient; started: Promise<void>; watcher: vscode.Disposable } | undefined;
  /** Serialises start/restart/dispose so two clicks never run two hosts. */
  private transition: Promise<void> = Promise.resolve();
  private state: HostState = 'stopped';
  private readonly stateEmitter = new vscode.EventEmitter<HostState>();
  private readonly statusEmitter = new vscode.EventEmitter<ServerStatusNotification.Params>();

  /** Fires when the host starts, runs or stops (including crashes). */
  readonly onDidChangeState = this.stateEmitter.event;
  /** Fires for every `similarityLab/serverStatus` the host sends. */
  readonly onDidChangeStatus = this.statusEmitter.event;
  private readonly datasetsEmitter = new vscode.EventEmitter<void>();
  /** Fires when the host's list of datasets or the state of one changes. */
  readonly onDidChangeDatasets = this.datasetsEmitter.event;
  private readonly recoveredEmitter = new vscode.EventEmitter<void>();
  /** Fires when the host runs again after a crash (the client restarted it). */
  readonly onDidRecover = this.recoveredEmitter.event;

  /** Handlers of host → client notifications, registered on every client (a restart makes a new one). */
  private readonly notificationHandlers: { method: string; handler: (params: unknown) => void }[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
  ) {}

  /** Listens to a host → client notification, across restarts of the host. */
  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): vscode.Disposable {
    const entry = { method: type.method, handler: handler as (params: unknown) => void };
    this.notificationHandlers.push(entry);
    const client = this.current?.client;
    const live = client?.onNotification(type.method, (p: unknown) => {
      if (this.current?.client === client) entry.handler(p);
    });
    return new vscode.Disposable(() => {
      const i = this.notificationHandlers.indexOf(entry);
      if (i >= 0) this.notificationHandlers.splice(i, 1);
      live?.dispose();
    });
  }

  get currentState(): HostState {
    return this.state;
  }

  /** Starts the host unless it runs or is starting. Never rejects: a failure shows as 'stopped'. */
  start(): Promise<void> {
    return this.serialise(async () => {
      if (this.current && this.state !== 'stopped') return this.current.started;
      await this.stopClient();
      return this.startClient();
    });
  }

  /** Stops the host (if it runs or starts) and starts a fresh one. */
  restart(): Promise<void> {
    return this.serialise(async () => {
      await this.stopClient();
      await this.startClient();
    });
  }

  /** The running client, starting the host first if needed. */
  async ready(): Promise<LanguageClient> {
    await this.start();
    if (!this.current || this.state !== 'running') {
      throw new HostUnavailableError('The Similarity Lab analysis host is not running.');
    }
    return this.current.client;
  }

  async dispose(): Promise<void> {
    await this.serialise(() => this.stopClient());
    this.stateEmitter.dispose();
    this.statusEmitter.dispose();
    this.datasetsEmitter.dispose();
    this.recoveredEmitter.dispose();
  }

  private serialise(step: () => Promise<void>): Promise<void> {
    this.transition = this.transition.then(step, step);
    return this.transition;
  }

  private startClient(): Promise<void> {
    const module = this.context.asAbsolutePath('dist/server.js');
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6011'] } },
    };
    const initializationOptions: InitializationOptions = {
      cacheDir: vscode.Uri.joinPath(this.context.globalStorageUri, 'index-cache').fsPath,
      trusted: vscode.workspace.isTrusted,
    };
    const watcher = vscode.workspace.createFileSystemWatcher(WATCHED_FILES);
    const clientOptions: LanguageClientOptions = {
      documentSelector: DATASET_FILES,
      outputChannel: this.output,
      initializationOptions,
      synchronize: { fileEvents: watcher },
      errorHandler: new BoundedRestarts(this.output, () => {
        void vscode.window
          .showErrorMessage('The Similarity Lab analysis host keeps crashing and was not restarted. See the output for details.', 'Restart', 'Show Output')
          .then((choice) => {
            if (choice === 'Restart') void this.restart();
            if (choice === 'Show Output') this.output.show(true);
          });
      }),
    };
    // The id matches the `similarityLab.trace.server` setting.
    const client = new LanguageClient('similarityLab', 'Similarity Lab', serverOptions, clientOptions);
    let ranBefore = false;
    client.onDidChangeState(({ newState }) => {
      if (this.current?.client !== client) return;
      this.setState(toHostState(newState));
      if (newState === State.Running) {
        // The same client running again means it restarted the host after a crash.
        if (ranBefore) this.recoveredEmitter.fire();
        ranBefore = true;
      }
    });
    client.onNotification(DatasetsChangedNotification.type, () => {
      if (this.current?.client === client) this.datasetsEmitter.fire();
    });
    client.onNotification(ServerStatusNotification.type, (status) => {
      if (this.current?.client === client) this.statusEmitter.fire(status);
    });
    for (const entry of this.notificationHandlers) {
      client.onNotification(entry.method, (p: unknown) => {
        if (this.current?.client === client && this.notificationHandlers.includes(entry)) entry.handler(p);
      });
    }
    const started = client.start().catch((err: unknown) => {
      this.output.error(`The analysis host did not start: ${err instanceof Error ? err.message : String(err)}`);
      if (this.current?.client === client) this.setState('stopped');
    });
    this.current = { client, started, watcher };
    this.setState('starting');
    return started;
  }

  private async stopClient(): Promise<void> {
    const current = this.current;
    if (!current) return;
    // A client cannot be stopped while it starts: let the start finish (or fail) first.
    await current.started;
    this.current = undefined;
    this.setState('stopped');
    try {
      // The client may be restarting the host after a crash: wait until it runs (or gives up).
      if (current.client.state === State.Starting) await settled(current.client, 10_000);
      if (current.client.state !== State.Running) return;
      // shutdown + exit; the host is killed if it does not answer in time.
      await current.client.dispose(3000);
    } catch (err) {
      this.output.warn(`Stopping the analysis host: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      // The client does not own the watcher it was given (synchronize.fileEvents): dispose it here.
      current.watcher.dispose();
    }
  }

  private setState(state: HostState): void {
    if (state === this.state) return;
    this.state = state;
    void vscode.commands.executeCommand('setContext', HOST_RUNNING_KEY, state === 'running');
    this.stateEmitter.fire(state);
  }
}

/** Resolves once `client` is no longer starting, or after `timeoutMs`. */
function settled(client: LanguageClient, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const listener = client.onDidChangeState(({ newState }) => {
      if (newState !== State.Starting) done();
    });
    function done(): void {
      clearTimeout(timer);
      listener.dispose();
      resolve();
    }
  });
}

function toHostState(state: State): HostState {
  switch (state) {
    case State.Running:
      return 'running';
    case State.Starting:
      return 'starting';
    default:
      return 'stopped';
  }
}
