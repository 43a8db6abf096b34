/**
 * One bad record does not disable a file (issue 14, item 5), over a real stdio LSP connection:
 * a FASTA with a bad byte at line 92 and a header without a sequence gets all its diagnostics in
 * one publication (an Error at 92:3, a Warning at the empty header), and its valid records keep
 * their hovers and code lenses; a CSV with three bad rows gets three Errors at once.
 * Needs `node esbuild.mjs` first.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CodeLensRequest, DiagnosticSeverity, HoverRequest, type Hover, type MarkupContent } from 'vscode-languageserver-protocol/node';
import { LspTestClient } from './lspClient';

/** 100 records r0…r99 (two lines each; r45's sequence, line 92, has 'é' in Latin-1 at column 3), then an empty record. */
function brokenFasta(): Buffer {
  let text = '';
  for (let i = 0; i < 100; i++) text += `>r${i} sample\n${i === 45 ? 'AC\u00e9GTACGT' : 'ACGTACGTAC'.repeat(3)}\n`;
  text += '>empty header without a sequence\n';
  return Buffer.from(text, 'latin1');
}

void describe('read problems in the editor (host over stdio)', { timeout: 120_000 }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'simlab-problems-'));
  const workspace = path.join(tmp, 'workspace');
  let host: LspTestClient;

  before(async () => {
    mkdirSync(workspace, { recursive: true });
    host = LspTestClient.start();
    await host.initialize(undefined, { cacheDir: path.join(tmp, 'cache'), trusted: true }, [{ uri: pathToFileURL(workspace).href, name: 'workspace' }]);
  });

  after(async () => {
    await host.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  void test('a FASTA with a bad byte at line 92: every problem at once, the valid records usable', async () => {
    const file = path.join(workspace, 'broken.fasta');
    const bytes = brokenFasta();
    writeFileSync(file, bytes);
    const uri = pathToFileURL(file).href;
    const mark = host.mark();
    await host.openDocument(uri, 'fasta', bytes.toString('latin1'));
    const published = await host.waitForDiagnostics(uri, (p) => p.diagnostics.length > 0, { after: mark, timeoutMs: 30_000 });
    const got = published.diagnostics.map((d) => [d.severity, d.range.start.line, d.range.start.character, d.message]);
    assert.deepEqual(got, [
      [DiagnosticSeverity.Error, 91, 2, 'invalid character byte 0xe9 in sequence'],
      [DiagnosticSeverity.Warning, 200, 0, "record 'empty' has an empty sequence"],
    ]);
    const hover = (await host.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 93, character: 1 } })) as Hover | null;
    assert.ok(hover, 'a hover on r46, the record after the bad one');
    assert.match((hover.contents as MarkupContent).value, /^\*\*r46\*\* · sample · 30 bases/u); // `>r46 sample`: its description
    const lenses = await host.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
    assert.equal(lenses?.length, 100, 'one lens per record read: 99 valid ones and the empty one');
    assert.ok(!lenses.some((l) => l.range.start.line === 90), 'no lens on the skipped record');
  });

  void test('a CSV with three bad rows: three Errors in one publication', async () => {
    const file = path.join(workspace, 'three.csv');
    const text = 'x,y\n1,2\n3,abc\n5,6\n7\n9,10\n,12\n13,14\n';
    writeFileSync(file, text);
    const uri = pathToFileURL(file).href;
    const mark = host.mark();
    await host.openDocument(uri, 'csv', text);
    const published = await host.waitForDiagnostics(uri, (p) => p.diagnostics.length > 0, { after: mark, timeoutMs: 30_000 });
    assert.deepEqual(
      published.diagnostics.map((d) => [d.severity, d.range.start.line]),
      [
        [DiagnosticSeverity.Error, 2],
        [DiagnosticSeverity.Error, 4],
        [DiagnosticSeverity.Error, 6],
      ],
    );
  });
});
