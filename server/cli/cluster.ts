/**
 * `simlab cluster <dataset> [--mode dbscan|greedy] [--threshold 0.93] [--min-pts 2] [--kmer 15] [--format tsv|json|uc|clstr|mmseqs] [--out FILE] [--centroids FILE]`
 * Sequences and text: MinHash + LSH candidates, exact identities on the candidates, then DBSCAN
 * or greedy centroids; each cluster's representative and every member's identity to it.
 */
import { DEFAULT_CANDIDATES_PER_RECORD, DEFAULT_MIN_PTS, DEFAULT_MUTUAL_NEIGHBOURS, DEFAULT_SHARED_NEIGHBOURS, DEFAULT_STRONG_SIMILARITY, DEFAULT_THRESHOLD, clusterAtThresholds, clusterDataset, type ClusterOutcome, type ClusterParams } from '../jobs/clusterDataset';
import { defineCommand } from './command';
import { clusterKindOf, resolveSequenceClusterParams, resolveVectorClusterParams, type ClusterParamsGiven, type ClusterParamsNaming } from '../jobs/clusterParams';
import { DEFAULT_VECTOR_MIN_PTS, clusterVectorDataset, type VectorClusterOutcome, type VectorClusterParams } from '../jobs/vectorClusterDataset';
import { formatNumber } from './format';
import { cacheOf, DATASET_OPTIONS, datasetPath, garbageCollector, progressReporter, readOptions, refuseVectorOptions, reportWarnings, SEQUENCE_POOL_OPTIONS, vectorOptions, withPool } from './dataset';
import { UsageError } from './errors';
import { refuseOverwritingInputs, writeOutputFile } from './output';
import { tsvField } from './tsv';
import path from 'node:path';
import { summarizeClusters } from '../engine/cluster/summary';
import { formatCentroids, formatClstr, formatMmseqs, formatTsv, formatUc, type ClusterTable } from './clusterFormats';
import { symbolsAt } from '../worker/packedSymbols';
import { describeModel, embedWithModel, MODEL_BACKEND_OPTION, refuseBackendWithoutModel } from './model';

export const CLUSTER_OPTIONS = {
  threshold: { type: 'number', valueName: 'T', description: `Identity threshold for sequences and text (default ${DEFAULT_THRESHOLD})` },
  eps: { type: 'number', valueName: 'D', description: 'Distance radius for vectors (sequences and text use --threshold)' },
  'min-pts': { type: 'number', valueName: 'N', description: `DBSCAN minPts, the record itself included (default ${DEFAULT_MIN_PTS}; ${DEFAULT_VECTOR_MIN_PTS} for numeric data)` },
  kmer: { type: 'number', valueName: 'K', description: 'k-mer length for DNA (default 15), shingle length for text (default 5)' },
  hashes: { type: 'number', valueName: 'H', description: 'MinHash signature length, 64–256 (default 128)' },
  'mutual-k': { type: 'number', valueName: 'M', description: `Keep a link only between mutual M-nearest neighbours (sequences and text: or at ≥ ${DEFAULT_STRONG_SIMILARITY} identity; numeric data: of the eps-graph, used above 3 dimensions or with a metric other than Euclidean) (default ${DEFAULT_MUTUAL_NEIGHBOURS}; 0 = plain DBSCAN on every link)` },
  'shared-neighbours': { type: 'number', valueName: 'J', description: `Sequences and text: also keep a link whose two records share at least this fraction of their neighbours (so a group larger than M is not cut; default ${DEFAULT_SHARED_NEIGHBOURS}; 0 = the mutual rule alone)` },
  'max-candidates': { type: 'number', valueName: 'R', description: `Align each record with at most R of its best LSH candidates by MinHash estimate (default ${DEFAULT_CANDIDATES_PER_RECORD}; 0 = all)` },
  exact: { type: 'boolean', description: "The study's exact path: full distance matrix + DBSCAN (small inputs only)" },
  mode: { type: 'string', valueName: 'dbscan|greedy|leiden', description: "Sequences and text: 'dbscan' (default, the study's), 'greedy' centroids as vsearch --cluster_fast (every member within --threshold of its centroid), or 'leiden' communities of the verified graph. Numeric data: 'leiden' (default: communities of the 15-nearest-neighbour graph, no radius) or 'dbscan' (the study's: --eps, --mutual-k)" },
} as const;

/** Command-line flags the cluster parameters come from (eval takes them too). */
type ClusterFlags = { threshold?: number; eps?: number; 'min-pts'?: number; 'mutual-k'?: number; 'shared-neighbours'?: number; 'max-candidates'?: number; exact?: boolean; kmer?: number; hashes?: number; mode?: string };

const FLAG_OF = { threshold: '--threshold', eps: '--eps', minPts: '--min-pts', mutualNeighbours: '--mutual-k', sharedNeighbours: '--shared-neighbours', candidatesPerRecord: '--max-candidates', exact: '--exact', method: '--mode' } as const;

/** Errors name the flags, and are usage errors (exit 2). */
const CLI_NAMING: ClusterParamsNaming = { name: (key) => FLAG_OF[key], error: (message) => new UsageError(message) };

function given(options: ClusterFlags): ClusterParamsGiven {
  return { threshold: options.threshold, eps: options.eps, minPts: options['min-pts'], mutualNeighbours: options['mutual-k'], sharedNeighbours: options['shared-neighbours'], candidatesPerRecord: options['max-candidates'], exact: options.exact };
}

export function clusterParams(options: ClusterFlags): ClusterParams {
  if (options.eps !== undefined) throw new UsageError('--eps is the radius for vector datasets; for sequences and text use --threshold (identity = 1 − eps)');
  const mode = options.mode ?? 'dbscan';
  if (mode !== 'dbscan' && mode !== 'greedy' && mode !== 'leiden') throw new UsageError(`--mode is dbscan, greedy or leiden, got '${mode}'`);
  if (mode === 'leiden') {
    if (options['mutual-k'] !== undefined || options['shared-neighbours'] !== undefined || options.exact !== undefined) throw new UsageError('--mutual-k, --shared-neighbours and --exact apply to --mode dbscan; --mode leiden clusters every verified link');
    const { mutualNeighbours: _m, ...rest } = resolveSequenceClusterParams(given(options), { naming: CLI_NAMING });
    return { ...rest, mode };
  }
  if (mode === 'greedy') {
    for (const k of ['min-pts', 'mutual-k', 'shared-neighbours', 'exact'] as const) {
      if (options[k] !== undefined) throw new UsageError(`--${k} applies to --mode dbscan; --mode greedy takes --threshold (and --kmer, --hashes, --max-candidates)`);
    }
    return { ...resolveSequenceClusterParams(given(options), { naming: CLI_NAMING }), mode };
  }
  return resolveSequenceClusterParams(given(options), { naming: CLI_NAMING });
}

export function checkIndexOptions(options: { kmer?: number; hashes?: number }): { k?: number; numHashes?: number } {
  const out: { k?: number; numHashes?: number } = {};
  if (options.kmer !== undefined) {
    if (!Number.isInteger(options.kmer) || options.kmer < 1 || options.kmer > 31) throw new UsageError(`--kmer needs an integer in 1..31, got ${options.kmer}`);
    out.k = options.kmer;
  }
  if (options.hashes !== undefined) {
    if (!Number.isInteger(options.hashes) || options.hashes < 16 || options.hashes > 1024) throw new UsageError(`--hashes needs an integer in 16..1024, got ${options.hashes}`);
    out.numHashes = options.hashes;
  }
  return out;
}

/** DBSCAN parameters of a numeric dataset (no identity: a radius in the metric's units). */
export function vectorClusterParams(options: ClusterFlags): VectorClusterParams {
  for (const k of ['threshold', 'shared-neighbours', 'max-candidates', 'exact', 'kmer', 'hashes'] as const) {
    if (options[k] !== undefined) throw new UsageError(`--${k} applies to sequences and text; numeric datasets take --mode leiden|dbscan, --min-pts, and with dbscan --eps D (a radius in the metric's units) and --mutual-k`);
  }
  return resolveVectorClusterParams({ ...given(options), method: options.mode }, { naming: CLI_NAMING });
}

/** `features` names what was clustered: the index's feature kind, or a model's embeddings. */
export function describeVectorOutcome(outcome: VectorClusterOutcome, features = `${outcome.index.featureKind} features`): string {
  const { summary, stats, index } = outcome;
  const eps = outcome.epsEstimate?.duplicates
    ? `eps ${formatNumber(outcome.eps)}: each of the ${outcome.epsEstimate.rows.length} sampled records has ${outcome.epsEstimate.k} identical neighbours, so identical records are clustered together (pass --eps to choose)`
    : outcome.epsEstimate
    ? `eps ${formatNumber(outcome.eps)} picked from the ${outcome.epsEstimate.k}-distance curve of ${outcome.epsEstimate.rows.length} records (pass --eps to choose)`
    : `eps ${formatNumber(outcome.eps)}`;
  if (stats.path === 'leiden') {
    const t = Object.entries(stats.seconds).map(([k, v]) => `${k} ${v.toFixed(2)} s`).join(', ');
    return `${summary.stats.records} records → ${summary.stats.clusters} clusters, ${summary.stats.noise} noise (${features}, ${index.dim} dims, ${index.metric}; Leiden communities of the 15-nearest-neighbour graph, ${stats.edges} links; --mode dbscan for the study's DBSCAN; ${t})`;
  }
  const time = Object.entries(stats.seconds)
    .map(([k, v]) => `${k} ${v.toFixed(2)} s`)
    .join(', ');
  return `${summary.stats.records} records → ${summary.stats.clusters} clusters, ${summary.stats.noise} noise (${features}, ${index.dim} dims, ${index.metric}; ${eps}; ${stats.path === 'grid' ? 'grid' : `eps-graph of ${stats.edges} links${stats.keptEdges !== undefined ? `, ${stats.keptEdges} between mutual neighbours` : ''}`}; ${time})`;
}

/** `statsOverride` replaces or adds JSON stats (a model's embeddings are the features, not the index's kind). */
export function formatClusters(outcome: ClusterOutcome | VectorClusterOutcome, format: 'tsv' | 'json', statsOverride: Record<string, unknown> = {}): string {
  const ids = outcome.index.records.map((r) => r.id);
  if (format === 'tsv' && 'representative' in outcome) return formatTsv(clusterTable(outcome));
  if (format === 'tsv') {
    const lines = ['record_id\tcluster'];
    for (let r = 0; r < ids.length; r++) lines.push(`${tsvField(ids[r] as string)}\t${outcome.labels[r]}`);
    return `${lines.join('\n')}\n`;
  }
  const { summary, stats } = outcome;
  const vector = 'eps' in outcome ? { eps: outcome.eps, features: outcome.index.featureKind, metric: outcome.index.metric, dim: outcome.index.dim } : {};
  return `${JSON.stringify(
    {
      dataset: outcome.index.file,
      clusters: summary.clusters.map((c) => ({
        id: c.id,
        size: c.size,
        ...('representative' in outcome ? representativeFields(outcome, c.members) : {}),
        members: c.members.map((m) => ids[m]),
        ...('representative' in outcome ? { identities: c.members.map((m) => round4(outcome.identity[m] as number)) } : {}),
      })),
      noise: summary.noise.map((m) => ids[m]),
      stats: { ...summary.stats, ...stats, ...vector, ...statsOverride },
    },
    null,
    2,
  )}\n`;
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}

/** JSON: the representative's id (members keep file order; `identities` is parallel to them). */
function representativeFields(outcome: ClusterOutcome, members: readonly number[]): { representative: string } {
  const rep = outcome.representative[members[0] as number] as number;
  return { representative: outcome.index.records[rep]!.id };
}

/** What the exported formats need of a sequence clustering. */
export function clusterTable(outcome: ClusterOutcome): ClusterTable {
  const records = outcome.index.records;
  return {
    ids: records.map((r) => r.id),
    lengths: Int32Array.from(records, (r) => r.length),
    labels: outcome.labels,
    representative: outcome.representative,
    identity: outcome.identity,
    kind: outcome.index.kind,
  };
}

/** A record's sequence as FASTA text, from the symbols that were clustered. */
function sequenceText(outcome: ClusterOutcome, record: number): string {
  const symbols = symbolsAt(outcome.index.packed, record);
  let text = '';
  const CHUNK = 8192;
  for (let at = 0; at < symbols.length; at += CHUNK) {
    const part = symbols.subarray(at, at + CHUNK);
    text += part instanceof Uint8Array ? String.fromCharCode(...part) : String.fromCodePoint(...part);
  }
  return text;
}

const SEQUENCE_FORMATS = { uc: formatUc, clstr: formatClstr, mmseqs: formatMmseqs } as const;
const FORMATS = ['tsv', 'json', 'uc', 'clstr', 'mmseqs'] as const satisfies readonly ('tsv' | 'json' | keyof typeof SEQUENCE_FORMATS)[];
type Format = (typeof FORMATS)[number];

export function describeOutcome(outcome: ClusterOutcome, threshold: number, mode: ClusterParams['mode'] = 'dbscan'): string {
  const { summary, stats } = outcome;
  const how = stats.path === 'lsh' ? `MinHash k=${outcome.index.params.k} · LSH ${stats.bands}×${stats.rows} · ${stats.candidates} candidates, ${stats.aligned} aligned, ${stats.edges} linked` : `exact matrix of ${stats.candidates} pairs, ${stats.edges} linked`;
  const time = Object.entries(stats.seconds)
    .map(([k, v]) => `${k} ${v.toFixed(2)} s`)
    .join(', ');
  const what = mode === 'greedy' ? `${summary.stats.clusters} greedy clusters, every member at identity ≥ ${threshold} to its centroid` : `${summary.stats.clusters} clusters, ${summary.stats.noise} noise (${mode === 'leiden' ? 'Leiden communities, ' : ''}identity ≥ ${threshold}`;
  return `${summary.stats.records} records → ${what}${mode === 'greedy' ? ' (' : '; '}${how}; ${time})`;
}

/** `--thresholds 0.99,0.97,0.90`: distinct identities in (0, 1], at least two. */
export function parseThresholds(text: string): number[] {
  const values = text.split(',').map((part) => {
    const t = Number(part.trim());
    if (part.trim() === '' || !(t > 0 && t <= 1)) throw new UsageError(`--thresholds takes identities in (0, 1] separated by commas, got '${part}' in '${text}'`);
    return t;
  });
  if (values.length < 2) throw new UsageError(`--thresholds needs at least two thresholds (one: use --threshold), got '${text}'`);
  if (new Set(values).size !== values.length) throw new UsageError(`--thresholds: a threshold is repeated in '${text}'`);
  return values;
}

/** `record_id<TAB>cluster_T1<TAB>cluster_T2 ...`: one label column per threshold, in the order given. */
export function formatThresholdColumns(ids: readonly string[], thresholds: readonly number[], labels: readonly Int32Array[]): string {
  const lines = [['record_id', ...thresholds.map((t) => `cluster_${t}`)].join('\t')];
  for (let r = 0; r < ids.length; r++) lines.push([tsvField(ids[r] as string), ...labels.map((l) => l[r])].join('\t'));
  return `${lines.join('\n')}\n`;
}

async function clusterMultiThreshold(file: string, options: ClusterFlags & Parameters<typeof readOptions>[0] & Parameters<typeof cacheOf>[0] & { thresholds?: string; out?: string; centroids?: string }, format: Format, io: Parameters<typeof progressReporter>[0]): Promise<void> {
  const thresholds = parseThresholds(options.thresholds as string);
  if (options.threshold !== undefined) throw new UsageError('--thresholds and --threshold: give one of them');
  if (format !== 'tsv') throw new UsageError(`--thresholds writes one TSV column per threshold; --format ${format} takes a single --threshold`);
  if (options.centroids !== undefined) throw new UsageError('--centroids takes a single --threshold');
  if (options.mode === 'greedy' || options.mode === 'leiden') throw new UsageError(`--thresholds: ${options.mode} clusters at different thresholds do not nest (a record may join another ${options.mode === 'greedy' ? 'centroid' : 'community'}); --thresholds uses --mode dbscan`);
  if (options.exact) throw new UsageError('--thresholds runs on the LSH candidates; --exact takes a single --threshold');
  if (options['mutual-k'] !== undefined && options['mutual-k'] !== 0) throw new UsageError('--thresholds: clusters nest only on every verified link; --mutual-k must be 0 (the default here)');
  if (options['shared-neighbours'] !== undefined) throw new UsageError('--thresholds: clusters nest only on every verified link; --shared-neighbours refines the mutual-neighbour links, which --thresholds does not use');
  if (options['min-pts'] !== undefined && options['min-pts'] > 2) throw new UsageError(`--thresholds: clusters nest only for --min-pts ≤ 2 (connected components), got ${options['min-pts']}`);
  const params = resolveSequenceClusterParams({ ...given(options), mutualNeighbours: 0, threshold: Math.min(...thresholds) }, { naming: CLI_NAMING });
  const outcome = await withPool((pool) =>
    clusterAtThresholds(file, thresholds, { pool, params, read: readOptions(options), ...checkIndexOptions(options), cache: cacheOf(options), onProgress: progressReporter(io), releaseSignatures: true, collectGarbage: garbageCollector(pool) }),
    SEQUENCE_POOL_OPTIONS,
  );
  reportWarnings(io, 'cluster', outcome.base.index.warnings);
  const text = formatThresholdColumns(outcome.base.index.records.map((r) => r.id), outcome.thresholds, outcome.labels);
  if (options.out !== undefined) await writeOutputFile(options.out, text);
  else io.stdout.write(text);
  const counts = outcome.thresholds.map((t, k) => `${summarizeClusters(outcome.labels[k] as Int32Array).stats.clusters} at ${t}`).join(', ');
  io.stderr.write(`${outcome.base.index.records.length} records → clusters ${counts} (nested; ${describeOutcome(outcome.base, Math.min(...thresholds)).replace(/^.*?\(/, '')}\n`);
}

export default defineCommand({
  name: 'cluster',
  summary: 'Cluster the records of a dataset (sequences/text: MinHash + LSH + DBSCAN; tables, images, volumes: Leiden communities of the kNN graph, or DBSCAN)',
  usage: [
    'cluster <dataset> [--mode dbscan|greedy|leiden] [--threshold 0.93] [--min-pts 2] [--kmer 15] [--format tsv|json|uc|clstr|mmseqs] [--out FILE] [--centroids FILE]',
    'cluster <table|images|volumes> [--mode leiden|dbscan] [--eps D] [--min-pts 5] [--mutual-k 8] [--features raw|hog|scaled] [--metric euclidean] [--format tsv|json] [--out FILE]',
    'cluster <dataset> --model DIR [--mode leiden|dbscan] [--eps D] [--min-pts 5] [--mutual-k 8] [--format tsv|json] [--out FILE]',
  ],
  details: [
    'Output (tsv): a header `record_id<TAB>cluster<TAB>representative<TAB>identity`, then one row per record; noise is -1 with an empty representative and identity (numeric datasets: the first two columns only).',
    "Representatives: DBSCAN clusters get their medoid (highest mean identity to the other members over the verified pairs; ties by ;size=N, then file order), greedy clusters their centroid; every member's identity to it is exact (aligned when verification had not).",
    "--mode dbscan (default): the study's density clustering; finds chained groups (species, genera) and leaves isolated records as noise, but two members of one cluster may be far apart.",
    '--mode greedy: centroids as vsearch --cluster_fast (records by decreasing length, or abundance when ids carry ;size=N; each joins the closest centroid at ≥ --threshold, else starts one): every member is within the threshold of its centroid and every record is in a cluster — pick it for OTUs and for a reduced set of representatives.',
    '--thresholds 0.99,0.97,0.9: one cluster column per threshold; the verified graph is built once at the lowest and each threshold clusters its sub-graph, so clusters nest (DBSCAN with --min-pts ≤ 2 and no --mutual-k: connected components).',
    '--derep: records identical up to case and strand are clustered once (counted as many, for DBSCAN and the greedy order) and every copy gets its original\'s cluster, representative and identity.',
    'Other tools: --format uc (vsearch/USEARCH), clstr (cd-hit), mmseqs (representative<TAB>member); there a noise record is a cluster of one. --centroids FILE writes the representatives as FASTA with ;size=N.',
    'Identity = 1 − (edit distance − length difference) / shorter length (cd-hit-est\'s sense).',
    'Numeric datasets: --mode leiden (default) cuts the 15-nearest-neighbour graph (UMAP weights) into Leiden communities, those smaller than --min-pts are noise; --mode dbscan (implied by --eps or --mutual-k) is the study\'s DBSCAN: without --eps, eps is read off the k-distance curve (k = min-pts) and printed.',
    'Indexes are cached by file content and parameters; the second run on a file skips sketching.',
    "--model DIR: clusters a trained model's embeddings, in its distance (Leiden, or DBSCAN with eps in that distance's units).",
  ].join('\n'),
  options: {
    ...CLUSTER_OPTIONS,
    format: { type: 'string', valueName: 'tsv|json|uc|clstr|mmseqs', description: 'Output format (default tsv; uc, clstr, mmseqs: sequences and text only)' },
    out: { type: 'string', valueName: 'FILE', description: 'Write the result to FILE instead of stdout' },
    centroids: { type: 'string', valueName: 'FILE', description: "Sequences: also write each cluster's representative as FASTA, `>id;size=N`" },
    derep: { type: 'boolean', description: 'Sequences: collapse records identical up to case and strand before clustering (each weighted by its count), then give every copy its cluster' },
    thresholds: { type: 'string', valueName: 'T1,T2,...', description: 'Sequences and text: cluster at each identity threshold, one TSV column each; the clusters nest (DBSCAN, min-pts ≤ 2, no --mutual-k)' },
    model: { type: 'string', valueName: 'DIR', description: 'Cluster a trained model\'s embeddings (simlab train)' },
    ...MODEL_BACKEND_OPTION,
    ...DATASET_OPTIONS,
  },
  async run({ options, positionals }, io) {
    const file = await datasetPath(positionals, 'cluster');
    const format = (options.format ?? 'tsv') as Format;
    if (!FORMATS.includes(format)) throw new UsageError(`--format is ${FORMATS.join(', ')}, got '${format}'`);
    refuseBackendWithoutModel(options);
    await refuseOverwritingInputs({ '--out': options.out, '--centroids': options.centroids }, [file, options.labels, options.model]);
    if (options.out !== undefined && options.centroids !== undefined && path.resolve(options.out) === path.resolve(options.centroids)) throw new UsageError('--out and --centroids name the same file');
    const sequenceOnly = format in SEQUENCE_FORMATS ? `--format ${format}` : options.centroids !== undefined ? '--centroids' : undefined;
    if (sequenceOnly && options.model !== undefined) throw new UsageError(`${sequenceOnly} applies to sequence and text clusters (with representatives), not to a model's embeddings`);
    if (options.model !== undefined) {
      const params = vectorClusterParams(options);
      const modelDir = options.model;
      const { embedded, outcome } = await withPool(async (pool) => {
        const e = await embedWithModel(file, modelDir, options, pool, io);
        const { clusterModelEmbeddings } = await import('../jobs/modelEmbeddings.js');
        return { embedded: e, outcome: await clusterModelEmbeddings(e, params, { pool, onProgress: progressReporter(io) }) };
      });
      reportWarnings(io, 'cluster', outcome.index.warnings);
      // The embeddings are the features here: say so instead of the index's 'raw'.
      const text = formatClusters(outcome, format as 'tsv' | 'json', { features: 'model', model: embedded.manifest.modelId });
      if (options.out !== undefined) await writeOutputFile(options.out, text);
      else io.stdout.write(text);
      io.stderr.write(`${describeVectorOutcome(outcome, 'embeddings')}; ${describeModel(embedded)}\n`);
      return;
    }
    if ((await clusterKindOf(file)) === 'vector') {
      if (sequenceOnly) throw new UsageError(`${sequenceOnly} applies to sequence and text clusters (with representatives); ${file} is a numeric dataset`);
      const params = vectorClusterParams(options);
      const v = vectorOptions(options);
      const outcome = await withPool((pool) => clusterVectorDataset(file, { pool, params, ...v, cache: cacheOf(options), onProgress: progressReporter(io) }));
      reportWarnings(io, 'cluster', outcome.index.warnings);
      const text = formatClusters(outcome, format as 'tsv' | 'json');
      if (options.out !== undefined) await writeOutputFile(options.out, text);
      else io.stdout.write(text);
      io.stderr.write(`${describeVectorOutcome(outcome)}\n`);
      return;
    }
    refuseVectorOptions(options, file);
    if (options.derep && options.thresholds !== undefined) throw new UsageError('--derep and --thresholds: give one of them');
    if (options.derep && options.exact) throw new UsageError('--derep runs on the LSH candidates; --exact clusters every record');
    if (options.thresholds !== undefined) {
      await clusterMultiThreshold(file, options, format, io);
      return;
    }
    const params = clusterParams(options);
    const read = readOptions(options);
    const outcome = await withPool((pool) =>
      clusterDataset(file, { pool, params, read, ...checkIndexOptions(options), cache: cacheOf(options), onProgress: progressReporter(io), releaseSignatures: true, collectGarbage: garbageCollector(pool), ...(options.derep ? { derep: true } : {}) }),
      SEQUENCE_POOL_OPTIONS,
    );
    reportWarnings(io, 'cluster', outcome.index.warnings);
    if (options.centroids !== undefined && outcome.index.kind !== 'sequence') throw new UsageError(`--centroids writes FASTA: ${file} is a text dataset`);
    if (outcome.stats.unique !== undefined) io.stderr.write(`--derep: ${outcome.stats.unique} unique sequences of ${outcome.index.records.length} records were clustered\n`);
    const text = format === 'tsv' || format === 'json' ? formatClusters(outcome, format) : SEQUENCE_FORMATS[format](clusterTable(outcome));
    if (options.out !== undefined) await writeOutputFile(options.out, text);
    else io.stdout.write(text);
    if (options.centroids !== undefined) await writeOutputFile(options.centroids, formatCentroids(clusterTable(outcome), (r) => sequenceText(outcome, r)));
    io.stderr.write(`${describeOutcome(outcome, params.threshold, params.mode)}\n`);
  },
});
