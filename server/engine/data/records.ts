/**
 * The common record model every dataset reader produces, the error every reader throws on
 * malformed input, and the warnings a reader collects for input that is odd but usable.
 *
 * Line numbers: records carry 0-based `startLine`/`endLine` (inclusive) so they map directly
 * onto LSP ranges; `ParseError` and `ReadWarning` carry 1-based `line`/`column` because they are
 * meant for people (`FILE:LINE:COL: what is wrong`, the format compilers and editors link).
 * Columns count UTF-16 code units of the decoded line, like an editor does.
 */

/** One sequence of a FASTA or FASTQ file. */
export interface SequenceRecord {
  /** 0-based position of the record in the file. */
  index: number;
  /** The first whitespace-separated word of the header (without '>' or '@'). */
  id: string;
  /** The whole header line after '>' or '@', as written (line ending removed). */
  header: string;
  /**
   * The residues as ASCII bytes, uppercased, gaps ('-', '.') dropped in FASTA (kept as 'N' in
   * FASTQ, where each base has a quality). Ambiguity codes such as N are KEPT: the k-mer helpers
   * in `nucleotides.ts` skip every k-mer that contains a non-ACGT base, so a run of N never makes
   * two sequences look alike. In a nucleotide record `U` is rewritten to `T` (RNA reads like DNA);
   * a record with letters outside the IUPAC nucleotide codes is left as read (protein / generic).
   */
  sequence: Uint8Array;
  /** FASTQ only: the quality string (Phred+33 ASCII), same length as `sequence`. */
  quality?: string;
  /** 0-based first line of the record (its header). */
  startLine: number;
  /** 0-based last line of the record, inclusive (its last sequence or quality line). */
  endLine: number;
  label?: string;
}

/** One record of a plain-text (one per line) or JSONL file. */
export interface TextRecord {
  /** 0-based position of the record among the records of the file. */
  index: number;
  /** Text lines: the 0-based line index. JSONL: the `id` field when present, else the 0-based data-row index. */
  id: string;
  text: string;
  startLine: number;
  endLine: number;
  label?: string;
}

/** What a sequence file's residues look like. */
export type SequenceAlphabet = 'nucleotide' | 'protein';

/**
 * Reader options that do not fit the file (header labels on a text file, two label sources, a bad
 * label regex): bad usage, not a failure — the command line exits 2, the host answers InvalidParams.
 */
export class DatasetOptionError extends Error {
  override readonly name = 'DatasetOptionError';
}

/** Malformed input: names the file, the 1-based line and column, and (when it applies) the field. */
export class ParseError extends Error {
  override readonly name = 'ParseError';
  /** The file as the caller named it (the path given to the reader, or its `displayName`). */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column (UTF-16 code units of the decoded line; byte column in a line that is not valid UTF-8). */
  readonly column: number;
  /** The field at fault (JSONL field name, labels file, ...), when there is one. */
  readonly field?: string;
  /** The message without the `FILE:LINE:COL: ` prefix. */
  readonly reason: string;

  constructor(file: string, line: number, column: number, reason: string, field?: string) {
    super(`${file}:${line}:${column}: ${reason}`);
    this.file = file;
    this.line = line;
    this.column = column;
    this.reason = reason;
    if (field !== undefined) this.field = field;
  }
}

export type WarningCode =
  | 'duplicate-id'
  | 'empty-sequence'
  | 'non-nucleotide'
  | 'no-label'
  /** Numeric readers: a table column that is not numeric (skipped), a file in an image folder that is not an image. */
  | 'skipped-column'
  | 'skipped-file'
  /** Image readers: an image brought to the dataset's common size. */
  | 'resized';

/** Input that is odd but usable. Same coordinates as `ParseError`. */
export interface ReadWarning {
  code: WarningCode;
  file: string;
  line: number;
  column: number;
  /** `FILE:LINE:COL: what is odd`. */
  message: string;
}

/** At most this many warnings of one code are kept; the rest are only counted. */
export const MAX_WARNINGS_PER_CODE = 20;

/**
 * What a reader found, filled in while it streams. Pass one in `options.summary` to see it after
 * a `for await` loop; the `readAll…` helpers and `readDataset` return it.
 */
export interface ReadSummary {
  /** Records yielded. */
  records: number;
  /** Kept warnings: the first `MAX_WARNINGS_PER_CODE` of each code. */
  warnings: ReadWarning[];
  /** Every warning, counted by code (including the ones not kept). */
  warningCounts: Partial<Record<WarningCode, number>>;
  /** Sequence readers: 'protein' as soon as one record has a letter outside the IUPAC nucleotide codes. */
  alphabet?: SequenceAlphabet;
  /** Records for which a label was asked (label field / regex / JSONL label field) but none was found. */
  unlabeled: number;
  /** Records whose id had already been seen. */
  duplicateIds: number;
  /**
   * Located problems of single records, for the editor's diagnostics and the CLI's error list:
   * record-level errors (the record or row was skipped, the others were read) and the warnings
   * about one record's content (an empty sequence, a duplicate id). At most `MAX_PROBLEMS`; when
   * there are more, the last entry says how many were cut.
   */
  problems: ReadProblem[];
  /** Every record-level error, counted (also the ones cut from `problems`): 0 when the input was clean. */
  errors: number;
  /** Set once problems were cut: how many, and the message of the first cut. */
  problemsCut?: { count: number; first: string };
}

/** One located problem of a file. Coordinates as `ParseError` (1-based line and column). */
export interface ReadProblem {
  /** The file as the reader names it (as `ParseError.file`). */
  file: string;
  line: number;
  column: number;
  /** What is wrong, without the `FILE:LINE:COL: ` prefix. */
  message: string;
  /** 'error': the record was skipped; 'warning': the record was read but looks wrong. */
  severity: 'error' | 'warning';
  /** The field at fault, as `ParseError.field`. */
  field?: string;
}

/** At most this many problems are listed; the last listed one then says how many more there are. */
export const MAX_PROBLEMS = 100;

/** Warnings that are about one record's content, so they are also listed as problems (diagnostics). */
const PROBLEM_WARNINGS: ReadonlySet<WarningCode> = new Set<WarningCode>(['empty-sequence', 'duplicate-id']);

export function newReadSummary(): ReadSummary {
  return { records: 0, warnings: [], warningCounts: {}, unlabeled: 0, duplicateIds: 0, problems: [], errors: 0 };
}

/**
 * Lists a problem in the summary. Past `MAX_PROBLEMS` the last entry becomes a note, placed at the
 * first problem not listed, that counts the problems cut (an error when any cut one is).
 */
export function addProblem(summary: ReadSummary, problem: ReadProblem): void {
  if (problem.severity === 'error') summary.errors++;
  const list = summary.problems;
  if (list.length < MAX_PROBLEMS) {
    list.push(problem);
    return;
  }
  if (summary.problemsCut === undefined) {
    // The entry that was last is the first one cut: the note takes its place and its position.
    const first = list[MAX_PROBLEMS - 1]!;
    summary.problemsCut = { count: 1, first: first.message };
    list[MAX_PROBLEMS - 1] = { ...first };
  }
  const cut = summary.problemsCut;
  cut.count++;
  const note = list[MAX_PROBLEMS - 1]!;
  if (problem.severity === 'error') note.severity = 'error';
  note.message = `${cut.count} more problems not listed (the list stops at ${MAX_PROBLEMS}); the first: ${cut.first}`;
}

/** A record-level `ParseError` (the record is skipped) as an error problem. */
export function addParseProblem(summary: ReadSummary, error: ParseError): void {
  addProblem(summary, { file: error.file, line: error.line, column: error.column, message: error.reason, severity: 'error', ...(error.field !== undefined ? { field: error.field } : {}) });
}

/**
 * What a read does with a bad record: 'skip' (default) lists it in `summary.problems` and keeps the
 * others usable (the editor); 'fail' throws once the whole file is read, every error listed (the
 * command line, whose contract is exit 2 on bad input).
 */
export type BadRecordPolicy = 'skip' | 'fail';

/**
 * Throws when the read skipped any record: a `ParseError` at the first error whose message goes on
 * with one `FILE:LINE:COL: what` line per further problem listed (warnings included, marked so).
 */
export function throwIfRecordErrors(summary: ReadSummary): void {
  if (summary.errors === 0) return;
  const first = summary.problems.find((p) => p.severity === 'error')!;
  const rest = summary.problems
    .filter((p) => p !== first)
    .map((p) => `\n${p.file}:${p.line}:${p.column}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`);
  const total = summary.errors > 1 ? ` (${summary.errors} errors)` : '';
  throw new ParseError(first.file, first.line, first.column, `${first.message}${total}${rest.join('')}`, first.field);
}

/** The first listed error, as a `ParseError` (a reader that found no valid record throws it). */
export function firstProblemError(summary: ReadSummary): ParseError | undefined {
  const p = summary.problems.find((q) => q.severity === 'error');
  return p && new ParseError(p.file, p.line, p.column, p.message, p.field);
}

/** Records a warning in a summary (kept or only counted) and passes it to `onWarning`. */
export function addWarning(
  summary: ReadSummary,
  onWarning: ((w: ReadWarning) => void) | undefined,
  code: WarningCode,
  file: string,
  line: number,
  column: number,
  what: string,
): void {
  const warning: ReadWarning = { code, file, line, column, message: `${file}:${line}:${column}: ${what}` };
  const count = (summary.warningCounts[code] ?? 0) + 1;
  summary.warningCounts[code] = count;
  if (count <= MAX_WARNINGS_PER_CODE) summary.warnings.push(warning);
  if (PROBLEM_WARNINGS.has(code)) addProblem(summary, { file, line, column, message: what, severity: 'warning' });
  onWarning?.(warning);
}

/** How a reader treats an id it has already seen. */
export type DuplicateIdPolicy = 'warn' | 'error';

/** Options every streaming reader takes. */
export interface ReadOptions {
  /** Stop after this many records (a positive integer); the rest of the file is not read. */
  limit?: number;
  /** Filled in while reading; see `ReadSummary`. */
  summary?: ReadSummary;
  /** Called for every warning (also the ones not kept in the summary). */
  onWarning?: (warning: ReadWarning) => void;
  /**
   * Duplicate ids: 'warn' (default) keeps both records — each still has its own `index` and
   * range — and adds a 'duplicate-id' warning naming the first occurrence; 'error' throws.
   */
  duplicateIds?: DuplicateIdPolicy;
  /** The file name used in errors and warnings; default: the path given. */
  displayName?: string;
  /** Called as the file is read: bytes read from disk so far (compressed bytes for .gz) and the file size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return Number.POSITIVE_INFINITY;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  return limit;
}

/** Tracks ids already seen, applying the duplicate-id policy. */
export class IdRegistry {
  private readonly firstLine = new Map<string, number>();

  constructor(
    private readonly file: string,
    private readonly policy: DuplicateIdPolicy,
    private readonly summary: ReadSummary,
    private readonly onWarning: ((w: ReadWarning) => void) | undefined,
  ) {}

  /** `line` 1-based, the line that carries the id. */
  register(id: string, line: number, column: number, field?: string): void {
    const first = this.firstLine.get(id);
    if (first === undefined) {
      this.firstLine.set(id, line);
      return;
    }
    const what = `duplicate id '${id}' (first seen at line ${first})`;
    if (this.policy === 'error') throw new ParseError(this.file, line, column, what, field);
    this.summary.duplicateIds++;
    addWarning(this.summary, this.onWarning, 'duplicate-id', this.file, line, column, what);
  }
}
