/**
 * "Compare Selections": the two most recent editor selections, or — from the Explorer with two
 * files selected — the two files, compared by the host with every applicable measure.
 */
import * as vscode from 'vscode';
import { LSPErrorCodes, ResponseError, ErrorCodes } from 'vscode-languageclient/node';
import { CompareRequest } from '../server/protocol';
import { renderComparison, type ComparedInput } from './compareReport';
import type { ComparisonResults } from './compareResults';
import { HostUnavailableError, type AnalysisHost } from './host';
import type { SelectionTracker, TrackedSelection } from './selections';

/** Larger files are refused: the measures hold both texts in memory and edit distances grow with the product of the lengths. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** A compare that takes longer than this shows a cancellable progress notification. */
const PROGRESS_DELAY_MS = 500;

export interface CompareDeps {
  host: AnalysisHost;
  selections: SelectionTracker;
  results: ComparisonResults;
  showOutputCommand: string;
  restartCommand: string;
}

/** Command handler. From the Explorer, VS Code passes (clicked uri, all selected uris). */
export async function compareSelections(deps: CompareDeps, _clicked?: unknown, selected?: unknown): Promise<void> {
  try {
    const inputs = isUriList(selected) && selected.length > 1 ? await fileInputs(selected) : selectionInputs(deps.selections.lastTwo());
    if (!inputs) return;
    const [a, b] = inputs;
    const client = await deps.host.ready();
    const result = await withDelayedProgress('Similarity Lab: comparing…', (token) =>
      client.sendRequest(CompareRequest.type, { a: a.text, b: b.text, parseVectors: true }, token),
    );
    if (!result) return; // cancelled
    await deps.results.show((title) => renderComparison(title, a, b, result));
  } catch (err) {
    await reportFailure(err, deps);
  }
}

function isUriList(value: unknown): value is vscode.Uri[] {
  return Array.isArray(value) && value.every((v) => v instanceof vscode.Uri);
}

function selectionInputs(recent: readonly TrackedSelection[]): [ComparedInput, ComparedInput] | undefined {
  const [a, b] = recent;
  if (!a || !b) {
    const have = a ? `One selection so far (${describeSelection(a)}). Select a second passage` : 'Select two passages of text (in one editor or two)';
    void vscode.window.showInformationMessage(
      `${have}, then run Compare Selections again: the two most recent selections are compared. ` +
        'Tip: Alt+drag adds a second selection in the same editor; to compare two files, select both in the Explorer and choose Compare Selections from the context menu.',
    );
    return undefined;
  }
  return [
    { source: describeSelection(a), text: a.text },
    { source: describeSelection(b), text: b.text },
  ];
}

function describeSelection(selection: TrackedSelection): string {
  const { start, end } = selection.range;
  const where =
    start.line === end.line ? `line ${start.line + 1}, columns ${start.character + 1}–${end.character + 1}` : `lines ${start.line + 1}–${end.line + 1}`;
  return `${vscode.workspace.asRelativePath(selection.uri)}, ${where}`;
}

async function fileInputs(uris: vscode.Uri[]): Promise<[ComparedInput, ComparedInput] | undefined> {
  const [first, second] = uris;
  if (uris.length !== 2 || !first || !second) {
    void vscode.window.showWarningMessage(`Compare Selections compares two files; ${uris.length} are selected in the Explorer.`);
    return undefined;
  }
  const a = await readFileInput(first);
  const b = a && (await readFileInput(second));
  return a && b ? [a, b] : undefined;
}

/** The file's text: from its editor when it is open (unsaved edits included), else from disk. */
async function readFileInput(uri: vscode.Uri): Promise<ComparedInput | undefined> {
  const name = vscode.workspace.asRelativePath(uri);
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open) return { source: `${name} (editor contents)`, text: open.getText() };
  const stat = await vscode.workspace.fs.stat(uri);
  if (stat.type & vscode.FileType.Directory) {
    void vscode.window.showWarningMessage(`${name} is a folder: Compare Selections compares two files.`);
    return undefined;
  }
  if (stat.size > MAX_FILE_BYTES) {
    void vscode.window.showWarningMessage(
      `${name} is ${(stat.size / 1048576).toFixed(1)} MB; Compare Selections takes files up to ${MAX_FILE_BYTES / 1048576} MB. Select passages of it instead.`,
    );
    return undefined;
  }
  const bytes = await vscode.workspace.fs.readFile(uri);
  if (bytes.includes(0)) {
    void vscode.window.showWarningMessage(`${name} looks like a binary file; Compare Selections compares text and numeric vectors.`);
    return undefined;
  }
  return { source: name, text: new TextDecoder('utf-8').decode(bytes) };
}

/**
 * Runs `work` with a token; if it takes longer than PROGRESS_DELAY_MS, a notification with a
 * Cancel button appears (quick compares never flash one). Resolves undefined when cancelled.
 */
async function withDelayedProgress<T>(title: string, work: (token: vscode.CancellationToken) => Promise<T>): Promise<T | undefined> {
  const cancellation = new vscode.CancellationTokenSource();
  const running = work(cancellation.token);
  const timer = setTimeout(() => {
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_progress, token) => {
      token.onCancellationRequested(() => cancellation.cancel());
      return running.catch(() => undefined);
    });
  }, PROGRESS_DELAY_MS);
  try {
    return await running;
  } catch (err) {
    if (err instanceof ResponseError && err.code === LSPErrorCodes.RequestCancelled) return undefined;
    throw err;
  } finally {
    clearTimeout(timer);
    cancellation.dispose();
  }
}

async function reportFailure(err: unknown, deps: CompareDeps): Promise<void> {
  if (err instanceof HostUnavailableError) {
    const choice = await vscode.window.showErrorMessage(`${err.message} Compare Selections needs it.`, 'Restart Analysis Host', 'Show Output');
    if (choice === 'Restart Analysis Host') await vscode.commands.executeCommand(deps.restartCommand);
    if (choice === 'Show Output') await vscode.commands.executeCommand(deps.showOutputCommand);
    return;
  }
  if (err instanceof ResponseError && err.code === ErrorCodes.InvalidParams) {
    // Bad input (e.g. a vector and a text, vectors of different lengths): the user can fix it.
    void vscode.window.showWarningMessage(`Cannot compare these: ${err.message}`);
    return;
  }
  const choice = await vscode.window.showErrorMessage(`Compare Selections failed: ${err instanceof Error ? err.message : String(err)}`, 'Show Output');
  if (choice) await vscode.commands.executeCommand(deps.showOutputCommand);
}
