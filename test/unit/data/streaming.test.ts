/**
 * Readers stream: records come out while the file is still being read, and a 50,000-record
 * gzip FASTA goes through without the reader ever holding it whole.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { once } from 'node:events';
import { constants, createGzip } from 'node:zlib';
import { readAllFasta, readFasta } from '../../../server/engine/data/fasta';
import { mulberry32 } from '../features/rng';
import { fixture, tempDir } from './helpers';

async function writeGzFasta(file: string, records: number, length: number): Promise<void> {
  const random = mulberry32(1234);
  const gzip = createGzip({ level: 1 }); // fast: the test is about reading
  const out = createWriteStream(file);
  gzip.pipe(out);
  const bases = Buffer.from('ACGT');
  const seq = Buffer.alloc(length);
  let batch = '';
  for (let i = 0; i < records; i++) {
    for (let j = 0; j < length; j++) seq[j] = bases[(random() * 4) | 0]!;
    batch += `>rec${i};size=${i % 7}\n${seq.toString('latin1', 0, 200)}\n${seq.toString('latin1', 200)}\n`;
    if (i % 1000 === 999 || i === records - 1) {
      // Written in batches: 50,000 tiny writes through zlib would take seconds.
      const ok = gzip.write(batch);
      batch = '';
      if (!ok) await once(gzip, 'drain');
    }
  }
  gzip.end();
  await once(out, 'finish');
}

void test('a generated 50,000-record gzip FASTA streams: first record after one chunk, every record, bounded heap', async () => {
  const t = tempDir();
  try {
    const file = path.join(t.dir, 'big.fa.gz');
    await writeGzFasta(file, 50_000, 380);
    const size = statSync(file).size;
    assert.ok(size > 4_000_000, `file is ${size} bytes`);
    let bytesRead = 0;
    let readAtFirstRecord = -1;
    let count = 0;
    let bases = 0;
    const heapAtStart = process.memoryUsage().heapUsed;
    let heapPeak = heapAtStart;
    for await (const r of readFasta(file, { onProgress: (n) => (bytesRead = n) })) {
      if (count === 0) readAtFirstRecord = bytesRead;
      assert.equal(r.id, `rec${count};size=${count % 7}`);
      count++;
      bases += r.sequence.length;
      if (count % 1000 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }
    assert.equal(count, 50_000);
    assert.equal(bases, 50_000 * 380);
    assert.equal(bytesRead, size);
    // The first record came out after the first 64 KiB chunk of a multi-megabyte file.
    assert.ok(readAtFirstRecord > 0 && readAtFirstRecord <= 64 * 1024, `first record after ${readAtFirstRecord} of ${size} bytes`);
    // The text is 19 MB; the heap may hold garbage, but not the file (loose: GC timing varies).
    assert.ok(heapPeak - heapAtStart < 64 * 1024 * 1024, `heap grew by ${((heapPeak - heapAtStart) / 1e6).toFixed(1)} MB`);
  } finally {
    t.cleanup();
  }
});

/** Fails instead of hanging when a promise does not settle in time. */
function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

for (const compressed of [false, true]) {
  void test(`records are yielded before the stream ends (a FIFO whose writer waits for the reader${compressed ? ', gzip' : ''})`, async () => {
    const t = tempDir();
    try {
      const fifo = path.join(t.dir, compressed ? 'pipe.fa.gz' : 'pipe.fa');
      execFileSync('mkfifo', [fifo]);
      const sink = createWriteStream(fifo);
      const gzip = compressed ? createGzip() : undefined;
      if (gzip) gzip.pipe(sink);
      const write = (s: string): void => {
        if (gzip) {
          gzip.write(s);
          gzip.flush(constants.Z_SYNC_FLUSH);
        } else sink.write(s);
      };
      const reader = readFasta(fifo);
      write('>first\nACGT\n>second\nGG');
      const first = await within(5000, reader.next(), 'the first record while the writer is still open');
      assert.equal(first.done, false);
      assert.equal(first.value!.id, 'first');
      write('TT\n>third\nCC\n');
      if (gzip) gzip.end();
      else sink.end();
      const rest: string[] = [];
      for (;;) {
        const r = await within(5000, reader.next(), 'the remaining records');
        if (r.done) break;
        rest.push(r.value.id);
      }
      assert.deepEqual(rest, ['second', 'third']);
    } finally {
      t.cleanup();
    }
  });
}

void test('stopping early (limit) or failing (truncated gzip) closes the file', { skip: !existsSync('/proc/self/fd') && 'needs /proc' }, async () => {
  const openFiles = (): number => readdirSync('/proc/self/fd').length;
  const before = openFiles();
  for (let i = 0; i < 10; i++) {
    await readAllFasta(fixture('dna', 'tiny.fasta.gz'), { limit: 1 });
    await readAllFasta(fixture('dna', '16S-sample.fasta'), { limit: 2 });
    await assert.rejects(readAllFasta(fixture('dna', 'bad', 'truncated.fasta.gz')));
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(openFiles(), before);
});
