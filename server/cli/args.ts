/**
 * Command-line flags: `--name value`, `--name=value`, `-n value`, booleans (`--json`, `--no-json`),
 * positionals, and `--` to end the options. Each command declares its options; anything else is a
 * UsageError (exit 2 with the command's usage).
 */
import { UsageError } from './errors';

export type OptionType = 'string' | 'number' | 'boolean';

export interface OptionSpec {
  type: OptionType;
  /** One-letter alias: `-k 10`. */
  short?: string;
  /** Shown in the help: `--measure NAME|all`. */
  valueName?: string;
  description: string;
  /** May be given more than once; the values are collected in order. */
  multiple?: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean' ? boolean : S['type'] extends 'number' ? number : string;

/** The parsed options of a spec: each absent, one value, or (for `multiple`) the list of values. */
export type ParsedOptions<S extends OptionSpecs> = {
  -readonly [K in keyof S]?: S[K]['multiple'] extends true ? ValueOf<S[K]>[] : ValueOf<S[K]>;
};

export interface ParsedArgs<S extends OptionSpecs> {
  options: ParsedOptions<S>;
  positionals: string[];
}

/** `-3`, `-0.5`, `-1,2,3`: values (a vector may start with a minus), not options. */
const NEGATIVE_NUMBER = /^-\.?\d/;

export function parseArgs<S extends OptionSpecs>(argv: readonly string[], specs: S): ParsedArgs<S> {
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) if (spec.short) byShort.set(spec.short, name);

  const options: Record<string, unknown> = {};
  const positionals: string[] = [];

  const set = (name: string, spec: OptionSpec, raw: string | boolean, flag: string) => {
    const value = typeof raw === 'boolean' ? raw : convert(raw, spec, flag);
    if (spec.multiple) ((options[name] ??= []) as unknown[]).push(value);
    else options[name] = value;
  };

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (token === '-' || !token.startsWith('-') || NEGATIVE_NUMBER.test(token)) {
      positionals.push(token);
      continue;
    }

    const long = token.startsWith('--');
    const eq = token.indexOf('=');
    const key = eq >= 0 ? token.slice(long ? 2 : 1, eq) : token.slice(long ? 2 : 1);
    const inline = eq >= 0 ? token.slice(eq + 1) : undefined;
    let name = long ? key : byShort.get(key);
    let negated = false;
    if (long && name !== undefined && !Object.hasOwn(specs, name) && name.startsWith('no-') && specs[name.slice(3)]?.type === 'boolean') {
      name = name.slice(3);
      negated = true;
    }
    const spec = name !== undefined && Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (name === undefined || spec === undefined) throw new UsageError(`unknown option ${long ? '--' : '-'}${key}`);
    const flag = long ? `--${name}` : `-${key}`;

    if (spec.type === 'boolean') {
      if (inline === undefined) set(name, spec, !negated, flag);
      else if (!negated && (inline === 'true' || inline === 'false')) set(name, spec, inline === 'true', flag);
      else throw new UsageError(`${flag} is a switch and takes no value (got '${inline}')`);
      continue;
    }
    if (inline !== undefined) {
      set(name, spec, inline, flag);
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined) throw new UsageError(`${flag} needs a value${spec.valueName ? ` (${spec.valueName})` : ''}`);
    set(name, spec, next, flag);
    i++;
  }
  return { options: options as ParsedOptions<S>, positionals };
}

function convert(raw: string, spec: OptionSpec, flag: string): string | number {
  if (spec.type !== 'number') return raw;
  const value = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(value)) throw new UsageError(`${flag} expects a number, not '${raw}'`);
  return value;
}

/** The "Options:" block of a help text. */
export function describeOptions(specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const value = spec.type === 'boolean' ? '' : ` ${spec.valueName ?? (spec.type === 'number' ? 'N' : 'VALUE')}`;
    const flags = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${value}`;
    return [flags, spec.description] as const;
  });
  rows.push(['-h, --help', 'Show this help']);
  const width = Math.max(...rows.map(([flags]) => flags.length));
  return rows.map(([flags, text]) => `  ${flags.padEnd(width)}  ${text}`).join('\n');
}
