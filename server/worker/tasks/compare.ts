/**
 * Task `compare`: every asked (or applicable) measure between two values. Runs in a worker: two
 * 100 kB texts make the edit distances heavy.
 */
import type { Comparable, CompareRequest } from '../../protocol';
import { compareValues, MEASURES, parseComparable } from '../../engine/measures';
import { InvalidInputError } from '../errors';
import type { TaskContext } from '../taskContext';

/** Checks that an untrusted value is a well-formed `CompareRequest.Params`. */
export function readCompareParams(value: unknown): CompareRequest.Params {
  if (typeof value !== 'object' || value === null) throw new InvalidInputError('compare: the parameters must be an object { a, b, measures?, p? }.');
  const params = value as Record<string, unknown>;
  const a = readComparable(params.a, 'a');
  const b = readComparable(params.b, 'b');
  const result: CompareRequest.Params = { a, b };
  if (params.measures !== undefined && params.measures !== null) {
    if (!Array.isArray(params.measures) || !params.measures.every((m): m is string => typeof m === 'string')) {
      throw new InvalidInputError('compare: `measures` must be an array of measure names.');
    }
    result.measures = params.measures;
  }
  if (params.p !== undefined && params.p !== null) {
    if (typeof params.p !== 'number' || !Number.isFinite(params.p)) throw new InvalidInputError('compare: `p` must be a finite number.');
    result.p = params.p;
  }
  if (params.parseVectors !== undefined && params.parseVectors !== null) {
    if (typeof params.parseVectors !== 'boolean') throw new InvalidInputError('compare: `parseVectors` must be a boolean.');
    result.parseVectors = params.parseVectors;
  }
  return result;
}

function readComparable(value: unknown, name: string): Comparable {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const x: unknown = value[i];
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        throw new InvalidInputError(`compare: \`${name}\` must be a string or an array of finite numbers; element ${i} is ${JSON.stringify(x) ?? String(x)}.`);
      }
    }
    return value as number[];
  }
  throw new InvalidInputError(`compare: \`${name}\` must be a string or an array of numbers, not ${value === null ? 'null' : typeof value}.`);
}

/**
 * With `parseVectors`, two strings that both read as numeric lists ("1, 2, 3") are compared as
 * vectors; anything else stays text, so comparing "1,2" with "abc" still gives edit distances.
 */
export function interpretInputs(params: CompareRequest.Params): { a: string | number[]; b: string | number[] } {
  const { a, b } = params;
  if (!params.parseVectors || typeof a !== 'string' || typeof b !== 'string') return { a, b };
  const va = parseComparable(a);
  const vb = parseComparable(b);
  return Array.isArray(va) && Array.isArray(vb) ? { a: va, b: vb } : { a, b };
}

const ABOUT = new Map(MEASURES.map(({ name, sense, description }) => [name as string, { sense, description }]));

/**
 * `compareValues` as the host and the command line report it: each skipped measure's reason
 * without a repeated "name: " prefix, and what each named measure is (`about`).
 */
export function compareDescribed(a: string | number[], b: string | number[], measures?: string[], p?: number): CompareRequest.Result {
  const result = compareValues(a, b, measures, p === undefined ? {} : { p });
  const skipped = result.skipped.map(({ measure, reason }) => ({
    measure,
    reason: reason.startsWith(`${measure}: `) ? reason.slice(measure.length + 2) : reason,
  }));
  const about: CompareRequest.Result['about'] = {};
  for (const name of [...Object.keys(result.values), ...skipped.map((s) => s.measure)]) {
    const info = ABOUT.get(name);
    if (info) about[name] = info;
  }
  return { kind: result.kind, values: result.values, skipped, about };
}

export function compareTask(payload: CompareRequest.Params, ctx: TaskContext): CompareRequest.Result {
  // Typed, but it comes from an LSP client unchecked: the worker checks it before computing.
  const params = readCompareParams(payload);
  const { a, b } = interpretInputs(params);
  ctx.throwIfCancelled();
  return compareDescribed(a, b, params.measures, params.p);
}
