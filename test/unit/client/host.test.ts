/**
 * client/host.ts without VS Code: `vscode` and `vscode-languageclient/node` are replaced by small
 * fakes (the module loader is asked for them first), so the host's lifecycle runs in node. What it
 * checks: one file watcher per client, disposed when that client stops (a restart used to add a
 * new watcher to the extension's subscriptions and leave the old one running).
 */
import assert from 'node:assert/strict';
import Module from 'node:module';
import { after, before, describe, test } from 'node:test';

type Listener<T> = (value: T) => void;

class FakeEventEmitter<T> {
  private listeners: Listener<T>[] = [];
  readonly event = (listener: Listener<T>) => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }
  dispose(): void {
    this.listeners = [];
  }
}

interface FakeWatcher {
  pattern: string;
  disposed: boolean;
  dispose(): void;
}

const watchers: FakeWatcher[] = [];
const clients: FakeLanguageClient[] = [];

const vscodeFake = {
  EventEmitter: FakeEventEmitter,
  Disposable: class {
    constructor(private readonly onDispose: () => void) {}
    dispose(): void {
      this.onDispose();
    }
  },
  Uri: { joinPath: (base: { fsPath: string }, ...parts: string[]) => ({ fsPath: [base.fsPath, ...parts].join('/') }) },
  workspace: {
    isTrusted: true,
    createFileSystemWatcher: (pattern: string): FakeWatcher => {
      const watcher: FakeWatcher = {
        pattern,
        disposed: false,
        dispose() {
          watcher.disposed = true;
        },
      };
      watchers.push(watcher);
      return watcher;
    },
  },
  commands: { executeCommand: () => Promise.resolve() },
  window: { showWarningMessage: () => Promise.resolve(undefined), showErrorMessage: () => Promise.resolve(undefined) },
};

const State = { Stopped: 1, Running: 2, Starting: 3 } as const;

class FakeLanguageClient {
  state: number = State.Stopped;
  readonly stateEmitter = new FakeEventEmitter<{ oldState: number; newState: number }>();
  readonly onDidChangeState = this.stateEmitter.event;
  disposed = false;
  constructor(
    readonly id: string,
    readonly name: string,
    readonly serverOptions: unknown,
    readonly clientOptions: { synchronize?: { fileEvents?: FakeWatcher } },
  ) {
    clients.push(this);
  }
  private setState(newState: number): void {
    const oldState = this.state;
    this.state = newState;
    this.stateEmitter.fire({ oldState, newState });
  }
  /** Like the real client: the state changes after start() has returned its promise. */
  async start(): Promise<void> {
    await Promise.resolve();
    this.setState(State.Starting);
    this.setState(State.Running);
  }
  onNotification(): { dispose(): void } {
    return { dispose: () => undefined };
  }
  dispose(): Promise<void> {
    this.disposed = true;
    this.setState(State.Stopped);
    return Promise.resolve();
  }
}

const languageClientFake = {
  LanguageClient: FakeLanguageClient,
  State,
  TransportKind: { stdio: 0, ipc: 1 },
  CloseAction: { DoNotRestart: 1, Restart: 2 },
  ErrorAction: { Continue: 1, Shutdown: 2 },
};

type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;
const moduleWithLoad = Module as unknown as { _load: Loader };
const realLoad = moduleWithLoad._load;

void describe('AnalysisHost (client/host.ts) with fake vscode and LanguageClient', () => {
  let AnalysisHost: typeof import('../../../client/host').AnalysisHost;

  before(() => {
    moduleWithLoad._load = function load(request, parent, isMain) {
      if (request === 'vscode') return vscodeFake;
      if (request === 'vscode-languageclient/node') return languageClientFake;
      return realLoad.call(this, request, parent, isMain);
    };
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the fakes are in place
    ({ AnalysisHost } = require('../../../client/host') as typeof import('../../../client/host'));
  });

  after(() => {
    moduleWithLoad._load = realLoad;
  });

  const fakeContext = () => ({
    subscriptions: [] as { dispose(): unknown }[],
    globalStorageUri: { fsPath: '/tmp/simlab-storage' },
    asAbsolutePath: (p: string) => `/ext/${p}`,
  });
  const fakeOutput = { info: () => undefined, warn: () => undefined, error: () => undefined, show: () => undefined };

  void test('one file watcher per client: a restart disposes the old one, dispose() the last', async () => {
    watchers.length = 0;
    clients.length = 0;
    const context = fakeContext();
    const host = new AnalysisHost(context as never, fakeOutput as never);
    await host.start();
    assert.equal(host.currentState, 'running');
    assert.equal(watchers.length, 1);
    assert.equal(clients[0]?.clientOptions.synchronize?.fileEvents, watchers[0], 'the client is fed by its watcher');

    await host.restart();
    await host.restart();
    assert.equal(clients.length, 3, 'each restart makes a new client');
    assert.equal(watchers.length, 3);
    assert.deepEqual(
      watchers.map((w) => w.disposed),
      [true, true, false],
      'only the running client has a live watcher',
    );
    assert.deepEqual(
      clients.map((c) => c.disposed),
      [true, true, false],
    );
    assert.equal(context.subscriptions.length, 0, 'no watcher piles up in the extension subscriptions');

    await host.start(); // already running: no new client, no new watcher
    assert.equal(watchers.length, 3);

    await host.dispose();
    assert.ok(watchers.every((w) => w.disposed), 'dispose() leaves no watcher behind');
  });

  void test('a client that never ran still has its watcher disposed when the host restarts', async () => {
    watchers.length = 0;
    clients.length = 0;
    const realStart = FakeLanguageClient.prototype.start;
    FakeLanguageClient.prototype.start = function failingStart(this: FakeLanguageClient) {
      return Promise.reject(new Error('no server'));
    };
    const host = new AnalysisHost(fakeContext() as never, fakeOutput as never);
    try {
      await host.start();
      assert.equal(host.currentState, 'stopped');
    } finally {
      FakeLanguageClient.prototype.start = realStart;
    }
    await host.restart();
    assert.equal(host.currentState, 'running');
    assert.deepEqual(
      watchers.map((w) => w.disposed),
      [true, false],
    );
    await host.dispose();
    assert.ok(watchers.every((w) => w.disposed));
  });
});
