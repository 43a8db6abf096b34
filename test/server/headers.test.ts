/**
 * What a data scientist sees of a FASTA's headers, a table and a folder of images, over a real
 * stdio LSP connection to the built host (`node esbuild.mjs` first): the header's description
 * beside each id (hover, Find Similar, clusters, the Embedding Map) and a label read from it
 * (Colour by Label), one code lens per table, and an image folder listed before anything ran on it.
 * The FASTA is a real slice: records of the 16S sample, their headers written as NCBI does
 * (`>accession Genus species strain`).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CodeLensRequest, HoverRequest, type Hover, type MarkupContent } from 'vscode-languageserver-protocol/node';
import { ClusterRequest, DatasetsRequest, EmbeddingMapRequest, FindSimilarRequest } from '../../server/protocol';
import { LspTestClient } from './lspClient';
import { FIXTURES, namedFasta } from './namedFasta';

void describe('headers, tables and image folders in the editor (host over stdio)', { timeout: 180_000 }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'simlab-server-headers-'));
  const workspace = path.join(tmp, 'workspace');
  const fastaFile = path.join(workspace, 'data', 'named.fasta');
  const fastaUri = pathToFileURL(fastaFile).href;
  const csvFile = path.join(workspace, 'tables', 'iris.csv');
  const csvUri = pathToFileURL(csvFile).href;
  const images = path.join(workspace, 'images', 'fashion');
  const named = namedFasta();
  const headerLines = named.text.split('\n').flatMap((l, i) => (l.startsWith('>') ? [i] : []));
  const organismOf = new Map(named.ids.map((id, i) => [id, named.organisms[i]!]));
  let host: LspTestClient;

  before(async () => {
    mkdirSync(path.dirname(fastaFile), { recursive: true });
    mkdirSync(path.dirname(csvFile), { recursive: true });
    writeFileSync(fastaFile, named.text);
    cpSync(path.join(FIXTURES, 'tables', 'iris.csv'), csvFile);
    cpSync(path.join(FIXTURES, 'images', 'fashion'), images, { recursive: true });
    host = LspTestClient.start();
    await host.initialize(undefined, { cacheDir: path.join(tmp, 'cache'), trusted: true }, [{ uri: pathToFileURL(workspace).href, name: 'workspace' }]);
  });

  after(async () => {
    await host.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  void test('the fixture: 60+ records named `Genus species …`', () => {
    assert.ok(named.ids.length >= 60, `${named.ids.length} records`);
    assert.match(named.organisms[0]!, /^[A-Z][a-z]+ /u);
  });

  void test('an image folder in class folders is listed under Datasets before anything ran on it; its class folders are not', async () => {
    const { datasets } = await host.connection.sendRequest(DatasetsRequest.type, {});
    const rel = datasets.map((d) => path.relative(workspace, new URL(d.uri).pathname)).sort();
    assert.deepEqual(rel, ['data/named.fasta', 'images/fashion', 'tables/iris.csv']);
    const folder = datasets.find((d) => d.uri === pathToFileURL(images).href);
    assert.equal(folder?.folder, true);
    assert.equal(folder?.state, 'discovered');
  });

  void test('findSimilar on a FASTA record: the query and each item named by its header, with lengths', async () => {
    const at = 7;
    const result = await host.connection.sendRequest(FindSimilarRequest.type, { uri: fastaUri, position: { line: headerLines[at]! + 1, character: 0 }, k: 5 });
    assert.equal(result.query, named.ids[at]);
    assert.equal(result.queryDescription, named.organisms[at]);
    assert.equal(result.unit, 'bases');
    assert.ok(result.queryLength !== undefined && result.queryLength > 1000, `query length ${result.queryLength}`);
    assert.equal(result.items.length, 5);
    for (const item of result.items) {
      assert.equal(item.description, organismOf.get(item.recordId));
      assert.ok(item.length !== undefined && item.length > 1000);
    }
  });

  void test('hover on a FASTA record shows its description and its header label', async () => {
    const at = 3;
    const hover = (await host.connection.sendRequest(HoverRequest.type, { textDocument: { uri: fastaUri }, position: { line: headerLines[at]!, character: 2 } })) as Hover;
    const value = (hover.contents as MarkupContent).value;
    const first = value.split('\n')[0]!;
    const organism = named.organisms[at]!;
    const genus = organism.split(' ')[0]!;
    // The description as the header writes it (Markdown-escaped: `sp.` reads `sp\.`).
    assert.equal(first.replace(/\\(.)/gu, '$1'), `**${named.ids[at]}** · ${organism} · ${first.match(/ (\d+) bases/u)?.[1]} bases · label ${genus}`);
  });

  void test('cluster results carry each member’s description; the hover’s neighbours are named too', async () => {
    const result = await host.connection.sendRequest(ClusterRequest.type, { uri: fastaUri });
    const members = [...result.clusters.flatMap((c) => c.members.map((id, i) => [id, c.memberDescriptions?.[i]] as const)), ...result.noise.map((id, i) => [id, result.noiseDescriptions?.[i]] as const)];
    assert.equal(members.length, named.ids.length);
    for (const [id, description] of members) assert.equal(description, organismOf.get(id));
    const clustered = result.clusters[0]!;
    const line = clustered.memberLines[0]!;
    const hover = (await host.connection.sendRequest(HoverRequest.type, { textDocument: { uri: fastaUri }, position: { line, character: 0 } })) as Hover;
    const value = (hover.contents as MarkupContent).value.replace(/\\(.)/gu, '$1');
    const neighbour = value.split('\n').find((l) => l.startsWith('- '));
    assert.ok(neighbour, value);
    const id = neighbour.slice(2).split(' ')[0]!;
    assert.ok(neighbour.startsWith(`- ${id} ${organismOf.get(id)} — `), neighbour);
  });

  void test('code lens: one "Find similar rows…" on a table’s first line; one per record on a FASTA', async () => {
    const csvLenses = await host.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri: csvUri } });
    assert.equal(csvLenses?.length, 1);
    assert.deepEqual(csvLenses?.[0]?.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
    assert.deepEqual(csvLenses?.[0]?.command, { title: 'Find similar rows… (150 rows)', command: 'similarityLab.findSimilar', arguments: [csvUri] });
    const fastaLenses = await host.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri: fastaUri } });
    assert.equal(fastaLenses?.length, named.ids.length);
    assert.deepEqual(fastaLenses?.[2]?.command?.arguments, [fastaUri, { line: headerLines[2], character: 0 }]);
  });

  void test('embedding map of the FASTA: labels from the headers (Colour by Label) and descriptions for the hover card', async () => {
    const result = await host.connection.sendRequest(EmbeddingMapRequest.type, { uri: fastaUri });
    const { map } = result;
    assert.deepEqual(map.ids, named.ids);
    assert.deepEqual(map.labels, named.organisms.map((o) => o.split(' ')[0]));
    assert.deepEqual(map.descriptions, named.organisms);
    // The map's clusters in the Clusters view are named too (on a copy never clustered: a clustered
    // file keeps its clustering in that view).
    const copy = path.join(workspace, 'data', 'named-unclustered.fasta');
    writeFileSync(copy, named.text);
    const fresh = await host.connection.sendRequest(EmbeddingMapRequest.type, { uri: pathToFileURL(copy).href });
    const listed = [...(fresh.clustering?.clusters.flatMap((c) => c.memberDescriptions ?? []) ?? []), ...(fresh.clustering?.noiseDescriptions ?? [])];
    assert.deepEqual(listed.sort(), [...named.organisms].sort());
  });
});
