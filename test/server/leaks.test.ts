/**
 * Leakage between splits in the editor (issue 17), over a real stdio LSP connection to the built
 * host: a train split of 200 real 16S records and a test split of 20 other records plus 5 planted
 * copies of train records (1 % substitutions). After `similarityLab/checkLeaks`, and separately
 * after `similarityLab.splits` is set (didChangeConfiguration), exactly the planted copies get a
 * `leak` Warning on their own header line, linked to the train record's header line; a change of
 * the test split checks it again; a host started with the setting checks the splits at once. Needs `node esbuild.mjs` first.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { DiagnosticSeverity, DidChangeConfigurationNotification, DidChangeWatchedFilesNotification, FileChangeType, type Diagnostic, type PublishDiagnosticsParams } from 'vscode-languageserver-protocol/node';
import { CheckLeaksRequest } from '../../server/protocol';
import { LspTestClient } from './lspClient';

const FIXTURE = path.resolve(__dirname, '../fixtures/dna/16S-sample.fasta');
const TRAIN_RECORDS = 200;
/**
 * The 20 other records of the test split: records of the fixture past the train split none of which
 * reaches 95 % identity to a train record (`simlab leaks --threshold 0.95`), two points under the
 * default threshold; many of the rest are other strains of a train species at ≥ 97 %, real leaks.
 */
const OTHERS = [204, 210, 211, 213, 214, 216, 217, 218, 223, 224, 226, 233, 234, 235, 237, 245, 246, 255, 257, 260];
/** Train records copied into the test split (indexes into the train split). */
const COPIED = [3, 41, 88, 150, 199];

/** A seeded source (mulberry32): the same files on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FastaRecord {
  header: string;
  id: string;
  seq: string;
}

function records(text: string): FastaRecord[] {
  return text
    .split(/^(?=>)/mu)
    .filter((r) => r.startsWith('>'))
    .map((r) => {
      const [header = '', ...lines] = r.split(/\r?\n/u);
      return { header, id: header.slice(1).split(/\s/u)[0] as string, seq: lines.join('').trim() };
    });
}

/** The file and the 0-based header line of each record. */
function fasta(recs: readonly { header: string; seq: string }[]): { text: string; lines: number[] } {
  const out: string[] = [];
  const lines: number[] = [];
  for (const r of recs) {
    lines.push(out.length);
    out.push(r.header);
    for (let i = 0; i < r.seq.length; i += 80) out.push(r.seq.slice(i, i + 80));
  }
  return { text: out.join('\n') + '\n', lines };
}

/** `seq` with 1 % of its bases substituted (distinct positions, each to another base). */
function mutate(seq: string, rnd: () => number): string {
  const out = seq.toUpperCase().split('');
  const done = new Set<number>();
  const count = Math.max(1, Math.round(seq.length / 100));
  while (done.size < count) {
    const at = Math.floor(rnd() * out.length);
    if (done.has(at) || !'ACGT'.includes(out[at] as string)) continue;
    done.add(at);
    const others = 'ACGT'.replace(out[at] as string, '');
    out[at] = others[Math.floor(rnd() * others.length)] as string;
  }
  return out.join('');
}

function leaks(p: PublishDiagnosticsParams): Diagnostic[] {
  return p.diagnostics.filter((d) => d.code === 'leak');
}

void describe('leakage between splits (host over stdio)', { timeout: 300_000 }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'simlab-server-leaks-'));
  const workspace = path.join(tmp, 'workspace');
  const all = records(readFileSync(FIXTURE, 'utf8'));
  const trainRecs = all.slice(0, TRAIN_RECORDS);
  const rnd = seeded(17);
  const copies = COPIED.map((t, i) => ({ header: `>planted-${i} copy of ${trainRecs[t]!.id}`, seq: mutate(trainRecs[t]!.seq, rnd), of: t }));
  // The copies spread among the other records, not all at the end.
  const testRecs: { header: string; seq: string; of?: number }[] = OTHERS.map((i) => all[i]!);
  copies.forEach((c, i) => testRecs.splice(i * 5 + 2, 0, c));
  const train = fasta(trainRecs);
  const testSplit = fasta(testRecs);
  /** Test header line → train header line of the record it copies. */
  const planted = new Map(testRecs.flatMap((r, i) => (r.of !== undefined ? [[testSplit.lines[i] as number, train.lines[r.of] as number] as const] : [])));
  let host: LspTestClient;
  let splits: Record<string, string> | undefined;

  before(async () => {
    for (const dir of ['request', 'setting']) {
      mkdirSync(path.join(workspace, dir), { recursive: true });
      writeFileSync(path.join(workspace, dir, 'train.fasta'), train.text);
      writeFileSync(path.join(workspace, dir, 'test.fasta'), testSplit.text);
    }
    host = LspTestClient.start();
    host.handleServerRequest('workspace/configuration', (params) =>
      (params as { items: { section?: string }[] }).items.map((item) => (item.section === 'similarityLab' && splits ? { splits } : {})),
    );
    await host.initialize(undefined, { cacheDir: path.join(tmp, 'cache'), trusted: true }, [{ uri: pathToFileURL(workspace).href, name: 'workspace' }]);
  });

  after(async () => {
    await host.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Exactly the planted copies warned, each on its own header line, linked to the train record's header line. */
  function assertPlanted(published: Diagnostic[], trainUri: string, expected: Map<number, number>): void {
    assert.deepEqual(
      published.map((d) => d.range.start.line).sort((a, b) => a - b),
      [...expected.keys()].sort((a, b) => a - b),
      'the leak warnings sit on exactly the planted copies',
    );
    for (const d of published) {
      const trainLine = expected.get(d.range.start.line) as number;
      const original = trainRecs[train.lines.indexOf(trainLine)]!;
      assert.equal(d.severity, DiagnosticSeverity.Warning);
      assert.match(typeof d.message === 'string' ? d.message : d.message.value, new RegExp(`^also in train\\.fasta: ${original.id} · (9\\d|100)\\.\\d % identity$`, 'u'));
      assert.equal(d.relatedInformation?.length, 1);
      assert.equal(d.relatedInformation[0]!.location.uri, trainUri);
      assert.equal(d.relatedInformation[0]!.location.range.start.line, trainLine);
    }
  }

  void test('checkLeaks: the planted copies, and only they, are warned on their own lines', async () => {
    const trainUri = pathToFileURL(path.join(workspace, 'request', 'train.fasta')).href;
    const testUri = pathToFileURL(path.join(workspace, 'request', 'test.fasta')).href;
    const mark = host.mark();
    const result = await host.connection.sendRequest(CheckLeaksRequest.type, { reference: trainUri, queries: [testUri] });
    assert.equal(result.stats.records, testRecs.length);
    assert.equal(result.stats.referenceRecords, TRAIN_RECORDS);
    assert.deepEqual(
      result.pairs.map((p) => [p.queryId, p.referenceId, p.queryLine, p.referenceLine]),
      copies.map((c, i) => [`planted-${i}`, trainRecs[c.of]!.id, [...planted.keys()][i], train.lines[c.of]]),
    );
    assert.ok(result.pairs.every((p) => p.kind === 'near' && p.score >= 0.97 && p.score < 1 && p.queryUri === testUri && p.referenceUri === trainUri));
    const published = await host.waitForDiagnostics(testUri, (p) => leaks(p).length > 0, { after: mark });
    assertPlanted(leaks(published), trainUri, planted);
  });

  void test('similarityLab.splits: checked when set, and again when a split changes', async () => {
    const trainUri = pathToFileURL(path.join(workspace, 'setting', 'train.fasta')).href;
    const testFile = path.join(workspace, 'setting', 'test.fasta');
    const testUri = pathToFileURL(testFile).href;
    // `test` first: the split named train is the reference wherever it stands.
    splits = { test: 'setting/test.fasta', train: 'setting/train.fasta' };
    let mark = host.mark();
    await host.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    const published = await host.waitForDiagnostics(testUri, (p) => leaks(p).length > 0, { after: mark });
    assertPlanted(leaks(published), trainUri, planted);
    assert.equal(host.notifications('textDocument/publishDiagnostics').some((n) => (n.params as PublishDiagnosticsParams).uri === trainUri && leaks(n.params as PublishDiagnosticsParams).length > 0), false);

    // The test split loses its first planted copy: checked again, four warnings.
    const fewer = testRecs.filter((r) => r !== copies[0]);
    const rewritten = fasta(fewer);
    const still = new Map(fewer.flatMap((r, i) => (r.of !== undefined ? [[rewritten.lines[i] as number, train.lines[r.of] as number] as const] : [])));
    writeFileSync(testFile, rewritten.text);
    mark = host.mark();
    await host.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: testUri, type: FileChangeType.Changed }] });
    const again = await host.waitForDiagnostics(testUri, (p) => leaks(p).length > 0, { after: mark });
    assert.equal(still.size, COPIED.length - 1);
    assertPlanted(leaks(again), trainUri, still);
  });

  void test('similarityLab.splits already set when the host starts: checked on start-up', async () => {
    const started = LspTestClient.start();
    try {
      // No split is named train: the first one listed is the reference.
      const preset = { reference: 'request/train.fasta', held_out: 'request/test.fasta' };
      started.handleServerRequest('workspace/configuration', (params) =>
        (params as { items: { section?: string }[] }).items.map((item) => (item.section === 'similarityLab' ? { splits: preset } : {})),
      );
      await started.initialize(undefined, { cacheDir: path.join(tmp, 'cache'), trusted: true }, [{ uri: pathToFileURL(workspace).href, name: 'workspace' }]);
      const trainUri = pathToFileURL(path.join(workspace, 'request', 'train.fasta')).href;
      const published = await started.waitForDiagnostics(pathToFileURL(path.join(workspace, 'request', 'test.fasta')).href, (p) => leaks(p).length > 0);
      assertPlanted(leaks(published), trainUri, planted);
    } finally {
      await started.dispose();
    }
  });
});
