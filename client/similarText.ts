/**
 * How a Find Similar result reads in the Similar Items view, apart from rendering (pure: tested
 * without VS Code). One measure the user can read per row — identity for sequences and text, with
 * the length difference apart (identity does not count end gaps; the edit distance does, so
 * "100 % identity · distance 163" read as a contradiction), a distance for numeric data, Jaccard
 * for whole files — the metric and the query named once in the view's heading, the line last (it
 * may be cut), the rest in the tooltip.
 */
import type { FindSimilarRequest } from '../server/protocol';

/** What one row shows: its label, the greyed text after it, and its tooltip. */
export interface SimilarRowText {
  label: string;
  description: string;
  tooltip: string;
}

/** The view's heading: `title` (short, beside the view's name) and `message` (a line over the rows). */
export interface SimilarHeadingText {
  title: string;
  message: string;
}

function pct(score: number): string {
  return `${(score * 100).toFixed(1)} %`;
}

function count(n: number, unit: string): string {
  // 'bases' → '1 base', 'characters' → '1 character'.
  return `${n.toLocaleString('en-US')} ${n === 1 ? unit.replace(/s$/u, '') : unit}`;
}

function round(d: number): string {
  return String(Number(d.toPrecision(4)));
}

/** "163 bases longer", "2 bases shorter", or undefined when the lengths are equal or unknown. */
export function lengthDifference(length: number | undefined, queryLength: number | undefined, unit: string): string | undefined {
  if (length === undefined || queryLength === undefined || length === queryLength) return undefined;
  return length > queryLength ? `${count(length - queryLength, unit)} longer` : `${count(queryLength - length, unit)} shorter`;
}

/** The query as the user knows it: its id and, for FASTA/FASTQ, its header's description. */
function queryName(result: FindSimilarRequest.Result): string {
  return result.queryDescription ? `${result.query} ${result.queryDescription}` : result.query;
}

export function similarHeading(result: FindSimilarRequest.Result): SimilarHeadingText {
  const title = `like ${result.query}`;
  if (result.kind === 'files') return { title, message: `Files like ${result.query}, by the Jaccard similarity of their k-mer sets (estimated).` };
  if (result.metric) return { title, message: `Records like ${queryName(result)}, by ${result.metric} distance (smaller is closer).` };
  const unit = result.unit ?? 'bases';
  const size = result.queryLength !== undefined ? ` (${count(result.queryLength, unit)})` : '';
  return { title, message: `Records like ${queryName(result)}${size}, by identity; a length difference is shown apart.` };
}

/** One row: `fsPath` is the item's file as the user's system writes it (the caller converts its URI). */
export function similarRow(result: FindSimilarRequest.Result, item: FindSimilarRequest.Item, fsPath: string): SimilarRowText {
  const line = item.range ? item.range.start.line + 1 : undefined;
  const where = line !== undefined ? `${fsPath}:${line}` : fsPath;
  if (result.kind === 'files') {
    return { label: item.recordId, description: `Jaccard ${item.score.toFixed(3)}`, tooltip: `${where}\nestimated Jaccard similarity of the two files' k-mer sets: ${item.score.toFixed(4)}` };
  }
  const named = item.description ? `${item.recordId} ${item.description}` : item.recordId;
  const at = line !== undefined ? [`line ${line}`] : [];
  if (result.metric) {
    return {
      label: item.recordId,
      description: [`distance ${round(item.distance)}`, ...(item.description ? [item.description] : []), ...at].join(' · '),
      tooltip: `${where}\n${named}\n${result.metric} distance ${round(item.distance)} · score ${round(item.score)}`,
    };
  }
  const unit = result.unit ?? 'bases';
  const longer = lengthDifference(item.length, result.queryLength, unit);
  const measures = [`${pct(item.score)} identity`, ...(longer ? [longer] : [])];
  const lengths = item.length !== undefined && result.queryLength !== undefined ? ` · ${count(item.length, unit)} (query ${count(result.queryLength, unit)})` : '';
  return {
    label: item.recordId,
    description: [...measures, ...(item.description ? [item.description] : []), ...at].join(' · '),
    tooltip: `${where}\n${named}\n${pct(item.score)} identity (end gaps not counted) · edit distance ${item.distance}${lengths}`,
  };
}
