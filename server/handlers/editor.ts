/**
 * What a dataset file shows in the editor: diagnostics on each record's header line (cluster,
 * near-duplicate, outlier; parse errors), a hover with the record's cluster and nearest
 * neighbours, and a "Find similar" code lens per record. Also the document and file events
 * that index on open and re-index on change, and `similarityLab/datasets`.
 */
import path from 'node:path';
import {
  type Connection,
  type Diagnostic,
  DiagnosticSeverity,
  type TextDocuments,
  FileChangeType,
  type CodeLens,
  type Hover,
  MarkupKind,
} from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { RecordMeta } from '../jobs/sequenceIndex';
import { recordAtLine } from '../jobs/recordNeighbours';
import { DatasetsRequest, type Range } from '../protocol';
import { runCluster } from './cluster';
import type { HostContext } from './context';
import { DatasetService, type ClusterView, type DatasetEntry, type MapClusters } from './datasets';
import type { HostSettings } from './settings';

export const SOURCE = 'Similarity Lab';
/** Code lenses beyond this many records would only slow the editor down. */
const MAX_CODE_LENSES = 5000;

function pct(identity: number): string {
  return `${(identity * 100).toFixed(1)} %`;
}

/** How close a neighbour is: identity for sequences and text, the distance for numeric data. */
function closeness(nb: { identity: number; distance?: number }): string {
  return nb.distance !== undefined ? `distance ${formatDistance(nb.distance)}` : `${pct(nb.identity)} identity`;
}

function formatDistance(d: number): string {
  return Number.isInteger(d) ? String(d) : d.toPrecision(3);
}

/** The neighbourhood a record failed to find enough neighbours in. */
function radius(view: ClusterView): string {
  return view.vector ? `within distance ${formatDistance(view.outcome.eps)}` : `at ≥ ${pct(view.params.threshold)} identity`;
}

function headerRange(record: Pick<RecordMeta, 'startLine' | 'id'>, doc: TextDocument | undefined): Range {
  const line = record.startLine;
  // The whole header line when the document is open; otherwise the id (VS Code clamps ranges anyway).
  const end = doc ? doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/u, '').length : record.id.length + 1;
  return { start: { line, character: 0 }, end: { line, character: Math.max(1, end) } };
}

/** The diagnostics of one dataset file: its parse error, or one or two per record after clustering. */
export function recordDiagnostics(entry: DatasetEntry, settings: HostSettings, doc: TextDocument | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (entry.parseError) {
    const { line, column, message } = entry.parseError;
    const at = { line: Math.max(0, line - 1), character: Math.max(0, column - 1) };
    out.push({ range: { start: at, end: { line: at.line, character: at.character + 1 } }, severity: DiagnosticSeverity.Error, source: SOURCE, message });
  }
  // The records the reader skipped (errors) or found odd (warnings), all at once; the valid ones are indexed.
  for (const p of (entry.clustered?.outcome.index ?? entry.index)?.problems ?? []) {
    const at = { line: Math.max(0, p.line - 1), character: Math.max(0, p.column - 1) };
    const severity = p.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning;
    out.push({ range: { start: at, end: { line: at.line, character: at.character + 1 } }, severity, source: SOURCE, code: 'read', message: p.message });
  }
  const d = settings.diagnostics;
  if (d.enabled && entry.mapped) return [...out, ...mapDiagnostics(entry.mapped, settings, doc)];
  const view = entry.clustered;
  if (!d.enabled || !view) return out;
  const records = view.outcome.index.records;
  const labels = view.outcome.labels;
  const related = (r: RecordMeta, only: 'cluster' | 'any') =>
    (view.neighbours[r.index] ?? [])
      .filter((nb) => only === 'any' || labels[nb.record] === labels[r.index])
      .slice(0, 3)
      .map((nb) => {
        const other = records[nb.record] as RecordMeta;
        return { location: { uri: entry.uri, range: headerRange(other, doc) }, message: `${other.id} · ${closeness(nb)}` };
      });
  for (const r of records) {
    if (out.length >= d.maxPerFile) break;
    const label = labels[r.index] as number;
    const range = headerRange(r, doc);
    const best = view.neighbours[r.index]?.[0];
    if (label >= 0 && d.cluster !== undefined) {
      out.push({ range, severity: d.cluster, source: SOURCE, code: 'cluster', message: `cluster ${label} · ${view.sizes.get(label) ?? 0} members`, relatedInformation: related(r, 'cluster') });
    } else if (label < 0 && d.outlier !== undefined) {
      const why = best ? `nearest ${records[best.record]?.id ?? '?'} at ${closeness(best)}, too few neighbours for a cluster` : `no neighbour ${radius(view)}`;
      out.push({ range, severity: d.outlier, source: SOURCE, code: 'outlier', message: `outlier (noise) · ${why}`, relatedInformation: related(r, 'any') });
    }
    // Near-duplicates: identity ≥ the setting for sequences and text; distance 0 (the same vector) for numeric data.
    const nearDuplicate = best && (best.distance !== undefined ? best.distance === 0 : best.identity >= d.nearDuplicateIdentity);
    if (best && nearDuplicate && d.nearDuplicate !== undefined && out.length < d.maxPerFile) {
      const other = records[best.record] as RecordMeta;
      out.push({
        range,
        severity: d.nearDuplicate,
        source: SOURCE,
        code: 'near-duplicate',
        message: `near-duplicate of ${other.id} · ${closeness(best)}`,
        relatedInformation: [{ location: { uri: entry.uri, range: headerRange(other, doc) }, message: `${other.id} · ${closeness(best)}` }],
      });
    }
  }
  return out;
}

/** One diagnostic per mapped record: its cluster on the Embedding Map, or noise. */
function mapDiagnostics(mapped: MapClusters, settings: HostSettings, doc: TextDocument | undefined): Diagnostic[] {
  const d = settings.diagnostics;
  const where = mapped.on === 'map' ? 'on the embedding map' : 'in the embedding before UMAP';
  const out: Diagnostic[] = [];
  for (let i = 0; i < mapped.ids.length && out.length < d.maxPerFile; i++) {
    const c = mapped.clusters[i] as number;
    const severity = c >= 0 ? d.cluster : d.outlier;
    if (severity === undefined) continue;
    const range = headerRange({ startLine: mapped.lines[i] as number, id: mapped.ids[i] as string }, doc);
    const message = c >= 0 ? `map cluster ${c} · ${mapped.sizes.get(c) ?? 0} members ${where}` : `outlier (noise) ${where}`;
    out.push({ range, severity, source: SOURCE, code: c >= 0 ? 'map-cluster' : 'map-outlier', message });
  }
  return out;
}

export function hoverText(entry: DatasetEntry, line: number): string | undefined {
  const onMap = entry.mapped ? mapHoverLine(entry.mapped, line) : undefined;
  const index = entry.clustered?.outcome.index ?? entry.index;
  const record = index ? recordAtLine(index.records, line) : undefined;
  if (!index || !record) return onMap ? `**${onMap.id}**\n\n${onMap.text}` : undefined;
  const unit = index.kind === 'sequence' ? 'bases' : index.kind === 'text' ? 'characters' : 'values';
  const lines = [`**${record.id}** · ${record.length} ${unit}${record.label !== undefined ? ` · label ${record.label}` : ''}`];
  if (onMap) lines.push('', onMap.text);
  const view: ClusterView | undefined = entry.clustered;
  if (!view) {
    if (!onMap) lines.push('', 'Not clustered yet: run *Similarity Lab: Cluster This Dataset*.');
    return lines.join('\n');
  }
  const label = view.outcome.labels[record.index] as number;
  lines.push('', label >= 0 ? `Cluster ${label} · ${view.sizes.get(label) ?? 0} members` : `Outlier (noise): too few neighbours ${radius(view)}`);
  const nbs = (view.neighbours[record.index] ?? []).slice(0, 3);
  if (nbs.length) {
    lines.push('', 'Nearest neighbours:');
    for (const nb of nbs) {
      const other = view.outcome.index.records[nb.record] as RecordMeta;
      lines.push(`- ${other.id} — ${closeness(nb)} (line ${other.startLine + 1})`);
    }
  }
  return lines.join('\n');
}

/** The mapped record starting at or before `line` (records are in file order), and its map cluster. */
function mapHoverLine(mapped: MapClusters, line: number): { id: string; text: string } | undefined {
  let lo = 0;
  let hi = mapped.lines.length - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((mapped.lines[mid] as number) <= line) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (at < 0) return undefined;
  const c = mapped.clusters[at] as number;
  return { id: mapped.ids[at] as string, text: c >= 0 ? `Embedding map: cluster ${c} · ${mapped.sizes.get(c) ?? 0} members` : 'Embedding map: outlier (noise)' };
}

export function registerEditorFeatures(host: HostContext, service: DatasetService, documents: TextDocuments<TextDocument>): void {
  const connection: Connection = host.connection;

  const publish = async (entry: DatasetEntry): Promise<void> => {
    const settings = await service.settings(entry.uri);
    const diagnostics = recordDiagnostics(entry, settings, documents.get(entry.uri));
    await connection.sendDiagnostics({ uri: entry.uri, diagnostics });
  };
  service.onDidChangeResults = (entry) => {
    publish(entry).catch((err: unknown) => connection.console.error(`publishing diagnostics: ${String(err)}`));
  };

  connection.onHover((params): Hover | null => {
    // Answered from memory only: a hover never waits for a job.
    const entry = service.find(params.textDocument.uri);
    const text = entry ? hoverText(entry, params.position.line) : undefined;
    return text ? { contents: { kind: MarkupKind.Markdown, value: text } } : null;
  });

  connection.onCodeLens(async (params, token): Promise<CodeLens[]> => {
    if (!service.trusted) return [];
    const settings = await service.settings(params.textDocument.uri);
    if (!settings.codeLens) return [];
    let entry: DatasetEntry;
    try {
      entry = service.entry(params.textDocument.uri);
    } catch {
      return [];
    }
    // Lenses on files the include globs call datasets, or that were indexed on request.
    if (!entry.index && !(await service.isDataset(entry.path))) return [];
    let listener: { dispose(): void } | undefined;
    try {
      const index = await Promise.race([
        service.ensureIndex(entry),
        new Promise<undefined>((resolve) => {
          listener = token.onCancellationRequested(() => resolve(undefined));
        }),
      ]);
      if (!index) return [];
      return index.records.slice(0, MAX_CODE_LENSES).map((r) => ({
        range: { start: { line: r.startLine, character: 0 }, end: { line: r.startLine, character: 0 } },
        command: { title: 'Find similar', command: 'similarityLab.findSimilar', arguments: [entry.uri, { line: r.startLine, character: 0 }] },
      }));
    } catch {
      return []; // a file that does not parse shows an Error diagnostic instead
    } finally {
      listener?.dispose();
    }
  });

  connection.onRequest(DatasetsRequest.type, async () => ({ datasets: await service.infos() }));

  documents.onDidOpen(({ document }) => {
    void (async () => {
      if (!service.trusted || !document.uri.startsWith('file:')) return;
      const entry = service.entry(document.uri);
      if (entry.clustered || entry.mapped || entry.parseError) return publish(entry);
      const settings = await service.settings(document.uri);
      // Only files the include globs call datasets: a CSV opened for reading is not indexed as text lines.
      if (settings.indexOnOpen && (await service.isDataset(entry.path))) await service.ensureIndex(entry);
    })().catch(() => undefined); // failures are recorded on the entry (state 'error', diagnostics)
  });

  documents.onDidSave(({ document }) => fileChanged(document.uri, false));

  connection.onDidChangeWatchedFiles(({ changes }) => {
    let listChanged = false;
    for (const change of changes) {
      if (change.type !== FileChangeType.Changed) {
        service.forgetDiscovery();
        listChanged = true;
      }
      fileChanged(change.uri, change.type === FileChangeType.Deleted);
    }
    if (listChanged) service.notifyChanged();
  });

  /** Re-index only the file that changed; re-cluster it if it had been clustered. */
  function fileChanged(uri: string, deleted: boolean): void {
    let file: string | undefined;
    try {
      file = DatasetService.pathOf(uri);
    } catch {
      file = undefined;
    }
    // An image or volume of a folder dataset: the folder's results are stale; re-cluster it if it was clustered.
    for (const folder of file ? service.invalidateFoldersOf(file) : []) {
      void (async () => {
        const settings = await service.settings(folder.uri);
        const progress = await connection.window.createWorkDoneProgress();
        await runCluster(host, service, folder, DatasetService.clusterParams(undefined, settings, true), undefined, progress);
      })().catch((err: unknown) => connection.console.warn(`re-clustering ${path.basename(folder.path)}: ${String(err)}`));
    }
    const wasClustered = service.invalidate(uri, deleted);
    if (deleted) {
      void connection.sendDiagnostics({ uri, diagnostics: [] }).catch(() => undefined);
      return;
    }
    const entry = service.find(uri);
    if (!entry) return;
    void (async () => {
      const settings = await service.settings(uri);
      if (wasClustered) {
        const params = DatasetService.clusterParams(undefined, settings, await service.isVector(entry));
        const progress = await connection.window.createWorkDoneProgress();
        await runCluster(host, service, entry, params, undefined, progress);
      } else if (settings.indexOnOpen && documents.get(uri)) {
        await service.ensureIndex(entry);
      }
    })().catch((err: unknown) => {
      if (!(err instanceof Error && (err.name === 'CancelledError' || err.name === 'ParseError'))) connection.console.warn(`re-indexing ${path.basename(entry.path)}: ${String(err)}`);
    });
  }
}
