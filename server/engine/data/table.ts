/**
 * CSV and TSV tables of numbers, streamed (plain or gzip), one record per data row.
 *
 * Layouts, decided from the first two rows:
 * - sklearn (`load_iris` & co.): the first line is `n_samples,n_features,class names…` and every
 *   data row has `n_features + 1` fields, the last the 0-based class index. The label is the class
 *   NAME from that line; the row count must equal `n_samples` (unless `limit` stopped reading).
 *   Detected when the first two fields are integers, the second row has `n_features + 1` fields,
 *   and the first line is not itself such a data row (other length, or a non-numeric name).
 * - header: a first line with a field that is not a number names the columns.
 * - headerless: every field of the first line is a number; columns are named by their 0-based
 *   index ("0", "1", …), so `labelColumn: "64"` and `labelColumn: 64` mean the same column.
 *
 * Columns: the label column is `labelColumn` (a name, or a 0-based index, negative counting from
 * the end), else a header column named `label` or `class` (any case), else none. The id column is
 * `idField` (a name) or a header column named `id` (any case); without one a record's id is its
 * 0-based data-row index. Every other column is numeric when its cell in the first data row is a
 * number, and then must be a number in every row (a missing value — empty, NaN, NA, null, None —
 * or text is an error naming line, column and column name); a column whose first cell is text
 * is skipped with a 'skipped-column' warning. The numeric columns, in file order, form the vector.
 *
 * One bad row does not cost the others: a data row after the first with the wrong number of
 * fields, a cell that is not a number, an empty id or an unknown class is skipped and listed in
 * `summary.problems` (its line, column and what is wrong); the other rows are read. Ids without an
 * id column stay the row's data-row index, so the rows after a skipped one keep theirs. What is
 * wrong with the table as a whole (no rows, the first data row, the sklearn sample count, quoting,
 * a table without a valid row) is a `ParseError`.
 *
 * Fields: RFC 4180 quoting (`"a,b"`, `""` for a quote, a quoted field may span lines); unquoted
 * fields are trimmed of spaces. Blank lines are skipped (they keep their line numbers). Every row
 * must have as many fields as the first. Records carry their 0-based start and end lines.
 */
import { readFileLines, isBlank } from './lines';
import { addParseProblem, addWarning, DatasetOptionError, firstProblemError, IdRegistry, ParseError, type DuplicateIdPolicy, type ReadSummary, type ReadWarning } from './records';
import { decodeUtf8 } from './utf8';
import type { VectorRecord } from './vectors';
import { RowBuffer } from './vectorRows';

export interface TableReadOptions {
  /** The name used in errors. */
  file: string;
  delimiter: ',' | '\t';
  /** Stop after this many records (Infinity: all). */
  limit: number;
  labelColumn?: string | number;
  idField?: string;
  summary: ReadSummary;
  duplicateIds?: DuplicateIdPolicy;
  onWarning?: (w: ReadWarning) => void;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export interface TableRead {
  layout: 'sklearn' | 'header' | 'headerless';
  /** Names of the numeric columns forming the vector. */
  columns: string[];
  data: Float32Array;
  dim: number;
  records: VectorRecord[];
  /** False when `limit` stopped reading before the end of the file. */
  complete: boolean;
}

/** One row of the table: its fields and where each starts. */
interface Row {
  fields: string[];
  /** 0-based offset of each field in `text`. */
  starts: number[];
  text: string;
  /** 0-based line of the row's first line. */
  startLine: number;
  endLine: number;
  /** Offsets in `text` where each line of a multi-line row starts (first is 0). */
  lineStarts: number[];
}

/** 1-based line and column of an offset in a row. */
function place(row: Row, offset: number): [number, number] {
  let k = row.lineStarts.length - 1;
  while (k > 0 && row.lineStarts[k]! > offset) k--;
  return [row.startLine + k + 1, offset - row.lineStarts[k]! + 1];
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const MISSING = new Set(['', 'nan', 'na', 'n/a', 'null', 'none']);

/** The number a cell holds, or undefined. Strict: no hex, no Infinity, no empty cell. */
export function parseCell(cell: string): number | undefined {
  const t = cell.trim();
  if (!NUMBER.test(t)) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

/**
 * Splits the text of a row into fields. Returns undefined when a quoted field is still open at
 * the end (the row goes on on the next line). Throws on text after a closing quote.
 */
function splitFields(text: string, delimiter: string, onBadQuote: (offset: number) => never): { fields: string[]; starts: number[] } | undefined {
  const fields: string[] = [];
  const starts: number[] = [];
  if (!text.includes('"')) {
    let from = 0;
    for (;;) {
      const at = text.indexOf(delimiter, from);
      const end = at < 0 ? text.length : at;
      const raw = text.slice(from, end);
      const lead = raw.length - raw.trimStart().length;
      fields.push(raw.trim());
      starts.push(from + (lead < raw.length ? lead : 0));
      if (at < 0) break;
      from = at + 1;
    }
    return { fields, starts };
  }
  let i = 0;
  const n = text.length;
  for (;;) {
    let j = i;
    while (j < n && text[j] === ' ') j++;
    if (text[j] === '"') {
      starts.push(j);
      let value = '';
      let k = j + 1;
      for (;;) {
        const q = text.indexOf('"', k);
        if (q < 0) return undefined;
        value += text.slice(k, q);
        if (text[q + 1] === '"') {
          value += '"';
          k = q + 2;
          continue;
        }
        k = q + 1;
        break;
      }
      while (k < n && text[k] === ' ') k++;
      fields.push(value);
      if (k >= n) break;
      if (text[k] !== delimiter) onBadQuote(k);
      i = k + 1;
    } else {
      const at = text.indexOf(delimiter, i);
      const end = at < 0 ? n : at;
      const raw = text.slice(i, end);
      fields.push(raw.trim());
      starts.push(j < end ? j : i);
      if (at < 0) break;
      i = at + 1;
    }
  }
  return { fields, starts };
}

/** Rows of a delimited file, streamed; quoted fields may span lines. */
async function* readRows(path: string, options: TableReadOptions): AsyncGenerator<Row, void, undefined> {
  const { file, delimiter } = options;
  let pending: { text: string; startLine: number; lineStarts: number[] } | undefined;
  for await (const batch of readFileLines(path, file, options.onProgress)) {
    for (const { bytes, index } of batch) {
      if (pending === undefined && isBlank(bytes)) continue;
      const line = decodeUtf8(bytes, file, index + 1, 'table row');
      const text = pending === undefined ? line : `${pending.text}\n${line}`;
      const lineStarts = pending === undefined ? [0] : [...pending.lineStarts, pending.text.length + 1];
      const startLine = pending?.startLine ?? index;
      const partial: Row = { fields: [], starts: [], text, startLine, endLine: index, lineStarts };
      const split = splitFields(text, delimiter, (offset) => {
        const [l, c] = place(partial, offset);
        throw new ParseError(file, l, c, 'unexpected text after a closing quote (a quote inside a quoted field is written "")');
      });
      if (split === undefined) {
        pending = { text, startLine, lineStarts };
        continue;
      }
      pending = undefined;
      yield { ...partial, fields: split.fields, starts: split.starts };
    }
  }
  if (pending !== undefined) {
    throw new ParseError(file, pending.startLine + 1, 1, 'unterminated quoted field: the file ends inside quotes');
  }
}

const nonNegativeInt = (s: string): number | undefined => (/^\d+$/.test(s.trim()) ? Number(s.trim()) : undefined);

/** The column a `labelColumn` option names: a header name first, else a 0-based index (negative from the end). */
export function resolveColumn(spec: string | number, names: readonly string[], file: string, what: string): number {
  if (typeof spec === 'string') {
    const byName = names.indexOf(spec);
    if (byName >= 0) return byName;
    if (!/^-?\d+$/.test(spec.trim())) {
      throw new DatasetOptionError(`${what} "${spec}": no such column in ${file} (columns: ${names.map((n) => `"${n}"`).join(', ')})`);
    }
    spec = Number(spec.trim());
  }
  if (!Number.isInteger(spec)) throw new DatasetOptionError(`${what} ${spec}: not an integer`);
  const index = spec < 0 ? names.length + spec : spec;
  if (index < 0 || index >= names.length) throw new DatasetOptionError(`${what} ${spec}: ${file} has ${names.length} columns (0 to ${names.length - 1}, or -1 to -${names.length})`);
  return index;
}

/** Reads a CSV/TSV table of numbers. Usage errors throw `DatasetOptionError`, malformed input `ParseError`. */
export async function readTable(path: string, options: TableReadOptions): Promise<TableRead> {
  const { file, summary } = options;
  const ids = new IdRegistry(file, options.duplicateIds ?? 'warn', summary, options.onWarning);
  const rows = readRows(path, options);
  try {
    return await readRowsInto(rows, options, ids);
  } finally {
    // Also on a ParseError thrown between rows: close the file.
    await rows.return();
  }
}

async function readRowsInto(rows: AsyncGenerator<Row, void, undefined>, options: TableReadOptions, ids: IdRegistry): Promise<TableRead> {
  const { file, summary } = options;
  const first = await rows.next();
  if (first.done) throw new ParseError(file, 1, 1, 'no rows (the file is empty)');
  const second = await rows.next();
  const row1 = first.value;
  const row2 = second.done ? undefined : second.value;

  // Layout.
  let layout: TableRead['layout'];
  let names: string[];
  let classNames: string[] | undefined;
  let nSamples = 0;
  const row1Numeric = row1.fields.map((f) => parseCell(f) !== undefined);
  const n0 = nonNegativeInt(row1.fields[0] ?? '');
  const n1 = nonNegativeInt(row1.fields[1] ?? '');
  if (
    n0 !== undefined &&
    n1 !== undefined &&
    row1.fields.length >= 3 &&
    row2 !== undefined &&
    row2.fields.length === n1 + 1 &&
    (row1.fields.length !== n1 + 1 || row1Numeric.slice(2).some((x) => !x))
  ) {
    layout = 'sklearn';
    nSamples = n0;
    classNames = row1.fields.slice(2);
    names = Array.from({ length: n1 + 1 }, (_, i) => String(i));
  } else if (row1Numeric.every((x) => x)) {
    layout = 'headerless';
    names = row1.fields.map((_, i) => String(i));
  } else {
    layout = 'header';
    names = row1.fields.map((f, i) => (f === '' ? String(i) : f));
  }

  // Label and id columns.
  let labelIndex = -1;
  let idIndex = -1;
  if (layout === 'sklearn') {
    if (options.labelColumn !== undefined && resolveColumn(options.labelColumn, names, file, 'labelColumn') !== names.length - 1) {
      throw new DatasetOptionError(`${file} has the sklearn layout (first line "${row1.text}"): its class is the last column; labelColumn cannot choose another`);
    }
    if (options.idField !== undefined) throw new DatasetOptionError(`${file} has the sklearn layout: it has no id column`);
    labelIndex = names.length - 1;
  } else {
    if (options.labelColumn !== undefined) labelIndex = resolveColumn(options.labelColumn, names, file, 'labelColumn');
    else if (layout === 'header') labelIndex = names.findIndex((n) => /^(label|class)$/i.test(n));
    if (options.idField !== undefined) {
      idIndex = names.indexOf(options.idField);
      if (idIndex < 0) throw new DatasetOptionError(`idField "${options.idField}": no such column in ${file} (columns: ${names.map((n) => `"${n}"`).join(', ')})`);
    } else if (layout === 'header') idIndex = names.findIndex((n) => /^id$/i.test(n));
    if (idIndex >= 0 && idIndex === labelIndex) throw new DatasetOptionError(`${file}: the column "${names[idIndex]}" cannot be both the id and the label`);
  }

  const width = names.length;
  const checkWidth = (row: Row): void => {
    if (row.fields.length === width) return;
    const expected = `expected ${width} (as ${layout === 'header' ? 'the header' : `line ${row1.startLine + 1}`})`;
    if (row.fields.length > width) {
      const [l, c] = place(row, row.starts[width]!);
      throw new ParseError(file, l, c, `row has ${row.fields.length} fields, ${expected}`);
    }
    const [l, c] = place(row, row.text.length);
    throw new ParseError(file, l, c, `row has ${row.fields.length} fields, ${expected}`, names[row.fields.length]);
  };
  const cellError = (row: Row, k: number, reason: string): ParseError => {
    const [l, c] = place(row, row.starts[k]!);
    return new ParseError(file, l, c, reason, names[k]);
  };

  // Which columns form the vector: decided by the first data row.
  const firstData = layout === 'headerless' ? row1 : row2;
  if (firstData === undefined) throw new ParseError(file, row1.endLine + 2, 1, 'no data rows (only a header line)');
  checkWidth(firstData);
  const numeric: number[] = [];
  for (let k = 0; k < width; k++) {
    if (k === labelIndex || k === idIndex) continue;
    const cell = firstData.fields[k]!;
    if (parseCell(cell) !== undefined) numeric.push(k);
    else if (MISSING.has(cell.trim().toLowerCase())) throw cellError(firstData, k, `missing value ${cell.trim() === '' ? '(empty cell)' : `"${cell.trim()}"`} in column "${names[k]}"`);
    else {
      const [l, c] = place(firstData, firstData.starts[k]!);
      addWarning(summary, options.onWarning, 'skipped-column', file, l, c, `column "${names[k]}" is not numeric (first value "${cell}"): skipped`);
    }
  }
  if (numeric.length === 0) throw new ParseError(file, firstData.startLine + 1, 1, 'no numeric column: nothing to form a vector from');

  const dim = numeric.length;
  const buffer = new RowBuffer(dim);
  const records: VectorRecord[] = [];
  let complete = true;

  /** Data rows seen, the skipped ones too: a row's id without an id column, and the sklearn sample count. */
  let dataRows = 0;
  const scratch = new Float32Array(dim);
  const addRow = (row: Row): void => {
    const dataRow = dataRows++;
    if (layout === 'sklearn' && dataRow >= nSamples) {
      throw new ParseError(file, row.startLine + 1, 1, `more rows than the ${nSamples} samples the first line announces`);
    }
    let record: VectorRecord;
    try {
      record = parseRow(row, dataRow);
    } catch (err) {
      // The first data row decides the columns: a fault there is the table's, not one row's.
      if (!(err instanceof ParseError) || row === firstData) throw err;
      addParseProblem(summary, err);
      return;
    }
    // Registered once the row is known good (a skipped row's id is not taken); 'error' policy: fatal.
    const [idLine, idColumn] = place(row, row.starts[Math.max(0, idIndex)]!);
    ids.register(record.id, idLine, idColumn, idIndex >= 0 ? names[idIndex] : undefined);
    buffer.push().set(scratch);
    records.push(record);
    summary.records++;
  };
  /** A row's record, its values in `scratch`; a ParseError when the row is bad. */
  const parseRow = (row: Row, dataRow: number): VectorRecord => {
    checkWidth(row);
    const index = records.length;
    const values = scratch;
    for (let j = 0; j < dim; j++) {
      const k = numeric[j]!;
      const cell = row.fields[k]!;
      const v = parseCell(cell);
      if (v === undefined) {
        const t = cell.trim();
        throw cellError(row, k, MISSING.has(t.toLowerCase()) ? `missing value ${t === '' ? '(empty cell)' : `"${t}"`} in column "${names[k]}"` : `"${t}" in column "${names[k]}" is not a number`);
      }
      values[j] = v;
    }
    let id = String(dataRow);
    if (idIndex >= 0) {
      id = row.fields[idIndex]!;
      if (id === '') throw cellError(row, idIndex, `empty id in column "${names[idIndex]}"`);
    }
    const record: VectorRecord = { index, id, startLine: row.startLine, endLine: row.endLine };
    if (labelIndex >= 0) {
      const cell = row.fields[labelIndex]!;
      if (classNames !== undefined) {
        const c = nonNegativeInt(cell);
        if (c === undefined || c >= classNames.length) {
          throw cellError(row, labelIndex, `class "${cell}" is not an index of the ${classNames.length} classes of the first line (0 to ${classNames.length - 1})`);
        }
        record.label = classNames[c]!;
      } else if (cell === '') {
        summary.unlabeled++;
        const [l, c] = place(row, row.starts[labelIndex]!);
        addWarning(summary, options.onWarning, 'no-label', file, l, c, `empty label in column "${names[labelIndex]}"`);
      } else record.label = cell;
    }
    return record;
  };

  let lastLine = row1.endLine;
  const pendingRows = layout === 'headerless' ? [row1, ...(row2 ? [row2] : [])] : row2 ? [row2] : [];
  for (const row of pendingRows) {
    if (records.length >= options.limit) {
      complete = false;
      break;
    }
    addRow(row);
    lastLine = row.endLine;
  }
  if (complete && !second.done) {
    for await (const row of rows) {
      if (records.length >= options.limit) {
        complete = false;
        break;
      }
      addRow(row);
      lastLine = row.endLine;
    }
  }
  if (layout === 'sklearn' && complete && dataRows !== nSamples) {
    throw new ParseError(file, lastLine + 2, 1, `the first line announces ${nSamples} samples, the file has ${dataRows} rows`);
  }
  if (records.length === 0) throw firstProblemError(summary) ?? new ParseError(file, lastLine + 2, 1, 'no valid data rows');
  return { layout, columns: numeric.map((k) => names[k]!), data: buffer.finish(), dim, records, complete };
}
