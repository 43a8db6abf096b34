/**
 * Check Splits for Leakage (issue 17): two or more files — selected in the Explorer, else picked
 * in an open dialog — one of them chosen as the reference (the training split); the host checks
 * the others against it, with its own progress (Cancel), and puts a `leak` warning on each
 * leaking record. The command says how many records leaked.
 */
import * as vscode from 'vscode';
import { LSPErrorCodes, ResponseError } from 'vscode-languageclient/node';
import { CheckLeaksRequest } from '../server/protocol';
import type { AnalysisHost } from './host';
import { describeLeaks } from './leaksText';

export interface LeaksCommandDeps {
  host: AnalysisHost;
  output: vscode.LogOutputChannel;
}

function isUriList(value: unknown): value is vscode.Uri[] {
  return Array.isArray(value) && value.every((v) => v instanceof vscode.Uri);
}

/** Command handler. From the Explorer, VS Code passes (clicked uri, all selected uris). */
export async function checkLeaks(deps: LeaksCommandDeps, _clicked?: unknown, selected?: unknown): Promise<void> {
  const files =
    isUriList(selected) && selected.length > 1
      ? selected
      : await vscode.window.showOpenDialog({
          canSelectMany: true,
          canSelectFiles: true,
          canSelectFolders: false,
          openLabel: 'Check for Leakage',
          title: 'Similarity Lab: pick the splits to check (two files or more)',
          ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.workspace.workspaceFolders[0].uri } : {}),
        });
  if (!files) return;
  if (files.length < 2) {
    await vscode.window.showInformationMessage('Check Splits for Leakage needs two files or more: the reference (training split) and the splits to check against it.');
    return;
  }
  const picked = await vscode.window.showQuickPick(
    files.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { title: 'Which file is the reference (the training split)?', placeHolder: 'The others are checked for copies of its records' },
  );
  if (!picked) return;
  const reference = picked.uri;
  const queries = files.filter((f) => f.toString() !== reference.toString());
  try {
    const client = await deps.host.ready();
    const result = await client.sendRequest(CheckLeaksRequest.type, { reference: reference.toString(), queries: queries.map((q) => q.toString()) });
    const summary = describeLeaks(result, vscode.workspace.asRelativePath(reference));
    deps.output.info(`Leakage of ${queries.map((q) => q.fsPath).join(', ')} from ${reference.fsPath}: ${summary}`);
    for (const w of result.warnings) deps.output.warn(w);
    if (result.pairs.length === 0) {
      void vscode.window.showInformationMessage(`Similarity Lab: ${summary}`);
      return;
    }
    const show = 'Show Problems';
    if ((await vscode.window.showWarningMessage(`Similarity Lab: ${summary}`, show)) === show) await vscode.commands.executeCommand('workbench.actions.view.problems');
  } catch (err) {
    if (err instanceof ResponseError && err.code === LSPErrorCodes.RequestCancelled) return;
    const message = err instanceof Error ? err.message : String(err);
    deps.output.error(`Check Splits for Leakage: ${message}`);
    await vscode.window.showErrorMessage(`Similarity Lab: Check Splits for Leakage failed: ${message}`);
  }
}
