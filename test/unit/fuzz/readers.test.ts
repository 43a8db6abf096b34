/**
 * Fuzz tier of the readers: every reader (FASTA, FASTQ, text, JSONL, CSV/TSV, JSONL vectors, IDX,
 * NPY, PNG/JPEG, gzip) is fed real fixtures (test/fixtures) put through random mutations — bytes
 * flipped, ranges deleted, duplicated or replaced, random bytes inserted, the file cut short — and
 * plain random bytes. The property: the reader returns a result or throws a `ParseError` naming
 * the file; never another exception.
 *
 * Bounds, decided here: time and memory are bounded by the inputs, not by a clock. Inputs are at
 * most a few kB (a mutated fixture is cut to `MAX_INPUT` bytes before mutating), so each read is
 * a few milliseconds unless a reader loops; a loop shows as the test's own timeout, and memory as
 * the check that a result holds at most `EXPANSION` values per input byte (gzip's own ratio limit
 * is ~1032). The seed is fixed: `npm test` runs `RUNS` inputs per reader (well under 30 s on two
 * cores: ~4 s of CPU here); `npm run fuzz` runs many more with a new seed each time (SIMLAB_FUZZ_RUNS,
 * SIMLAB_FUZZ_SEED), and prints the seed and the shrunk input of a failure to replay it.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { readDataset, type DataFormat } from '../../../server/engine/data';
import { readVectorDataset, vectorFormatOf } from '../../../server/engine/data/vectorDataset';
import { ParseError } from '../../../server/engine/data/records';

const FIXTURES = path.resolve(__dirname, '../../fixtures');
const RUNS = Number(process.env.SIMLAB_FUZZ_RUNS ?? 120);
const SEED = Number(process.env.SIMLAB_FUZZ_SEED ?? 20261204);
const MAX_INPUT = 3000;
const EXPANSION = 1100;
/** A reader looping on one input fails here rather than hanging the tier. */
const TEST_TIMEOUT_MS = Math.max(120_000, RUNS * 2000);

type Mutation =
  | { op: 'flip'; at: number; value: number }
  | { op: 'delete'; at: number; length: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'duplicate'; at: number; length: number }
  | { op: 'truncate'; at: number };

const position = fc.nat({ max: MAX_INPUT });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: position, value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 256 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: position }),
);

function mutate(original: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = Buffer.from(original.subarray(0, MAX_INPUT));
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    switch (m.op) {
      case 'flip':
        if (at < b.length) b[at] = m.value;
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
        break;
      case 'duplicate':
        b = Buffer.concat([b.subarray(0, at + m.length), b.subarray(at)]);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
    }
  }
  return b;
}

/** A fixture's bytes, or mutated bytes of it, or random bytes. */
function inputs(seedBytes: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 6 }).map((ms) => mutate(seedBytes, ms)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }) },
    { weight: 1, arbitrary: fc.constant(seedBytes.subarray(0, MAX_INPUT)) },
  );
}

let dir: string;
let counter = 0;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'simlab-fuzz-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `bytes` as a file named `name` in a fresh folder (a reader may look at its neighbours). */
function write(name: string, bytes: Uint8Array): string {
  const folder = path.join(dir, String(counter++));
  mkdirSync(folder);
  const file = path.join(folder, name);
  writeFileSync(file, bytes);
  return file;
}

/** Only a ParseError naming the file is an expected failure; anything else is a reader bug. */
function expectParseErrorOf(file: string, err: unknown): void {
  if (err instanceof ParseError && err.file === file) return;
  const e = err as Error;
  assert.fail(`expected a result or a ParseError naming ${file}, got ${e?.name}: ${e?.message}\n${e?.stack ?? ''}`);
}

function fixture(...parts: string[]): Uint8Array {
  return readFileSync(path.join(FIXTURES, ...parts));
}

/** `nameOrFile`: a name to write `bytes` under, or a file already written; `format` undefined: detected. */
async function checkSequenceOrText(nameOrFile: string, format: DataFormat | undefined, bytes: Uint8Array): Promise<void> {
  const file = path.isAbsolute(nameOrFile) ? nameOrFile : write(nameOrFile, bytes);
  for (const badRecords of ['skip', 'fail'] as const) {
    try {
      const read = await readDataset(file, { ...(format ? { format } : {}), badRecords });
      let symbols = 0;
      for (const r of read.records) symbols += 'sequence' in r ? r.sequence.length : r.text.length;
      assert.ok(symbols + read.records.length <= EXPANSION * (bytes.length + 1), `${symbols} symbols in ${read.records.length} records from ${bytes.length} bytes`);
    } catch (err) {
      expectParseErrorOf(file, err);
    }
  }
}

async function checkVectors(name: string, bytes: Uint8Array): Promise<void> {
  const file = write(name, bytes);
  // As the CLI and the host decide (clusterKindOf): what is not numeric data is read as sequences or text.
  if ((await vectorFormatOf(file)) === undefined) {
    await checkSequenceOrText(file, undefined, bytes);
    return;
  }
  try {
    const read = await readVectorDataset(file, { badRecords: 'skip' });
    assert.ok(read.data.length <= EXPANSION * (bytes.length + 1), `${read.data.length} values from ${bytes.length} bytes`);
    assert.equal(read.data.length, read.records.length * read.dim);
  } catch (err) {
    expectParseErrorOf(file, err);
  }
}

const settings = (): fc.Parameters<[Uint8Array]> => ({ seed: SEED, numRuns: RUNS, includeErrorInReport: true });

void describe('reader fuzzing: a result or a ParseError naming the file', () => {
  const text: [string, string, DataFormat][] = [
    ['FASTA', 'dna/16S-sample.fasta', 'fasta'],
    ['FASTA (mixed)', 'dna/mixed.fasta', 'fasta'],
    ['FASTQ', 'dna/tiny.fastq', 'fastq'],
    ['text lines', 'text/sentences.txt', 'text'],
    ['JSONL text', 'text/records.jsonl', 'jsonl'],
  ];
  for (const [title, fixturePath, format] of text) {
    void test(title, { timeout: TEST_TIMEOUT_MS }, async () => {
      const seedBytes = fixture(...fixturePath.split('/'));
      await fc.assert(
        fc.asyncProperty(inputs(seedBytes), (bytes) => checkSequenceOrText(path.basename(fixturePath), format, bytes)),
        settings(),
      );
    });
  }

  void test('gzip (mutated compressed bytes, and mutated text compressed)', { timeout: TEST_TIMEOUT_MS }, async () => {
    const compressed = fixture('dna', 'tiny.fasta.gz');
    await fc.assert(
      fc.asyncProperty(inputs(compressed), (bytes) => checkSequenceOrText('reads.fasta.gz', 'fasta', bytes)),
      settings(),
    );
    const plain = fixture('dna', 'tiny.fastq');
    await fc.assert(
      fc.asyncProperty(inputs(plain), (bytes) => checkSequenceOrText('reads.fastq.gz', 'fastq', gzipSync(bytes))),
      settings(),
    );
  });

  const tables: [string, string, string][] = [
    ['CSV', 'tables/iris.csv', 'iris.csv'],
    ['TSV', 'tables/points.tsv', 'points.tsv'],
    ['JSONL vectors', 'tables/embeddings.jsonl', 'embeddings.jsonl'],
  ];
  for (const [title, fixturePath, name] of tables) {
    void test(title, { timeout: TEST_TIMEOUT_MS }, async () => {
      const seedBytes = fixture(...fixturePath.split('/'));
      await fc.assert(
        fc.asyncProperty(inputs(seedBytes), (bytes) => checkVectors(name, bytes)),
        settings(),
      );
    });
  }

  void test('PNG and JPEG', { timeout: TEST_TIMEOUT_MS }, async () => {
    await fc.assert(
      fc.asyncProperty(inputs(fixture('images', 'fashion', 'bag', '00023.png')), (bytes) => checkVectors('image.png', bytes)),
      settings(),
    );
    await fc.assert(
      fc.asyncProperty(inputs(fixture('images', 'tinted.jpg')), (bytes) => checkVectors('image.jpg', bytes)),
      settings(),
    );
  });

  void test('NPY', { timeout: TEST_TIMEOUT_MS }, async () => {
    await fc.assert(
      fc.asyncProperty(inputs(fixture('volumes', 'ball', 'r2.npy')), (bytes) => checkVectors('volume.npy', bytes)),
      settings(),
    );
  });

  void test('IDX', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Four images of the committed IDX file, its count field set to 4 (a small, valid seed).
    const raw = gunzipSync(fixture('images', 'fashion64-images-idx3-ubyte.gz'));
    const small = Buffer.from(raw.subarray(0, 16 + 4 * 28 * 28));
    small.writeUInt32BE(4, 4);
    await fc.assert(
      fc.asyncProperty(inputs(small), (bytes) => checkVectors('fuzz-images-idx3-ubyte', bytes)),
      settings(),
    );
  });
});
