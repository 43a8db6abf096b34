/**
 * How records and their neighbours read in diagnostics and hovers: closeness as identity for
 * sequences and text and as a distance for numeric data, and the header line a record is shown on.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import path from 'node:path';
import type { ClusterView, LeakFindings } from '../host/datasetEntry';
import type { RecordMeta } from '../worker/tasks/loadDataset';
import type { Range } from '../protocol';

function pct(identity: number): string {
  return `${(identity * 100).toFixed(1)} %`;
}

/** How close a neighbour is: identity for sequences and text, the distance for numeric data. */
export function closeness(nb: { identity: number; distance?: number }): string {
  return nb.distance !== undefined ? `distance ${formatDistance(nb.distance)}` : `${pct(nb.identity)} identity`;
}

function formatDistance(d: number): string {
  return Number.isInteger(d) ? String(d) : d.toPrecision(3);
}

/** The neighbourhood a record failed to find enough neighbours in. */
export function radius(view: ClusterView): string {
  if (view.kind === 'vector') return view.outcome.stats.path === 'leiden' ? 'in its community of the 15-nearest-neighbour graph' : `within distance ${formatDistance(view.outcome.eps)}`;
  return `at ≥ ${pct(view.params.threshold)} identity`;
}

export function headerRange(record: Pick<RecordMeta, 'startLine' | 'id'>, doc: TextDocument | undefined): Range {
  const line = record.startLine;
  // The whole header line when the document is open; otherwise the id (VS Code clamps ranges anyway).
  const end = doc ? doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/u, '').length : record.id.length + 1;
  return { start: { line, character: 0 }, end: { line, character: Math.max(1, end) } };
}

/** What a leaking record copies, as its `leak` warning and its hover say: `also in train.fasta: <id> · 99.4 % identity`. */
export function leakMatch(leaks: LeakFindings, pair: LeakFindings['pairs'][number]): { text: string; how: string } {
  const how = closeness(leaks.vector ? { identity: 0, distance: pair.score } : { identity: pair.score });
  return { text: `also in ${path.basename(leaks.referencePath)}: ${pair.referenceId} · ${how}`, how };
}
