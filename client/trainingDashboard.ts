/**
 * The Training Dashboard panel: one webview showing a training run's curves live. The page
 * (webviews/trainingDashboard, bundled to dist/webviews/trainingDashboard.js + .css) gets its
 * data only by postMessage; this side keeps the runs' histories and batches the host's
 * `trainingMetrics` reports (DashboardFeed). The panel is restored after a window reload by the
 * serializer registered for `TRAINING_DASHBOARD_VIEW_TYPE`, with the state the page saved.
 *
 * Security: scripts only by a fresh nonce, styles only from the extension, nothing else
 * (webviews/trainingDashboard/html.ts), and the page may load files only from dist/webviews
 * (uPlot's CSS is bundled into trainingDashboard.css there).
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { TrainingMetricsNotification } from '../server/protocol';
import { DashboardFeed } from '../webviews/trainingDashboard/feed';
import { trainingDashboardHtml } from '../webviews/trainingDashboard/html';
import { similarityLabPanelColumn } from './panelPlacement';
import type { DashboardState, RunInfo, RunStatus } from '../webviews/trainingDashboard/messages';

export const TRAINING_DASHBOARD_VIEW_TYPE = 'similarityLab.trainingDashboard';

export interface TrainingDashboardOptions {
  /** Stop was pressed for a run: stop it gracefully (the host keeps and saves its best epoch). */
  onStop(modelId: string): void;
  log?: vscode.LogOutputChannel;
}

export class TrainingDashboard implements vscode.WebviewPanelSerializer, vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private panelSubscriptions: vscode.Disposable[] = [];
  private readonly feed: DashboardFeed;
  private readonly webviewRoot: vscode.Uri;

  constructor(
    private readonly extensionUri: vscode.Uri,
    options: TrainingDashboardOptions,
  ) {
    this.webviewRoot = vscode.Uri.joinPath(extensionUri, 'dist', 'webviews');
    // The tab's title follows the run shown, however it came to be shown (a run's first report included).
    this.feed = new DashboardFeed({ onStop: (id) => options.onStop(id), log: (m) => options.log?.warn(m), onShownChange: () => this.updateTitle() });
  }

  /** The command: reveal the panel (created if needed) with the latest run, or a chosen one. */
  show(modelId?: string, preserveFocus = false): void {
    this.feed.show(modelId);
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
    } else {
      const panel = vscode.window.createWebviewPanel(
        TRAINING_DASHBOARD_VIEW_TYPE,
        'Training Dashboard',
        // In the column of an open Embedding Map (one column for them all), else beside the editor.
        { viewColumn: similarityLabPanelColumn(), preserveFocus },
        this.webviewOptions(),
      );
      this.attach(panel);
    }
    this.updateTitle();
  }

  /** A train request was sent: show its run from the start. */
  startRun(run: RunInfo, reveal = true): void {
    this.feed.startRun(run);
    if (reveal) this.show(run.modelId, true);
    else this.updateTitle();
  }

  /** Hook for `client.onNotification('similarityLab/trainingMetrics', …)`. */
  addMetrics(params: TrainingMetricsNotification.Params): void {
    this.feed.addMetrics(params);
  }

  /** The history kept for a run (its curves, its description), if any. */
  history(modelId: string): DashboardState | undefined {
    return this.feed.history(modelId);
  }

  /** The train request finished, failed, or was cancelled. */
  setStatus(modelId: string, status: RunStatus, message?: string): void {
    this.feed.setStatus(modelId, status, message);
  }

  /** After a window reload VS Code hands back the panel and the state its page saved. */
  deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Thenable<void> {
    this.feed.adoptRestored(state);
    if (this.panel) {
      // Only one dashboard: a second restored panel is closed.
      panel.dispose();
      return Promise.resolve();
    }
    panel.webview.options = this.webviewOptions();
    this.attach(panel);
    this.updateTitle();
    return Promise.resolve();
  }

  dispose(): void {
    this.panel?.dispose();
    this.feed.dispose();
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    // No retainContextWhenHidden: a hidden page is destroyed and, when shown again, restored from
    // the feed's history, which costs less than keeping a page and its charts alive.
    return { enableScripts: true, localResourceRoots: [this.webviewRoot] };
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'similarity-lab.svg');
    const webview = panel.webview;
    this.feed.connect((message) => void webview.postMessage(message));
    this.panelSubscriptions = [
      webview.onDidReceiveMessage((message: unknown) => this.feed.receive(message)),
      panel.onDidChangeViewState(({ webviewPanel }) => {
        // A hidden page is gone; it says `ready` again once shown.
        if (!webviewPanel.visible) this.feed.disconnect();
      }),
      panel.onDidDispose(() => {
        this.feed.close();
        for (const d of this.panelSubscriptions) d.dispose();
        this.panelSubscriptions = [];
        this.panel = undefined;
      }),
    ];
    webview.html = trainingDashboardHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.webviewRoot, 'trainingDashboard.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.webviewRoot, 'trainingDashboard.css')).toString(),
    });
  }

  private updateTitle(): void {
    if (!this.panel) return;
    const id = this.feed.shownModelId;
    this.panel.title = id ? `Training: ${id}` : 'Training Dashboard';
  }
}
