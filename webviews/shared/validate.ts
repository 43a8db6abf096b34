/**
 * Small guards for messages that cross the webview boundary. Anything arriving through
 * postMessage or a saved state is untyped at run time: it is checked field by field, and a
 * failure names the field so the console warning says what was wrong.
 */

/** Thrown by the guards; `path` names the offending field, e.g. `points[3].loss`. */
export class MessageError extends Error {
  constructor(readonly path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'MessageError';
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function record(value: unknown, path: string): Record<string, unknown> {
  if (!isRecord(value)) throw new MessageError(path, `expected an object, got ${describe(value)}`);
  return value;
}

export function string(value: unknown, path: string, maxLength = 10_000): string {
  if (typeof value !== 'string') throw new MessageError(path, `expected a string, got ${describe(value)}`);
  if (value.length > maxLength) throw new MessageError(path, `string longer than ${maxLength} characters`);
  return value;
}

export function finiteNumber(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new MessageError(path, `expected a finite number, got ${describe(value)}`);
  return value;
}

export function nonNegativeInteger(value: unknown, path: string): number {
  const n = finiteNumber(value, path);
  if (!Number.isInteger(n) || n < 0) throw new MessageError(path, `expected a non-negative integer, got ${n}`);
  return n;
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], path: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new MessageError(path, `expected one of ${allowed.join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

export function array(value: unknown, path: string, maxLength: number): unknown[] {
  if (!Array.isArray(value)) throw new MessageError(path, `expected an array, got ${describe(value)}`);
  if (value.length > maxLength) throw new MessageError(path, `array longer than ${maxLength}`);
  return value;
}

export function optional<T>(value: unknown, path: string, check: (v: unknown, p: string) => T): T | undefined {
  return value === undefined ? undefined : check(value, path);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);
  return typeof value;
}
