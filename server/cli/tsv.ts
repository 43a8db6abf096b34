/**
 * Text fields in the command line's TSV output. Record ids come from the data, and CSV and JSONL
 * ids may hold a tab or a line break, which would split a row. Fields are written with backslash
 * escapes — `\t` tab, `\n` line feed, `\r` carriage return, `\\` backslash (README, "Command
 * line") — and the readers of our TSV (eval --clusters) undo them.
 */

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const UNESCAPES: Record<string, string> = { '\\': '\\', t: '\t', n: '\n', r: '\r' };

/** One TSV field: backslash, tab, line feed and carriage return escaped. */
export function tsvField(text: string): string {
  return text.replace(/[\\\t\n\r]/gu, (c) => ESCAPES[c] as string);
}

/** The text of a field written by {@link tsvField}; a backslash before any other character stays as it is. */
export function tsvUnescape(field: string): string {
  return field.replace(/\\([\\tnr])/gu, (_, c: string) => UNESCAPES[c] as string);
}
