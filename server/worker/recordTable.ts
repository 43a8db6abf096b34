/**
 * The records' metadata as a few typed arrays, for the way back from the reading worker. Posted
 * as 50,000 objects (BioMarKs50k), the records made an 8 MB structured-clone buffer, grown by
 * realloc and freed on the calling thread: freeing that mmap'd chunk raised glibc's mmap
 * threshold, process-wide, to 8 MB, and from then on every buffer below 8 MB was carved from the
 * malloc arenas, where what is freed stays resident (worker/mappedMemory.ts). As a table in
 * shared memory (a UTF-8 string table and one Int32Array) nothing is serialized; the calling
 * thread decodes the objects it needs.
 */
import { sharedBuffer } from './mappedMemory';
import { ioTurn } from './ioTurn';

/** What the editor and the CLI need to know of a record, without its sequence. */
export interface RecordMeta {
  index: number;
  id: string;
  label?: string;
  /** FASTA/FASTQ: the header after the id (`Genus species`), cut to MAX_DESCRIPTION_LENGTH. */
  description?: string;
  /** 0-based, inclusive lines of the record in its file. */
  startLine: number;
  endLine: number;
  /** Symbols (bases, or characters of the normalised text). */
  length: number;
}

/** A record as the table holds it: a numeric dataset's folder records also name their own file. */
export type TableRecord = RecordMeta & { file?: string };

/** Int32 fields per record: index, startLine, endLine, length, and which optional strings it has. */
const FIELDS = 5;
const HAS_LABEL = 1;
const HAS_DESCRIPTION = 2;
const HAS_FILE = 4;

export interface RecordTable {
  count: number;
  /** FIELDS per record. */
  fields: Int32Array;
  /** UTF-8 of every id, then label, description and file where present, in record order. */
  text: Uint8Array;
  /** Start of each string in `text`, and the end of the last: 1 + the number of strings. */
  offsets: Int32Array;
}

export function encodeRecords(records: readonly TableRecord[]): RecordTable {
  const n = records.length;
  const fields = new Int32Array(sharedBuffer(Math.max(1, n * FIELDS) * 4), 0, n * FIELDS);
  const strings: string[] = [];
  for (let r = 0; r < n; r++) {
    const rec = records[r]!;
    let flags = 0;
    strings.push(rec.id);
    if (rec.label !== undefined) {
      flags |= HAS_LABEL;
      strings.push(rec.label);
    }
    if (rec.description !== undefined) {
      flags |= HAS_DESCRIPTION;
      strings.push(rec.description);
    }
    if (rec.file !== undefined) {
      flags |= HAS_FILE;
      strings.push(rec.file);
    }
    const f = r * FIELDS;
    fields[f] = rec.index;
    fields[f + 1] = rec.startLine;
    fields[f + 2] = rec.endLine;
    fields[f + 3] = rec.length;
    fields[f + 4] = flags;
  }
  let bytes = 0;
  for (const s of strings) bytes += Buffer.byteLength(s, 'utf8');
  const text = new Uint8Array(sharedBuffer(Math.max(1, bytes)), 0, bytes);
  const offsets = new Int32Array(sharedBuffer((strings.length + 1) * 4), 0, strings.length + 1);
  const encoder = new TextEncoder();
  let at = 0;
  for (let s = 0; s < strings.length; s++) {
    offsets[s] = at;
    at += encoder.encodeInto(strings[s]!, text.subarray(at)).written;
  }
  offsets[strings.length] = at;
  return { count: n, fields, text, offsets };
}

/** Decodes the records in order, a range at a time (the string cursor carries over). */
function decoder(table: RecordTable): { records: TableRecord[]; decode: (to: number) => void } {
  const { count, fields, offsets } = table;
  // TextDecoder does not read shared memory: one copy of the string bytes, decoded per string.
  const bytes = Buffer.from(table.text);
  const records: TableRecord[] = new Array<TableRecord>(count);
  let s = 0;
  let r = 0;
  const next = (): string => {
    const value = bytes.toString('utf8', offsets[s], offsets[s + 1]);
    s++;
    return value;
  };
  const decode = (to: number): void => {
    for (; r < Math.min(to, count); r++) {
      const f = r * FIELDS;
      const flags = fields[f + 4]!;
      const id = next();
      const label = flags & HAS_LABEL ? next() : undefined;
      const description = flags & HAS_DESCRIPTION ? next() : undefined;
      const file = flags & HAS_FILE ? next() : undefined;
      records[r] = {
        index: fields[f]!,
        id,
        ...(label !== undefined ? { label } : {}),
        ...(description !== undefined ? { description } : {}),
        startLine: fields[f + 1]!,
        endLine: fields[f + 2]!,
        length: fields[f + 3]!,
        ...(file !== undefined ? { file } : {}),
      };
    }
  };
  return { records, decode };
}

export function decodeRecords(table: RecordTable): TableRecord[] {
  const { records, decode } = decoder(table);
  decode(table.count);
  return records;
}

/** Records decoded between two turns of the event loop: ~5 ms of the LSP thread (60,000 took ~40 ms in one go). */
const RECORDS_PER_TURN = 8192;

/**
 * decodeRecords for the LSP thread: the same records, `RECORDS_PER_TURN` at a time with a turn of
 * the event loop before each slice (the first too: the table has just arrived in this turn).
 */
export async function decodeRecordsYielding(table: RecordTable): Promise<TableRecord[]> {
  const { records, decode } = decoder(table);
  for (let to = RECORDS_PER_TURN; ; to += RECORDS_PER_TURN) {
    await ioTurn();
    decode(to);
    if (to >= table.count) return records;
  }
}
