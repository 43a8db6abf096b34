/**
 * The reading worker's records as a table (worker/recordTable.ts): decoded, they are the records
 * that were encoded — ids, labels and descriptions present or absent, any well-formed Unicode
 * (they come from UTF-8 text), empty strings, line ranges and lengths — and the table lives in shared memory (nothing to clone).
 * And sharedBuffer (worker/mappedMemory.ts): shared, zero-filled, at least the size asked, from
 * below the mapped size to above it, readable and writable from a worker.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { decodeRecords, decodeRecordsYielding, encodeRecords, type TableRecord } from '../../server/worker/recordTable';
import { MAPPED_MAX_LIVE, MAPPED_MIN_BYTES, mappedLive, sharedBuffer } from '../../server/worker/mappedMemory';
import type { RecordMeta } from '../../server/worker/tasks/loadDataset';

const record: fc.Arbitrary<TableRecord> = fc.record(
  {
    index: fc.nat(1_000_000),
    id: fc.string({ unit: 'grapheme', maxLength: 40 }),
    label: fc.string({ unit: 'grapheme', maxLength: 12 }),
    description: fc.string({ unit: 'grapheme', maxLength: 30 }),
    startLine: fc.nat(1 << 30),
    endLine: fc.nat(1 << 30),
    length: fc.nat(1 << 30),
    // Folder datasets of images or volumes: each record's own file.
    file: fc.string({ unit: 'grapheme', maxLength: 50 }),
  },
  { requiredKeys: ['index', 'id', 'startLine', 'endLine', 'length'] },
).map((r) => ({ ...r })); // plain objects, as the reader makes (fc.record's have no prototype)

void describe('record table', () => {
  void test('decodes to the records encoded', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 300 }), (records) => {
        const table = encodeRecords(records);
        assert.ok(table.fields.buffer instanceof SharedArrayBuffer && table.text.buffer instanceof SharedArrayBuffer && table.offsets.buffer instanceof SharedArrayBuffer);
        assert.deepEqual(decodeRecords(table), records);
      }),
      { numRuns: 200, seed: 15 },
    );
  });

  void test('an absent label stays absent (not an empty string)', () => {
    const [r] = decodeRecords(encodeRecords([{ index: 0, id: 'a', startLine: 0, endLine: 1, length: 3 }]));
    assert.ok(r && !('label' in r) && !('description' in r) && !('file' in r));
  });

  void test('decodeRecordsYielding: the same records, with turns of the event loop between slices (the LSP thread answers meanwhile)', async () => {
    const records: RecordMeta[] = Array.from({ length: 20_000 }, (_, i) => ({ index: i, id: `r${i}`, ...(i % 3 === 0 ? { label: `c${i % 7}` } : {}), ...(i % 5 === 0 ? { file: `/data/img${i}.png` } : {}), startLine: i + 1, endLine: i + 1, length: 4 }));
    const table = encodeRecords(records);
    let turned = false;
    setImmediate(() => (turned = true));
    const decoded = await decodeRecordsYielding(table);
    assert.equal(turned, true, 'an event-loop turn ran before the records were done');
    assert.deepEqual(decoded, records);
    assert.deepEqual(await decodeRecordsYielding(encodeRecords([])), []);
    assert.deepEqual(await decodeRecordsYielding(encodeRecords(records.slice(0, 8192))), records.slice(0, 8192), 'a whole slice exactly');
  });
});

void describe('sharedBuffer', () => {
  for (const bytes of [1, 1000, MAPPED_MIN_BYTES - 1, MAPPED_MIN_BYTES, 3 * MAPPED_MIN_BYTES + 17]) {
    void test(`${bytes} bytes: shared, zero-filled, large enough`, () => {
      const buffer = sharedBuffer(bytes);
      assert.ok(buffer instanceof SharedArrayBuffer);
      assert.ok(buffer.byteLength >= bytes);
      assert.ok(new Uint8Array(buffer).every((b) => b === 0));
    });
  }

  void test(`at most ${MAPPED_MAX_LIVE} mapped buffers alive on a thread; past that, ordinary ones that work the same`, () => {
    const before = mappedLive();
    const held = Array.from({ length: MAPPED_MAX_LIVE + 6 }, (_, i) => {
      const buffer = sharedBuffer(MAPPED_MIN_BYTES + i);
      assert.ok(mappedLive() <= MAPPED_MAX_LIVE, `${mappedLive()} alive after ${i + 1}`);
      return buffer;
    });
    assert.equal(mappedLive(), MAPPED_MAX_LIVE);
    for (const [i, buffer] of held.entries()) {
      assert.ok(buffer instanceof SharedArrayBuffer && buffer.byteLength >= MAPPED_MIN_BYTES + i);
      new Uint8Array(buffer)[MAPPED_MIN_BYTES + i - 1] = 7;
    }
    // Mapped buffers are whole 64 KiB pages; the ones past the cap are malloc'd, exactly as asked.
    const mapped = held.map((b) => b.byteLength % 65536 === 0);
    assert.deepEqual(mapped, held.map((_, i) => i < MAPPED_MAX_LIVE - before));
  });

  void test('a mapped buffer is shared with a worker, both ways', async () => {
    const view = new Int32Array(sharedBuffer(2 * MAPPED_MIN_BYTES));
    view[7] = 41;
    const worker = new Worker('const { parentPort } = require("node:worker_threads"); parentPort.once("message", (v) => { v[9] = v[7] + 1; parentPort.postMessage("done"); });', { eval: true });
    try {
      await new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
        worker.postMessage(view);
      });
      assert.equal(view[9], 42);
    } finally {
      await worker.terminate();
    }
  });
});
