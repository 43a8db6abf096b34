/**
 * The status bar item: the host's state and its last `serverStatus` (a spinner while jobs run,
 * warning/error colours, the host's message as tooltip). A click shows the output.
 */
import * as vscode from 'vscode';
import type { ServerStatusNotification } from '../server/protocol';
import type { AnalysisHost, HostState } from './host';

export class HostStatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscriptions: vscode.Disposable[] = [];
  private status: ServerStatusNotification.Params | undefined;

  constructor(
    private readonly host: AnalysisHost,
    showOutputCommand: string,
  ) {
    this.item = vscode.window.createStatusBarItem('similarityLab.hostStatus', vscode.StatusBarAlignment.Left);
    this.item.name = 'Similarity Lab';
    this.item.command = showOutputCommand;
    this.subscriptions.push(
      host.onDidChangeState((state) => {
        // A new or stopped host has said nothing yet: forget the old one's status.
        if (state !== 'running') this.status = undefined;
        this.render();
      }),
      host.onDidChangeStatus((status) => {
        this.status = status;
        this.render();
      }),
    );
    this.render();
    this.item.show();
  }

  private render(): void {
    const view = describe(this.host.currentState, this.status);
    // While a job runs its progress shows in the item itself ("Clustering x.fasta: verifying 40%").
    this.item.text = view.busy ? `${view.icon} ${view.busy}` : `${view.icon} Similarity Lab`;
    this.item.tooltip = `${view.tooltip}\n\nClick to show the output.`;
    this.item.backgroundColor = view.background ? new vscode.ThemeColor(view.background) : undefined;
    this.item.accessibilityInformation = { label: `Similarity Lab: ${view.tooltip}` };
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}

interface View {
  icon: string;
  tooltip: string;
  background?: string;
  busy?: string;
}

function describe(state: HostState, status: ServerStatusNotification.Params | undefined): View {
  if (state === 'stopped') {
    return {
      icon: '$(error)',
      tooltip: 'The analysis host is not running. Run "Similarity Lab: Restart Analysis Host" to start it.',
      background: 'statusBarItem.errorBackground',
    };
  }
  if (state === 'starting' || !status) return { icon: '$(loading~spin)', tooltip: 'Starting the analysis host…' };
  const icon = !status.quiescent ? '$(loading~spin)' : status.health === 'error' ? '$(error)' : status.health === 'warning' ? '$(warning)' : '$(beaker)';
  const background =
    status.health === 'error' ? 'statusBarItem.errorBackground' : status.health === 'warning' ? 'statusBarItem.warningBackground' : undefined;
  const view: View = { icon, tooltip: status.message };
  if (background) view.background = background;
  if (!status.quiescent) view.busy = status.message.length > 60 ? `${status.message.slice(0, 59)}…` : status.message;
  return view;
}
