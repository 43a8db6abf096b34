/** What the FASTA and FASTQ readers share: options, the residue builder, header parsing, record finishing. */
import type { TextChunkStart } from './lines';
import { IS_NUCLEOTIDE, IUPAC_NUCLEOTIDES } from './nucleotides';
import { addWarning, ParseError, type ReadOptions, type ReadSummary, type SequenceRecord } from './records';
import { decodeUtf8 } from './utf8';

export interface SequenceReadOptions extends ReadOptions {
  /**
   * The label of a record from its header (see `labels.ts`: `headerLabeler`, `genusOf16S`).
   * Returning undefined leaves the record unlabeled; such records are counted in
   * `summary.unlabeled` and reported as 'no-label' warnings.
   */
  labelOf?: (header: string) => string | undefined;
  /**
   * True when the labels were not asked for (the editor's default labels from headers): a header
   * without one leaves the record unlabeled, counted in `summary.unlabeled`, without a warning.
   */
  quietUnlabeled?: boolean;
  /** The source is one chunk of the file's text, from this line on (jobs/parallelRead.ts); record indices then count from 0 within it. */
  chunk?: TextChunkStart;
}

const INVALID = 0;
const SKIP = 1;

/**
 * Byte → residue for FASTA: letters uppercased (A–Z is the generic alphabet; '*' a protein stop),
 * gaps '-' '.' and spaces/tabs skipped, everything else invalid.
 */
const FASTA_RESIDUE: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let c = 0x41; c <= 0x5a; c++) {
    t[c] = c;
    t[c + 0x20] = c;
  }
  t[0x2a] = 0x2a; // '*'
  t[0x2d] = SKIP; // '-'
  t[0x2e] = SKIP; // '.'
  t[0x20] = SKIP;
  t[0x09] = SKIP;
  return t;
})();

/**
 * FASTQ holds reads: IUPAC nucleotide codes only (either case). Each base has a quality, so gaps
 * are kept as 'N' and whitespace is invalid. Being strict here is also what tells a quality line
 * from a second sequence line when the '+' line is missing.
 */
const FASTQ_RESIDUE: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const ch of IUPAC_NUCLEOTIDES) {
    t[ch.charCodeAt(0)] = ch.charCodeAt(0);
    t[ch.toLowerCase().charCodeAt(0)] = ch.charCodeAt(0);
  }
  t[0x2d] = 0x4e;
  t[0x2e] = 0x4e;
  return t;
})();


const U = 0x55;
const T = 0x54;

export function describeByte(b: number): string {
  if (b >= 0x21 && b <= 0x7e) return `'${String.fromCharCode(b)}'`;
  if (b === 0x20) return 'a space';
  if (b === 0x09) return 'a tab';
  return `byte 0x${b.toString(16).padStart(2, '0')}`;
}

/** Accumulates the residues of one record across its lines. */
export class SequenceBuilder {
  private buffer = new Uint8Array(4096);
  length = 0;
  /** First letter outside the IUPAC nucleotide codes: 1-based line and column, and the byte. */
  nonNucleotide: { line: number; column: number; byte: number } | undefined;

  constructor(private readonly format: 'fasta' | 'fastq') {}

  /** A 'U' was appended (only then does `take` need to rewrite U → T). */
  private sawU = false;

  reset(): void {
    this.length = 0;
    this.nonNucleotide = undefined;
    this.sawU = false;
  }

  /** Appends one sequence line; throws a `ParseError` at the first invalid character. */
  appendLine(bytes: Uint8Array, file: string, line: number): void {
    const table = this.format === 'fasta' ? FASTA_RESIDUE : FASTQ_RESIDUE;
    if (this.length + bytes.length > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + bytes.length));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    const buf = this.buffer;
    let n = this.length;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      const r = table[b]!;
      if (r > SKIP) {
        buf[n++] = r;
        if (r === U) this.sawU = true;
        else if (IS_NUCLEOTIDE[r] === 0 && this.nonNucleotide === undefined) this.nonNucleotide = { line, column: i + 1, byte: r };
      } else if (r === INVALID) {
        // Every byte before this one is ASCII, so the byte column is the character column.
        throw new ParseError(file, line, i + 1, `invalid character ${describeByte(b)} in sequence`);
      }
    }
    this.length = n;
  }

  /** A copy of the residues; in a nucleotide record U becomes T. */
  take(): Uint8Array {
    const out = this.buffer.slice(0, this.length);
    if (this.sawU && this.nonNucleotide === undefined) {
      for (let i = 0; i < out.length; i++) if (out[i] === U) out[i] = T;
    }
    return out;
  }
}

export interface ParsedHeader {
  header: string;
  id: string;
  /** 1-based column of the id. */
  idColumn: number;
}

/** Parses a '>' or '@' header line (marker included in `bytes`); 1-based `line`. */
export function parseHeader(bytes: Uint8Array, file: string, line: number): ParsedHeader {
  const header = decodeUtf8(bytes.subarray(1), file, line, 'header', 2);
  const lead = header.length - header.trimStart().length;
  const id = header.slice(lead).split(/\s/, 1)[0] ?? '';
  if (id === '') throw new ParseError(file, line, 2, `empty header: a record needs an id after '${String.fromCharCode(bytes[0]!)}'`);
  return { header, id, idColumn: 2 + lead };
}

/** Labels and registers a finished record in the summary; returns it. */
export function finishRecord(
  record: SequenceRecord,
  builder: SequenceBuilder,
  file: string,
  options: SequenceReadOptions,
  summary: ReadSummary,
): SequenceRecord {
  const headerLine = record.startLine + 1;
  if (record.sequence.length === 0) {
    addWarning(summary, options.onWarning, 'empty-sequence', file, headerLine, 1, `record '${record.id}' has an empty sequence`);
  }
  const odd = builder.nonNucleotide;
  if (odd !== undefined) {
    if (summary.alphabet !== 'protein') {
      addWarning(
        summary,
        options.onWarning,
        'non-nucleotide',
        file,
        odd.line,
        odd.column,
        `record '${record.id}' has ${describeByte(odd.byte)}, not an IUPAC nucleotide code: the dataset is read as protein (generic letters)`,
      );
    }
    summary.alphabet = 'protein';
  } else if (summary.alphabet === undefined) {
    summary.alphabet = 'nucleotide';
  }
  if (options.labelOf !== undefined) {
    const label = options.labelOf(record.header);
    if (label === undefined) {
      summary.unlabeled++;
      if (options.quietUnlabeled !== true) addWarning(summary, options.onWarning, 'no-label', file, headerLine, 1, `no label found in the header of record '${record.id}'`);
    } else {
      record.label = label;
    }
  }
  summary.records++;
  return record;
}
