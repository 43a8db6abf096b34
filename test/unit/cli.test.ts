/**
 * `simlab compare` as a user runs it: the built dist/cli.js in a child process (needs
 * `npm run build` first). Output format and exit codes follow DESIGN.md, "Command line".
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

const CLI = path.resolve(__dirname, '../../dist/cli.js');

function simlab(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'simlab-cli-test-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

void describe('simlab compare <a> <b>', () => {
  void test('one measure prints the value alone', () => {
    const r = simlab('compare', 'kitten', 'sitting', '--measure', 'levenshtein');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '3\n');
  });

  void test('--measure=NAME works as well', () => {
    assert.equal(simlab('compare', 'flaw', 'lawn', '--measure=levenshtein').stdout, '2\n');
  });

  void test('every applicable measure, one name<TAB>value line each', () => {
    const r = simlab('compare', 'kitten', 'sitting');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.ok(lines.length > 1);
    for (const line of lines) assert.match(line, /^[a-z-]+\t(-?\d+(\.\d+)?(e-?\d+)?|NaN|-?Infinity)$/);
    assert.ok(lines.includes('levenshtein\t3'));
  });

  void test('--json prints one object from measure name to value, the same measures as the text form', () => {
    const r = simlab('compare', 'kitten', 'sitting', '--json');
    assert.equal(r.status, 0, r.stderr);
    const values = JSON.parse(r.stdout) as Record<string, number>;
    assert.equal(values.levenshtein, 3);
    const textNames = simlab('compare', 'kitten', 'sitting')
      .stdout.trimEnd()
      .split('\n')
      .map((line) => line.split('\t')[0]);
    assert.deepEqual(Object.keys(values), textNames);
  });

  void test('numeric vectors, with integers printed as integers and other values with up to 6 decimals', () => {
    assert.equal(simlab('compare', '1,2,3', '4,5,6', '--measure', 'manhattan').stdout, '9\n');
    assert.equal(simlab('compare', '1,2,3', '4,5,6', '--measure', 'euclidean').stdout, '5.196152\n');
    assert.equal(simlab('compare', '0,0', '3,4', '--measure', 'euclidean').stdout, '5\n');
    assert.equal(simlab('compare', '1,2,3', '4,5,6', '--measure', 'minkowski', '--p', '1').stdout, '9\n');
  });

  void test('a vector may start with a minus sign', () => {
    const r = simlab('compare', '-3,0', '0,-4', '--measure', 'euclidean');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '5\n');
  });

  void test('--json on vectors', () => {
    const r = simlab('compare', '1,2,3', '2,2,5', '--measure', 'all', '--json');
    assert.equal(r.status, 0, r.stderr);
    const values = JSON.parse(r.stdout) as Record<string, number>;
    assert.equal(values.manhattan, 3);
    assert.ok(Math.abs((values.pearson ?? NaN) - Math.sqrt(3) / 2) < 1e-12, 'JSON keeps full precision');
    assert.equal(values.jaro, undefined, 'string-only measures do not apply to vectors');
  });

  void test('several measures, comma-separated', () => {
    const r = simlab('compare', 'kitten', 'sitting', '--measure', 'levenshtein,hamming', '--json');
    // hamming needs equal lengths: asked for by name, it is an error.
    assert.equal(r.status, 2);
    assert.match(r.stderr, /hamming/);
    const ok = simlab('compare', 'karolin', 'kathrin', '--measure', 'levenshtein,hamming', '--json');
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), { levenshtein: 3, hamming: 3 });
  });

  void test('an unknown measure is exit 2 naming it', () => {
    const r = simlab('compare', 'kitten', 'sitting', '--measure', 'no-such-measure');
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /no-such-measure/);
  });

  void test('a string against a vector is bad input (exit 2)', () => {
    const r = simlab('compare', 'kitten', '1,2,3');
    assert.equal(r.status, 2);
    assert.notEqual(r.stderr, '');
  });

  void test('bad usage is exit 2 with the usage', () => {
    for (const args of [['compare', 'kitten'], ['compare', 'a', 'b', '--bogus'], ['compare', 'a', 'b', '--p', 'x'], ['compare', 'a', 'b', '--measure']]) {
      const r = simlab(...args);
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr, /Usage:\n {2}simlab compare/, args.join(' '));
    }
    const none = simlab();
    assert.equal(none.status, 2);
    assert.match(none.stderr, /Commands:/);
    const unknown = simlab('frobnicate');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  });
});

void describe('simlab compare --pairs', () => {
  void test('one value per line, in input order (CRLF and a BOM are fine)', () => {
    const pairs = file('pairs.tsv', '\uFEFFkitten\tsitting\r\nflaw\tlawn\r\nsame\tsame\n');
    const r = simlab('compare', '--pairs', pairs, '--measure', 'levenshtein');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '3\n2\n0\n');
  });

  void test('vector pairs', () => {
    const pairs = file('vectors.tsv', '0,0\t3,4\n1,1\t1,1\n');
    const r = simlab('compare', '--pairs', pairs, '--measure', 'euclidean');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '5\n0\n');
  });

  void test('a line without a tab stops with FILE:LINE and exit 2, keeping the values before it', () => {
    const pairs = file('bad.tsv', 'kitten\tsitting\nno tab here\nflaw\tlawn\n');
    const r = simlab('compare', '--pairs', pairs, '--measure', 'levenshtein');
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '3\n');
    assert.match(r.stderr, new RegExp(`${pairs.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: .*tab`));
  });

  void test('a pair the measure does not apply to names its line', () => {
    const pairs = file('unequal.tsv', 'abc\tabd\nab\tabc\n');
    const r = simlab('compare', '--pairs', pairs, '--measure', 'hamming');
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '1\n');
    assert.match(r.stderr, /unequal\.tsv:2: /);
  });

  void test('an unknown measure or a missing file is exit 2', () => {
    const pairs = file('ok.tsv', 'a\tb\n');
    const unknown = simlab('compare', '--pairs', pairs, '--measure', 'no-such-measure');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /no-such-measure/);
    const missing = simlab('compare', '--pairs', path.join(dir, 'missing.tsv'), '--measure', 'levenshtein');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /missing\.tsv/);
  });

  void test('--pairs needs exactly one measure and no positional values', () => {
    const pairs = file('ok2.tsv', 'a\tb\n');
    assert.equal(simlab('compare', '--pairs', pairs).status, 2);
    assert.equal(simlab('compare', '--pairs', pairs, '--measure', 'all').status, 2);
    assert.equal(simlab('compare', 'x', 'y', '--pairs', pairs, '--measure', 'levenshtein').status, 2);
  });
});

void describe('simlab help', () => {
  void test('--help, help and help compare print usage and exit 0', () => {
    for (const args of [['--help'], ['help'], ['-h']]) {
      const r = simlab(...args);
      assert.equal(r.status, 0);
      assert.match(r.stdout, /Usage: simlab <command>/);
      assert.match(r.stdout, /compare/);
    }
    for (const args of [['help', 'compare'], ['compare', '--help']]) {
      const r = simlab(...args);
      assert.equal(r.status, 0);
      assert.match(r.stdout, /simlab compare <a> <b> \[--measure NAME\|all\] \[--p P\] \[--json\]/);
      assert.match(r.stdout, /simlab compare --pairs FILE --measure NAME/);
      assert.match(r.stdout, /--json/);
    }
  });
});
