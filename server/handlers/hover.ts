/**
 * The hover on a record of a dataset file: its length and label, the reference record it copies
 * when a leakage check found it leaking, its cluster and its nearest neighbours, and its cluster on
 * the Embedding Map. Answered from memory only: a hover never waits for a job.
 */
import { type Hover, MarkupKind } from 'vscode-languageserver/node';
import { recordAtLine } from '../jobs/recordNeighbours';
import type { RecordMeta } from '../worker/tasks/loadDataset';
import type { ClusterView, DatasetEntry, LeakFindings, MapClusters } from '../host/datasetEntry';
import type { ClusterOutcome } from '../jobs/clusterDataset';
import type { DatasetService } from '../host/datasets';
import type { HostContext } from './context';
import { escapeMarkdown, lineLink } from './markdown';
import { closeness, leakMatch, radius } from './recordText';

export function hoverText(entry: DatasetEntry, line: number): string | undefined {
  const onMap = entry.mapped ? mapHoverLine(entry.mapped, line) : undefined;
  // A query split checked for leakage need not be indexed: its findings know their own records.
  const leak = entry.leaks ? leakHoverLine(entry.leaks, line) : undefined;
  const index = entry.clustered?.outcome.index ?? entry.index;
  const record = index ? recordAtLine(index.records, line) : undefined;
  if (!index || !record) {
    const only = [leak, onMap].filter((part) => part !== undefined);
    return only.length ? [`**${escapeMarkdown(only[0]!.id)}**`, ...only.flatMap((part) => ['', part.text])].join('\n') : undefined;
  }
  const unit = index.kind === 'sequence' ? 'bases' : index.kind === 'text' ? 'characters' : 'values';
  // FASTA/FASTQ: the header's description (`Genus species`) beside the id, as the header reads.
  const described = record.description !== undefined ? ` · ${escapeMarkdown(record.description)}` : '';
  const lines = [`**${escapeMarkdown(record.id)}**${described} · ${record.length} ${unit}${record.label !== undefined ? ` · label ${escapeMarkdown(record.label)}` : ''}`];
  if (leak) lines.push('', leak.text);
  if (onMap) lines.push('', onMap.text);
  const view: ClusterView | undefined = entry.clustered;
  if (!view) {
    if (!onMap) lines.push('', 'Not clustered yet: run *Similarity Lab: Cluster This Dataset*.');
    return lines.join('\n');
  }
  const label = view.outcome.labels[record.index] as number;
  lines.push('', label >= 0 ? `Cluster ${label} · ${view.sizes.get(label) ?? 0} members` : `Outlier (noise): too few neighbours ${radius(view)}`);
  if (view.kind === 'sequence' && label >= 0) lines.push('', representativeText(view.outcome, record.index));
  const nbs = view.neighbours.of(record.index).slice(0, 3);
  if (nbs.length) {
    lines.push('', 'Nearest neighbours:');
    for (const nb of nbs) {
      const other = view.outcome.index.records[nb.record] as RecordMeta;
      lines.push(`- ${escapeMarkdown(other.id)}${other.description !== undefined ? ` ${escapeMarkdown(other.description)}` : ''} — ${closeness(nb)} (line ${other.startLine + 1})`);
    }
  }
  return lines.join('\n');
}

/** The record's cluster representative and its identity to it (the representative: says so). */
function representativeText(outcome: ClusterOutcome, record: number): string {
  const rep = outcome.representative[record] as number;
  if (rep === record) return 'Representative of its cluster';
  const other = outcome.index.records[rep] as RecordMeta;
  const identity = outcome.identity[record] as number;
  return `Representative: ${escapeMarkdown(other.id)} (line ${other.startLine + 1}) · identity to representative ${(identity * 100).toFixed(2)} %`;
}

/** The index of the last of `count` ascending first lines (`lineOf`) at or before `line`; −1 when none. */
function lastAtOrBefore(count: number, lineOf: (i: number) => number, line: number): number {
  let lo = 0;
  let hi = count - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (lineOf(mid) <= line) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return at;
}

/**
 * The leaking record `line` is in (records and pairs are in file order) and what it copies, as its
 * warning says, with the reference record's line as a link that opens it there; undefined on a
 * record that does not leak.
 */
function leakHoverLine(leaks: LeakFindings, line: number): { id: string; text: string } | undefined {
  const record = lastAtOrBefore(leaks.recordLines.length, (i) => leaks.recordLines[i]!, line);
  if (record < 0) return undefined;
  const start = leaks.recordLines[record]!;
  const pair = leaks.pairs[lastAtOrBefore(leaks.pairs.length, (i) => leaks.pairs[i]!.line, start)];
  if (pair?.line !== start) return undefined;
  return { id: pair.id, text: `${escapeMarkdown(leakMatch(leaks, pair).text)} (${lineLink(leaks.referenceUri, pair.referenceLine)})${pair.kind === 'exact' ? ' · an exact copy' : ''}` };
}

/** The mapped record starting at or before `line` (records are in file order), and its map cluster. */
function mapHoverLine(mapped: MapClusters, line: number): { id: string; text: string } | undefined {
  const at = lastAtOrBefore(mapped.lines.length, (i) => mapped.lines[i] as number, line);
  if (at < 0) return undefined;
  const c = mapped.clusters[at] as number;
  return { id: mapped.ids[at] as string, text: c >= 0 ? `Embedding map: cluster ${c} · ${mapped.sizes.get(c) ?? 0} members` : 'Embedding map: outlier (noise)' };
}

export function registerHover(host: HostContext, service: DatasetService): void {
  host.connection.onHover((params): Hover | null => {
    const entry = service.find(params.textDocument.uri);
    const text = entry ? hoverText(entry, params.position.line) : undefined;
    return text ? { contents: { kind: MarkupKind.Markdown, value: text } } : null;
  });
}
