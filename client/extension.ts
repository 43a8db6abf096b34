/**
 * Similarity Lab in VS Code. Activates when one of its commands is first used (VS Code derives
 * that from the contributed commands), starts the analysis host (dist/server.js) over node IPC,
 * and wires the commands, the status bar item and the result documents.
 */
import * as vscode from 'vscode';
import { compareSelections } from './compareCommand';
import { COMPARE_SCHEME, ComparisonResults } from './compareResults';
import { AnalysisHost } from './host';
import { SelectionTracker } from './selections';
import { HostStatusItem } from './statusBar';

const Commands = {
  compareSelections: 'similarityLab.compareSelections',
  restartHost: 'similarityLab.restartHost',
  showOutput: 'similarityLab.showOutput',
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

  void vscode.commands.executeCommand('setContext', ACTIVE_KEY, true);
  void activeHost.start();
}

export async function deactivate(): Promise<void> {
  await host?.dispose();
  host = undefined;
}
