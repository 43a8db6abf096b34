/**
 * The command line keeps its contract on bad input (exit 2) and names every bad record of the
 * file at once, `FILE:LINE:COL: what` per line, instead of one per run (issue 14, item 5).
 * Runs the built CLI: `node esbuild.mjs` first.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from './runCli';

void describe('simlab on a file with several bad records', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'simlab-bad-records-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  void test('FASTA: exit 2, both bad records listed with file:line:col', async () => {
    const file = path.join(dir, 'two-bad.fasta');
    writeFileSync(file, '>a\nACGT\n>b\nAC7T\n>c\nACGT\n>d\nA!GT\n');
    const r = await runCli(['cluster', file, '--no-cache']);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^simlab cluster: ${file}:4:3: invalid character '7' in sequence \\(2 errors\\)\\n${file}:8:2: invalid character '!' in sequence\\n$`, 'u'));
  });

  void test('CSV: exit 2, the three bad rows listed', async () => {
    const file = path.join(dir, 'three.csv');
    writeFileSync(file, 'x,y\n1,2\n3,abc\n5,6\n7\n9,10\n,12\n13,14\n');
    const r = await runCli(['cluster', file, '--no-cache']);
    assert.equal(r.status, 2, r.stderr);
    const located = r.stderr.split('\n').filter((l) => l.includes(`${file}:`));
    assert.deepEqual(located.map((l) => /three\.csv:(\d+):(\d+)/u.exec(l)?.slice(1).join(':')), ['3:3', '5:2', '7:1']);
  });
});
