// Dereplication: records with the same sequence — ignoring case, and for DNA the strand (a
// reverse complement is the same molecule read the other way); text records: the same text as
// clustered (after the text normalisation) — collapse to one unique record
// (the first in file order), with how many records it stands for. Clustering runs on the unique
// records and the result is expanded back. O(total length), one string key per record.

export interface Dereplication {
  /** Per record: its group (0, 1, ... in order of first appearance). */
  readonly groupOf: Int32Array;
  /** Per group: its first record, the one that is clustered. */
  readonly first: Uint32Array;
  /** Per group: the number of records it stands for. */
  readonly size: Int32Array;
}

const COMPLEMENT = new Uint8Array(256);
for (let c = 0; c < 256; c++) COMPLEMENT[c] = c;
for (const [a, b] of ['AT', 'CG', 'GC', 'TA', 'UA', 'RY', 'YR', 'KM', 'MK', 'BV', 'VB', 'DH', 'HD', 'NN', 'SS', 'WW'] as const) COMPLEMENT[a.charCodeAt(0)] = b.charCodeAt(0);

/** The key of one byte sequence: upper case, and with `bothStrands` the smaller of it and its reverse complement. */
export function sequenceKey(symbols: Uint8Array, bothStrands: boolean): string {
  const n = symbols.length;
  const up = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = symbols[i] as number;
    up[i] = c >= 97 && c <= 122 ? c - 32 : c;
  }
  const forward = Buffer.from(up.buffer, up.byteOffset, n).toString('latin1');
  if (!bothStrands) return forward;
  const rc = new Uint8Array(n);
  for (let i = 0; i < n; i++) rc[n - 1 - i] = COMPLEMENT[up[i] as number] as number;
  const reverse = Buffer.from(rc.buffer, rc.byteOffset, n).toString('latin1');
  return reverse < forward ? reverse : forward;
}

/** Groups `n` records by key (`sequenceKey` for DNA: identical up to case and strand). */
export function dereplicate(n: number, keyOf: (record: number) => string): Dereplication {
  const groupOf = new Int32Array(n);
  const firsts: number[] = [];
  const sizes: number[] = [];
  const groups = new Map<string, number>();
  for (let r = 0; r < n; r++) {
    const key = keyOf(r);
    let g = groups.get(key);
    if (g === undefined) {
      g = firsts.length;
      groups.set(key, g);
      firsts.push(r);
      sizes.push(0);
    }
    groupOf[r] = g;
    sizes[g]++;
  }
  return { groupOf, first: Uint32Array.from(firsts), size: Int32Array.from(sizes) };
}
