/**
 * The diagnostics of a dataset file, on each record's header line: its cluster, near-duplicate or
 * outlier (with related information linking its nearest neighbours), or its parse error. Published
 * whenever the host's results for the file change, and when the file is opened.
 */
import { type Diagnostic, DiagnosticSeverity, type TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { RecordMeta } from '../worker/tasks/loadDataset';
import type { DatasetEntry, MapClusters } from '../host/datasetEntry';
import type { DatasetService } from '../host/datasets';
import type { HostSettings } from '../host/settings';
import type { HostContext } from './context';
import { closeness, headerRange, radius } from './recordText';

export const SOURCE = 'Similarity Lab';

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

export function registerDiagnostics(host: HostContext, service: DatasetService, documents: TextDocuments<TextDocument>): void {
  const publish = async (entry: DatasetEntry): Promise<void> => {
    const settings = await service.settings(entry.uri);
    const diagnostics = recordDiagnostics(entry, settings, documents.get(entry.uri));
    await host.connection.sendDiagnostics({ uri: entry.uri, diagnostics });
  };
  const publishOrLog = (entry: DatasetEntry): void => {
    publish(entry).catch((err: unknown) => host.connection.console.error(`publishing diagnostics: ${String(err)}`));
  };

  service.onDidChangeResults(publishOrLog);

  // An opened file shows what the host already knows of it (its ranges now span the header lines).
  documents.onDidOpen(({ document }) => {
    if (!service.trusted) return;
    const entry = service.find(document.uri);
    if (entry && (entry.clustered || entry.mapped || entry.parseError)) publishOrLog(entry);
  });
}
