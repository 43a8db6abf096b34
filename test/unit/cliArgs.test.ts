/** The flag parser of `simlab` and its number formatting. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeOptions, parseArgs } from '../../server/cli/args';
import { UsageError } from '../../server/cli/errors';
import { formatNumber } from '../../server/cli/format';

const specs = {
  measure: { type: 'string', valueName: 'NAME', description: 'measure' },
  p: { type: 'number', description: 'order' },
  json: { type: 'boolean', description: 'json' },
  k: { type: 'number', short: 'k', description: 'neighbours' },
  labels: { type: 'string', multiple: true, description: 'labels' },
} as const;

void describe('parseArgs', () => {
  void test('--name value, --name=value, switches, short options, positionals', () => {
    const { options, positionals } = parseArgs(['a', '--measure', 'jaro', '--p=3', '--json', '-k', '10', 'b'], specs);
    assert.deepEqual(options, { measure: 'jaro', p: 3, json: true, k: 10 });
    assert.deepEqual(positionals, ['a', 'b']);
  });

  void test('negative numbers and "-" are values; "--" ends the options', () => {
    assert.deepEqual(parseArgs(['-1,2', '-.5', '-', '--p', '-2'], specs), { options: { p: -2 }, positionals: ['-1,2', '-.5', '-'] });
    assert.deepEqual(parseArgs(['--', '--json', 'x'], specs).positionals, ['--json', 'x']);
  });

  void test('--no-switch and --switch=false turn a switch off; repeated multiple options collect', () => {
    assert.deepEqual(parseArgs(['--json', '--no-json'], specs).options, { json: false });
    assert.deepEqual(parseArgs(['--json=false'], specs).options, { json: false });
    assert.deepEqual(parseArgs(['--labels', 'a.txt', '--labels=b.txt'], specs).options, { labels: ['a.txt', 'b.txt'] });
  });

  void test('mistakes are UsageErrors that say what is wrong', () => {
    assert.throws(() => parseArgs(['--bogus'], specs), { name: 'UsageError', message: 'unknown option --bogus' });
    assert.throws(() => parseArgs(['-x'], specs), { name: 'UsageError', message: 'unknown option -x' });
    assert.throws(() => parseArgs(['--measure'], specs), { name: 'UsageError', message: '--measure needs a value (NAME)' });
    assert.throws(() => parseArgs(['--p', 'two'], specs), { name: 'UsageError', message: "--p expects a number, not 'two'" });
    assert.throws(() => parseArgs(['--p='], specs), UsageError);
    assert.throws(() => parseArgs(['--json=yes'], specs), UsageError);
    assert.throws(() => parseArgs(['--toString'], specs), UsageError, 'inherited object keys are not options');
  });

  void test('the options block lists every option and --help', () => {
    const text = describeOptions(specs);
    for (const flag of ['--measure NAME', '--p N', '--json', '-k, --k N', '-h, --help']) assert.ok(text.includes(flag), flag);
  });
});

void describe('formatNumber', () => {
  void test('integers as integers, others to 6 decimals with trailing zeros trimmed', () => {
    assert.equal(formatNumber(3), '3');
    assert.equal(formatNumber(-0), '0');
    assert.equal(formatNumber(0.5), '0.5');
    assert.equal(formatNumber(2 / 3), '0.666667');
    assert.equal(formatNumber(Math.sqrt(27)), '5.196152');
    assert.equal(formatNumber(100.0000001), '100');
    assert.equal(formatNumber(-1.25), '-1.25');
    assert.equal(formatNumber(1e21), '1e+21');
  });

  void test('tiny values keep 6 significant digits instead of printing 0', () => {
    assert.equal(formatNumber(1.234567891e-9), '1.23457e-9');
    assert.equal(formatNumber(-2e-8), '-2e-8');
    assert.equal(formatNumber(0.0000012345), '0.000001');
  });

  void test('non-finite values by name', () => {
    assert.equal(formatNumber(NaN), 'NaN');
    assert.equal(formatNumber(-Infinity), '-Infinity');
  });
});
