/**
 * A sequence or text dataset made ready for similarity search: its records (ids, labels, line
 * ranges), their symbols packed in shared memory, and their MinHash signatures — loaded from the
 * index cache when the file's content and the parameters are unchanged, else computed in the
 * worker pool and saved. The pool's other workers sketch the sequences read so far while one
 * worker reads the rest (sketchWhileReading.ts).
 */
import type { DatasetReadOptions, DataFormat } from '../engine/data';
import type { ReadProblem } from '../engine/data/records';
import { DEFAULT_MINHASH_SEED } from '../engine/index/minhash';
import { indexKey, type CachedIndex, type IndexCache } from './indexCache';
import { sharedUint32, type PackedSymbols } from '../worker/packedSymbols';
import { fromTask, loadDataset, type LoadDatasetReport, type LoadedDataset, type PartSize, type RecordMeta } from '../worker/tasks/loadDataset';
import { SketchWhileReading } from './sketchWhileReading';
import { canReadInParallel, readInParallel } from './parallelRead';
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
  /** The chunks of text parsed side by side (parallelRead.ts); 0 when one parser read the file. */
  readChunks: number;
}

export interface BuildIndexOptions {
  read?: DatasetReadOptions;
  k?: number;
  numHashes?: number;
  pool: WorkerPool;
  cache?: IndexCache;
  signal?: AbortSignal;
  onProgress?: (stage: string, done: number, total: number) => void;
  /** How the reading worker hands out the sequences for sketching while it reads (default READ_PART; tests make parts small). */
  readParts?: PartSize;
  /**
   * A FASTA or FASTQ file is read in chunks on a pool of PARALLEL_READ_MIN_WORKERS (parallelRead.ts)
   * or more; true: from 2 workers (tests and the scaling bench, on this 2-core machine); false: by
   * one parser always (tests and benches compare the two).
   */
  parallelRead?: boolean;
  /** Bytes of text per chunk when a FASTA or FASTQ file is read on every core (parallelRead.ts; tests make them small). */
  readChunkBytes?: number;
  /** Called as each stage ends ('read', then 'sketch' or 'sketch (cached)'): the caller's per-stage timing. */
  onStageDone?: (stage: string) => void;
}

export { normaliseText } from '../worker/textNormalisation';

/** Parts the reading worker hands out for sketching while it reads (SketchWhileReading): a part takes ~50-100 ms to sketch. */
export const READ_PART: PartSize = { records: 2048, symbols: 1 << 20 };

function isSequenceFormat(format: DataFormat): boolean {
  return format === 'fasta' || format === 'fastq';
}

export async function buildSequenceIndex(file: string, options: BuildIndexOptions): Promise<SequenceIndex> {
  const { pool, signal } = options;
  const progress = options.onProgress ?? (() => undefined);
  const read = options.read ?? {};
  const settings = (sequence: boolean): { params: IndexParams; shingles: ShingleSpec } => {
    const k = options.k ?? (sequence ? DEFAULT_DNA_K : DEFAULT_TEXT_K);
    return {
      params: { k, numHashes: options.numHashes ?? DEFAULT_NUM_HASHES, seed: DEFAULT_MINHASH_SEED },
      shingles: sequence ? { kind: 'kmers', k, canonical: true } : { kind: 'chars', n: k },
    };
  };
  // The cache key holds what decides the signatures: the content, the format (from the name or
  // the content) and the read options that choose the records. The record count is checked
  // against the entry's header after the read; it is not in the key, so the cache can be looked
  // up as soon as the reading worker has hashed the file, before sketching anything.
  const keyOf = (contentHash: string, format: DataFormat): string => {
    const { params, shingles } = settings(isSequenceFormat(format));
    return indexKey(contentHash, { ...params, shingles: shingles.kind, limit: read.limit ?? null, format, textField: read.textField ?? null });
  };
  // One load per key: the lookup started when the worker reported the hash is the one used after the read.
  let loading: { key: string; found: Promise<CachedIndex<{ n: number; numHashes: number }> | undefined> } | undefined;
  const lookup = (key: string) => {
    if (!options.cache) return Promise.resolve(undefined);
    if (loading?.key !== key) loading = { key, found: options.cache.load<{ n: number; numHashes: number }>(key) };
    return loading.found;
  };

  // Hashing and parsing runs in a worker (seconds for a large file, which the LSP thread must not spend),
  // unless the caller's read options hold functions, which cannot cross to a worker. Meanwhile the
  // other workers sketch the sequences read so far, unless the cache holds the signatures.
  let sketched: SketchWhileReading | undefined;
  let dataset: LoadedDataset;
  if (read.labelOf || read.onWarning || read.onProgress) {
    dataset = await loadDataset(file, read, () => signal?.aborted === true, (done, total) => progress('reading', done, total));
  } else {
    const decideOnOpen = (whileReading: SketchWhileReading, contentHash: string, format: DataFormat): void => {
      if (!isSequenceFormat(format)) return whileReading.decide(undefined);
      const { params, shingles } = settings(true);
      void lookup(keyOf(contentHash, format)).then(
        (hit) => whileReading.decide(hit ? undefined : { shingles, numHashes: params.numHashes, seed: params.seed }),
        () => whileReading.decide(undefined),
      );
    };
    const reading = (done: number, total: number): void => progress('reading', done, total);
    let parallel: LoadedDataset | undefined;
    // FASTA and FASTQ on every core, on a pool large enough (parallelRead.ts); whatever that leaves (other formats, files with
    // something to report, options that need the whole file) the serial reader reads.
    if (options.parallelRead !== false && canReadInParallel(read, pool, options.parallelRead ? 2 : undefined)) {
      const whileReading = (sketched = new SketchWhileReading(pool, signal));
      try {
        parallel = await readInParallel(file, read, {
          pool,
          ...(signal ? { signal } : {}),
          progress: reading,
          listener: { opened: (contentHash, format) => decideOnOpen(whileReading, contentHash, format), part: (part) => whileReading.part(part) },
          partsSettled: () => whileReading.settled(),
          ...(options.readChunkBytes ? { chunkBytes: options.readChunkBytes } : {}),
        });
      } finally {
        if (!parallel) await whileReading.cancel();
      }
    }
    if (parallel) dataset = parallel;
    else {
      const whileReading = (sketched = new SketchWhileReading(pool, signal));
      const onReport = (report: LoadDatasetReport): void => {
        if ('part' in report) return whileReading.part(report.part);
        decideOnOpen(whileReading, report.opened.contentHash, report.opened.format);
      };
      try {
        dataset = await fromTask(await pool.run('loadDataset', { file, read, parts: options.readParts ?? READ_PART }, { signal, onProgress: (p) => (p.data ? onReport(p.data as LoadDatasetReport) : reading(p.done, p.total)) }));
      } catch (err) {
        await whileReading.cancel();
        throw err;
      }
    }
  }
  signal?.throwIfAborted();
  options.onStageDone?.('read');
  const { kind, records, packed, contentHash } = dataset;
  const { params, shingles } = settings(kind === 'sequence');
  const n = records.length;
  const key = keyOf(contentHash, dataset.format);

  const cached = await lookup(key);
  let signatures: Uint32Array;
  let fromCache = false;
  if (cached && cached.header.n === n && cached.data.length === n * params.numHashes) {
    await sketched?.cancel();
    signatures = sharedUint32(n * params.numHashes);
    signatures.set(cached.data);
    fromCache = true;
  } else {
    let done = 0;
    const tick = (count: number): void => {
      done += count;
      progress('sketching', done, n);
    };
    const jobs: Promise<unknown>[] = [];
    // What the parts did not cover (their sketches still landing meanwhile): chunks of ~1/8 of
    // the rest, every worker busy, progress in useful steps.
    const fromParts = sketched?.signaturesFor(n, params.numHashes, tick);
    signatures = fromParts?.signatures ?? sharedUint32(n * params.numHashes);
    const landed = fromParts?.landed ?? Promise.resolve();
    const from0 = sketched?.covers ?? 0;
    const chunk = Math.max(256, Math.ceil((n - from0) / (pool.size * 4)));
    for (let from = from0; from < n; from += chunk) {
      const to = Math.min(n, from + chunk);
      jobs.push(pool.run('sketch', { packed, shingles, numHashes: params.numHashes, seed: params.seed, from, to, signatures }, { signal }).then(() => tick(to - from)));
    }
    const results = await Promise.allSettled([landed, ...jobs]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
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
  return { file, format: dataset.format, kind, records, packed, signatures, params, contentHash, fromCache, warnings, problems: dataset.problems, readChunks: dataset.chunks ?? 0 };
}
