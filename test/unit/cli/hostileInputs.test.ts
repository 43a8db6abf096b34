/**
 * `simlab` on inputs that used to hang it or answer with a misleading message: a FIFO and
 * `/dev/zero` as the dataset. The built dist/cli.js in a child process (`node esbuild.mjs` first);
 * a hang fails by the child's kill timeout (exit status null), not by a clock assertion.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from './runCli';

let dir: string;

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'simlab-cli-hostile-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

void describe('simlab on hostile inputs', () => {
  void test('a FIFO, /dev/zero and /dev/urandom are refused up front with exit 2, naming the file', async () => {
    const fifo = path.join(dir, 'reads.fasta');
    execFileSync('mkfifo', [fifo]);
    for (const [file, what] of [
      [fifo, /named pipe/],
      ['/dev/zero', /character device/],
      ['/dev/urandom', /character device/],
    ] as const) {
      const run = await runCli(['cluster', file, '--no-cache'], { timeoutMs: 30_000 });
      assert.equal(run.status, 2, `exit status for ${file} (stderr: ${run.stderr})`);
      assert.ok(run.stderr.includes(file), `names ${file}: ${run.stderr}`);
      assert.match(run.stderr, what);
    }
  });
});

void describe('simlab compare on inputs too long for a quadratic measure', () => {
  void test('--measure damerau on two 100 kB strings exits 2 at once, saying the input is too long', async () => {
    // A plain O(n·m) programme on 10¹⁰ cells ran for minutes; the kill timeout fails a hang.
    const a = 'ab'.repeat(50_000);
    const b = 'ba'.repeat(50_000);
    const run = await runCli(['compare', '--measure', 'damerau', a, b], { timeoutMs: 30_000 });
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /damerau cannot be computed here: inputs too long for a quadratic measure: 100000 × 100000 symbols/);
    assert.equal(run.stdout, '');
  });
});
