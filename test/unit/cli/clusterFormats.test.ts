/**
 * `simlab cluster` representatives, --mode greedy and the formats other tools read: each format
 * is parsed back by a small reader that follows the tool's documented layout (vsearch/USEARCH
 * `.uc`: ten tab-separated columns, S/H/C records; cd-hit `.clstr`: `>Cluster N` blocks with `*`
 * on the representative; mmseqs2: representative<TAB>member), and must give back the clustering
 * of our TSV. Identities are checked against an exact edit-distance identity computed here.
 * Needs `node esbuild.mjs` first.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sequenceIdentity } from '../../../server/engine/cluster/identity';
import { runCli, type Run } from './runCli';

const SAMPLE = path.resolve(__dirname, '../../fixtures/dna/16S-sample.fasta');
const RECORDS = 276;

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'simlab-cluster-formats-test-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function simlab(...args: string[]): Promise<Run> {
  return runCli([...args, '--cache-dir', path.join(dir, 'cache')], { env: { XDG_CACHE_HOME: path.join(dir, 'xdg-never-used') } });
}

/** id → sequence of a FASTA file (ids: the header's first word). */
function readFasta(file: string): Map<string, string> {
  const out = new Map<string, string>();
  let id = '';
  for (const line of readFileSync(file, 'latin1').split(/\r?\n/)) {
    if (line.startsWith('>')) {
      id = line.slice(1).split(/\s/)[0] as string;
      out.set(id, '');
    } else if (id) out.set(id, (out.get(id) as string) + line.trim());
  }
  return out;
}

function exactIdentity(a: string, b: string): number {
  return sequenceIdentity(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
}

interface Row {
  id: string;
  cluster: number;
  representative: string;
  identity: number;
}

function readTsv(text: string): Row[] {
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], 'record_id\tcluster\trepresentative\tidentity');
  return lines.slice(1).map((line) => {
    const [id, cluster, representative, identity] = line.split('\t') as [string, string, string, string];
    return { id, cluster: Number(cluster), representative, identity: identity === '' ? NaN : Number(identity) };
  });
}

/** A clustering as a set of member sets, each keyed by its representative; noise rows are clusters of one. */
function partition(rows: readonly Row[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of rows) {
    const rep = r.cluster < 0 ? r.id : r.representative;
    out.set(rep, [...(out.get(rep) ?? []), r.id]);
  }
  for (const m of out.values()) m.sort();
  return out;
}

/** vsearch `.uc`: S (centroid), H (member: col 4 % identity, col 9 query, col 10 centroid), C (col 3 cluster size). */
function readUc(text: string): { clusters: Map<string, string[]>; identity: Map<string, number>; sizes: Map<string, number> } {
  const byNumber = new Map<number, { rep: string; members: string[] }>();
  const identity = new Map<string, number>();
  const sizes = new Map<string, number>();
  for (const line of text.trimEnd().split('\n')) {
    const f = line.split('\t');
    assert.equal(f.length, 10, `ten columns: ${line}`);
    const n = Number(f[1]);
    if (f[0] === 'S') {
      assert.ok(!byNumber.has(n), `one S record per cluster (${n})`);
      byNumber.set(n, { rep: f[8] as string, members: [f[8] as string] });
    } else if (f[0] === 'H') {
      const c = byNumber.get(n);
      assert.ok(c, `H before its S: ${line}`);
      assert.equal(f[9], c.rep, 'the target of an H record is its centroid');
      c.members.push(f[8] as string);
      identity.set(f[8] as string, Number(f[3]) / 100);
    } else if (f[0] === 'C') {
      sizes.set(f[8] as string, Number(f[2]));
    } else assert.fail(`record type ${f[0]}`);
  }
  const clusters = new Map([...byNumber.values()].map((c) => [c.rep, c.members.sort()]));
  return { clusters, identity, sizes };
}

/** cd-hit `.clstr`: `>Cluster N`, then `k<TAB>LENnt, >ID... *` (representative) or `... at +/PP.PP%`. */
function readClstr(text: string): { clusters: Map<string, string[]>; identity: Map<string, number> } {
  const clusters = new Map<string, string[]>();
  const identity = new Map<string, number>();
  let members: string[] = [];
  let rep: string | undefined;
  const flush = (): void => {
    if (members.length === 0) return;
    assert.ok(rep, 'each cluster has one representative (*)');
    clusters.set(rep, members.sort());
  };
  for (const line of text.trimEnd().split('\n')) {
    if (line.startsWith('>Cluster ')) {
      flush();
      members = [];
      rep = undefined;
      continue;
    }
    const m = /^(\d+)\t(\d+)nt, >(.+?)\.\.\. (\*|at \+\/(\d+\.\d\d)%)$/.exec(line);
    assert.ok(m, `a cd-hit member line: ${line}`);
    members.push(m[3] as string);
    if (m[4] === '*') {
      assert.equal(rep, undefined, 'one * per cluster');
      rep = m[3];
    } else identity.set(m[3] as string, Number(m[5]) / 100);
  }
  flush();
  return { clusters, identity };
}

function readMmseqs(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.trimEnd().split('\n')) {
    const [rep, member] = line.split('\t') as [string, string];
    out.set(rep, [...(out.get(rep) ?? []), member]);
  }
  for (const m of out.values()) m.sort();
  return out;
}

/** The sample's sequences as they are clustered (and written to --centroids): upper case. */
const sequences = (): Map<string, string> => new Map([...readFasta(SAMPLE)].map(([id, s]) => [id, s.toUpperCase()]));

void describe('simlab cluster: representatives and exported formats', () => {
  void test('TSV: every member has its cluster representative, at the exact identity; noise has none', async () => {
    const r = await simlab('cluster', SAMPLE);
    assert.equal(r.status, 0, r.stderr);
    const rows = readTsv(r.stdout);
    assert.equal(rows.length, RECORDS);
    const seqs = sequences();
    const byId = new Map(rows.map((row) => [row.id, row]));
    let chained = 0;
    for (const row of rows) {
      if (row.cluster < 0) {
        assert.equal(row.representative, '');
        assert.ok(Number.isNaN(row.identity));
        continue;
      }
      const rep = byId.get(row.representative);
      assert.ok(rep, `representative ${row.representative} is a record`);
      assert.equal(rep.cluster, row.cluster, 'the representative is in the cluster');
      assert.equal(rep.representative, rep.id, 'and its own representative');
      const exact = exactIdentity(seqs.get(row.id) as string, seqs.get(row.representative) as string);
      assert.ok(Math.abs(row.identity - exact) <= 5e-5, `${row.id}: ${row.identity} vs exact ${exact}`);
      if (exact < 0.93) chained++;
    }
    // JSON: each cluster names the same representative, with identities parallel to its members.
    const json = await simlab('cluster', SAMPLE, '--format', 'json');
    const out = JSON.parse(json.stdout) as { clusters: { id: number; representative: string; members: string[]; identities: number[] }[] };
    assert.equal(out.clusters.length, new Set(rows.filter((row) => row.cluster >= 0).map((row) => row.cluster)).size);
    for (const c of out.clusters) {
      c.members.forEach((m, k) => {
        const row = byId.get(m) as Row;
        assert.equal(c.representative, row.representative);
        assert.ok(Math.abs((c.identities[k] as number) - row.identity) <= 1e-4);
      });
    }
    // DBSCAN chains: some members are below the threshold to the medoid, and are reported as such.
    assert.ok(chained > 0, 'some DBSCAN members sit below the threshold to their medoid');
  });

  void test('--mode greedy: every member within the threshold of its centroid (exact identity), centroids the longest, no noise', async () => {
    const r = await simlab('cluster', SAMPLE, '--mode', 'greedy', '--threshold', '0.95');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /greedy clusters, every member at identity ≥ 0\.95 to its centroid/);
    const rows = readTsv(r.stdout);
    const seqs = sequences();
    const byId = new Map(rows.map((row) => [row.id, row]));
    let members = 0;
    for (const row of rows) {
      assert.ok(row.cluster >= 0, 'greedy leaves no noise');
      const rep = byId.get(row.representative) as Row;
      assert.equal(rep.cluster, row.cluster);
      assert.equal(rep.representative, rep.id);
      const a = seqs.get(row.id) as string;
      const b = seqs.get(row.representative) as string;
      const exact = exactIdentity(a, b);
      assert.ok(exact >= 0.95 - 1e-9, `${row.id} is at ${exact} to its centroid ${row.representative}`);
      assert.ok(Math.abs(row.identity - exact) <= 5e-5);
      assert.ok(b.length >= a.length, 'records are taken by decreasing length');
      if (row.id !== row.representative) members++;
    }
    assert.ok(members > 50, `${members} records joined a centroid`);
    const bad = await simlab('cluster', SAMPLE, '--mode', 'greedy', '--min-pts', '3');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--min-pts applies to --mode dbscan/);
    const unknown = await simlab('cluster', SAMPLE, '--mode', 'kmeans');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /--mode is dbscan, greedy or leiden/);
  });

  for (const mode of ['dbscan', 'greedy']) {
    void test(`--mode ${mode}: .uc, .clstr and mmseqs TSV read back as the same clustering; --centroids holds each representative with its size`, async () => {
      const centroids = path.join(dir, `${mode}.centroids.fasta`);
      const [tsv, uc, clstr, mmseqs] = await Promise.all([
        simlab('cluster', SAMPLE, '--mode', mode),
        simlab('cluster', SAMPLE, '--mode', mode, '--format', 'uc'),
        simlab('cluster', SAMPLE, '--mode', mode, '--format', 'clstr'),
        simlab('cluster', SAMPLE, '--mode', mode, '--format', 'mmseqs', '--centroids', centroids),
      ]);
      for (const r of [tsv, uc, clstr, mmseqs]) assert.equal(r.status, 0, r.stderr);
      const rows = readTsv(tsv.stdout);
      const want = partition(rows);
      const identity = new Map(rows.map((r) => [r.id, r.identity]));
      const lengths = new Map([...sequences()].map(([id, s]) => [id, s.length]));

      const u = readUc(uc.stdout);
      assert.deepEqual(u.clusters, want, '.uc');
      for (const [rep, members] of want) assert.equal(u.sizes.get(rep), members.length, `C record of ${rep}`);
      for (const [id, pct] of u.identity) assert.ok(Math.abs(pct - (identity.get(id) as number)) <= 0.0005 + 1e-9, `.uc identity of ${id}`);
      for (const line of uc.stdout.trimEnd().split('\n')) {
        const f = line.split('\t');
        if (f[0] !== 'C') assert.equal(Number(f[2]), lengths.get(f[8] as string), 'column 3: the sequence length');
      }

      const c = readClstr(clstr.stdout);
      assert.deepEqual(c.clusters, want, '.clstr');
      for (const [id, pct] of c.identity) assert.ok(Math.abs(pct - (identity.get(id) as number)) <= 0.00005 + 1e-9, `.clstr identity of ${id}`);

      assert.deepEqual(readMmseqs(mmseqs.stdout), want, 'mmseqs');

      const reps = readFasta(centroids);
      const seqs = sequences();
      assert.equal(reps.size, want.size, 'one centroid per cluster (noise records: their own)');
      for (const [header, seq] of reps) {
        const m = /^(.+);size=(\d+)$/.exec(header);
        assert.ok(m, `>id;size=N: ${header}`);
        assert.equal(Number(m[2]), want.get(m[1] as string)?.length, `size of ${m[1]}`);
        assert.equal(seq, seqs.get(m[1] as string), `sequence of ${m[1]}`);
      }
    });
  }

  void test('--mode greedy takes records by abundance when ids carry ;size=N; centroid sizes add the members\' sizes', async () => {
    const base = 'ACGTTGCAAGGCTTACCGATCGGATCCTAGCTAGGCTTAACGGATCGATCGGCTAGCTTAGCCGATGCATCGATCGGATTACG';
    const longer = `${base}TTGACC`; // longer, but rarer: with abundances the abundant one is the centroid
    const file = path.join(dir, 'derep.fasta');
    writeFileSync(file, `>rare;size=2\n${longer}\n>abundant;size=40\n${base}\n>other;size=5\n${'T'.repeat(40)}${'G'.repeat(40)}\n`);
    const out = path.join(dir, 'derep.centroids.fasta');
    const r = await simlab('cluster', file, '--mode', 'greedy', '--threshold', '0.9', '--kmer', '7', '--centroids', out);
    assert.equal(r.status, 0, r.stderr);
    const rows = readTsv(r.stdout);
    assert.deepEqual(
      rows.map((row) => [row.id, row.representative]),
      [
        ['rare;size=2', 'abundant;size=40'],
        ['abundant;size=40', 'abundant;size=40'],
        ['other;size=5', 'other;size=5'],
      ],
    );
    assert.deepEqual([...readFasta(out).keys()], ['abundant;size=42', 'other;size=5']);
  });

  void test('--centroids and --out never write over an input, nor over each other; uc and centroids refuse numeric datasets', async () => {
    const copy = path.join(dir, 'copy.fasta');
    writeFileSync(copy, readFileSync(SAMPLE));
    const over = await simlab('cluster', copy, '--centroids', copy);
    assert.equal(over.status, 2);
    assert.match(over.stderr, /--centroids .*copy\.fasta: is the input/);
    assert.equal(readFileSync(copy, 'latin1'), readFileSync(SAMPLE, 'latin1'));
    const same = path.join(dir, 'same.txt');
    const both = await simlab('cluster', copy, '--out', same, '--centroids', same);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /--out and --centroids name the same file/);
    const table = path.join(dir, 'table.csv');
    writeFileSync(table, 'a,b\n1,2\n1,2.1\n5,5\n5,5.1\n9,9\n');
    const vec = await simlab('cluster', table, '--format', 'uc');
    assert.equal(vec.status, 2);
    assert.match(vec.stderr, /--format uc applies to sequence and text clusters/);
  });

  void test('--thresholds 0.99,0.97,0.9: one column per threshold, and the clusters nest', async () => {
    const r = await simlab('cluster', SAMPLE, '--thresholds', '0.99,0.97,0.9');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
    assert.deepEqual(lines[0], ['record_id', 'cluster_0.99', 'cluster_0.97', 'cluster_0.9']);
    assert.equal(lines.length, RECORDS + 1);
    const column = (k: number) => lines.slice(1).map((row) => Number(row[k + 1]));
    const levels = [column(0), column(1), column(2)];
    const count = (labels: number[]) => new Set(labels.filter((l) => l >= 0)).size;
    assert.ok(count(levels[0]!) !== count(levels[2]!), 'the thresholds give different clusterings');
    // Finer into coarser: every cluster at a higher threshold lies inside one cluster at each lower one.
    for (const [fine, coarse] of [[0, 1], [1, 2], [0, 2]] as const) {
      const into = new Map<number, number>();
      levels[fine]!.forEach((l, r) => {
        if (l < 0) return;
        const c = levels[coarse]![r] as number;
        assert.ok(c >= 0, `record ${r} is clustered at the higher threshold but noise at the lower`);
        if (!into.has(l)) into.set(l, c);
        assert.equal(into.get(l), c, `cluster ${l} at level ${fine} is split at level ${coarse}`);
      });
    }
    for (const [args, message] of [
      [['--mode', 'greedy'], /do not nest/],
      [['--min-pts', '3'], /--min-pts ≤ 2/],
      [['--mutual-k', '8'], /--mutual-k must be 0/],
      [['--threshold', '0.9'], /give one of them/],
    ] as const) {
      const bad = await simlab('cluster', SAMPLE, '--thresholds', '0.99,0.9', ...args);
      assert.equal(bad.status, 2, bad.stderr);
      assert.match(bad.stderr, message);
    }
    const one = await simlab('cluster', SAMPLE, '--thresholds', '0.97');
    assert.equal(one.status, 2);
    assert.match(one.stderr, /at least two/);
  });

  void test('--derep: copies (any case, either strand) are clustered once and expanded back, each copy in its original\'s cluster', async () => {
    const seqs = sequences();
    const ids = [...seqs.keys()].slice(0, 40);
    const revcomp = (s: string) => [...s].reverse().map((c) => ({ A: 'T', C: 'G', G: 'C', T: 'A' })[c] ?? c).join('');
    const a = seqs.get(ids[0] as string) as string;
    const file = path.join(dir, 'copies.fasta');
    const body = ids.map((id) => `>${id}\n${seqs.get(id)}\n`).join('');
    writeFileSync(file, `${body}>copy-lower\n${a.toLowerCase()}\n>copy-rc\n${revcomp(a)}\n`);
    const [plain, derep] = await Promise.all([simlab('cluster', file, '--mutual-k', '0'), simlab('cluster', file, '--mutual-k', '0', '--derep')]);
    assert.equal(derep.status, 0, derep.stderr);
    assert.match(derep.stderr, /--derep: 40 unique sequences of 42 records were clustered/);
    const rows = readTsv(derep.stdout);
    assert.equal(rows.length, 42);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const original = byId.get(ids[0] as string) as Row;
    for (const copy of ['copy-lower', 'copy-rc']) {
      assert.equal(byId.get(copy)?.cluster, original.cluster, copy);
      assert.ok(original.cluster >= 0, 'two identical copies make a cluster at minPts 2');
    }
    // Leaving out the reverse-complement copy (the plain run compares strands as they are), the
    // groups are those of the plain run (representatives may differ: copies weigh in medoids).
    const groups = (text: string) => {
      const by = new Map<number, string[]>();
      for (const r of readTsv(text)) if (r.id !== 'copy-rc' && r.cluster >= 0) by.set(r.cluster, [...(by.get(r.cluster) ?? []), r.id]);
      return [...by.values()].map((m) => m.sort().join(' ')).sort();
    };
    assert.deepEqual(groups(derep.stdout), groups(plain.stdout));
    // A lone pair of copies: one unique sequence standing for two records is a cluster, as the two are without --derep.
    const pair = path.join(dir, 'pair.fasta');
    writeFileSync(pair, `>x\n${a}\n>y\n${a}\n>z\n${seqs.get(ids[1] as string)}\n`);
    const lone = await simlab('cluster', pair, '--derep');
    assert.equal(lone.status, 0, lone.stderr);
    assert.deepEqual(readTsv(lone.stdout).map((r) => r.cluster), [0, 0, -1]);
  });
});
