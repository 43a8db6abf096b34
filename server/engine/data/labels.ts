/**
 * Where record labels come from for sequence files: a header word (`--label-field N`), a header
 * regex (`--label-regex RE`), or a labels file with one label per line (`--labels FILE`).
 *
 * Header words are the header split on whitespace (spaces and tabs); word 1 is the id word —
 * "the Nth whitespace word of the header" counts from the start of the header, so
 * `--label-field 2` is the first word after the id. A negative N counts from the end (-1 = last).
 * A header with too few words gets no label. A regex label is its first capture group, or the
 * whole match when the regex has no group; a header it does not match gets no label. Unlabeled
 * records are counted by the readers (`ReadSummary.unlabeled`) and reported as warnings.
 */
import vm from 'node:vm';
import { isBlank, readFileLines } from './lines';
import { DatasetOptionError, ParseError } from './records';
import { decodeUtf8 } from './utf8';

/** A header → label function, as the sequence readers take it (`SequenceReadOptions.labelOf`). */
export type HeaderLabeler = (header: string) => string | undefined;

/** The Nth whitespace-separated word of a header (1-based, word 1 = the id; negative: from the end). */
export function headerWord(header: string, n: number): string | undefined {
  if (!Number.isInteger(n) || n === 0) throw new RangeError(`label field must be a non-zero integer, got ${n}`);
  const words = header.trim().split(/\s+/).filter((w) => w !== '');
  return n > 0 ? words[n - 1] : words[words.length + n];
}

/** Compiles a label regex; a bad pattern throws an Error naming `--label-regex`. Flags g and y are dropped (exec must not keep state). */
export function compileLabelRegex(pattern: string | RegExp): RegExp {
  try {
    return typeof pattern === 'string' ? new RegExp(pattern) : new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  } catch (e) {
    throw new DatasetOptionError(`invalid --label-regex ${JSON.stringify(String(pattern))}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** First capture group of `re` in `header` (the whole match when `re` has no group), or undefined. */
export function labelFromRegex(header: string, re: RegExp): string | undefined {
  const m = re.exec(header);
  if (m === null) return undefined;
  return m.length > 1 ? m[1] : m[0];
}

/** How long one batch of {@link REGEX_BATCH} header matches may take before the pattern is called too slow. */
export const LABEL_REGEX_BUDGET_MS = 2000;
/** Headers matched per time-bounded call (a watchdog per call costs ~60 µs: one per header would cost seconds on 50k records). */
export const REGEX_BATCH = 256;

/** Labels for a batch of headers, or the index of the header whose match ran out of time. */
/**
 * A user's regex run with a time bound. A pattern such as `^(a+)+$` backtracks exponentially on a
 * header it almost matches (over a minute on 120 characters), and a running RegExp cannot be
 * interrupted from JavaScript: the matches run in a `vm` context with a timeout, one batch of
 * headers per call, and a batch that runs out of time throws a `DatasetOptionError` naming the
 * pattern and the header it was matching.
 */
export function boundedRegexLabeler(re: RegExp, budgetMs = LABEL_REGEX_BUDGET_MS): (headers: readonly string[], describeHeader: (i: number) => string) => (string | undefined)[] {
  const context = vm.createContext({ re, headers: [] as readonly string[], out: [] as (string | undefined)[], at: 0 });
  const script = new vm.Script('out = []; for (at = 0; at < headers.length; at++) { const m = re.exec(headers[at]); out.push(m === null ? undefined : m.length > 1 ? m[1] : m[0]); }');
  return (headers, describeHeader) => {
    context.headers = headers;
    try {
      script.runInContext(context, { timeout: budgetMs });
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw e;
      const at = context.at as number;
      throw new DatasetOptionError(
        `--label-regex ${JSON.stringify(re.source)} is too slow: matching it against ${describeHeader(at)} took over ${budgetMs / 1000} s (catastrophic backtracking, e.g. a nested quantifier such as (a+)+); simplify the pattern`,
      );
    }
    // The array was made in the other context: copy it into this one.
    return Array.from(context.out as (string | undefined)[]);
  };
}

export interface HeaderLabelSpec {
  /** `--label-field N`. */
  labelField?: number;
  /** `--label-regex RE`. */
  labelRegex?: string | RegExp;
}

/** The labeler for a spec, or undefined when the spec asks for none. Both at once is a usage error. */
export function headerLabeler(spec: HeaderLabelSpec): HeaderLabeler | undefined {
  if (spec.labelField !== undefined && spec.labelRegex !== undefined) {
    throw new DatasetOptionError('--label-field and --label-regex cannot be used together');
  }
  if (spec.labelField !== undefined) {
    const n = spec.labelField;
    headerWord('', n); // validates n
    return (header) => headerWord(header, n);
  }
  if (spec.labelRegex !== undefined) {
    // One header per time-bounded call: safe, but ~60 µs a header (openDataset batches instead).
    const bounded = boundedRegexLabeler(compileLabelRegex(spec.labelRegex));
    return (header) => bounded([header], () => `the header ${JSON.stringify(header.length > 80 ? `${header.slice(0, 80)}…` : header)}`)[0];
  }
  return undefined;
}

/** Descriptions longer than this are cut (with '…'): they travel in hovers, tree items and map payloads. */
export const MAX_DESCRIPTION_LENGTH = 120;

/**
 * The description of a FASTA/FASTQ record: its header after the id word (`>acc Genus species` →
 * `Genus species`), whitespace runs shown as one space, cut to `max` characters; undefined when
 * the header holds only the id.
 */
export function headerDescription(header: string, max: number = MAX_DESCRIPTION_LENGTH): string | undefined {
  const rest = header.trimStart().replace(/^\S+/u, '').trim().replace(/\s+/gu, ' ');
  if (rest === '') return undefined;
  return rest.length > max ? `${rest.slice(0, max - 1).trimEnd()}…` : rest;
}

/**
 * The labels an editor reads from FASTA/FASTQ headers unless told otherwise (the setting
 * `similarityLab.labels.fromHeader`): 'auto' (see `autoHeaderLabel`), a word of the header
 * (`field`, as `--label-field`; 2 = the first word after the id), a regex (as `--label-regex`), or none.
 */
export type HeaderLabelDefault = { from: 'auto' } | { from: 'word'; field: number } | { from: 'regex'; regex: string } | { from: 'none' };

/**
 * The label a header gives without being told how: the genus of a taxonomy lineage when the
 * header holds one (`>acc … Bacteria; Proteobacteria; …; Escherichia` — RDP and SILVA write
 * them so: the first word of the last ';' field), else the first word after the id (the genus
 * of `>acc Genus species`, as NCBI writes them). Undefined for a header that is only an id.
 */
export function autoHeaderLabel(header: string): string | undefined {
  return genusOf16S(header) ?? headerWord(header, 2);
}

/** The labeler of a default, or undefined for 'none'. A bad field or regex throws as the CLI's options do. */
export function defaultHeaderLabeler(d: HeaderLabelDefault): HeaderLabeler | undefined {
  if (d.from === 'auto') return autoHeaderLabel;
  return d.from === 'word' ? headerLabeler({ labelField: d.field }) : d.from === 'regex' ? headerLabeler({ labelRegex: d.regex }) : undefined;
}

/**
 * Genus of a record of the RDP 16S gold file (`rRNA16S.gold.fasta`): the header ends with a
 * tab-separated lineage `Bacteria; Actinobacteria; …; Acidothermus`; the genus is the first word
 * of its last ';' field. Undefined when the header has no ';'.
 */
export function genusOf16S(header: string): string | undefined {
  const at = header.lastIndexOf(';');
  if (at < 0) return undefined;
  const word = header.slice(at + 1).trim().split(/\s+/, 1)[0];
  return word === undefined || word === '' ? undefined : word;
}

/**
 * A labels file: one label per line (plain or gzip, UTF-8), label i for record i. Labels are
 * trimmed. Blank lines at the end of the file are ignored; a blank line followed by more labels
 * is a `ParseError` (an empty label would silently shift every label after it).
 */
export async function readLabelsFile(path: string, displayName: string = path): Promise<string[]> {
  const labels: string[] = [];
  let firstBlank = -1;
  for await (const batch of readFileLines(path, displayName)) {
    for (const { bytes, index } of batch) {
      if (isBlank(bytes)) {
        if (firstBlank < 0) firstBlank = index;
        continue;
      }
      if (firstBlank >= 0) throw new ParseError(displayName, firstBlank + 1, 1, 'empty label (labels need one non-empty line per record)', 'label');
      labels.push(decodeUtf8(bytes, displayName, index + 1, 'label').trim());
    }
  }
  if (labels.length === 0) throw new ParseError(displayName, 1, 1, 'no labels in the labels file', 'label');
  return labels;
}

export interface ApplyLabelsOptions {
  /**
   * The records are a prefix of the dataset (`--limit` stopped reading): the labels file may be
   * longer, and its first `records.length` labels are used. Otherwise the counts must be equal.
   */
  prefix?: boolean;
}

/** Sets `label` on each record from a labels file's labels; a count mismatch is a `ParseError` on the labels file. */
export function applyLabels(records: { label?: string }[], labels: readonly string[], labelsFile: string, options: ApplyLabelsOptions = {}): void {
  if (labels.length < records.length) {
    throw new ParseError(labelsFile, labels.length + 1, 1, `${labels.length} labels for ${records.length} records: too few labels`, 'label');
  }
  if (labels.length > records.length && options.prefix !== true) {
    throw new ParseError(labelsFile, records.length + 1, 1, `${labels.length} labels for ${records.length} records: too many labels`, 'label');
  }
  for (let i = 0; i < records.length; i++) records[i]!.label = labels[i]!;
}
