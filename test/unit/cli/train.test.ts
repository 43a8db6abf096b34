/**
 * `simlab train` and `--model DIR` on eval, similar and cluster, as a user runs them: the built
 * dist/cli.js (`node esbuild.mjs` first) in a child process on the committed fixtures.
 */
import assert from 'node:assert/strict';
import { runCli, type Run } from './runCli';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

const FIXTURES = path.resolve(__dirname, '../../fixtures');
const IRIS = path.join(FIXTURES, 'tables/iris.csv');
const FASTA = path.join(FIXTURES, 'dna/16S-sample.fasta');
const VOLUMES = path.join(FIXTURES, 'volumes');
const GENUS = ';\\s*([^;\\s]+)[^;]*$';
const FAST = ['--epochs', '2', '--steps-per-epoch', '3', '--backend', 'cpu', '--embedding-dim', '8'];
const AE_FAST = ['--epochs', '2', '--steps-per-epoch', '2', '--backend', 'cpu', '--latent', '8'];
const FASHION64 = path.join(FIXTURES, 'images/fashion64-images-idx3-ubyte.gz');

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'simlab-cli-train-test-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function simlab(...args: string[]): Promise<Run> {
  return runCli(args, { cwd: dir, timeoutMs: 180_000 });
}

const tsv = (text: string) => new Map(text.trimEnd().split('\n').map((l) => l.split('\t') as [string, string]));

void describe('simlab train', () => {
  void test('iris: trains, prints the best epoch’s scores, one line per epoch on stderr, saves the model into the default folder', async () => {
    const r = await simlab('train', IRIS, '--model', 'siamese', '--distance', 'euclidean', '--workers', '2', ...FAST);
    assert.equal(r.status, 0, r.stderr);
    const out = tsv(r.stdout);
    assert.equal(out.get('workers'), '2');
    assert.match(r.stderr, /^training on cpu, 2 workers: 6 steps \(2 epochs\)$/m);
    assert.match(out.get('modelId')!, /^iris-siamese-\d{8}T\d{6}Z$/);
    assert.equal(out.get('out'), path.join(dir, 'simlab-models', 'iris'));
    assert.equal(out.get('backend'), 'cpu');
    assert.equal(out.get('classes'), '3');
    assert.ok(Number(out.get('precisionAt1')) > 0 && Number(out.get('tripletAccuracy')) > 0, r.stdout);
    assert.match(r.stderr, /^epoch 1\/2: loss [\d.]+, active triplets [\d.]+, validation P@1 [\d.]+, MAP@R [\d.]+, triplet accuracy [\d.]+, \d+ samples\/s$/m);
    assert.match(r.stderr, /^epoch 2\/2: /m);
    assert.doesNotMatch(r.stderr, /\r/, 'no redrawn progress when stderr is not a terminal');
    assert.deepEqual(readdirSync(path.join(dir, 'simlab-models', 'iris')).sort(), ['manifest.json', 'model.json', 'weights.bin']);
  });

  void test('eval, similar and cluster take --model DIR', async () => {
    const model = path.join(dir, 'simlab-models', 'iris');
    const [evaluated, similar, clustered, evaluatedDbscan] = await Promise.all([simlab('eval', IRIS, '--model', model, '--json'), simlab('similar', IRIS, '--model', model, '--id', '0', '-k', '3'), simlab('cluster', IRIS, '--model', model, '--format', 'json', '--mutual-k', '0'), simlab('eval', IRIS, '--model', model, '--mode', 'dbscan')]);
    assert.equal(evaluated.status, 0, evaluated.stderr);
    const s = JSON.parse(evaluated.stdout) as Record<string, number>;
    for (const k of ['precision_at_1', 'r_precision', 'map_at_r', 'recall_at_1', 'recall_at_5', 'recall_at_10', 'triplet_accuracy', 'verification_accuracy', 'ari', 'nmi']) assert.ok(s[k]! >= 0 && s[k]! <= 1, `${k} ${s[k]}`);
    assert.equal(s.records, 150);
    assert.equal(s.queries, 150);
    assert.ok(s.recall_at_10! >= s.recall_at_1!);
    assert.equal(s.recall_at_1, s.precision_at_1);
    assert.match(evaluated.stderr, /model iris-siamese-\S+ \(dense encoder, 8-dim embeddings, euclidean distance\); Leiden communities of the 15-nearest-neighbour graph \(\d+ links\), min-pts 5/);
    assert.equal(evaluatedDbscan.status, 0, evaluatedDbscan.stderr);
    assert.match(evaluatedDbscan.stderr, /euclidean distance\); DBSCAN eps/);
    assert.equal(similar.status, 0, similar.stderr);
    const rows = similar.stdout.trimEnd().split('\n');
    assert.equal(rows[0], 'record_id\tscore\tdistance');
    assert.equal(rows.length, 4);
    const distances = rows.slice(1).map((l) => Number(l.split('\t')[2]));
    assert.deepEqual([...distances].sort((a, b) => a - b), distances);
    assert.ok(!rows.slice(1).some((l) => l.startsWith('0\t')), 'the query is not its own neighbour');
    assert.equal(clustered.status, 0, clustered.stderr);
    const c = JSON.parse(clustered.stdout) as { stats: { features: string; model: string; records: number } };
    assert.equal(c.stats.features, 'model');
    assert.match(c.stats.model, /^iris-siamese-/);
    // --mutual-k 0: plain DBSCAN on the embeddings' eps-graph; eval --mode dbscan: on the mutual 8-NN links.
    assert.doesNotMatch(clustered.stderr, /between mutual neighbours/);
    assert.match(evaluatedDbscan.stderr, /between mutual neighbours/);
  });

  void test('16S FASTA with genus labels: conv1d on one-hot, then similar --model ranks sequences', async () => {
    const out = path.join(dir, 'genus-model');
    const r = await simlab('train', FASTA, '--model', 'siamese', '--label-regex', GENUS, '--sequence-length', '128', '--out', out, '--classes-per-batch', '4', '--per-class', '3', ...FAST);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(tsv(r.stdout).get('classes'), '20');
    const s = await simlab('similar', FASTA, '--model', out, '--id', '7000004128190197', '-k', '2', '--format', 'json');
    assert.equal(s.status, 0, s.stderr);
    const j = JSON.parse(s.stdout) as { items: { recordId: string; line: number }[] };
    assert.equal(j.items.length, 2);
    assert.ok(j.items.every((it) => it.line >= 1));
  });

  void test('usage and input errors exit 2 with a message naming the problem', async () => {
    const model = path.join(dir, 'simlab-models', 'iris');
    const taken = path.join(dir, 'taken');
    mkdirSync(taken);
    writeFileSync(path.join(taken, 'manifest.json'), '{}');
    const runs = await Promise.all([
      simlab('train', IRIS, '--model', 'autoencoder', '--classes-per-batch', '4'),
      simlab('train', IRIS),
      simlab('train', IRIS, '--model', 'siamese', '--distance', 'manhattan'),
      simlab('train', IRIS, '--model', 'siamese', '--out', taken),
      simlab('train', VOLUMES, '--model', 'siamese', '--out', path.join(VOLUMES, 'models')),
      simlab('train', IRIS, '--model', 'siamese', '--features', 'raw'),
      simlab('train', path.join(FIXTURES, 'tables/points.csv'), '--model', 'siamese', ...FAST),
      simlab('similar', IRIS, '--model', model, '--id', '0', '--metric', 'cosine'),
      simlab('eval', IRIS, '--backend', 'cpu'),
      simlab('train', IRIS, '--model', 'autoencoder', '--ae', 'conv', '--out', path.join(dir, 'iris-conv'), ...AE_FAST),
      simlab('train', IRIS, '--model', 'siamese', '--latent', '4'),
      simlab('train', IRIS, '--model', 'autoencoder', '--reconstruction-weight', '0', '--latent-weight', '0'),
      simlab('train', IRIS, '--model', 'autoencoder', '--positives', 'pairs'),
      simlab('train', IRIS, '--model', 'siamese', '--workers', '0'),
    ]);
    runs.forEach((r, i) => assert.equal(r.status, 2, `run ${i}: ${r.stderr}`));
    assert.match(runs[0]!.stderr, /--classes-per-batch applies to Siamese models/);
    assert.match(runs[1]!.stderr, /train needs --model siamese/);
    assert.match(runs[2]!.stderr, /--distance is one of euclidean, cosine, combined, got 'manhattan'/);
    assert.match(runs[3]!.stderr, /already holds a model; pass --overwrite/);
    assert.match(runs[4]!.stderr, /is the dataset or inside its folder/);
    assert.match(runs[5]!.stderr, /--features does not apply to training/);
    assert.match(runs[6]!.stderr, /points\.csv: 2 class\(es\) and 0 with at least 2 records; training needs 2 or more classes/);
    assert.match(runs[7]!.stderr, /--metric does not apply with --model/);
    assert.match(runs[8]!.stderr, /--backend applies with --model DIR/);
    assert.match(runs[9]!.stderr, /training configuration: autoencoder\.kind: a convolutional autoencoder needs sequences, images or volumes; these inputs have shape \[4\]/);
    assert.match(runs[10]!.stderr, /--latent applies to autoencoders \(--model autoencoder\)/);
    assert.match(runs[11]!.stderr, /the loss weights are all 0/);
    assert.match(runs[12]!.stderr, /--positives is one of auto, labels, views, got 'pairs'/);
    assert.match(runs[13]!.stderr, /--workers needs a positive integer, got 0/);
    assert.ok(!existsSync(path.join(VOLUMES, 'models')));
  });

  void test('autoencoder on 64 Fashion-MNIST images: trains (labels from the IDX file as latent positives), and its latent codes serve eval, similar and embed --model; the map carries reconstructions', async () => {
    const out = path.join(dir, 'fashion-ae');
    const t = await simlab('train', FASHION64, '--model', 'autoencoder', '--ae', 'dense', '--out', out, '--json', ...AE_FAST);
    assert.equal(t.status, 0, t.stderr);
    const s = JSON.parse(t.stdout) as Record<string, number | string>;
    assert.match(String(s.modelId), /^fashion64-images-idx3-ubyte-autoencoder-\d{8}T\d{6}Z$/);
    assert.deepEqual([s.autoencoder, s.latentDim, s.epochs, s.classes], ['dense', 8, 2, 10]);
    assert.ok(Number(s.reconstructionLoss) > 0 && Number(s.reconstructionLoss) < 0.5 && Number(s.valLoss) > 0, t.stdout);
    assert.ok(Number(s.contrastiveLoss) >= 0, 'the latent loss is reported under its kind');
    assert.match(t.stderr, /^epoch 1\/2: loss [\d.]+ \(reconstruction [\d.]+, contrastive [\d.]+\), validation loss [\d.]+, latent P@1 [\d.]+, MAP@R [\d.]+, \d+ samples\/s$/m);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { model: string; embeddingDim: number; autoencoder: { kind: string; positives: { labels: boolean } } };
    assert.deepEqual([manifest.model, manifest.embeddingDim, manifest.autoencoder.kind, manifest.autoencoder.positives.labels], ['autoencoder', 8, 'dense', true]);

    const html = path.join(dir, 'fashion-ae.html');
    const [evaluated, similar, embedded, notSiamese] = await Promise.all([
      simlab('eval', FASHION64, '--model', out, '--json'),
      simlab('similar', FASHION64, '--model', out, '--id', '3', '-k', '2'),
      simlab('embed', FASHION64, '--model', out, '--out', html),
      simlab('train', FASHION64, '--model', 'autoencoder', '--perceptual-model', out, '--perceptual-weight', '1', '--out', path.join(dir, 'never'), ...AE_FAST),
    ]);
    assert.equal(notSiamese.status, 2, notSiamese.stderr);
    assert.match(notSiamese.stderr, /fashion-ae: an autoencoder model; the perceptual loss takes a trained Siamese model's encoder/);
    assert.equal(evaluated.status, 0, evaluated.stderr);
    const e = JSON.parse(evaluated.stdout) as Record<string, number>;
    assert.equal(e.records, 64);
    assert.ok(e.precision_at_1! >= 0 && e.map_at_r! > 0 && e.reconstruction_mse! > 0 && e.reconstruction_mse! < 0.5, evaluated.stdout);
    assert.match(evaluated.stderr, /\(dense autoencoder, 8-dim latent, cosine distance\)/);
    assert.equal(similar.status, 0, similar.stderr);
    assert.equal(similar.stdout.trimEnd().split('\n').length, 3);
    assert.equal(embedded.status, 0, embedded.stderr);
    const page = readFileSync(html, 'utf8');
    assert.match(page, /"reconstructions":\[\{"type":"pixels","width":28,"height":28,"channels":1/);
  });

  void test('autoencoder without labels (points.csv): views as latent positives; eval reports the reconstruction error and the latent clusters', async () => {
    const out = path.join(dir, 'points-ae');
    const t = await simlab('train', path.join(FIXTURES, 'tables/points.csv'), '--model', 'autoencoder', '--out', out, '--epochs', '2', '--backend', 'cpu');
    assert.equal(t.status, 0, t.stderr);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { autoencoder: { kind: string; output: string; positives: { labels: boolean; views: boolean } } };
    assert.deepEqual(manifest.autoencoder.positives, { labels: false, views: true });
    assert.equal(manifest.autoencoder.output, 'linear', 'standardised columns are not in [0, 1]');
    const r = await simlab('eval', path.join(FIXTURES, 'tables/points.csv'), '--model', out, '--json');
    assert.equal(r.status, 0, r.stderr);
    const e = JSON.parse(r.stdout) as Record<string, number>;
    // Three records are too few for DBSCAN on the latent codes (minPts 5): no clusters, and the reason, rather than eps NaN.
    assert.deepEqual(Object.keys(e).sort(), ['reconstruction_mse', 'records']);
    assert.ok(e.reconstruction_mse! > 0);
    assert.match(r.stderr, /no class with 2 labelled records, so no retrieval scores; no clustering scores: too few records to cluster: 3; at least 5 are needed \(minPts 5\)/);
    assert.doesNotMatch(r.stderr, /NaN/);
  });

  void test('a model folder with its weights gone: exit 2 naming the file', async () => {
    const out = path.join(dir, 'broken');
    const t = await simlab('train', IRIS, '--model', 'siamese', '--out', out, ...FAST);
    assert.equal(t.status, 0, t.stderr);
    unlinkSync(path.join(out, 'weights.bin'));
    const r = await simlab('eval', IRIS, '--model', out);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /broken\/weights\.bin: missing/);
  });
});
