/**
 * The diagnostics of a dataset file, on each record's header line: its cluster, near-duplicate or
 * outlier (with related information linking its nearest neighbours), or its read problems.
 * Published whenever the host's results for the file change, and when the file is opened.
 * A query split checked for leakage (issue 17) also gets a `leak` Warning on each record that
 * copies a record of the reference split, linked to that record.
 *
 * What a user must look at is never cut: read problems, near-duplicates and outliers are all
 * published. Only the plain `cluster N · M members` labels are capped (setting
 * `similarityLab.diagnostics.maxPerFile`), and then one Information on the first line says how
 * many were shown, so a silent gap in the Problems list cannot pass for "nothing here".
 *
 * The file's clustering and its Embedding Map are two layers: the clustering's diagnostics stay
 * when a map is made (the map's clusters are in the hover); the map's clusters become
 * diagnostics of their own codes only for a file that has no clustering.
 */
import { type Diagnostic, DiagnosticSeverity, type TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { RecordMeta } from '../worker/tasks/loadDataset';
import type { ClusterView, DatasetEntry, LeakFindings, MapClusters } from '../host/datasetEntry';
import type { DatasetService } from '../host/datasets';
import type { HostSettings } from '../host/settings';
import type { HostContext } from './context';
import { closeness, headerRange, leakMatch, radius } from './recordText';

export const SOURCE = 'Similarity Lab';
/** The code of the one diagnostic that says cluster labels were left out. */
export const CAPPED_CODE = 'cluster-labels-capped';

/** The diagnostics of one dataset file: its read problems, its leaks, then its clustering's (or else its map's). */
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
  if (!settings.diagnostics.enabled) return out;
  if (entry.leaks) out.push(...leakDiagnostics(entry.leaks, doc));
  if (entry.clustered) return mostSevereFirst([...out, ...clusterDiagnostics(entry.uri, entry.clustered, settings, doc)]);
  if (entry.mapped) return mostSevereFirst([...out, ...mapDiagnostics(entry.uri, entry.mapped, settings, doc)]);
  return entry.leaks ? mostSevereFirst(out) : out;
}

/**
 * Errors, then warnings, then the rest, each in file order (a stable sort). VS Code draws squiggles
 * and marker hovers for only the first 500 diagnostics of a file, in the order published: a
 * near-duplicate at the end of a 2,300-record file fell beyond them behind the cluster infos.
 */
function mostSevereFirst(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort((a, b) => (a.severity ?? DiagnosticSeverity.Error) - (b.severity ?? DiagnosticSeverity.Error));
}

/** Per record of a clustering: its cluster label (capped) or its outlier note, and its near-duplicate warning. */
function clusterDiagnostics(uri: string, view: ClusterView, settings: HostSettings, doc: TextDocument | undefined): Diagnostic[] {
  const d = settings.diagnostics;
  const records = view.outcome.index.records;
  const labels = view.outcome.labels;
  const related = (r: RecordMeta, only: 'cluster' | 'any') =>
    view.neighbours
      .of(r.index)
      .filter((nb) => only === 'any' || labels[nb.record] === labels[r.index])
      .slice(0, 3)
      .map((nb) => {
        const other = records[nb.record] as RecordMeta;
        return { location: { uri, range: headerRange(other, doc) }, message: `${other.id} · ${closeness(nb)}` };
      });
  const out: Diagnostic[] = [];
  const labelCap = new LabelCap(d.maxPerFile);
  for (const r of records) {
    const label = labels[r.index] as number;
    const range = headerRange(r, doc);
    const best = view.neighbours.of(r.index)[0];
    if (label >= 0 && d.cluster !== undefined) {
      if (labelCap.admit(r)) out.push({ range, severity: d.cluster, source: SOURCE, code: 'cluster', message: `cluster ${label} · ${view.sizes.get(label) ?? 0} members`, relatedInformation: related(r, 'cluster') });
    } else if (label < 0 && d.outlier !== undefined) {
      const why = best ? `nearest ${records[best.record]?.id ?? '?'} at ${closeness(best)}, too few neighbours for a cluster` : `no neighbour ${radius(view)}`;
      out.push({ range, severity: d.outlier, source: SOURCE, code: 'outlier', message: `outlier (noise) · ${why}`, relatedInformation: related(r, 'any') });
    }
    // Near-duplicates: identity ≥ the setting for sequences and text; distance 0 (the same vector) for numeric data.
    const nearDuplicate = best && (best.distance !== undefined ? best.distance === 0 : best.identity >= d.nearDuplicateIdentity);
    if (best && nearDuplicate && d.nearDuplicate !== undefined) {
      const other = records[best.record] as RecordMeta;
      out.push({
        range,
        severity: d.nearDuplicate,
        source: SOURCE,
        code: 'near-duplicate',
        message: `near-duplicate of ${other.id} · ${closeness(best)}`,
        relatedInformation: [{ location: { uri, range: headerRange(other, doc) }, message: `${other.id} · ${closeness(best)}` }],
      });
    }
  }
  const note = labelCap.note('cluster labels', uri, doc);
  return note ? [note, ...out] : out;
}

/** One Warning per query record that copies a reference record, on its own line, linked to that record. */
function leakDiagnostics(leaks: LeakFindings, doc: TextDocument | undefined): Diagnostic[] {
  return leaks.pairs.map((p) => {
    const { text, how } = leakMatch(leaks, p);
    return {
      range: headerRange({ startLine: p.line, id: p.id }, doc),
      severity: DiagnosticSeverity.Warning,
      source: SOURCE,
      code: 'leak',
      message: text,
      relatedInformation: [{ location: { uri: leaks.referenceUri, range: headerRange({ startLine: p.referenceLine, id: p.referenceId }, undefined) }, message: `${p.referenceId} · ${how}` }],
    };
  });
}

/** One diagnostic per mapped record: its cluster on the Embedding Map (capped like cluster labels), or noise. */
function mapDiagnostics(uri: string, mapped: MapClusters, settings: HostSettings, doc: TextDocument | undefined): Diagnostic[] {
  const d = settings.diagnostics;
  const where = mapped.on === 'map' ? 'on the embedding map' : 'in the embedding before UMAP';
  const out: Diagnostic[] = [];
  const labelCap = new LabelCap(d.maxPerFile);
  for (let i = 0; i < mapped.ids.length; i++) {
    const c = mapped.clusters[i] as number;
    const severity = c >= 0 ? d.cluster : d.outlier;
    if (severity === undefined) continue;
    const record = { startLine: mapped.lines[i] as number, id: mapped.ids[i] as string };
    if (c >= 0 && !labelCap.admit(record)) continue;
    const range = headerRange(record, doc);
    const message = c >= 0 ? `map cluster ${c} · ${mapped.sizes.get(c) ?? 0} members ${where}` : `outlier (noise) ${where}`;
    out.push({ range, severity, source: SOURCE, code: c >= 0 ? 'map-cluster' : 'map-outlier', message });
  }
  const note = labelCap.note('map cluster labels', uri, doc);
  return note ? [note, ...out] : out;
}

/**
 * The cap on plain cluster labels: the first `max` labelled records of the file keep their label;
 * the rest are counted, and the first of them is linked from the note.
 */
class LabelCap {
  private shown = 0;
  private total = 0;
  private firstLeftOut: Pick<RecordMeta, 'startLine' | 'id'> | undefined;

  constructor(private readonly max: number) {}

  admit(record: Pick<RecordMeta, 'startLine' | 'id'>): boolean {
    this.total++;
    if (this.shown < this.max) {
      this.shown++;
      return true;
    }
    this.firstLeftOut ??= record;
    return false;
  }

  /** The Information on the file's first line naming the cut and the setting, when labels were left out. */
  note(what: string, uri: string, doc: TextDocument | undefined): Diagnostic | undefined {
    if (this.shown === this.total) return undefined;
    // Thousands grouped as the user reads them ("1,000 of 2,340"), whatever the host's locale.
    const count = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/gu, ',');
    const first = this.firstLeftOut;
    return {
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } },
      severity: DiagnosticSeverity.Information,
      source: SOURCE,
      code: CAPPED_CODE,
      message: `${what} shown for the first ${count(this.shown)} of ${count(this.total)} records in clusters — setting similarityLab.diagnostics.maxPerFile (near-duplicates and outliers are all shown)`,
      ...(first ? { relatedInformation: [{ location: { uri, range: headerRange(first, doc) }, message: `${first.id}: the first record without its label` }] } : {}),
    };
  }
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
    if (entry && (entry.clustered || entry.mapped || entry.leaks || entry.parseError)) publishOrLog(entry);
  });
}
