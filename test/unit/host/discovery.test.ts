/** Dataset discovery globs and the read-side helpers of the editor features. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { discoverDatasets, globToRegExp, matchesDataset } from '../../../server/jobs/discovery';
import { nearestNeighbours, nearestNeighboursYielding, recordAtLine } from '../../../server/jobs/recordNeighbours';
import { DEFAULT_INCLUDE, parseSettings } from '../../../server/host/settings';

void describe('globToRegExp', () => {
  const cases: [string, string, boolean][] = [
    ['**/*.fasta', 'a.fasta', true],
    ['**/*.fasta', 'x/y/a.fasta', true],
    ['**/*.fasta', 'a.fastq', false],
    ['**/*.{fa,fasta}.gz', 'd/a.fa.gz', true],
    ['**/*.{fa,fasta}.gz', 'd/a.fa', false],
    ['*.fa', 'd/a.fa', false],
    ['data/?.fa', 'data/b.fa', true],
    ['**/[ab].fa', 'c.fa', false],
    ['**/build', 'x/build', true],
    ['a+b.fa', 'a+b.fa', true],
  ];
  for (const [glob, file, expected] of cases) {
    void test(`${glob} ${expected ? 'matches' : 'does not match'} ${file}`, () => assert.equal(globToRegExp(glob).test(file), expected));
  }
});

void test('discoverDatasets: include globs, files.exclude, never node_modules or .git', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'simlab-discover-'));
  try {
    for (const f of ['a.fasta', 'sub/b.fq.gz', 'sub/c.txt', 'node_modules/m/d.fasta', '.git/e.fasta', 'out/f.fasta']) {
      mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      writeFileSync(path.join(root, f), '>x\nACGT\n');
    }
    const found = await discoverDatasets(root, { include: DEFAULT_INCLUDE, exclude: ['**/out'] });
    assert.deepEqual(found.map((f) => path.relative(root, f).split(path.sep).join('/')), ['a.fasta', 'sub/b.fq.gz']);
    assert.equal(matchesDataset('node_modules/x.fasta', { include: DEFAULT_INCLUDE, exclude: [] }), false);
    assert.equal(matchesDataset('x.fasta', { include: DEFAULT_INCLUDE, exclude: ['[bad'] }), true);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

void test('discoverDatasets: folders of images (class subfolders, or many images directly) are datasets; their insides are not', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'simlab-discover-images-'));
  const touch = (f: string) => {
    mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    writeFileSync(path.join(root, f), '');
  };
  try {
    // Class folders: two subfolders of images only (a third without any does not matter).
    for (const f of ['fashion/bag/1.png', 'fashion/bag/2.PNG', 'fashion/shoe/1.jpg', 'fashion/notes/readme.txt']) touch(f);
    // Flat: 3 images directly (the threshold below), with a table beside them that is a dataset of its own.
    for (const f of ['flat/a.jpeg', 'flat/b.png', 'flat/c.png', 'flat/meta.csv']) touch(f);
    // Neither: one class folder only; 2 loose images (a class folder of the workspace, but its only
    // one: flat holds a table too); pictures beside other files; node_modules.
    for (const f of ['lonely/only/1.png', 'lonely/only/2.png', 'loose/1.png', 'loose/2.png', 'docs/a/1.png', 'docs/a/page.md', 'docs/b/1.png', 'docs/b/page.md']) touch(f);
    for (const f of ['node_modules/x/a/1.png', 'node_modules/x/b/1.png']) touch(f);
    const rel = (files: string[]) => files.map((f) => path.relative(root, f).split(path.sep).join('/')).sort();
    const imageFolders = new Set<string>();
    const found = await discoverDatasets(root, { include: DEFAULT_INCLUDE, exclude: [], imageFolderMinImages: 3, imageFolders });
    assert.deepEqual(rel(found), ['fashion', 'flat', 'flat/meta.csv']);
    assert.deepEqual(rel([...imageFolders]), ['fashion', 'flat']);
    // A class folder with many images is still a part of its dataset, not one of its own.
    for (let i = 3; i <= 5; i++) touch(`fashion/bag/${i}.png`);
    assert.deepEqual(rel(await discoverDatasets(root, { include: DEFAULT_INCLUDE, exclude: [], imageFolderMinImages: 3 })), ['fashion', 'flat', 'flat/meta.csv']);
    // Off (0, and what callers that pass nothing get): files only.
    assert.deepEqual(rel(await discoverDatasets(root, { include: DEFAULT_INCLUDE, exclude: [], imageFolderMinImages: 0 })), ['flat/meta.csv']);
    assert.deepEqual(rel(await discoverDatasets(root, { include: DEFAULT_INCLUDE, exclude: ['**/fashion'], imageFolderMinImages: 3 })), ['flat', 'flat/meta.csv']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

void test('settings: header labels and image folders, bad values fall back', () => {
  assert.deepEqual(parseSettings(undefined, undefined).headerLabels, { from: 'auto' });
  assert.equal(parseSettings(undefined, undefined).imageFolderMinImages, 10);
  assert.deepEqual(parseSettings({ labels: { fromHeader: 'word', field: 3 } }, null).headerLabels, { from: 'word', field: 3 });
  assert.deepEqual(parseSettings({ labels: { fromHeader: 'word', field: 0 } }, null).headerLabels, { from: 'word', field: 2 });
  assert.deepEqual(parseSettings({ labels: { fromHeader: 'regex', regex: 'sp=(\\w+)' } }, null).headerLabels, { from: 'regex', regex: 'sp=(\\w+)' });
  assert.deepEqual(parseSettings({ labels: { fromHeader: 'regex', regex: '([unclosed' } }, null).headerLabels, { from: 'none' });
  assert.deepEqual(parseSettings({ labels: { fromHeader: 'none' } }, null).headerLabels, { from: 'none' });
  assert.equal(parseSettings({ datasets: { imageFolderMinImages: -2 } }, null).imageFolderMinImages, 10);
});

void test('settings: bad values fall back to the defaults', () => {
  const s = parseSettings({ datasets: { include: [3] }, cluster: { threshold: 7 }, diagnostics: { maxPerFile: -1, clusterSeverity: 'off' } }, { exclude: { '**/out': true, '**/keep': false } });
  assert.deepEqual(s.include, DEFAULT_INCLUDE);
  assert.equal(s.threshold, 0.93);
  assert.equal(s.diagnostics.maxPerFile, 1000);
  assert.equal(s.diagnostics.cluster, undefined);
  assert.deepEqual(s.filesExclude, ['**/out']);
  assert.equal(parseSettings({ 'cluster.threshold': 0.97 }, null).threshold, 0.97);
});

void test('nearestNeighbours keeps the best few per record, best first', () => {
  const edges = { i: Uint32Array.from([0, 0, 0, 1]), j: Uint32Array.from([1, 2, 3, 2]), identity: Float32Array.from([0.95, 0.99, 0.94, 0.97]) };
  const lists = nearestNeighbours(4, edges, 2);
  assert.deepEqual(lists.of(0), [
    { record: 2, identity: Math.fround(0.99) },
    { record: 1, identity: Math.fround(0.95) },
  ]);
  assert.deepEqual(lists.of(2).map((n) => n.record), [0, 1]);
  assert.deepEqual(lists.of(3).map((n) => n.record), [0]);
  assert.deepEqual(lists.of(4), [], 'out of range: none');
});

/** The lists as arrays of objects: insert after equals, drop the last beyond `keep`. */
function referenceLists(n: number, edges: { i: Uint32Array; j: Uint32Array; identity: Float32Array; distance?: Float32Array }, keep: number): object[][] {
  const lists: { record: number; identity: number; distance?: number }[][] = Array.from({ length: n }, () => []);
  const offer = (at: number, record: number, identity: number, distance: number | undefined) => {
    const list = lists[at];
    let pos = list.length;
    while (pos > 0 && list[pos - 1].identity < identity) pos--;
    list.splice(pos, 0, distance === undefined ? { record, identity } : { record, identity, distance });
    if (list.length > keep) list.pop();
  };
  for (let e = 0; e < edges.i.length; e++) {
    offer(edges.i[e], edges.j[e], edges.identity[e], edges.distance?.[e]);
    offer(edges.j[e], edges.i[e], edges.identity[e], edges.distance?.[e]);
  }
  return lists;
}

void test('nearestNeighbours equals sorted insertion into lists of objects (ties kept in offer order), with and without distances', () => {
  let state = 777;
  const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
  for (const keep of [1, 2, 5, 9]) {
    for (const withDistance of [false, true]) {
      const n = 60;
      // ~5 offers a record, so that lists are not all of the top identity: entries shift.
      const m = 150;
      const edges = { i: new Uint32Array(m), j: new Uint32Array(m), identity: new Float32Array(m), ...(withDistance ? { distance: new Float32Array(m) } : {}) };
      for (let e = 0; e < m; e++) {
        edges.i[e] = next() % n;
        edges.j[e] = next() % n;
        // Few distinct values: many ties.
        edges.identity[e] = (next() % 6) / 6;
        if (edges.distance) edges.distance[e] = (next() % 100) / 10;
      }
      const lists = nearestNeighbours(n, edges, keep);
      const want = referenceLists(n, edges, keep);
      for (let r = 0; r < n; r++) assert.deepEqual(lists.of(r), want[r], `keep ${keep}, distances ${withDistance}, record ${r}`);
    }
  }
});

void test('nearestNeighboursYielding: the same lists, built with turns of the event loop between (the LSP thread answers hovers meanwhile)', async () => {
  // 300k seeded edges among 2,000 records: several turns' worth.
  let state = 12345;
  const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
  const m = 300_000;
  const edges = { i: new Uint32Array(m), j: new Uint32Array(m), identity: new Float32Array(m) };
  for (let e = 0; e < m; e++) {
    const a = next() % 2000;
    const b = (a + 1 + (next() % 1999)) % 2000;
    edges.i[e] = Math.min(a, b);
    edges.j[e] = Math.max(a, b);
    edges.identity[e] = (next() % 1000) / 1000;
  }
  let turned = false;
  setImmediate(() => (turned = true));
  const lists = await nearestNeighboursYielding(2000, edges);
  assert.equal(turned, true, 'an event-loop turn ran before the lists were done');
  const whole = nearestNeighbours(2000, edges);
  for (let r = 0; r < 2000; r++) assert.deepEqual(lists.of(r), whole.of(r));
});

void test('recordAtLine', () => {
  const records = [0, 5, 9].map((startLine, index) => ({ index, id: `r${index}`, startLine, endLine: startLine + 3, length: 10 }));
  assert.equal(recordAtLine(records, 6)?.id, 'r1');
  assert.equal(recordAtLine(records, 4), undefined);
  assert.equal(recordAtLine(records, 12)?.id, 'r2');
});
