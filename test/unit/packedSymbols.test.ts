/**
 * BytePacker (worker/packedSymbols.ts): sequences appended one at a time pack exactly as
 * packByteSequences packs the whole list (offsets, bases, shared memory) — across the buffer's
 * doublings, with empty and long sequences.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { BytePacker, packByteSequences } from '../../server/worker/packedSymbols';

void describe('BytePacker', () => {
  void test('packs as packByteSequences does', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 1500 }), (seqs) => {
        const packer = new BytePacker();
        for (const s of seqs) packer.push(s);
        const got = packer.finish();
        const want = packByteSequences(seqs);
        assert.deepEqual([...got.offsets], [...want.offsets]);
        assert.deepEqual([...got.data], [...want.data]);
        assert.ok(got.offsets.buffer instanceof SharedArrayBuffer && got.data.buffer instanceof SharedArrayBuffer);
      }),
      { numRuns: 40, seed: 18 },
    );
  });
});
