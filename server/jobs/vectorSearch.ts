/**
 * Exact kNN, range queries and DBSCAN of vectors over the worker pool (tasks `vectorKnn`,
 * `vectorRange`, ..., see worker/tasks/vectorKnn.ts). The n × dim matrix goes to the workers once, in a SharedArrayBuffer
 * (copied there only when it is not already shared); the query rows are cut into chunks, a few
 * per worker so that progress is smooth and a slow chunk does not hold the others up — or, for
 * a kNN of many queries, the workers claim data blocks instead (knnClaimed). For range
 * queries with j > i only, row i costs n − i − 1 pairs, so the chunks are cut at equal work, not
 * equal rows. Cancellation: the caller's AbortSignal cancels every chunk (the pool's flag, polled
 * by the task at each query block).
 */
import { epsFromKDistances, sampleRows, sampleScale, type EpsEstimate } from '../engine/cluster/epsEstimate';
import type { WeightedEdges } from '../engine/cluster/graph';
import { checkEnoughForCommunities, checkEnoughRecords, checkVectorClusterOptions, communityKnnSize, pairsFromRanges, usesGrid, type RangeChunk, type VectorClusterOptions, type VectorClustering } from '../engine/cluster/vectorClustering';
import { checkMatrix, checkMatrixByNorms, checkMatrixShape, FEW_QUERIES, resolveMetric, type KnnResult, type MetricOptions } from '../engine/index/knnExact';
import { mergeKnnPartials, type KnnPartial } from '../engine/index/knnPartial';
import { mergeShares, type NearestWithin, type RowProjection } from '../engine/index/nearestWithin';
import type { ProjectionBasis } from '../engine/index/projectedKnn';
import type { WorkerPool } from './pool';
import type { Tasks } from '../worker/registry';
import type { TaskPayload, TaskResult } from '../worker/taskContext';

export interface VectorJobOptions extends MetricOptions {
  pool: WorkerPool;
  signal?: AbortSignal;
  /** Stage ('kNN', 'project', 'eps', 'neighbours', 'DBSCAN'), then work done of total. */
  onProgress?: (stage: string, done: number, total: number) => void;
  /**
   * Chunks per worker (default 2): each chunk uploads and transposes the whole data matrix for its
   * worker's GEMM, and GEMM tiles want many query rows, so few large chunks (cut at equal work).
   */
  chunksPerWorker?: number;
}

export interface KnnJobOptions extends VectorJobOptions {
  /** Queries of their own (row-major); default: every data row. */
  queries?: Float32Array;
  /** Data rows as queries: leave each out of its own answer (default true). */
  excludeSelf?: boolean;
  /** Only these data rows as queries (each without itself). */
  rows?: Int32Array;
}

/** The same values in a SharedArrayBuffer (the array itself when it already is in one). */
export function sharedCopy(a: Float32Array): Float32Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const s = new Float32Array(new SharedArrayBuffer(a.length * Float32Array.BYTES_PER_ELEMENT));
  s.set(a);
  return s;
}

function sharedNorms(a: Float64Array): Float64Array {
  const s = new Float64Array(new SharedArrayBuffer(Math.max(1, a.length) * Float64Array.BYTES_PER_ELEMENT), 0, a.length);
  s.set(a);
  return s;
}

/** Cut points 0 = c₀ < … < c_m = rows with about equal work per chunk; `cost(i)` is row i's work. */
export function cutByWork(rows: number, chunks: number, cost: (i: number) => number): number[] {
  let total = 0;
  for (let i = 0; i < rows; i++) total += cost(i);
  const cuts = [0];
  let acc = 0;
  let next = 1;
  for (let i = 0; i < rows && next < chunks; i++) {
    acc += cost(i);
    if (acc >= (total * next) / chunks) {
      if (i + 1 > cuts[cuts.length - 1] && i + 1 < rows) cuts.push(i + 1);
      next++;
    }
  }
  if (rows > 0) cuts.push(rows);
  return cuts;
}

function metricOf(o: MetricOptions): MetricOptions {
  return { metric: o.metric ?? 'euclidean', ...(o.p !== undefined ? { p: o.p } : {}) };
}

/** The tasks that answer for a slice [from, to) of query rows. */
type ChunkedTask = 'vectorKnn' | 'vectorRange' | 'vectorKnnProjected' | 'vectorNearestWithin';

/** Runs the chunks [cuts[c], cuts[c+1]) of `task` through the pool, summing progress in rows. */
async function runChunks<K extends ChunkedTask>(options: VectorJobOptions, stage: string, cuts: number[], task: K, payload: (from: number, to: number) => TaskPayload<Tasks, K>): Promise<TaskResult<Tasks, K>[]> {
  const { pool, signal } = options;
  const total = cuts[cuts.length - 1] ?? 0;
  const doneBy = new Float64Array(cuts.length);
  const report = options.onProgress;
  report?.(stage, 0, total);
  const runs: Promise<TaskResult<Tasks, K>>[] = [];
  for (let c = 0; c + 1 < cuts.length; c++) {
    const from = cuts[c];
    const to = cuts[c + 1];
    runs.push(
      pool.run(task, payload(from, to), {
        ...(signal ? { signal } : {}),
        onProgress: (p) => {
          doneBy[c] = (p.done / Math.max(1, p.total)) * (to - from);
          if (report) report(stage, Math.round(doneBy.reduce((s, v) => s + v, 0)), total);
        },
      }),
    );
  }
  const results = await Promise.all(runs);
  report?.(stage, total, total);
  return results;
}

/** Rows per square block of the symmetric all-rows path (knnSymmetricPartial's tiles). */
const SYMMETRIC_BLOCK = 512;

/**
 * The kNN of every data row (each without itself) from the upper-triangle tiles, the workers
 * claiming tile columns from a shared counter (knnSymmetricShare), the partials merged by (exact
 * key, index); null when the metric has no dot form or a worker has no GEMM.
 */
async function knnAllRowsInPool(shared: Float32Array, n: number, dim: number, k: number, options: KnnJobOptions): Promise<KnnResult | null> {
  const { pool, signal } = options;
  const metric = metricOf(options);
  const m = resolveMetric(metric).metric;
  if ((m !== 'euclidean' && m !== 'sqeuclidean' && m !== 'cosine') || n < 2) return null;
  // Small data: about four tile columns per worker, so that the claims can balance.
  const workers = Math.max(1, pool.size);
  const block = Math.min(SYMMETRIC_BLOCK, Math.max(1, Math.ceil(n / (4 * workers))));
  // The norms once, over the pool (each worker computed them and scanned the data: 25 ms a worker at 10,000 × 784).
  const dataNorms = await squaredNormsInPool(shared, n, dim, options);
  checkMatrixByNorms(shared, n, dim, dataNorms);
  const claim = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  // Progress in rows, as on the other paths: the tiles done by every worker, of all the tiles.
  const doneBy = new Float64Array(workers);
  const report = options.onProgress;
  report?.('kNN', 0, n);
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, w) =>
      pool.run(
        'vectorKnnSymmetric',
        { data: shared, n, dim, ...metric, k, block, claim, dataNorms },
        {
          ...(signal ? { signal } : {}),
          onProgress: (p) => {
            doneBy[w] = p.done / Math.max(1, p.total);
            report?.('kNN', Math.min(n, Math.round(doneBy.reduce((s, v) => s + v, 0) * n)), n);
          },
        },
      ),
    ),
  );
  report?.('kNN', n, n);
  if (parts.some((p) => p === null)) return null;
  return mergePartials(
    parts.map((p) => p!),
    n,
    options,
  );
}

/**
 * Merged partials above this many entries (rows × k) are merged in a worker: the merge runs at
 * ~20 M entries a second, and the caller's thread is the host's in the editor (900,000 entries for
 * 60,000 rows × 15 took ~50 ms there). Below it a worker's turn would cost more than the merge.
 */
const MERGE_IN_POOL_ENTRIES = 1 << 16;

/** mergeKnnPartials, in a worker when it is big: the partials are transferred there, the answer back. */
async function mergePartials(parts: KnnPartial[], n: number, options: VectorJobOptions): Promise<KnnResult> {
  const metric = metricOf(options);
  if (n * (parts[0]?.k ?? 0) <= MERGE_IN_POOL_ENTRIES) return mergeKnnPartials(parts, n, metric);
  const transfer = parts.flatMap((p) => [p.count.buffer, p.indices.buffer, p.keys.buffer] as ArrayBuffer[]);
  return options.pool.run('vectorKnnMerge', { parts, n, ...metric }, { ...(options.signal ? { signal: options.signal } : {}), transfer });
}

/**
 * Exact kNN of every data row (or of `queries`, or of `rows`) in the pool; same result as knnExact.
 * Every data row as a query (the default) runs on the symmetric tiles: each pair's product once.
 */
export async function knnInPool(data: Float32Array, n: number, dim: number, k: number, options: KnnJobOptions): Promise<KnnResult> {
  checkMatrixShape(data, n, dim);
  const nq = options.rows ? options.rows.length : options.queries ? options.queries.length / dim : n;
  if (!Number.isInteger(nq)) throw new RangeError(`queries: ${options.queries?.length} values are not a whole number of rows of ${dim}`);
  const dot = resolveMetric(metricOf(options)).metric;
  if ((options.queries || options.rows) && nq >= FEW_QUERIES && (dot === 'euclidean' || dot === 'sqeuclidean' || dot === 'cosine')) return knnClaimed(data, n, dim, k, nq, options);
  const shared = sharedCopy(data.subarray(0, n * dim));
  if (!options.queries && !options.rows && options.excludeSelf !== false && Number.isInteger(k) && k >= 1) {
    const all = await knnAllRowsInPool(shared, n, dim, k, options);
    if (all) return all;
  }
  checkMatrix(data, n, dim);
  const queries = options.queries ? sharedCopy(options.queries) : undefined;
  const chunks = Math.max(1, Math.min(nq, options.pool.size * (options.chunksPerWorker ?? 2)));
  const cuts = cutByWork(nq, chunks, () => 1);
  const metric = metricOf(options);
  const parts = await runChunks(options, 'kNN', cuts, 'vectorKnn', (from, to) => ({
    data: shared,
    n,
    dim,
    ...metric,
    k,
    from,
    to,
    ...(options.rows ? { rows: options.rows.slice(from, to) } : {}),
    ...(queries ? { queries } : {}),
    ...(options.excludeSelf !== undefined ? { excludeSelf: options.excludeSelf } : {}),
  }));
  const kk = parts.length > 0 ? parts[0].k : Math.max(0, Math.min(k, options.rows || !queries ? n - 1 : n));
  const indices = new Int32Array(nq * kk);
  const distances = new Float32Array(nq * kk);
  for (let c = 0; c < parts.length; c++) {
    indices.set(parts[c].indices, cuts[c] * kk);
    distances.set(parts[c].distances, cuts[c] * kk);
  }
  return { nq, k: kk, indices, distances };
}

/** Query rows per left operand of knnClaimed's GEMM tiles (knnGemm.ts's default). */
const CLAIM_QUERY_BLOCK = 256;
/** Data rows per claimed block: at most this, and at least four blocks per worker. */
const CLAIM_DATA_BLOCK = 2048;

/**
 * knnInPool of own queries or listed rows (at least FEW_QUERIES): every worker searches all the
 * queries over the data blocks it claims from a shared counter (knnShareGemm), and the shares are
 * merged by (exact key, index). Cut by queries instead, each chunk uploaded and transposed the
 * whole data matrix again (1,000 queries of 10,000 × 784 on 2 warm workers: 0.69 s in 4 chunks,
 * 0.48 s claimed), and a fixed cut left one worker waiting when the other had more to do.
 */
async function knnClaimed(unshared: Float32Array, n: number, dim: number, k: number, nq: number, options: KnnJobOptions): Promise<KnnResult> {
  const { pool, signal } = options;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  if (options.queries) checkMatrix(options.queries, nq, dim, 'queries');
  for (const r of options.rows ?? []) if (!(Number.isInteger(r) && r >= 0 && r < n)) throw new RangeError(`query row ${r} is not within [0, ${n})`);
  const data = sharedCopy(unshared.subarray(0, n * dim));
  const queries = options.queries ? sharedCopy(options.queries) : undefined;
  const claim = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  const workers = Math.max(1, pool.size);
  const blocks: [number, number] = [CLAIM_QUERY_BLOCK, Math.max(1, Math.min(CLAIM_DATA_BLOCK, Math.ceil(n / (4 * workers))))];
  const report = options.onProgress;
  // Blocks are claimed in ascending order by all workers: the furthest block reached is the progress.
  let reached = 0;
  report?.('kNN', 0, nq);
  // The norms once, over the pool, and the data checked by them: each worker computed them and
  // scanned the data again (10 % of a share with 1,000 queries of 5,000 HOG descriptors), and so
  // did this thread (14 ms).
  const dataNorms = await squaredNormsInPool(data, n, dim, options);
  checkMatrixByNorms(data, n, dim, dataNorms);
  const payload = { data, n, dim, ...metricOf(options), k, claim, blocks, dataNorms, ...(queries ? { queries } : options.rows ? { rows: options.rows, ...(options.excludeSelf !== undefined ? { excludeSelf: options.excludeSelf } : {}) } : {}) };
  const results = await Promise.all(
    Array.from({ length: workers }, () =>
      pool.run('vectorKnnShare', payload, {
        ...(signal ? { signal } : {}),
        onProgress: (p) => {
          if (p.done <= reached) return;
          reached = p.done;
          report?.('kNN', reached, nq);
        },
      }),
    ),
  );
  report?.('kNN', nq, nq);
  const shares = [];
  for (const r of results) {
    if ('complete' in r) return r.complete;
    if ('share' in r) shares.push(r.share);
  }
  return mergePartials(shares, nq, options);
}

export interface NearestWithinJobOptions extends VectorJobOptions {
  /** Queries of their own (row-major); else `rows`. */
  queries?: Float32Array;
  /** These data rows as queries, each without itself (default: every data row). */
  rows?: Int32Array;
  /**
   * Only the `smallest` nearest distances are needed (engine NearestWithinOptions.smallest, per
   * chunk: the m smallest of all queries are among the m smallest of their chunk): a query whose
   * nearest lies beyond them may be answered −1; every answer given is still exact.
   */
  smallest?: number;
  /** euclidean, sqeuclidean: projected rows as lower bounds (projectionInPool; NearestWithinOptions.projection). */
  projection?: RowProjection;
  /**
   * squaredNormsInPool(data, n, dim), when the caller searches the same data more than once: no
   * chunk computes them again, and the data are checked by their norms (checkMatrixByNorms), not
   * scanned again. Same answer.
   */
  dataNorms?: Float64Array;
}

/**
 * squaredNorms(data, n, dim) over the pool, in a SharedArrayBuffer: the same values (each row is
 * summed alone, in order), for nearestWithinInPool's `dataNorms`.
 */
export async function squaredNormsInPool(data: Float32Array, n: number, dim: number, options: Pick<VectorJobOptions, 'pool' | 'signal'>): Promise<Float64Array> {
  const shared = sharedCopy(data.subarray(0, n * dim));
  const out = new Float64Array(new SharedArrayBuffer(Math.max(1, n) * Float64Array.BYTES_PER_ELEMENT), 0, n);
  const cuts = cutByWork(n, Math.max(1, Math.min(n, options.pool.size)), () => 1);
  const run = options.signal ? { signal: options.signal } : {};
  await Promise.all(cuts.slice(0, -1).map((from, c) => options.pool.run('vectorSquaredNorms', { data: shared, n, dim, from, to: cuts[c + 1], out }, run)));
  return out;
}

/**
 * The nearest data row within eps of each query (engine/index/nearestWithin.ts) in the pool; the
 * same result as nearestWithin on one thread.
 * - euclidean, sqeuclidean, cosine: every worker searches all the queries over the data blocks it
 *   claims from a shared counter (nearestWithinShare), one block at a time, and the shares are
 *   merged (mergeShares). No cost model to get wrong: a worker that is done with a block takes the
 *   next, so none waits while another still works, and each data block is uploaded once.
 * - other metrics (no norm window, no GEMM): the queries are cut into equal chunks.
 */
export async function nearestWithinInPool(data: Float32Array, n: number, dim: number, eps: number, options: NearestWithinJobOptions): Promise<NearestWithin> {
  // Shared, so that the chunks read one copy.
  const dataNorms = options.dataNorms && !(options.dataNorms.buffer instanceof SharedArrayBuffer) ? sharedNorms(options.dataNorms) : options.dataNorms;
  if (dataNorms) checkMatrixByNorms(data, n, dim, dataNorms);
  else checkMatrix(data, n, dim);
  const shared = sharedCopy(data.subarray(0, n * dim));
  const own = options.queries;
  const nq = own ? own.length / dim : options.rows ? options.rows.length : n;
  if (!Number.isInteger(nq)) throw new RangeError(`queries: ${own?.length} values are not a whole number of rows of ${dim}`);
  const metric = metricOf(options);
  if (metric.metric === 'euclidean' || metric.metric === 'sqeuclidean' || metric.metric === 'cosine') return nearestWithinClaimed(shared, n, dim, eps, nq, { ...options, ...(dataNorms ? { dataNorms } : {}) });
  // No norm window without a dot form: every query costs the same, equal chunks.
  const rows = own ? null : (options.rows ?? Int32Array.from({ length: n }, (_, i) => i));
  const cuts = cutByWork(nq, Math.max(1, Math.min(nq, options.pool.size * (options.chunksPerWorker ?? 2))), () => 1);
  const queries = own ? sharedCopy(own) : undefined;
  const parts = await runChunks(options, 'near copies', cuts, 'vectorNearestWithin', (from, to) => ({
    data: shared,
    n,
    dim,
    ...metric,
    eps,
    from,
    to,
    ...(options.smallest !== undefined ? { smallest: options.smallest } : {}),
    ...(dataNorms ? { dataNorms } : {}),
    ...(queries ? { queries } : { rows: rows!.slice(from, to) }),
  }));
  const index = new Int32Array(nq);
  const distance = new Float32Array(nq);
  parts.forEach((r, c) => {
    index.set(r.index, cuts[c]);
    distance.set(r.distance, cuts[c]);
  });
  return { nq, index, distance };
}

/** nearestWithinInPool's claimed path (see there): `data` shared, `dataNorms` shared when given. */
async function nearestWithinClaimed(data: Float32Array, n: number, dim: number, eps: number, nq: number, options: NearestWithinJobOptions): Promise<NearestWithin> {
  const { pool, signal } = options;
  const claim = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  const queries = options.queries ? sharedCopy(options.queries) : undefined;
  const report = options.onProgress;
  // Blocks are claimed in ascending order by all workers: the furthest block reached is the progress.
  let reached = 0;
  report?.('near copies', 0, nq);
  const payload = {
    data,
    n,
    dim,
    ...metricOf(options),
    eps,
    from: 0,
    to: nq,
    claim,
    ...(options.smallest !== undefined ? { smallest: options.smallest } : {}),
    ...(options.dataNorms ? { dataNorms: options.dataNorms } : {}),
    ...(options.projection ? { projection: options.projection } : {}),
    ...(queries ? { queries } : options.rows ? { rows: options.rows } : {}),
  };
  const results = await Promise.all(
    Array.from({ length: Math.max(1, pool.size) }, () =>
      pool.run('vectorNearestWithin', payload, {
        ...(signal ? { signal } : {}),
        onProgress: (p) => {
          if (p.done <= reached) return;
          reached = p.done;
          report?.('near copies', reached, nq);
        },
      }),
    ),
  );
  report?.('near copies', nq, nq);
  const complete = results.find((r) => r.complete);
  if (complete) return { nq, index: complete.index, distance: complete.distance };
  return mergeShares(
    results.flatMap((r) => (r.key && r.cap !== undefined ? [{ ...r, key: r.key, cap: r.cap }] : [])),
    nq,
  );
}

/**
 * The rows projected onto the top principal directions of a seeded sample (engine/index/
 * projectedKnn.ts), in three steps, the heavy ones over the pool (it was one task: 0.9 s of a
 * 3.4 s stage on one worker at 10,000 × 784). No cut changes a value (projectedKnn.ts): every
 * pool size gives the projection of projectRows. One column range per worker: each task draws
 * and centres the whole sample again (~30 ms), so no more of them than there are workers.
 * Null when the workers have no GEMM.
 */
export async function projectionInPool(data: Float32Array, n: number, dim: number, options: Pick<VectorJobOptions, 'pool' | 'signal' | 'onProgress'> & { components: number; seed: number; sampleRows?: number }): Promise<{ basis: ProjectionBasis; points: Float32Array } | null> {
  const { pool } = options;
  const shared = sharedCopy(data.subarray(0, n * dim));
  const run = options.signal ? { signal: options.signal } : {};
  const spec = { data: shared, n, dim, components: options.components, seed: options.seed, ...(options.sampleRows !== undefined ? { sampleRows: options.sampleRows } : {}) };
  options.onProgress?.('project', 0, 3);
  const colCuts = cutByWork(dim, Math.min(dim, pool.size), () => 1);
  const colParts = await Promise.all(colCuts.slice(0, -1).map((colFrom, c) => pool.run('vectorCovariance', { ...spec, colFrom, colTo: colCuts[c + 1] }, run)));
  if (colParts.some((p) => p === null)) return null;
  const cov = new Float32Array(new SharedArrayBuffer(dim * dim * Float32Array.BYTES_PER_ELEMENT));
  colParts.forEach((part, c) => {
    const c0 = colCuts[c];
    const w = colCuts[c + 1] - c0;
    for (let r = 0; r < dim; r++) cov.set(part!.subarray(r * w, (r + 1) * w), r * dim + c0);
  });
  options.onProgress?.('project', 1, 3);
  const basis = await pool.run('vectorBasis', { ...spec, cov }, run);
  if (!basis) return null;
  options.onProgress?.('project', 2, 3);
  const points = await projectRowsInPool(shared, n, dim, basis, options);
  options.onProgress?.('project', 3, 3);
  return points ? { basis, points } : null;
}

/** Rows projected onto a basis (projectRowRange) over the pool, n × m in a SharedArrayBuffer; null without a GEMM. */
export async function projectRowsInPool(data: Float32Array, n: number, dim: number, basis: ProjectionBasis, options: Pick<VectorJobOptions, 'pool' | 'signal'>): Promise<Float32Array | null> {
  const shared = sharedCopy(data.subarray(0, n * dim));
  const points = new Float32Array(new SharedArrayBuffer(Math.max(1, n * basis.m) * Float32Array.BYTES_PER_ELEMENT), 0, n * basis.m);
  const rowCuts = cutByWork(n, Math.min(n, options.pool.size * 2), () => 1);
  const run = options.signal ? { signal: options.signal } : {};
  const done = await Promise.all(rowCuts.slice(0, -1).map((from, c) => options.pool.run('vectorProjectRows', { data: shared, n, dim, ...basis, from, to: rowCuts[c + 1], points }, run)));
  return done.every(Boolean) ? points : null;
}

export interface ProjectedKnnJobOptions extends VectorJobOptions {
  /** Principal directions kept (default 64). */
  components?: number;
  /** Candidates per query, re-ranked exactly (default 4k). */
  candidates?: number;
  seed?: number;
}

/**
 * Approximate kNN of every data row (each without itself), euclidean or sqeuclidean: the rows
 * projected onto their top principal directions (split over the pool), candidates from the projection
 * and exact re-ranking over the pool (engine/index/projectedKnn.ts). Null when the workers have
 * no GEMM (the caller then runs knnInPool).
 */
export async function knnProjectedInPool(data: Float32Array, n: number, dim: number, k: number, options: ProjectedKnnJobOptions): Promise<KnnResult | null> {
  checkMatrix(data, n, dim);
  const metric = options.metric ?? 'euclidean';
  if (metric !== 'euclidean' && metric !== 'sqeuclidean') throw new RangeError(`projected kNN supports euclidean and sqeuclidean, not ${metric}`);
  const shared = sharedCopy(data.subarray(0, n * dim));
  const { pool } = options;
  const projected = await projectionInPool(shared, n, dim, { pool, components: options.components ?? 64, seed: options.seed ?? 1, ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  if (!projected) return null;
  const { points, basis } = projected;
  const projection = { points, m: basis.m };
  const kk = Math.min(k, n - 1);
  const chunks = Math.max(1, Math.min(n, pool.size * (options.chunksPerWorker ?? 2)));
  const cuts = cutByWork(n, chunks, () => 1);
  const candidates = options.candidates ?? 4 * kk;
  const parts = await runChunks(options, 'kNN', cuts, 'vectorKnnProjected', (from, to) => ({ data: shared, n, dim, metric, points, m: projection.m, k: kk, candidates, from, to }));
  const indices = new Int32Array(n * kk);
  const distances = new Float32Array(n * kk);
  for (let c = 0; c < parts.length; c++) {
    indices.set(parts[c].indices, cuts[c] * kk);
    distances.set(parts[c].distances, cuts[c] * kk);
  }
  return { nq: n, k: kk, indices, distances };
}

/** Edges from rangeEdgesInPool: `distance` parallel to i and j, or absent with `distances: false`. */
export interface RangeEdges {
  i: Uint32Array;
  j: Uint32Array;
  distance?: Float32Array;
}

/**
 * The exact range queries of every data row in the pool, as the workers answered them: chunks of
 * rows, each row with its partners j > i within eps. `distances: false`: membership only
 * (RangeOptions.distances: far fewer exact loops; DBSCAN needs no more).
 */
export async function rangeChunksInPool(data: Float32Array, n: number, dim: number, eps: number, options: VectorJobOptions & { distances?: boolean }): Promise<RangeChunk[]> {
  checkMatrix(data, n, dim);
  const shared = sharedCopy(data.subarray(0, n * dim));
  const chunks = Math.max(1, Math.min(n, options.pool.size * (options.chunksPerWorker ?? 2)));
  const cuts = cutByWork(n, chunks, (i) => n - i);
  const metric = metricOf(options);
  const parts = await runChunks(options, 'neighbours', cuts, 'vectorRange', (from, to) => ({ data: shared, n, dim, ...metric, eps, from, to, onlyAfter: true, distances: options.distances ?? true }));
  return parts.map((range, c) => ({ from: cuts[c], range }));
}

/**
 * Every pair (i < j) of data rows within eps, from exact range queries in the pool; sorted by (i, j).
 * `distances: false`: the pairs only. The list is made on the calling thread: the product hands
 * the chunks to its graph task instead (clusterVectorsInPool).
 */
export async function rangeEdgesInPool(data: Float32Array, n: number, dim: number, eps: number, options: VectorJobOptions & { distances?: true }): Promise<WeightedEdges>;
export async function rangeEdgesInPool(data: Float32Array, n: number, dim: number, eps: number, options: VectorJobOptions & { distances: boolean }): Promise<RangeEdges>;
export async function rangeEdgesInPool(data: Float32Array, n: number, dim: number, eps: number, options: VectorJobOptions & { distances?: boolean }): Promise<RangeEdges> {
  const withDistances = options.distances ?? true;
  return pairsFromRanges(await rangeChunksInPool(data, n, dim, eps, { ...options, distances: withDistances }), withDistances);
}

/** The buffers of range chunks, to transfer them to a task. */
function rangeBuffers(chunks: readonly RangeChunk[]): ArrayBuffer[] {
  return chunks.flatMap(({ range }) => [range.offsets.buffer, range.neighbours.buffer, range.distances.buffer] as ArrayBuffer[]);
}

/** eps from the k-distance curve of a seeded sample (k = minPts), the sample's kNN in the pool. */
export async function estimateEpsInPool(data: Float32Array, n: number, dim: number, options: VectorJobOptions & { minPts: number; sampleSize?: number; seed?: number }): Promise<EpsEstimate> {
  const k = options.minPts;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`minPts must be a positive integer, got ${k}`);
  if (n <= k) throw new RangeError(`eps cannot be estimated from ${n} points with minPts ${k}: need more than ${k}`);
  const rows = sampleRows(n, options.sampleSize ?? 2000, options.seed ?? 1);
  const knn = await knnInPool(data, n, dim, k, { ...options, rows, onProgress: (_s, d, t) => options.onProgress?.('eps', d, t) });
  const kDist = new Float32Array(rows.length);
  for (let q = 0; q < rows.length; q++) kDist[q] = knn.distances[q * knn.k + knn.k - 1];
  return epsFromKDistances(kDist, k, rows, sampleScale(data, dim, rows));
}

/**
 * clusterVectors over the pool: the same labels (engine/cluster/vectorClustering.ts). The grid
 * path runs in one worker (it is O(n)); the graph path computes its range queries in all of them,
 * then DBSCAN on the graph in one.
 */
export interface PoolClusterOptions extends VectorJobOptions, VectorClusterOptions {
  /** Graph path: also each record's this-many nearest neighbours within eps, from the range edges. */
  nearest?: number;
}

export async function clusterVectorsInPool(data: Float32Array, n: number, dim: number, options: PoolClusterOptions): Promise<VectorClustering & { nearest?: WeightedEdges }> {
  checkVectorClusterOptions(options);
  if (options.method === 'leiden') return communitiesInPool(data, n, dim, options);
  const { minPts } = options;
  checkMatrix(data, n, dim);
  const metric = metricOf(options);
  const grid = usesGrid(dim, metric);
  checkEnoughRecords(n, minPts, options.eps !== undefined);
  let eps = options.eps;
  let estimate: EpsEstimate | undefined;
  if (eps === undefined) {
    estimate = await estimateEpsInPool(data, n, dim, options);
    eps = estimate.eps;
  }
  const withEstimate = estimate ? { epsEstimate: estimate } : {};
  const run = { ...(options.signal ? { signal: options.signal } : {}) };
  if (grid) {
    options.onProgress?.('DBSCAN', 0, 1);
    const shared = sharedCopy(data.subarray(0, n * dim));
    const r = await options.pool.run('vectorGridCluster', { data: shared, n, dim, ...metric, eps: eps, minPts }, run);
    options.onProgress?.('DBSCAN', 1, 1);
    return { labels: r.labels, eps, method: 'grid', ...withEstimate };
  }
  // Distances only where the nearest neighbours or the mutual-neighbour filter read them: plain
  // DBSCAN needs membership, and membership-only range queries skip most exact loops.
  const needDistances = options.nearest !== undefined || !!options.mutualNeighbours;
  const ranges = await rangeChunksInPool(data, n, dim, eps, { ...options, distances: needDistances });
  options.onProgress?.('DBSCAN', 0, 1);
  const mutual = options.mutualNeighbours ? { mutualNeighbours: options.mutualNeighbours } : {};
  const nearest = options.nearest !== undefined ? { nearest: options.nearest } : {};
  const r = await options.pool.run('vectorGraphDbscan', { n, minPts, ranges, distances: needDistances, ...mutual, ...nearest }, { ...run, transfer: rangeBuffers(ranges) });
  options.onProgress?.('DBSCAN', 1, 1);
  return { labels: r.labels, eps, method: 'graph', edges: r.edges, ...(r.keptEdges !== undefined ? { keptEdges: r.keptEdges } : {}), ...withEstimate, ...(r.nearest ? { nearest: r.nearest } : {}) };
}

/**
 * The default vector clustering: the exact kNN of every row over the pool, then Leiden on its
 * fuzzy graph in one worker (engine/cluster/vectorClustering.ts). `eps` in the answer is the knee
 * of the minPts-distance curve of the same kNN, a scale for the user, not a cut: nothing is
 * dropped by it. `nearest`: each row's first neighbours of the kNN (each pair once).
 */
async function communitiesInPool(data: Float32Array, n: number, dim: number, options: PoolClusterOptions): Promise<VectorClustering & { nearest?: WeightedEdges }> {
  const { minPts } = options;
  checkMatrix(data, n, dim);
  checkEnoughForCommunities(n, minPts);
  const community = { minPts, seed: options.seed ?? 1 };
  const k = Math.max(communityKnnSize(n, community), Math.min(n - 1, minPts));
  const knn = await knnInPool(data, n, dim, k, { ...options, onProgress: (_s, d, t) => options.onProgress?.('kNN', d, t) });
  const rank = Math.min(knn.k, Math.max(1, minPts - 1));
  const kDist = new Float32Array(n);
  for (let v = 0; v < n; v++) kDist[v] = knn.distances[v * knn.k + rank - 1];
  const estimate = epsFromKDistances(kDist, rank, new Int32Array(0));
  const nearest = options.nearest !== undefined ? { nearest: options.nearest } : {};
  options.onProgress?.('communities', 0, 1);
  const r = await options.pool.run('vectorCommunity', { n, k: knn.k, indices: knn.indices, distances: knn.distances, options: community, ...nearest }, { ...(options.signal ? { signal: options.signal } : {}), transfer: [knn.indices.buffer as ArrayBuffer, knn.distances.buffer as ArrayBuffer] });
  options.onProgress?.('communities', 1, 1);
  return { labels: r.labels, eps: estimate.eps, method: 'leiden', edges: r.edges, communities: r.communities, ...(r.nearest ? { nearest: r.nearest } : {}) };
}
