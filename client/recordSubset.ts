/**
 * The text of a new dataset made of some records of an existing one: the source's leading lines
 * (a table's header) and each selected record's lines, in file order, with the source's line
 * endings. Pure: the Embedding Map panel reads the source and writes the result elsewhere — the
 * source file itself is never written.
 */
import path from 'node:path';
import type { Range } from '../server/protocol';

/** The 0-based lines a record spans: an end at character 0 of a later line stops before that line. */
export function recordLines(range: Range): { first: number; last: number } {
  const first = range.start.line;
  const last = range.end.character === 0 && range.end.line > first ? range.end.line - 1 : range.end.line;
  return { first, last };
}

/**
 * `headerLines` leading lines, then the union of the ranges' lines in file order (a line selected
 * twice is written once). A range past the end of the text means the file changed since the map
 * was made: an error naming the line, rather than a silently shorter dataset.
 */
export function extractRecords(text: string, ranges: readonly Range[], headerLines: number, sourceName: string): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/u);
  // A final newline leaves one empty string after it: not a line of the file.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (headerLines > lines.length) throw new Error(`${sourceName}: the header is ${headerLines} lines but the file has ${lines.length}`);
  const spans = ranges.map(recordLines).sort((a, b) => a.first - b.first || a.last - b.last);
  const out: string[] = lines.slice(0, headerLines);
  let next = headerLines; // first line not yet written
  for (const { first, last } of spans) {
    if (first < 0 || last < first) throw new Error(`${sourceName}: bad record range ${first + 1}–${last + 1}`);
    if (last >= lines.length) throw new Error(`${sourceName}:${last + 1}: the record reaches past the end of the file (${lines.length} lines); was the file changed since the map was made?`);
    for (let l = Math.max(first, next); l <= last; l++) out.push(lines[l]!);
    next = Math.max(next, last + 1);
  }
  return out.length ? out.join(eol) + eol : '';
}

/** Where a record file goes in the new dataset folder: its path under the dataset folder (class folders stay), else its name. */
export function relativeRecordPath(datasetFolder: string, file: string): string {
  const rel = path.posix.relative(datasetFolder, file);
  return rel === '' || rel.startsWith('..') || path.posix.isAbsolute(rel) ? path.posix.basename(file) : rel;
}

/** Where a map's record lives: its lines in a text file, or a file of its own. */
export interface RecordLocation {
  uri: string;
  range?: { start: { line: number; character: number }; end: { line: number; character: number } };
}

/**
 * How a map's records can be saved as a new dataset, decided per dataset kind from where its
 * records live: `lines` (FASTA/FASTQ, tables, JSONL, text: each record has its lines), `files`
 * (image and volume folders: each record is a file), or undefined when neither works (IDX and
 * `.npy`: rows of one binary array, no lines and no files of their own) — then *Save as
 * dataset…* is not offered at all, rather than offered and failing.
 */
export function saveModeOf(records: readonly RecordLocation[], datasetUri: string): 'lines' | 'files' | undefined {
  if (records.length === 0) return undefined;
  if (records.every((r) => r.range !== undefined)) return 'lines';
  if (records.every((r) => r.range === undefined && r.uri !== datasetUri)) return 'files';
  return undefined;
}

/** The confirmation of a save: what it says and the buttons that open the new dataset. */
export function savedConfirmation(count: number, targetName: string, mode: 'lines' | 'files'): { message: string; actions: string[] } {
  const what = mode === 'files' ? `${count.toLocaleString('en-US')} ${count === 1 ? 'file' : 'files'}` : `${count.toLocaleString('en-US')} ${count === 1 ? 'record' : 'records'}`;
  return {
    message: `Similarity Lab: saved ${what} as a new dataset, ${targetName}.`,
    actions: mode === 'files' ? ['Reveal in Explorer', 'Open First File'] : ['Open'],
  };
}
