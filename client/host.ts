/**
 * The analysis host as seen from the editor: a LanguageClient over node IPC running
 * dist/server.js, its lifecycle (start, restart, dispose), the `similarityLab.hostRunning` context
 * key, and the host's `serverStatus` notifications.
 */
import * as vscode from 'vscode';
import { LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { ServerStatusNotification } from '../server/protocol';

export type HostState = 'starting' | 'running' | 'stopped';

/** Context key for `enablement` / `when` clauses: true while the host runs. */
export const HOST_RUNNING_KEY = 'similarityLab.hostRunning';

/** The host is not running and could not be started. */
export class HostUnavailableError extends Error {
  override readonly name = 'HostUnavailableError';
}

/** Datasets whose editors the host follows (DESIGN.md, "Datasets and records"). */
const DATASET_FILES: LanguageClientOptions['documentSelector'] = [
  { scheme: 'file', pattern: '**/*.{fa,fasta,fna,ffn,faa,frn,fq,fastq,csv,tsv,jsonl}' },
];

export class AnalysisHost implements vscode.Disposable {
  /** The current client and its start (which never rejects: a failure shows as 'stopped'). */
  private current: { client: LanguageClient; started: Promise<void> } | undefined;
  /** Serialises start/restart/dispose so two clicks never run two hosts. */
  private transition: Promise<void> = Promise.resolve();
  private state: HostState = 'stopped';
  private readonly stateEmitter = new vscode.EventEmitter<HostState>();
  private readonly statusEmitter = new vscode.EventEmitter<ServerStatusNotification.Params>();

  /** Fires when the host starts, runs or stops (including crashes). */
  readonly onDidChangeState = this.stateEmitter.event;
  /** Fires for every `similarityLab/serverStatus` the host sends. */
  readonly onDidChangeStatus = this.statusEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
  ) {}

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
    const clientOptions: LanguageClientOptions = {
      documentSelector: DATASET_FILES,
      outputChannel: this.output,
    };
    // The id matches the `similarityLab.trace.server` setting.
    const client = new LanguageClient('similarityLab', 'Similarity Lab', serverOptions, clientOptions);
    client.onDidChangeState(({ newState }) => {
      if (this.current?.client === client) this.setState(toHostState(newState));
    });
    client.onNotification(ServerStatusNotification.type, (status) => {
      if (this.current?.client === client) this.statusEmitter.fire(status);
    });
    const started = client.start().catch((err: unknown) => {
      this.output.error(`The analysis host did not start: ${err instanceof Error ? err.message : String(err)}`);
      if (this.current?.client === client) this.setState('stopped');
    });
    this.current = { client, started };
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
    // The client may be restarting the host after a crash: wait until it runs (or gives up).
    if (current.client.state === State.Starting) await settled(current.client, 10_000);
    if (current.client.state !== State.Running) return;
    try {
      // shutdown + exit; the host is killed if it does not answer in time.
      await current.client.dispose(3000);
    } catch (err) {
      this.output.warn(`Stopping the analysis host: ${err instanceof Error ? err.message : String(err)}`);
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
