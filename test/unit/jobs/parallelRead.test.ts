/**
 * A FASTA file read in chunks on every worker (jobs/parallelRead.ts) against the same file read
 * by one parser, with real worker threads (the built dist/worker.js: `node esbuild.mjs` first):
 * records, bases, signatures, warnings and problems identical; chunks small enough that every
 * file is cut dozens of times. Files with something to report across chunks (an id seen twice,
 * an empty or bad record, a gzip cut short) must be read whole and report exactly what the one
 * parser reports.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { loadInPool } from '../../../server/jobs/parallelRead';
import { WorkerPool } from '../../../server/jobs/pool';
import { fromTask } from '../../../server/worker/tasks/loadDataset';
import { buildSequenceIndex, type BuildIndexOptions, type SequenceIndex } from '../../../server/jobs/sequenceIndex';
import { symbolsAt } from '../../../server/worker/packedSymbols';

const WORKER = path.resolve(__dirname, '../../../dist/worker.js');
const FIXTURE = path.resolve(__dirname, '../../fixtures/dna/16S-sample.fasta');
const RECORDS = 276;
/** ~1.6 kb per record: a chunk holds two or three records. */
const CHUNK = 4000;

let dir: string;
let pool: WorkerPool;
const text = (): string => readFileSync(FIXTURE, 'latin1');

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'simlab-parallel-read-test-'));
  pool = new WorkerPool({ workerFile: WORKER, execArgv: [], size: 2 });
});
after(async () => {
  await pool.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** The file read by one parser and in chunks (with the same options). */
async function bothWays(file: string, more: Partial<BuildIndexOptions> = {}): Promise<{ serial: SequenceIndex; chunked: SequenceIndex }> {
  const serial = await buildSequenceIndex(file, { pool, parallelRead: false, ...more });
  const chunked = await buildSequenceIndex(file, { pool, parallelRead: true, readChunkBytes: CHUNK, ...more });
  return { serial, chunked };
}

function assertSame(serial: SequenceIndex, chunked: SequenceIndex): void {
  assert.equal(serial.readChunks, 0);
  assert.deepEqual(chunked.records, serial.records);
  assert.equal(chunked.packed.offsets.length, serial.packed.offsets.length);
  for (let r = 0; r < serial.records.length; r++) assert.deepEqual(symbolsAt(chunked.packed, r), symbolsAt(serial.packed, r), `record ${r}'s bases`);
  assert.deepEqual(Array.from(chunked.packed.offsets), Array.from(serial.packed.offsets), 'the bases packed without gaps');
  assert.deepEqual(chunked.signatures, serial.signatures);
  assert.deepEqual(chunked.warnings, serial.warnings);
  assert.deepEqual(chunked.problems, serial.problems);
  assert.equal(chunked.contentHash, serial.contentHash);
}

void describe('reading a FASTA file in chunks on every worker', () => {
  void test('the 16S sample, plain and gzip, gives the records, bases and signatures of one parser, from dozens of chunks', async () => {
    const plain = await bothWays(FIXTURE);
    assertSame(plain.serial, plain.chunked);
    assert.equal(plain.chunked.records.length, RECORDS);
    assert.ok(plain.chunked.readChunks > 80, `${plain.chunked.readChunks} chunks`);
    const gz = await bothWays(write('sample.fasta.gz', gzipSync(readFileSync(FIXTURE))));
    assertSame(gz.serial, gz.chunked);
    assert.ok(gz.chunked.readChunks > 80);
    // Two gzip members (as bgzip writes): the size in the trailer is the last member's, so the
    // bases of the later chunks do not fit the buffer sized by it and get buffers of their own.
    const bytes = readFileSync(FIXTURE);
    const half = bytes.indexOf('\n>', bytes.length >> 1) + 1;
    const members = await bothWays(write('members.fasta.gz', Buffer.concat([gzipSync(bytes.subarray(0, half)), gzipSync(bytes.subarray(half))])));
    assertSame(members.serial, members.chunked);
    assert.ok(members.chunked.readChunks > 80);
  });

  void test('line numbers hold across chunks: CRLF, a byte-order mark, blank lines, wrapped and lowercase sequences, labels from headers', async () => {
    const wrapped = text()
      .split('\n')
      .map((line) => (line.startsWith('>') || line === '' ? line : (line.toLowerCase().match(/.{1,60}/g) ?? []).join('\n')))
      .join('\n\n');
    const file = write('odd.fasta', `\ufeff\n${wrapped.replace(/\n/g, '\r\n')}`);
    const { serial, chunked } = await bothWays(file, { read: { headerLabelDefault: { from: 'auto' } } });
    assertSame(serial, chunked);
    assert.ok(chunked.readChunks > 80);
    assert.ok(serial.records[200]!.startLine > 5000, 'lines counted over the whole file');
  });

  void test('labels from a regular expression on the headers: the same records, lines numbered over the whole file', async () => {
    const { serial, chunked } = await bothWays(write('regex.fasta', text()), { read: { labelRegex: '^\\S+\\s+(\\w+)' } });
    assertSame(serial, chunked);
    assert.ok(chunked.readChunks > 80);
    assert.equal(serial.records[0]!.label, 'Aster', 'the regex labels records');
    assert.ok(serial.records[200]!.startLine > 2000, 'lines counted over the whole file');
  });

  void test('a record longer than a chunk grows its chunk; records with letters outside IUPAC make the dataset protein, warned once at the first', async () => {
    const lines = text().split('\n');
    const long = `>long one record of 30 kb\n${'ACGTTGCA'.repeat(3750)}\n`;
    // Letters that are not nucleotide codes in sequence lines of two records in different chunks (the sample's 4th and 12th).
    const protein = lines.map((line, i) => (i === 82 || i === 301 ? line.replace(/A/g, 'E') : line)).join('\n');
    const { serial, chunked } = await bothWays(write('protein.fasta', long + protein));
    assertSame(serial, chunked);
    assert.equal(serial.warnings.length, 1);
    assert.match(serial.warnings[0]!, /:85:\d+: .*protein/, 'at the first of them (line 85: two lines of the long record, then line 83 of the sample)');
    assert.equal(chunked.records[0]!.length, 30000);
  });

  void test('what a chunk cannot judge alone is read whole: an id in two chunks, an empty record, a bad character, a gzip cut short', async () => {
    const lines = text().split('\n');
    const id = (i: number): string => lines[i]!.slice(1).split(/\s/)[0]!;
    // Record 100's header, and its sequence lines up to the next header.
    const headers = lines.flatMap((line, i) => (line.startsWith('>') ? [i] : []));
    const [h100, h101] = [headers[100]!, headers[101]!];
    const variants: Record<string, string> = {
      duplicate: lines.map((line, i) => (i === h100 ? `>${id(0)} again` : line)).join('\n'),
      empty: lines.filter((_line, i) => i <= h100 || i >= h101).join('\n'),
      bad: lines.map((line, i) => (i === 301 ? `${line.slice(0, 100)}#${line.slice(101)}` : line)).join('\n'),
    };
    for (const [name, content] of Object.entries(variants)) {
      const { serial, chunked } = await bothWays(write(`${name}.fasta`, content));
      assert.ok(serial.problems.length > 0, `${name}: a problem`);
      assertSame(serial, chunked);
      assert.equal(chunked.readChunks, 0, `${name}: read whole`);
    }
    const gz = gzipSync(readFileSync(FIXTURE));
    const cut = write('cut.fasta.gz', gz.subarray(0, Math.floor(gz.length * 0.7)));
    const serialError = await buildSequenceIndex(cut, { pool, parallelRead: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(serialError instanceof Error && serialError.message.includes('truncated gzip'));
    await assert.rejects(buildSequenceIndex(cut, { pool, parallelRead: true, readChunkBytes: CHUNK }), (e: unknown) => e instanceof Error && e.message === serialError.message);
    // The pool goes on.
    assert.equal((await buildSequenceIndex(FIXTURE, { pool, parallelRead: true, readChunkBytes: CHUNK })).records.length, RECORDS);
  });

  void test('cancelled while chunks are parsed: rejects with a cancellation, the pool goes on', async () => {
    const big = write('big.fasta', text().repeat(8).replace(/^>(\S+)/gm, (_m, id: string, at: number) => `>${id}_${at}`));
    const controller = new AbortController();
    const run = buildSequenceIndex(big, { pool, parallelRead: true, readChunkBytes: CHUNK, signal: controller.signal, onProgress: (stage) => stage === 'reading' && controller.abort() });
    await assert.rejects(run, (e: unknown) => e instanceof Error && (e.name === 'CancelledError' || e.name === 'AbortError'));
    assert.equal((await buildSequenceIndex(FIXTURE, { pool, parallelRead: true, readChunkBytes: CHUNK })).records.length, RECORDS);
  });

  void test('loadInPool (training and embedding with a model read this way): the records and bases of the loadDataset task, in chunks', async () => {
    const serial = await fromTask(await pool.run('loadDataset', { file: FIXTURE, read: {} }));
    const reported: number[] = [];
    const chunked = await loadInPool(FIXTURE, {}, pool, undefined, (done) => reported.push(done), 2);
    assert.equal(chunked.chunks, 1, 'one chunk of 1 MiB for 476 kB');
    // On 2 workers by default: one parser (PARALLEL_READ_MIN_WORKERS).
    assert.equal((await loadInPool(FIXTURE, {}, pool, undefined, () => undefined)).chunks, undefined);
    assert.equal((await buildSequenceIndex(FIXTURE, { pool, readChunkBytes: CHUNK })).readChunks, 0);
    assert.deepEqual(chunked.records, serial.records);
    assert.deepEqual(chunked.packed.data, serial.packed.data);
    assert.deepEqual(chunked.packed.offsets, serial.packed.offsets);
    assert.ok(reported.length > 0, 'reading progress');
    // Options that need the whole file (a record limit) go to the loadDataset task.
    const limited = await loadInPool(FIXTURE, { limit: 10 }, pool, undefined, () => undefined);
    assert.equal(limited.chunks, undefined);
    assert.equal(limited.records.length, 10);
  });
});

/** The 16S sample as FASTQ: one record per FASTA record, header and sequence kept; most quality lines start with '@'. */
function fastqOf(fasta: string, wrapAt = 0): string {
  const records = fasta.split(/^>/m).filter((r) => r.trim() !== '');
  return records
    .map((r, k) => {
      const [header, ...seq] = r.split('\n');
      const sequence = seq.join('').trim();
      const quality = (k % 5 === 4 ? 'I' : '@') + 'IIIIHHHH@@@@####FFFF'.repeat(Math.ceil(sequence.length / 20)).slice(0, sequence.length - 1);
      const wrap = (s: string): string => (wrapAt > 0 && k % 3 === 0 ? (s.match(new RegExp(`.{1,${wrapAt}}`, 'g')) ?? []).join('\n') : s);
      return `@${header}\n${wrap(sequence)}\n+\n${wrap(quality)}\n`;
    })
    .join('');
}

void describe('reading a FASTQ file in chunks on every worker', () => {
  void test('cut only where a four-line record starts (quality lines starting with @ are not), plain, gzip and CRLF: what one parser reads', async () => {
    const fastq = fastqOf(text());
    for (const [name, content] of [
      ['plain.fastq', fastq],
      ['packed.fastq.gz', gzipSync(fastq)],
      ['crlf.fastq', fastq.replace(/\n/g, '\r\n')],
    ] as const) {
      const { serial, chunked } = await bothWays(write(name, content));
      assert.equal(serial.format, 'fastq');
      assert.equal(serial.problems.length, 0, `${name}: clean`);
      assertSame(serial, chunked);
      assert.equal(chunked.format, 'fastq');
      assert.equal(chunked.records.length, RECORDS);
      assert.ok(chunked.readChunks > 80, `${name}: ${chunked.readChunks} chunks`);
    }
  });

  void test('wrapped records (every third, sequence and quality over 60-letter lines) are never cut: the chunks grow over them', async () => {
    const { serial, chunked } = await bothWays(write('wrapped.fastq', fastqOf(text(), 60)));
    assert.equal(serial.problems.length, 0);
    assertSame(serial, chunked);
    assert.ok(chunked.readChunks > 40, `${chunked.readChunks} chunks`);
  });

  void test('a record with a quality of the wrong length, or an id in two chunks: read whole, the serial report', async () => {
    const lines = fastqOf(text()).split('\n');
    const variants: Record<string, string> = {
      short: lines.map((line, i) => (i === 4 * 150 + 3 ? line.slice(1) : line)).join('\n'),
      duplicate: lines.map((line, i) => (i === 4 * 200 ? lines[0] : line)).join('\n'),
    };
    for (const [name, content] of Object.entries(variants)) {
      const { serial, chunked } = await bothWays(write(`${name}.fastq`, content));
      assert.ok(serial.problems.length > 0 || serial.warnings.length > 0, `${name}: something to report`);
      assertSame(serial, chunked);
      assert.equal(chunked.readChunks, 0, `${name}: read whole`);
    }
  });
});
