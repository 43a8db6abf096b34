// Per-record candidate selection: of all LSH candidate pairs, keep for each record the R with
// the highest MinHash estimate of the Jaccard similarity (and none below a floor). A pair is
// kept when either end selects it. The exact (costly) identity is then computed on at most
// n·R pairs instead of every candidate pair — the same bargain as vsearch's "max accepts /
// max rejects" heuristics: the nearest neighbours by identity are almost always among the
// nearest by k-mer Jaccard, and clustering with the mutual-neighbour refinement needs only each
// record's nearest neighbours (plus its near-duplicates, whose Jaccard is the highest of all).
// O(P log P) for P candidate pairs, typed arrays only.


export interface SelectedPairs {
  readonly i: Uint32Array;
  readonly j: Uint32Array;
  /** The MinHash estimate of each kept pair. */
  readonly jaccard: Float32Array;
  /** Pairs below the floor. */
  readonly belowFloor: number;
}

export function selectCandidatesPerRecord(
  n: number,
  pairs: { readonly i: Uint32Array; readonly j: Uint32Array },
  signatures: Uint32Array,
  numHashes: number,
  options: { readonly perRecord: number; readonly minJaccard: number },
): SelectedPairs {
  const P = pairs.i.length;
  const H = numHashes;
  // Float64: the floor is compared with equal/H exactly (in float32, 7/10 < 0.7), the same in both passes.
  const est = new Float64Array(P);
  let belowFloor = 0;
  // Rows: for each record, the candidate pairs it is part of (CSR over both ends).
  const degree = new Uint32Array(n + 1);
  for (let p = 0; p < P; p++) {
    // The fraction of equal slots (LSH never pairs an empty signature, so no emptiness test here).
    const a = pairs.i[p] * H;
    const b = pairs.j[p] * H;
    let equal = 0;
    for (let h = 0; h < H; h++) if (signatures[a + h] === signatures[b + h]) equal++;
    const e = equal / H;
    est[p] = e;
    if (e < options.minJaccard) {
      belowFloor++;
      continue;
    }
    degree[pairs.i[p] + 1]++;
    degree[pairs.j[p] + 1]++;
  }
  for (let v = 0; v < n; v++) degree[v + 1] += degree[v];
  const fill = degree.slice(0, n);
  const rowPairs = new Uint32Array(degree[n]);
  for (let p = 0; p < P; p++) {
    if (est[p] < options.minJaccard) continue;
    rowPairs[fill[pairs.i[p]]++] = p;
    rowPairs[fill[pairs.j[p]]++] = p;
  }
  const keep = new Uint8Array(P);
  const R = options.perRecord;
  // Estimates are multiples of 1/H: a counting pass per row finds the R-th best value exactly.
  const count = new Uint32Array(H + 1);
  for (let v = 0; v < n; v++) {
    const from = degree[v];
    const to = degree[v + 1];
    if (to - from <= R) {
      for (let t = from; t < to; t++) keep[rowPairs[t]] = 1;
      continue;
    }
    count.fill(0);
    for (let t = from; t < to; t++) count[Math.round(est[rowPairs[t]] * H)]++;
    // The smallest slot count c such that pairs with ≥ c equal slots number ≥ R.
    let c = H;
    let above = count[H];
    while (c > 0 && above < R) above += count[--c];
    const higher = above - count[c];
    let ties = R - higher; // how many pairs at exactly c to take, in index order (deterministic)
    for (let t = from; t < to; t++) {
      const slots = Math.round(est[rowPairs[t]] * H);
      if (slots > c) keep[rowPairs[t]] = 1;
      else if (slots === c && ties > 0) {
        keep[rowPairs[t]] = 1;
        ties--;
      }
    }
  }
  let kept = 0;
  for (let p = 0; p < P; p++) kept += keep[p];
  const i = new Uint32Array(kept);
  const j = new Uint32Array(kept);
  const jaccard = new Float32Array(kept);
  let at = 0;
  for (let p = 0; p < P; p++) {
    if (!keep[p]) continue;
    i[at] = pairs.i[p];
    j[at] = pairs.j[p];
    jaccard[at] = est[p];
    at++;
  }
  return { i, j, jaccard, belowFloor };
}
