/**
 * Numeric datasets in the editor, over a real stdio LSP connection to the built host: a CSV table
 * (the iris fixture) gets per-row cluster diagnostics and hovers with distances, Find Similar on a
 * row answers rows of the same species, and Find Similar on a PNG of a class-folder dataset lists
 * the nearest image files. Needs `npm run build` first.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DidChangeConfigurationNotification, HoverRequest, type Diagnostic, type Hover, type MarkupContent } from 'vscode-languageserver-protocol/node';
import { existsSync } from 'node:fs';
import { ClusterRequest, DatasetsRequest, EmbeddingMapRequest, FindSimilarRequest, ModelsRequest, TrainingMetricsNotification, TrainRequest } from '../../server/protocol';
import { LspTestClient } from './lspClient';

const FIXTURES = path.resolve(__dirname, '../fixtures');

function text(d: Diagnostic): string {
  return typeof d.message === 'string' ? d.message : d.message.value;
}

void describe('numeric datasets in the editor (host over stdio)', { timeout: 180_000 }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'simlab-server-vectors-'));
  const workspace = path.join(tmp, 'workspace');
  const irisFile = path.join(workspace, 'tables', 'iris.csv');
  const irisUri = pathToFileURL(irisFile).href;
  const images = path.join(workspace, 'images', 'fashion');
  let host: LspTestClient;

  before(async () => {
    mkdirSync(path.dirname(irisFile), { recursive: true });
    cpSync(path.join(FIXTURES, 'tables', 'iris.csv'), irisFile);
    cpSync(path.join(FIXTURES, 'images', 'fashion'), images, { recursive: true });
    host = LspTestClient.start();
    await host.initialize(undefined, { cacheDir: path.join(tmp, 'cache'), trusted: true }, [{ uri: pathToFileURL(workspace).href, name: 'workspace' }]);
  });

  after(async () => {
    await host.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  void test('the CSV table is discovered as a dataset', async () => {
    const { datasets } = await host.connection.sendRequest(DatasetsRequest.type, {});
    assert.ok(datasets.some((d) => d.uri === irisUri), datasets.map((d) => d.uri).join(', '));
  });

  void test('cluster a CSV: every row has a diagnostic on its own line, related information gives distances', async () => {
    const csv = readFileSync(irisFile, 'utf8');
    await host.openDocument(irisUri, 'csv', csv);
    const mark = host.mark();
    const result = await host.connection.sendRequest(ClusterRequest.type, { uri: irisUri });
    assert.equal(result.stats.records, 150);
    assert.ok(result.stats.eps !== undefined && result.stats.eps > 0, 'eps read off the k-distance curve');
    assert.equal(result.stats.minPts, 5);
    assert.equal(result.clusters.reduce((s, c) => s + c.size, 0) + result.noise.length, 150);
    // Rows are on lines 1..150 (line 0 is the sklearn header): record id i is on line i + 1.
    for (const c of result.clusters) c.members.forEach((id, i) => assert.equal(c.memberLines[i], Number(id) + 1));
    const published = await host.waitForDiagnostics(irisUri, (p) => p.diagnostics.length > 0, { after: mark });
    const diags = published.diagnostics;
    const rows = new Set(diags.map((d) => d.range.start.line));
    assert.equal(rows.size, 150, 'one line per row');
    assert.ok(!rows.has(0), 'nothing on the header line');
    const clusterDiag = diags.find((d) => /^cluster \d+ · \d+ members$/u.test(text(d)) && (d.relatedInformation?.length ?? 0) > 0);
    assert.ok(clusterDiag, 'a cluster diagnostic with related information');
    assert.match(clusterDiag.relatedInformation?.[0]?.message ?? '', /^\d+ · distance [\d.]+$/u);
    for (const d of diags.filter((x) => text(x).startsWith('outlier'))) assert.match(text(d), /within distance|distance [\d.]+, too few neighbours/u);
  });

  void test('the vectors.clustering setting picks the method: Leiden by default, the study\'s DBSCAN with vectors.eps', async () => {
    const byDefault = await host.connection.sendRequest(ClusterRequest.type, { uri: irisUri });
    assert.ok('Leiden' in byDefault.stats.seconds && !('DBSCAN' in byDefault.stats.seconds), Object.keys(byDefault.stats.seconds).join(', '));
    host.handleServerRequest('workspace/configuration', (params) => {
      const items = (params as { items: { section?: string }[] }).items;
      return items.map((item) => (item.section === 'similarityLab' ? { vectors: { clustering: 'dbscan', eps: 0.45 } } : {}));
    });
    try {
      await host.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
      const dbscan = await host.connection.sendRequest(ClusterRequest.type, { uri: irisUri });
      assert.ok('DBSCAN' in dbscan.stats.seconds && !('Leiden' in dbscan.stats.seconds), Object.keys(dbscan.stats.seconds).join(', '));
      assert.equal(dbscan.stats.eps, 0.45, 'the eps setting is the radius');
      // A request's own method wins over the setting.
      const leiden = await host.connection.sendRequest(ClusterRequest.type, { uri: irisUri, params: { method: 'leiden' } });
      assert.ok('Leiden' in leiden.stats.seconds, Object.keys(leiden.stats.seconds).join(', '));
    } finally {
      host.handleServerRequest('workspace/configuration', (params) => ((params as { items?: unknown[] }).items ?? []).map(() => null));
      await host.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    }
  });

  void test('hover on a row: values, label, cluster and nearest rows by distance', async () => {
    const hover = (await host.connection.sendRequest(HoverRequest.type, { textDocument: { uri: irisUri }, position: { line: 1, character: 2 } })) as Hover;
    const value = (hover.contents as MarkupContent).value;
    assert.match(value, /^\*\*0\*\* · 4 values · label setosa/u);
    assert.match(value, /Cluster \d+ · \d+ members|Outlier/u);
    assert.match(value, /- \d+ — distance [\d.]+ \(line \d+\)/u);
  });

  void test('Find Similar on a row: rows of the same species, nearest first, with their line ranges', async () => {
    const result = await host.connection.sendRequest(FindSimilarRequest.type, { uri: irisUri, position: { line: 11, character: 0 }, k: 5 });
    assert.equal(result.query, '10');
    assert.equal(result.metric, 'euclidean');
    assert.equal(result.items.length, 5);
    const lines = readFileSync(irisFile, 'utf8').split('\n');
    for (const it of result.items) {
      assert.equal(it.uri, irisUri);
      assert.equal(it.range?.start.line, Number(it.recordId) + 1);
      assert.match(lines[it.range?.start.line ?? 0] ?? '', /,0$/u, 'a setosa row (class 0)');
    }
    for (let i = 1; i < result.items.length; i++) assert.ok(result.items[i]!.distance >= result.items[i - 1]!.distance);
  });

  void test('Find Similar on an image file: the nearest images of its folder dataset, as files', async () => {
    const query = path.join(images, 'trouser', '00016.png');
    const result = await host.connection.sendRequest(FindSimilarRequest.type, { uri: pathToFileURL(query).href, k: 4 });
    assert.equal(result.query, 'trouser/00016.png');
    assert.equal(result.items.length, 4);
    for (const it of result.items) {
      assert.equal(it.range, undefined);
      const file = fileURLToPath(it.uri);
      assert.ok(file.startsWith(images + path.sep) && file.endsWith('.png'), file);
      assert.notEqual(file, query);
      assert.equal(it.recordId, path.relative(images, file).split(path.sep).join('/'));
    }
    assert.equal(path.basename(path.dirname(fileURLToPath(result.items[0]!.uri))), 'trouser', 'the nearest image is another trouser');
  });

  void test('cluster an image folder: members carry their own file URIs', async () => {
    const result = await host.connection.sendRequest(ClusterRequest.type, { uri: pathToFileURL(images).href, params: { eps: 0.8, minPts: 2 } });
    assert.equal(result.stats.records, 12);
    assert.equal(result.stats.eps, 0.8);
    const uris = [...result.clusters.flatMap((c) => c.memberUris ?? []), ...(result.noiseUris ?? [])];
    assert.equal(uris.length, 12);
    for (const u of uris) assert.ok(fileURLToPath(u).startsWith(images + path.sep));
  });

  void test('embeddingMap of a table and of an image folder: one point per record, labels, clusters, previews, locations', async () => {
    const iris = await host.connection.sendRequest(EmbeddingMapRequest.type, { uri: irisUri });
    assert.equal(iris.map.kind, 'rows');
    assert.equal(iris.map.ids.length, 150);
    const xy = new Float32Array(Uint8Array.from(Buffer.from(iris.map.points, 'base64')).buffer);
    assert.equal(xy.length, 300);
    assert.ok(xy.every((v) => Number.isFinite(v)));
    assert.equal(iris.map.labels?.[0], 'setosa');
    assert.equal(iris.map.clusters?.length, 150);
    assert.deepEqual(iris.map.previews?.[0], { type: 'text', text: '5.1, 3.5, 1.4, 0.2' });
    assert.deepEqual(iris.records[0], { uri: irisUri, range: { start: { line: 1, character: 0 }, end: { line: 2, character: 0 } } });
    assert.equal(iris.dataset.headerLines, 1);
    // Setosa stands apart on the map: no cluster mixes it with another species.
    const setosa = new Set(iris.map.clusters?.slice(0, 50).filter((c) => c >= 0));
    assert.ok(setosa.size >= 1);
    assert.ok(!iris.map.clusters?.slice(50).some((c) => setosa.has(c)));
    // The table was clustered: the Clusters view keeps that clustering (the map does not replace it).
    assert.equal(iris.clustering, undefined);
    // The same data gives the same map (seeded UMAP).
    const mark = host.mark();
    const again = await host.connection.sendRequest(EmbeddingMapRequest.type, { uri: irisUri });
    assert.equal(again.map.points, iris.map.points);
    // The table was clustered: its diagnostics stay the clustering's; the map's cluster is in the hover.
    const published = await host.waitForDiagnostics(irisUri, () => true, { after: mark });
    assert.equal(published.diagnostics.filter((d) => d.code === 'cluster' || d.code === 'outlier').length, 150);
    assert.ok(published.diagnostics.every((d) => d.code !== 'map-cluster' && d.code !== 'map-outlier'));
    const hover = (await host.connection.sendRequest(HoverRequest.type, { textDocument: { uri: irisUri }, position: { line: 1, character: 2 } })) as Hover;
    assert.match((hover.contents as MarkupContent).value, /Embedding map: (cluster \d+ · \d+ members|outlier)/u);
    // A table that was never clustered shows its rows' map clusters as diagnostics of their own codes.
    const unclustered = path.join(workspace, 'tables', 'iris-unclustered.csv');
    cpSync(irisFile, unclustered);
    const unclusteredUri = pathToFileURL(unclustered).href;
    const onMap = host.mark();
    const fresh = await host.connection.sendRequest(EmbeddingMapRequest.type, { uri: unclusteredUri });
    // A table never clustered: the Clusters view gets the map's clusters, every record once, members on their rows.
    const c = fresh.clustering;
    assert.ok(c);
    assert.equal(c.clusters.reduce((n, x) => n + x.size, 0) + c.noise.length, 150);
    for (const x of c.clusters) x.members.forEach((id, i) => assert.equal(x.memberLines[i], Number(id) + 1));
    const mapDiags = await host.waitForDiagnostics(unclusteredUri, (p) => p.diagnostics.some((d) => d.code === 'map-cluster'), { after: onMap });
    assert.equal(mapDiags.diagnostics.length, 150);
    for (const d of mapDiags.diagnostics) {
      const row = d.range.start.line - 1;
      const c = fresh.map.clusters?.[row] as number;
      assert.equal(d.code, c >= 0 ? 'map-cluster' : 'map-outlier');
      if (c >= 0) assert.match(text(d), new RegExp(`^map cluster ${c} · \\d+ members on the embedding map$`, 'u'));
    }
    // DBSCAN on the embedding instead of the map: asked per request (the setting's default is the map).
    const onEmbedding = host.mark();
    const emb = await host.connection.sendRequest(EmbeddingMapRequest.type, { uri: unclusteredUri, clusterOn: 'embedding' });
    assert.equal(emb.map.points, fresh.map.points, 'the same map, clustered elsewhere');
    const embDiags = await host.waitForDiagnostics(unclusteredUri, (p) => p.diagnostics.some((d) => / in the embedding /u.test(text(d))), { after: onEmbedding });
    assert.equal(embDiags.diagnostics.length, 150);
    await assert.rejects(host.connection.sendRequest(EmbeddingMapRequest.type, { uri: irisUri, clusterOn: 'sideways' as 'map' }), /clusterOn/u);
    // Clustering that table makes the clustering's diagnostics the ones shown; the map stays in the hover.
    const recluster = host.mark();
    await host.connection.sendRequest(ClusterRequest.type, { uri: unclusteredUri });
    const back = await host.waitForDiagnostics(unclusteredUri, (p) => p.diagnostics.length > 0, { after: recluster });
    assert.ok(back.diagnostics.every((d) => d.code !== 'map-cluster' && d.code !== 'map-outlier'));
    const both = (await host.connection.sendRequest(HoverRequest.type, { textDocument: { uri: unclusteredUri }, position: { line: 1, character: 2 } })) as Hover;
    assert.match((both.contents as MarkupContent).value, /Embedding map: [\s\S]*(Cluster \d+|Outlier)/u);

    const query = pathToFileURL(path.join(images, 'bag', '00023.png')).href;
    const imgs = await host.connection.sendRequest(EmbeddingMapRequest.type, { uri: query });
    assert.equal(imgs.map.kind, 'images');
    assert.equal(imgs.map.ids.length, 12);
    const preview = imgs.map.previews?.[0];
    assert.ok(preview && preview.type === 'pixels' && preview.width === 28 && preview.height === 28 && Buffer.from(preview.data, 'base64').length === 784);
    for (const r of imgs.records) assert.ok(r.range === undefined && fileURLToPath(r.uri).startsWith(images + path.sep));
  });

  void test('train a Siamese model on the table: live trainingMetrics, a model folder in the workspace, the Models list, Find Similar by the model', async () => {
    const mark = host.mark();
    const result = await host.connection.sendRequest(TrainRequest.type, { uri: irisUri, model: 'siamese', config: { epochs: 2, distance: 'euclidean' } });
    assert.match(result.modelId, /^iris/u);
    const dir = fileURLToPath(result.uri);
    assert.equal(path.dirname(dir), path.join(workspace, '.similarity-lab', 'models'));
    for (const f of ['model.json', 'weights.bin', 'manifest.json']) assert.ok(existsSync(path.join(dir, f)), f);
    assert.ok(Number.isFinite(result.metrics['precisionAt1']), JSON.stringify(result.metrics));
    const reports = host.notifications(TrainingMetricsNotification.type).filter((n) => n.seq > mark);
    assert.ok(reports.length > 0, 'trainingMetrics reports');
    assert.ok(reports.every((r) => r.params.modelId === result.modelId && Number.isFinite(r.params.loss)));
    assert.ok(reports.some((r) => r.params.run?.backend), 'the run and its backend are described');
    const { models } = await host.connection.sendRequest(ModelsRequest.type, {});
    const listed = models.find((m) => m.modelId === result.modelId);
    assert.ok(listed);
    assert.equal(listed.dataKind, 'table');
    assert.equal(listed.distance, 'euclidean');
    const similar = await host.connection.sendRequest(FindSimilarRequest.type, { uri: irisUri, position: { line: 11, character: 0 }, k: 3, modelId: result.modelId });
    assert.equal(similar.query, '10');
    assert.equal(similar.items.length, 3);
    assert.match(similar.metric ?? '', /model/u);
    for (const it of similar.items) assert.equal(it.range?.start.line, Number(it.recordId) + 1);
    const map = await host.connection.sendRequest(EmbeddingMapRequest.type, { uri: irisUri, modelId: result.modelId });
    assert.equal(map.map.ids.length, 150);
    assert.equal(map.stats.features, `embeddings of model ${result.modelId}`);
    assert.equal(map.stats.dim, 64);
  });

  void test('train refuses what it cannot do with a clear message, and the host keeps answering', async () => {
    await assert.rejects(host.connection.sendRequest(TrainRequest.type, { uri: irisUri, model: 'gan' as 'siamese' }), /model is "siamese" or "autoencoder", got "gan"/u);
    await assert.rejects(host.connection.sendRequest(TrainRequest.type, { uri: irisUri, model: 'autoencoder', config: { autoencoder: 'rnn' as 'dense' } }), /autoencoder is dense or conv, got "rnn"/u);
    await assert.rejects(host.connection.sendRequest(TrainRequest.type, { uri: irisUri, model: 'siamese', config: { distance: 'manhattan' as 'cosine' } }), /distance is euclidean, cosine or combined/u);
    await assert.rejects(host.connection.sendRequest(FindSimilarRequest.type, { uri: irisUri, position: { line: 1, character: 0 }, modelId: 'nope' }), /no trained model 'nope'/u);
    const { datasets } = await host.connection.sendRequest(DatasetsRequest.type, {});
    assert.ok(datasets.length > 0);
  });
});
