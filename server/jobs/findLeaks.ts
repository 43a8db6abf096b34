/**
 * Leakage between splits: which records of one or more query sets (a test split) are exact or
 * near copies of a record in a reference set (the training split). The CLI (`simlab leaks`) and
 * the editor call {@link findLeaks}; every heavy step runs in the pool.
 *
 * Exact first, then near, and every reported pair verified:
 *  - exact: a content key per record (worker/tasks/leaks `contentKeys`) on what the records are
 *    once read — normalised sequence or text symbols (case, line endings), decoded pixels or
 *    feature values, never file bytes — then an element-by-element check of each key match;
 *  - near, sequences and text: MinHash signatures of both sets (jobs/sequenceIndex), LSH
 *    candidates from the reference for each query only, the bounded identity on the candidates
 *    (`crossLeaks`); reported when identity ≥ threshold;
 *  - near, vectors: exact 1-NN of each query row among the reference rows (jobs/vectorSearch),
 *    reported when distance ≤ eps; wide euclidean rows are first compared in a few projected
 *    principal directions, a lower bound that rules out nearly every pair exactly (PROJECTED).
 *    Without an eps, eps = {@link EPS_FACTOR} × the {@link EPS_QUANTILE} quantile of the
 *    reference's own 1-NN distances (exact duplicates within the reference left out): a copy
 *    sits far closer to its original than any two distinct reference records normally do.
 */
import type { DatasetReadOptions } from '../engine/data';
import type { VectorReadOptions } from '../engine/data/vectorDataset';
import type { FeatureKind } from '../engine/features/vectorFeatures';
import { identityToJaccard, chooseLshParams, DEFAULT_MAX_BUCKET_SIZE } from '../engine/index/lsh';
import type { VectorMetric } from '../engine/index/knnExact';
import { sampleRows } from '../engine/cluster/epsEstimate';
import { clusterKindOf } from './clusterParams';
import type { IndexCache } from './indexCache';
import type { WorkerPool } from './pool';
import { buildSequenceIndex, type SequenceIndex } from './sequenceIndex';
import { buildVectorIndex, type VectorIndex } from './vectorIndex';
import { knnInPool, nearestWithinInPool, projectionInPool, projectRowsInPool, squaredNormsInPool, type VectorJobOptions } from './vectorSearch';
import { projectionBounds, type RowProjection } from '../engine/index/rowProjection';
import { symbolsAt, type PackedSymbols } from '../worker/packedSymbols';
import type { CrossLeaksResult } from '../worker/tasks/leaks';

/**
 * Default identity threshold for sequences and text: a copy with 1 % substitutions and a few
 * indels sits at ≥ 0.98 (measured on 16S: 2,219 of 2,219 planted copies found); distinct 16S type
 * strains of one species also reach 0.97–0.99 (the OTU threshold), and are reported as near
 * copies: at that identity they leak the same information.
 */
export const DEFAULT_LEAK_THRESHOLD = 0.97;
/**
 * Default eps rule for vectors: EPS_FACTOR × the EPS_QUANTILE quantile of the reference's 1-NN
 * distances. Measured on Fashion-MNIST (50,000 reference images, raw pixels in [0, 1]): quantile
 * 1.61, copies with noise σ ≤ 5 grey levels or brightness +5 % at ≤ 1.07 (0.5 × missed 12 % of them).
 */
export const EPS_QUANTILE = 0.01;
export const EPS_FACTOR = 0.75;
/** Reference rows whose 1-NN distances the eps rule reads (a seeded sample). */
export const EPS_SAMPLE = 2000;
/** Reference rows the eps rule's pilot (its first radius) searches. */
const PILOT_SUBSET = 5000;
/**
 * Euclidean rows of at least PROJECT_FROM values are searched with PROJECTED principal directions
 * as lower bounds first (NearestWithinOptions.projection): exact answers, and on Fashion-MNIST
 * (784 pixels) about one pair per query survives the 32-dimensional bound where 17 % of all pairs
 * lie in the norm windows. Narrower rows are cheap to multiply in full.
 */
const PROJECT_FROM = 128;
const PROJECTED = 32;
/**
 * Reference rows whose covariance gives the directions: any orthonormal basis keeps the bound
 * exact, the sample only decides how much it prunes (2,000 rows: the same eps-rule and search
 * times as 5,000 on Fashion-MNIST, and 0.3 s less to compute).
 */
const PROJECTION_SAMPLE = 2000;

export class IncomparableDatasetsError extends Error {
  override readonly name = 'IncomparableDatasetsError';
}

export interface LeakPair {
  /** Index into the query files. */
  queryFile: number;
  /** Record index in that query file. */
  query: number;
  /** Record index in the reference. */
  reference: number;
  /** Identity (sequences, text) or distance (vectors). */
  score: number;
  kind: 'exact' | 'near';
}

export interface LeakDataset {
  file: string;
  ids: string[];
  /** Each record's first line (0-based; a table row's own line), parallel to `ids`: where the editor shows it. */
  lines: number[];
}

export interface LeakReport {
  kind: 'sequence' | 'text' | 'vector';
  reference: LeakDataset;
  queries: LeakDataset[];
  /** Ordered by query file, then query record. At most one pair per query record: its closest reference record. */
  pairs: LeakPair[];
  stats: {
    records: number;
    exact: number;
    near: number;
    seconds: Record<string, number>;
    threshold?: number;
    eps?: number;
    /** How eps was chosen when not given. */
    epsRule?: { quantile: number; factor: number; quantileDistance: number; sampled: number };
    metric?: VectorMetric;
    features?: FeatureKind;
    dim?: number;
    candidates?: number;
    aligned?: number;
  };
  warnings: string[];
}

export interface FindLeaksOptions {
  pool: WorkerPool;
  /** Sequences and text: identity in (0, 1] (default {@link DEFAULT_LEAK_THRESHOLD}). */
  threshold?: number;
  /** Vectors: distance radius (default: the eps rule). */
  eps?: number;
  /** Sequences and text. */
  read?: DatasetReadOptions;
  k?: number;
  numHashes?: number;
  /** Vectors (default features: raw — decoded pixels, table values as read). */
  vectorRead?: VectorReadOptions;
  features?: FeatureKind;
  metric?: VectorMetric;
  p?: number;
  cache?: IndexCache;
  signal?: AbortSignal;
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** Finds the query records that copy a reference record, exact or near; see the file comment. */
export async function findLeaks(reference: string, queries: readonly string[], options: FindLeaksOptions): Promise<LeakReport> {
  if (queries.length === 0) throw new RangeError('findLeaks needs at least one query dataset');
  const kinds = await Promise.all([reference, ...queries].map((f) => clusterKindOf(f)));
  for (let q = 0; q < queries.length; q++) {
    if (kinds[q + 1] !== kinds[0]) {
      throw new IncomparableDatasetsError(`${queries[q]} is ${describeKind(kinds[q + 1]!)} and ${reference} is ${describeKind(kinds[0]!)}: the reference and the query must be the same kind of data`);
    }
  }
  return kinds[0] === 'vector' ? vectorLeaks(reference, queries, options) : sequenceLeaks(reference, queries, options);
}

function describeKind(kind: 'sequence' | 'vector'): string {
  return kind === 'vector' ? 'a numeric dataset (table, images, volumes)' : 'a sequence or text dataset';
}

function timer(): { seconds: Record<string, number>; lap(name: string): void } {
  const seconds: Record<string, number> = {};
  let t = performance.now();
  return {
    seconds,
    lap(name) {
      const now = performance.now();
      seconds[name] = (seconds[name] ?? 0) + (now - t) / 1000;
      t = now;
    },
  };
}

/** Content keys of every record (packed symbols) or row (vectors), in a few chunks over the pool. */
async function contentKeys(n: number, source: { packed: PackedSymbols } | { data: Float32Array; dim: number }, pool: WorkerPool, signal: AbortSignal | undefined): Promise<Float64Array> {
  const keys = new Float64Array(n);
  const chunk = Math.max(1024, Math.ceil(n / (pool.size * 2)));
  const jobs: Promise<void>[] = [];
  for (let from = 0; from < n; from += chunk) {
    const to = Math.min(n, from + chunk);
    jobs.push(pool.run('contentKeys', { ...source, from, to }, { signal }).then((k) => keys.set(k, from)));
  }
  await Promise.all(jobs);
  return keys;
}

/** Reference record of each key (the first with it). */
function keyMap(keys: Float64Array): Map<number, number> {
  const map = new Map<number, number>();
  for (let r = 0; r < keys.length; r++) if (!map.has(keys[r]!)) map.set(keys[r]!, r);
  return map;
}

function sameSymbols(a: Uint8Array | Int32Array, b: Uint8Array | Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function sequenceLeaks(reference: string, queries: readonly string[], options: FindLeaksOptions): Promise<LeakReport> {
  const { pool, signal } = options;
  const threshold = options.threshold ?? DEFAULT_LEAK_THRESHOLD;
  if (!(threshold > 0 && threshold <= 1)) throw new RangeError(`threshold must be in (0, 1], got ${threshold}`);
  const clock = timer();
  const build = (file: string) => buildSequenceIndex(file, { pool, ...(options.read ? { read: options.read } : {}), ...(options.k !== undefined ? { k: options.k } : {}), ...(options.numHashes !== undefined ? { numHashes: options.numHashes } : {}), ...(options.cache ? { cache: options.cache } : {}), ...(signal ? { signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  const ref = await build(reference);
  const qs: SequenceIndex[] = [];
  for (const file of queries) {
    const q = await build(file);
    if (q.kind !== ref.kind) throw new IncomparableDatasetsError(`${file} holds ${q.kind === 'text' ? 'text' : 'sequences'} and ${reference} holds ${ref.kind === 'text' ? 'text' : 'sequences'}: the reference and the query must be the same kind of data`);
    qs.push(q);
  }
  clock.lap('index');
  const warnings = [...ref.warnings, ...qs.flatMap((q) => q.warnings)];
  const k = ref.params.k;
  const H = ref.params.numHashes;
  const refKeys = keyMap(await contentKeys(ref.records.length, { packed: ref.packed }, pool, signal));
  const shinglesOf = (index: SequenceIndex) => Int32Array.from(index.records, (r) => Math.max(1, r.length - k + 1));
  const referenceShingles = shinglesOf(ref);
  const lshThreshold = identityToJaccard(threshold, k);
  const { bands, rows } = chooseLshParams(Math.min(0.99, Math.max(0.01, lshThreshold)), H);
  const pairs: LeakPair[] = [];
  let exact = 0;
  let near = 0;
  let candidates = 0;
  let aligned = 0;
  let records = 0;
  for (let f = 0; f < qs.length; f++) {
    const q = qs[f]!;
    const n = q.records.length;
    records += n;
    const keys = await contentKeys(n, { packed: q.packed }, pool, signal);
    const found = new Int32Array(n).fill(-1);
    const score = new Float32Array(n);
    const isExact = new Uint8Array(n);
    const rest: number[] = [];
    for (let r = 0; r < n; r++) {
      const hit = refKeys.get(keys[r]!);
      if (hit !== undefined && sameSymbols(symbolsAt(q.packed, r), symbolsAt(ref.packed, hit))) {
        found[r] = hit;
        score[r] = 1;
        isExact[r] = 1;
      } else rest.push(r);
    }
    clock.lap('exact');
    // Near copies of the rest: query slices over the pool, each against the whole reference.
    const todo = Uint32Array.from(rest);
    const chunks = Math.max(1, Math.min(todo.length, pool.size * 2));
    const size = Math.ceil(todo.length / chunks);
    const base = { reference: ref.packed, referenceSignatures: ref.signatures, referenceShingles, query: q.packed, querySignatures: q.signatures, queryShingles: shinglesOf(q), numHashes: H, bands, rows, threshold, q: Math.pow(threshold, k), maxBucketSize: DEFAULT_MAX_BUCKET_SIZE };
    let done = 0;
    const parts = await Promise.all(
      Array.from({ length: todo.length > 0 ? chunks : 0 }, (_, c) => {
        const slice = todo.slice(c * size, Math.min(todo.length, (c + 1) * size));
        return pool.run('crossLeaks', { ...base, queries: slice }, { signal }).then((r: CrossLeaksResult) => {
          done += slice.length;
          options.onProgress?.('near copies', done, todo.length);
          return { slice, r };
        });
      }),
    );
    for (const { slice, r } of parts) {
      candidates += r.candidates;
      aligned += r.aligned;
      for (let t = 0; t < slice.length; t++) {
        if (r.reference[t]! < 0) continue;
        found[slice[t]!] = r.reference[t]!;
        score[slice[t]!] = r.identity[t]!;
      }
    }
    clock.lap('near');
    for (let r = 0; r < n; r++) {
      if (found[r]! < 0) continue;
      pairs.push({ queryFile: f, query: r, reference: found[r]!, score: score[r]!, kind: isExact[r] ? 'exact' : 'near' });
      if (isExact[r]) exact++;
      else near++;
    }
  }
  return {
    kind: ref.kind,
    reference: { file: reference, ids: ref.records.map((r) => r.id), lines: ref.records.map((r) => r.startLine) },
    queries: qs.map((q, f) => ({ file: queries[f]!, ids: q.records.map((r) => r.id), lines: q.records.map((r) => r.startLine) })),
    pairs,
    stats: { records, exact, near, seconds: clock.seconds, threshold, candidates, aligned },
    warnings,
  };
}

function sameRow(a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): boolean {
  for (let d = 0; d < dim; d++) if (a[ai * dim + d] !== b[bi * dim + d]) return false;
  return true;
}

async function vectorLeaks(reference: string, queries: readonly string[], options: FindLeaksOptions): Promise<LeakReport> {
  const { pool, signal } = options;
  const features = options.features ?? 'raw';
  if (features === 'scaled') {
    // Each file would be standardised by its own means and deviations: the same record in two files would differ.
    throw new RangeError("features 'scaled' standardises each file by its own statistics, so copies would not compare; leaks compares raw or hog features");
  }
  const metric = options.metric ?? 'euclidean';
  const clock = timer();
  const build = (file: string, warmGemm: boolean): Promise<VectorIndex> =>
    buildVectorIndex(file, { pool, features, metric, warmGemm, ...(options.vectorRead ? { read: options.vectorRead } : {}), ...(options.cache ? { cache: options.cache } : {}), ...(signal ? { signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  // Each file is read in a worker of its own: the query files while the reference is read. The
  // workers that read the (smaller) query files load their GEMM meanwhile; the reference's reader
  // does not, as the read of the largest file is what the search waits for.
  const [ref, ...read] = await Promise.all([reference, ...queries].map((file, f) => build(file, f > 0)));
  const qs: VectorIndex[] = [];
  for (let f = 0; f < queries.length; f++) {
    const file = queries[f]!;
    const q = read[f]!;
    if (q.kind !== ref.kind || q.dim !== ref.dim) {
      throw new IncomparableDatasetsError(`${file} has ${q.dim}-value ${q.kind} records (${q.featureKind} features of shape ${q.shape.join('×')}) and ${reference} has ${ref.dim}-value ${ref.kind} records (shape ${ref.shape.join('×')}): the reference and the query must be the same kind with the same width`);
    }
    qs.push(q);
  }
  clock.lap('index');
  const warnings = [...ref.warnings, ...qs.flatMap((q) => q.warnings)];
  const dim = ref.dim;
  const nRef = ref.records.length;
  const metricOptions = { metric, ...(options.p !== undefined ? { p: options.p } : {}) };

  // Content keys first (a fraction of a second in the pool): the eps rule reads the reference's
  // to leave its exact duplicates out, and the exact matching on this thread then runs while the
  // workers search for the eps rule.
  // The reference's squared norms too, once: the eps rule and the search over it read them
  // (each of their chunks computed them again: ~0.15 s per chunk at 50,000 × 784).
  const projects = dim >= PROJECT_FROM && (metric === 'euclidean' || metric === 'sqeuclidean');
  const [refKeyArray, refNorms, projected] = await Promise.all([
    contentKeys(nRef, { data: ref.features, dim }, pool, signal),
    squaredNormsInPool(ref.features, nRef, dim, { pool, ...(signal ? { signal } : {}) }),
    projects ? projectionInPool(ref.features, nRef, dim, { pool, components: PROJECTED, seed: 1, sampleRows: PROJECTION_SAMPLE, ...(signal ? { signal } : {}) }) : null,
  ]);
  const refProjection: RowProjection | undefined = projected ? { m: projected.basis.m, data: projected.points, ...projectionBounds(projected.basis, dim) } : undefined;
  const queryKeys = await Promise.all(qs.map((q) => contentKeys(q.records.length, { data: q.features, dim }, pool, signal)));
  let eps = options.eps;
  let epsRule: LeakReport['stats']['epsRule'];
  const rule = eps === undefined ? epsRuleInPool(ref.features, nRef, dim, { pool, ...metricOptions, keys: refKeyArray, dataNorms: refNorms, ...(refProjection ? { projection: refProjection } : {}), ...(signal ? { signal } : {}) }) : undefined;
  // A rejected rule is awaited below; until then it must not count as unhandled.
  rule?.catch(() => undefined);
  const refKeys = keyMap(refKeyArray);
  const split = qs.map((q, f) => {
    const n = q.records.length;
    const keys = queryKeys[f]!;
    const exactOf = new Int32Array(n).fill(-1);
    const rest: number[] = [];
    for (let r = 0; r < n; r++) {
      const hit = refKeys.get(keys[r]!);
      if (hit !== undefined && sameRow(q.features, r, ref.features, hit, dim)) exactOf[r] = hit;
      else rest.push(r);
    }
    const queryRows = new Float32Array(new SharedArrayBuffer(Math.max(1, rest.length) * dim * 4), 0, rest.length * dim);
    for (let t = 0; t < rest.length; t++) queryRows.set(q.features.subarray(rest[t]! * dim, (rest[t]! + 1) * dim), t * dim);
    return { exactOf, rest, queryRows };
  });
  clock.lap('exact');
  if (rule) {
    epsRule = await rule;
    eps = EPS_FACTOR * epsRule.quantileDistance;
    clock.lap('eps');
  }
  const pairs: LeakPair[] = [];
  let exact = 0;
  let near = 0;
  let records = 0;
  for (let f = 0; f < qs.length; f++) {
    const q = qs[f]!;
    const n = q.records.length;
    records += n;
    const { exactOf, rest, queryRows } = split[f]!;
    // The nearest reference row when within eps: the same answer as the 1-NN then d ≤ eps, on norm windows.
    const projectedQueries = projected && rest.length > 0 ? await projectRowsInPool(queryRows, rest.length, dim, projected.basis, { pool, ...(signal ? { signal } : {}) }) : null;
    const projection = refProjection && projectedQueries ? { ...refProjection, queries: projectedQueries } : undefined;
    const nearest = rest.length > 0 ? await nearestWithinInPool(ref.features, nRef, dim, eps!, { pool, ...metricOptions, queries: queryRows, dataNorms: refNorms, ...(projection ? { projection } : {}), ...(signal ? { signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) }) : undefined;
    clock.lap('near');
    const nearOf = new Int32Array(n).fill(-1);
    const distance = new Float32Array(n);
    for (let t = 0; nearest && t < rest.length; t++) {
      if (nearest.index[t]! < 0) continue;
      nearOf[rest[t]!] = nearest.index[t]!;
      distance[rest[t]!] = nearest.distance[t]!;
    }
    for (let r = 0; r < n; r++) {
      if (exactOf[r]! >= 0) {
        pairs.push({ queryFile: f, query: r, reference: exactOf[r]!, score: 0, kind: 'exact' });
        exact++;
      } else if (nearOf[r]! >= 0) {
        pairs.push({ queryFile: f, query: r, reference: nearOf[r]!, score: distance[r]!, kind: 'near' });
        near++;
      }
    }
  }
  return {
    kind: 'vector',
    reference: { file: reference, ids: ref.records.map((r) => r.id), lines: ref.records.map((r) => r.startLine) },
    queries: qs.map((q, f) => ({ file: queries[f]!, ids: q.records.map((r) => r.id), lines: q.records.map((r) => r.startLine) })),
    pairs,
    stats: { records, exact, near, seconds: clock.seconds, eps: eps!, ...(epsRule ? { epsRule } : {}), metric, features: ref.featureKind, dim },
    warnings,
  };
}

/**
 * The eps rule's quantile: the EPS_QUANTILE quantile of the positive 1-NN distances of a seeded
 * sample of reference rows (each without itself). Only the small distances decide it, so for
 * euclidean and sqeuclidean it searches within a radius (nearestWithinInPool: norm windows) that
 * grows until the quantile is known: rows found within r have their exact 1-NN distance, rows not
 * found lie beyond r, so once more than the quantile's rank of positive distances is found, that
 * rank's value is final. The radius starts from a 64-row pilot's 1-NN distances within a subset of
 * the reference (their 4th smallest positive) and grows ×4. Same value as the 1-NN of every row.
 * `dataNorms`: squaredNormsInPool(data) when the caller has them (the search that follows reads
 * them too): its passes do not compute them again.
 */
export async function epsRuleInPool(data: Float32Array, n: number, dim: number, options: VectorJobOptions & { keys?: Float64Array; dataNorms?: Float64Array; projection?: RowProjection }): Promise<NonNullable<LeakReport['stats']['epsRule']>> {
  const sample = sampleRows(n, EPS_SAMPLE);
  const { keys, dataNorms, projection, ...jobs } = options;
  const quantileOf = (positives: number[], beyond: number): number => {
    const m = positives.length + beyond;
    if (m === 0) return 0;
    positives.sort((a, b) => a - b);
    return positives[Math.min(m - 1, Math.floor(EPS_QUANTILE * m))]!;
  };
  const rule = (quantileDistance: number) => ({ quantile: EPS_QUANTILE, factor: EPS_FACTOR, quantileDistance, sampled: sample.length });
  const metric = jobs.metric ?? 'euclidean';
  if (metric !== 'euclidean' && metric !== 'sqeuclidean') {
    const knn = await knnInPool(data, n, dim, 1, { ...jobs, rows: sample });
    return rule(quantileOf(Array.from(knn.distances).filter((x) => x > 0), 0));
  }
  // The pilot searches a seeded subset of PILOT_SUBSET reference rows only (no upload of the whole
  // reference): a subset's 1-NN distance bounds the true one from above, so at least the share of
  // pilot rows the radius covers is found by the first pass.
  const pilotRows = sample.slice(0, 64);
  const subsetRows = sampleRows(n, PILOT_SUBSET, 3);
  const subset = new Float32Array(new SharedArrayBuffer(Math.max(1, subsetRows.length + pilotRows.length) * dim * 4), 0, (subsetRows.length + pilotRows.length) * dim);
  subsetRows.forEach((r, t) => subset.set(data.subarray(r * dim, (r + 1) * dim), t * dim));
  pilotRows.forEach((r, t) => subset.set(data.subarray(r * dim, (r + 1) * dim), (subsetRows.length + t) * dim));
  const pilot = await knnInPool(subset, subsetRows.length, dim, 1, { ...jobs, queries: subset.subarray(subsetRows.length * dim), excludeSelf: false, chunksPerWorker: 1 });
  // A pilot row that is in the subset finds itself at 0 (left out as a duplicate would be).
  const seen = Array.from(pilot.distances).filter((x) => x > 0).sort((a, b) => a - b);
  let radius = seen.length > 0 ? seen[Math.min(seen.length - 1, 3)]! : 1;
  // Only the smallest distances decide the quantile: each pass asks for the rank's worth of them
  // (plus the sampled rows that may be exact duplicates, found at 0 and left out), and the search
  // narrows as they are found (nearestWithinInPool's `smallest`). Without the content keys, every
  // sampled row may be a duplicate: no narrowing.
  const duplicates = keys ? sharedKeys(keys, sample) : sample.length;
  let pending = sample;
  const positives: number[] = [];
  for (;;) {
    const smallest = Math.floor(EPS_QUANTILE * sample.length) + 1 + duplicates;
    const r = await nearestWithinInPool(data, n, dim, radius, { ...jobs, ...(dataNorms ? { dataNorms } : {}), ...(projection ? { projection } : {}), rows: pending, ...(smallest < pending.length ? { smallest } : {}) });
    const next: number[] = [];
    for (let t = 0; t < pending.length; t++) {
      if (r.index[t]! < 0) next.push(pending[t]!);
      else if (r.distance[t]! > 0) positives.push(r.distance[t]!);
    }
    pending = Int32Array.from(next);
    const m = positives.length + pending.length;
    if (pending.length === 0 || positives.length > Math.min(m - 1, Math.floor(EPS_QUANTILE * m))) break;
    radius *= 4;
  }
  return rule(quantileOf(positives, pending.length));
}

/** How many of `rows` have a content key that another row of `keys` shares (maybe an exact duplicate). */
function sharedKeys(keys: Float64Array, rows: Int32Array): number {
  const count = new Map<number, number>();
  for (const r of rows) count.set(keys[r]!, 0);
  for (let r = 0; r < keys.length; r++) {
    const c = count.get(keys[r]!);
    if (c !== undefined) count.set(keys[r]!, c + 1);
  }
  let shared = 0;
  for (const r of rows) if (count.get(keys[r]!)! > 1) shared++;
  return shared;
}
