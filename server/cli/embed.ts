/**
 * `simlab embed <dataset> [--model DIR] --out map.html|map.json`: the embedding map of a dataset
 * (features or profiles → StandardScaler → kNN → UMAP → DBSCAN on the map). `.html` is one
 * self-contained page (the Embedding Map webview's script and data inline, nothing fetched);
 * `.json` holds the coordinates, ids, labels and clusters.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { standalonePageAssets, standalonePageHtml } from './standalonePage';
import type { BuiltEmbeddingMap } from '../jobs/embeddingMapData';
import { defineCommand } from './command';
import { cacheOf, DATASET_OPTIONS, datasetPath, isVectorDataset, progressReporter, readOptions, refuseVectorOptions, vectorOptions, withPool } from './dataset';
import { UsageError } from './errors';
import { refuseOverwritingInputs, writeOutputFile } from './output';
import { formatNumber } from './format';

/** The map as JSON: coordinates as plain numbers (x, y per record), not base64. */
function mapJson(data: BuiltEmbeddingMap): string {
  // A copy: a small Buffer lives inside Node's shared pool, at an offset that need not be 4-aligned.
  const xy = new Float32Array(Uint8Array.from(Buffer.from(data.map.points, 'base64')).buffer);
  const points = data.map.ids.map((id, i) => ({
    id,
    x: Number((xy[2 * i] as number).toPrecision(6)),
    y: Number((xy[2 * i + 1] as number).toPrecision(6)),
    label: data.map.labels?.[i] ?? null,
    cluster: data.map.clusters?.[i] ?? -1,
  }));
  return `${JSON.stringify({ dataset: data.map.title, kind: data.map.kind, stats: data.stats, points }, null, 1)}\n`;
}

export default defineCommand({
  name: 'embed',
  summary: 'A 2-D UMAP map of a dataset, as a self-contained HTML page or JSON',
  usage: ['embed <dataset> --out map.html|map.json [--seed 42] [--cluster-on map|embedding] [--features raw|hog|scaled]'],
  details: [
    'Tables, images and volumes: their features; sequences: 4-mer frequency profiles; text: trigram profiles.',
    'Then StandardScaler → 15 nearest neighbours → UMAP (seeded) → DBSCAN (minPts 10, eps from the k-distance knee).',
    'map.html opens in any browser without a network; hover shows the record, colour by cluster or label.',
  ].join('\n'),
  options: {
    out: { type: 'string', valueName: 'FILE', description: 'map.html (a page) or map.json (coordinates, labels, clusters)' },
    seed: { type: 'number', valueName: 'N', description: 'UMAP seed (default 42): the same seed gives the same map' },
    'cluster-on': { type: 'string', valueName: 'map|embedding', description: 'DBSCAN on the 2-D map (default) or on the scaled features' },
    model: { type: 'string', valueName: 'DIR', description: 'A trained model folder (simlab train --out): map its embeddings of the records' },
    ...DATASET_OPTIONS,
  },
  async run({ options, positionals }, io) {
    const file = await datasetPath(positionals, 'embed');
    const out = options.out;
    if (out === undefined) throw new UsageError('embed needs --out map.html or --out map.json');
    const ext = path.extname(out).toLowerCase();
    if (ext !== '.html' && ext !== '.json') throw new UsageError(`--out must end in .html or .json, got '${out}'`);
    await refuseOverwritingInputs({ '--out': out }, [file, options.labels, options.model]);
    const clusterOn = options['cluster-on'] ?? 'map';
    if (clusterOn !== 'map' && clusterOn !== 'embedding') throw new UsageError(`--cluster-on is map or embedding, got '${clusterOn}'`);
    if (options.seed !== undefined && !Number.isInteger(options.seed)) throw new UsageError(`--seed needs an integer, got ${options.seed}`);
    const vector = await isVectorDataset(file);
    const choice = vector ? { vectorRead: vectorOptions(options).read, features: vectorOptions(options).features } : (refuseVectorOptions(options, file), { read: readOptions(options) });
    // Loaded here, not above: the map's module reaches the model stack (for --model), which no other command needs at start-up.
    const { buildEmbeddingMap } = await import('../jobs/embeddingMapData.js');
    const data = await withPool((pool) =>
      buildEmbeddingMap(file, { pool, ...choice, cache: cacheOf(options), clusterOn, ...(options.model !== undefined ? { modelDir: options.model } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}), onProgress: progressReporter(io) }),
    );
    if (ext === '.json') await writeOutputFile(out, mapJson(data));
    else {
      const assets = standalonePageAssets(__dirname);
      const [script, css] = await Promise.all([readFile(assets.script, 'utf8'), readFile(assets.css, 'utf8')]);
      await writeOutputFile(out, standalonePageHtml({ script, css, map: data.map }));
    }
    const s = data.stats;
    const secs = Object.entries(s.seconds)
      .map(([k, v]) => `${k} ${v.toFixed(2)} s`)
      .join(', ');
    io.stderr.write(`${s.records} records (${s.features}, ${s.dim} dims) → map with ${s.clusters} clusters, ${s.noise} noise (eps ${formatNumber(s.eps)} on the ${clusterOn}); ${secs}; wrote ${out}\n`);
  },
});
