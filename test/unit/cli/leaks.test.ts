/**
 * `simlab leaks` on planted copies (`node esbuild.mjs` first): records of a real fixture,
 * perturbed and inserted into another file. Recall ≥ 0.99 of the planted copies at the default
 * threshold / eps, and precision 1.0 against an exact check of every reported pair; exit codes
 * for --fail-on-leak and bad input.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { sequenceIdentity } from '../../../server/engine/cluster/identity';
import { readDigits } from '../digitsFixture';
import { gaussian, parseFasta, perturbImage, perturbSequence, readIdxImages, rng, writeFasta, writeIdxImages, type FastaRecord } from '../leakPlants';
import { runCli } from './runCli';

const FIXTURES = path.resolve(__dirname, '../../fixtures');

interface Row {
  file: string;
  query: string;
  reference: string;
  score: number;
  kind: string;
}

function rowsOf(tsv: string): Row[] {
  const lines = tsv.trimEnd().split('\n');
  assert.equal(lines[0], 'query_file\tquery_id\treference_id\tscore\tkind');
  return lines.slice(1).map((l) => {
    const [file, query, reference, score, kind] = l.split('\t');
    return { file: file!, query: query!, reference: reference!, score: Number(score), kind: kind! };
  });
}

/** Planted copies: query id → the reference id it copies. */
function recall(rows: readonly Row[], planted: ReadonlyMap<string, string>): number {
  const found = new Map(rows.map((r) => [r.query, r.reference]));
  let hit = 0;
  for (const [q, ref] of planted) if (found.get(q) === ref) hit++;
  return hit / planted.size;
}

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'simlab-leaks-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

void describe('simlab leaks: sequences', () => {
  let ref: FastaRecord[];
  let query: FastaRecord[];
  const planted = new Map<string, string>();
  const exactPlanted = new Set<string>();
  before(() => {
    const records = parseFasta(readFileSync(path.join(FIXTURES, 'dna/16S-sample.fasta'), 'utf8'));
    const random = rng(17);
    ref = records.slice(0, 176);
    query = records.slice(176);
    const idOf = (r: FastaRecord) => r.header.split(/\s/)[0]!;
    // ~1 % substitutions and 3 indels: a leaked copy that was edited a little.
    for (let i = 0; i < 40; i++) {
      const src = ref[(i * 37) % ref.length]!;
      const id = `near${i}`;
      query.push({ header: `${id} copy`, seq: perturbSequence(src.seq, random, 0.01, 3) });
      planted.set(id, idOf(src));
    }
    // Exact copies in lower case, in a file with CRLF line ends: the same sequence.
    for (let i = 0; i < 12; i++) {
      const src = ref[(i * 13 + 5) % ref.length]!;
      const id = `exact${i}`;
      query.push({ header: id, seq: src.seq.toLowerCase() });
      planted.set(id, idOf(src));
      exactPlanted.add(id);
    }
    writeFasta(path.join(dir, 'ref.fasta'), ref);
    writeFasta(path.join(dir, 'query.fasta'), query, '\r\n');
  });

  void it('finds ≥ 99 % of planted copies at the default threshold, and every reported pair is within it', async () => {
    const run = await runCli(['leaks', path.join(dir, 'ref.fasta'), path.join(dir, 'query.fasta'), '--no-cache']);
    assert.equal(run.status, 0, run.stderr);
    const rows = rowsOf(run.stdout);
    assert.ok(recall(rows, planted) >= 0.99, `recall ${recall(rows, planted)}`);
    const refSeq = new Map(ref.map((r) => [r.header.split(/\s/)[0]!, r.seq.toUpperCase()]));
    const querySeq = new Map(query.map((r) => [r.header.split(/\s/)[0]!, r.seq.toUpperCase()]));
    const enc = (s: string) => new TextEncoder().encode(s);
    for (const row of rows) {
      assert.equal(row.file, path.join(dir, 'query.fasta'));
      const id = sequenceIdentity(enc(querySeq.get(row.query)!), enc(refSeq.get(row.reference)!));
      assert.ok(id >= 0.97, `${row.query} → ${row.reference}: identity ${id}`);
      assert.ok(Math.abs(id - row.score) < 1e-5, `${row.query}: reported ${row.score}, exact ${id}`);
      assert.equal(row.kind, id === 1 ? 'exact' : 'near', row.query);
    }
    for (const id of exactPlanted) assert.equal(rows.find((r) => r.query === id)?.kind, 'exact', id);
    assert.match(run.stderr, /query records checked against 176: \d+ leaked \(\d+ exact, \d+ near\)/);
  });

  void it('with several query files, names each row\'s file; --fail-on-leak exits 1 on a leak and 0 without', async () => {
    writeFasta(path.join(dir, 'clean.fasta'), [{ header: 'poly', seq: 'ACGT'.repeat(300) }]);
    writeFasta(path.join(dir, 'one.fasta'), [query[query.length - 1]!]);
    const run = await runCli(['leaks', path.join(dir, 'ref.fasta'), path.join(dir, 'clean.fasta'), path.join(dir, 'one.fasta'), '--fail-on-leak', '--no-cache']);
    assert.equal(run.status, 1, run.stderr);
    const rows = rowsOf(run.stdout);
    assert.deepEqual(rows.map((r) => [r.file, r.query, r.kind]), [[path.join(dir, 'one.fasta'), 'exact11', 'exact']]);
    const clean = await runCli(['leaks', path.join(dir, 'ref.fasta'), path.join(dir, 'clean.fasta'), '--fail-on-leak', '--no-cache']);
    assert.equal(clean.status, 0, clean.stderr);
    assert.deepEqual(rowsOf(clean.stdout), []);
  });

  void it('--format json and --out FILE', async () => {
    const out = path.join(dir, 'leaks.json');
    const run = await runCli(['leaks', path.join(dir, 'ref.fasta'), path.join(dir, 'one.fasta'), '--format', 'json', '--out', out, '--no-cache']);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, '');
    const json = JSON.parse(readFileSync(out, 'utf8')) as { leaks: { query_id: string; identity: number; kind: string }[]; stats: { threshold: number } };
    assert.deepEqual(json.leaks.map((l) => [l.query_id, l.identity, l.kind]), [['exact11', 1, 'exact']]);
    assert.equal(json.stats.threshold, 0.97);
  });
});

void describe('simlab leaks: numeric data', () => {
  void it('images (IDX): noisy and brighter copies are leaks at the default eps; distinct images of the same classes are not', async () => {
    const { images, h, w } = readIdxImages(gunzipSync(readFileSync(path.join(FIXTURES, 'images/fashion64-images-idx3-ubyte.gz'))));
    const random = rng(5);
    const ref = images.slice(0, 48);
    const query = images.slice(48);
    const planted = new Map<string, string>();
    for (let i = 0; i < 48; i++) {
      // Pixel noise of σ 3–5 grey levels, or brightness +3–5 %, or both.
      const copy = perturbImage(ref[i]!, random, i % 3 === 1 ? 0 : 3 + (i % 3), i % 3 === 0 ? 1 : 1 + (3 + (i % 3)) / 100);
      planted.set(String(query.length), String(i));
      query.push(copy);
    }
    planted.set(String(query.length), '7');
    query.push(ref[7]!);
    writeIdxImages(path.join(dir, 'ref-images-idx3-ubyte'), ref, h, w);
    writeIdxImages(path.join(dir, 'query-images-idx3-ubyte'), query, h, w);
    const run = await runCli(['leaks', path.join(dir, 'ref-images-idx3-ubyte'), path.join(dir, 'query-images-idx3-ubyte'), '--format', 'json', '--no-cache']);
    assert.equal(run.status, 0, run.stderr);
    const json = JSON.parse(run.stdout) as { leaks: { query_id: string; reference_id: string; distance: number; kind: string }[]; stats: { eps: number } };
    const rows = json.leaks.map((l) => ({ file: '', query: l.query_id, reference: l.reference_id, score: l.distance, kind: l.kind }));
    assert.ok(recall(rows, planted) >= 0.99, `recall ${recall(rows, planted)}`);
    for (const row of rows) {
      // Raw features are the pixels in [0, 1].
      const a = query[Number(row.query)]!;
      const b = ref[Number(row.reference)]!;
      let s = 0;
      for (let p = 0; p < a.length; p++) s += ((a[p]! - b[p]!) / 255) ** 2;
      assert.ok(Math.sqrt(s) <= json.stats.eps + 1e-5, `${row.query} → ${row.reference}: distance ${Math.sqrt(s)} > eps ${json.stats.eps}`);
      assert.ok(Math.abs(Math.sqrt(s) - row.score) < 1e-4, `${row.query}: reported ${row.score}, exact ${Math.sqrt(s)}`);
      assert.ok(planted.has(row.query), `distinct image ${row.query} reported as a copy of ${row.reference}`);
    }
    assert.equal(rows.find((r) => r.query === String(query.length - 1))?.kind, 'exact');
    assert.match(run.stderr, /eps [\d.]+ = 0\.75 × the 0\.01 quantile/);
  });

  void it('tables (digits CSV): noisy copies are leaks, every reported pair within eps', async () => {
    const digits = readDigits(1);
    const random = rng(9);
    const header = Array.from({ length: digits.dim }, (_, k) => `p${k}`).join(',');
    const row = (r: number) => Array.from(digits.data.subarray(r * digits.dim, (r + 1) * digits.dim));
    const refRows = Array.from({ length: 400 }, (_, r) => row(r));
    const queryRows = Array.from({ length: 200 }, (_, r) => row(400 + r));
    const planted = new Map<string, string>();
    for (let i = 0; i < 60; i++) {
      const src = (i * 7) % 400;
      // Pixel values 0–16: noise of σ 0.2.
      const copy = i % 10 === 0 ? refRows[src]! : refRows[src]!.map((v) => Math.round((v + 0.2 * gaussian(random)) * 100) / 100);
      planted.set(String(queryRows.length), String(src));
      queryRows.push(copy);
    }
    writeFileSync(path.join(dir, 'ref.csv'), `${header}\n${refRows.map((r) => r.join(',')).join('\n')}\n`);
    writeFileSync(path.join(dir, 'query.csv'), `${header}\n${queryRows.map((r) => r.join(',')).join('\n')}\n`);
    const run = await runCli(['leaks', path.join(dir, 'ref.csv'), path.join(dir, 'query.csv'), '--format', 'json', '--no-cache']);
    assert.equal(run.status, 0, run.stderr);
    const json = JSON.parse(run.stdout) as { leaks: { query_id: string; reference_id: string; distance: number; kind: string }[]; stats: { eps: number } };
    // Table ids without an id column: the 0-based row index (as cluster and similar print them).
    const rows = json.leaks.map((l) => ({ file: '', query: l.query_id, reference: l.reference_id, score: l.distance, kind: l.kind }));
    assert.ok(recall(rows, planted) >= 0.99, `recall ${recall(rows, planted)}; ${run.stdout.slice(0, 400)}`);
    for (const r of rows) {
      const a = queryRows[Number(r.query)]!;
      const b = refRows[Number(r.reference)]!;
      const d = Math.sqrt(a.reduce((s, v, k) => s + (v - b[k]!) ** 2, 0));
      assert.ok(d <= json.stats.eps + 1e-4, `${r.query} → ${r.reference}: ${d} > ${json.stats.eps}`);
      assert.ok(Math.abs(d - r.score) < 1e-3, `${r.query}: reported ${r.score}, exact ${d}`);
      assert.equal(r.kind, d === 0 ? 'exact' : 'near');
    }
  });
});

void describe('simlab leaks: bad input exits 2', () => {
  void it('names both files when the reference and the query are not comparable', async () => {
    const seqVsImages = await runCli(['leaks', path.join(FIXTURES, 'dna/16S-sample.fasta'), path.join(FIXTURES, 'images/fashion64-images-idx3-ubyte.gz'), '--no-cache']);
    assert.equal(seqVsImages.status, 2, seqVsImages.stderr);
    assert.match(seqVsImages.stderr, /fashion64-images-idx3-ubyte\.gz.*16S-sample\.fasta.*same kind/);
    const widths = await runCli(['leaks', path.join(FIXTURES, 'tables/iris.csv'), path.join(FIXTURES, 'images/fashion64-images-idx3-ubyte.gz'), '--no-cache']);
    assert.equal(widths.status, 2, widths.stderr);
    assert.match(widths.stderr, /fashion64-images-idx3-ubyte\.gz.*iris\.csv/);
  });

  void it('a missing file, a missing query, --out over an input, a bad threshold', async () => {
    const fasta = path.join(FIXTURES, 'dna/16S-sample.fasta');
    const missing = await runCli(['leaks', fasta, path.join(dir, 'nope.fasta')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.fasta: no such file/);
    const one = await runCli(['leaks', fasta]);
    assert.equal(one.status, 2);
    assert.match(one.stderr, /at least one <query>/);
    const over = await runCli(['leaks', fasta, fasta, '--out', fasta]);
    assert.equal(over.status, 2);
    assert.match(over.stderr, /would destroy the input/);
    const threshold = await runCli(['leaks', fasta, fasta, '--threshold', '1.5']);
    assert.equal(threshold.status, 2);
    assert.match(threshold.stderr, /--threshold is an identity/);
  });
});
