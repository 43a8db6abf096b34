/**
 * Clustering a sequence or text dataset: the scalable path (MinHash → LSH candidates → Jaccard
 * pre-filter → bounded exact identity in parallel → mutual-neighbour refinement →
 * DBSCAN on the sparse graph) and the study's exact path (full distance matrix + DBSCAN, for
 * small inputs only). The host and the CLI both call this; every heavy step runs in the pool.
 */
import { checkMatrixSize, type MatrixGuard } from '../engine/cluster/exactMatrix';
import type { MutualNeighbourOptions } from '../engine/cluster/mutualNeighbours';
import { summarizeClusters, type ClusterSummary } from '../engine/cluster/summary';
import { chooseLshParams, identityToJaccard, joinLshBands } from '../engine/index/lsh';
import { sharedUint32 } from '../worker/packedSymbols';
import { stageTimer } from './stageTimes';
import type { WorkerPool } from './pool';
import { buildSequenceIndex, type BuildIndexOptions, type SequenceIndex } from './sequenceIndex';
import type { CandidatesPayload } from '../worker/tasks/candidates';
import type { VerifyResult } from '../worker/tasks/verify';

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
}

export const DEFAULT_THRESHOLD = 0.93;
export const DEFAULT_MIN_PTS = 2;
/** Default refinement: mutual 8-nearest neighbours, links at ≥ 98 % always kept (measured, see mutualNeighbours.ts). */
export const DEFAULT_MUTUAL_NEIGHBOURS = 8;
export const DEFAULT_STRONG_SIMILARITY = 0.98;
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
  stats: {
    path: 'lsh' | 'exact';
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
  pool: WorkerPool;
  /** Chunks the candidate stages (LSH bands, record ranges, selection) are cut into; default 2 per worker from 2,000 records, else 1. Any count gives the same result. */
  chunks?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

const VERIFY_CHUNK = 20_000;

export async function clusterDataset(file: string, options: ClusterOptions): Promise<ClusterOutcome> {
  const { pool, signal, params } = options;
  const progress = options.onProgress ?? (() => undefined);
  if (!(params.threshold > 0 && params.threshold <= 1)) throw new RangeError(`threshold must be in (0, 1], got ${params.threshold}`);
  const timer = stageTimer(pool);
  const { seconds, cpuSeconds, lap } = timer;
  let t = performance.now();
  let cpu = cpuNow();
  const lapAll = (name: string) => {
    lap(name);
    t = performance.now();
    cpu = cpuNow();
  };
  const index = await buildSequenceIndex(file, { ...options, onProgress: progress, onStageDone: lapAll });
  const n = index.records.length;
  if (params.exact) return clusterExact(index, options, { seconds, cpuSeconds }, t, cpu);

  const H = index.params.numHashes;
  const lshThreshold = identityToJaccard(params.threshold, index.params.k);
  const { bands, rows } = chooseLshParams(Math.min(0.99, Math.max(0.01, lshThreshold)), H);
  progress('candidates', 0, 1);
  // The candidate and verification stages work on a copy of the records in locality order
  // (neighbours close together in memory: engine/index/localityOrder); edges are mapped back.
  const local = await pool.run('localityOrder', { signatures: index.signatures, packed: index.packed, numHashes: H }, { signal });
  const { order } = local;
  const ordered = { ...index, signatures: local.signatures, packed: local.packed };
  lapAll('locality order');
  // Per-pair Jaccard floors take the two lengths into account (a trimmed copy is identical by
  // our identity but shares fewer k-mers): q = t^k and each record's shingle count.
  const q = Math.pow(params.threshold, index.params.k);
  const shingles = new Int32Array(n);
  for (let p = 0; p < n; p++) shingles[p] = Math.max(1, index.records[order[p]!]!.length - index.params.k + 1);
  const chunks = options.chunks ?? (n < 2000 ? 1 : pool.size * 2);
  if (!(Number.isInteger(chunks) && chunks >= 1)) throw new RangeError(`chunks must be a positive integer, got ${chunks}`);
  const cand = await candidatePairs(ordered, params, { bands, rows, lshThreshold, q, shingles, chunks }, pool, signal, lapAll);

  // Exact verification in chunks over the pool; the Jaccard pre-filter uses the same threshold.
  const total = cand.i.length;
  const parts: VerifyResult[] = [];
  let done = 0;
  const jobs: Promise<void>[] = [];
  for (let from = 0; from < total; from += VERIFY_CHUNK) {
    const to = Math.min(total, from + VERIFY_CHUNK);
    // With a per-record budget the selection has already applied the Jaccard floor: no second estimate.
    const floor = params.candidatesPerRecord ? { minJaccard: 0 } : { minJaccard: lshThreshold, q, shingles };
    const payload = { packed: ordered.packed, signatures: ordered.signatures, numHashes: H, ...floor, threshold: params.threshold, i: cand.i.slice(from, to), j: cand.j.slice(from, to) };
    jobs.push(
      pool.run('verifyPairs', payload, { signal, transfer: [payload.i.buffer, payload.j.buffer] }).then((r) => {
        parts.push(r);
        done += to - from;
        progress('verifying', done, total);
      }),
    );
  }
  await Promise.all(jobs);
  const edges = await concatEdges(parts, order);
  lapAll('verify');

  progress('clustering', 0, 1);
  const clustered = await pool.run(
    'graphCluster',
    { n, i: edges.i, j: edges.j, similarity: edges.identity, minPts: params.minPts, ...(params.mutualNeighbours ? { mutualNeighbours: params.mutualNeighbours } : {}) },
    { signal },
  );
  lapAll('dbscan');
  return {
    index,
    labels: clustered.labels,
    summary: summarizeClusters(clustered.labels),
    edges,
    stats: {
      path: 'lsh',
      bands,
      rows,
      lshThreshold,
      candidates: cand.lshPairs,
      prefiltered: cand.lshPairs - total + parts.reduce((s, p) => s + p.filtered, 0),
      aligned: parts.reduce((s, p) => s + p.aligned, 0),
      edges: edges.i.length,
      edgesUsed: clustered.edgesUsed,
      fromCache: index.fromCache,
      seconds,
      cpuSeconds,
      parallelism: timer.parallelism,
      criticalCpuSeconds: timer.criticalCpuSeconds,
    },
  };
}

/** User + system CPU seconds of the whole process so far (every thread: the pool's workers run in-process). */
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * LSH candidate pairs, in record-range chunks over the pool (each chunk also estimates its pairs
 * when a per-record budget applies), then, with a budget, one pass keeping each record's best.
 */
async function candidatePairs(
  index: SequenceIndex,
  params: ClusterParams,
  plan: { bands: number; rows: number; lshThreshold: number; q: number; shingles: Int32Array; chunks: number },
  pool: WorkerPool,
  signal: AbortSignal | undefined,
  lap: (stage: string) => void,
): Promise<{ i: Uint32Array; j: Uint32Array; lshPairs: number }> {
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
  const bandParts = await Promise.all(
    Array.from({ length: bandChunks }, (_, c) =>
      pool.run('lshBands', { signatures: index.signatures, numHashes: H, bands: plan.bands, rows: plan.rows, bandFrom: Math.floor((plan.bands * c) / bandChunks), bandTo: Math.floor((plan.bands * (c + 1)) / bandChunks) }, { signal }),
    ),
  );
  const lsh = joinLshBands(bandParts, sharedUint32);
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
  const codes = R ? new Uint16Array(new SharedArrayBuffer(Math.max(1, total) * 2), 0, total) : undefined;
  let at = 0;
  for (const p of parts) {
    i.set(p.i, at);
    j.set(p.j, at);
    if (codes && p.codes) codes.set(p.codes, at);
    at += p.i.length;
  }
  if (!R || !codes) return { i, j, lshPairs };
  // Each worker marks the choices of a record range in one shared flag array (their union is
  // the sequential selection: engine/index/candidateSelection markSelected), one collects them.
  const keep = new Uint8Array(new SharedArrayBuffer(Math.max(1, total)), 0, total);
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

/** Edges mapped between two turns of the event loop: 20–100 ms a turn measured on the shared 2-core machine. */
const EDGES_PER_TURN = 1 << 20;

/**
 * The verified edges of all chunks, mapped from locality order back to record ids (i < j). In
 * shared memory: the clustering task that follows gets them without a copy (a structured clone of
 * 13 M edges, 160 MB, held the LSP thread for 0.25 s), and the mapping yields to the event loop
 * every `EDGES_PER_TURN` edges (13 turns on BioMarKs50k at 97 %, ~0.65 s in all, that was one stall).
 */
async function concatEdges(parts: readonly VerifyResult[], order: Uint32Array): Promise<NeighbourEdges> {
  const m = parts.reduce((s, p) => s + p.i.length, 0);
  const shared = (bytes: number) => new SharedArrayBuffer(Math.max(4, bytes));
  const i = new Uint32Array(shared(m * 4), 0, m);
  const j = new Uint32Array(shared(m * 4), 0, m);
  const identity = new Float32Array(shared(m * 4), 0, m);
  let at = 0;
  let sinceYield = 0;
  for (const p of parts) {
    for (let e = 0; e < p.i.length; e++, at++) {
      const a = order[p.i[e]!]!;
      const b = order[p.j[e]!]!;
      i[at] = a < b ? a : b;
      j[at] = a < b ? b : a;
    }
    identity.set(p.identity, at - p.i.length);
    sinceYield += p.i.length;
    if (sinceYield >= EDGES_PER_TURN) {
      sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
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
): Promise<ClusterOutcome> {
  const { seconds, cpuSeconds } = times;
  const { pool, signal, params } = options;
  const progress = options.onProgress ?? (() => undefined);
  const n = index.records.length;
  checkMatrixSize(n, params.matrixGuard);
  const pairs = (n * (n - 1)) / 2;
  const matrix = new Float32Array(new SharedArrayBuffer(Math.max(1, pairs) * 4), 0, pairs);
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
  const result = await pool.run('matrixCluster', { matrix, n, eps, minPts: params.minPts }, { signal });
  seconds['dbscan'] = (performance.now() - now) / 1000;
  cpuSeconds['dbscan'] = cpuNow() - cpu;
  return {
    index,
    labels: result.labels,
    summary: summarizeClusters(result.labels),
    edges: { i: new Uint32Array(0), j: new Uint32Array(0), identity: new Float32Array(0) },
    stats: { path: 'exact', candidates: pairs, prefiltered: 0, aligned: pairs, edges: result.edges, edgesUsed: result.edges, fromCache: index.fromCache, seconds, cpuSeconds },
  };
}
