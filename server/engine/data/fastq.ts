/**
 * FASTQ reader, streamed (plain or gzip).
 *
 * A record is '@' header, sequence, '+' (optionally repeating the header, not checked), quality.
 * The usual layout is four lines. A sequence wrapped over several lines is accepted; its quality
 * may then be wrapped too and is read until it has as many characters as the sequence. A sequence
 * on one line must have its quality on one line — that is what lets a wrong length be reported at
 * the quality line itself instead of swallowing the next header (which may start with '@', a
 * legal quality character).
 * Residues: IUPAC nucleotide codes only (FASTQ holds reads), uppercased, U → T; gaps '-' '.'
 * become 'N' (each base has a quality, so nothing is dropped); whitespace is invalid. Quality
 * characters must be printable ASCII '!'..'~'.
 * Rejected with a `ParseError`: a line before the first '@' header, an empty header, a missing
 * '+' line, a quality whose length differs from the sequence (both lengths named), bad UTF-8 in
 * a header, invalid residues or quality characters, no records, truncated gzip.
 */
import { fileChunks, isBlank, readLines, type ByteSource } from './lines';
import { checkLimit, IdRegistry, newReadSummary, ParseError, type ReadSummary, type SequenceRecord } from './records';
import { describeByte, finishRecord, parseHeader, SequenceBuilder, type SequenceReadOptions } from './sequenceCommon';

const AT = 0x40; // '@'
const PLUS = 0x2b; // '+'

function latin1(parts: Uint8Array[]): string {
  return parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.length).toString('latin1')).join('');
}

/** Parses FASTQ from any byte source; `file` names it in errors. Returns the summary when done. */
export async function* parseFastq(
  source: ByteSource,
  file: string,
  options: SequenceReadOptions = {},
): AsyncGenerator<SequenceRecord, ReadSummary, undefined> {
  const limit = checkLimit(options.limit);
  const summary = options.summary ?? newReadSummary();
  const ids = new IdRegistry(file, options.duplicateIds ?? 'warn', summary, options.onWarning);
  const builder = new SequenceBuilder('fastq');
  type State = 'header' | 'sequence' | 'quality';
  let state: State = 'header';
  let header = '';
  let id = '';
  let startLine = 0;
  let sequenceLines = 0;
  let quality: Uint8Array[] = [];
  let qualityLength = 0;
  let lastLine = -1;
  let index = 0;

  const describeRecord = (): string => `record '${id}' (line ${startLine + 1})`;

  for await (const batch of readLines(source, file)) {
    for (const { bytes, index: lineIndex } of batch) {
      lastLine = lineIndex;
      const line = lineIndex + 1;
      if (state === 'header') {
        if (isBlank(bytes)) continue;
        if (bytes[0] !== AT) {
          const column = bytes.findIndex((b) => b !== 0x20 && b !== 0x09) + 1;
          const what = index === 0 ? "sequence line before any '@' header" : `expected an '@' header line after ${describeRecord()}`;
          throw new ParseError(file, line, column, what);
        }
        const h = parseHeader(bytes, file, line);
        ids.register(h.id, line, h.idColumn);
        header = h.header;
        id = h.id;
        startLine = lineIndex;
        sequenceLines = 0;
        quality = [];
        qualityLength = 0;
        builder.reset();
        state = 'sequence';
        continue;
      }
      if (state === 'sequence') {
        if (bytes.length > 0 && bytes[0] === PLUS) {
          state = 'quality';
          continue;
        }
        if (bytes.length > 0 && bytes[0] === AT) {
          throw new ParseError(file, line, 1, `missing '+' line: ${describeRecord()} has no '+' line before this '@' line`);
        }
        if (bytes.length === 0) continue;
        try {
          builder.appendLine(bytes, file, line);
        } catch (e) {
          // After a sequence line, a line that is not sequence is most likely the quality.
          if (sequenceLines > 0 && e instanceof ParseError) {
            throw new ParseError(file, line, 1, `missing '+' line after the sequence of ${describeRecord()}: this line is not sequence (${e.reason})`);
          }
          throw e;
        }
        sequenceLines++;
        continue;
      }
      // state === 'quality'
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i]!;
        if (b < 0x21 || b > 0x7e) throw new ParseError(file, line, i + 1, `invalid quality character ${describeByte(b)}`);
      }
      quality.push(bytes.slice());
      qualityLength += bytes.length;
      const wrapped = sequenceLines > 1;
      if (wrapped && qualityLength < builder.length) continue;
      if (qualityLength !== builder.length) {
        const lineLength = bytes.length;
        const column = Math.min(lineLength, Math.max(0, builder.length - (qualityLength - lineLength))) + 1;
        throw new ParseError(
          file,
          line,
          column,
          `quality has ${qualityLength} characters but the sequence has ${builder.length} (${describeRecord()})`,
        );
      }
      const record: SequenceRecord = {
        index: index++,
        id,
        header,
        sequence: builder.take(),
        quality: latin1(quality),
        startLine,
        endLine: lineIndex,
      };
      yield finishRecord(record, builder, file, options, summary);
      if (index >= limit) return summary;
      state = 'header';
    }
  }
  const afterEnd = lastLine + 2;
  if (state === 'sequence') {
    throw new ParseError(file, afterEnd, 1, `missing '+' line: the file ends inside ${describeRecord()}`);
  }
  if (state === 'quality') {
    if (builder.length === 0 && qualityLength === 0) {
      // '@id', '+', end of file: an empty read whose empty quality line was the last (absent) line.
      const record: SequenceRecord = { index: index++, id, header, sequence: builder.take(), quality: '', startLine, endLine: lastLine };
      yield finishRecord(record, builder, file, options, summary);
    } else {
      throw new ParseError(
        file,
        afterEnd,
        1,
        `the file ends before the quality of ${describeRecord()} is complete (${qualityLength} of ${builder.length} characters)`,
      );
    }
  }
  if (index === 0) throw new ParseError(file, 1, 1, "no records (no '@' header in the file)");
  return summary;
}

/** Streams the records of a FASTQ file (plain or gzip, detected by its magic bytes). */
export function readFastq(path: string, options: SequenceReadOptions = {}): AsyncGenerator<SequenceRecord, ReadSummary, undefined> {
  return parseFastq(fileChunks(path, options.onProgress), options.displayName ?? path, options);
}

/** Every record of a FASTQ file (up to `limit`), and the summary. */
export async function readAllFastq(path: string, options: SequenceReadOptions = {}): Promise<{ records: SequenceRecord[]; summary: ReadSummary }> {
  const summary = options.summary ?? newReadSummary();
  const records: SequenceRecord[] = [];
  for await (const r of readFastq(path, { ...options, summary })) records.push(r);
  return { records, summary };
}
