/**
 * `simlab cluster`, `simlab similar` and `simlab eval` as a user runs them: the built dist/cli.js
 * in a child process (`node esbuild.mjs` first), on the committed 16S sample (276 genes of 20
 * genera). Output formats and exit codes as DESIGN.md's "Command line" says. Every run gets a
 * temp --cache-dir (never the user's ~/.cache).
 */
import assert from 'node:assert/strict';
import { runCli, type Run } from './runCli';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

const DNA = path.resolve(__dirname, '../../fixtures/dna');
const SAMPLE = path.join(DNA, '16S-sample.fasta');
const RECORDS = 276;
/** The genus: the first word of the last ';' field of the tab-separated lineage. */
const GENUS = ';\\s*([^;\\s]+)[^;]*$';

let dir: string;
let cacheDir: string;

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'simlab-cli-cluster-test-'));
  cacheDir = path.join(dir, 'cache');
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `simlab ARGS --cache-dir <temp>` (unless ARGS name one) with stdout and stderr as pipes (not terminals). */
function simlab(...args: string[]): Promise<Run> {
  return runCli([...args, ...(args.includes('--cache-dir') ? [] : ['--cache-dir', cacheDir])], { env: { XDG_CACHE_HOME: path.join(dir, 'xdg-never-used') } });
}

function tsvRows(text: string): string[][] {
  assert.ok(text.endsWith('\n'), 'output ends with a newline');
  return text.slice(0, -1).split('\n').map((line) => line.split('\t'));
}

const sampleIds = (): string[] =>
  readFileSync(SAMPLE, 'latin1')
    .split('\n')
    .filter((l) => l.startsWith('>'))
    .map((l) => l.slice(1).split(/\s/)[0]);

/** stderr of a successful run on pipes: the one summary line, no progress text. */
function assertOnlySummary(stderr: string): void {
  assert.ok(!stderr.includes('\r'), 'no carriage returns (progress redraws) on a pipe');
  assert.ok(!stderr.includes('\x1b['), 'no terminal escapes on a pipe');
  assert.ok(!stderr.includes('%'), `no percentages on a pipe: ${JSON.stringify(stderr)}`);
  const lines = stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one summary line, got ${JSON.stringify(stderr)}`);
  assert.match(lines[0], /^\d+ records → \d+ clusters, \d+ noise/);
}

void describe('simlab cluster', () => {
  void test('TSV: header, one row per record in file order, integer clusters, noise -1; the summary alone on stderr', async () => {
    const r = await simlab('cluster', SAMPLE);
    assert.equal(r.status, 0, r.stderr);
    const rows = tsvRows(r.stdout);
    assert.deepEqual(rows[0], ['record_id', 'cluster', 'representative', 'identity']);
    assert.equal(rows.length, RECORDS + 1);
    assert.deepEqual(rows.slice(1).map((row) => row[0]), sampleIds());
    const labels = rows.slice(1).map((row) => {
      assert.equal(row.length, 4);
      assert.match(row[1], /^(-1|\d+)$/);
      return Number(row[1]);
    });
    assert.ok(labels.includes(-1), 'some noise on this sample');
    const clusters = new Set(labels.filter((l) => l >= 0));
    assert.ok(clusters.size >= 10 && clusters.size <= 80, `${clusters.size} clusters`);
    // Cluster ids are 0..C-1 (DBSCAN's order of discovery).
    assert.deepEqual([...clusters].sort((a, b) => a - b), [...clusters].map((_, t) => t));
    assertOnlySummary(r.stderr);
    assert.match(r.stderr, new RegExp(`^${RECORDS} records → ${clusters.size} clusters, ${labels.filter((l) => l < 0).length} noise`));
  });

  void test('--format json: clusters (ids, sizes, members), noise and stats agree with the TSV', async () => {
    const [json, tsv] = await Promise.all([simlab('cluster', SAMPLE, '--format', 'json'), simlab('cluster', SAMPLE)]);
    assert.equal(json.status, 0, json.stderr);
    const out = JSON.parse(json.stdout) as { clusters: { id: number; size: number; members: string[] }[]; noise: string[]; stats: Record<string, unknown> };
    assert.ok(Array.isArray(out.clusters) && Array.isArray(out.noise) && typeof out.stats === 'object');
    const byId = new Map<string, number>();
    for (const c of out.clusters) {
      assert.equal(c.members.length, c.size);
      for (const m of c.members) byId.set(m, c.id);
    }
    for (const m of out.noise) byId.set(m, -1);
    assert.equal(byId.size, RECORDS, 'every record once');
    for (const [id, label] of tsvRows(tsv.stdout).slice(1)) assert.equal(byId.get(id), Number(label), id);
    for (let t = 1; t < out.clusters.length; t++) assert.ok(out.clusters[t].size <= out.clusters[t - 1].size, 'largest first');
    assert.equal(out.stats.records, RECORDS);
    assert.equal(out.stats.clusters, out.clusters.length);
    assert.equal(out.stats.noise, out.noise.length);
  });

  void test('--out FILE writes the file and nothing to stdout', async () => {
    const file = path.join(dir, 'clusters.tsv');
    const [r, plain] = await Promise.all([simlab('cluster', SAMPLE, '--out', file), simlab('cluster', SAMPLE)]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.ok(existsSync(file));
    assert.equal(readFileSync(file, 'utf8'), plain.stdout);
    assertOnlySummary(r.stderr);
  });

  void test('--limit 50 clusters the first 50 records only', async () => {
    const r = await simlab('cluster', SAMPLE, '--limit', '50');
    assert.equal(r.status, 0, r.stderr);
    const rows = tsvRows(r.stdout);
    assert.equal(rows.length, 51);
    assert.deepEqual(rows.slice(1).map((row) => row[0]), sampleIds().slice(0, 50));
  });

  void test('--shared-neighbours: the default (0.7) only joins clusters of the mutual rule alone (0), and scores higher on the sample; bad values are exit 2', async () => {
    const [shared, mutualOnly, scored, scoredMutualOnly] = await Promise.all([
      simlab('cluster', SAMPLE),
      simlab('cluster', SAMPLE, '--shared-neighbours', '0'),
      simlab('eval', SAMPLE, '--label-regex', GENUS),
      simlab('eval', SAMPLE, '--label-regex', GENUS, '--shared-neighbours', '0'),
    ]);
    for (const r of [shared, mutualOnly, scored, scoredMutualOnly]) assert.equal(r.status, 0, r.stderr);
    const labels = (stdout: string) => new Map(tsvRows(stdout).slice(1).map(([id, c]) => [id, c]));
    const a = labels(shared.stdout);
    const b = labels(mutualOnly.stdout);
    // The shared rule keeps every link the mutual rule keeps, and more: each cluster of the mutual
    // rule alone lies inside one cluster of the default, and noise there is noise or clustered here.
    const into = new Map<string, string>();
    for (const [id, c] of b) {
      if (c === '-1') continue;
      assert.notEqual(a.get(id), '-1', `${id} clustered by the mutual rule alone is clustered by default`);
      const seen = into.get(c);
      if (seen === undefined) into.set(c, a.get(id) as string);
      else assert.equal(a.get(id), seen, `cluster ${c} of --shared-neighbours 0 is split by the default`);
    }
    const count = (m: Map<string, string>) => new Set([...m.values()].filter((c) => c !== '-1')).size;
    assert.ok(count(a) < count(b), `the sample's genera are joined: ${count(a)} clusters by default, ${count(b)} without the shared rule`);
    const ari = (stdout: string) => Number(tsvRows(stdout).find(([k]) => k === 'ari')?.[1]);
    assert.ok(ari(scored.stdout) > ari(scoredMutualOnly.stdout), `ARI ${ari(scored.stdout)} by default, ${ari(scoredMutualOnly.stdout)} without the shared rule`);
    const bad = await Promise.all([
      simlab('cluster', SAMPLE, '--shared-neighbours', '1.5'),
      simlab('cluster', SAMPLE, '--shared-neighbours', '0.5', '--mutual-k', '0'),
      simlab('cluster', SAMPLE, '--shared-neighbours', '0.5', '--mode', 'greedy'),
      simlab('cluster', SAMPLE, '--shared-neighbours', '0.5', '--thresholds', '0.97,0.93'),
      simlab('cluster', path.resolve(__dirname, '../../fixtures/tables/iris.csv'), '--shared-neighbours', '0.5'),
    ]);
    for (const r of bad) {
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /--shared-neighbours/);
    }
    assert.match(bad[0].stderr, /a fraction in \[0, 1\], got 1\.5/);
  });

  void test('a text dataset clusters too', async () => {
    const file = path.join(dir, 'lines.txt');
    const base = 'the quick brown fox jumps over the lazy dog near the river bank at dawn';
    writeFileSync(file, `${base}\n${base.replace('fox', 'fax')}\ncompletely different words about mountains and the sea\n${base.toUpperCase()}\n`);
    const r = await simlab('cluster', file, '--threshold', '0.9');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      tsvRows(r.stdout).map((row) => row.slice(0, 2)),
      [['record_id', 'cluster'], ['0', '0'], ['1', '0'], ['2', '-1'], ['3', '0']],
    );
  });

  void test('warnings go to stderr: duplicate ids (FILE:LINE), a cache folder that cannot be written (the result still comes)', async () => {
    const [dup, noCache, plain] = await Promise.all([
      simlab('cluster', path.join(DNA, 'duplicate-ids.fasta')),
      simlab('cluster', SAMPLE, '--limit', '30', '--cache-dir', path.join(SAMPLE, 'not-a-folder')),
      simlab('cluster', SAMPLE, '--limit', '30'),
    ]);
    assert.equal(dup.status, 0, dup.stderr);
    assert.equal(tsvRows(dup.stdout).length, 4);
    assert.match(dup.stderr, /^simlab cluster: warning: .*duplicate-ids\.fasta:5:2: duplicate id 'dup' \(first seen at line 1\)$/m);
    assert.equal(noCache.status, 0, noCache.stderr);
    assert.equal(noCache.stdout, plain.stdout);
    assert.match(noCache.stderr, /^simlab cluster: warning: the index could not be cached in .*not-a-folder/m);
  });

  void test('malformed input is exit 2 with FILE:LINE, never a crash', async () => {
    const cases: [string, RegExp][] = [
      ['seq-before-header.fasta', /seq-before-header\.fasta:3:1: sequence line before any '>' header/],
      ['truncated.fasta.gz', /truncated\.fasta\.gz:\d+:1: truncated gzip/],
      ['invalid-char.fasta', /invalid-char\.fasta:3:4: invalid character '7'/],
      ['empty.fasta', /empty\.fasta:1:1: no records/],
      ['quality-length.fastq', /quality-length\.fastq:8:8: quality has 7 characters/],
      ['missing-plus.fastq', /missing-plus\.fastq:7:1: missing '\+' line/],
      ['invalid-utf8-header.fasta', /invalid-utf8-header\.fasta:1:8: invalid UTF-8/],
    ];
    const runs = await Promise.all(cases.map(([name]) => simlab('cluster', path.join(DNA, 'bad', name))));
    runs.forEach((r, t) => {
      const [name, pattern] = cases[t];
      assert.equal(r.status, 2, `${name}: ${r.stderr}`);
      assert.equal(r.stdout, '', name);
      assert.match(r.stderr, pattern, name);
      assert.ok(!/unexpected error|\n\s+at /.test(r.stderr), `${name}: no stack trace`);
    });
  });

  void test('a missing file, a folder, and bad flags are exit 2', async () => {
    const missing = path.join(dir, 'no-such.fasta');
    const text = path.join(dir, 'flags.txt');
    writeFileSync(text, 'one line\nanother line\n');
    const runs = await Promise.all([
      simlab('cluster', missing),
      simlab('cluster', dir),
      simlab('cluster'),
      simlab('cluster', SAMPLE, '--bogus'),
      simlab('cluster', SAMPLE, '--threshold', '1.5'),
      simlab('cluster', SAMPLE, '--threshold', 'abc'),
      simlab('cluster', SAMPLE, '--format', 'xml'),
      simlab('cluster', SAMPLE, '--min-pts', '0'),
      simlab('cluster', SAMPLE, '--limit', '0'),
      simlab('cluster', SAMPLE, '--kmer', '40'),
      simlab('cluster', SAMPLE, '--eps', '0.1'),
      simlab('cluster', SAMPLE, '--label-regex', '('),
      // Options that do not fit the file: header labels on a text file, a label column on FASTA.
      simlab('eval', text, '--label-regex', '(x)'),
      simlab('cluster', SAMPLE, '--label-column', 'genus'),
    ]);
    runs.forEach((r, t) => {
      assert.equal(r.status, 2, `case ${t}: ${r.stderr}`);
      assert.equal(r.stdout, '', `case ${t}`);
      assert.ok(!/unexpected error/.test(r.stderr), `case ${t}: ${r.stderr}`);
    });
    assert.match(runs[0].stderr, /no-such\.fasta/);
    assert.match(runs[3].stderr, /bogus/);
    assert.match(runs[4].stderr, /threshold/);
    assert.match(runs[12].stderr, /--label-regex.*flags\.txt is text/);
    assert.match(runs[13].stderr, /--label-column/);
  });
});

void describe('simlab similar', () => {
  void test('--id ID -k 5: header and 5 rows, best score first, never the query', async () => {
    const id = sampleIds()[40];
    const r = await simlab('similar', SAMPLE, '--id', id, '-k', '5');
    assert.equal(r.status, 0, r.stderr);
    const rows = tsvRows(r.stdout);
    assert.deepEqual(rows[0], ['record_id', 'score', 'distance']);
    assert.equal(rows.length, 6);
    const ids = new Set(sampleIds());
    let previous = Infinity;
    for (const [rid, score, distance] of rows.slice(1)) {
      assert.ok(ids.has(rid) && rid !== id, rid);
      const s = Number(score);
      assert.ok(s >= 0 && s <= 1 && s <= previous, `scores descending: ${score}`);
      previous = s;
      assert.match(distance, /^\d+$/);
    }
    assert.ok(Number(rows[1][1]) > 0.9, 'its nearest neighbour in the sample is a relative');
  });

  void test('an unknown id is exit 2 naming the file', async () => {
    const r = await simlab('similar', SAMPLE, '--id', 'no-such-record', '-k', '5');
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /16S-sample\.fasta/);
    assert.match(r.stderr, /no-such-record/);
  });

  void test('bad usage is exit 2', async () => {
    const runs = await Promise.all([simlab('similar', SAMPLE), simlab('similar', SAMPLE, '--id', sampleIds()[0], '-k', '0')]);
    for (const r of runs) assert.equal(r.status, 2, r.stderr);
  });
});

void describe('simlab eval', () => {
  const scoreOf = (stdout: string): Map<string, number> => new Map(tsvRows(stdout).map(([k, v]) => [k, Number(v)]));

  void test('--mode leiden: communities of the verified graph score as DBSCAN does on the sample; it takes no --mutual-k', async () => {
    const r = await simlab('eval', SAMPLE, '--label-regex', GENUS, '--mode', 'leiden');
    assert.equal(r.status, 0, r.stderr);
    const scores = scoreOf(r.stdout);
    assert.equal(scores.get('records'), RECORDS);
    assert.ok((scores.get('ari') as number) > 0.5, `ARI ${scores.get('ari')}`);
    const c = await simlab('cluster', SAMPLE, '--mode', 'leiden', '--format', 'json');
    assert.equal(c.status, 0, c.stderr);
    const out = JSON.parse(c.stdout) as { clusters: { size: number }[]; noise: string[] };
    assert.equal(out.clusters.reduce((a, x) => a + x.size, 0) + out.noise.length, RECORDS);
    for (const x of out.clusters) assert.ok(x.size >= 2, 'minPts 2: no cluster of one');
    const bad = await simlab('cluster', SAMPLE, '--mode', 'leiden', '--mutual-k', '4');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--mutual-k, --shared-neighbours and --exact apply to --mode dbscan/);
  });

  void test('--label-regex: ari, nmi, homogeneity, completeness in [0, 1], ARI > 0.5 on the sample', async () => {
    const r = await simlab('eval', SAMPLE, '--label-regex', GENUS);
    assert.equal(r.status, 0, r.stderr);
    const scores = scoreOf(r.stdout);
    for (const name of ['ari', 'nmi', 'homogeneity', 'completeness']) {
      const v = scores.get(name);
      assert.ok(v !== undefined && v >= 0 && v <= 1, `${name} = ${v}`);
    }
    assert.equal(scores.get('records'), RECORDS);
    assert.equal(scores.get('classes'), 20, 'twenty genera');
    assert.ok((scores.get('ari') as number) > 0.5, `ARI ${scores.get('ari')}`);
    assert.ok(!r.stderr.includes('\r') && !r.stderr.includes('%'));
  });

  void test('--clusters FILE scores a TSV: the cluster output scores as clustering does; a perfect TSV scores 1', async () => {
    const clusters = path.join(dir, 'eval-clusters.tsv');
    const made = await simlab('cluster', SAMPLE, '--out', clusters);
    assert.equal(made.status, 0, made.stderr);
    const [scored, direct] = await Promise.all([simlab('eval', SAMPLE, '--label-regex', GENUS, '--clusters', clusters), simlab('eval', SAMPLE, '--label-regex', GENUS)]);
    assert.equal(scored.status, 0, scored.stderr);
    assert.equal(scored.stdout, direct.stdout);

    // The genus itself as the clustering: every score 1.
    const genus = new RegExp(GENUS);
    const truth = readFileSync(SAMPLE, 'latin1')
      .split('\n')
      .filter((l) => l.startsWith('>'))
      .map((l) => `${l.slice(1).split(/\s/)[0]}\t${(genus.exec(l) as RegExpExecArray)[1]}`);
    const perfect = path.join(dir, 'perfect.tsv');
    writeFileSync(perfect, `record_id\tcluster\n${truth.join('\n')}\n`);
    const p = await simlab('eval', SAMPLE, '--label-regex', GENUS, '--clusters', perfect);
    assert.equal(p.status, 0, p.stderr);
    const s = scoreOf(p.stdout);
    for (const name of ['ari', 'nmi', 'homogeneity', 'completeness']) assert.equal(s.get(name), 1, name);
  });

  void test('bad --clusters files are exit 2 with FILE:LINE', async () => {
    const bad = path.join(dir, 'bad-clusters.tsv');
    writeFileSync(bad, `record_id\tcluster\n${sampleIds()[0]}\t0\nno tab here\n`);
    const partial = path.join(dir, 'partial-clusters.tsv');
    writeFileSync(partial, `record_id\tcluster\n${sampleIds()[0]}\t0\n`);
    const [r, p] = await Promise.all([simlab('eval', SAMPLE, '--label-regex', GENUS, '--clusters', bad), simlab('eval', SAMPLE, '--label-regex', GENUS, '--clusters', partial)]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /bad-clusters\.tsv:3:/);
    assert.equal(p.status, 2, p.stderr);
    assert.match(p.stderr, /partial-clusters\.tsv/);
  });

  void test('without labels, or with a missing --clusters file, exit 2', async () => {
    const [none, missing] = await Promise.all([simlab('eval', SAMPLE), simlab('eval', SAMPLE, '--label-regex', GENUS, '--clusters', path.join(dir, 'nope.tsv'))]);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /label/);
    assert.equal(missing.status, 2, missing.stderr);
    assert.match(missing.stderr, /nope\.tsv/);
  });
});
