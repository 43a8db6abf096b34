/**
 * `simlab eval <dataset> [--clusters FILE] [cluster options] (--label-field N | --label-regex RE | --labels FILE)`
 * Scores a clustering against the dataset's labels: ARI, NMI, homogeneity, completeness, V-measure.
 * Without --clusters, the dataset is clustered first (same options as `simlab cluster`).
 * `--model DIR` (retrieval metrics of a trained model) comes with the model training commands.
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

/** Reads a `record_id<TAB>cluster` TSV (the output of `simlab cluster`); a header line is optional. */
async function readClusterTsv(file: string): Promise<Map<string, string>> {
  const text = await readFile(file, 'utf8');
  const map = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, n) => {
    if (line.trim() === '' || (n === 0 && line.startsWith('record_id\t'))) return;
    const cols = line.split('\t');
    if (cols.length < 2 || cols[0] === '' || cols[1] === '') throw new InputError(`${file}:${n + 1}: expected 'record_id<TAB>cluster', got '${line.slice(0, 80)}'`);
    map.set(cols[0] as string, (cols[1] as string).trim());
  });
  return map;
}

const command = defineCommand({
  name: 'eval',
  summary: 'Score a clustering against the labels: ARI, NMI, homogeneity, completeness',
  usage: ['eval <dataset> (--label-field N | --label-regex RE | --labels FILE) [--clusters FILE | cluster options] [--json]'],
  details: 'Noise (-1) counts as one singleton cluster per record, as scikit-learn scores it when each noise point is its own label.',
  options: {
    clusters: { type: 'string', valueName: 'FILE', description: 'Score this `record_id<TAB>cluster` TSV instead of clustering' },
    model: { type: 'string', valueName: 'DIR', description: 'Retrieval metrics of a trained model (with model training)' },
    json: { type: 'boolean', description: 'Print the scores as one JSON object' },
    ...CLUSTER_OPTIONS,
    kmer: CLUSTER_OPTIONS.kmer,
    hashes: CLUSTER_OPTIONS.hashes,
    ...DATASET_OPTIONS,
  },
  async run({ options, positionals }, io) {
    const file = await datasetPath(positionals, 'eval');
    if (options.model !== undefined) throw new UsageError('--model needs a trained model; model training is not part of this version yet — score a clustering with --clusters FILE or the cluster options');
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
      return { truth: outcome.index.records.map((r) => r.label ?? ''), predicted: Array.from(outcome.labels), note: describeOutcome(outcome, params.threshold) };
    });
}

export default command;
