/**
 * Clustering a sequence or text dataset: the scalable path (MinHash → LSH candidates → Jaccard
 * pre-filter → bounded exact identity in parallel → mutual-neighbour refinement →
 * DBSCAN on the sparse graph) and the study's exact path (full distance matrix + DBSCAN, for
 * small inputs only). The host and the CLI both call this; every heavy step runs in the pool.
 */
import { checkMatrixSize, type MatrixGuard } from '../engine/cluster/exactMatrix';
import type { MutualNeighbourOptions } from '../engine/cluster/mutualNeighbours';
import { dereplicate, sequenceKey } from '../engine/cluster/derep';
import { abundanceOf, hasAbundances, missingIdentities } from '../engine/cluster/representatives';
import { packByteSequences, packTexts, symbolsAt } from '../worker/packedSymbols';
import { summarizeClusters, type ClusterSummary } from '../engine/cluster/summary';
import { chooseLshParams, identityToJaccard, joinLshBands, type LshArrays } from '../engine/index/lsh';
import { sharedUint32 } from '../worker/packedSymbols';
import { sharedBuffer } from '../worker/mappedMemory';
import { clusterGraphInPool } from './parallelGraph';
import { stageTimer } from './stageTimes';
import type { WorkerPool } from './pool';
import { buildSequenceIndex, type BuildIndexOptions, type SequenceIndex } from './sequenceIndex';
import type { CandidatesPayload } from '../worker/tasks/candidates';
import type { LowByteSignatures } from '../engine/index/candidateSelection';
import type { VerifyResult } from '../worker/tasks/verify';
import { ioTurn } from '../worker/ioTurn';

export interface ClusterParams {
  /** Identity threshold (0..1): records at ≥ this identity are neighbours; DBSCAN eps = 1 − threshold. */
  threshold: number;
  minPts: number;
  /** Mutual-nearest-neighbour refinement of the graph before DBSCAN (engine/cluster/mutualNeighbours); plain DBSCAN when absent. */
  mutualNeighbours?: MutualNeighbourOptions;
  /** The study's quadratic path instead of MinHash + LSH. */
  exact?: boolean;
  matrixGuard?: MatrixGuard;
  /** Align each record with at most this many of its best LSH candidates by MinHash estimate; all when absent. */
  candidatesPerRecord?: number;
  /**
   * 'dbscan' (default): the study's DBSCAN on the graph. 'greedy': centroids as vsearch
   * --cluster_fast (engine/cluster/greedy): every member within the threshold of its centroid;
   * minPts and mutualNeighbours do not apply, and there is no noise. 'leiden': CPM communities of
   * the verified graph (worker/tasks/graphCluster.ts); mutualNeighbours does not apply.
   */
  mode?: 'dbscan' | 'greedy' | 'leiden';
}

export const DEFAULT_THRESHOLD = 0.93;
export const DEFAULT_MIN_PTS = 2;
/** Default refinement: mutual 8-nearest neighbours, links at ≥ 98 % always kept (measured, see mutualNeighbours.ts). */
export const DEFAULT_MUTUAL_NEIGHBOURS = 8;
export const DEFAULT_STRONG_SIMILARITY = 0.98;
/**
 * Default shared-neighbour rule of the refinement: links whose ends share ≥ 70 % of their closed
 * neighbourhoods are kept too, so a group is not cut by the fixed m (chosen on the tune half of the
 * held-out bench only; see mutualNeighbours.ts and the README).
 */
export const DEFAULT_SHARED_NEIGHBOURS = 0.7;
/** Default per-record candidate budget: 4 × the mutual neighbours, measured on 16S (see the bench). */
export const DEFAULT_CANDIDATES_PER_RECORD = 32;

/** One verified neighbour pair (i < j), with its identity. */
export interface NeighbourEdges {
  i: Uint32Array;
  j: Uint32Array;
  /** Sequences and text: identity. Vectors: a 0..1 score derived from the distance (higher = closer). */
  identity: Float32Array;
  /** Vectors: the distance itself, in the metric's units. */
  distance?: Float32Array;
}

export interface ClusterOutcome {
  index: SequenceIndex;
  labels: Int32Array;
  summary: ClusterSummary;
  /** Every verified pair at ≥ threshold (before any mutual-neighbour refinement). */
  edges: NeighbourEdges;
  /**
   * Per record: its cluster's representative (record index; −1 for noise) — the medoid by the
   * verified graph (engine/cluster/representatives), or the centroid in greedy mode — and its
   * exact identity to it (1 for the representative, NaN for noise).
   */
  representative: Int32Array;
  identity: Float32Array;
  stats: {
    path: 'lsh' | 'exact';
    /** --derep: the number of unique sequences that were clustered. */
    unique?: number;
    bands?: number;
    rows?: number;
    lshThreshold?: number;
    candidates: number;
    prefiltered: number;
    aligned: number;
    edges: number;
    edgesUsed: number;
    fromCache: boolean;
    seconds: Record<string, number>;
    /** CPU seconds of each stage in `seconds`, over every thread of the process (an in-process pool's workers included): CPU ÷ wall is the stage's parallel share. */
    cpuSeconds: Record<string, number>;
    /** Per stage: (calling thread + all workers' CPU) ÷ (calling thread + busiest worker's CPU), its gain on free cores (jobs/stageTimes.ts). */
    parallelism?: Record<string, number>;
    /** Per stage: the calling thread's plus the busiest worker's CPU seconds. */
    criticalCpuSeconds?: Record<string, number>;
  };
}

export interface ClusterOptions extends Omit<BuildIndexOptions, 'onProgress' | 'onStageDone'> {
  params: ClusterParams;
  /** Sequences: collapse records identical up to case and strand before clustering (engine/cluster/derep), then expand the result back. */
  derep?: boolean;
  pool: WorkerPool;
  /**
   * The caller needs no signatures after clustering (the CLI): with a per-record budget, the
   * index's signatures are let go as soon as the LSH index is built, and the outcome's
   * `index.signatures` is empty. Their n × numHashes × 4 bytes (25.6 MB at 50,000 records,
   * 256 MB at 500,000) are then not held through selection, verification and clustering.
   */
  releaseSignatures?: boolean;
  /**
   * A full garbage collection of the calling thread, where large arrays have just become
   * unreachable (the signatures once released, the candidate stages' arrays after verification).
   * Shared memory is freed only when every thread's views of it are collected, and the calling
   * thread's heap (records, ~40 MB at 50,000) grows too slowly for V8 to collect it on its own
   * during a run: without this, what was let go stays resident to the end.
   */
  collectGarbage?: () => void;
  /** Chunks the candidate stages (LSH bands, record ranges, selection) are cut into; default 2 per worker from 2,000 records, else 1. Any count gives the same result. */
  chunks?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

const VERIFY_CHUNK = 20_000;
/** Members per `identityPairs` task: full alignments, so fewer than the bounded ones of a verify chunk. */
const IDENTITY_CHUNK = 2_000;

/** Abundances from the ids' `;size=N`, when any id has one (greedy order, medoid tie-break). */
function abundanceOption(index: SequenceIndex): { abundance?: Int32Array } {
  const ids = index.records.map((r) => r.id);
  return hasAbundances(ids) ? { abundance: Int32Array.from(ids, abundanceOf) } : {};
}

/**
 * The members whose identity to their representative the graph did not hold, aligned in the pool
 * (a DBSCAN chain joins members that are not each other's neighbours): afterwards every
 * identity is exact. Fills `identity` in place.
 */
async function completeIdentities(index: SequenceIndex, reps: { representative: Int32Array; identity: Float32Array }, pool: WorkerPool, signal: AbortSignal | undefined, progress: (stage: string, done: number, total: number) => void): Promise<number> {
  const { i, j } = missingIdentities(reps);
  let done = 0;
  const jobs: Promise<void>[] = [];
  for (let from = 0; from < i.length; from += IDENTITY_CHUNK) {
    const to = Math.min(i.length, from + IDENTITY_CHUNK);
    jobs.push(
      pool.run('identityPairs', { packed: index.packed, i: i.slice(from, to), j: j.slice(from, to) }, { signal }).then((r) => {
        for (let t = 0; t < r.identity.length; t++) reps.identity[i[from + t]!] = r.identity[t]!;
        done += to - from;
        progress('identity to representatives', done, i.length);
      }),
    );
  }
  await Promise.all(jobs);
  return i.length;
}

export async function clusterDataset(file: string, options: ClusterOptions): Promise<ClusterOutcome> {
  const { pool, params } = options;
  const progress = options.onProgress ?? (() => undefined);
  if (!(params.threshold > 0 && params.threshold <= 1)) throw new RangeError(`threshold must be in (0, 1], got ${params.threshold}`);
  const clock = stageClock(pool);
  // A collection on every thread after the read and after the sketch: the reading worker's
  // garbage (the parsed file) and the sketch's are freed before the LSH stages allocate, which
  // then reuse that memory instead of growing the workers' malloc arenas (~10 MB of the peak).
  const onStageDone = (stage: string): void => {
    clock.lapAll(stage);
    options.collectGarbage?.();
  };
  const index = await buildSequenceIndex(file, { ...options, onProgress: progress, onStageDone });
  if (options.derep) return clusterDereplicated(index, options, clock);
  return clusterIndex(index, options, clock);
}

/** Stage times (stageTimes.ts), plus the start of the stage in progress for the exact path's own laps. */
interface StageClock {
  timer: ReturnType<typeof stageTimer>;
  t: number;
  cpu: number;
  lapAll(name: string): void;
}

function stageClock(pool: WorkerPool): StageClock {
  const clock: StageClock = {
    timer: stageTimer(pool),
    t: performance.now(),
    cpu: cpuNow(),
    lapAll: (name) => {
      clock.timer.lap(name);
      clock.t = performance.now();
      clock.cpu = cpuNow();
    },
  };
  return clock;
}

/** Clusters a built index (clusterDataset's work after the index); `abundance` orders greedy and breaks medoid ties. */
async function clusterIndex(index: SequenceIndex, options: ClusterOptions, clock: StageClock, abundance = abundanceOption(index), weights?: Int32Array): Promise<ClusterOutcome> {
  const { pool, signal, params } = options;
  const progress = options.onProgress ?? (() => undefined);
  const { seconds, cpuSeconds } = clock.timer;
  const lapAll = clock.lapAll;
  const n = index.records.length;
  if (params.exact && params.mode === 'greedy') throw new RangeError("greedy clustering runs on the LSH candidates; the exact matrix path is the study's DBSCAN");
  if (params.exact) return clusterExact(index, options, { seconds, cpuSeconds }, clock.t, clock.cpu, abundance);

  // A turn of the event loop between the index (its cache entry copied in, the abundances read)
  // and the set-up below.
  await ioTurn();
  // The candidate stages' arrays (order, low bytes, LSH index, bucket bounds, pairs, verified
  // chunks: ~60 MB at 50,000 amplicons) are locals of verifiedGraph: unreachable once it returns,
  // before the clustering task builds its graphs.
  const { edges, bands, rows, lshThreshold, lshPairs, prefiltered, aligned } = await verifiedGraph(index, options, lapAll);
  options.collectGarbage?.();

  progress('clustering', 0, 1);
  const clustered = await clusterGraphInPool(
    pool,
    {
      n,
      i: edges.i,
      j: edges.j,
      similarity: edges.identity,
      minPts: params.minPts,
      ...(params.mutualNeighbours && params.mode !== 'greedy' && params.mode !== 'leiden' ? { mutualNeighbours: params.mutualNeighbours } : {}),
      ...(params.mode === 'greedy' ? { mode: 'greedy' as const, lengths: Int32Array.from(index.records, (r) => r.length) } : {}),
      ...(params.mode === 'leiden' ? { mode: 'leiden' as const } : {}),
      ...abundance,
      ...(weights ? { weights } : {}),
    },
    { signal },
  );
  lapAll(params.mode ?? 'dbscan');
  const toRepresentatives = await completeIdentities(index, clustered, pool, signal, progress);
  if (toRepresentatives > 0) lapAll('representatives');
  return {
    index,
    labels: clustered.labels,
    summary: summarizeClusters(clustered.labels),
    edges,
    representative: clustered.representative,
    identity: clustered.identity,
    stats: {
      path: 'lsh',
      bands,
      rows,
      lshThreshold,
      candidates: lshPairs,
      prefiltered,
      aligned,
      edges: edges.i.length,
      edgesUsed: clustered.edgesUsed,
      fromCache: index.fromCache,
      seconds,
      cpuSeconds,
      parallelism: clock.timer.parallelism,
      criticalCpuSeconds: clock.timer.criticalCpuSeconds,
    },
  };
}

/** What verifiedGraph hands on: the verified edges (file order) and the candidate stages' counts. */
interface VerifiedGraph {
  edges: NeighbourEdges;
  bands: number;
  rows: number;
  lshThreshold: number;
  lshPairs: number;
  prefiltered: number;
  aligned: number;
}

/** Locality order → LSH candidates (or each record's best candidates) → exact verification in the pool → edges in file order. */
async function verifiedGraph(index: SequenceIndex, options: ClusterOptions, lapAll: (stage: string) => void): Promise<VerifiedGraph> {
  const { pool, signal, params } = options;
  const progress = options.onProgress ?? (() => undefined);
  const n = index.records.length;
  const H = index.params.numHashes;
  const lshThreshold = identityToJaccard(params.threshold, index.params.k);
  const { bands, rows } = chooseLshParams(Math.min(0.99, Math.max(0.01, lshThreshold)), H);
  progress('candidates', 0, 1);
  // The candidate and verification stages number the records in locality order (neighbours
  // close together in memory: engine/index/localityOrder); edges are mapped back.
  // There is no ordered copy of the symbols: verification reads them through `order`. With a
  // per-record budget there is no ordered copy of the signatures either (256 MB at 500,000
  // records): the LSH index reads the originals through `order`, the selection their low bytes.
  const { order, signatures: orderedSignatures, lowBytes } = await pool.run('localityOrder', { signatures: index.signatures, numHashes: H, lowBytes: Boolean(params.candidatesPerRecord) }, { signal });
  const ordered = { signatures: orderedSignatures };
  lapAll('locality order');
  // Per-pair Jaccard floors take the two lengths into account (a trimmed copy is identical by
  // our identity but shares fewer k-mers): q = t^k and each record's shingle count.
  const q = Math.pow(params.threshold, index.params.k);
  // Shared: every verification task reads it (a copy per task was a clone on the host thread).
  const shingles = new Int32Array(sharedBuffer(Math.max(1, n) * 4), 0, n);
  for (let p = 0; p < n; p++) shingles[p] = Math.max(1, index.records[order[p]!]!.length - index.params.k + 1);
  const chunks = options.chunks ?? (n < 2000 ? 1 : pool.size * 2);
  if (!(Number.isInteger(chunks) && chunks >= 1)) throw new RangeError(`chunks must be a positive integer, got ${chunks}`);
  const cand = lowBytes
    ? await selectedPairs(index, options.releaseSignatures ? (options.collectGarbage ?? (() => undefined)) : undefined, order, lowBytes, params, { bands, rows, lshThreshold, q, shingles, chunks, numHashes: H }, pool, signal, lapAll)
    : await candidatePairs({ ...index, signatures: ordered.signatures! }, params, { bands, rows, lshThreshold, q, shingles, chunks, numHashes: H }, pool, signal, lapAll);
  // The selection's inputs (low bytes 6 MB, LSH index 11 MB, bucket bounds 5 MB at 50,000
  // records) are unreachable here, but mapped memory is unmapped only once every thread has
  // collected its views of it: without a collection they were held through verification.
  if (lowBytes) options.collectGarbage?.();

  // Exact verification in chunks over the pool; the Jaccard pre-filter uses the same threshold.
  // Each chunk is a view of the shared candidate arrays (as the symbols and signatures are
  // shared): posting it copies nothing. Slices of 22 M pairs (BioMarKs50k at 97 %, no budget),
  // made for all 1,100 chunks at once, held the host thread for 0.3 s (more on a busy machine).
  const total = cand.i.length;
  if (!(cand.i.buffer instanceof SharedArrayBuffer && cand.j.buffer instanceof SharedArrayBuffer)) throw new Error('candidatePairs must return its pairs in shared memory');
  const parts: VerifyResult[] = [];
  let done = 0;
  const jobs: Promise<void>[] = [];
  for (let from = 0; from < total; from += VERIFY_CHUNK) {
    const to = Math.min(total, from + VERIFY_CHUNK);
    // With a per-record budget the selection has already applied the Jaccard floor: no second
    // estimate (and no ordered signatures to read).
    const floor = ordered.signatures ? { minJaccard: lshThreshold, q, shingles, signatures: ordered.signatures } : { minJaccard: 0 };
    const payload = { packed: index.packed, order, numHashes: H, ...floor, threshold: params.threshold, i: cand.i.subarray(from, to), j: cand.j.subarray(from, to) };
    jobs.push(
      pool.run('verifyPairs', payload, { signal }).then((r) => {
        parts.push(r);
        done += to - from;
        progress('verifying', done, total);
      }),
    );
  }
  await Promise.all(jobs);
  const edges = await concatEdges(parts, order);
  lapAll('verify');

  return {
    edges,
    bands,
    rows,
    lshThreshold,
    lshPairs: cand.lshPairs,
    prefiltered: cand.lshPairs - total + parts.reduce((s, p) => s + p.filtered, 0),
    aligned: parts.reduce((s, p) => s + p.aligned, 0),
  };
}

/** User + system CPU seconds of the whole process so far (every thread: the pool's workers run in-process). */
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Record ranges of the selection per chunk of the other candidate stages (see selectedPairs). */
const SELECT_RANGES_PER_CHUNK = 4;

/** Candidate pairs copied between two turns of the event loop. */
const PAIRS_PER_TURN = 1 << 21;

interface CandidatePlan {
  bands: number;
  rows: number;
  lshThreshold: number;
  q: number;
  shingles: Int32Array;
  chunks: number;
  numHashes: number;
}

/**
 * The shared arrays of an LSH index of `bands` × `records`, that the band tasks write in place
 * (engine/index/lsh BuildLshOptions.into): their pages are first touched on the workers, and no
 * part is joined into them on this thread. Records with an empty signature leave a tail unused.
 */
function lshArrays(bands: number, records: number): LshArrays {
  return { keys: sharedUint32(bands * records), ids: sharedUint32(bands * records) };
}

/**
 * With a per-record budget R: each record's best R candidates, selected straight from the LSH
 * index (engine/index/lshSelection) in record ranges over the pool, then merged — the list of
 * all candidate pairs is never built. Records are numbered in locality order: the index reads
 * the signatures (in file order) through `order`, the selection the ordered low bytes.
 */
async function selectedPairs(
  index: { signatures: Uint32Array },
  /** Set: the signatures are released (then this is called) once the LSH index is built. */
  releaseSignatures: (() => void) | undefined,
  order: Uint32Array,
  lowBytes: LowByteSignatures,
  params: ClusterParams,
  plan: CandidatePlan,
  pool: WorkerPool,
  signal: AbortSignal | undefined,
  lap: (stage: string) => void,
): Promise<{ i: Uint32Array; j: Uint32Array; lshPairs: number }> {
  const n = order.length;
  const R = params.candidatesPerRecord!;
  const chunks = Math.min(plan.chunks, Math.max(1, n));
  const bandChunks = Math.min(plan.bands, chunks);
  const into = lshArrays(plan.bands, n);
  const bandParts = await Promise.all(
    Array.from({ length: bandChunks }, (_, c) =>
      pool.run('lshBands', { signatures: index.signatures, order, numHashes: plan.numHashes, bands: plan.bands, rows: plan.rows, bandFrom: Math.floor((plan.bands * c) / bandChunks), bandTo: Math.floor((plan.bands * (c + 1)) / bandChunks), into }, { signal }),
    ),
  );
  const lsh = joinLshBands(bandParts, into);
  // From here on only the low bytes are read.
  if (releaseSignatures) {
    index.signatures = new Uint32Array(0);
    releaseSignatures();
  }
  const bounds = await pool.run('lshBounds', { index: lsh }, { signal });
  lap('lsh index');
  // Every record's whole row is read (not only its later partners), but rows differ: in locality
  // order the records of large buckets sit together, so equal record ranges are not equal work
  // (BioMarKs50k at 97 %, 4 ranges: 0.80 / 0.88 / 1.06 / 0.45 s). Finer ranges, taken by
  // whichever worker is free, even the workers out; each costs a stamp array of n and a post.
  const selectChunks = Math.min(Math.max(1, n), chunks * SELECT_RANGES_PER_CHUNK);
  const choices = await Promise.all(
    Array.from({ length: selectChunks }, (_, c) =>
      pool.run(
        'lshSelect',
        // With a budget R, a bucket beyond R members only adds pairs the budget drops (measured: same 16S scores, 1/3 fewer BioMarKs pairs).
        { index: lsh, bounds, lowBytes, perRecord: R, maxBucketSize: Math.max(16, R), minJaccard: plan.lshThreshold, q: plan.q, shingles: plan.shingles, recordFrom: Math.floor((n * c) / selectChunks), recordTo: Math.floor((n * (c + 1)) / selectChunks) },
        { signal },
      ),
    ),
  );
  const selected = await pool.run('mergeChoices', { parts: choices.map((c) => ({ i: c.i, j: c.j })), n }, { signal });
  lap('select');
  return { ...selected, lshPairs: choices.reduce((s, c) => s + c.pairs, 0) };
}

/**
 * Every LSH candidate pair, in record-range chunks over the pool (each chunk also estimates its
 * pairs when a per-record budget applies), then, with a budget, one pass keeping each record's
 * best (selectedPairs does this without the pair list; this path stays for the study's no-budget
 * runs and as the reference the selection is tested against).
 */
async function candidatePairs(
  index: SequenceIndex,
  params: ClusterParams,
  plan: CandidatePlan,
  pool: WorkerPool,
  signal: AbortSignal | undefined,
  lap: (stage: string) => void,
): Promise<{ i: Uint32Array; j: Uint32Array; lshPairs: number }> {
  // The pairs come back in shared memory (concatenated here, or collected by a worker).
  const n = index.records.length;
  const H = index.params.numHashes;
  const R = params.candidatesPerRecord;
  const base: CandidatesPayload = {
    signatures: index.signatures,
    numHashes: H,
    bands: plan.bands,
    rows: plan.rows,
    // With a per-record budget R, a bucket beyond R members only adds pairs the budget drops
    // (measured: same 16S scores, 1/3 fewer BioMarKs pairs).
    ...(R ? { maxBucketSize: Math.max(16, R), estimate: { minJaccard: plan.lshThreshold, q: plan.q, shingles: plan.shingles } } : {}),
  };
  // Rows of small i hold more pairs (i < j): chunk boundaries at equal shares of n(n − 1)/2.
  const chunks = Math.min(plan.chunks, Math.max(1, n));
  const bounds = [0];
  for (let c = 1; c < chunks; c++) bounds.push(Math.round(n * (1 - Math.sqrt(1 - c / chunks))));
  bounds.push(n);
  // The LSH index once, its bands split over the pool, joined in shared memory for every chunk.
  const bandChunks = Math.min(plan.bands, chunks);
  const into = lshArrays(plan.bands, n);
  const bandParts = await Promise.all(
    Array.from({ length: bandChunks }, (_, c) =>
      pool.run('lshBands', { signatures: index.signatures, numHashes: H, bands: plan.bands, rows: plan.rows, bandFrom: Math.floor((plan.bands * c) / bandChunks), bandTo: Math.floor((plan.bands * (c + 1)) / bandChunks), into }, { signal }),
    ),
  );
  const lsh = joinLshBands(bandParts, into);
  lap('lsh index');
  const parts = await Promise.all(
    bounds.slice(0, -1).map((from, c) => pool.run('lshCandidates', { ...base, index: lsh, recordFrom: from, recordTo: bounds[c + 1] }, { signal })),
  );
  lap('lsh candidates');
  // Every LSH pair is counted; with a budget only those at or above their floor came back.
  const lshPairs = parts.reduce((s, p) => s + p.stats.pairs, 0);
  const total = parts.reduce((s, p) => s + p.i.length, 0);
  // Shared: with a budget, every selection worker reads all the pairs.
  const i = sharedUint32(total);
  const j = sharedUint32(total);
  const codes = R ? new Uint16Array(sharedBuffer(Math.max(1, total) * 2), 0, total) : undefined;
  // Copied in pieces between turns of the event loop: fresh shared pages of 22 M pairs (BioMarKs50k
  // at 97 %, no budget) took 0.1 s of the host thread in one go.
  let at = 0;
  for (const p of parts) {
    for (let from = 0; from < p.i.length; from += PAIRS_PER_TURN) {
      const to = Math.min(p.i.length, from + PAIRS_PER_TURN);
      i.set(p.i.subarray(from, to), at);
      j.set(p.j.subarray(from, to), at);
      if (codes && p.codes) codes.set(p.codes.subarray(from, to), at);
      at += to - from;
      await ioTurn();
    }
  }
  if (!R || !codes) return { i, j, lshPairs };
  // Each worker marks the choices of a record range in one shared flag array (their union is
  // the sequential selection: engine/index/candidateSelection markSelected), one collects them.
  const keep = new Uint8Array(sharedBuffer(Math.max(1, total)), 0, total);
  const markChunks = chunks;
  await Promise.all(
    Array.from({ length: markChunks }, (_, c) =>
      pool.run('markCandidates', { n, numHashes: H, perRecord: R, i, j, codes, keep, recordFrom: Math.floor((n * c) / markChunks), recordTo: Math.floor((n * (c + 1)) / markChunks) }, { signal }),
    ),
  );
  const selected = await pool.run('collectCandidates', { numHashes: H, i, j, codes, keep }, { signal });
  lap('select');
  return { ...selected, lshPairs };
}

/** Edges mapped between two turns of the event loop: 2²⁰ took 20–100 ms a turn on the shared 2-core machine (fresh pages), this is a quarter. */
const EDGES_PER_TURN = 1 << 18;

/**
 * The verified edges of all chunks, mapped from locality order back to record ids (i < j). In
 * shared memory: the clustering task that follows gets them without a copy (a structured clone of
 * 13 M edges, 160 MB, held the LSP thread for 0.25 s), and the mapping yields to the event loop
 * every `EDGES_PER_TURN` edges of a part and after each part (13 M edges in one go, ~0.65 s, were one stall).
 */
async function concatEdges(parts: readonly VerifyResult[], order: Uint32Array): Promise<NeighbourEdges> {
  const m = parts.reduce((s, p) => s + p.i.length, 0);
  const shared = (bytes: number) => sharedBuffer(Math.max(4, bytes));
  const i = new Uint32Array(shared(m * 4), 0, m);
  const j = new Uint32Array(shared(m * 4), 0, m);
  const identity = new Float32Array(shared(m * 4), 0, m);
  let at = 0;
  for (const p of parts) {
    identity.set(p.identity, at);
    // Within a part too: one verify chunk can hold a million edges.
    for (let from = 0; from < p.i.length; from += EDGES_PER_TURN) {
      const to = Math.min(p.i.length, from + EDGES_PER_TURN);
      for (let e = from; e < to; e++, at++) {
        const a = order[p.i[e]!]!;
        const b = order[p.j[e]!]!;
        i[at] = a < b ? a : b;
        j[at] = a < b ? b : a;
      }
      await ioTurn();
    }
  }
  return { i, j, identity };
}

/** The study's exact path: every pairwise identity in a shared condensed matrix, then DBSCAN. */
async function clusterExact(
  index: SequenceIndex,
  options: ClusterOptions,
  times: { seconds: Record<string, number>; cpuSeconds: Record<string, number> },
  start: number,
  startCpu: number,
  abundance: { abundance?: Int32Array },
): Promise<ClusterOutcome> {
  const { seconds, cpuSeconds } = times;
  const { pool, signal, params } = options;
  const progress = options.onProgress ?? (() => undefined);
  const n = index.records.length;
  checkMatrixSize(n, params.matrixGuard);
  const pairs = (n * (n - 1)) / 2;
  const matrix = new Float32Array(sharedBuffer(Math.max(1, pairs) * 4), 0, pairs);
  // Row ranges with about equal numbers of pairs (row i holds n − 1 − i of them).
  const parts = pool.size * 8;
  const jobs: Promise<unknown>[] = [];
  let from = 0;
  let done = 0;
  for (let p = 1; p <= parts && from < n; p++) {
    const target = (pairs * p) / parts;
    let to = from;
    let acc = (from * (2 * n - from - 1)) / 2;
    while (to < n && acc < target) {
      acc += n - 1 - to;
      to++;
    }
    if (p === parts) to = n;
    const range = { from, to };
    const size = ((range.to - range.from) * (2 * n - range.from - range.to - 1)) / 2;
    jobs.push(
      pool.run('distanceRows', { packed: index.packed, matrix, n, ...range }, { signal }).then(() => {
        done += size;
        progress('distance matrix', done, pairs);
      }),
    );
    from = to;
  }
  await Promise.all(jobs);
  const now = performance.now();
  const cpu = cpuNow();
  seconds['matrix'] = (now - start) / 1000;
  cpuSeconds['matrix'] = cpu - startCpu;
  const eps = 1 - params.threshold + 1e-6;
  const result = await pool.run('matrixCluster', { matrix, n, eps, minPts: params.minPts, ...abundance }, { signal });
  seconds['dbscan'] = (performance.now() - now) / 1000;
  cpuSeconds['dbscan'] = cpuNow() - cpu;
  return {
    index,
    labels: result.labels,
    summary: summarizeClusters(result.labels),
    edges: { i: new Uint32Array(0), j: new Uint32Array(0), identity: new Float32Array(0) },
    representative: result.representative,
    identity: result.identity,
    stats: { path: 'exact', candidates: pairs, prefiltered: 0, aligned: pairs, edges: result.edges, edgesUsed: result.edges, fromCache: index.fromCache, seconds, cpuSeconds },
  };
}

/** DBSCAN labels of one dataset at several identity thresholds, from one verified graph. */
export interface MultiThresholdOutcome {
  /** The graph's clustering, at the lowest threshold. */
  base: ClusterOutcome;
  /** The thresholds as given, and the labels at each (parallel). */
  thresholds: number[];
  labels: Int32Array[];
}

/**
 * Clusters at several thresholds that nest: the graph of verified pairs is built once, at the
 * lowest threshold, and each threshold clusters its sub-graph (the pairs at ≥ it). DBSCAN with
 * minPts ≤ 2 on an unrefined graph is its connected components (minus isolated records, the
 * noise), and removing edges only splits components, so every cluster at a higher threshold lies
 * inside one cluster at a lower one. The mutual-neighbour refinement and minPts > 2 break that
 * (a record's neighbours change with the threshold), so they are refused here.
 */
export async function clusterAtThresholds(file: string, thresholds: readonly number[], options: ClusterOptions): Promise<MultiThresholdOutcome> {
  const { params, pool, signal } = options;
  if (thresholds.length === 0) throw new RangeError('no thresholds');
  if (params.mode === 'greedy' || params.mode === 'leiden' || params.exact || params.mutualNeighbours || params.minPts > 2) {
    throw new RangeError('clusters at several thresholds nest only for DBSCAN with minPts ≤ 2 on every verified link (no mutual-neighbour refinement, no exact path)');
  }
  const lowest = Math.min(...thresholds);
  const base = await clusterDataset(file, { ...options, params: { ...params, threshold: lowest } });
  const { edges } = base;
  const labels: Int32Array[] = [];
  for (const t of thresholds) {
    if (t === lowest) {
      labels.push(base.labels);
      continue;
    }
    // Identities are float32: compare with the threshold as float32 too, as a pair at exactly t was kept at t.
    const floor = Math.fround(t);
    let m = 0;
    for (let e = 0; e < edges.identity.length; e++) if (edges.identity[e]! >= floor) m++;
    // Shared, as the verified edges are: the graph is built on every worker (parallelGraph.ts).
    const i = new Uint32Array(sharedBuffer(Math.max(1, m) * 4), 0, m);
    const j = new Uint32Array(sharedBuffer(Math.max(1, m) * 4), 0, m);
    const similarity = new Float32Array(sharedBuffer(Math.max(1, m) * 4), 0, m);
    for (let e = 0, w = 0; e < edges.identity.length; e++) {
      if (edges.identity[e]! < floor) continue;
      i[w] = edges.i[e]!;
      j[w] = edges.j[e]!;
      similarity[w++] = edges.identity[e]!;
    }
    const r = await clusterGraphInPool(pool, { n: base.labels.length, i, j, similarity, minPts: params.minPts }, { signal });
    labels.push(r.labels);
  }
  return { base, thresholds: [...thresholds], labels };
}

/**
 * --derep: clusters one record per group of identical sequences (case- and strand-insensitive),
 * each weighted by its group's abundance (the members' `;size=N`, else 1 each), then gives every
 * record its group's cluster, representative (the representative group's first record) and
 * identity — a copy of the representative is at identity 1; a copy of another member at that
 * member's identity (for a reverse-complement copy: measured on the member's strand).
 */
async function clusterDereplicated(index: SequenceIndex, options: ClusterOptions, clock: StageClock): Promise<ClusterOutcome> {
  const n = index.records.length;
  const H = index.params.numHashes;
  const bytes = index.packed.kind === 'bytes';
  const textOf = (r: number): string => {
    const points = symbolsAt(index.packed, r) as Int32Array;
    let text = '';
    for (let at = 0; at < points.length; at += 8192) text += String.fromCodePoint(...points.subarray(at, at + 8192));
    return text;
  };
  const d = dereplicate(n, bytes ? (r) => sequenceKey(symbolsAt(index.packed, r) as Uint8Array, index.kind === 'sequence') : textOf);
  const u = d.first.length;
  const signatures = new Uint32Array(u * H);
  d.first.forEach((r, g) => signatures.set(index.signatures.subarray(r * H, (r + 1) * H), g * H));
  const abundance = new Int32Array(u);
  for (let r = 0; r < n; r++) abundance[d.groupOf[r]!]! += abundanceOf(index.records[r]!.id);
  const unique: SequenceIndex = {
    ...index,
    records: Array.from(d.first, (r) => index.records[r]!),
    packed: bytes ? packByteSequences(Array.from(d.first, (r) => symbolsAt(index.packed, r) as Uint8Array)) : packTexts(Array.from(d.first, textOf)),
    signatures,
  };
  // DBSCAN counts each unique sequence as the records it stands for, so a pair of copies is still a cluster.
  const inner = await clusterIndex(unique, options, clock, { abundance }, d.size);
  const labels = new Int32Array(n);
  const representative = new Int32Array(n);
  const identity = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    const g = d.groupOf[r]!;
    labels[r] = inner.labels[g]!;
    const rep = inner.representative[g]!;
    representative[r] = rep < 0 ? -1 : d.first[rep]!;
    identity[r] = inner.identity[g]!;
  }
  const edges = { i: Uint32Array.from(inner.edges.i, (g) => d.first[g]!), j: Uint32Array.from(inner.edges.j, (g) => d.first[g]!), identity: inner.edges.identity };
  return { index, labels, summary: summarizeClusters(labels), edges, representative, identity, stats: { ...inner.stats, unique: u } };
}
