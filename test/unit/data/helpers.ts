/** Shared by the data reader tests: fixture paths, temp files, and a ParseError matcher. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ParseError, type ReadProblem, type ReadSummary } from '../../../server/engine/data/records';

export const FIXTURES = path.resolve(__dirname, '../../fixtures');
export const fixture = (...parts: string[]): string => path.join(FIXTURES, ...parts);

/** The real datasets beside the project (absent on some machines: tests that need them skip). */
export const SHARED_DATA = path.resolve(__dirname, '../../../../shared/data');

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export const ascii = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

/** A temp dir for one test file; `cleanup` removes it. */
export function tempDir(): { dir: string; write: (name: string, content: string | Uint8Array) => string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'simlab-data-'));
  return {
    dir,
    write: (name, content) => {
      const p = path.join(dir, name);
      writeFileSync(p, content);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface Expected {
  /** Absent: any line (still checked against the message). */
  line?: number;
  column: number;
  /** Substring or pattern of the reason. */
  reason: RegExp;
  field?: string;
}

/** Awaits `run`, which must reject with a ParseError at the expected place, and returns it. */
export async function expectParseError(run: () => Promise<unknown>, file: string, expected: Expected): Promise<ParseError> {
  let caught: unknown;
  try {
    await run();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ParseError, `expected a ParseError, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  assert.equal(caught.file, file);
  if (expected.line !== undefined) assert.equal(caught.line, expected.line, caught.message);
  assert.equal(caught.column, expected.column, caught.message);
  assert.match(caught.reason, expected.reason);
  assert.equal(caught.message, `${file}:${caught.line}:${expected.column}: ${caught.reason}`);
  if (expected.field !== undefined) assert.equal(caught.field, expected.field);
  return caught;
}

/**
 * A read that skipped a bad record (or row, or line) and went on: its problem `at` (default the
 * first) is an error at the expected place. Returns it.
 */
export function expectProblem(summary: ReadSummary, file: string, expected: Expected, at = 0): ReadProblem {
  const problem = summary.problems[at];
  assert.ok(problem, `expected a problem #${at}, got ${JSON.stringify(summary.problems)}`);
  assert.equal(problem.severity, 'error');
  assert.equal(problem.file, file);
  if (expected.line !== undefined) assert.equal(problem.line, expected.line, problem.message);
  assert.equal(problem.column, expected.column, problem.message);
  assert.match(problem.message, expected.reason);
  if (expected.field !== undefined) assert.equal(problem.field, expected.field);
  return problem;
}
