/**
 * FASTA reader, streamed: records are yielded as the file is read (plain or gzip).
 *
 * Accepted: sequences over any number of lines; \n or \r\n; blank lines anywhere (skipped);
 * lowercase (uppercased); IUPAC nucleotide codes; gaps '-' '.' and spaces/tabs inside sequence
 * lines (dropped); any letter A–Z and '*' as a generic (protein) alphabet — the summary then says
 * `alphabet: 'protein'` and one 'non-nucleotide' warning points at the first such letter.
 * One bad record does not cost the others: a record with an empty header, a header that is not
 * UTF-8 or any other character in its sequence is skipped and listed in `summary.problems` (an
 * error at its line and column, the first one of the record); the reader goes on with the next
 * header. A header without a sequence is read, with an 'empty-sequence' warning (also a problem).
 * Rejected with a `ParseError` (file, 1-based line and column), the file as a whole: a sequence
 * line before the first header (not FASTA), a file without records (or without a valid one: the
 * first problem is thrown), a truncated or corrupt gzip. Duplicate ids: see `ReadOptions.duplicateIds`.
 */
import { fileChunks, isBlank, readLines, type ByteSource } from './lines';
import { addParseProblem, checkLimit, firstProblemError, IdRegistry, newReadSummary, ParseError, type ReadSummary, type SequenceRecord } from './records';
import { finishRecord, parseHeader, SequenceBuilder, type SequenceReadOptions } from './sequenceCommon';

const GT = 0x3e; // '>'

/** Parses FASTA from any byte source; `file` names it in errors. Returns the summary when done. */
export async function* parseFasta(
  source: ByteSource,
  file: string,
  options: SequenceReadOptions = {},
): AsyncGenerator<SequenceRecord, ReadSummary, undefined> {
  const limit = checkLimit(options.limit);
  const summary = options.summary ?? newReadSummary();
  const ids = new IdRegistry(file, options.duplicateIds ?? 'warn', summary, options.onWarning);
  const builder = new SequenceBuilder('fasta');
  let current: { header: string; id: string; startLine: number } | undefined;
  /** The record being read is skipped (its header or a sequence line was bad): its lines are ignored. */
  let skipping = false;
  let endLine = 0;
  let index = 0;
  const skip = (err: unknown): void => {
    if (!(err instanceof ParseError)) throw err;
    addParseProblem(summary, err);
    current = undefined;
    skipping = true;
  };

  const finish = (): SequenceRecord => {
    const c = current!;
    const record: SequenceRecord = { index: index++, id: c.id, header: c.header, sequence: builder.take(), startLine: c.startLine, endLine };
    return finishRecord(record, builder, file, options, summary);
  };

  for await (const batch of readLines(source, file, options.chunk)) {
    for (const { bytes, index: lineIndex } of batch) {
      if (bytes.length > 0 && bytes[0] === GT) {
        if (current !== undefined) {
          yield finish();
          if (index >= limit) return summary;
        }
        skipping = false;
        let h: ReturnType<typeof parseHeader>;
        try {
          h = parseHeader(bytes, file, lineIndex + 1);
        } catch (err) {
          skip(err);
          continue;
        }
        ids.register(h.id, lineIndex + 1, h.idColumn);
        current = { header: h.header, id: h.id, startLine: lineIndex };
        endLine = lineIndex;
        builder.reset();
      } else if (isBlank(bytes) || skipping) {
        continue;
      } else if (current === undefined) {
        const column = bytes.findIndex((b) => b !== 0x20 && b !== 0x09) + 1;
        throw new ParseError(file, lineIndex + 1, column, "sequence line before any '>' header");
      } else {
        try {
          builder.appendLine(bytes, file, lineIndex + 1);
        } catch (err) {
          skip(err);
          continue;
        }
        endLine = lineIndex;
      }
    }
  }
  if (current !== undefined) yield finish();
  else if (index === 0) throw firstProblemError(summary) ?? new ParseError(file, 1, 1, "no records (no '>' header in the file)");
  return summary;
}

/** Streams the records of a FASTA file (plain or gzip, detected by its magic bytes). */
export function readFasta(path: string, options: SequenceReadOptions = {}): AsyncGenerator<SequenceRecord, ReadSummary, undefined> {
  return parseFasta(fileChunks(path, options.onProgress), options.displayName ?? path, options);
}

/** Every record of a FASTA file (up to `limit`), and the summary. */
export async function readAllFasta(path: string, options: SequenceReadOptions = {}): Promise<{ records: SequenceRecord[]; summary: ReadSummary }> {
  const summary = options.summary ?? newReadSummary();
  const records: SequenceRecord[] = [];
  for await (const r of readFasta(path, { ...options, summary })) records.push(r);
  return { records, summary };
}
