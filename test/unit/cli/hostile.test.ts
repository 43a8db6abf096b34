/**
 * Hostile files and flags on the built CLI (dist/cli.js, `node esbuild.mjs` first), as a user
 * runs it: an --out that is one of the command's inputs (the same path, a symbolic or a hard link)
 * is refused with exit 2 and the input left as it was; outputs are written whole or not at all;
 * ids holding tabs and line breaks survive a TSV round trip through `eval --clusters`; headers
 * that announce impossible sizes, datasets of identical records and datasets too small to
 * cluster end in a result or in exit 2 with a message — never a stack trace. The hostile files
 * are built in a temp folder here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, runCli, type Run } from './runCli';
import { refuseOverwritingInputs, writeOutputFile } from '../../../server/cli/output';
import { tsvField, tsvUnescape } from '../../../server/cli/tsv';

const SAMPLE = path.resolve(__dirname, '../../fixtures/dna/16S-sample.fasta');
const PNG = path.resolve(__dirname, '../../fixtures/images/fashion/bag/00023.png');
const IMAGES = path.resolve(__dirname, '../../fixtures/images/fashion64-images-idx3-ubyte.gz');

let dir: string;

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'simlab-cli-hostile-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function simlab(...args: string[]): Promise<Run> {
  return runCli([...args, '--cache-dir', path.join(dir, 'cache')], { env: { XDG_CACHE_HOME: path.join(dir, 'xdg-never-used') }, timeoutMs: 120_000 });
}

/** Exit 2, one message line naming what is wrong, no stack trace. */
function assertBadInput(r: Run, message: RegExp): void {
  assert.equal(r.status, 2, `exit ${r.status}: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /^\s+at /mu, 'no stack trace');
  assert.doesNotMatch(r.stderr, /unexpected error|RangeError/u);
}

void describe('--out never writes over an input', () => {
  void test('the dataset itself, through a symbolic link, through a hard link, and a labels file: exit 2, the input unchanged', async () => {
    const data = path.join(dir, 'x.fasta');
    copyFileSync(SAMPLE, data);
    const before = readFileSync(data);
    symlinkSync(data, path.join(dir, 'x-link.fasta'));
    linkSync(data, path.join(dir, 'x-hard.fasta'));
    for (const out of [data, path.join(dir, 'x-link.fasta'), path.join(dir, 'x-hard.fasta')]) {
      assertBadInput(await simlab('cluster', data, '--out', out), /--out .*: is (the same file as )?the input .*x\.fasta; writing it would destroy the input/u);
      assert.deepEqual(readFileSync(data), before, `${out}: the dataset is unchanged`);
    }
    // Through the link the other way round: the dataset named by its link, the output by its real path.
    assertBadInput(await simlab('cluster', path.join(dir, 'x-link.fasta'), '--out', data), /the input/u);
    // A labels file (one label per line, whatever its name) given as the map's output.
    const labels = path.join(dir, 'labels.json');
    writeFileSync(labels, '1\n'.repeat(276));
    assertBadInput(await simlab('embed', data, '--labels', labels, '--out', labels), /--out .*labels\.json: is the input/u);
    assert.equal(readFileSync(labels, 'utf8'), '1\n'.repeat(276));
    assert.deepEqual(readFileSync(data), before);
  });

  void test('a table named as the output of its own clustering, and a map over its dataset: exit 2', async () => {
    const table = path.join(dir, 'rows.json');
    writeFileSync(table, Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: `r${i}`, vector: [i % 3, (i * 7) % 5] })).join('\n') + '\n');
    const before = readFileSync(table, 'utf8');
    assertBadInput(await simlab('embed', table, '--out', table), /the input/u);
    assert.equal(readFileSync(table, 'utf8'), before);
  });

  void test('the output is written whole through a temporary file: a failed write leaves no file behind', async () => {
    const out = path.join(dir, 'out');
    mkdirSync(out);
    await writeOutputFile(path.join(out, 'a.tsv'), 'one\n');
    await writeOutputFile(path.join(out, 'a.tsv'), 'two\n');
    assert.equal(readFileSync(path.join(out, 'a.tsv'), 'utf8'), 'two\n');
    // The rename fails (the target is a folder): the folder stays, and no temporary file is left.
    mkdirSync(path.join(out, 'busy'));
    await assert.rejects(writeOutputFile(path.join(out, 'busy'), 'x'));
    assert.deepEqual(readdirSync(out).sort(), ['a.tsv', 'busy']);
    await assert.rejects(refuseOverwritingInputs({ '--out': path.join(out, 'a.tsv') }, [path.join(out, 'a.tsv')]), /is the input/u);
    await refuseOverwritingInputs({ '--out': path.join(out, 'new.tsv') }, [path.join(out, 'a.tsv'), undefined]);
    // A run that writes --out leaves only its output.
    const r = await simlab('cluster', SAMPLE, '--out', path.join(out, 'clusters.tsv'));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(out).sort(), ['a.tsv', 'busy', 'clusters.tsv']);
  });
});

void describe('TSV escapes', () => {
  void test('tsvField and tsvUnescape: tab, line breaks and backslashes round-trip; a row stays one line', () => {
    for (const id of ['a\tb', 'line\nbreak', 'cr\r\nlf', 'back\\slash', '\\t literally', 'plain', '']) {
      const field = tsvField(id);
      assert.doesNotMatch(field, /[\t\n\r]/u);
      assert.equal(tsvUnescape(field), id);
    }
  });

  void test('cluster → TSV → eval --clusters with ids holding tabs and line breaks (JSONL)', async () => {
    const file = path.join(dir, 'ids.jsonl');
    const ids = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? `tab\there ${i}` : i % 3 === 1 ? `line\nbreak ${i}` : `back\\slash\\t ${i}`));
    writeFileSync(file, ids.map((id, i) => JSON.stringify({ id, vector: [Math.floor(i / 8) * 10 + (i % 8) * 0.1, 0], label: `c${Math.floor(i / 8)}` })).join('\n') + '\n');
    const out = path.join(dir, 'ids.clusters.tsv');
    const r = await simlab('cluster', file, '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const rows = readFileSync(out, 'utf8').trimEnd().split('\n');
    assert.equal(rows.length, ids.length + 1, 'one row per record');
    for (const row of rows) assert.equal(row.split('\t').length, 2, row);
    assert.deepEqual(rows.slice(1).map((row) => tsvUnescape(row.split('\t')[0] as string)), ids);
    const scored = await simlab('eval', file, '--clusters', out, '--label-column', 'label', '--json');
    assert.equal(scored.status, 0, scored.stderr);
    assert.equal((JSON.parse(scored.stdout) as { records: number }).records, ids.length);
  });
});

void describe('hostile headers and degenerate datasets', () => {
  const idx = (count: number, h: number, w: number, data = 0) => {
    const b = Buffer.alloc(16 + data);
    b.writeUInt32BE(0x803, 0);
    b.writeUInt32BE(count, 4);
    b.writeUInt32BE(h, 8);
    b.writeUInt32BE(w, 12);
    return b;
  };
  const npy = (shape: string, data = 0) => {
    let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
    header = header.padEnd(118, ' ') + '\n';
    const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length, 0]);
    return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.alloc(data)]);
  };

  void test('sizes a header announces are checked before anything is allocated: exit 2 naming the file and field', async () => {
    const files: [string, Buffer, RegExp][] = [
      ['billions-idx3-ubyte', idx(0x7fffffff, 28, 28), /billions-idx3-ubyte:1:\d+: .*2147483647 images of 28×28.*header field 'dimensions'/u],
      ['wide-idx3-ubyte', idx(1, 65535, 65535, 100), /wide-idx3-ubyte:1:\d+: .*1 images of 65535×65535.*in each record.*header field 'dimensions'/u],
      ['claims-more-idx3-ubyte', idx(1000, 28, 28, 784 * 3), /claims-more-idx3-ubyte:1:\d+: truncated IDX file: the header announces 1000 images of 28×28.*in record 3.*header field 'dimensions'/u],
      ['huge.npy', npy('(9999999999, 9999)'), /huge\.npy:1:\d+: the header announces shape \(9999999999, 9999\).*header field 'shape'/u],
      ['more.npy', npy('(1000, 5)', 4 * 5 * 2), /more\.npy:1:\d+: truncated \.npy file: the header announces shape \(1000, 5\).*in record 2.*header field 'shape'/u],
    ];
    for (const [name, bytes, message] of files) {
      writeFileSync(path.join(dir, name), bytes);
      assertBadInput(await simlab('cluster', path.join(dir, name)), message);
    }
  });

  void test('every record identical: one cluster (cluster and eval), not an error', async () => {
    const table = path.join(dir, 'same.csv');
    writeFileSync(table, 'a,b,label\n' + '1,2,x\n'.repeat(40));
    const r = await simlab('cluster', table, '--label-column', 'label');
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.trimEnd().split('\n').slice(1);
    assert.equal(rows.length, 40);
    assert.deepEqual([...new Set(rows.map((row) => row.split('\t')[1]))], ['0']);
    assert.match(r.stderr, /40 records → 1 clusters, 0 noise.*Leiden communities/u);
    // The study's DBSCAN: eps from a k-distance curve of zeros still clusters identical records together.
    const d = await simlab('cluster', table, '--label-column', 'label', '--mode', 'dbscan');
    assert.equal(d.status, 0, d.stderr);
    assert.deepEqual([...new Set(d.stdout.trimEnd().split('\n').slice(1).map((row) => row.split('\t')[1]))], ['0']);
    assert.match(d.stderr, /40 records → 1 clusters, 0 noise.*identical neighbours/u);
    const e = await simlab('eval', table, '--label-column', 'label', '--json');
    assert.equal(e.status, 0, e.stderr);
    assert.equal((JSON.parse(e.stdout) as { clusters: number }).clusters, 1);
    // Six copies of one image (a folder of one class).
    const images = path.join(dir, 'same-images', 'bag');
    mkdirSync(images, { recursive: true });
    for (let i = 0; i < 6; i++) copyFileSync(PNG, path.join(images, `${i}.png`));
    const c = await simlab('cluster', path.dirname(images));
    assert.equal(c.status, 0, c.stderr);
    assert.deepEqual([...new Set(c.stdout.trimEnd().split('\n').slice(1).map((row) => row.split('\t')[1]))], ['0']);
    const ei = await simlab('eval', path.dirname(images), '--json');
    assert.equal(ei.status, 0, ei.stderr);
  });

  void test('too few records: exit 2 saying so, for tables, .npy and IDX (cluster and eval)', async () => {
    writeFileSync(path.join(dir, 'one.csv'), 'a,b,label\n1,2,x\n');
    writeFileSync(path.join(dir, 'empty.npy'), npy('(0, 5)'));
    writeFileSync(path.join(dir, 'none-idx3-ubyte'), idx(0, 28, 28));
    mkdirSync(path.join(dir, 'one-image', 'bag'), { recursive: true });
    copyFileSync(PNG, path.join(dir, 'one-image', 'bag', 'only.png'));
    const cases: [string[], RegExp][] = [
      [['cluster', path.join(dir, 'one.csv')], /too few records to cluster: 1; at least 5 are needed \(minPts 5\)/u],
      [['eval', path.join(dir, 'one.csv'), '--label-column', 'label'], /too few records to cluster: 1; at least 5 are needed \(minPts 5\)/u],
      [['cluster', path.join(dir, 'empty.npy')], /too few records to cluster: 0; at least 5 are needed \(minPts 5\)/u],
      [['cluster', path.join(dir, 'none-idx3-ubyte')], /too few records to cluster: 0; at least 5 are needed \(minPts 5\)/u],
      [['cluster', path.join(dir, 'one.csv'), '--mode', 'dbscan', '--min-pts', '1'], /too few records to pick eps: 1; .*give eps/u],
      [['cluster', path.join(dir, 'one-image')], /too few records to cluster: 1; at least 5 are needed \(minPts 5\)/u],
    ];
    for (const [args, message] of cases) {
      const r = await simlab(...args);
      assertBadInput(r, message);
      assert.doesNotMatch(r.stderr, /NaN/u);
    }
  });
});

void describe('a hostile environment', () => {
  // HPC login nodes often cap a process's virtual memory (ulimit -v). Every WebAssembly memory
  // reserves its address space up front (4 GiB and guard regions), so under such a cap none can
  // be had: the SIMD kernels (MinHash, the selection's byte count) and the memory mapped outside
  // malloc must fall back to plain code and buffers, with the same answers.
  const LIMIT_KB = 6 * 1024 * 1024;
  const limited = (command: string): ReturnType<typeof spawnSync> =>
    spawnSync('bash', ['-c', `ulimit -v ${LIMIT_KB} && exec ${command}`], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 120_000 });

  void test('under ulimit -v, where no wasm memory can be reserved, cluster writes what it writes without the limit', async () => {
    const probe = limited(`"${process.execPath}" -e "new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true })"`);
    assert.notEqual(probe.status, 0, 'the limit refuses a wasm memory (else this test proves nothing)');
    const free = path.join(dir, 'free.tsv');
    const capped = path.join(dir, 'capped.tsv');
    const r = await simlab('cluster', SAMPLE, '--threshold', '0.97', '--out', free, '--no-cache');
    assert.equal(r.status, 0, r.stderr);
    const c = limited(`"${process.execPath}" "${CLI}" cluster "${SAMPLE}" --threshold 0.97 --out "${capped}" --no-cache`);
    assert.equal(c.status, 0, String(c.stderr));
    assert.equal(readFileSync(capped, 'utf8'), readFileSync(free, 'utf8'));
  });

  void test('under ulimit -v, train falls back from the wasm backend to plain JavaScript, says why, and saves its model', () => {
    const out = path.join(dir, 'capped-model');
    const t = limited(`"${process.execPath}" "${CLI}" train "${IMAGES}" --model siamese --epochs 1 --out "${out}"`);
    assert.equal(t.status, 0, String(t.stderr));
    assert.match(String(t.stdout), /^backend\tcpu$/mu);
    assert.match(String(t.stderr), /^training on cpu, /mu);
    assert.match(String(t.stderr), /the wasm backend failed to initialise .*may not reserve memory for WebAssembly.*ulimit -v/u);
    assert.deepEqual(readdirSync(out).sort(), ['manifest.json', 'model.json', 'weights.bin']);
  });
});
