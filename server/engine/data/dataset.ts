/**
 * One entry for every reader: detect the format, read the records (streamed or all at once),
 * attach labels. What the CLI's `<dataset> [--limit N] [--labels FILE] [--label-field N]
 * [--label-regex RE]` and the host's "open this dataset" both call.
 */
import { fileChunks, isGzipMagic } from './lines';
import { detectFileFormat, readFirstBytes, type DataFormat } from './detect';
import { parseFasta } from './fasta';
import { parseFastq } from './fastq';
import { boundedRegexLabeler, compileLabelRegex, defaultHeaderLabeler, headerLabeler, readLabelsFile, REGEX_BATCH, type HeaderLabelDefault, type HeaderLabeler } from './labels';
import {
  addWarning,
  DatasetOptionError,
  checkLimit,
  throwIfRecordErrors,
  type BadRecordPolicy,
  newReadSummary,
  ParseError,
  type DuplicateIdPolicy,
  type ReadSummary,
  type ReadWarning,
  type SequenceRecord,
  type TextRecord,
} from './records';
import { parseJsonl, parseTextLines } from './text';

export interface DatasetReadOptions {
  /** Skip detection (see `detect.ts`). */
  format?: DataFormat;
  /** `--limit N`: only the first N records are read. */
  limit?: number;
  /** `--label-field N` (FASTA/FASTQ headers; word 1 is the id). */
  labelField?: number;
  /** `--label-regex RE` (FASTA/FASTQ headers; first capture group). */
  labelRegex?: string | RegExp;
  /** Any header → label function (e.g. `genusOf16S`); FASTA/FASTQ only. */
  labelOf?: HeaderLabeler;
  /**
   * Labels read from FASTA/FASTQ headers when no other label source is given (the editor's
   * `similarityLab.labels.fromHeader`): ignored for other formats, and a header without one is
   * simply unlabeled (no 'no-label' warning: nobody asked for labels).
   */
  headerLabelDefault?: HeaderLabelDefault;
  /** `--labels FILE`: one label per line, label i for record i. */
  labelsFile?: string;
  /** JSONL: the text field (default: text / sequence / content). */
  textField?: string;
  /** JSONL: `--label-column NAME`, the field holding the label. */
  labelColumn?: string;
  duplicateIds?: DuplicateIdPolicy;
  /** A bad record: skipped and listed in `summary.problems` (default), or fatal ('fail', see `BadRecordPolicy`). */
  badRecords?: BadRecordPolicy;
  /** The file name used in errors; default: the path. */
  displayName?: string;
  onWarning?: (warning: ReadWarning) => void;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

interface SequenceKind {
  format: 'fasta' | 'fastq';
  kind: 'sequence';
}
interface TextKind {
  format: 'text' | 'jsonl';
  kind: 'text';
}

/**
 * A piece of a FASTA file's decompressed text that starts at a record's header line
 * `firstLine` (0-based), or at the file's start: read as the records of that piece alone
 * (jobs/parallelRead.ts), with the file's line numbers.
 */
export interface TextChunk {
  text: Uint8Array;
  firstLine: number;
}

/** A dataset being streamed: iterate `records`; `summary` is complete once the iteration ends. */
export type DatasetStream =
  | (SequenceKind & { records: AsyncGenerator<SequenceRecord, ReadSummary, undefined>; summary: ReadSummary })
  | (TextKind & { records: AsyncGenerator<TextRecord, ReadSummary, undefined>; summary: ReadSummary });

/** A dataset read into memory. `warnings` is `summary.warnings`. */
export type Dataset =
  | (SequenceKind & { records: SequenceRecord[]; warnings: ReadWarning[]; summary: ReadSummary })
  | (TextKind & { records: TextRecord[]; warnings: ReadWarning[]; summary: ReadSummary });

/**
 * Opens a dataset for streaming. Usage errors (two label sources, header labels on a text file,
 * a bad regex) throw a `DatasetOptionError` (a bad limit a RangeError) before any record;
 * malformed input throws a `ParseError` from the iteration.
 */
export async function openDataset(path: string, options: DatasetReadOptions = {}, chunk?: TextChunk): Promise<DatasetStream> {
  const limit = checkLimit(options.limit);
  const file = options.displayName ?? path;
  const format = options.format ?? (await detectFileFormat(path));
  const headerSources = [options.labelField !== undefined, options.labelRegex !== undefined, options.labelOf !== undefined].filter(Boolean).length;
  if (headerSources > 1) throw new DatasetOptionError('choose one of --label-field, --label-regex and a label function');
  if (options.labelsFile !== undefined && (headerSources > 0 || options.labelColumn !== undefined)) {
    throw new DatasetOptionError('--labels cannot be combined with --label-field, --label-regex or --label-column');
  }
  if (headerSources > 0 && (format === 'text' || format === 'jsonl')) {
    throw new DatasetOptionError(`--label-field and --label-regex read FASTA/FASTQ headers; ${file} is ${format}`);
  }
  if (options.labelColumn !== undefined && format !== 'jsonl') throw new DatasetOptionError(`--label-column applies to tables and JSONL; ${file} is ${format}`);
  if (chunk && ((format !== 'fasta' && format !== 'fastq') || options.labelsFile !== undefined || Number.isFinite(limit))) {
    throw new DatasetOptionError('a chunk of a file is read as FASTA or FASTQ, without a labels file or a limit');
  }
  if (!chunk) await refuseFakeGzip(path, file, format);
  const labels = options.labelsFile === undefined ? undefined : await readLabelsFile(options.labelsFile);
  const summary = newReadSummary();
  const common = {
    summary,
    duplicateIds: options.duplicateIds ?? 'warn',
    onWarning: options.onWarning,
    ...(Number.isFinite(limit) ? { limit } : {}),
  };
  const chunks = chunk ? [chunk.text] : fileChunks(path, options.onProgress);
  const labelsFile = options.labelsFile ?? '';
  if (format === 'fasta' || format === 'fastq') {
    const parse = format === 'fasta' ? parseFasta : parseFastq;
    if (options.labelRegex !== undefined) {
      // A user's regex runs time-bounded, in batches (labels.ts): never inline, where a catastrophic pattern could run for minutes.
      const batch = boundedRegexLabeler(compileLabelRegex(options.labelRegex));
      const records = parse(chunks, file, { ...common, ...(chunk ? { chunk } : {}) });
      return { format, kind: 'sequence', records: withRegexLabels(records, batch, file, summary, options.onWarning), summary };
    }
    const asked = options.labelOf ?? headerLabeler({ labelField: options.labelField });
    const fallback = asked === undefined && options.labelsFile === undefined && options.headerLabelDefault ? defaultHeaderLabeler(options.headerLabelDefault) : undefined;
    const labelOf = asked ?? fallback;
    const records = parse(chunks, file, { ...common, ...(labelOf ? { labelOf } : {}), ...(fallback ? { quietUnlabeled: true } : {}), ...(chunk ? { chunk } : {}) });
    return { format, kind: 'sequence', records: withLabels(records, labels, labelsFile, limit), summary };
  }
  const records =
    format === 'jsonl'
      ? parseJsonl(chunks, file, { ...common, textField: options.textField, labelField: options.labelColumn })
      : parseTextLines(chunks, file, common);
  return { format, kind: 'text', records: withLabels(records, labels, labelsFile, limit), summary };
}

const FIRST_CHARACTER: Partial<Record<DataFormat, { byte: number; what: string }>> = {
  fasta: { byte: 0x3e, what: "FASTA text (a '>' header)" },
  fastq: { byte: 0x40, what: "FASTQ text (an '@' header)" },
  jsonl: { byte: 0x7b, what: "JSONL text (a '{')" },
};

/**
 * A file named `.gz` whose bytes are neither gzip nor the text its name promises (a zip, a bzip2, a
 * broken download): said as such at 1:1, rather than as the reader's first complaint about binary
 * bytes ("sequence line before any '>' header"). Plain text named `.gz` stays readable.
 */
async function refuseFakeGzip(path: string, file: string, format: DataFormat): Promise<void> {
  const expected = FIRST_CHARACTER[format];
  if (!expected || !/\.gz$/i.test(path)) return;
  const head = await readFirstBytes(path, 64);
  if (head.length === 0 || isGzipMagic(head)) return;
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
  if (i >= head.length || head[i] === expected.byte) return;
  const bytes = Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new ParseError(file, 1, 1, `not gzip data although the name ends in .gz (it starts with bytes ${bytes}, not 1f 8b), nor ${expected.what}`);
}

/** Labels from a labels file, set as records stream by; the counts are checked at the end. */
async function* withLabels<R extends SequenceRecord | TextRecord>(
  records: AsyncGenerator<R, ReadSummary, undefined>,
  labels: string[] | undefined,
  labelsFile: string,
  limit: number,
): AsyncGenerator<R, ReadSummary, undefined> {
  if (labels === undefined) return yield* records;
  let n = 0;
  for (;;) {
    const r = await records.next();
    if (r.done) {
      // Stopped by --limit, the dataset may go on, and so may its labels file: only a prefix is checked.
      if (n < limit && labels.length > n) {
        throw new ParseError(labelsFile, n + 1, 1, `${labels.length} labels for ${n} records: too many labels`, 'label');
      }
      return r.value;
    }
    if (n >= labels.length) {
      throw new ParseError(labelsFile, labels.length + 1, 1, `${labels.length} labels for more records: too few labels`, 'label');
    }
    r.value.label = labels[n++]!;
    yield r.value;
  }
}

/** Labels from a regex on the headers, `REGEX_BATCH` records at a time (each batch time-bounded); unlabeled records as `finishRecord` counts them. */
async function* withRegexLabels(
  records: AsyncGenerator<SequenceRecord, ReadSummary, undefined>,
  labelBatch: ReturnType<typeof boundedRegexLabeler>,
  file: string,
  summary: ReadSummary,
  onWarning: ((w: ReadWarning) => void) | undefined,
): AsyncGenerator<SequenceRecord, ReadSummary, undefined> {
  const pending: SequenceRecord[] = [];
  const flush = (): void => {
    const labels = labelBatch(
      pending.map((r) => r.header),
      (i) => `the header of record '${pending[i]!.id}' (${file}:${pending[i]!.startLine + 1})`,
    );
    for (let i = 0; i < pending.length; i++) {
      const r = pending[i]!;
      const label = labels[i];
      if (label === undefined) {
        summary.unlabeled++;
        addWarning(summary, onWarning, 'no-label', file, r.startLine + 1, 1, `no label found in the header of record '${r.id}'`);
      } else r.label = label;
    }
  };
  for (;;) {
    const r = await records.next();
    if (r.done) {
      flush();
      yield* pending.splice(0);
      return r.value;
    }
    pending.push(r.value);
    if (pending.length >= REGEX_BATCH) {
      flush();
      yield* pending.splice(0);
    }
  }
}

/**
 * Reads a whole dataset (or its first `limit` records) into memory. With `takeSequence`, each
 * sequence record goes to it as it is read and is not kept (the dataset's `records` are then
 * empty): a caller that packs the bases keeps one copy, not 50,000 small arrays beside it.
 */
export async function readDataset(path: string, options: DatasetReadOptions = {}, takeSequence?: (record: SequenceRecord) => void, chunk?: TextChunk): Promise<Dataset> {
  const stream = await openDataset(path, options, chunk);
  // A labels file pairs label i with record i: a skipped record would shift every label after it.
  const failOnBadRecords = options.badRecords === 'fail' || options.labelsFile !== undefined;
  if (stream.kind === 'sequence') {
    const records: SequenceRecord[] = [];
    for await (const r of stream.records) {
      if (takeSequence) takeSequence(r);
      else records.push(r);
    }
    if (failOnBadRecords) throwIfRecordErrors(stream.summary);
    return { format: stream.format, kind: 'sequence', records, warnings: stream.summary.warnings, summary: stream.summary };
  }
  const records: TextRecord[] = [];
  for await (const r of stream.records) records.push(r);
  if (failOnBadRecords) throwIfRecordErrors(stream.summary);
  return { format: stream.format, kind: 'text', records, warnings: stream.summary.warnings, summary: stream.summary };
}
