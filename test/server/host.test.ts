/**
 * The built analysis host over a real stdio LSP connection: initialize, status, compare, bad
 * input, cancellation of a long compare, shutdown. Needs `npm run build` first.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes, LSPErrorCodes, ResponseError, TextDocumentSyncKind, CancellationTokenSource } from 'vscode-languageserver-protocol/node';
import { ClusterRequest, CompareRequest, ServerStatusNotification } from '../../server/protocol';
import { LspTestClient, withTimeout } from './lspClient';

type Status = ServerStatusNotification.Params;

/** Seeded DNA-like text (mulberry32), so the slow case is the same every run. */
function randomText(length: number, seed: number): string {
  let state = seed >>> 0;
  const alphabet = 'ACGT';
  let out = '';
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out += alphabet[((t ^ (t >>> 14)) >>> 0) % 4];
  }
  return out;
}

async function expectResponseError(promise: Promise<unknown>, code: number): Promise<ResponseError<unknown>> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ResponseError, `expected a ResponseError, got ${String(err)}`);
    assert.equal(err.code, code, `error code (message: ${err.message})`);
    return err;
  }
  assert.fail(`expected an error response with code ${code}`);
}

void describe('analysis host over stdio', () => {
  let host: LspTestClient;

  before(() => {
    host = LspTestClient.start();
  });

  after(async () => {
    await host.dispose();
  });

  void test('initialize names the server and syncs documents incrementally', async () => {
    const result = await host.initialize();
    assert.equal(result.serverInfo?.name, 'Similarity Lab');
    const sync = result.capabilities.textDocumentSync;
    const kind = typeof sync === 'object' ? sync.change : sync;
    assert.equal(kind, TextDocumentSyncKind.Incremental);
  });

  void test('reports ready (healthy, quiescent) after initialized', async () => {
    const status = await host.waitForNotification(ServerStatusNotification.type);
    assert.deepEqual(status, { health: 'ok', quiescent: true, message: 'ready' });
  });

  void test('compares two strings', async () => {
    const result = await host.connection.sendRequest(CompareRequest.type, { a: 'kitten', b: 'sitting', measures: ['levenshtein'] });
    assert.equal(result.kind, 'strings');
    assert.deepEqual(result.values, { levenshtein: 3 });
    assert.deepEqual(result.skipped, []);
  });

  void test('compares two vectors, and reads numeric strings as vectors when asked', async () => {
    const direct = await host.connection.sendRequest(CompareRequest.type, { a: [0, 0], b: [3, 4], measures: ['euclidean', 'manhattan'] });
    assert.equal(direct.kind, 'vectors');
    assert.equal(direct.values.euclidean, 5);
    assert.equal(direct.values.manhattan, 7);

    const parsed = await host.connection.sendRequest(CompareRequest.type, { a: '0, 0', b: '3 4', measures: ['euclidean'], parseVectors: true });
    assert.equal(parsed.kind, 'vectors');
    assert.equal(parsed.values.euclidean, 5);

    const text = await host.connection.sendRequest(CompareRequest.type, { a: '0, 0', b: 'abc', measures: ['levenshtein'], parseVectors: true });
    assert.equal(text.kind, 'strings', 'only two numeric lists become vectors');
  });

  void test('without measures, computes every applicable one and says how to read each', async () => {
    const result = await host.connection.sendRequest(CompareRequest.type, { a: 'kitten', b: 'sitting' });
    assert.equal(result.values.levenshtein, 3);
    assert.ok(Object.keys(result.values).length > 1);
    assert.ok(result.skipped.some((s) => s.measure === 'hamming'), 'hamming needs equal lengths');
    for (const name of [...Object.keys(result.values), ...result.skipped.map((s) => s.measure)]) {
      assert.ok(result.about[name]?.description, `about ${name}`);
    }
    assert.equal(result.about.levenshtein?.sense, 'distance');
  });

  void test('a measure that cannot apply to these inputs is listed as skipped, with the reason', async () => {
    const result = await host.connection.sendRequest(CompareRequest.type, { a: [1, 2], b: [1, 2, 3], measures: ['euclidean'] });
    assert.deepEqual(result.values, {});
    assert.equal(result.skipped[0]?.measure, 'euclidean');
    assert.match(result.skipped[0]?.reason ?? '', /length/);
  });

  void test('bad input gets InvalidParams with a clear message, and the host keeps answering', async () => {
    const unknown = await expectResponseError(
      host.connection.sendRequest(CompareRequest.type, { a: 'kitten', b: 'sitting', measures: ['no-such-measure'] }),
      ErrorCodes.InvalidParams,
    );
    assert.match(unknown.message, /no-such-measure/);

    await expectResponseError(host.connection.sendRequest(CompareRequest.type, { a: 'text', b: [1, 2, 3] }), ErrorCodes.InvalidParams);
    const malformed = await expectResponseError(
      host.connection.sendRequest(CompareRequest.method, { a: { not: 'comparable' }, b: 'x' }),
      ErrorCodes.InvalidParams,
    );
    assert.match(malformed.message, /`a`/);
    await expectResponseError(host.connection.sendRequest(CompareRequest.method, null), ErrorCodes.InvalidParams);

    const after = await host.connection.sendRequest(CompareRequest.type, { a: 'flaw', b: 'lawn', measures: ['levenshtein'] });
    assert.equal(after.values.levenshtein, 2);
  });

  void test('cancelling a long compare answers RequestCancelled before the compare would have finished; the host stays up', async () => {
    const mark = host.mark();
    // The order of events, not their timing (the delay is `npm run bench -- latency`). Two compares
    // of the same size (minutes of work each): the reference first, then the one we cancel. A
    // cancellation that only took effect when the work was done would be answered after the
    // reference's values; a real one is answered while the reference still runs.
    const reference = new CancellationTokenSource();
    const earlier = host.connection.sendRequest(CompareRequest.type, { a: randomText(200_000, 1), b: randomText(200_000, 2) }, reference.token);
    let earlierEnded = false;
    const earlierAnswer = expectResponseError(earlier, LSPErrorCodes.RequestCancelled).finally(() => (earlierEnded = true));
    const source = new CancellationTokenSource();
    const long = host.connection.sendRequest(CompareRequest.type, { a: randomText(200_000, 3), b: randomText(200_000, 4) }, source.token);
    await host.waitForNotification<Status>(ServerStatusNotification.type, (s) => !s.quiescent && /\(\+1 more\)/u.test(s.message), { after: mark });

    source.cancel();
    await withTimeout(expectResponseError(long, LSPErrorCodes.RequestCancelled), 60_000, 'the cancelled response');
    assert.equal(earlierEnded, false, 'the cancelled compare was answered only after the compare started before it');
    reference.cancel();
    await withTimeout(earlierAnswer, 60_000, 'the reference compare, cancelled in turn');

    await host.waitForNotification<Status>(ServerStatusNotification.type, (s) => s.quiescent && s.health === 'ok', { after: mark });
    const next = await withTimeout(
      host.connection.sendRequest(CompareRequest.type, { a: 'kitten', b: 'sitting', measures: ['levenshtein'] }),
      5000,
      'a compare after the cancellation',
    );
    assert.equal(next.values.levenshtein, 3);
  });

  void test('cluster on a FIFO, a device or a missing file answers InvalidParams at once; the host keeps answering', async (t) => {
    // A FIFO without a writer blocked the read in the thread pool, /dev/zero never ended: the
    // cancel was answered but the worker stayed stuck and later requests got no answer.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'simlab-host-fifo-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const fifo = path.join(dir, 'reads.fasta');
    execFileSync('mkfifo', [fifo]);
    // Inside a trusted workspace (the host reads nothing outside one): /dev/zero through a link in it.
    const zero = path.join(dir, 'zeros.fasta');
    symlinkSync('/dev/zero', zero);
    const trusted = LspTestClient.start();
    t.after(() => trusted.dispose());
    await trusted.initialize(undefined, { trusted: true, cacheDir: path.join(dir, '.cache') }, [{ uri: pathToFileURL(dir).href, name: 'workspace' }]);
    const cases: [string, RegExp][] = [
      [fifo, /named pipe/],
      [zero, /character device|outside the workspace/],
      [path.join(dir, 'missing.fasta'), /no such file/],
    ];
    for (const [file, reason] of cases) {
      const err = await withTimeout(
        expectResponseError(trusted.connection.sendRequest(ClusterRequest.type, { uri: pathToFileURL(file).href }), ErrorCodes.InvalidParams),
        20_000,
        `cluster ${file}`,
      );
      assert.match(err.message, reason);
      assert.ok(err.message.includes(file), `the message names the file: ${err.message}`);
    }
    const next = await withTimeout(trusted.connection.sendRequest(CompareRequest.type, { a: 'kitten', b: 'sitting', measures: ['levenshtein'] }), 20_000, 'a compare afterwards');
    assert.equal(next.values.levenshtein, 3);
    const small = path.join(dir, 'two.fasta');
    writeFileSync(small, '>a\nACGTACGTACGTACGTACGT\n>b\nACGTACGTACGTACGTACGA\n');
    const clustered = await withTimeout(trusted.connection.sendRequest(ClusterRequest.type, { uri: pathToFileURL(small).href }), 60_000, 'a 2-record cluster afterwards');
    assert.equal(clustered.stats.records, 2);
  });

  void test('shutdown then exit ends the process with code 0', async () => {
    const { code } = await host.shutdown();
    assert.equal(code, 0);
  });
});
