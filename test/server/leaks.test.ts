/**
 * Leakage between splits in the editor (issue 17), over a real stdio LSP connection to the built
 * host: a train split of 200 real 16S records and a test split of 20 other records plus 5 planted
 * copies of train records (1 % substitutions). After `similarityLab/checkLeaks`, and separately
 * after `similarityLab.splits` is set (didChangeConfiguration), exactly the planted copies get a
 * `leak` Warning on their own header line, linked to the train record's header line; a change of
 * the test split checks it again; a host started with the setting checks the splits at once. A
 * pair the request checked is checked again when either file changes (trigger `changed`), and
 * cleared (`leakFindingsCleared`) when the query becomes unreadable or is deleted. Every
 * check, whoever asked, sends `similarityLab/leakFindings` (the Leakage view's feed) with the
 * pairs and each query file's record count; the hover on any line of a planted copy names the
 * train record it copies, and no other record's hover speaks of a leak. The splits are
 * test/helpers/plantedSplits.ts (shared with the e2e test). Needs `node esbuild.mjs` first.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { DiagnosticSeverity, DidChangeConfigurationNotification, HoverRequest, DidChangeWatchedFilesNotification, FileChangeType, type Diagnostic, type PublishDiagnosticsParams } from 'vscode-languageserver-protocol/node';
import { CheckLeaksRequest, LeakFindingsClearedNotification, LeakFindingsNotification } from '../../server/protocol';
import { COPIED, fasta, plantedLines, plantedSplits, TRAIN_RECORDS } from '../helpers/plantedSplits';
import { LspTestClient } from './lspClient';

const FIXTURE = path.resolve(__dirname, '../fixtures/dna/16S-sample.fasta');

function leaks(p: PublishDiagnosticsParams): Diagnostic[] {
  return p.diagnostics.filter((d) => d.code === 'leak');
}

void describe('leakage between splits (host over stdio)', { timeout: 300_000 }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'simlab-server-leaks-'));
  const workspace = path.join(tmp, 'workspace');
  const { trainRecs, testRecs, copies, train, test: testSplit, planted } = plantedSplits(readFileSync(FIXTURE, 'utf8'));
  let host: LspTestClient;
  let splits: Record<string, string> | undefined;

  before(async () => {
    for (const dir of ['request', 'setting', 'edited']) {
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
    // The client's Leakage view is told what the request answered, and each query file's record count.
    const told = await host.waitForNotification(LeakFindingsNotification.type, (p) => p.reference === trainUri, { after: mark });
    assert.equal(told.trigger, 'request');
    assert.deepEqual(told.queries, [{ uri: testUri, records: testRecs.length }]);
    assert.equal(told.referenceRecords, TRAIN_RECORDS);
    assert.deepEqual(told.pairs, result.pairs);
    assert.deepEqual(told.stats, result.stats);
  });

  /** The host's hover at `line` of `uri`, as it renders (Markdown escapes dropped); '' for none. */
  async function hoverAt(uri: string, line: number): Promise<string> {
    const hover = await host.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character: 3 } });
    const contents = hover?.contents;
    const value = contents && typeof contents === 'object' && 'value' in contents ? contents.value : '';
    return value.replace(/\\(.)/gu, '$1');
  }

  void test('hover: every line of a planted copy shows the train record it copies, its line a link there; the other records show no leak', async () => {
    const testUri = pathToFileURL(path.join(workspace, 'request', 'test.fasta')).href;
    const trainUri = pathToFileURL(path.join(workspace, 'request', 'train.fasta')).href;
    for (const [i, copy] of copies.entries()) {
      const header = [...planted.keys()][i] as number;
      const original = trainRecs[copy.of]!;
      for (const line of [header, header + 1, header + 3]) {
        const text = await hoverAt(testUri, line);
        assert.match(text, new RegExp(`^\\*\\*planted-${i}\\*\\*`, 'u'), `line ${line}`);
        assert.match(text, new RegExp(`also in train\\.fasta: ${original.id} · 9\\d\\.\\d % identity \\(\\[line ${train.lines[copy.of]! + 1}\\]\\(${trainUri.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&')}#L${train.lines[copy.of]! + 1}\\)\\)`, 'u'), `line ${line}: ${text}`);
      }
    }
    for (const [i, r] of testRecs.entries()) {
      if (r.of !== undefined) continue;
      assert.doesNotMatch(await hoverAt(testUri, testSplit.lines[i]! + 1), /also in/u, `record ${i} leaks nothing`);
    }
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
    const told = await host.waitForNotification(LeakFindingsNotification.type, (p) => p.reference === trainUri, { after: mark });
    assert.equal(told.trigger, 'splits');
    assert.deepEqual(told.queries, [{ uri: testUri, records: testRecs.length }]);
    assert.deepEqual(told.pairs.map((p) => [p.queryLine, p.referenceLine]), [...planted.entries()]);
    assert.equal(host.notifications('textDocument/publishDiagnostics').some((n) => (n.params as PublishDiagnosticsParams).uri === trainUri && leaks(n.params as PublishDiagnosticsParams).length > 0), false);

    // The test split loses its first planted copy: checked again, four warnings.
    const fewer = testRecs.filter((r) => r !== copies[0]);
    const rewritten = fasta(fewer);
    const still = plantedLines(fewer, rewritten.lines, train.lines);
    writeFileSync(testFile, rewritten.text);
    mark = host.mark();
    await host.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: testUri, type: FileChangeType.Changed }] });
    const again = await host.waitForDiagnostics(testUri, (p) => leaks(p).length > 0, { after: mark });
    assert.equal(still.size, COPIED.length - 1);
    assertPlanted(leaks(again), trainUri, still);
    // The Leakage view hears the re-check too: one record fewer, four leaking.
    const retold = await host.waitForNotification(LeakFindingsNotification.type, (p) => p.reference === trainUri, { after: mark });
    assert.deepEqual([retold.trigger, retold.queries, retold.pairs.length], ['splits', [{ uri: testUri, records: fewer.length }], COPIED.length - 1]);
  });

  void test('checkLeaks: its pair is checked again when a file changes, and cleared when the query is unreadable or deleted', async () => {
    const trainFile = path.join(workspace, 'edited', 'train.fasta');
    const testFile = path.join(workspace, 'edited', 'test.fasta');
    const trainUri = pathToFileURL(trainFile).href;
    const testUri = pathToFileURL(testFile).href;
    const isPair = (p: LeakFindingsNotification.Params) => p.reference === trainUri && p.queries.some((q) => q.uri === testUri);
    let mark = host.mark();
    await host.connection.sendRequest(CheckLeaksRequest.type, { reference: trainUri, queries: [testUri] });
    assert.equal((await host.waitForNotification(LeakFindingsNotification.type, isPair, { after: mark })).pairs.length, COPIED.length);
    await host.waitForDiagnostics(testUri, (p) => leaks(p).length === COPIED.length, { after: mark });

    // The query loses its first planted copy (saved from outside): the view hears four leaking of one record fewer, the warnings follow.
    const fewer = testRecs.filter((r) => r !== copies[0]);
    const rewritten = fasta(fewer);
    writeFileSync(testFile, rewritten.text);
    mark = host.mark();
    await host.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: testUri, type: FileChangeType.Changed }] });
    const retold = await host.waitForNotification(LeakFindingsNotification.type, isPair, { after: mark });
    assert.deepEqual([retold.trigger, retold.queries, retold.pairs.length], ['changed', [{ uri: testUri, records: fewer.length }], COPIED.length - 1]);
    assertPlanted(leaks(await host.waitForDiagnostics(testUri, (p) => leaks(p).length === COPIED.length - 1, { after: mark })), trainUri, plantedLines(fewer, rewritten.lines, train.lines));

    // The reference changes (rewritten as it was): the pair is checked again too.
    writeFileSync(trainFile, train.text);
    mark = host.mark();
    await host.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: trainUri, type: FileChangeType.Changed }] });
    const fromReference = await host.waitForNotification(LeakFindingsNotification.type, isPair, { after: mark });
    assert.deepEqual([fromReference.trigger, fromReference.pairs.length], ['changed', COPIED.length - 1]);

    // The query cannot be read any more: no check replaces the old findings, so the view is told to drop them.
    writeFileSync(testFile, 'ACGT\n' + rewritten.text);
    mark = host.mark();
    await host.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: testUri, type: FileChangeType.Changed }] });
    const cleared = await host.waitForNotification(LeakFindingsClearedNotification.type, (p) => p.reference === trainUri, { after: mark });
    assert.deepEqual(cleared.queries, [testUri]);
    assert.equal(host.notifications(LeakFindingsNotification.type).some((n) => n.seq >= mark && isPair(n.params)), false, 'an unreadable query reports no findings');

    // Readable again, then checked by the request, then deleted: cleared once more, and no check runs.
    writeFileSync(testFile, rewritten.text);
    mark = host.mark();
    await host.connection.sendRequest(CheckLeaksRequest.type, { reference: trainUri, queries: [testUri] });
    unlinkSync(testFile);
    await host.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: testUri, type: FileChangeType.Deleted }] });
    const gone = await host.waitForNotification(LeakFindingsClearedNotification.type, (p) => p.reference === trainUri, { after: mark });
    assert.deepEqual(gone.queries, [testUri]);
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
