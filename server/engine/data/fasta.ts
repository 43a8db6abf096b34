/**
 * FASTA reader, streamed: records are yielded as the file is read (plain or gzip).
 *
 * Accepted: sequences over any number of lines; \n or \r\n; blank lines anywhere (skipped);
 * lowercase (uppercased); IUPAC nucleotide codes; gaps '-' '.' and spaces/tabs inside sequence
 * lines (dropped); any letter A–Z and '*' as a generic (protein) alphabet — the summary then says
 * `alphabet: 'protein'` and one 'non-nucleotide' warning points at the first such letter.
 * Rejected with a `ParseError` (file, 1-based line and column): a sequence line before the first
 * header, an empty header, a header that is not UTF-8, any other character in a sequence, a file
 * without records, a truncated or corrupt gzip. Duplicate ids: see `ReadOptions.duplicateIds`.
 */
import { fileChunks, isBlank, readLines, type ByteSource } from './lines';
import { checkLimit, IdRegistry, newReadSummary, ParseError, type ReadSummary, type SequenceRecord } from './records';
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
  let endLine = 0;
  let index = 0;

  const finish = (): SequenceRecord => {
    const c = current!;
    const record: SequenceRecord = { index: index++, id: c.id, header: c.header, sequence: builder.take(), startLine: c.startLine, endLine };
    return finishRecord(record, builder, file, options, summary);
  };

  for await (const batch of readLines(source, file)) {
    for (const { bytes, index: lineIndex } of batch) {
      if (bytes.length > 0 && bytes[0] === GT) {
        if (current !== undefined) {
          yield finish();
          if (index >= limit) return summary;
        }
        const h = parseHeader(bytes, file, lineIndex + 1);
        ids.register(h.id, lineIndex + 1, h.idColumn);
        current = { header: h.header, id: h.id, startLine: lineIndex };
        endLine = lineIndex;
        builder.reset();
      } else if (isBlank(bytes)) {
        continue;
      } else if (current === undefined) {
        const column = bytes.findIndex((b) => b !== 0x20 && b !== 0x09) + 1;
        throw new ParseError(file, lineIndex + 1, column, "sequence line before any '>' header");
      } else {
        builder.appendLine(bytes, file, lineIndex + 1);
        endLine = lineIndex;
      }
    }
  }
  if (current !== undefined) yield finish();
  else throw new ParseError(file, 1, 1, "no records (no '>' header in the file)");
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
