/**
 * The editor features of the built host over a real stdio LSP connection, on a temp workspace
 * holding the 16S fixture: cluster → record diagnostics with related information, hover, code
 * lens, findSimilar (a record and a whole file), parse errors, cancellation of a long clustering,
 * hover latency while a job runs, settings cached until `workspace/didChangeConfiguration`, and a
 * SIGKILL mid-job followed by a restart that gets the same clusters from the index cache. Needs
 * `npm run build` first.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  CancellationTokenSource,
  CodeLensRequest,
  DiagnosticSeverity,
  HoverRequest,
  LSPErrorCodes,
  ResponseError,
  WorkDoneProgress,
  DidChangeWatchedFilesNotification,
  DidChangeConfigurationNotification,
  FileChangeType,
  type Diagnostic,
  type Hover,
  type MarkupContent,
} from 'vscode-languageserver-protocol/node';
import { ClusterRequest, DatasetsRequest, FindSimilarRequest, ServerStatusNotification } from '../../server/protocol';
import { DEFAULT_CAPABILITIES, LspTestClient } from './lspClient';

const FIXTURE = path.resolve(__dirname, '../fixtures/dna/16S-sample.fasta');

/** Seeded families of mutated copies (mulberry32): a clustering that takes many seconds. */
function familiesFasta(records: number, length: number, seed: number): string {
  let state = seed >>> 0;
  const rnd = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const bases = 'ACGT';
  const parts: string[] = [];
  let family = new Uint8Array(0);
  for (let r = 0; r < records; r++) {
    if (r % 20 === 0) family = Uint8Array.from({ length }, () => bases.charCodeAt(Math.floor(rnd() * 4)));
    const seq = Buffer.from(family.map((b) => (rnd() < 0.03 ? bases.charCodeAt(Math.floor(rnd() * 4)) : b)));
    parts.push(`>r${r} family${Math.floor(r / 20)}\n${seq.toString('latin1')}\n`);
  }
  return parts.join('');
}

/** A diagnostic's message as text (LSP 3.18 also allows markup). */
function text(d: Diagnostic): string {
  return typeof d.message === 'string' ? d.message : d.message.value;
}

function headerLines(text: string): number[] {
  return text.split('\n').flatMap((line, i) => (line.startsWith('>') ? [i] : []));
}

async function expectCancelled(promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ResponseError, `expected a ResponseError, got ${String(err)}`);
    assert.equal(err.code, LSPErrorCodes.RequestCancelled, err.message);
    return;
  }
  assert.fail('expected the request to be cancelled');
}

void describe('datasets in the editor (host over stdio)', { timeout: 180_000 }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'simlab-server-'));
  const workspace = path.join(tmp, 'workspace');
  const cacheDir = path.join(tmp, 'cache');
  // Inside the workspace (the host reads nothing outside it), where discovery does not list it.
  const bigFile = path.join(workspace, 'node_modules', 'big', 'families.fasta');
  const sampleFile = path.join(workspace, 'data', '16S-sample.fasta');
  const sampleUri = pathToFileURL(sampleFile).href;
  const bigUri = pathToFileURL(bigFile).href;
  const text16S = readFileSync(FIXTURE, 'utf8');
  const headers = headerLines(text16S);
  let host: LspTestClient;
  let firstClusters: ClusterRequest.Result | undefined;

  const start = async (): Promise<LspTestClient> => {
    const client = LspTestClient.start();
    await client.initialize(undefined, { cacheDir, trusted: true }, [{ uri: pathToFileURL(workspace).href, name: 'workspace' }]);
    return client;
  };

  before(async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(workspace, 'data'), { recursive: true });
    mkdirSync(path.join(workspace, 'node_modules', 'x'), { recursive: true });
    mkdirSync(path.dirname(bigFile), { recursive: true });
    copyFileSync(FIXTURE, sampleFile);
    // Two slices of the sample (shared records) and a file in node_modules (never a dataset).
    const records = text16S.split(/(?=^>)/mu);
    writeFileSync(path.join(workspace, 'data', 'first-half.fasta'), records.slice(0, 138).join(''));
    writeFileSync(path.join(workspace, 'data', 'last-third.fa'), records.slice(184).join(''));
    writeFileSync(path.join(workspace, 'node_modules', 'x', 'ignored.fasta'), records.slice(0, 3).join(''));
    writeFileSync(bigFile, familiesFasta(20_000, 1500, 7));
    host = await start();
  });

  after(async () => {
    await host.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  void test('discovers the FASTA files of the workspace, not node_modules', async () => {
    const { datasets } = await host.connection.sendRequest(DatasetsRequest.type, {});
    const names = datasets.map((d) => path.basename(new URL(d.uri).pathname)).sort();
    assert.deepEqual(names, ['16S-sample.fasta', 'first-half.fasta', 'last-third.fa']);
  });

  void test('cluster: clusters, work-done progress, and diagnostics with related information', async () => {
    await host.openDocument(sampleUri, 'fasta', text16S);
    const mark = host.mark();
    // The host asks for a progress token, then reports begin … end on it.
    const kinds: string[] = [];
    host.handleServerRequest('window/workDoneProgress/create', (params) => {
      const { token } = params as { token: string | number };
      host.connection.onProgress(WorkDoneProgress.type, token, (value) => {
        kinds.push(value.kind);
      });
      return null;
    });
    const result = await host.connection.sendRequest(ClusterRequest.type, { uri: sampleUri });
    firstClusters = result;
    assert.equal(result.stats.records, 276);
    assert.ok(result.clusters.length >= 5, `clusters: ${result.clusters.length}`);
    const first = result.clusters[0];
    assert.ok(first && first.members.length === first.size && first.memberLines.every((l) => headers.includes(l)));
    assert.equal(result.clusters.reduce((s, c) => s + c.size, 0) + result.noise.length, 276);
    // Each cluster lists its representative first, with every member's identity to it.
    for (const c of result.clusters) {
      assert.equal(c.representative, c.members[0]);
      assert.equal(c.memberIdentities?.length, c.size);
      assert.equal(c.memberIdentities[0], 1);
      assert.ok(c.memberIdentities.every((x) => x > 0 && x <= 1));
    }
    // The host created a progress and ended it.
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(kinds[0], 'begin');
    assert.equal(kinds.at(-1), 'end');

    const published = await host.waitForDiagnostics(sampleUri, (p) => p.diagnostics.length > 0, { after: mark });
    const diags: Diagnostic[] = published.diagnostics;
    assert.ok(diags.every((d) => d.source === 'Similarity Lab'));
    const clusterDiag = diags.find((d) => /^cluster \d+ · \d+ members$/u.test(text(d)));
    assert.ok(clusterDiag, 'a cluster diagnostic');
    assert.equal(clusterDiag.severity, DiagnosticSeverity.Information);
    assert.ok(headers.includes(clusterDiag.range.start.line), 'on a header line');
    assert.ok(clusterDiag.relatedInformation && clusterDiag.relatedInformation.length > 0, 'related information');
    const rel = clusterDiag.relatedInformation[0];
    assert.ok(rel && rel.location.uri === sampleUri && headers.includes(rel.location.range.start.line));
    assert.match(rel.message, /% identity/u);
    const perKind = (re: RegExp) => diags.filter((d) => re.test(text(d))).length;
    const members = result.clusters.reduce((s, c) => s + c.size, 0);
    assert.equal(perKind(/^cluster /u), members);
    assert.equal(perKind(/^outlier/u), result.noise.length);
    for (const d of diags.filter((x) => text(x).startsWith('near-duplicate'))) {
      assert.equal(d.severity, DiagnosticSeverity.Warning);
      assert.match(text(d), /^near-duplicate of \S+ · (99\.\d|100\.0) % identity$/u);
    }
    // Outliers are Information by default, so they are listed in Problems (Hints are not).
    for (const d of diags.filter((x) => text(x).startsWith('outlier'))) assert.equal(d.severity, DiagnosticSeverity.Information);
  });

  void test('hover on a record: its cluster and nearest neighbours', async () => {
    const member = firstClusters?.clusters[0]?.memberLines[0];
    assert.ok(member !== undefined);
    const hover = (await host.connection.sendRequest(HoverRequest.type, { textDocument: { uri: sampleUri }, position: { line: member + 1, character: 3 } })) as Hover;
    const value = (hover.contents as MarkupContent).value as string;
    assert.match(value, /Cluster \d+ · \d+ members/u);
    // Each neighbour named by its id and its header's description.
    assert.match(value, /Nearest neighbours:\n- \S+ .+ — \d+\.\d % identity/u);
  });

  void test('hover on a record: its representative and the identity to it', async () => {
    const c = firstClusters?.clusters.find((x) => x.size >= 2);
    assert.ok(c && c.memberIdentities);
    const hoverAt = async (line: number) =>
      ((await host.connection.sendRequest(HoverRequest.type, { textDocument: { uri: sampleUri }, position: { line, character: 0 } })) as Hover).contents as MarkupContent;
    assert.match((await hoverAt(c.memberLines[0] as number)).value, /Representative of its cluster/u);
    const member = (await hoverAt(c.memberLines[1] as number)).value;
    const m = /Representative: (\S+) \(line (\d+)\) · identity to representative (\d+\.\d\d) %/u.exec(member);
    assert.ok(m, member);
    assert.equal(m[1], c.members[0]);
    assert.equal(Number(m[2]), (c.memberLines[0] as number) + 1);
    assert.ok(Math.abs(Number(m[3]) - (c.memberIdentities[1] as number) * 100) <= 0.006, member);
  });

  void test('code lens "Find similar" over each record', async () => {
    const lenses = await host.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri: sampleUri } });
    assert.equal(lenses?.length, 276);
    const lens = lenses?.[1];
    assert.equal(lens?.command?.title, 'Find similar');
    assert.equal(lens?.command?.command, 'similarityLab.findSimilar');
    assert.deepEqual(lens?.command?.arguments, [sampleUri, { line: headers[1], character: 0 }]);
  });

  void test('findSimilar at a record: records of the same file by identity', async () => {
    const line = headers[10] as number;
    const result = await host.connection.sendRequest(FindSimilarRequest.type, { uri: sampleUri, position: { line: line + 1, character: 0 }, k: 5 });
    assert.equal(result.kind, 'records');
    assert.equal(result.items.length, 5);
    const scores = result.items.map((i) => i.score);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
    for (const item of result.items) {
      assert.equal(item.uri, sampleUri);
      assert.notEqual(item.recordId, result.query);
      assert.ok(item.range && headers.includes(item.range.start.line));
    }
  });

  void test('findSimilar on a whole file: the other dataset files by MinHash of their content', async () => {
    const result = await host.connection.sendRequest(FindSimilarRequest.type, { uri: sampleUri });
    assert.equal(result.kind, 'files');
    assert.deepEqual(result.items.map((i) => i.recordId), ['data/first-half.fasta', 'data/last-third.fa']);
    const [half, third] = result.items;
    assert.ok(half && third && half.score > third.score && third.score > 0, JSON.stringify(result.items));
    assert.ok(Math.abs(half.distance - (1 - half.score)) < 1e-9);
  });

  void test('bad input: an Error diagnostic at the parse error, and InvalidParams for bad params', async () => {
    const bad = path.join(workspace, 'data', 'broken.fasta');
    writeFileSync(bad, '>r1\nACGT\nACG7T\n');
    const uri = pathToFileURL(bad).href;
    const mark = host.mark();
    await host.openDocument(uri, 'fasta', '>r1\nACGT\nACG7T\n');
    const published = await host.waitForDiagnostics(uri, (p) => p.diagnostics.length > 0, { after: mark });
    const [err] = published.diagnostics;
    assert.equal(err?.severity, DiagnosticSeverity.Error);
    assert.deepEqual(err?.range.start, { line: 2, character: 3 });
    await assert.rejects(host.connection.sendRequest(FindSimilarRequest.type, { uri: 'untitled:x', k: 3 }), (e: unknown) => e instanceof ResponseError && e.code === -32602);
    await assert.rejects(host.connection.sendRequest(ClusterRequest.type, { uri: sampleUri, params: { threshold: 7 } }), (e: unknown) => e instanceof ResponseError && e.code === -32602);
  });

  void test('settings pulled per resource: severity per kind, a cap per file', async () => {
    const asked: unknown[] = [];
    host.handleServerRequest('workspace/configuration', (params) => {
      const items = (params as { items: { scopeUri?: string; section?: string }[] }).items;
      asked.push(...items);
      return items.map((item) => (item.section === 'similarityLab' ? { diagnostics: { maxPerFile: 10, clusterSeverity: 'warning', nearDuplicateSeverity: 'off' } } : {}));
    });
    try {
      await host.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
      const mark = host.mark();
      await host.connection.sendRequest(ClusterRequest.type, { uri: sampleUri });
      const published = await host.waitForDiagnostics(sampleUri, () => true, { after: mark });
      // The cap takes only cluster labels; outliers are all shown, and one note names the cut.
      const labels = published.diagnostics.filter((x) => x.code === 'cluster');
      assert.equal(labels.length, 10);
      assert.equal(published.diagnostics.filter((x) => x.code === 'outlier').length, firstClusters?.noise.length);
      assert.equal(published.diagnostics.filter((x) => x.code === 'cluster-labels-capped').length, 1);
      for (const d of labels) assert.equal(d.severity, DiagnosticSeverity.Warning);
      assert.ok(!published.diagnostics.some((d) => text(d).startsWith('near-duplicate')));
      assert.ok(asked.some((item) => (item as { scopeUri?: string }).scopeUri === sampleUri), 'settings asked for the file');
    } finally {
      host.handleServerRequest('workspace/configuration', (params) => ((params as { items?: unknown[] }).items ?? []).map(() => null));
      await host.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    }
  });

  void test('settings are cached per resource until workspace/didChangeConfiguration', async () => {
    let requests = 0;
    let clusterSeverity = 'warning';
    host.handleServerRequest('workspace/configuration', (params) => {
      requests++;
      const items = (params as { items: { section?: string }[] }).items;
      return items.map((item) => (item.section === 'similarityLab' ? { diagnostics: { clusterSeverity } } : {}));
    });
    const clusterSeverities = async (): Promise<(DiagnosticSeverity | undefined)[]> => {
      const mark = host.mark();
      await host.connection.sendRequest(ClusterRequest.type, { uri: sampleUri });
      const published = await host.waitForDiagnostics(sampleUri, () => true, { after: mark });
      return [...new Set(published.diagnostics.filter((d) => text(d).startsWith('cluster ')).map((d) => d.severity))];
    };
    try {
      await host.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
      assert.deepEqual(await clusterSeverities(), [DiagnosticSeverity.Warning]);
      const asked = requests;
      assert.ok(asked > 0, 'settings asked for after the change');
      clusterSeverity = 'error';
      // No notification: the cached settings, without a round trip to the client.
      assert.deepEqual(await clusterSeverities(), [DiagnosticSeverity.Warning]);
      assert.equal(requests, asked);
      await host.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
      assert.deepEqual(await clusterSeverities(), [DiagnosticSeverity.Error]);
      assert.ok(requests > asked, 'settings asked for again after the notification');
    } finally {
      host.handleServerRequest('workspace/configuration', (params) => ((params as { items?: unknown[] }).items ?? []).map(() => null));
      await host.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    }
  });

  void test('a client that allows it is asked to send workspace/didChangeConfiguration for our sections', async () => {
    const client = LspTestClient.start();
    const registered: unknown[] = [];
    client.handleServerRequest('client/registerCapability', (params) => {
      registered.push(...(params as { registrations: unknown[] }).registrations);
      return null;
    });
    try {
      const capabilities = { ...DEFAULT_CAPABILITIES, workspace: { ...DEFAULT_CAPABILITIES.workspace, didChangeConfiguration: { dynamicRegistration: true } } };
      await client.initialize(capabilities, { cacheDir, trusted: true }, [{ uri: pathToFileURL(workspace).href, name: 'workspace' }]);
      await client.connection.sendRequest(DatasetsRequest.type, {}); // the registration is sent after `initialized`
      const registration = registered.find((r) => (r as { method?: string }).method === DidChangeConfigurationNotification.method) as { registerOptions?: { section?: unknown } } | undefined;
      assert.ok(registration, `registrations: ${JSON.stringify(registered)}`);
      assert.deepEqual(registration.registerOptions?.section, ['similarityLab', 'files']);
    } finally {
      await client.dispose();
    }
  });

  void test('an untrusted workspace: the host reads no dataset files', async () => {
    const untrusted = LspTestClient.start();
    try {
      await untrusted.initialize(undefined, { cacheDir, trusted: false }, [{ uri: pathToFileURL(workspace).href, name: 'workspace' }]);
      assert.deepEqual((await untrusted.connection.sendRequest(DatasetsRequest.type, {})).datasets, []);
      await assert.rejects(untrusted.connection.sendRequest(ClusterRequest.type, { uri: sampleUri }), (e: unknown) => e instanceof ResponseError && /not trusted/u.test(e.message));
    } finally {
      await untrusted.dispose();
    }
  });

  void test('a long clustering can be cancelled; hovers are answered while it runs; the host stays responsive', async () => {
    const source = new CancellationTokenSource();
    const job = host.connection.sendRequest(ClusterRequest.type, { uri: bigUri }, source.token);
    let jobEnded = false;
    const cancelled = expectCancelled(job).finally(() => (jobEnded = true));
    // Sample while the pool works (sketching onwards). The reading stage parses the file in a
    // worker too, but hands its records back to the LSP thread, which can delay a message then.
    await host.waitForNotification(ServerStatusNotification.type, (s) => /^Clustering families.*(sketching|candidates|verifying)/u.test(s.message), { timeoutMs: 30_000 });
    const member = firstClusters?.clusters[0]?.memberLines[0] ?? 0;
    // The order of events, not their timing (latency is `npm run bench -- latency`): every hover
    // is answered while the job still runs. A hover that waited for the job would be answered
    // after the job's own answer (the job ends only by finishing: it is cancelled below).
    for (let i = 1; i <= 10; i++) {
      const hover = await host.connection.sendRequest(HoverRequest.type, { textDocument: { uri: sampleUri }, position: { line: member, character: 0 } });
      assert.ok(hover);
      assert.equal(jobEnded, false, `hover ${i} was answered only after the clustering job ended`);
    }
    // RequestCancelled, not clusters: the cancel was answered before the job finished.
    source.cancel();
    await cancelled;
    // The pool takes new work after the cancel (a hang here fails by the suite's timeout).
    const again = await host.connection.sendRequest(FindSimilarRequest.type, { uri: sampleUri, position: { line: 0, character: 0 }, k: 3 });
    assert.equal(again.items.length, 3);
    await host.waitForNotification(ServerStatusNotification.type, (s) => s.quiescent, { after: host.mark() - 1, timeoutMs: 10_000 });
  });

  void test('killed mid-job, a new host with the same cache gives the same clusters without re-sketching', async () => {
    const statusMark = host.mark();
    const job = host.connection.sendRequest(ClusterRequest.type, { uri: bigUri });
    job.catch(() => undefined); // the connection dies with the host
    await host.waitForNotification(ServerStatusNotification.type, (s) => !s.quiescent, { after: statusMark });
    await new Promise((r) => setTimeout(r, 500));
    host.process.kill('SIGKILL');
    const exit = await host.exited;
    assert.equal(exit.signal, 'SIGKILL');
    await host.dispose();

    host = await start();
    const result = await host.connection.sendRequest(ClusterRequest.type, { uri: sampleUri });
    assert.equal(result.stats.fromCache, true, 'index from the cache');
    assert.deepEqual(result.clusters.map((c) => c.members), firstClusters?.clusters.map((c) => c.members));
    assert.deepEqual(result.noise, firstClusters?.noise);
  });

  void test('a file rewritten while it is clustered is clustered again: the answer and the diagnostics are of the new content', async () => {
    const file = path.join(workspace, 'data', 'rewritten.fasta');
    const uri = pathToFileURL(file).href;
    writeFileSync(file, familiesFasta(4000, 1500, 11));
    const mark = host.mark();
    const job = host.connection.sendRequest(ClusterRequest.type, { uri });
    // Past the reading stage: the old content is in memory and being clustered.
    await host.waitForNotification(ServerStatusNotification.type, (s) => /^Clustering rewritten.*(sketching|candidates|verifying)/u.test(s.message), { after: mark, timeoutMs: 30_000 });
    writeFileSync(file, familiesFasta(300, 600, 12));
    await host.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri, type: FileChangeType.Changed }] });
    const result = await job;
    assert.equal(result.stats.records, 300, 'the answer is the clustering of the new content');
    // One diagnostic per record of the new content (no near-duplicates there), on its header line.
    const published = await host.waitForDiagnostics(uri, (p) => p.diagnostics.length > 0, { after: mark, timeoutMs: 30_000 });
    assert.deepEqual(
      published.diagnostics.map((d) => d.range.start.line),
      Array.from({ length: 300 }, (_, i) => 2 * i),
    );
    const inClusters = published.diagnostics.filter((d) => /^cluster \d+ · \d+ members$/u.test(text(d))).length;
    assert.equal(inClusters, 300 - result.stats.noise);
    assert.ok(result.stats.clusters > 0 && inClusters > 0, 'the families form clusters');
    const { datasets } = await host.connection.sendRequest(DatasetsRequest.type, {});
    assert.equal(datasets.find((d) => d.uri === uri)?.state, 'clustered');
  });

  void test('a changed file is re-indexed and re-clustered; only that file', async () => {
    const { datasets: before } = await host.connection.sendRequest(DatasetsRequest.type, {});
    const half = before.find((d) => d.uri.endsWith('first-half.fasta'));
    const firstRecord = text16S.slice(0, text16S.indexOf('\n>') + 1);
    const copy = firstRecord.replace(/^>(\S+)/u, '>copy-of-$1');
    writeFileSync(sampleFile, text16S + copy);
    const mark = host.mark();
    await host.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: sampleUri, type: FileChangeType.Changed }] });
    const published = await host.waitForDiagnostics(sampleUri, (p) => p.diagnostics.some((d) => text(d).startsWith('near-duplicate of copy-of-')), { after: mark, timeoutMs: 30_000 });
    assert.ok(published.diagnostics.some((d) => /^near-duplicate of copy-of-\S+ · 100\.0 % identity$/u.test(text(d))));
    const { datasets: after } = await host.connection.sendRequest(DatasetsRequest.type, {});
    const sample = after.find((d) => d.uri === sampleUri);
    assert.equal(sample?.records, 277);
    assert.equal(sample?.state, 'clustered');
    assert.deepEqual(after.find((d) => d.uri.endsWith('first-half.fasta')), half, 'the other files are untouched');
  });
});
