/**
 * Every record's symbols (DNA bytes, or text code points) in one SharedArrayBuffer, so the
 * workers of the pool read the same memory instead of each receiving a copy of the dataset.
 */
import { codePoints } from '../engine/measures';
import { sharedBuffer } from './mappedMemory';

export interface PackedSymbols {
  /** 'bytes': Uint8Array (ASCII DNA); 'codepoints': Int32Array (text). */
  readonly kind: 'bytes' | 'codepoints';
  /** Symbols of record r are [offsets[r], offsets[r + 1]) of `data`. */
  readonly offsets: Int32Array;
  readonly data: Uint8Array | Int32Array;
}

function sharedInt32(n: number): Int32Array {
  return new Int32Array(sharedBuffer(Math.max(1, n) * 4), 0, n);
}

export function packByteSequences(seqs: readonly Uint8Array[]): PackedSymbols {
  const offsets = sharedInt32(seqs.length + 1);
  for (let r = 0; r < seqs.length; r++) offsets[r + 1] = offsets[r] + seqs[r].length;
  const total = offsets[seqs.length];
  const data = new Uint8Array(sharedBuffer(Math.max(1, total)), 0, total);
  for (let r = 0; r < seqs.length; r++) data.set(seqs[r], offsets[r]);
  return { kind: 'bytes', offsets, data };
}

/**
 * Byte sequences appended one at a time, straight into shared memory: the bases of a file being
 * read are held once, not as one small array per record (each its own allocation: 50,000 of them
 * left the reading worker ~30 MB larger than the bases). Given an upper bound of the bases (the
 * file's size, or a gzip's uncompressed size: `capacityHint`), the buffer is allocated once and
 * `finish` hands out a view of it: no doubling and no final copy (they were a third of the read
 * stage of BioMarKs50k). The slack past the bases is never touched, so it takes no memory (the
 * pages of a SharedArrayBuffer are mapped on first write). A hint too small only costs growing.
 */
export class BytePacker {
  private data: Uint8Array;
  private offsets: Int32Array = new Int32Array(1 << 10);
  private records = 0;

  constructor(capacityHint = 0) {
    this.data = sharedBytes(Math.max(1 << 16, Math.floor(capacityHint)));
  }

  push(sequence: Uint8Array): void {
    const at = this.offsets[this.records]!;
    if (this.records + 2 > this.offsets.length) this.offsets = grown(this.offsets, this.records + 2) as Int32Array;
    if (at + sequence.length > this.data.length) this.data = grown(this.data, at + sequence.length) as Uint8Array;
    this.data.set(sequence, at);
    this.offsets[++this.records] = at + sequence.length;
  }

  /** Sequences pushed so far. */
  get count(): number {
    return this.records;
  }

  /** Symbols pushed so far. */
  get symbols(): number {
    return this.offsets[this.records]!;
  }

  /**
   * Sequences [from, to) as packed symbols of their own, readable by other threads while more
   * are pushed: a copy of their offsets over the shared buffer as it stands (growing later copies
   * the buffer into a new one; this part keeps the old, whose bytes stay as they are).
   */
  part(from: number, to: number): PackedSymbols {
    return { kind: 'bytes', offsets: this.offsets.slice(from, to + 1), data: this.data };
  }

  /** The packed sequences, in shared memory (the data: a view of the packer's buffer). */
  finish(): PackedSymbols {
    const offsets = sharedInt32(this.records + 1);
    offsets.set(this.offsets.subarray(0, this.records + 1));
    const total = offsets[this.records]!;
    return { kind: 'bytes', offsets, data: this.data.subarray(0, total) };
  }
}

function sharedBytes(n: number): Uint8Array {
  return new Uint8Array(sharedBuffer(Math.max(1, n)), 0, n);
}

function grown(a: Uint8Array | Int32Array, needed: number): Uint8Array | Int32Array {
  let length = a.length * 2;
  while (length < needed) length *= 2;
  const out = a instanceof Uint8Array ? sharedBytes(length) : new Int32Array(length);
  out.set(a);
  return out;
}

export function packTexts(texts: readonly string[]): PackedSymbols {
  const points = texts.map((t) => codePoints(t));
  const offsets = sharedInt32(points.length + 1);
  for (let r = 0; r < points.length; r++) offsets[r + 1] = offsets[r] + points[r].length;
  const data = sharedInt32(offsets[points.length]);
  for (let r = 0; r < points.length; r++) data.set(points[r], offsets[r]);
  return { kind: 'codepoints', offsets, data };
}

/** A view (no copy) of record r's symbols. */
export function symbolsAt(packed: PackedSymbols, r: number): Uint8Array | Int32Array {
  return packed.data.subarray(packed.offsets[r], packed.offsets[r + 1]);
}

export function recordCount(packed: PackedSymbols): number {
  return packed.offsets.length - 1;
}

/** A Uint32Array over a new SharedArrayBuffer (filled by several workers at once). */
export function sharedUint32(n: number): Uint32Array {
  return new Uint32Array(sharedBuffer(Math.max(1, n) * 4), 0, n);
}
