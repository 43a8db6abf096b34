/**
 * `simlab leaks <reference> <query>… [--threshold T] [--eps D] [--metric M] [--format tsv|json] [--out FILE] [--fail-on-leak]`
 * The query records (a test split) that are exact or near copies of a reference record (the
 * training split): exact copies by content key, near copies by LSH + bounded identity
 * (sequences, text) or exact 1-NN (vectors); every reported pair verified (jobs/findLeaks).
 */
import { DEFAULT_LEAK_THRESHOLD, EPS_FACTOR, EPS_QUANTILE, findLeaks, type LeakReport } from '../jobs/findLeaks';
import { clusterKindOf } from '../jobs/clusterParams';
import { checkIndexOptions } from './cluster';
import { defineCommand } from './command';
import { cacheOf, DATASET_OPTIONS, isVectorDataset, parseThreshold, progressReporter, readOptions, refuseVectorOptions, reportWarnings, vectorOptions, withPool } from './dataset';
import { existsSync, statSync } from 'node:fs';
import { InputError, UsageError } from './errors';
import { formatNumber } from './format';
import { refuseOverwritingInputs, writeOutputFile } from './output';
import { tsvField } from './tsv';

export function formatLeaks(report: LeakReport, format: 'tsv' | 'json'): string {
  const { reference, queries, pairs } = report;
  if (format === 'tsv') {
    const lines = ['query_file\tquery_id\treference_id\tscore\tkind'];
    for (const p of pairs) {
      lines.push(`${tsvField(queries[p.queryFile]!.file)}\t${tsvField(queries[p.queryFile]!.ids[p.query]!)}\t${tsvField(reference.ids[p.reference]!)}\t${formatNumber(p.score)}\t${p.kind}`);
    }
    return `${lines.join('\n')}\n`;
  }
  const score = report.kind === 'vector' ? 'distance' : 'identity';
  return `${JSON.stringify(
    {
      reference: reference.file,
      queries: queries.map((q) => q.file),
      kind: report.kind,
      leaks: pairs.map((p) => ({ query_file: queries[p.queryFile]!.file, query_id: queries[p.queryFile]!.ids[p.query], reference_id: reference.ids[p.reference], [score]: p.score, kind: p.kind })),
      stats: report.stats,
    },
    null,
    2,
  )}\n`;
}

export function describeLeaks(report: LeakReport): string {
  const { stats } = report;
  const time = Object.entries(stats.seconds)
    .map(([k, v]) => `${k} ${v.toFixed(2)} s`)
    .join(', ');
  const rule =
    report.kind === 'vector'
      ? stats.epsRule
        ? `distance ≤ eps ${formatNumber(stats.eps!)} = ${stats.epsRule.factor} × the ${stats.epsRule.quantile} quantile (${formatNumber(stats.epsRule.quantileDistance)}) of ${stats.epsRule.sampled} reference records' nearest-neighbour distances (pass --eps to choose); ${stats.features} features, ${stats.dim} dims, ${stats.metric}`
        : `distance ≤ eps ${formatNumber(stats.eps!)}; ${stats.features} features, ${stats.dim} dims, ${stats.metric}`
      : `identity ≥ ${stats.threshold}; ${stats.candidates} LSH candidates, ${stats.aligned} aligned`;
  return `${stats.records} query records checked against ${report.reference.ids.length}: ${stats.exact + stats.near} leaked (${stats.exact} exact, ${stats.near} near) (${rule}; ${time})`;
}

export default defineCommand({
  name: 'leaks',
  summary: 'Records of query sets (test splits) that copy a record of a reference set (the training split), exactly or nearly',
  usage: ['leaks <reference> <query>… [--threshold 0.97] [--format tsv|json] [--out FILE] [--fail-on-leak]', 'leaks <table|images|volumes> <query>… [--eps D] [--metric euclidean] [--features raw|hog] [--format tsv|json] [--out FILE] [--fail-on-leak]'],
  details: [
    'Output (tsv): a header `query_file<TAB>query_id<TAB>reference_id<TAB>score<TAB>kind`, then one row per leaked query record (its closest reference record), by query file then record; kind is exact or near.',
    'The query_file column is always there (one query file or many), so scripts read one layout.',
    'Exact copies first, by content: sequences and text after normalising case and line endings, numeric data on decoded pixels / values (not file bytes).',
    `Sequences and text: score = identity; near copies are MinHash + LSH candidates from the reference only, each verified by the bounded identity of 'cluster' (default --threshold ${DEFAULT_LEAK_THRESHOLD}).`,
    `Tables, images, volumes: score = distance (exact nearest reference record, --features raw by default: the pixels or values as read). Without --eps, eps = ${EPS_FACTOR} × the ${EPS_QUANTILE} quantile of the reference's own nearest-neighbour distances (duplicates within the reference left out); printed on stderr.`,
    'A summary (records checked, exact, near, time) goes to stderr. Exit 0; with --fail-on-leak, exit 1 when any leak is found.',
  ].join('\n'),
  options: {
    threshold: { type: 'number', valueName: 'T', description: `Identity threshold for sequences and text (default ${DEFAULT_LEAK_THRESHOLD})` },
    eps: { type: 'number', valueName: 'D', description: 'Distance radius for numeric data (default: from the reference, see above)' },
    kmer: { type: 'number', valueName: 'K', description: 'k-mer length for DNA (default 15), shingle length for text (default 5)' },
    hashes: { type: 'number', valueName: 'H', description: 'MinHash signature length (default 128)' },
    format: { type: 'string', valueName: 'tsv|json', description: 'Output format (default tsv)' },
    out: { type: 'string', valueName: 'FILE', description: 'Write the result to FILE instead of stdout' },
    'fail-on-leak': { type: 'boolean', description: 'Exit 1 when any leak is found (for CI)' },
    ...DATASET_OPTIONS,
  },
  async run({ options, positionals }, io) {
    if (positionals.length < 2) throw new UsageError(`leaks needs a <reference> and at least one <query> dataset${positionals.length === 1 ? ', got one' : ''}`);
    for (const file of positionals) {
      if (!existsSync(file)) throw new InputError(`${file}: no such file`);
      if (statSync(file).isDirectory() && !(await isVectorDataset(file))) throw new InputError(`${file}: is a folder without images or .npy volumes; sequence, text and table datasets are files`);
    }
    const [reference, ...queries] = positionals as [string, ...string[]];
    const format = options.format ?? 'tsv';
    if (format !== 'tsv' && format !== 'json') throw new UsageError(`--format is tsv or json, got '${format}'`);
    await refuseOverwritingInputs({ '--out': options.out }, [...positionals, options.labels]);
    const common = { cache: cacheOf(options), onProgress: progressReporter(io) };
    let report: LeakReport;
    if ((await clusterKindOf(reference)) === 'vector') {
      for (const k of ['threshold', 'kmer', 'hashes'] as const) {
        if (options[k] !== undefined) throw new UsageError(`--${k} applies to sequences and text; numeric datasets take --eps D (a distance in the metric's units)`);
      }
      if (options.eps !== undefined && !(options.eps >= 0 && Number.isFinite(options.eps))) throw new UsageError(`--eps is a distance ≥ 0, got ${options.eps}`);
      const v = vectorOptions(options);
      if (v.features === 'scaled') throw new UsageError("--features scaled standardises each file by its own statistics, so copies would not compare; use raw (default) or hog");
      const features = v.features === 'auto' ? 'raw' : v.features;
      report = await withPool((pool) => findLeaks(reference, queries, { pool, vectorRead: v.read, features, metric: v.metric, ...(v.p !== undefined ? { p: v.p } : {}), ...(options.eps !== undefined ? { eps: options.eps } : {}), ...common }));
    } else {
      if (options.eps !== undefined) throw new UsageError('--eps is the radius for numeric datasets; for sequences and text use --threshold (an identity)');
      refuseVectorOptions(options, reference);
      const threshold = parseThreshold(options.threshold, DEFAULT_LEAK_THRESHOLD);
      const read = readOptions(options);
      report = await withPool((pool) => findLeaks(reference, queries, { pool, threshold, read, ...checkIndexOptions(options), ...common }));
    }
    reportWarnings(io, 'leaks', report.warnings);
    const text = formatLeaks(report, format);
    if (options.out !== undefined) await writeOutputFile(options.out, text);
    else io.stdout.write(text);
    io.stderr.write(`${describeLeaks(report)}\n`);
    return options['fail-on-leak'] && report.pairs.length > 0 ? 1 : 0;
  },
});
