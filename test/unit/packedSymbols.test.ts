/**
 * BytePacker (worker/packedSymbols.ts): sequences appended one at a time pack exactly as
 * packByteSequences packs the whole list (offsets, bases, shared memory) — across the buffer's
 * doublings, with empty and long sequences, whatever the capacity hint; and the hint itself
 * (decompressedSizeHint): a plain file's size, a gzip's uncompressed size.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { decompressedSizeHint } from '../../server/engine/data/lines';
import { BytePacker, packByteSequences } from '../../server/worker/packedSymbols';

void describe('BytePacker', () => {
  void test('packs as packByteSequences does', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 1500 }), fc.oneof(fc.constant(0), fc.nat(5_000_000)), (seqs, hint) => {
        // Any capacity hint (none, too small: the buffer grows, or larger than the bases).
        const packer = new BytePacker(hint);
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

  void test('the size hint: a plain file its size, a gzip its uncompressed size, tiny files their size', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'simlab-size-hint-'));
    try {
      const text = '>a x\nACGT\n'.repeat(5000);
      writeFileSync(path.join(dir, 'a.fasta'), text);
      writeFileSync(path.join(dir, 'a.fasta.gz'), gzipSync(text));
      writeFileSync(path.join(dir, 'tiny'), '>a\nA\n');
      assert.equal(await decompressedSizeHint(path.join(dir, 'a.fasta')), text.length);
      assert.equal(await decompressedSizeHint(path.join(dir, 'a.fasta.gz')), text.length);
      assert.equal(await decompressedSizeHint(path.join(dir, 'tiny')), 5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
