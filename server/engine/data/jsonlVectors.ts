/**
 * JSONL whose objects carry a numeric array (embeddings, feature vectors), streamed (plain or gzip).
 *
 * The vector is `vectorField`, or by default the first of `vector`, `embedding`, `features`,
 * `values` that holds a non-empty array of numbers in the first object; every object must then
 * hold an array of finite numbers of the same length there. The id is `idField` (default `id`,
 * a string or number) when the object has it, else the 0-based data-row index; the label is
 * `labelField` (a string or number) when asked, objects without it counted as unlabeled.
 * Blank lines are skipped and keep their line numbers.
 */
import { jsonErrorOffset, jsonErrorReason } from './jsonPosition';
import { isBlank, readFileLines } from './lines';
import { addWarning, IdRegistry, ParseError, type DuplicateIdPolicy, type ReadSummary, type ReadWarning } from './records';
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

export async function readJsonlVectors(path: string, options: JsonlVectorReadOptions): Promise<JsonlVectorRead> {
  const { file, summary } = options;
  const ids = new IdRegistry(file, options.duplicateIds ?? 'warn', summary, options.onWarning);
  const idField = options.idField ?? 'id';
  let vectorField = options.vectorField;
  let buffer: RowBuffer | undefined;
  let firstLine = 0;
  const records: VectorRecord[] = [];
  let complete = true;
  const lines = readFileLines(path, file, options.onProgress);
  try {
    outer: for await (const batch of lines) {
      for (const { bytes, index: lineIndex } of batch) {
        if (isBlank(bytes)) continue;
        if (records.length >= options.limit) {
          complete = false;
          break outer;
        }
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
            throw new ParseError(
              file,
              lineNo,
              1,
              `no vector field: none of ${DEFAULT_VECTOR_FIELDS.map((f) => `"${f}"`).join(', ')} holds an array of numbers — choose one with --vector-field NAME (the vectorField option)`,
              DEFAULT_VECTOR_FIELDS.join('|'),
            );
          }
        }
        if (!Object.hasOwn(obj, vectorField)) throw new ParseError(file, lineNo, 1, `missing field "${vectorField}"`, vectorField);
        const vec = obj[vectorField];
        if (!Array.isArray(vec)) {
          throw new ParseError(file, lineNo, fieldColumn(line, vectorField), `field "${vectorField}" is ${typeName(vec)}, expected an array of numbers`, vectorField);
        }
        if (buffer === undefined) {
          if (vec.length === 0) throw new ParseError(file, lineNo, fieldColumn(line, vectorField), `field "${vectorField}" is an empty array`, vectorField);
          buffer = new RowBuffer(vec.length);
          firstLine = lineNo;
        }
        if (vec.length !== buffer.dim) {
          throw new ParseError(file, lineNo, fieldColumn(line, vectorField), `field "${vectorField}" has ${vec.length} numbers, expected ${buffer.dim} (as line ${firstLine})`, vectorField);
        }
        const row = buffer.push();
        for (let j = 0; j < vec.length; j++) {
          const x: unknown = vec[j];
          if (typeof x === 'number' && !Number.isFinite(x)) {
            // JSON has no infinity: a number such as 1e400 parses as Infinity (which JSON.stringify would print as null).
            throw new ParseError(file, lineNo, fieldColumn(line, vectorField), `field "${vectorField}" element ${j} is out of range: beyond ±1.8e308, the largest 64-bit floating-point number`, vectorField);
          }
          if (typeof x !== 'number') {
            throw new ParseError(file, lineNo, fieldColumn(line, vectorField), `field "${vectorField}" element ${j} is ${JSON.stringify(x) ?? typeName(x)}, expected a number`, vectorField);
          }
          row[j] = x;
        }
        const index = records.length;
        let id = String(index);
        if (Object.hasOwn(obj, idField)) {
          const raw = obj[idField];
          if (typeof raw !== 'string' && typeof raw !== 'number') {
            throw new ParseError(file, lineNo, fieldColumn(line, idField), `field "${idField}" is ${typeName(raw)}, expected a string or a number`, idField);
          }
          id = String(raw);
          ids.register(id, lineNo, fieldColumn(line, idField), idField);
        } else ids.register(id, lineNo, 1);
        const record: VectorRecord = { index, id, startLine: lineIndex, endLine: lineIndex };
        if (options.labelField !== undefined) {
          const raw = Object.hasOwn(obj, options.labelField) ? obj[options.labelField] : undefined;
          if (typeof raw === 'string' || typeof raw === 'number') record.label = String(raw);
          else if (raw === undefined || raw === null) {
            summary.unlabeled++;
            addWarning(summary, options.onWarning, 'no-label', file, lineNo, 1, `no label field "${options.labelField}"`);
          } else {
            throw new ParseError(file, lineNo, fieldColumn(line, options.labelField), `field "${options.labelField}" is ${typeName(raw)}, expected a string or a number`, options.labelField);
          }
        }
        records.push(record);
        summary.records++;
      }
    }
  } finally {
    await lines.return();
  }
  if (buffer === undefined || vectorField === undefined) throw new ParseError(file, 1, 1, 'no records (the file has no non-blank line)');
  return { vectorField, data: buffer.finish(), dim: buffer.dim, records, complete };
}
