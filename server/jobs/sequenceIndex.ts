/**
 * A sequence or text dataset made ready for similarity search: its records (ids, labels, line
 * ranges), their symbols packed in shared memory, and their MinHash signatures — loaded from the
 * index cache when the file's content and the parameters are unchanged, else computed in the
 * worker pool and saved.
 */
import type { DatasetReadOptions, DataFormat } from '../engine/data';
import type { ReadProblem } from '../engine/data/records';
import { DEFAULT_MINHASH_SEED } from '../engine/index/minhash';
import { indexKey, type IndexCache } from './indexCache';
import { sharedUint32, type PackedSymbols } from '../worker/packedSymbols';
import { fromTask, loadDataset, type RecordMeta } from '../worker/tasks/loadDataset';
import type { WorkerPool } from './pool';
import type { ShingleSpec } from '../worker/tasks/sketch';

export interface IndexParams {
  /** DNA: k-mer length; text: characters per shingle. */
  k: number;
  numHashes: number;
  seed: number;
}

/** Defaults. k = 15 for DNA: measured on the 16S gold set, the k-mer Jaccard of pairs at ≥ 93 %
 * identity stays above 0.29 for 99 % of them while 99 % of other pairs are below 0.28; smaller
 * k raises the background of chance matches (k = 11: 0.35), larger k lowers the Jaccard of
 * true pairs towards the noise of a 128-slot estimate (k = 21: 0.21). Text: 5-character shingles. */
export const DEFAULT_DNA_K = 15;
export const DEFAULT_TEXT_K = 5;
export const DEFAULT_NUM_HASHES = 128;

export interface SequenceIndex {
  file: string;
  format: DataFormat;
  kind: 'sequence' | 'text';
  records: RecordMeta[];
  packed: PackedSymbols;
  signatures: Uint32Array;
  params: IndexParams;
  contentHash: string;
  /** True when the signatures came from the cache. */
  fromCache: boolean;
  warnings: string[];
  /** The read's located problems: records skipped (errors) or odd (warnings). */
  problems: ReadProblem[];
}

export interface BuildIndexOptions {
  read?: DatasetReadOptions;
  k?: number;
  numHashes?: number;
  pool: WorkerPool;
  cache?: IndexCache;
  signal?: AbortSignal;
  onProgress?: (stage: string, done: number, total: number) => void;
  /** Called as each stage ends ('read', then 'sketch' or 'sketch (cached)'): the caller's per-stage timing. */
  onStageDone?: (stage: string) => void;
}

export { normaliseText } from '../worker/textNormalisation';

export async function buildSequenceIndex(file: string, options: BuildIndexOptions): Promise<SequenceIndex> {
  const { pool, signal } = options;
  const progress = options.onProgress ?? (() => undefined);
  // Hashing and parsing runs in a worker (seconds for a large file, which the LSP thread must not spend),
  // unless the caller's read options hold functions, which cannot cross to a worker.
  const read = options.read ?? {};
  const dataset =
    read.labelOf || read.onWarning || read.onProgress
      ? await loadDataset(file, read, () => signal?.aborted === true, (done, total) => progress('reading', done, total))
      : fromTask(await pool.run('loadDataset', { file, read }, { signal, onProgress: (p) => progress('reading', p.done, p.total) }));
  signal?.throwIfAborted();
  options.onStageDone?.('read');
  const { kind, records, packed, contentHash } = dataset;
  const params: IndexParams = {
    k: options.k ?? (kind === 'sequence' ? DEFAULT_DNA_K : DEFAULT_TEXT_K),
    numHashes: options.numHashes ?? DEFAULT_NUM_HASHES,
    seed: DEFAULT_MINHASH_SEED,
  };
  const shingles: ShingleSpec = kind === 'sequence' ? { kind: 'kmers', k: params.k, canonical: true } : { kind: 'chars', n: params.k };
  const n = records.length;
  const limit = options.read?.limit;
  const key = indexKey(contentHash, { ...params, shingles: shingles.kind, n, limit: limit ?? null, format: dataset.format, textField: options.read?.textField ?? null });

  const signatures = sharedUint32(n * params.numHashes);
  const cached = options.cache ? await options.cache.load<{ n: number; numHashes: number }>(key) : undefined;
  let fromCache = false;
  if (cached && cached.header.n === n && cached.data.length === signatures.length) {
    signatures.set(cached.data);
    fromCache = true;
  } else {
    // Chunks of ~1/8 of the records: every worker busy, progress in useful steps.
    const chunk = Math.max(256, Math.ceil(n / (pool.size * 4)));
    let done = 0;
    const jobs: Promise<unknown>[] = [];
    for (let from = 0; from < n; from += chunk) {
      const to = Math.min(n, from + chunk);
      jobs.push(
        pool.run('sketch', { packed, shingles, numHashes: params.numHashes, seed: params.seed, from, to, signatures }, { signal }).then(() => {
          done += to - from;
          progress('sketching', done, n);
        }),
      );
    }
    await Promise.all(jobs);
  }
  const warnings = [...dataset.warnings];
  if (options.cache && !fromCache) {
    // The cache only saves time: a folder that cannot be written costs the next run its reuse, not this one its result.
    try {
      await options.cache.save(key, { n, numHashes: params.numHashes, file }, signatures);
    } catch (err) {
      warnings.push(`the index could not be cached in ${options.cache.dir}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  options.onStageDone?.(fromCache ? 'sketch (cached)' : 'sketch');
  return { file, format: dataset.format, kind, records, packed, signatures, params, contentHash, fromCache, warnings, problems: dataset.problems };
}
