/**
 * The clustering pipeline end to end with real worker threads (the built dist/worker.js: run
 * `node esbuild.mjs` first), on the committed 16S sample (276 genes, 20 genera):
 * - the MinHash + LSH path against the study's exact matrix path at the same threshold, both with
 *   plain DBSCAN: every LSH edge is an exact edge with the same identity, so the LSH partition can
 *   only be finer (pairs LSH missed), and it must agree closely (ARI ≥ 0.95);
 * - the index cache (second build from the cache, same signatures);
 * - cancellation through an AbortSignal (prompt, a cancellation error, the pool still usable);
 * - a text dataset; the matrix guard; `similarInIndex`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { sequenceIdentity } from '../../../server/engine/cluster/identity';
import { adjustedRandIndex } from '../../../server/engine/eval/clustering';
import { levenshtein } from '../../../server/engine/measures';
import { clusterDataset, type ClusterOutcome, type ClusterParams } from '../../../server/jobs/clusterDataset';
import { isCancellation } from '../../../server/jobs/errors';
import { IndexCache } from '../../../server/jobs/indexCache';
import { symbolsAt } from '../../../server/worker/packedSymbols';
import { WorkerPool } from '../../../server/jobs/pool';
import { buildSequenceIndex } from '../../../server/jobs/sequenceIndex';
import { similarInIndex, similarRecords } from '../../../server/jobs/similarRecords';
import { mulberry32, randomInt } from '../features/rng';

const WORKER = path.resolve(__dirname, '../../../dist/worker.js');
const FIXTURE = path.resolve(__dirname, '../../fixtures/dna/16S-sample.fasta');
const RECORDS = 276;

let dir: string;
let pool: WorkerPool;
let cache: IndexCache;

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'simlab-cluster-dataset-test-'));
  // The built worker is plain JS: its threads need not load tsx, which this process runs under.
  pool = new WorkerPool({ workerFile: WORKER, execArgv: [], size: 2 });
  cache = new IndexCache(path.join(dir, 'cache'));
});
after(async () => {
  await pool.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Labels as strings with every noise record its own singleton, for ARI between two clusterings. */
function partition(labels: Int32Array): string[] {
  return Array.from(labels, (l, r) => (l < 0 ? `noise ${r}` : `c${l}`));
}

const PLAIN: ClusterParams = { threshold: 0.93, minPts: 2 };

// The exact path costs ~38k full alignments of 1.5 kb: computed once, shared by the tests.
let exactRun: Promise<ClusterOutcome> | undefined;
const exactOutcome = () => (exactRun ??= clusterDataset(FIXTURE, { pool, cache, params: { ...PLAIN, exact: true } }));

void describe('clusterDataset on the 16S sample', () => {
  void test('the candidate stages cut into chunks over the 2-worker pool (bands, record ranges, selection) give the edges and labels of one chunk', async () => {
    const params: ClusterParams = { threshold: 0.93, minPts: 2, mutualNeighbours: { neighbours: 8, strongSimilarity: 0.98 }, candidatesPerRecord: 6 };
    const one = await clusterDataset(FIXTURE, { pool, cache, params, chunks: 1 });
    for (const chunks of [2, 5]) {
      const split = await clusterDataset(FIXTURE, { pool, cache, params, chunks });
      assert.deepEqual(split.edges, one.edges, `${chunks} chunks: edges`);
      assert.deepEqual(split.labels, one.labels, `${chunks} chunks: labels`);
      assert.equal(split.stats.candidates, one.stats.candidates);
    }
    assert.ok(one.edges.i.length > 100, `${one.edges.i.length} edges`);
  });

  void test('every verification task gets its pairs, symbols, signatures and lengths as views of shared memory (nothing cloned on the host thread)', async () => {
    const run = pool.run.bind(pool);
    const payloads: Record<string, unknown>[] = [];
    const spy = ((task, payload, options) => {
      if (task === 'verifyPairs') payloads.push(payload as unknown as Record<string, unknown>);
      return run(task, payload, options);
    }) as typeof pool.run;
    pool.run = spy;
    try {
      for (const candidatesPerRecord of [undefined, 6]) {
        payloads.length = 0;
        const params: ClusterParams = { ...PLAIN, ...(candidatesPerRecord ? { candidatesPerRecord } : {}) };
        const outcome = await clusterDataset(FIXTURE, { pool, cache, params });
        assert.ok(outcome.edges.i.length > 100 && payloads.length > 0, `budget ${candidatesPerRecord}: ${payloads.length} verify tasks`);
        for (const p of payloads) {
          const views: Record<string, ArrayBufferView | undefined> = { i: p['i'] as Uint32Array, j: p['j'] as Uint32Array, signatures: p['signatures'] as Uint32Array, shingles: p['shingles'] as Int32Array | undefined };
          const packed = p['packed'] as { offsets: Int32Array; data: ArrayBufferView };
          Object.assign(views, { 'packed.offsets': packed.offsets, 'packed.data': packed.data });
          for (const [name, view] of Object.entries(views)) {
            if (view === undefined) continue;
            assert.ok(view.buffer instanceof SharedArrayBuffer, `budget ${candidatesPerRecord}: ${name} is in shared memory`);
          }
        }
      }
    } finally {
      pool.run = run;
    }
  });

  void test('LSH path with plain DBSCAN vs the exact matrix path: same partition up to pairs LSH missed', async () => {
    const lsh = await clusterDataset(FIXTURE, { pool, cache, params: PLAIN });
    const exact = await exactOutcome();
    assert.equal(lsh.stats.path, 'lsh');
    assert.equal(exact.stats.path, 'exact');
    assert.equal(lsh.labels.length, RECORDS);
    assert.equal(exact.labels.length, RECORDS);
    assert.ok(lsh.edges.i.length > 100, `LSH found ${lsh.edges.i.length} edges`);
    assert.equal(lsh.stats.edgesUsed, lsh.stats.edges, 'plain DBSCAN uses every verified edge');

    // Every LSH edge is an exact edge: identity ≥ threshold, and the identity the matrix holds.
    const packed = lsh.index.packed;
    const seen = new Set<string>();
    for (let t = 0; t < lsh.edges.i.length; t++) {
      const a = lsh.edges.i[t];
      const b = lsh.edges.j[t];
      assert.ok(a < b, 'edges are (i < j)');
      assert.ok(!seen.has(`${a},${b}`), 'each edge once');
      seen.add(`${a},${b}`);
      const id = sequenceIdentity(symbolsAt(packed, a), symbolsAt(packed, b));
      assert.ok(id >= PLAIN.threshold - 1e-12, `edge ${a}-${b}: identity ${id} below the threshold`);
      assert.equal(lsh.edges.identity[t], Math.fround(id), `edge ${a}-${b}: identity`);
      // minPts 2: both ends are core points, in one cluster, in both clusterings.
      assert.ok(lsh.labels[a] >= 0 && lsh.labels[a] === lsh.labels[b]);
      assert.ok(exact.labels[a] >= 0 && exact.labels[a] === exact.labels[b], `LSH edge ${a}-${b} joins two exact clusters`);
    }
    // So each LSH cluster lies inside one exact cluster (minPts 2 has no border points).
    const exactOf = new Map<number, number>();
    for (let r = 0; r < RECORDS; r++) {
      const l = lsh.labels[r];
      if (l < 0) continue;
      assert.ok(exact.labels[r] >= 0, `record ${r} clustered by LSH but noise in the exact path`);
      const e = exactOf.get(l);
      if (e === undefined) exactOf.set(l, exact.labels[r]);
      else assert.equal(exact.labels[r], e, `LSH cluster ${l} spans two exact clusters`);
    }
    const ari = adjustedRandIndex(partition(exact.labels), partition(lsh.labels), { noiseLabel: null });
    assert.ok(ari >= 0.95, `ARI(LSH, exact) = ${ari.toFixed(4)}`);
    assert.ok(lsh.summary.stats.clusters >= exact.summary.stats.clusters, 'a finer partition has at least as many clusters');
  });

  void test('the second build of the index comes from the cache, with identical signatures', async () => {
    const own = new IndexCache(path.join(dir, 'cache-reuse'));
    const first = await buildSequenceIndex(FIXTURE, { pool, cache: own });
    assert.equal(first.fromCache, false);
    const second = await buildSequenceIndex(FIXTURE, { pool, cache: own });
    assert.equal(second.fromCache, true);
    assert.deepEqual(second.signatures, first.signatures);
    assert.deepEqual(second.records, first.records);
    // A damaged entry is rebuilt, not used.
    const [entry] = readdirSync(own.dir).filter((f) => f.endsWith('.slix'));
    const bytes = readFileSync(path.join(own.dir, entry));
    bytes[bytes.length - 5] ^= 0x40;
    writeFileSync(path.join(own.dir, entry), bytes);
    const rebuilt = await buildSequenceIndex(FIXTURE, { pool, cache: own });
    assert.equal(rebuilt.fromCache, false, 'a corrupt entry is not used');
    assert.deepEqual(rebuilt.signatures, first.signatures);
    assert.equal((await buildSequenceIndex(FIXTURE, { pool, cache: own })).fromCache, true, 'and it was saved again');
    const other = await buildSequenceIndex(FIXTURE, { pool, cache: own, k: 13 });
    assert.equal(other.fromCache, false, 'other parameters, another entry');
    assert.notDeepEqual(other.signatures, first.signatures);
    const limited = await buildSequenceIndex(FIXTURE, { pool, cache: own, read: { limit: 50 } });
    assert.equal(limited.fromCache, false);
    assert.deepEqual(limited.signatures, first.signatures.slice(0, 50 * first.params.numHashes), 'the first 50 records sketch the same');
    // A cache folder that cannot be written costs the reuse, not the result.
    const blocked = await buildSequenceIndex(FIXTURE, { pool, cache: new IndexCache(path.join(FIXTURE, 'not-a-folder')), read: { limit: 20 } });
    assert.equal(blocked.fromCache, false);
    assert.deepEqual(blocked.signatures, first.signatures.slice(0, 20 * first.params.numHashes));
    assert.equal(blocked.warnings.length, 1);
    assert.match(blocked.warnings[0], /could not be cached in .*not-a-folder/);
    // And the clustering says so.
    const outcome = await clusterDataset(FIXTURE, { pool, cache: own, params: PLAIN });
    assert.equal(outcome.stats.fromCache, true);
  });

  void test('one parser: sequences sketched while the file is read (parts of records or of bases) get the signatures of sketching after the read; a cache hit sketches none; a read that fails stops them', async () => {
    const whole = { records: Number.MAX_SAFE_INTEGER, symbols: Number.MAX_SAFE_INTEGER };
    const after = await buildSequenceIndex(FIXTURE, { pool, readParts: whole, parallelRead: false });
    // 'sketching' progress: one report per part (then per chunk of the rest), so parts show as steps of their size.
    const steps = async (readParts: { records: number; symbols: number }, own?: IndexCache) => {
      const done: number[] = [];
      const index = await buildSequenceIndex(FIXTURE, { pool, readParts, parallelRead: false, ...(own ? { cache: own } : {}), onProgress: (stage, d) => stage === 'sketching' && done.push(d) });
      return { index, done };
    };
    const byRecords = await steps({ records: 7, symbols: Number.MAX_SAFE_INTEGER });
    assert.deepEqual(byRecords.index.signatures, after.signatures);
    assert.deepEqual(byRecords.done.slice(0, 3), [7, 14, 21], 'the first records come in parts of 7');
    assert.equal(byRecords.done.at(-1), RECORDS);
    // ~1.5 kb genes: parts of 4 kb hold 3 records each, and part boundaries fall anywhere in the buffer.
    const bySymbols = await steps({ records: Number.MAX_SAFE_INTEGER, symbols: 4096 });
    assert.deepEqual(bySymbols.index.signatures, after.signatures);
    assert.ok(bySymbols.done.length > RECORDS / 4, `${bySymbols.done.length} reports`);

    const own = new IndexCache(path.join(dir, 'cache-parts'));
    assert.equal((await steps({ records: 7, symbols: Number.MAX_SAFE_INTEGER }, own)).index.fromCache, false);
    const hit = await steps({ records: 7, symbols: Number.MAX_SAFE_INTEGER }, own);
    assert.equal(hit.index.fromCache, true);
    assert.deepEqual(hit.done, [], 'nothing sketched');
    assert.deepEqual(hit.index.signatures, after.signatures);

    // A gzip cut short: the read fails after parts went out; the error names the file and the pool goes on.
    const cut = path.join(dir, 'cut.fasta.gz');
    const gz = gzipSync(readFileSync(FIXTURE));
    writeFileSync(cut, gz.subarray(0, Math.floor(gz.length * 0.8)));
    await assert.rejects(buildSequenceIndex(cut, { pool, readParts: { records: 5, symbols: Number.MAX_SAFE_INTEGER }, parallelRead: false }), (err: unknown) => err instanceof Error && err.message.includes('cut.fasta.gz'));
    assert.deepEqual((await buildSequenceIndex(FIXTURE, { pool, readParts: { records: 5, symbols: Number.MAX_SAFE_INTEGER }, parallelRead: false })).signatures, after.signatures);
  });

  void test('cancellation through an AbortSignal rejects promptly with a cancellation error; the pool stays usable', async () => {
    const already = AbortSignal.abort();
    await assert.rejects(clusterDataset(FIXTURE, { pool, cache, params: PLAIN, signal: already }), (err: unknown) => isCancellation(err));

    // Mid-way through the exact path's matrix (seconds of work): abort at its first progress report.
    // Its 16 row-range tasks all listen to one signal: that is no listener leak to warn about.
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    const controller = new AbortController();
    let aborted = false;
    let matrixDone = 0;
    let matrixTotal = 0;
    const run = clusterDataset(FIXTURE, {
      pool,
      cache,
      params: { ...PLAIN, exact: true },
      signal: controller.signal,
      onProgress: (stage, done, total) => {
        if (stage !== 'distance matrix') return;
        [matrixDone, matrixTotal] = [done, total];
        if (!aborted) {
          aborted = true;
          controller.abort();
        }
      },
    });
    await assert.rejects(run, (err: unknown) => {
      assert.ok(isCancellation(err), `a cancellation error, got ${String(err)}`);
      return true;
    });
    assert.ok(aborted, 'aborted while the matrix was being computed');
    // The order of events, not their timing: rejected before the matrix was complete.
    assert.ok(matrixDone < matrixTotal, `rejected after ${matrixDone} of ${matrixTotal} pairs`);
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    assert.deepEqual(warnings.filter((w) => w.includes('MaxListeners')), []);

    // The pool still works, on every worker (both take a part of the verification).
    const after = await clusterDataset(FIXTURE, { pool, cache, params: { ...PLAIN, candidatesPerRecord: 8 }, read: { limit: 120 } });
    assert.equal(after.labels.length, 120);
    assert.ok(pool.stats.workers <= pool.size);
  });

  void test('cancellation while a large file is being read stops the reading', async () => {
    // 24 MB of FASTA: reading and hashing it take about a second on this machine.
    const gene = Buffer.from(symbolsAt((await buildSequenceIndex(FIXTURE, { pool, cache })).packed, 0)).toString('latin1');
    const file = path.join(dir, 'large.fasta');
    writeFileSync(file, Array.from({ length: 16_000 }, (_, r) => `>r${r}\n${gene}\n`).join(''));
    try {
      for (const stage of ['hashing', 'reading']) {
        const controller = new AbortController();
        let aborted = false;
        const stagesAfterAbort = new Set<string>();
        const abort = () => {
          aborted = true;
          controller.abort();
        };
        // 'hashing': abort at once, while the content hash is being computed (before any progress).
        if (stage === 'hashing') setImmediate(abort);
        const run = clusterDataset(file, {
          pool,
          params: PLAIN,
          signal: controller.signal,
          onProgress: (s) => {
            if (aborted) stagesAfterAbort.add(s);
            if (s === 'reading' && stage === 'reading' && !aborted) abort();
          },
        });
        await assert.rejects(run, (err: unknown) => isCancellation(err));
        assert.ok(aborted, `${stage}: aborted`);
        // The order of events, not their timing: rejected before the file was read to its end
        // (no stage after reading was reported once aborted).
        stagesAfterAbort.delete('reading');
        assert.deepEqual([...stagesAfterAbort], [], `${stage}: stages reported after the abort`);
      }
    } finally {
      rmSync(file, { force: true });
    }
  });

  void test('the exact path above the matrix guard throws MatrixTooLargeError with the memory it would need', async () => {
    await assert.rejects(clusterDataset(FIXTURE, { pool, cache, params: { ...PLAIN, exact: true, matrixGuard: { maxRecords: 100 } } }), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.equal(err.name, 'MatrixTooLargeError');
      // 276 · 275 / 2 = 37,950 pairs × 4 bytes = 151,800 bytes.
      assert.match(err.message, /276 records would need 148\.2\d? KiB/);
      assert.match(err.message, /37,950 pairs/);
      assert.match(err.message, /100 records/);
      return true;
    });
    await assert.rejects(clusterDataset(FIXTURE, { pool, cache, params: { ...PLAIN, exact: true, matrixGuard: { maxRecords: Infinity, maxBytes: 100_000 } } }), /MatrixTooLarge|would need 148/);
  });

  void test('similarInIndex: the near-duplicates first, by score, k items, never the query itself', async () => {
    // The sample plus an exact copy of record 40 and a copy with one substitution, under new ids.
    const text = readFileSync(FIXTURE, 'latin1');
    const index0 = await buildSequenceIndex(FIXTURE, { pool, cache });
    const query = index0.records[40];
    const seq = Buffer.from(symbolsAt(index0.packed, 40)).toString('latin1');
    const mutated = `${seq.slice(0, 700)}${seq[700] === 'A' ? 'C' : 'A'}${seq.slice(701)}`;
    const file = path.join(dir, 'with-copies.fasta');
    writeFileSync(file, `${text.trimEnd()}\n>copy-of-40\n${seq}\n>mutant-of-40\n${mutated}\n`, 'latin1');
    const { index, query: q, items } = await similarRecords(file, query.id, 10, { pool, cache });
    assert.equal(q.index, 40);
    assert.equal(items.length, 10);
    assert.deepEqual(
      items.slice(0, 2).map((it) => [it.record.id, it.distance]),
      [['copy-of-40', 0], ['mutant-of-40', 1]],
      'its own copies first',
    );
    assert.ok(!items.some((it) => it.record.index === 40), 'never the query itself');

    // Against exact identities to every record, for a few queries.
    for (const r of [0, 40, 133, 275]) {
      const found = await similarInIndex(index, r, 10, pool);
      const a = symbolsAt(index.packed, r);
      assert.equal(found.length, 10);
      assert.ok(!found.some((it) => it.record.index === r), 'not the query');
      assert.equal(new Set(found.map((it) => it.record.index)).size, 10, 'distinct records');
      for (let t = 0; t < found.length; t++) {
        const b = symbolsAt(index.packed, found[t].record.index);
        assert.equal(found[t].distance, levenshtein(a, b));
        assert.ok(Math.abs(found[t].score - sequenceIdentity(a, b)) < 1e-12);
        if (t > 0) assert.ok(found[t].score <= found[t - 1].score, 'sorted by score, best first');
      }
      // The true 10 best scores (ties make the records interchangeable, not the scores).
      const all: number[] = [];
      for (let o = 0; o < index.records.length; o++) if (o !== r) all.push(sequenceIdentity(a, symbolsAt(index.packed, o)));
      all.sort((x, y) => y - x);
      const nearDuplicates = all.filter((s) => s >= 0.97).length;
      const wanted = all.slice(0, 10);
      const got = found.map((it) => it.score);
      for (let t = 0; t < Math.min(10, nearDuplicates); t++) assert.ok(Math.abs(got[t] - wanted[t]) < 1e-12, `query ${r}: rank ${t + 1} is ${got[t]}, should be ${wanted[t]}`);
    }
  });
});

void describe('clusterDataset: LSH vs exact on trimmed copies', () => {
  // Identity forgives terminal gaps (a copy trimmed by 30 % is identical), k-mer Jaccard does not
  // (0.7). A Jaccard floor at EQUAL lengths (0.754 at identity 0.99, k 15) would drop these pairs
  // while the exact path joins them; the per-pair floor at the two lengths keeps them
  // (jaccardFloor: J ≈ q·s / (s + l − q·s), q = t^k, s ≤ l the shingle counts) once they are
  // candidates — but the LSH bands are chosen for the equal-length Jaccard, and at J ≈ 0.7 a
  // 9-row band rarely matches, so about half the pairs are never candidates. Open: LSH params
  // from a length-ratio-aware floor (costs more candidates on 16S; needs the benches re-run).
  void test('at threshold 0.99 the LSH path clusters identity-1 trimmed copies as the exact path does', { todo: 'the per-pair floor keeps 6 of 10; LSH banding, tuned for equal lengths, still misses copies trimmed by 30 %' }, async () => {
    const rng = mulberry32(99);
    const random = (n: number) => Array.from({ length: n }, () => 'ACGT'[randomInt(rng, 0, 4)]).join('');
    let fasta = '';
    for (let g = 0; g < 10; g++) {
      const base = random(1000);
      fasta += `>g${g}\n${base}\n>g${g}-trimmed\n${base.slice(150, 850)}\n`;
    }
    const file = path.join(dir, 'trimmed.fasta');
    writeFileSync(file, fasta);
    const params = { threshold: 0.99, minPts: 2 };
    const [lsh, exact] = await Promise.all([clusterDataset(file, { pool, params }), clusterDataset(file, { pool, params: { ...params, exact: true } })]);
    assert.deepEqual(Array.from(exact.labels), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]);
    assert.deepEqual(Array.from(lsh.labels), Array.from(exact.labels));
  });
});

void describe('clusterDataset on text', () => {
  void test('near-duplicate lines end up together; unrelated lines stay apart (JSONL and plain text)', async () => {
    const rng = mulberry32(20251128);
    const words = 'alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega river mountain forest ocean desert valley island harbour meadow'.split(' ');
    const sentence = () => Array.from({ length: 14 }, () => words[randomInt(rng, 0, words.length)]).join(' ');
    const lines: { id: string; text: string; group: number }[] = [];
    for (let g = 0; g < 8; g++) {
      const base = sentence();
      lines.push({ id: `g${g}-a`, text: base, group: g });
      // One character changed, case and spacing changed (normalised away), a word dropped at the end.
      const at = randomInt(rng, 0, base.length);
      lines.push({ id: `g${g}-b`, text: `${base.slice(0, at)}${base[at] === 'x' ? 'y' : 'x'}${base.slice(at + 1)}`, group: g });
      lines.push({ id: `g${g}-c`, text: `  ${base.toUpperCase().replace(/ /g, '   ')} `, group: g });
    }
    for (let u = 0; u < 6; u++) lines.push({ id: `u${u}`, text: sentence(), group: -1 });
    // Shuffle so that groups are not contiguous.
    for (let t = lines.length - 1; t > 0; t--) {
      const s = randomInt(rng, 0, t + 1);
      [lines[t], lines[s]] = [lines[s], lines[t]];
    }
    const jsonl = path.join(dir, 'sentences.jsonl');
    writeFileSync(jsonl, lines.map((l) => JSON.stringify({ id: l.id, text: l.text })).join('\n') + '\n');
    const txt = path.join(dir, 'sentences.txt');
    writeFileSync(txt, lines.map((l) => l.text).join('\n') + '\n');

    for (const file of [jsonl, txt]) {
      const outcome = await clusterDataset(file, { pool, cache, params: { threshold: 0.9, minPts: 2 } });
      assert.equal(outcome.index.kind, 'text');
      assert.equal(outcome.labels.length, lines.length);
      if (file === jsonl) assert.deepEqual(outcome.index.records.map((r) => r.id), lines.map((l) => l.id));
      const labelOfGroup = new Map<number, number>();
      lines.forEach((l, r) => {
        const label = outcome.labels[r];
        if (l.group < 0) return;
        assert.ok(label >= 0, `${path.basename(file)}: ${l.id} clustered`);
        const g = labelOfGroup.get(l.group);
        if (g === undefined) labelOfGroup.set(l.group, label);
        else assert.equal(label, g, `${path.basename(file)}: ${l.id} with its group`);
      });
      assert.equal(new Set(labelOfGroup.values()).size, 8, 'one cluster per group');
      assert.equal(outcome.summary.stats.clusters, 8);
      lines.forEach((l, r) => {
        if (l.group < 0) assert.equal(outcome.labels[r], -1, `${l.id} is noise`);
      });
    }
  });
});
