/**
 * Autoencoders in the editor, over a real stdio LSP connection to the built host: `train` with
 * model 'autoencoder' on 64 Fashion-MNIST images (live trainingMetrics with the loss parts, the
 * model folder, the Models list, Find Similar With Model on a PNG and the Embedding Map by its latent codes, with
 * reconstructions), and `stopTraining`: a long run stopped after a few steps resolves with its
 * best epoch saved — a usable model — where cancelling abandons the run. Needs `npm run build` first.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EmbeddingMapRequest, FindSimilarRequest, ModelsRequest, StopTrainingRequest, TrainingMetricsNotification, TrainRequest } from '../../server/protocol';
import { LspTestClient } from './lspClient';

const FIXTURES = path.resolve(__dirname, '../fixtures');

void describe('autoencoders in the editor (host over stdio)', { timeout: 240_000 }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'simlab-server-autoencoder-'));
  const workspace = path.join(tmp, 'workspace');
  const images = path.join(workspace, 'fashion64-images-idx3-ubyte.gz');
  const imagesUri = pathToFileURL(images).href;
  let host: LspTestClient;

  before(async () => {
    mkdirSync(workspace, { recursive: true });
    for (const f of ['fashion64-images-idx3-ubyte.gz', 'fashion64-labels-idx1-ubyte.gz']) cpSync(path.join(FIXTURES, 'images', f), path.join(workspace, f));
    cpSync(path.join(FIXTURES, 'images', 'fashion'), path.join(workspace, 'fashion'), { recursive: true });
    host = LspTestClient.start();
    await host.initialize(undefined, { cacheDir: path.join(tmp, 'cache'), trusted: true }, [{ uri: pathToFileURL(workspace).href, name: 'workspace' }]);
  });

  after(async () => {
    await host.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  void test('train an autoencoder: loss parts as curves, a model folder, the Models list, Find Similar and the map by its latent codes, with reconstructions', async () => {
    const mark = host.mark();
    const result = await host.connection.sendRequest(TrainRequest.type, { uri: imagesUri, model: 'autoencoder', config: { autoencoder: 'dense', latentDim: 8, epochs: 2 } });
    assert.match(result.modelId, /^fashion64-images-idx3-ubyte-autoencoder-/u);
    assert.equal(result.stopReason, 'epochs');
    const dir = fileURLToPath(result.uri);
    assert.equal(path.dirname(dir), path.join(workspace, '.similarity-lab', 'models'));
    for (const f of ['model.json', 'weights.bin', 'manifest.json']) assert.ok(existsSync(path.join(dir, f)), f);
    assert.ok(result.metrics['valLoss']! > 0 && result.metrics['reconstructionLoss']! > 0, JSON.stringify(result.metrics));

    const reports = host.notifications(TrainingMetricsNotification.type).filter((n) => n.seq > mark);
    assert.ok(reports.length >= 2, 'trainingMetrics reports');
    assert.equal(reports[0]!.params.run?.kind, 'autoencoder');
    assert.ok(reports.every((r) => r.params.modelId === result.modelId && r.params.metrics['reconstructionLoss']! > 0 && r.params.metrics['activeTriplets'] === undefined));
    assert.ok(reports.some((r) => r.params.metrics['valLoss'] !== undefined), 'epoch reports carry the validation loss');

    const { models } = await host.connection.sendRequest(ModelsRequest.type, {});
    const listed = models.find((m) => m.modelId === result.modelId);
    assert.deepEqual([listed?.model, listed?.dataKind, listed?.autoencoder], ['autoencoder', 'image', { kind: 'dense', latentDim: 8 }]);

    // Find Similar With Model on a PNG of a class-folder dataset: its folder embedded by the autoencoder trained on the IDX images.
    const bag = path.join(workspace, 'fashion', 'bag', readdirSync(path.join(workspace, 'fashion', 'bag')).sort()[0]!);
    const similar = await host.connection.sendRequest(FindSimilarRequest.type, { uri: pathToFileURL(bag).href, k: 3, modelId: result.modelId });
    assert.equal(similar.query, path.relative(path.join(workspace, 'fashion'), bag));
    assert.equal(similar.items.length, 3);
    assert.equal(similar.metric, `cosine (model ${result.modelId})`);
    assert.ok(similar.items.every((it) => it.uri.endsWith('.png') && it.recordId !== similar.query && it.distance >= 0));

    const map = await host.connection.sendRequest(EmbeddingMapRequest.type, { uri: imagesUri, modelId: result.modelId });
    assert.equal(map.map.ids.length, 64);
    assert.equal(map.stats.dim, 8);
    assert.equal(map.map.reconstructions?.length, 64);
    assert.ok(map.map.reconstructions!.every((r) => r?.type === 'pixels' && r.width === 28 && r.height === 28));
  });

  void test('Stop: a long run stopped after a few steps ends "stopped" with its best epoch saved, and the model answers; an unknown run is not stopping', async () => {
    const mark = host.mark();
    const training = host.connection.sendRequest(TrainRequest.type, { uri: imagesUri, model: 'autoencoder', config: { autoencoder: 'dense', latentDim: 4, epochs: 10_000 } });
    const first = await host.waitForNotification(TrainingMetricsNotification.type, (p) => p.step >= 3, { after: mark, timeoutMs: 120_000 });
    const stop = await host.connection.sendRequest(StopTrainingRequest.type, { modelId: first.modelId });
    assert.deepEqual(stop, { stopping: true });
    const result = await training;
    assert.equal(result.modelId, first.modelId);
    assert.equal(result.stopReason, 'stopped');
    const manifest = JSON.parse(readFileSync(path.join(fileURLToPath(result.uri), 'manifest.json'), 'utf8')) as { history: { stopReason: string; epochs: number; bestEpoch: number } };
    assert.equal(manifest.history.stopReason, 'stopped');
    assert.ok(manifest.history.epochs >= 1 && manifest.history.epochs < 10_000 && manifest.history.bestEpoch >= 1, JSON.stringify(manifest.history));
    const map = await host.connection.sendRequest(EmbeddingMapRequest.type, { uri: imagesUri, modelId: result.modelId });
    assert.equal(map.stats.dim, 4, 'the stopped model embeds the dataset');
    assert.deepEqual(await host.connection.sendRequest(StopTrainingRequest.type, { modelId: result.modelId }), { stopping: false }, 'the run is over');
    assert.deepEqual(await host.connection.sendRequest(StopTrainingRequest.type, { modelId: 'nope' }), { stopping: false });
  });
});
