// A record order in which likely neighbours sit close together in memory.
//
// The candidate stages read, for each record, the signatures (and later the sequences) of its
// LSH candidates: random reads across the whole dataset, bound by cache misses, not arithmetic
// (BioMarKs50k: 10.6 M candidate pairs, 6.4 MB of 8-bit signatures, 19 MB of bases). Two
// records at Jaccard similarity J agree on their first MinHash slot with probability J, so
// sorting the records by their first slots puts most of each record's neighbours within a few
// hundred records of it. Measured on BioMarKs50k: candidates + selection 11.8 → 6.0 s CPU.
// The pipeline works in this order and maps its edges back to file order.

/**
 * Record ids sorted by their first three MinHash slots (then by id: deterministic). The first
 * slot orders nearly everything (two records agree on it only at a high Jaccard similarity), so
 * a stable radix sort on it — two 16-bit passes over ids that start in order, ties staying by
 * id — does the bulk in linear time, and a comparison sort orders each run of equal first slots
 * by the next two slots and the id. A comparison sort of everything took 3–4× as long at
 * 500,000 records (0.6 s against 0.15 s) and grows as n log n.
 */
export function localityOrder(signatures: Uint32Array, numHashes: number): Uint32Array {
  const n = Math.floor(signatures.length / numHashes);
  let order = new Uint32Array(n);
  for (let r = 0; r < n; r++) order[r] = r;
  if (n === 0) return order;
  // The first slots in a column of their own (4 bytes a record): read with a stride of
  // numHashes words, every read of a pass was a cache miss.
  const first = new Uint32Array(n);
  for (let r = 0; r < n; r++) first[r] = signatures[r * numHashes];
  let next = new Uint32Array(n);
  const count = new Int32Array(0x10001);
  for (let shift = 0; shift <= 16; shift += 16) {
    count.fill(0);
    for (let q = 0; q < n; q++) count[((first[order[q]] >>> shift) & 0xffff) + 1]++;
    for (let d = 0; d < 0x10000; d++) count[d + 1] += count[d];
    for (let q = 0; q < n; q++) {
      const r = order[q];
      next[count[(first[r] >>> shift) & 0xffff]++] = r;
    }
    [order, next] = [next, order];
  }
  const slots = Math.min(3, numHashes);
  if (slots === 1) return order;
  // The next two slots in columns too: the runs hold most records on real data (neighbours
  // share a first slot: that is the point), so their sort reads them often.
  const second = new Uint32Array(n);
  const third = new Uint32Array(slots > 2 ? n : 0);
  for (let r = 0; r < n; r++) second[r] = signatures[r * numHashes + 1];
  if (slots > 2) for (let r = 0; r < n; r++) third[r] = signatures[r * numHashes + 2];
  const byNextSlots = (x: number, y: number): number => second[x] - second[y] || (slots > 2 ? third[x] - third[y] : 0) || x - y;
  for (let a = 0; a < n; ) {
    let b = a + 1;
    while (b < n && first[order[b]] === first[order[a]]) b++;
    if (b - a > 1) order.subarray(a, b).sort(byNextSlots);
    a = b;
  }
  return order;
}
