/**
 * A hostile workspace over a real stdio LSP connection (issue 16): a trusted workspace holding each
 * hostile file of the issue — an `.npy` and an IDX header claiming billions of values, a table of
 * identical rows and one of a single row, a non-gzip `.fasta.gz`, a truncated PNG among images,
 * a JSONL number that overflows, a FASTA header that is Markdown, a FIFO, a link to /etc/passwd and
 * 20 MB of random bytes named `.fasta`. Every request on each of them (cluster, findSimilar without
 * a position, embeddingMap; hover and code lens on the text ones) answers, within a bound, with a
 * result or InvalidParams naming the file — never InternalError, never a stack trace — and the
 * host still clusters a real FASTA file afterwards. Needs `node esbuild.mjs` first.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CodeLensRequest, ErrorCodes, HoverRequest, ResponseError } from 'vscode-languageserver-protocol/node';
import { ClusterRequest, DatasetsRequest, EmbeddingMapRequest, FindSimilarRequest } from '../../server/protocol';
import { LspTestClient, withTimeout } from './lspClient';

/** Each request gets this long; a host that does not answer within it fails the test rather than hanging it. */
const ANSWER_WITHIN_MS = 60_000;

const FIXTURES = path.resolve(__dirname, '../fixtures');

/** `length` seeded random bytes (mulberry32): the same garbage on every run. */
function garbage(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i += 4) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const word = (t ^ (t >>> 14)) >>> 0;
    for (let b = 0; b < 4 && i + b < length; b++) out[i + b] = (word >>> (8 * b)) & 0xff;
  }
  return out;
}

/** An `.npy` (version 1.0) whose header claims `shape` of float64 and holds no data. */
function npyClaiming(shape: number[]): Buffer {
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(prefix, 0);
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1')]);
}

interface HostileFile {
  /** The file's name in the workspace (relative), which an error must name. */
  name: string;
  /** Text a client would open in an editor (hover and code lens are asked only then). */
  text?: { languageId: string; content: string };
}

/**
 * What is wrong with the outcome of one request, or undefined: a result is fine, and so is
 * InvalidParams naming the file with no stack trace in its message; nothing else is.
 */
async function problemOf(what: string, file: string, promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await withTimeout(promise, ANSWER_WITHIN_MS, what);
    return undefined;
  } catch (err) {
    if (!(err instanceof ResponseError)) return `${what}: ${String(err)}`;
    if (err.code !== ErrorCodes.InvalidParams) return `${what}: code ${err.code}: ${err.message}`;
    if (!err.message.includes(path.basename(file))) return `${what}: the message does not name the file: ${err.message}`;
    if (/^\s{4}at /mu.test(err.message)) return `${what}: the message holds a stack trace: ${err.message}`;
    return undefined;
  }
}

void describe('a hostile workspace (host over stdio)', { timeout: 600_000 }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'simlab-hostile-ws-'));
  const workspace = path.join(tmp, 'workspace');
  const folderUri = pathToFileURL(workspace).href;
  const files: HostileFile[] = [];
  let host: LspTestClient;

  before(async () => {
    mkdirSync(workspace, { recursive: true });
    const put = (name: string, content: Buffer | string, languageId?: string): void => {
      const file = path.join(workspace, name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
      files.push({ name, ...(languageId === undefined ? {} : { text: { languageId, content: content.toString() } }) });
    };
    put('huge.npy', npyClaiming([9999999999, 9999]));
    const idx = Buffer.alloc(16);
    idx.writeUInt32BE(0x803, 0);
    idx.writeUInt32BE(0x7fffffff, 4);
    idx.writeUInt32BE(28, 8);
    idx.writeUInt32BE(28, 12);
    put('x-images-idx3-ubyte', idx);
    put('same.csv', 'a,b,c\n' + '1,2,3\n'.repeat(40), 'csv');
    put('one.csv', 'a,b,c\n1,2,3\n', 'csv');
    put('not-gzip.fasta.gz', '>a\nACGTACGTACGT\n>b\nACGTACGTACGA\n');
    // A folder of real images, one of them cut off after its first 40 bytes.
    const bags = path.join(FIXTURES, 'images/fashion/bag');
    for (const png of readdirSync(bags).filter((f) => f.endsWith('.png')).slice(0, 4)) {
      mkdirSync(path.join(workspace, 'images'), { recursive: true });
      copyFileSync(path.join(bags, png), path.join(workspace, 'images', png));
    }
    put('images/truncated.png', readFileSync(path.join(bags, readdirSync(bags).find((f) => f.endsWith('.png')) as string)).subarray(0, 40));
    put('overflow.jsonl', '{"id": "a", "embedding": [1, 2, 3]}\n{"id": "b", "embedding": [1e400, 2, 3]}\n{"id": "c", "embedding": [3, 2, 1]}\n', 'jsonl');
    put('markdown.fasta', '>![x](https://example.invalid/t.png)\nACGTACGTACGTACGTACGT\n>b\nACGTACGTACGTACGTACGA\n', 'fasta');
    execFileSync('mkfifo', [path.join(workspace, 'pipe.fasta')]);
    files.push({ name: 'pipe.fasta' });
    symlinkSync('/etc/passwd', path.join(workspace, 'passwd.fasta'));
    files.push({ name: 'passwd.fasta', text: { languageId: 'fasta', content: 'root:x:0:0:root:/root:/bin/bash\n' } });
    put('garbage.fasta', garbage(20 * 1024 * 1024, 16));
    copyFileSync(path.join(FIXTURES, 'dna/16S-sample.fasta'), path.join(workspace, '16S-sample.fasta'));
    host = LspTestClient.start();
    await host.initialize(undefined, { cacheDir: path.join(tmp, 'cache'), trusted: true }, [{ uri: folderUri, name: 'workspace' }]);
  });

  after(async () => {
    await host.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  void test('every request on every hostile file: a result or InvalidParams naming it, never InternalError or a hang', async () => {
    const problems: string[] = [];
    const check = async (what: string, file: string, promise: Promise<unknown>): Promise<void> => {
      const problem = await problemOf(what, file, promise);
      if (problem !== undefined) problems.push(problem);
    };
    for (const { name, text } of files) {
      const file = path.join(workspace, name);
      const uri = pathToFileURL(file).href;
      await check(`cluster ${name}`, file, host.connection.sendRequest(ClusterRequest.type, { uri }));
      await check(`findSimilar ${name}`, file, host.connection.sendRequest(FindSimilarRequest.type, { uri }));
      await check(`embeddingMap ${name}`, file, host.connection.sendRequest(EmbeddingMapRequest.type, { uri }));
      if (text) {
        await host.openDocument(uri, text.languageId, text.content);
        await check(`hover ${name}`, file, host.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 0, character: 1 } }));
        await check(`codeLens ${name}`, file, host.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } }));
        await host.closeDocument(uri);
      }
    }
    // Every case is tried before the verdict, so one run shows every defect.
    assert.deepEqual(problems, []);
  });

  void test('the dataset list answers and does not list the link’s target', async () => {
    const { datasets } = await withTimeout(host.connection.sendRequest(DatasetsRequest.type, {}), ANSWER_WITHIN_MS, 'datasets');
    // Neither the target nor the link that leads to it is a dataset of the workspace.
    for (const d of datasets) assert.ok(!/\/etc\/passwd|passwd\.fasta/u.test(d.uri), `listed ${d.uri}`);
  });

  void test('afterwards a real FASTA file clusters', async () => {
    const uri = pathToFileURL(path.join(workspace, '16S-sample.fasta')).href;
    const result = await withTimeout(host.connection.sendRequest(ClusterRequest.type, { uri }), ANSWER_WITHIN_MS, 'cluster 16S-sample.fasta');
    assert.ok(result.stats.records > 0);
    assert.ok(result.clusters.length > 0);
  });
});
