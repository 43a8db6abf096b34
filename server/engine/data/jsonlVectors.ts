/**
 * JSONL whose objects carry a numeric array (embeddings, feature vectors), streamed (plain or gzip).
 *
 * The vector is `vectorField`, or by default the first of `vector`, `embedding`, `features`,
 * `values` that holds a non-empty array of numbers in the first object; every object must then
 * hold an array of finite numbers of the same length there. The id is `idField` (default `id`,
 * a string or number) when the object has it, else the 0-based data-row index; the label is
 * `labelField` (a string or number) when asked, objects without it counted as unlabeled.
 * Blank lines are skipped and keep their line numbers.
 * One bad line does not cost the others: a line that is not UTF-8, not a JSON object, or whose
 * vector, id or label is missing or of the wrong kind or length, is skipped and listed in
 * `summary.problems`; the other lines are read (ids keep their data-row index). The first valid
 * object decides the vector field and the length. A file without any valid line throws the first
 * problem as a `ParseError`; so does a first object without any default vector field.
 */
import { jsonErrorOffset, jsonErrorReason } from './jsonPosition';
import { isBlank, readFileLines } from './lines';
import { addParseProblem, addWarning, firstProblemError, IdRegistry, ParseError, type DuplicateIdPolicy, type ReadSummary, type ReadWarning } from './records';
import { decodeUtf8 } from './utf8';
import type { VectorRecord } from './vectors';
import { RowBuffer } from './vectorRows';

/** Default vector fields of a JSONL object, in order of preference. */
export const DEFAULT_VECTOR_FIELDS = ['vector', 'embedding', 'features', 'values'] as const;

export interface JsonlVectorReadOptions {
  file: string;
  limit: number;
  vectorField?: string;
  labelField?: string;
  idField?: string;
  summary: ReadSummary;
  duplicateIds?: DuplicateIdPolicy;
  onWarning?: (w: ReadWarning) => void;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export interface JsonlVectorRead {
  vectorField: string;
  data: Float32Array;
  dim: number;
  records: VectorRecord[];
  complete: boolean;
}

/** True for a non-empty array of finite numbers. */
export function isNumericArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/** The default vector field of a parsed JSONL object, or undefined. */
export function defaultVectorField(obj: Record<string, unknown>): string | undefined {
  return DEFAULT_VECTOR_FIELDS.find((f) => Object.hasOwn(obj, f) && isNumericArray(obj[f]));
}

/** 1-based column of `"name"` used as a key in `line`, else 1. */
function fieldColumn(line: string, name: string): number {
  const key = JSON.stringify(name);
  let at = line.indexOf(key);
  while (at >= 0) {
    if (/^\s*:/.test(line.slice(at + key.length))) return at + 1;
    at = line.indexOf(key, at + 1);
  }
  return 1;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

/** A ParseError that is the file's, not one line's: the reader stops. */
class FileLevelError extends ParseError {}

export async function readJsonlVectors(path: string, options: JsonlVectorReadOptions): Promise<JsonlVectorRead> {
  const { file, summary } = options;
  const ids = new IdRegistry(file, options.duplicateIds ?? 'warn', summary, options.onWarning);
  const idField = options.idField ?? 'id';
  let vectorField = options.vectorField;
  let buffer: RowBuffer | undefined;
  let firstLine = 0;
  const records: VectorRecord[] = [];
  let complete = true;
  /** Data rows seen, the skipped ones too: the id of an object without an id field. */
  let dataRows = 0;

  /** One line's record, its vector and where its id is; a ParseError when the line is bad (it is then skipped). */
  const parseLine = (bytes: Uint8Array, lineIndex: number, dataRow: number): { record: VectorRecord; values: number[]; idColumn: number; idField?: string } => {
    const lineNo = lineIndex + 1;
    const line = decodeUtf8(bytes, file, lineNo, 'JSON line');
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new ParseError(file, lineNo, Math.max(0, jsonErrorOffset(line)) + 1, `invalid JSON: ${jsonErrorReason(e)}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new ParseError(file, lineNo, line.length - line.trimStart().length + 1, `expected a JSON object, found ${typeName(value)}`);
    }
    const obj = value as Record<string, unknown>;
    if (vectorField === undefined) {
      vectorField = defaultVectorField(obj);
      if (vectorField === undefined) {
        // Not one line's fault: without a vector field no line can be read.
        throw new FileLevelError(
          file,
          lineNo,
          1,
          `no vector field: none of ${DEFAULT_VECTOR_FIELDS.map((f) => `"${f}"`).join(', ')} holds an array of numbers — choose one with --vector-field NAME (the vectorField option)`,
          DEFAULT_VECTOR_FIELDS.join('|'),
        );
      }
    }
    const field = vectorField;
    if (!Object.hasOwn(obj, field)) throw new ParseError(file, lineNo, 1, `missing field "${field}"`, field);
    const vec = obj[field];
    if (!Array.isArray(vec)) {
      throw new ParseError(file, lineNo, fieldColumn(line, field), `field "${field}" is ${typeName(vec)}, expected an array of numbers`, field);
    }
    if (buffer === undefined && vec.length === 0) throw new ParseError(file, lineNo, fieldColumn(line, field), `field "${field}" is an empty array`, field);
    if (buffer !== undefined && vec.length !== buffer.dim) {
      throw new ParseError(file, lineNo, fieldColumn(line, field), `field "${field}" has ${vec.length} numbers, expected ${buffer.dim} (as line ${firstLine})`, field);
    }
    for (let j = 0; j < vec.length; j++) {
      const x: unknown = vec[j];
      if (typeof x === 'number' && !Number.isFinite(x)) {
        // JSON has no infinity: a number such as 1e400 parses as Infinity (which JSON.stringify would print as null).
        throw new ParseError(file, lineNo, fieldColumn(line, field), `field "${field}" element ${j} is out of range: beyond ±1.8e308, the largest 64-bit floating-point number`, field);
      }
      if (typeof x !== 'number') {
        throw new ParseError(file, lineNo, fieldColumn(line, field), `field "${field}" element ${j} is ${JSON.stringify(x) ?? typeName(x)}, expected a number`, field);
      }
    }
    let id = String(dataRow);
    let idColumn = 1;
    const hasId = Object.hasOwn(obj, idField);
    if (hasId) {
      const raw = obj[idField];
      if (typeof raw !== 'string' && typeof raw !== 'number') {
        throw new ParseError(file, lineNo, fieldColumn(line, idField), `field "${idField}" is ${typeName(raw)}, expected a string or a number`, idField);
      }
      id = String(raw);
      idColumn = fieldColumn(line, idField);
    }
    const record: VectorRecord = { index: records.length, id, startLine: lineIndex, endLine: lineIndex };
    if (options.labelField !== undefined) {
      const raw = Object.hasOwn(obj, options.labelField) ? obj[options.labelField] : undefined;
      if (typeof raw === 'string' || typeof raw === 'number') record.label = String(raw);
      else if (raw !== undefined && raw !== null) {
        throw new ParseError(file, lineNo, fieldColumn(line, options.labelField), `field "${options.labelField}" is ${typeName(raw)}, expected a string or a number`, options.labelField);
      }
    }
    return { record, values: vec as number[], idColumn, ...(hasId ? { idField } : {}) };
  };

  const lines = readFileLines(path, file, options.onProgress);
  try {
    outer: for await (const batch of lines) {
      for (const { bytes, index: lineIndex } of batch) {
        if (isBlank(bytes)) continue;
        if (records.length >= options.limit) {
          complete = false;
          break outer;
        }
        let parsed: ReturnType<typeof parseLine>;
        try {
          parsed = parseLine(bytes, lineIndex, dataRows++);
        } catch (err) {
          if (!(err instanceof ParseError) || err instanceof FileLevelError) throw err;
          addParseProblem(summary, err);
          continue;
        }
        const { record, values } = parsed;
        const lineNo = lineIndex + 1;
        // Registered once the line is known good (a skipped line's id is not taken); 'error' policy: fatal.
        ids.register(record.id, lineNo, parsed.idColumn, parsed.idField);
        if (options.labelField !== undefined && record.label === undefined) {
          summary.unlabeled++;
          addWarning(summary, options.onWarning, 'no-label', file, lineNo, 1, `no label field "${options.labelField}"`);
        }
        if (buffer === undefined) {
          buffer = new RowBuffer(values.length);
          firstLine = lineNo;
        }
        buffer.push().set(values);
        records.push(record);
        summary.records++;
      }
    }
  } finally {
    await lines.return();
  }
  if (buffer === undefined || vectorField === undefined) throw firstProblemError(summary) ?? new ParseError(file, 1, 1, 'no records (the file has no non-blank line)');
  return { vectorField, data: buffer.finish(), dim: buffer.dim, records, complete };
}
