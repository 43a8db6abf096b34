/**
 * `simlab eval <dataset> [--clusters FILE] [cluster options] (--label-field N | --label-regex RE | --labels FILE)`
 * Scores a clustering against the dataset's labels: ARI, NMI, homogeneity, completeness, V-measure.
 * Without --clusters, the dataset is clustered first (same options as `simlab cluster`).
 * `--model DIR`: retrieval scores of a trained model's embeddings in its distance (precision@1,
 * R-precision, MAP@R, recall@k, triplet accuracy, verification accuracy at the best threshold),
 * and ARI/NMI of DBSCAN on the embeddings (eps given or read off the k-distance curve).
 */
import { readFile } from 'node:fs/promises';
import { evaluateClustering } from '../engine/eval/clustering';
import { clusterDataset } from '../jobs/clusterDataset';
import { buildSequenceIndex } from '../jobs/sequenceIndex';
import { formatNumber } from './format';
import { defineCommand, type CliIO } from './command';
import { clusterVectorDataset } from '../jobs/vectorClusterDataset';
import { buildVectorIndex } from '../jobs/vectorIndex';
import { cacheOf, DATASET_OPTIONS, datasetPath, isVectorDataset, progressReporter, readOptions, refuseVectorOptions, reportWarnings, vectorOptions, withPool } from './dataset';
import { checkIndexOptions, CLUSTER_OPTIONS, clusterParams, describeOutcome, describeVectorOutcome, vectorClusterParams } from './cluster';
import { InputError, UsageError } from './errors';
import { tsvUnescape } from './tsv';
import { pairVerification, retrievalScores, tripletAccuracy } from '../engine/eval/retrieval';
import { encodeLabels, mulberry32, shuffleInPlace } from '../engine/models/batching';
import { describeModel, embedWithModel, MODEL_BACKEND_OPTION, refuseBackendWithoutModel } from './model';

/** Reads a `record_id<TAB>cluster` TSV (the output of `simlab cluster`, ids escaped as tsv.ts says); a header line is optional. */
async function readClusterTsv(file: string): Promise<Map<string, string>> {
  const text = await readFile(file, 'utf8');
  const map = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, n) => {
    if (line.trim() === '' || (n === 0 && line.startsWith('record_id\t'))) return;
    const cols = line.split('\t');
    if (cols.length < 2 || cols[0] === '' || cols[1] === '') throw new InputError(`${file}:${n + 1}: expected 'record_id<TAB>cluster', got '${line.slice(0, 80)}'`);
    map.set(tsvUnescape(cols[0] as string), (cols[1] as string).trim());
  });
  return map;
}

/** --model: retrieval scores are O(n²); beyond this many labelled records, a seeded sample is scored. */
const MAX_RETRIEVAL_QUERIES = 10_000;

const command = defineCommand({
  name: 'eval',
  summary: 'Score a clustering against the labels: ARI, NMI, homogeneity, completeness',
  usage: ['eval <dataset> (--label-field N | --label-regex RE | --labels FILE) [--clusters FILE | cluster options] [--json]', 'eval <dataset> --model DIR [label options] [--mode leiden|dbscan] [--eps D] [--min-pts N] [--mutual-k M] [--json]'],
  details: [
    'Noise (-1) counts as one singleton cluster per record, as scikit-learn scores it when each noise point is its own label.',
    `--model DIR: retrieval scores of the model's embeddings (each labelled record a query against the others; at most ${MAX_RETRIEVAL_QUERIES.toLocaleString('en-US')} records, a seeded sample beyond),`,
    'triplet accuracy on 10,000 seeded triplets, verification accuracy at the best threshold on 10,000 balanced pairs, and ARI/NMI of DBSCAN on the embeddings.',
    'Score a model on records it was not trained on: the scores on its own training data are optimistic.',
  ].join('\n'),
  options: {
    clusters: { type: 'string', valueName: 'FILE', description: 'Score this `record_id<TAB>cluster` TSV instead of clustering' },
    model: { type: 'string', valueName: 'DIR', description: 'Score a trained model (simlab train) on this dataset' },
    ...MODEL_BACKEND_OPTION,
    json: { type: 'boolean', description: 'Print the scores as one JSON object' },
    ...CLUSTER_OPTIONS,
    kmer: CLUSTER_OPTIONS.kmer,
    hashes: CLUSTER_OPTIONS.hashes,
    ...DATASET_OPTIONS,
  },
  async run({ options, positionals }, io) {
    const file = await datasetPath(positionals, 'eval');
    refuseBackendWithoutModel(options);
    if (options.model !== undefined) {
      await evalModel(file, options.model, options, io);
      return;
    }
    const { truth, predicted, note } = (await isVectorDataset(file)) ? await evalVectors(file, options, io) : await evalSequences(file, options, io);
    const unlabeled = truth.filter((l) => l === '').length;
    if (unlabeled === truth.length) throw new InputError(`${file}: no record has a label with the label option given`);
    const s = evaluateClustering(truth, predicted);
    const scores = { records: s.n, classes: s.classes, clusters: s.clusters, noise: s.noisePoints, ari: s.ari, nmi: s.nmi, homogeneity: s.homogeneity, completeness: s.completeness, v_measure: s.vMeasure };
    if (options.json) io.stdout.write(`${JSON.stringify(scores)}\n`);
    else io.stdout.write(`${Object.entries(scores).map(([k, v]) => `${k}\t${formatNumber(v)}`).join('\n')}\n`);
    io.stderr.write(`${note}${unlabeled ? `; ${unlabeled} record(s) without a label count as one class` : ''}\n`);
  },
});

type EvalOptions = Parameters<(typeof command)['run']>[0]['options'];

/** A trained model's scores on this dataset (see the module comment). */
async function evalModel(file: string, modelDir: string, options: EvalOptions, io: CliIO): Promise<void> {
  if (options.clusters !== undefined) throw new UsageError('--clusters scores a clustering file; with --model the embeddings are clustered here');
  const params = vectorClusterParams({
    ...(options.eps !== undefined ? { eps: options.eps } : {}),
    ...(options['min-pts'] !== undefined ? { 'min-pts': options['min-pts'] } : {}),
    ...(options['mutual-k'] !== undefined ? { 'mutual-k': options['mutual-k'] } : {}),
    ...(options.mode !== undefined ? { mode: options.mode } : {}),
  });
  for (const k of ['threshold', 'max-candidates', 'exact', 'kmer', 'hashes'] as const) {
    if (options[k] !== undefined) throw new UsageError(`--${k} does not apply with --model (the embeddings are clustered with --mode leiden|dbscan, --min-pts, and for dbscan --eps and --mutual-k)`);
  }
  const { embedded, outcome, unclustered } = await withPool(async (pool) => {
    // An autoencoder's reconstruction error is scored too (on the first records, as retrieval is).
    const e = await embedWithModel(file, modelDir, options, pool, io, { reconstruct: MAX_RETRIEVAL_QUERIES });
    const { clusterModelEmbeddings } = await import('../jobs/modelEmbeddings.js');
    try {
      return { embedded: e, outcome: await clusterModelEmbeddings(e, params, { pool, onProgress: progressReporter(io) }), unclustered: undefined };
    } catch (err) {
      // Too few records for DBSCAN: the model's other scores still stand; the clusters are left out, and why is said.
      if (err instanceof Error && err.name === 'TooFewRecordsError') return { embedded: e, outcome: undefined, unclustered: err.message };
      throw err;
    }
  });
  const clusteringNote = !outcome
    ? `no clustering scores: ${unclustered}`
    : outcome.stats.path === 'leiden'
    ? `Leiden communities of the 15-nearest-neighbour graph (${outcome.stats.edges} links), min-pts ${params.minPts}`
    : `DBSCAN eps ${formatNumber(outcome.eps)}${outcome.epsEstimate ? ' (from the k-distance curve)' : ''}, min-pts ${params.minPts}`;
  reportWarnings(io, 'eval', embedded.index.warnings);
  const { index, manifest } = embedded;
  const truth = index.records.map((r) => r.label ?? '');
  const { codes, classes } = encodeLabels(truth);
  const labelledRows = codes.reduce((n, c) => n + (c >= 0 ? 1 : 0), 0);
  const mse = embedded.reconstructionMse !== undefined ? { reconstruction_mse: embedded.reconstructionMse } : {};
  const decoded = embedded.reconstructions ? embedded.reconstructions.length / manifest.data.inputShape.reduce((a, b) => a * b, 1) : 0;
  const mseNote = decoded > 0 && decoded < index.records.length ? `; reconstruction error on the first ${decoded} records` : '';
  const sizes = new Map<number, number>();
  for (const c of codes) if (c >= 0) sizes.set(c, (sizes.get(c) ?? 0) + 1);
  const retrievable = [...sizes.values()].some((n) => n >= 2);
  if (!retrievable && manifest.model === 'autoencoder') {
    // An autoencoder needs no labels: its reconstruction and the clusters of its latent codes.
    const scores = { records: index.records.length, ...mse, ...(outcome ? { clusters: outcome.summary.clusters.length, noise: outcome.summary.noise.length } : {}) };
    if (options.json) io.stdout.write(`${JSON.stringify(scores)}\n`);
    else io.stdout.write(`${Object.entries(scores).map(([k, v]) => `${k}\t${formatNumber(v)}`).join('\n')}\n`);
    io.stderr.write(`${describeModel(embedded)}; ${labelledRows === 0 ? 'no labels' : 'no class with 2 labelled records'}, so no retrieval scores; ${clusteringNote}${mseNote}\n`);
    return;
  }
  if (labelledRows === 0) throw new InputError(`${file}: no record has a label with the label option given`);
  // Retrieval over all labelled records, or a seeded sample of them.
  let rows = Int32Array.from(codes.keys()).filter((i) => codes[i]! >= 0);
  if (rows.length > MAX_RETRIEVAL_QUERIES) rows = shuffleInPlace(rows, mulberry32(1)).subarray(0, MAX_RETRIEVAL_QUERIES).sort();
  const dim = index.dim;
  const e = new Float32Array(rows.length * dim);
  rows.forEach((r, k) => e.set(index.features.subarray(r * dim, (r + 1) * dim), k * dim));
  const sampleCodes = Int32Array.from(rows, (r) => codes[r]!);
  const distance = { distance: manifest.distance, euclideanWeight: manifest.euclideanWeight };
  const r = retrievalScores(e, dim, sampleCodes, { ...distance, ks: [1, 5, 10] });
  if (r.queries === 0) throw new InputError(`${file}: no class has 2 labelled records; retrieval scores need positives`);
  const all = { ...distance };
  let triplets = Number.NaN;
  let verification = { accuracy: Number.NaN, threshold: Number.NaN };
  try {
    triplets = tripletAccuracy(index.features, dim, codes, { ...all, triplets: 10_000, seed: 1 });
    verification = pairVerification(index.features, dim, codes, { ...all, pairs: 10_000, seed: 1 });
  } catch {
    // A single class: no negatives, no triplets (NaN says so).
  }
  const c = outcome ? evaluateClustering(truth, Array.from(outcome.labels)) : undefined;
  const scores = {
    records: index.records.length,
    classes: classes.length,
    queries: r.queries,
    precision_at_1: r.precisionAt1,
    r_precision: r.rPrecision,
    map_at_r: r.mapAtR,
    recall_at_1: r.recallAt[1]!,
    recall_at_5: r.recallAt[5]!,
    recall_at_10: r.recallAt[10]!,
    triplet_accuracy: triplets,
    verification_accuracy: verification.accuracy,
    verification_threshold: verification.threshold,
    ...(c ? { clusters: c.clusters, noise: c.noisePoints, ari: c.ari, nmi: c.nmi } : {}),
    ...mse,
  };
  if (options.json) io.stdout.write(`${JSON.stringify(scores)}\n`);
  else io.stdout.write(`${Object.entries(scores).map(([k, v]) => `${k}\t${formatNumber(v)}`).join('\n')}\n`);
  const sampled = rows.length < labelledRows ? `; retrieval on a seeded sample of ${rows.length} of ${labelledRows} labelled records` : '';
  const mutual = outcome?.stats.keptEdges !== undefined ? ` on the ${outcome.stats.keptEdges} of ${outcome.stats.edges} links between mutual neighbours` : '';
  io.stderr.write(`${describeModel(embedded)}; ${clusteringNote}${mutual}${sampled}${mseNote}\n`);
}
interface Scored {
  truth: string[];
  predicted: (string | number)[];
  note: string;
}

/** Tables, images, volumes: their labels come with them (class folders, a label column, IDX labels) or from --labels / --label-column. */
async function evalVectors(file: string, options: EvalOptions, io: CliIO): Promise<Scored> {
  const v = vectorOptions(options);
  return withPool(async (pool) => {
    const progress = progressReporter(io);
    if (options.clusters !== undefined) {
      const assigned = await readClusterTsv(options.clusters);
      const index = await buildVectorIndex(file, { pool, ...v, cache: cacheOf(options), onProgress: progress });
      reportWarnings(io, 'eval', index.warnings);
      const missing = index.records.filter((r) => !assigned.has(r.id));
      if (missing.length > 0) throw new InputError(`${options.clusters}: no cluster for ${missing.length} record(s) of ${file}, e.g. '${missing[0]?.id}'`);
      return { truth: index.records.map((r) => r.label ?? ''), predicted: index.records.map((r) => assigned.get(r.id) as string), note: `scored ${options.clusters}` };
    }
    const outcome = await clusterVectorDataset(file, { pool, params: vectorClusterParams(options), ...v, cache: cacheOf(options), onProgress: progress });
    reportWarnings(io, 'eval', outcome.index.warnings);
    return { truth: outcome.index.records.map((r) => r.label ?? ''), predicted: Array.from(outcome.labels), note: describeVectorOutcome(outcome) };
  });
}

async function evalSequences(file: string, options: EvalOptions, io: CliIO): Promise<Scored> {
    refuseVectorOptions(options, file);
    const read = readOptions(options);
    if (read.labelField === undefined && read.labelRegex === undefined && read.labelsFile === undefined && read.labelColumn === undefined) {
      throw new UsageError('eval needs labels: --label-field N, --label-regex RE, --labels FILE or --label-column NAME');
    }
    const params = clusterParams(options);
    return withPool(async (pool) => {
      const progress = progressReporter(io);
      if (options.clusters !== undefined) {
        const assigned = await readClusterTsv(options.clusters);
        const index = await buildSequenceIndex(file, { pool, read, ...checkIndexOptions(options), cache: cacheOf(options), onProgress: progress });
        reportWarnings(io, 'eval', index.warnings);
        const missing = index.records.filter((r) => !assigned.has(r.id));
        if (missing.length > 0) throw new InputError(`${options.clusters}: no cluster for ${missing.length} record(s) of ${file}, e.g. '${missing[0]?.id}'`);
        return { truth: index.records.map((r) => r.label ?? ''), predicted: index.records.map((r) => assigned.get(r.id) as string), note: `scored ${options.clusters}` };
      }
      const outcome = await clusterDataset(file, { pool, params, read, ...checkIndexOptions(options), cache: cacheOf(options), onProgress: progress });
      reportWarnings(io, 'eval', outcome.index.warnings);
      return { truth: outcome.index.records.map((r) => r.label ?? ''), predicted: Array.from(outcome.labels), note: describeOutcome(outcome, params.threshold, params.mode) };
    });
}

export default command;
