/**
 * Check Splits for Leakage (issue 17): two or more files — selected in the Explorer, or one
 * right-clicked there and the others picked among the workspace's datasets, else picked in an open
 * dialog — one of them chosen as the reference (the training split); the host checks
 * the others against it, with its own progress (Cancel), and puts a `leak` warning on each
 * leaking record. The command says how many records leaked.
 */
import * as vscode from 'vscode';
import { LSPErrorCodes, ResponseError } from 'vscode-languageclient/node';
import { CheckLeaksRequest, DatasetsRequest } from '../server/protocol';
import type { AnalysisHost } from './host';
import { describeLeaks } from './leaksText';

export interface LeaksCommandDeps {
  host: AnalysisHost;
  output: vscode.LogOutputChannel;
}

function isUriList(value: unknown): value is vscode.Uri[] {
  return Array.isArray(value) && value.every((v) => v instanceof vscode.Uri);
}

/**
 * The other splits to check with `clicked` (one dataset file the user right-clicked): picked among
 * the workspace's other dataset files the host found (an open dialog when it found none).
 */
async function otherSplits(deps: LeaksCommandDeps, clicked: vscode.Uri): Promise<vscode.Uri[] | undefined> {
  const client = await deps.host.ready();
  const datasets = (await client.sendRequest(DatasetsRequest.type, {})).datasets.map((d) => vscode.Uri.parse(d.uri)).filter((u) => u.toString() !== clicked.toString());
  const name = vscode.workspace.asRelativePath(clicked);
  if (datasets.length === 0) return pickFiles(`Similarity Lab: pick the splits to check with ${name}`);
  const picked = await vscode.window.showQuickPick(
    datasets.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    // ignoreFocusOut: a step of a two-step pick; an editor opening (the click that started it) must not dismiss it.
    { canPickMany: true, ignoreFocusOut: true, title: `Check ${name} for leakage with which other splits?`, placeHolder: 'The reference (training split) is asked next' },
  );
  return picked?.map((p) => p.uri);
}

function pickFiles(title: string): Thenable<vscode.Uri[] | undefined> {
  return vscode.window.showOpenDialog({
    canSelectMany: true,
    canSelectFiles: true,
    canSelectFolders: false,
    openLabel: 'Check for Leakage',
    title,
    ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.workspace.workspaceFolders[0].uri } : {}),
  });
}

/**
 * Command handler. From the Explorer, VS Code passes (clicked uri, all selected uris): two or more
 * selected are the splits; one dataset file clicked is one split, the others are picked next.
 */
export async function checkLeaks(deps: LeaksCommandDeps, clicked?: unknown, selected?: unknown): Promise<void> {
  let files: readonly vscode.Uri[] | undefined;
  if (isUriList(selected) && selected.length > 1) files = selected;
  else if (clicked instanceof vscode.Uri) {
    const others = await otherSplits(deps, clicked);
    files = others && [clicked, ...others];
  } else files = await pickFiles('Similarity Lab: pick the splits to check (two files or more)');
  if (!files) return;
  if (files.length < 2) {
    await vscode.window.showInformationMessage('Check Splits for Leakage needs two files or more: the reference (training split) and the splits to check against it.');
    return;
  }
  const picked = await vscode.window.showQuickPick(
    files.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { ignoreFocusOut: true, title: 'Which file is the reference (the training split)?', placeHolder: 'The others are checked for copies of its records' },
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
