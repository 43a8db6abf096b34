/** `simlab similar <dataset> --id <record_id> [-k 10] [--format tsv|json]` */
import { similarRecords } from '../jobs/similarRecords';
import { formatNumber } from './format';
import { defineCommand } from './command';
import { cacheOf, DATASET_OPTIONS, datasetPath, isVectorDataset, progressReporter, readOptions, refuseVectorOptions, reportWarnings, vectorOptions, withPool } from './dataset';
import { checkIndexOptions } from './cluster';
import { InputError, UsageError } from './errors';
import { similarVectorRecords, similarVectors } from '../jobs/vectorClusterDataset';
import { describeModel, embedWithModel, MODEL_BACKEND_OPTION, refuseBackendWithoutModel } from './model';
import { tsvField } from './tsv';

export default defineCommand({
  name: 'similar',
  summary: 'The records most similar to one record',
  usage: ['similar <dataset> --id <record_id> [-k 10] [--format tsv|json]', 'similar <dataset> --model DIR --id <record_id> [-k 10] [--format tsv|json]'],
  details: [
    'Output (tsv): a header `record_id<TAB>score<TAB>distance`, most similar first.',
    'Sequences and text: score = identity, distance = edit distance.',
    'Tables, images, volumes: distance in the --metric (exact kNN on the features); score = 1 − distance for cosine, else 1 / (1 + distance).',
    "--model DIR: exact kNN on a trained model's embeddings, in its distance (any dataset kind the model was trained on).",
  ].join('\n'),
  options: {
    id: { type: 'string', valueName: 'RECORD_ID', description: 'The query record' },
    k: { type: 'number', short: 'k', valueName: 'K', description: 'How many records (default 10)' },
    format: { type: 'string', valueName: 'tsv|json', description: 'Output format (default tsv)' },
    kmer: { type: 'number', valueName: 'K', description: 'k-mer length for DNA (default 15), shingle length for text (default 5)' },
    hashes: { type: 'number', valueName: 'H', description: 'MinHash signature length (default 128)' },
    model: { type: 'string', valueName: 'DIR', description: 'Rank by a trained model\'s embeddings (simlab train)' },
    ...MODEL_BACKEND_OPTION,
    ...DATASET_OPTIONS,
  },
  async run({ options, positionals }, io) {
    const file = await datasetPath(positionals, 'similar');
    if (options.id === undefined) throw new UsageError('similar needs --id <record_id>');
    const k = options.k ?? 10;
    if (!Number.isInteger(k) || k < 1) throw new UsageError(`-k needs a positive integer, got ${k}`);
    const format = options.format ?? 'tsv';
    if (format !== 'tsv' && format !== 'json') throw new UsageError(`--format is tsv or json, got '${format}'`);
    refuseBackendWithoutModel(options);
    if (options.model !== undefined) {
      if (options.kmer !== undefined || options.hashes !== undefined) throw new UsageError('--kmer and --hashes do not apply with --model');
      const modelDir = options.model;
      const { embedded, items } = await withPool(async (pool) => {
        const e = await embedWithModel(file, modelDir, options, pool, io);
        const query = e.index.records.find((r) => r.id === options.id);
        if (!query) throw new InputError(`${file}: no record with id '${options.id}' (${e.index.records.length} records)`);
        return { embedded: e, items: await similarVectors(e.index, query.index, k, pool) };
      });
      reportWarnings(io, 'similar', embedded.index.warnings);
      if (format === 'json') {
        const out = { query: options.id, model: embedded.manifest.modelId, metric: embedded.index.metric, items: items.map((it) => ({ recordId: it.record.id, score: it.score, distance: it.distance, ...(it.record.file !== undefined ? { file: it.record.file } : { line: it.record.startLine + 1 }), ...(it.record.label !== undefined ? { label: it.record.label } : {}) })) };
        io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      } else {
        io.stdout.write(`${['record_id\tscore\tdistance', ...items.map((it) => `${tsvField(it.record.id)}\t${formatNumber(it.score)}\t${formatNumber(it.distance)}`)].join('\n')}\n`);
      }
      io.stderr.write(`${describeModel(embedded)}\n`);
      return;
    }
    if (await isVectorDataset(file)) {
      if (options.kmer !== undefined || options.hashes !== undefined) throw new UsageError('--kmer and --hashes apply to sequences and text');
      const v = vectorOptions(options);
      const { index, query, items } = await withPool((pool) => similarVectorRecords(file, options.id as string, k, { pool, ...v, cache: cacheOf(options), onProgress: progressReporter(io) }));
      reportWarnings(io, 'similar', index.warnings);
      if (format === 'json') {
        const where = (r: (typeof items)[number]['record']) => (r.file !== undefined ? { file: r.file } : index.format === 'csv' || index.format === 'tsv' || index.format === 'jsonl-vectors' ? { line: r.startLine + 1 } : {});
        const out = { query: query.id, metric: index.metric, features: index.featureKind, items: items.map((it) => ({ recordId: it.record.id, score: it.score, distance: it.distance, ...where(it.record), ...(it.record.label !== undefined ? { label: it.record.label } : {}) })) };
        io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      const lines = ['record_id\tscore\tdistance', ...items.map((it) => `${tsvField(it.record.id)}\t${formatNumber(it.score)}\t${formatNumber(it.distance)}`)];
      io.stdout.write(`${lines.join('\n')}\n`);
      return;
    }
    refuseVectorOptions(options, file);
    const { index, query, items } = await withPool((pool) =>
      similarRecords(file, options.id as string, k, { pool, read: readOptions(options), ...checkIndexOptions(options), cache: cacheOf(options), onProgress: progressReporter(io) }),
    );
    reportWarnings(io, 'similar', index.warnings);
    if (format === 'json') {
      const out = { query: query.id, items: items.map((it) => ({ recordId: it.record.id, score: it.score, distance: it.distance, line: it.record.startLine + 1, ...(it.record.label !== undefined ? { label: it.record.label } : {}) })) };
      io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return;
    }
    const lines = ['record_id\tscore\tdistance', ...items.map((it) => `${tsvField(it.record.id)}\t${formatNumber(it.score)}\t${it.distance}`)];
    io.stdout.write(`${lines.join('\n')}\n`);
  },
});
