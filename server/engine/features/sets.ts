// Many hash sets in two flat typed arrays (CSR layout): cheap to build, to slice into chunks
// for workers, and to transfer between threads (two ArrayBuffers, no per-record objects).

/**
 * Set `r` is `values[offsets[r], offsets[r + 1])`, sorted ascending without duplicates (unless
 * the producer was asked for raw hashes, e.g. `kmerSets` with `distinct: false`).
 */
export interface PackedSets {
  /** Length = number of sets + 1; `offsets[0] === 0`. */
  readonly offsets: Uint32Array;
  readonly values: Uint32Array;
}

export function packedSetCount(sets: PackedSets): number {
  return sets.offsets.length - 1;
}

/** A view (no copy) of set `r`. */
export function packedSetAt(sets: PackedSets, r: number): Uint32Array {
  return sets.values.subarray(sets.offsets[r], sets.offsets[r + 1]);
}

/** Packs separate sets (each already sorted and unique) into one `PackedSets`. */
export function packSets(sets: readonly Uint32Array[]): PackedSets {
  const offsets = new Uint32Array(sets.length + 1);
  for (let r = 0; r < sets.length; r++) offsets[r + 1] = offsets[r] + sets[r].length;
  const values = new Uint32Array(offsets[sets.length]);
  for (let r = 0; r < sets.length; r++) values.set(sets[r], offsets[r]);
  return { offsets, values };
}

/**
 * Appends sets to a growing packed buffer. `push` hands out room for a set's raw values; the
 * extractor writes them, then `commit` sorts, dedupes and closes the set. Amortised O(1)
 * allocations per set, no intermediate arrays.
 */
export class PackedSetsBuilder {
  private values: Uint32Array;
  private offsets: Uint32Array;
  private count = 0;
  private end = 0;

  constructor(expectedSets = 16, expectedValues = 1024) {
    this.values = new Uint32Array(Math.max(16, expectedValues));
    this.offsets = new Uint32Array(Math.max(2, expectedSets + 1));
  }

  /** Returns the buffer and the position from which up to `maxValues` raw values may be written. */
  reserve(maxValues: number): { buffer: Uint32Array; start: number } {
    if (this.end + maxValues > this.values.length) {
      let size = this.values.length * 2;
      while (size < this.end + maxValues) size *= 2;
      const grown = new Uint32Array(size);
      grown.set(this.values.subarray(0, this.end));
      this.values = grown;
    }
    return { buffer: this.values, start: this.end };
  }

  /** Closes the current set after `written` raw values were stored at the reserved start. */
  commit(written: number, sortUnique: (a: Uint32Array, start: number, end: number) => number): void {
    const newEnd = sortUnique(this.values, this.end, this.end + written);
    if (this.count + 2 > this.offsets.length) {
      const grown = new Uint32Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.end = newEnd;
    this.count++;
    this.offsets[this.count] = newEnd;
  }

  /** The packed result (exact-size arrays; the builder must not be used afterwards). */
  finish(): PackedSets {
    const values = this.end === this.values.length ? this.values : this.values.slice(0, this.end);
    return { offsets: this.offsets.slice(0, this.count + 1), values };
  }
}
