/**
 * `simlab compare <a> <b> [--measure NAME|all] [--p P] [--json]` and
 * `simlab compare --pairs FILE --measure NAME` (DESIGN.md, "Command line").
 */
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import readline from 'node:readline';
import { isMeasureName, MEASURE_NAMES, MEASURES, parseComparable } from '../engine/measures';
import { compareDescribed } from '../worker/tasks/compare';
import type { CompareRequest } from '../protocol';
import { defineCommand, type CliIO } from './command';
import { InputError, UsageError } from './errors';
import { formatNumber } from './format';

export default defineCommand({
  name: 'compare',
  summary: 'Distance and similarity measures between two values',
  usage: ['compare <a> <b> [--measure NAME|all] [--p P] [--json]', 'compare --pairs FILE --measure NAME'],
  details: [
    'A value is a string, or a numeric vector written "1,2,3" (commas or spaces). Both values must be',
    'of the same kind. Without --measure, every measure that applies to them is computed.',
    '',
    'Output: one `name<TAB>value` line per measure; the value alone when one measure is asked for;',
    'with --json, one object from measure name to value. Integers print as integers, other values',
    'with up to 6 decimals (JSON keeps full precision).',
    '',
    'With --pairs, FILE holds one `a<TAB>b` pair per line; one value is printed per line, in order.',
    'A malformed line stops the run with FILE:LINE and exit code 2.',
    '',
    'Measures (distance: 0 = identical; similarity: larger = closer; correlation: -1 to 1):',
    measureTable(),
  ].join('\n'),
  options: {
    measure: { type: 'string', valueName: 'NAME|all', description: 'Measure to compute (comma-separated for several); default all' },
    p: { type: 'number', valueName: 'P', description: 'Order of the Minkowski distance (default 2)' },
    json: { type: 'boolean', description: 'Print one JSON object from measure name to value' },
    pairs: { type: 'string', valueName: 'FILE', description: 'Compare each `a<TAB>b` line of FILE' },
  },
  async run({ options, positionals }, io) {
    const measures = measureList(options.measure);
    const unknown = measures?.filter((name) => !isMeasureName(name)) ?? [];
    if (unknown.length > 0) throw new UsageError(`unknown measure ${unknown.map((n) => `'${n}'`).join(', ')}; valid names: ${MEASURE_NAMES.join(', ')}`);

    if (options.pairs !== undefined) {
      if (positionals.length > 0) throw new UsageError('with --pairs, give no <a> <b> values');
      if (measures?.length !== 1) throw new UsageError('--pairs needs exactly one --measure NAME');
      if (options.json) throw new UsageError('--json is not available with --pairs (it prints one value per line)');
      await comparePairs(options.pairs, measures[0] as string, options.p, io);
      return;
    }

    if (positionals.length !== 2) {
      throw new UsageError(`compare needs two values <a> <b>${positionals.length ? `, got ${positionals.length}` : ''}`);
    }
    const [a, b] = positionals as [string, string];
    const result = compareDescribed(parseComparable(a), parseComparable(b), measures, options.p);
    for (const { measure, reason } of result.skipped) {
      // Asked for by name: an error. Part of "all": a note, so a missing line is never a mystery.
      if (measures) throw new InputError(`${measure} cannot be computed here: ${reason}`);
      io.stderr.write(`note: ${measure} not computed: ${reason}\n`);
    }
    io.stdout.write(`${formatResult(result.values, measures, options.json === true)}\n`);
  },
});

function measureTable(): string {
  const width = Math.max(...MEASURES.map((m) => m.name.length));
  return MEASURES.map((m) => `  ${m.name.padEnd(width)}  ${m.sense.padEnd(11)}  ${m.description}`).join('\n');
}

/** `undefined` means every applicable measure. */
function measureList(option: string | undefined): string[] | undefined {
  if (option === undefined || option.trim() === 'all') return undefined;
  const names = option
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) throw new UsageError('--measure needs a measure name');
  if (names.includes('all')) throw new UsageError("--measure all cannot be combined with other measures");
  return names;
}

function formatResult(values: Record<string, number>, asked: string[] | undefined, json: boolean): string {
  if (json) return JSON.stringify(values);
  const entries = Object.entries(values);
  if (asked?.length === 1 && entries.length === 1) return formatNumber(entries[0]![1]);
  return entries.map(([name, value]) => `${name}\t${formatNumber(value)}`).join('\n');
}

/** Streams FILE line by line; output is written as it goes, in input order. */
async function comparePairs(file: string, measure: string, p: number | undefined, io: CliIO): Promise<void> {
  const handle = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new InputError(`${file}: cannot read (${err.code ?? err.message})`);
  });
  const lines = readline.createInterface({ input: handle.createReadStream({ encoding: 'utf8' }), crlfDelay: Infinity });
  const out = new BufferedWriter(io.stdout);
  let lineNumber = 0;
  try {
    for await (const rawLine of lines) {
      lineNumber++;
      const line = lineNumber === 1 ? rawLine.replace(/^\uFEFF/, '') : rawLine;
      await out.write(`${formatNumber(comparePair(line, `${file}:${lineNumber}`, measure, p))}\n`);
    }
  } catch (err) {
    // A read error (EISDIR, EIO) surfaces from the line iterator.
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && !(err instanceof InputError)) throw new InputError(`${file}: cannot read (${code})`);
    throw err;
  } finally {
    // What was computed before a bad line is still printed.
    await out.flush();
    lines.close();
    await handle.close();
  }
}

/** One `a<TAB>b` line → the measure's value; `at` ("FILE:LINE") prefixes every complaint. */
function comparePair(line: string, at: string, measure: string, p: number | undefined): number {
  const fields = line.split('\t');
  if (fields.length !== 2) {
    throw new InputError(`${at}: expected two values separated by one tab, found ${fields.length === 1 ? 'no tab' : `${fields.length - 1} tabs`}`);
  }
  let result: CompareRequest.Result;
  try {
    result = compareDescribed(parseComparable(fields[0]!), parseComparable(fields[1]!), [measure], p);
  } catch (err) {
    if (err instanceof Error && err.name === 'MeasureError') throw new InputError(`${at}: ${err.message}`);
    throw err;
  }
  const skipped = result.skipped[0];
  if (skipped) throw new InputError(`${at}: ${measure} cannot be computed: ${skipped.reason}`);
  const value = result.values[measure];
  if (value === undefined) throw new Error(`${at}: ${measure} gave no value`);
  return value;
}

/** Collects small writes into ~64 kB chunks and waits when the stream is full. */
class BufferedWriter {
  private pending = '';
  constructor(private readonly stream: NodeJS.WritableStream) {}

  async write(text: string): Promise<void> {
    this.pending += text;
    if (this.pending.length >= 65536) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.pending) return;
    const chunk = this.pending;
    this.pending = '';
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }
}
