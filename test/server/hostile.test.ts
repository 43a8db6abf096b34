/**
 * Hostile files and clients over a real stdio LSP connection: requests naming files outside the
 * workspace folders (directly, or through a link inside one) are refused with InvalidParams and
 * leave nothing behind; a host whose client does not say the workspace is trusted reads nothing;
 * record ids that are Markdown show as text in hovers; and files that would crash a reader or the
 * clustering (an IDX header claiming billions of values, every record identical, one record) get
 * InvalidParams with a message that says what is wrong, or a result. Needs `node esbuild.mjs` first.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ErrorCodes, HoverRequest, ResponseError, type Hover, type MarkupContent } from 'vscode-languageserver-protocol/node';
import { ClusterRequest, DatasetsRequest, EmbeddingMapRequest, FindSimilarRequest, TrainRequest } from '../../server/protocol';
import { LspTestClient } from './lspClient';

async function expectInvalidParams(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ResponseError, `expected a ResponseError, got ${String(err)}`);
    assert.equal(err.code, ErrorCodes.InvalidParams, err.message);
    assert.match(err.message, message);
    return true;
  });
}

/** Seeded DNA of `length` bases (mulberry32), and copies with a few substitutions. */
function dna(length: number, seed: number): string {
  let state = seed >>> 0;
  let out = '';
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out += 'ACGT'[((t ^ (t >>> 14)) >>> 0) % 4];
  }
  return out;
}

const HOSTILE_IDS = ['![x](https://example.invalid/t.png)', '[click](command:workbench.action.terminal.new)', '<img/src=x/onerror=alert(1)>', 'https://example.invalid/a', 'plain'];

/** A hover's value with CommonMark's backslash escapes taken out: what is left is what can be markup. */
function unescaped(markdown: string): string {
  return markdown.replace(/\\[!-/:-@[-`{-~]/gu, '');
}

void describe('hostile files and clients (host over stdio)', { timeout: 120_000 }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'simlab-hostile-'));
  const workspace = path.join(tmp, 'workspace');
  const outside = path.join(tmp, 'outside');
  const secret = path.join(outside, 'secret.fasta');
  const passwd = path.join(outside, 'passwd');
  const hostileFasta = path.join(workspace, 'hostile.fasta');
  const folderUri = pathToFileURL(workspace).href;
  let host: LspTestClient;

  before(async () => {
    mkdirSync(workspace, { recursive: true });
    mkdirSync(outside, { recursive: true });
    const base = dna(300, 1);
    writeFileSync(secret, '>s1\n' + base + '\n>s2\n' + base + '\n>s3\n' + base + '\n');
    writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n');
    // Links inside the workspace that lead out of it: a file, and a folder.
    symlinkSync(secret, path.join(workspace, 'link.fasta'));
    symlinkSync(outside, path.join(workspace, 'linked-folder'));
    writeFileSync(hostileFasta, HOSTILE_IDS.map((id, i) => `>${id} family one\n${base.slice(0, 290)}${dna(10, i + 2)}\n`).join(''));
    // Hostile headers of numeric files, and degenerate tables (items 5–7).
    const idx = Buffer.alloc(16);
    idx.writeUInt32BE(0x803, 0);
    idx.writeUInt32BE(0x7fffffff, 4);
    idx.writeUInt32BE(28, 8);
    idx.writeUInt32BE(28, 12);
    writeFileSync(path.join(workspace, 'claims-billions-idx3-ubyte'), idx);
    writeFileSync(path.join(workspace, 'same.csv'), 'a,b,c\n' + '1,2,3\n'.repeat(40));
    writeFileSync(path.join(workspace, 'one.csv'), 'a,b,c\n1,2,3\n');
    host = LspTestClient.start();
    await host.initialize(undefined, { cacheDir: path.join(tmp, 'cache'), trusted: true }, [{ uri: folderUri, name: 'workspace' }]);
  });

  after(async () => {
    await host.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  void test('requests naming a file outside the workspace are refused, and leave nothing behind', async () => {
    const outsideText = /outside the workspace folders/u;
    await expectInvalidParams(host.connection.sendRequest(EmbeddingMapRequest.type, { uri: pathToFileURL(passwd).href }), outsideText);
    await expectInvalidParams(host.connection.sendRequest(ClusterRequest.type, { uri: pathToFileURL(secret).href }), outsideText);
    await expectInvalidParams(host.connection.sendRequest(FindSimilarRequest.type, { uri: pathToFileURL(secret).href, position: { line: 0, character: 0 } }), outsideText);
    await expectInvalidParams(host.connection.sendRequest(TrainRequest.type, { uri: pathToFileURL(secret).href, model: 'siamese', config: { epochs: 1 } }), outsideText);
    // `..` in the uri, and links inside the workspace that point out of it.
    await expectInvalidParams(host.connection.sendRequest(ClusterRequest.type, { uri: `${folderUri}/../outside/secret.fasta` }), outsideText);
    await expectInvalidParams(host.connection.sendRequest(ClusterRequest.type, { uri: pathToFileURL(path.join(workspace, 'link.fasta')).href }), outsideText);
    await expectInvalidParams(host.connection.sendRequest(EmbeddingMapRequest.type, { uri: pathToFileURL(path.join(workspace, 'linked-folder', 'passwd')).href }), outsideText);
    await expectInvalidParams(host.connection.sendRequest(TrainRequest.type, { uri: pathToFileURL(path.join(workspace, 'linked-folder', 'secret.fasta')).href, model: 'autoencoder', config: { epochs: 1 } }), outsideText);
    // Nothing was written beside the files, and none of them became a dataset of the workspace.
    assert.equal(existsSync(path.join(outside, '.similarity-lab')), false);
    const { datasets } = await host.connection.sendRequest(DatasetsRequest.type, {});
    for (const d of datasets) assert.ok(!/outside|passwd|secret|link/u.test(d.uri), `listed ${d.uri}`);
  });

  void test('a hover shows Markdown in record ids as text', async () => {
    const uri = pathToFileURL(hostileFasta).href;
    const result = await host.connection.sendRequest(ClusterRequest.type, { uri, params: { threshold: 0.9, minPts: 2 } });
    assert.equal(result.stats.records, HOSTILE_IDS.length);
    for (let r = 0; r < HOSTILE_IDS.length; r++) {
      const hover = (await host.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 2 * r, character: 1 } })) as Hover;
      const value = (hover.contents as MarkupContent).value;
      const id = HOSTILE_IDS[r] as string;
      // The id, every punctuation mark escaped, in bold; nothing left that could open a link, an image or HTML.
      assert.ok(value.startsWith(`**${id.replace(/[!-/:-@[-`{-~]/gu, '\\$&')}**`), value);
      assert.doesNotMatch(unescaped(value), /!\[|\]\(|<[a-z]|https:|command:/u, value);
    }
  });

  void test('an IDX header claiming billions of images: InvalidParams naming the file and field', async () => {
    const uri = pathToFileURL(path.join(workspace, 'claims-billions-idx3-ubyte')).href;
    await expectInvalidParams(host.connection.sendRequest(ClusterRequest.type, { uri }), /claims-billions-idx3-ubyte:1:\d+: the header announces 2147483647 images of 28×28.*header field 'dimensions'/u);
  });

  void test('every record identical: one cluster, not an error', async () => {
    const result = await host.connection.sendRequest(ClusterRequest.type, { uri: pathToFileURL(path.join(workspace, 'same.csv')).href });
    assert.equal(result.stats.records, 40);
    assert.equal(result.clusters.length, 1);
    assert.equal(result.clusters[0]?.size, 40);
  });

  void test('one record: InvalidParams saying there are too few records', async () => {
    const uri = pathToFileURL(path.join(workspace, 'one.csv')).href;
    await expectInvalidParams(host.connection.sendRequest(ClusterRequest.type, { uri }), /too few records to cluster: 1; at least \d+ are needed \(minPts \d+\)/u);
    await expectInvalidParams(host.connection.sendRequest(EmbeddingMapRequest.type, { uri }), /too few/u);
  });

  void test('a client that does not say the workspace is trusted: the host reads nothing', async () => {
    const untrusted = LspTestClient.start();
    try {
      await untrusted.initialize(undefined, { cacheDir: path.join(tmp, 'cache-untrusted') }, [{ uri: folderUri, name: 'workspace' }]);
      assert.deepEqual((await untrusted.connection.sendRequest(DatasetsRequest.type, {})).datasets, []);
      await expectInvalidParams(untrusted.connection.sendRequest(ClusterRequest.type, { uri: pathToFileURL(path.join(workspace, 'same.csv')).href }), /not trusted/u);
      await expectInvalidParams(untrusted.connection.sendRequest(EmbeddingMapRequest.type, { uri: pathToFileURL(path.join(workspace, 'same.csv')).href }), /not trusted/u);
    } finally {
      await untrusted.dispose();
    }
  });
});
