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
 * One bad record does not cost the others: a record with an empty header, a header that is not
 * UTF-8, an invalid residue or quality character, a missing '+' line, a missing quality line or a
 * quality whose length differs from the sequence (both lengths named) is skipped and listed in
 * `summary.problems` (an error at the line and column of the fault); a record truncated by the end
 * of the file too. A bad line can knock the four-line structure out of step (a quality line may
 * start with '@'), so after a fault the reader resynchronises: it restarts at the next line that
 * starts with '@' and is followed by a one-line sequence (IUPAC letters and gaps) and a '+' line;
 * the lines before it are skipped (the faulty line itself is a candidate — after a missing quality
 * line it is the next header). A wrapped record right after a fault is therefore skipped with it.
 * A record with an empty sequence is read, with an 'empty-sequence' warning (also a problem).
 * Rejected with a `ParseError`, the file as a whole: a first line that is not an '@' header (not
 * FASTQ), no records (or no valid one: the first problem is thrown), a duplicate id under the
 * 'error' policy, truncated gzip.
 */
import { fileChunks, isBlank, readLines, type ByteSource } from './lines';
import { addParseProblem, checkLimit, firstProblemError, IdRegistry, newReadSummary, ParseError, type ReadSummary, type SequenceRecord } from './records';
import { describeByte, finishRecord, parseHeader, SequenceBuilder, type SequenceReadOptions } from './sequenceCommon';

const AT = 0x40; // '@'
const PLUS = 0x2b; // '+'

function latin1(parts: Uint8Array[]): string {
  return parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.length).toString('latin1')).join('');
}

/** True for a line that can be a one-line sequence: IUPAC letters (any case) and gaps only. */
export function isSequenceLine(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  for (const b of bytes) {
    const upper = b & 0xdf;
    if (!(upper >= 0x41 && upper <= 0x5a) && b !== 0x2d && b !== 0x2e) return false;
  }
  return true;
}

/** A ParseError that is the file's, not one record's: the reader stops. */
class FileLevelError extends ParseError {}

interface Line {
  bytes: Uint8Array;
  index: number;
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
  let sawHeader = false;
  /** After a bad record: lines held until a header followed by a sequence line and a '+' line. */
  let resyncing = false;
  const pending: Line[] = [];

  const describeRecord = (): string => `record '${id}' (line ${startLine + 1})`;

  /** Feeds one line to the record being read; returns the record it completes. Throws a ParseError for a bad record. */
  const step = (bytes: Uint8Array, lineIndex: number): SequenceRecord | undefined => {
    const line = lineIndex + 1;
    if (state === 'header') {
      if (isBlank(bytes)) return undefined;
      if (bytes[0] !== AT) {
        const column = bytes.findIndex((b) => b !== 0x20 && b !== 0x09) + 1;
        // A file whose first line is not a header is not FASTQ: nothing to resynchronise with.
        if (!sawHeader) throw new FileLevelError(file, line, column, "sequence line before any '@' header");
        throw new ParseError(file, line, column, index === 0 ? "expected an '@' header line" : `expected an '@' header line after ${describeRecord()}`);
      }
      sawHeader = true;
      const h = parseHeader(bytes, file, line);
      try {
        ids.register(h.id, line, h.idColumn);
      } catch (e) {
        // The 'error' duplicate-id policy stops the read: it is the caller's rule, not one record's fault.
        if (e instanceof ParseError) throw new FileLevelError(e.file, e.line, e.column, e.reason, e.field);
        throw e;
      }
      header = h.header;
      id = h.id;
      startLine = lineIndex;
      sequenceLines = 0;
      quality = [];
      qualityLength = 0;
      builder.reset();
      state = 'sequence';
      return undefined;
    }
    if (state === 'sequence') {
      if (bytes.length > 0 && bytes[0] === PLUS) {
        state = 'quality';
        return undefined;
      }
      if (bytes.length > 0 && bytes[0] === AT) {
        throw new ParseError(file, line, 1, `missing '+' line: ${describeRecord()} has no '+' line before this '@' line`);
      }
      if (bytes.length === 0) return undefined;
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
      return undefined;
    }
    // state === 'quality'
    try {
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i]!;
        if (b < 0x21 || b > 0x7e) throw new ParseError(file, line, i + 1, `invalid quality character ${describeByte(b)}`);
      }
      quality.push(bytes.slice());
      qualityLength += bytes.length;
      const wrapped = sequenceLines > 1;
      if (wrapped && qualityLength < builder.length) return undefined;
      if (qualityLength !== builder.length) {
        const lineLength = bytes.length;
        const column = Math.min(lineLength, Math.max(0, builder.length - (qualityLength - lineLength))) + 1;
        throw new ParseError(file, line, column, `quality has ${qualityLength} characters but the sequence has ${builder.length} (${describeRecord()})`);
      }
    } catch (e) {
      // A truncated record: its quality line is missing and the next header was read in its place.
      if (e instanceof ParseError && bytes[0] === AT && quality.length <= 1) {
        throw new ParseError(file, line, 1, `missing quality line: ${describeRecord()} has no quality before this '@' line (read as quality: ${e.reason})`);
      }
      throw e;
    }
    const record: SequenceRecord = { index: index++, id, header, sequence: builder.take(), quality: latin1(quality), startLine, endLine: lineIndex };
    state = 'header';
    return finishRecord(record, builder, file, options, summary);
  };

  /**
   * Lists a bad record and resynchronises: the lines from the faulty one on are held until one
   * starts with '@' and is followed by a one-line sequence and a '+' line; reading restarts there.
   * The faulty line is held too (it may be the next header, as after a missing quality line),
   * unless it was the header just read, which would fail again.
   */
  const fail = (err: unknown, bytes: Uint8Array, lineIndex: number, failedState: State): void => {
    if (!(err instanceof ParseError) || err instanceof FileLevelError) throw err;
    addParseProblem(summary, err);
    builder.reset();
    state = 'header';
    resyncing = true;
    if (failedState !== 'header') pending.push({ bytes: bytes.slice(), index: lineIndex });
  };

  /** Drops held lines up to a resynchronisation point; false while more lines are needed to decide. */
  const findHeader = (): boolean => {
    while (pending.length > 0) {
      const first = pending[0]!.bytes;
      if (first.length === 0 || first[0] !== AT) {
        pending.shift();
        continue;
      }
      if (pending.length < 3) return false;
      const plus = pending[2]!.bytes;
      if (isSequenceLine(pending[1]!.bytes) && plus.length > 0 && plus[0] === PLUS) return true;
      pending.shift();
    }
    return false;
  };

  for await (const batch of readLines(source, file, options.chunk)) {
    for (const { bytes, index: lineIndex } of batch) {
      lastLine = lineIndex;
      if (resyncing) pending.push({ bytes: bytes.slice(), index: lineIndex });
      else {
        const before = state;
        let record: SequenceRecord | undefined;
        try {
          record = step(bytes, lineIndex);
        } catch (err) {
          fail(err, bytes, lineIndex, before);
        }
        if (record !== undefined) {
          yield record;
          if (index >= limit) return summary;
        }
      }
      // Replays the held lines from a resynchronisation point; a fault among them holds the rest again.
      while (resyncing && findHeader()) {
        resyncing = false;
        for (const held of pending.splice(0)) {
          if (resyncing) {
            pending.push(held);
            continue;
          }
          const before = state;
          let record: SequenceRecord | undefined;
          try {
            record = step(held.bytes, held.index);
          } catch (err) {
            fail(err, held.bytes, held.index, before);
          }
          if (record !== undefined) {
            yield record;
            if (index >= limit) return summary;
          }
        }
      }
    }
  }
  const afterEnd = lastLine + 2;
  const finalState = state as State;
  if (!resyncing && finalState === 'sequence') {
    addParseProblem(summary, new ParseError(file, afterEnd, 1, `missing '+' line: the file ends inside ${describeRecord()}`));
  } else if (!resyncing && finalState === 'quality') {
    if (builder.length === 0 && qualityLength === 0) {
      // '@id', '+', end of file: an empty read whose empty quality line was the last (absent) line.
      const record: SequenceRecord = { index: index++, id, header, sequence: builder.take(), quality: '', startLine, endLine: lastLine };
      yield finishRecord(record, builder, file, options, summary);
    } else {
      addParseProblem(
        summary,
        new ParseError(file, afterEnd, 1, `the file ends before the quality of ${describeRecord()} is complete (${qualityLength} of ${builder.length} characters)`),
      );
    }
  }
  if (index === 0) throw firstProblemError(summary) ?? new ParseError(file, 1, 1, "no records (no '@' header in the file)");
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
