/**
 * Plain-text and JSONL readers, streamed (plain or gzip).
 *
 * Plain text: every line that holds something other than spaces/tabs is one record; blank lines
 * are skipped but keep their line numbers, and a record's id is its 0-based LINE index (not its
 * rank among records), so an id always names the line the user sees in the editor.
 * JSONL: every non-blank line is one JSON object. The text is `options.textField`, or by default
 * the first of the fields `text`, `sequence`, `content` holding a string in the first object
 * (then required in every object). The id is the `id` field (string or number) when present,
 * else the 0-based data-row index (blank lines not counted). Lines must be UTF-8.
 *
 * One bad line does not cost the others: a text line that is not UTF-8, or a JSONL line that is
 * not a JSON object with the text field, is skipped and listed in `summary.problems`; the other
 * lines are read (ids keep their data-row index). A file without any valid record throws the first
 * problem as a `ParseError`; so does a first JSONL object without any default text field.
 */
import { fileChunks, isBlank, readLines, type ByteSource } from './lines';
import { jsonErrorOffset, jsonErrorReason } from './jsonPosition';
import { addParseProblem, addWarning, checkLimit, firstProblemError, IdRegistry, newReadSummary, ParseError, type ReadOptions, type ReadSummary, type TextRecord } from './records';
import { decodeUtf8 } from './utf8';

/** Default text fields of a JSONL object, in order of preference. */
export const DEFAULT_TEXT_FIELDS = ['text', 'sequence', 'content'] as const;

/** Parses plain text (one record per non-blank line) from any byte source. */
export async function* parseTextLines(
  source: ByteSource,
  file: string,
  options: ReadOptions = {},
): AsyncGenerator<TextRecord, ReadSummary, undefined> {
  const limit = checkLimit(options.limit);
  const summary = options.summary ?? newReadSummary();
  let index = 0;
  for await (const batch of readLines(source, file)) {
    for (const { bytes, index: lineIndex } of batch) {
      if (isBlank(bytes)) continue;
      let text: string;
      try {
        text = decodeUtf8(bytes, file, lineIndex + 1, 'text line');
      } catch (err) {
        if (!(err instanceof ParseError)) throw err;
        addParseProblem(summary, err);
        continue;
      }
      summary.records++;
      yield { index: index++, id: String(lineIndex), text, startLine: lineIndex, endLine: lineIndex };
      if (index >= limit) return summary;
    }
  }
  if (index === 0) throw firstProblemError(summary) ?? new ParseError(file, 1, 1, 'no records (the file has no non-blank line)');
  return summary;
}

export interface JsonlReadOptions extends ReadOptions {
  /** The field holding the text; default: the first of `text`, `sequence`, `content` that holds a string. */
  textField?: string;
  /** A field holding the label (string or number). Objects without it are counted in `summary.unlabeled`. */
  labelField?: string;
}

/** 1-based column of `"name"` used as a key in `line`, else 1. */
function fieldColumn(line: string, name: string): number {
  const at = line.search(new RegExp(`${escapeRegExp(JSON.stringify(name))}\\s*:`));
  return at >= 0 ? at + 1 : 1;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

/** Parses JSONL (one JSON object per non-blank line) from any byte source. */
export async function* parseJsonl(
  source: ByteSource,
  file: string,
  options: JsonlReadOptions = {},
): AsyncGenerator<TextRecord, ReadSummary, undefined> {
  const limit = checkLimit(options.limit);
  const summary = options.summary ?? newReadSummary();
  const ids = new IdRegistry(file, options.duplicateIds ?? 'warn', summary, options.onWarning);
  let textField = options.textField;
  let index = 0;
  /** Data rows seen, the skipped ones too: the id of an object without an `id` field. */
  let dataRows = 0;
  /** One line's record and where its id is; a ParseError when the line is bad (it is then skipped). */
  const parseLine = (bytes: Uint8Array, lineIndex: number, dataRow: number): { record: TextRecord; idColumn: number; idField?: string } => {
    const lineNo = lineIndex + 1;
    const line = decodeUtf8(bytes, file, lineNo, 'JSON line');
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      const offset = jsonErrorOffset(line);
      throw new ParseError(file, lineNo, Math.max(0, offset) + 1, `invalid JSON: ${jsonErrorReason(e)}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const column = line.length - line.trimStart().length + 1;
      throw new ParseError(file, lineNo, column, `expected a JSON object, found ${typeName(value)}`);
    }
    // Own fields only: "constructor" or "toString" must not be found on the prototype.
    const obj = value as Record<string, unknown>;
    const own = (name: string): unknown => (Object.hasOwn(obj, name) ? obj[name] : undefined);
    if (textField === undefined) {
      textField = DEFAULT_TEXT_FIELDS.find((f) => typeof own(f) === 'string');
      if (textField === undefined) {
        const fields = Object.keys(obj);
        // Not one line's fault: without a text field no line can be read.
        throw new FileLevelError(
          file,
          lineNo,
          1,
          `no text field: none of ${DEFAULT_TEXT_FIELDS.map((f) => `"${f}"`).join(', ')} holds a string; ` +
            `the fields are ${fields.length > 0 ? fields.map((f) => `"${f}"`).join(', ') : '(none)'} — choose one with --text-field NAME (the textField option)`,
          DEFAULT_TEXT_FIELDS.join('|'),
        );
      }
    }
    if (!Object.hasOwn(obj, textField)) {
      throw new ParseError(file, lineNo, 1, `missing field "${textField}"`, textField);
    }
    const text = own(textField);
    if (typeof text !== 'string') {
      throw new ParseError(file, lineNo, fieldColumn(line, textField), `field "${textField}" is ${typeName(text)}, expected a string`, textField);
    }
    let id: string;
    let idColumn = 1;
    const hasId = Object.hasOwn(obj, 'id');
    if (hasId) {
      const raw = obj['id'];
      if (typeof raw !== 'string' && typeof raw !== 'number') {
        throw new ParseError(file, lineNo, fieldColumn(line, 'id'), `field "id" is ${typeName(raw)}, expected a string or a number`, 'id');
      }
      id = String(raw);
      idColumn = fieldColumn(line, 'id');
    } else {
      id = String(dataRow);
    }
    const record: TextRecord = { index, id, text, startLine: lineIndex, endLine: lineIndex };
    if (options.labelField !== undefined) {
      const label = own(options.labelField);
      if (typeof label === 'string' || typeof label === 'number') record.label = String(label);
      else {
        summary.unlabeled++;
        addWarning(summary, options.onWarning, 'no-label', file, lineNo, 1, `no string or number in label field "${options.labelField}"`);
      }
    }
    return { record, idColumn, ...(hasId ? { idField: 'id' } : {}) };
  };
  for await (const batch of readLines(source, file)) {
    for (const { bytes, index: lineIndex } of batch) {
      if (isBlank(bytes)) continue;
      let parsed: ReturnType<typeof parseLine>;
      try {
        parsed = parseLine(bytes, lineIndex, dataRows++);
      } catch (err) {
        if (!(err instanceof ParseError) || err instanceof FileLevelError) throw err;
        addParseProblem(summary, err);
        continue;
      }
      const { record } = parsed;
      ids.register(record.id, lineIndex + 1, parsed.idColumn, parsed.idField);
      index++;
      summary.records++;
      yield record;
      if (index >= limit) return summary;
    }
  }
  if (index === 0) throw firstProblemError(summary) ?? new ParseError(file, 1, 1, 'no records (the file has no non-blank line)');
  return summary;
}

/** A ParseError that is the file's, not one line's: the reader stops. */
class FileLevelError extends ParseError {}

/** Streams the lines of a text file as records. */
export function readTextLines(path: string, options: ReadOptions = {}): AsyncGenerator<TextRecord, ReadSummary, undefined> {
  return parseTextLines(fileChunks(path, options.onProgress), options.displayName ?? path, options);
}

/** Streams the objects of a JSONL file as records. */
export function readJsonl(path: string, options: JsonlReadOptions = {}): AsyncGenerator<TextRecord, ReadSummary, undefined> {
  return parseJsonl(fileChunks(path, options.onProgress), options.displayName ?? path, options);
}

/** Every line record of a text file (up to `limit`), and the summary. */
export async function readAllTextLines(path: string, options: ReadOptions = {}): Promise<{ records: TextRecord[]; summary: ReadSummary }> {
  const summary = options.summary ?? newReadSummary();
  const records: TextRecord[] = [];
  for await (const r of readTextLines(path, { ...options, summary })) records.push(r);
  return { records, summary };
}

/** Every record of a JSONL file (up to `limit`), and the summary. */
export async function readAllJsonl(path: string, options: JsonlReadOptions = {}): Promise<{ records: TextRecord[]; summary: ReadSummary }> {
  const summary = options.summary ?? newReadSummary();
  const records: TextRecord[] = [];
  for await (const r of readJsonl(path, { ...options, summary })) records.push(r);
  return { records, summary };
}
