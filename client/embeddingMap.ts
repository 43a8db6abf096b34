/**
 * The Embedding Map panel: one webview per map (dataset + model), showing the page of
 * webviews/embeddingMap. The page is loaded with a strict CSP (its script by a fresh nonce,
 * resources only from dist/webviews) and gets its data by postMessage once it says `ready` —
 * again after VS Code recreates a hidden webview. Its camera, colour mode and selection live in
 * the page's own state; after a reload the serializer asks the loader for the map again and the
 * page restores the rest.
 *
 * From the page: `reveal` opens the record (its lines, or its image file) beside the map;
 * `selection` is passed on through `onDidChangeSelection` with each record's location;
 * `saveSelection` writes the selected records to a new file (lines) or folder (image files)
 * chosen with a save dialog — never over a source file.
 */
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback, gzip as gzipCallback } from 'node:zlib';
import * as vscode from 'vscode';
import type { EmbeddingMapRequest, Range } from '../server/protocol';
import { embeddingMapHtml } from '../webviews/embeddingMap/html';
import { parseMapPayload, parsePageMessage, parsePageState, type LoadMessage, type MapPayload, type PageMessage } from '../webviews/embeddingMap/messages';
import { MessageError } from '../webviews/shared/validate';
import { similarityLabPanelColumn } from './panelPlacement';
import { extractRecords, relativeRecordPath, savedConfirmation, saveModeOf } from './recordSubset';

const gunzip = promisify(gunzipCallback);
const gzip = promisify(gzipCallback);

export const EMBEDDING_MAP_VIEW_TYPE = 'similarityLab.embeddingMap';

/** Which map: a dataset, and the model whose embeddings are projected (none = the raw vectors). */
export type EmbeddingMapSource = Pick<EmbeddingMapRequest.Params, 'uri' | 'modelId'>;

/** What the panel uses of the host's `similarityLab/embeddingMap` answer. */
export type EmbeddingMapAnswer = Pick<EmbeddingMapRequest.Result, 'map' | 'records' | 'dataset'>;

/** A map as an open panel keeps it: the host's answer, its map checked for the page (parseMapPayload). */
interface CheckedMap extends Omit<EmbeddingMapAnswer, 'map'> {
  map: MapPayload;
}

export interface SelectedRecord extends EmbeddingMapRequest.RecordLocation {
  index: number;
  id: string;
  label?: string | null;
  cluster?: number;
}

export interface MapSelection {
  source: EmbeddingMapSource;
  records: SelectedRecord[];
}

export type EmbeddingMapLoader = (source: EmbeddingMapSource, token: vscode.CancellationToken) => Promise<EmbeddingMapAnswer>;

interface OpenMap {
  panel: vscode.WebviewPanel;
  source: EmbeddingMapSource;
  data?: CheckedMap;
  pageReady: boolean;
}

/** Registered as the WebviewPanelSerializer of EMBEDDING_MAP_VIEW_TYPE. */
export class EmbeddingMapPanels implements vscode.WebviewPanelSerializer, vscode.Disposable {
  private readonly open = new Map<string, OpenMap>();
  private readonly selectionChanged = new vscode.EventEmitter<MapSelection>();
  /** The records of each new selection on a map (a lasso, a click, or none after clearing). */
  readonly onDidChangeSelection = this.selectionChanged.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly load: EmbeddingMapLoader,
    private readonly output: vscode.LogOutputChannel,
  ) {}

  /** Opens the map of `source` (or brings its panel forward) and loads it afresh. */
  async show(source: EmbeddingMapSource): Promise<void> {
    const key = sourceKey(source);
    const existing = this.open.get(key);
    if (existing) {
      existing.panel.reveal();
      await this.fill(existing);
      return;
    }
    // In the column of an open Similarity Lab panel (one column for them all), else beside the editor.
    const panel = vscode.window.createWebviewPanel(EMBEDDING_MAP_VIEW_TYPE, title(source), { viewColumn: similarityLabPanelColumn() }, this.options());
    await this.fill(this.attach(panel, source));
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const source = sourceFromState(state);
    if (!source) {
      // Closed before a map ever showed: nothing to restore.
      panel.dispose();
      return;
    }
    panel.title = title(source);
    const key = sourceKey(source);
    const duplicate = this.open.get(key);
    if (duplicate) duplicate.panel.dispose();
    await this.fill(this.attach(panel, source));
  }

  dispose(): void {
    for (const m of this.open.values()) m.panel.dispose();
    this.open.clear();
    this.selectionChanged.dispose();
  }

  private options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webviews')],
      // The page keeps its own state; a hidden map need not hold its WebGL context.
      retainContextWhenHidden: false,
    };
  }

  private attach(panel: vscode.WebviewPanel, source: EmbeddingMapSource): OpenMap {
    const entry: OpenMap = { panel, source, pageReady: false };
    const key = sourceKey(source);
    this.open.set(key, entry);
    const webview = panel.webview;
    webview.options = this.options();
    const asset = (name: string): string => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webviews', name)).toString();
    webview.html = embeddingMapHtml({ scriptUri: asset('embeddingMap.js'), styleUri: asset('embeddingMap.css'), nonce: randomBytes(16).toString('base64'), cspSource: webview.cspSource });
    const subscriptions = [
      webview.onDidReceiveMessage((raw: unknown) => this.receive(entry, raw).catch((err: unknown) => this.report('Embedding Map', err))),
      panel.onDidDispose(() => {
        if (this.open.get(key) === entry) this.open.delete(key);
        for (const s of subscriptions) s.dispose();
      }),
    ];
    return entry;
  }

  /** Loads the map (with progress, cancellable) and sends it if the page is listening. */
  private async fill(entry: OpenMap): Promise<void> {
    try {
      const data = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Similarity Lab: ${title(entry.source)}`, cancellable: true },
        (_progress, token) => this.load(entry.source, token),
      );
      entry.data = checkData(data);
      if (entry.pageReady) await this.post(entry);
    } catch (err) {
      if (err instanceof vscode.CancellationError) return;
      await this.report('Show Embedding Map', err);
    }
  }

  private async post(entry: OpenMap): Promise<void> {
    if (!entry.data) return;
    const message: LoadMessage = { type: 'load', map: entry.data.map, mapKey: mapKey(entry.source, entry.data.map) };
    // Save as dataset… only where it works for this kind of dataset (not rows of an IDX or .npy array).
    if (saveModeOf(entry.data.records, entry.data.dataset.uri) === undefined) message.canSave = false;
    await entry.panel.webview.postMessage(message);
  }

  private async receive(entry: OpenMap, raw: unknown): Promise<void> {
    let message: PageMessage;
    try {
      message = parsePageMessage(raw, entry.data?.map.ids ?? []);
    } catch (err) {
      if (!(err instanceof MessageError)) throw err;
      this.output.warn(`Embedding Map: ignored a message from the page: ${err.message}`);
      return;
    }
    const data = entry.data;
    switch (message.type) {
      case 'ready':
        entry.pageReady = true;
        await this.post(entry);
        return;
      case 'reveal':
        if (data) await this.reveal(entry.panel, data.records[message.index]!);
        return;
      case 'selection':
        if (data) this.selectionChanged.fire({ source: entry.source, records: selectedRecords(data, message.indices) });
        return;
      case 'saveSelection':
        if (data) await this.save(data, message.indices);
        return;
    }
  }

  /** Opens the record beside the map: its lines selected, or its file (an image opens in the image preview). */
  private async reveal(panel: vscode.WebviewPanel, record: EmbeddingMapRequest.RecordLocation): Promise<void> {
    const viewColumn = panel.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Beside : vscode.ViewColumn.One;
    const uri = vscode.Uri.parse(record.uri);
    if (record.range) {
      const r = record.range;
      await vscode.window.showTextDocument(uri, { viewColumn, preview: true, selection: new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character) });
    } else {
      await vscode.commands.executeCommand('vscode.open', uri, { viewColumn, preview: true });
    }
  }

  private async save(data: CheckedMap, indices: number[]): Promise<void> {
    if (indices.length === 0) return;
    const records = indices.map((i) => data.records[i]!);
    const dataset = vscode.Uri.parse(data.dataset.uri);
    const mode = saveModeOf(records, data.dataset.uri);
    const asLines = mode === 'lines';
    if (mode === undefined) {
      await vscode.window.showErrorMessage(`Similarity Lab: the records of ${basename(dataset)} are not lines or files of their own (e.g. rows of an IDX or .npy array), so they cannot be saved as a dataset.`);
      return;
    }
    const target = await vscode.window.showSaveDialog({
      title: `Save ${indices.length} selected records as a dataset`,
      saveLabel: 'Save Dataset',
      defaultUri: asLines ? siblingWithSuffix(dataset, '-selection') : vscode.Uri.joinPath(dataset, '..', `${basename(dataset)}-selection`),
    });
    if (!target) return;
    const sources = new Set(records.map((r) => r.uri));
    sources.add(data.dataset.uri);
    if ([...sources].some((s) => sameFile(vscode.Uri.parse(s), target))) {
      await vscode.window.showErrorMessage('Similarity Lab: pick another name — the selection is never written over its source.');
      return;
    }
    try {
      if (asLines) await writeLines(target, records, data.dataset.headerLines ?? 0);
      else await copyFiles(target, dataset, records);
    } catch (err) {
      await this.report('Save as dataset', err);
      return;
    }
    this.output.info(`Embedding Map: saved ${records.length} records to ${target.fsPath}.`);
    // Not awaited: the confirmation stays until dismissed, and the page need not wait for it.
    void this.confirmSaved(records, dataset, target, mode);
  }

  /** Says the save worked, with buttons that open what was written. */
  private async confirmSaved(records: EmbeddingMapRequest.RecordLocation[], dataset: vscode.Uri, target: vscode.Uri, mode: 'lines' | 'files'): Promise<void> {
    const { message, actions } = savedConfirmation(records.length, basename(target), mode);
    const choice = await vscode.window.showInformationMessage(message, ...actions);
    if (choice === 'Open') await vscode.window.showTextDocument(target);
    else if (choice === 'Reveal in Explorer') await vscode.commands.executeCommand('revealInExplorer', target);
    else if (choice === 'Open First File' && records[0]) {
      const first = vscode.Uri.joinPath(target, relativeRecordPath(dataset.path, vscode.Uri.parse(records[0].uri).path));
      await vscode.commands.executeCommand('vscode.open', first);
    }
  }

  private async report(what: string, err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    this.output.error(`${what}: ${message}`);
    await vscode.window.showErrorMessage(`Similarity Lab: ${what} failed: ${message}`);
  }
}

/** Host answers are checked like page messages: a bad one is an error naming the field. */
function checkData(data: EmbeddingMapAnswer): CheckedMap {
  const map = parseMapPayload(data.map, 'map');
  if (!Array.isArray(data.records) || data.records.length !== map.ids.length) {
    throw new MessageError('records', `expected ${map.ids.length} records (one per id), got ${Array.isArray(data.records) ? data.records.length : typeof data.records}`);
  }
  return { ...data, map };
}

function selectedRecords(data: CheckedMap, indices: readonly number[]): SelectedRecord[] {
  return indices.map((index) => {
    const r: SelectedRecord = { index, id: data.map.ids[index]!, ...data.records[index]! };
    const label = data.map.labels?.[index];
    if (label !== undefined) r.label = label;
    const cluster = data.map.clusters?.[index];
    if (cluster !== undefined) r.cluster = cluster;
    return r;
  });
}

async function readText(uri: vscode.Uri): Promise<string> {
  let bytes = await vscode.workspace.fs.readFile(uri);
  if (uri.path.endsWith('.gz')) bytes = await gunzip(bytes);
  return new TextDecoder('utf-8').decode(bytes);
}

/** Lines mode: the header of the first source, then each source's selected lines, in file order. */
async function writeLines(target: vscode.Uri, records: EmbeddingMapRequest.RecordLocation[], headerLines: number): Promise<void> {
  const bySource = new Map<string, Range[]>();
  for (const r of records) {
    const list = bySource.get(r.uri) ?? [];
    list.push(r.range!);
    bySource.set(r.uri, list);
  }
  const parts: string[] = [];
  let first = true;
  for (const [uri, ranges] of bySource) {
    const source = vscode.Uri.parse(uri);
    parts.push(extractRecords(await readText(source), ranges, first ? headerLines : 0, source.fsPath));
    first = false;
  }
  let bytes: Uint8Array = new TextEncoder().encode(parts.join(''));
  if (target.path.endsWith('.gz')) bytes = await gzip(bytes);
  await vscode.workspace.fs.writeFile(target, bytes);
}

/** Files mode: a new folder with each record file at its path under the dataset folder (class folders kept). */
async function copyFiles(target: vscode.Uri, datasetFolder: vscode.Uri, records: EmbeddingMapRequest.RecordLocation[]): Promise<void> {
  const exists = await vscode.workspace.fs.stat(target).then(
    () => true,
    () => false,
  );
  if (exists) throw new Error(`${target.fsPath} exists; the selection goes into a new folder`);
  await vscode.workspace.fs.createDirectory(target);
  for (const r of records) {
    const file = vscode.Uri.parse(r.uri);
    await vscode.workspace.fs.copy(file, vscode.Uri.joinPath(target, relativeRecordPath(datasetFolder.path, file.path)), { overwrite: false });
  }
}

function sourceKey(source: EmbeddingMapSource): string {
  return JSON.stringify([source.uri, source.modelId ?? null]);
}

/**
 * The key the page stores with its state: the source (so a reload can ask for the map again) and
 * the ids' count and hash (so a selection of indices is restored only onto the same records).
 */
function mapKey(source: EmbeddingMapSource, map: MapPayload): string {
  let h = 0x811c9dc5;
  for (const id of map.ids) {
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0x1f, 0x01000193);
  }
  return JSON.stringify({ uri: source.uri, modelId: source.modelId ?? null, n: map.ids.length, ids: (h >>> 0).toString(16) });
}

function sourceFromState(state: unknown): EmbeddingMapSource | undefined {
  const saved = parsePageState(state);
  if (!saved) return undefined;
  try {
    const key = JSON.parse(saved.mapKey) as { uri?: unknown; modelId?: unknown };
    if (typeof key.uri !== 'string') return undefined;
    return typeof key.modelId === 'string' ? { uri: key.uri, modelId: key.modelId } : { uri: key.uri };
  } catch {
    return undefined;
  }
}

function basename(uri: vscode.Uri): string {
  return uri.path.slice(uri.path.lastIndexOf('/') + 1);
}

function title(source: EmbeddingMapSource): string {
  const name = basename(vscode.Uri.parse(source.uri));
  return source.modelId ? `Embedding Map: ${name} (${source.modelId})` : `Embedding Map: ${name}`;
}

/** data.fasta → data-selection.fasta; data.fasta.gz → data-selection.fasta.gz. */
function siblingWithSuffix(file: vscode.Uri, suffix: string): vscode.Uri {
  const name = basename(file);
  const m = /^(.*?)((?:\.[^./]+)?(?:\.gz)?)$/u.exec(name)!;
  return vscode.Uri.joinPath(file, '..', `${m[1]}${suffix}${m[2]}`);
}

function sameFile(a: vscode.Uri, b: vscode.Uri): boolean {
  return a.scheme === b.scheme && a.authority === b.authority && a.path.replace(/\/+$/u, '') === b.path.replace(/\/+$/u, '');
}
