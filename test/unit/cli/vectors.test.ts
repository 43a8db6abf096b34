/**
 * `simlab cluster`, `similar` and `eval` on numeric datasets as a user runs them: the built
 * dist/cli.js (`node esbuild.mjs` first) in a child process, on the committed real slices — the
 * iris table (sklearn layout), 64 Fashion-MNIST images as IDX, a folder of PNGs in class
 * subfolders, and .npy volumes in class folders. Every run gets a temp --cache-dir.
 */
import assert from 'node:assert/strict';
import { runCli, type Run } from './runCli';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

const FIXTURES = path.resolve(__dirname, '../../fixtures');
const IRIS = path.join(FIXTURES, 'tables/iris.csv');
const IDX = path.join(FIXTURES, 'images/fashion64-images-idx3-ubyte.gz');
const PNGS = path.join(FIXTURES, 'images/fashion');
const VOLUMES = path.join(FIXTURES, 'volumes');

let dir: string;
let cacheDir: string;

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'simlab-cli-vectors-test-'));
  cacheDir = path.join(dir, 'cache');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function simlab(...args: string[]): Promise<Run> {
  return runCli([...args, ...(args.includes('--no-cache') ? [] : ['--cache-dir', cacheDir])], { env: { XDG_CACHE_HOME: path.join(dir, 'xdg-never-used') }, timeoutMs: 120_000 });
}

function tsvRows(text: string): string[][] {
  return text.trimEnd().split('\n').map((l) => l.split('\t'));
}

void describe('simlab on tables', () => {
  void test('cluster iris: one row per record, Leiden by default, --mode dbscan reads eps off the k-distance curve; eval scores the species', async () => {
    const r = await simlab('cluster', IRIS);
    assert.equal(r.status, 0, r.stderr);
    const rows = tsvRows(r.stdout);
    assert.deepEqual(rows[0], ['record_id', 'cluster']);
    assert.equal(rows.length, 151);
    assert.deepEqual(rows.slice(1, 4).map((x) => x[0]), ['0', '1', '2']);
    assert.match(r.stderr, /150 records → \d+ clusters, \d+ noise \(scaled features, 4 dims, euclidean; Leiden communities of the 15-nearest-neighbour graph/);
    // Setosa is far from the two other species: no cluster holds setosa and another species.
    const setosaClusters = new Set(rows.slice(1, 51).map((x) => x[1]).filter((c) => c !== '-1'));
    for (const [, c] of rows.slice(51)) assert.ok(!setosaClusters.has(c as string), `cluster ${c} mixes setosa with another species`);
    const d = await simlab('cluster', IRIS, '--mode', 'dbscan');
    assert.equal(d.status, 0, d.stderr);
    assert.match(d.stderr, /150 records → \d+ clusters, \d+ noise \(scaled features, 4 dims, euclidean; eps [\d.]+ picked from the 5-distance curve/);
    const setosa = new Set(tsvRows(d.stdout).slice(1, 51).map((x) => x[1]).filter((c) => c !== '-1'));
    assert.equal(setosa.size, 1, `dbscan: setosa in one cluster, got ${[...setosa].join(',')}`);
    const both = await simlab('cluster', IRIS, '--mode', 'leiden', '--eps', '1');
    assert.equal(both.status, 2);
    assert.match(both.stderr, /--eps applies to --mode dbscan/);
    const bad = await simlab('cluster', IRIS, '--mode', 'greedy');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--mode is leiden or dbscan/);
    const e = await simlab('eval', IRIS, '--json');
    assert.equal(e.status, 0, e.stderr);
    const s = JSON.parse(e.stdout) as Record<string, number>;
    assert.equal(s['records'], 150);
    assert.equal(s['classes'], 3);
    assert.ok((s['ari'] as number) > 0.4, `ARI ${s['ari']}`);
  });

  void test('--eps and --min-pts are used as given; a smaller eps gives more noise', async () => {
    const wide = await simlab('cluster', IRIS, '--eps', '1.5', '--format', 'json');
    const tight = await simlab('cluster', IRIS, '--eps', '0.3', '--format', 'json');
    assert.equal(wide.status, 0, wide.stderr);
    assert.equal(tight.status, 0, tight.stderr);
    const w = JSON.parse(wide.stdout) as { noise: string[]; stats: { eps: number } };
    const t = JSON.parse(tight.stdout) as { noise: string[]; stats: { eps: number } };
    assert.equal(w.stats.eps, 1.5);
    assert.equal(t.stats.eps, 0.3);
    assert.ok(t.noise.length > w.noise.length, `${t.noise.length} noise at 0.3 vs ${w.noise.length} at 1.5`);
  });

  void test('similar: the nearest rows of a setosa row are setosa rows, closest first', async () => {
    const r = await simlab('similar', IRIS, '--id', '0', '-k', '5', '--format', 'json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { query: string; metric: string; items: { recordId: string; distance: number; score: number; line: number; label: string }[] };
    assert.equal(out.query, '0');
    assert.equal(out.metric, 'euclidean');
    assert.equal(out.items.length, 5);
    for (const it of out.items) assert.equal(it.label, 'setosa');
    for (let i = 1; i < out.items.length; i++) assert.ok(out.items[i]!.distance >= out.items[i - 1]!.distance);
    assert.ok(out.items.every((it) => it.recordId !== '0'));
    // Line numbers are the CSV's: record i is on line i + 2 (after the sklearn header line).
    assert.equal(out.items[0]!.line, Number(out.items[0]!.recordId) + 2);
  });

  void test('usage errors exit 2: sequence options on a table, a bad metric, an unknown id', async () => {
    const t = await simlab('cluster', IRIS, '--threshold', '0.9');
    assert.equal(t.status, 2);
    assert.match(t.stderr, /--threshold applies to sequences and text; numeric datasets take --mode leiden\|dbscan/);
    const m = await simlab('similar', IRIS, '--id', '0', '--metric', 'hamming');
    assert.equal(m.status, 2);
    assert.match(m.stderr, /--metric is one of euclidean/);
    const id = await simlab('similar', IRIS, '--id', 'nope');
    assert.equal(id.status, 2);
    assert.match(id.stderr, /no record with id 'nope'/);
    const f = await simlab('cluster', IRIS, '--features', 'hog');
    assert.equal(f.status, 2, f.stderr);
    assert.match(f.stderr, /hog.*need images/);
  });

  void test('--mutual-k: by default DBSCAN keeps the mutual 8-nearest-neighbour links of the eps-graph; 0 keeps every link', async () => {
    const byDefault = await simlab('cluster', IRIS, '--eps', '1.5');
    const plain = await simlab('cluster', IRIS, '--eps', '1.5', '--mutual-k', '0');
    assert.equal(byDefault.status, 0, byDefault.stderr);
    assert.equal(plain.status, 0, plain.stderr);
    const kept = /eps-graph of (\d+) links, (\d+) between mutual neighbours/u.exec(byDefault.stderr);
    assert.ok(kept, byDefault.stderr);
    assert.ok(Number(kept[2]) < Number(kept[1]), byDefault.stderr);
    assert.match(plain.stderr, new RegExp(`eps-graph of ${kept[1]} links;`, 'u'));
    const bad = await simlab('cluster', IRIS, '--mutual-k', '-1');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--mutual-k needs a non-negative integer/);
  });

  void test('bad input exits 2 naming the file, line and column', async () => {
    const bad = path.join(dir, 'ragged.csv');
    writeFileSync(bad, 'a,b,c\n1,2,3\n4,5\n');
    const r = await simlab('cluster', bad);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /ragged\.csv:3:\d+/);
  });
});

void describe('simlab on images and volumes', () => {
  void test('IDX: eval reads the paired labels file; similar on image 0 answers 0-based indexes', async () => {
    const e = await simlab('eval', IDX, '--json', '--eps', '3');
    assert.equal(e.status, 0, e.stderr);
    const s = JSON.parse(e.stdout) as Record<string, number>;
    assert.equal(s['records'], 64);
    assert.ok((s['classes'] as number) >= 8);
    assert.match(e.stderr, /hog features, 1296 dims/);
    const r = await simlab('similar', IDX, '--id', '0', '-k', '3', '--features', 'raw');
    assert.equal(r.status, 0, r.stderr);
    const rows = tsvRows(r.stdout);
    assert.deepEqual(rows[0], ['record_id', 'score', 'distance']);
    assert.equal(rows.length, 4);
    for (const [id] of rows.slice(1)) assert.match(id as string, /^\d+$/);
  });

  void test('a folder of PNGs in class folders: ids are relative paths; the nearest image of a trouser is a trouser', async () => {
    const trouser = readdirSync(path.join(PNGS, 'trouser')).sort()[0] as string;
    const r = await simlab('similar', PNGS, '--id', `trouser/${trouser}`, '-k', '3', '--format', 'json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { items: { recordId: string; label: string; file: string }[] };
    assert.equal(out.items.length, 3);
    assert.equal(out.items[0]!.label, 'trouser');
    assert.equal(path.dirname(out.items[0]!.file), path.join(PNGS, 'trouser'));
    const c = await simlab('cluster', PNGS, '--eps', '0.8', '--min-pts', '2');
    assert.equal(c.status, 0, c.stderr);
    const rows = tsvRows(c.stdout).slice(1);
    assert.equal(rows.length, 12);
    assert.ok(rows.every(([id]) => /^(bag|sneaker|trouser)\/\d+\.png$/.test(id as string)));
  });

  void test('.npy volumes in class folders: raw voxels, labels from the folders, exact distances', async () => {
    const r = await simlab('eval', VOLUMES, '--eps', '6', '--min-pts', '2', '--json');
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as Record<string, number>;
    assert.equal(s['records'], 4);
    assert.equal(s['classes'], 2);
    assert.match(r.stderr, /raw features, 216 dims/);
    // The radius-2 ball and the half-width-1 cube differ in exactly 32 voxels (the fixture's
    // voxel-index term is the same in both): distance √32, the smallest of the four volumes.
    const sim = await simlab('similar', VOLUMES, '--id', 'ball/r2.npy', '-k', '3');
    assert.equal(sim.status, 0, sim.stderr);
    const rows = tsvRows(sim.stdout).slice(1);
    assert.equal(rows[0]?.[0], 'cube/h1.npy');
    assert.ok(Math.abs(Number(rows[0]?.[2]) - Math.sqrt(32)) < 1e-4, `distance ${rows[0]?.[2]}`);
    assert.deepEqual(rows.map((x) => x[0]).sort(), ['ball/r3.npy', 'cube/h1.npy', 'cube/h2.npy']);
  });

  void test('a folder with nothing to read is refused with exit 2', async () => {
    const empty = mkdtempSync(path.join(dir, 'empty-'));
    const r = await simlab('cluster', empty);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /is a folder without images or \.npy volumes/);
  });
});


