/**
 * What a data scientist sees in the editor after clustering, over a real stdio LSP connection to
 * the built host (issue 14): on a file of a few thousand records with near-duplicates all through
 * it, a small `diagnostics.maxPerFile` caps only the cluster labels, every near-duplicate warning
 * and every outlier is published, and one Information on the first line says how many labels were
 * shown; an Embedding Map of a clustered file leaves the clustering's diagnostics in place (the
 * map's clusters are in the hover); outliers are Information by default, so they reach Problems.
 * The big file is built from the committed 16S fixture: seeded copies with a few substitutions.
 * Needs `node esbuild.mjs` first.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { DiagnosticSeverity, HoverRequest, type Diagnostic, type Hover, type MarkupContent } from 'vscode-languageserver-protocol/node';
import { ClusterRequest, EmbeddingMapRequest } from '../../server/protocol';
import { grow16S } from '../helpers/grow16S';
import { LspTestClient } from './lspClient';

const FIXTURE = path.resolve(__dirname, '../fixtures/dna/16S-sample.fasta');
/** Small enough that the file's near-duplicates and outliers lie far past it. */
const MAX_LABELS = 40;

function text(d: Diagnostic): string {
  return typeof d.message === 'string' ? d.message : d.message.value;
}

void describe('diagnostics a data scientist sees (host over stdio)', { timeout: 300_000 }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'simlab-server-diagnostics-'));
  const workspace = path.join(tmp, 'workspace');
  const bigFile = path.join(workspace, 'data', '16S-grown.fasta');
  const sampleFile = path.join(workspace, 'data', '16S-sample.fasta');
  const bigUri = pathToFileURL(bigFile).href;
  const sampleUri = pathToFileURL(sampleFile).href;
  const sample = readFileSync(FIXTURE, 'utf8');
  const big = grow16S(sample);
  let host: LspTestClient;

  before(async () => {
    mkdirSync(path.dirname(bigFile), { recursive: true });
    writeFileSync(bigFile, big.text);
    copyFileSync(FIXTURE, sampleFile);
    host = LspTestClient.start();
    // Only the cap is set; every severity keeps its default.
    host.handleServerRequest('workspace/configuration', (params) =>
      (params as { items: { section?: string }[] }).items.map((item) => (item.section === 'similarityLab' ? { diagnostics: { maxPerFile: MAX_LABELS } } : {})),
    );
    await host.initialize(undefined, { cacheDir: path.join(tmp, 'cache'), trusted: true }, [{ uri: pathToFileURL(workspace).href, name: 'workspace' }]);
  });

  after(async () => {
    await host.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  void test('a capped file: every near-duplicate and outlier published, cluster labels capped and the cut named', async () => {
    await host.openDocument(bigUri, 'fasta', big.text);
    const mark = host.mark();
    const result = await host.connection.sendRequest(ClusterRequest.type, { uri: bigUri });
    assert.equal(result.stats.records, 276 + 184 * 11);
    const members = result.clusters.reduce((s, c) => s + c.size, 0);
    assert.ok(members > MAX_LABELS && result.noise.length > 0, `members ${members}, noise ${result.noise.length}`);
    const { diagnostics } = await host.waitForDiagnostics(bigUri, (p) => p.diagnostics.length > 0, { after: mark, timeoutMs: 60_000 });
    const byCode = (code: string) => diagnostics.filter((d) => d.code === code);

    // Every planted near-duplicate and the record it copies carry the warning, wherever they are in the file.
    const warned = new Set(byCode('near-duplicate').map((d) => d.range.start.line));
    for (const line of [...big.copyLines, ...big.originalLines]) assert.ok(warned.has(line), `near-duplicate warning on line ${line + 1}`);
    assert.ok(Math.max(...warned) > big.text.split('\n').length * 0.9, 'warnings reach the end of the file');
    for (const d of byCode('near-duplicate')) assert.equal(d.severity, DiagnosticSeverity.Warning);

    // Every outlier, Information by default (so it is listed in Problems).
    const outliers = byCode('outlier');
    assert.deepEqual(outliers.map((d) => d.range.start.line).sort((a, b) => a - b), [...result.noiseLines].sort((a, b) => a - b));
    for (const d of outliers) assert.equal(d.severity, DiagnosticSeverity.Information);

    // Cluster labels: the first MAX_LABELS members of the file, and one note naming the cut and the setting.
    const memberLines = result.clusters.flatMap((c) => c.memberLines).sort((a, b) => a - b);
    assert.deepEqual(byCode('cluster').map((d) => d.range.start.line), memberLines.slice(0, MAX_LABELS));
    const notes = byCode('cluster-labels-capped');
    assert.equal(notes.length, 1);
    const [note] = notes as [Diagnostic];
    assert.equal(note.severity, DiagnosticSeverity.Information);
    assert.equal(note.range.start.line, 0);
    assert.equal(
      text(note),
      `cluster labels shown for the first ${MAX_LABELS} of ${members.toLocaleString('en-US')} records in clusters — setting similarityLab.diagnostics.maxPerFile (near-duplicates and outliers are all shown)`,
    );
    assert.equal(note.relatedInformation?.[0]?.location.range.start.line, memberLines[MAX_LABELS], 'links the first record without its label');
    assert.equal(diagnostics.length, warned.size + outliers.length + MAX_LABELS + 1, 'nothing else');
    // Warnings first (VS Code draws squiggles and marker hovers for a file's first 500 only), each severity in file order.
    const severities = diagnostics.map((d) => d.severity ?? 0);
    assert.deepEqual(severities, [...severities].sort((a, b) => a - b), 'most severe first');
    const warnings = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Warning).map((d) => d.range.start.line);
    assert.deepEqual(warnings, [...warnings].sort((a, b) => a - b), 'warnings in file order');
  });

  void test('an Embedding Map of a clustered file keeps the clustering\'s diagnostics; the map is in the hover', async () => {
    await host.openDocument(sampleUri, 'fasta', sample);
    const clustered = host.mark();
    const result = await host.connection.sendRequest(ClusterRequest.type, { uri: sampleUri });
    const before = await host.waitForDiagnostics(sampleUri, (p) => p.diagnostics.length > 0, { after: clustered });
    assert.ok(before.diagnostics.some((d) => d.code === 'near-duplicate'), 'the sample has near-duplicates');
    assert.ok(result.noise.length < MAX_LABELS, 'the sample is not capped: its outliers are all shown anyway');
    // Outliers reach the Problems list by default (Hints never do).
    const outliers = before.diagnostics.filter((d) => d.code === 'outlier');
    assert.equal(outliers.length, result.noise.length);
    for (const d of outliers) assert.equal(d.severity, DiagnosticSeverity.Information);

    const mapped = host.mark();
    const map = await host.connection.sendRequest(EmbeddingMapRequest.type, { uri: sampleUri });
    assert.equal(map.map.ids.length, 276);
    assert.equal(map.clustering, undefined, 'the Clusters view keeps the clustering: the map sends none of its own');
    // The map's results are published again: the same diagnostics, none of the map's.
    const after = await host.waitForDiagnostics(sampleUri, () => true, { after: mapped, timeoutMs: 30_000 });
    const shape = (ds: Diagnostic[]) => ds.map((d) => `${d.range.start.line} ${String(d.code)} ${d.severity} ${text(d)}`).sort();
    assert.deepEqual(shape(after.diagnostics), shape(before.diagnostics));
    assert.ok(after.diagnostics.every((d) => d.code !== 'map-cluster' && d.code !== 'map-outlier'));

    // The hover shows both layers: the record's cluster and its cluster on the map.
    const member = result.clusters[0]?.memberLines[0];
    assert.ok(member !== undefined);
    const hover = (await host.connection.sendRequest(HoverRequest.type, { textDocument: { uri: sampleUri }, position: { line: member, character: 1 } })) as Hover;
    const value = (hover.contents as MarkupContent).value;
    assert.match(value, /Cluster \d+ · \d+ members/u);
    assert.match(value, /Embedding map: (cluster \d+ · \d+ members|outlier \(noise\))/u);

    // Clustering again keeps the map's layer for the hover.
    await host.connection.sendRequest(ClusterRequest.type, { uri: sampleUri });
    const again = (await host.connection.sendRequest(HoverRequest.type, { textDocument: { uri: sampleUri }, position: { line: member, character: 1 } })) as Hover;
    assert.match((again.contents as MarkupContent).value, /Embedding map: /u);
  });
});
