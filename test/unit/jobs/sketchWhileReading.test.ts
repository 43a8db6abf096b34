/**
 * SketchWhileReading (server/jobs/sketchWhileReading.ts) through a real 2-worker pool (the built
 * dist/worker.js: run `node esbuild.mjs` first), fed parts by hand as the reading worker would:
 * whatever the reader's estimate of the record count (none, far too small, more than memory
 * holds), the parts' signatures are the ones of sketching the whole file at once; parts that do
 * not continue the prefix already started are left to the caller, and `covers` says where that
 * prefix ends.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkerPool } from '../../../server/jobs/pool';
import { SketchWhileReading, type SketchSpec } from '../../../server/jobs/sketchWhileReading';
import { BytePacker, sharedUint32, symbolsAt, type PackedSymbols } from '../../../server/worker/packedSymbols';
import { loadDataset } from '../../../server/worker/tasks/loadDataset';
import type { SequencePart } from '../../../server/worker/tasks/loadDataset';

const WORKER = path.resolve(__dirname, '../../../dist/worker.js');
const FIXTURE = path.resolve(__dirname, '../../fixtures/dna/16S-sample.fasta');
const SPEC: SketchSpec = { shingles: { kind: 'kmers', k: 15, canonical: true }, numHashes: 32, seed: 7 };

let pool: WorkerPool;
let whole: PackedSymbols;
let reference: Uint32Array;
let n: number;

before(async () => {
  pool = new WorkerPool({ workerFile: WORKER, execArgv: [], size: 2 });
  whole = (await loadDataset(FIXTURE, {}, () => false, () => undefined)).packed;
  n = whole.offsets.length - 1;
  reference = sharedUint32(n * SPEC.numHashes);
  await pool.run('sketch', { packed: whole, ...SPEC, from: 0, to: n, signatures: reference });
});
after(async () => {
  await pool.dispose();
});

/** Parts of `size` records, packed as the reader packs them, each with `expected`. */
function partsOf(size: number, expected: (first: number) => number | undefined): SequencePart[] {
  const packer = new BytePacker(1 << 16);
  const parts: SequencePart[] = [];
  for (let r = 0; r < n; r++) {
    packer.push(symbolsAt(whole, r) as Uint8Array);
    if (packer.count % size === 0) {
      const first = packer.count - size;
      const e = expected(first);
      parts.push({ first, packed: packer.part(first, packer.count), ...(e !== undefined ? { expected: e } : {}) });
    }
  }
  return parts;
}

/** Feeds the parts (`decideAfter` of them before deciding), then sketches [covers, n) as the caller does. */
async function run(parts: SequencePart[], decideAfter = 0): Promise<{ signatures: Uint32Array; covers: number; landed: number }> {
  const sketching = new SketchWhileReading(pool, undefined);
  parts.forEach((p, i) => {
    if (i === decideAfter) sketching.decide(SPEC);
    sketching.part(p);
  });
  sketching.decide(SPEC);
  let landed = 0;
  const { signatures, landed: done } = sketching.signaturesFor(n, SPEC.numHashes, (count) => (landed += count));
  const covers = sketching.covers;
  await pool.run('sketch', { packed: whole, ...SPEC, from: covers, to: n, signatures });
  await done;
  return { signatures, covers, landed };
}

void describe('SketchWhileReading', () => {
  void test('whatever the estimate of the record count, the parts sketch what the whole file sketches', async () => {
    const cases: [string, (first: number) => number | undefined][] = [
      ['no estimate', () => undefined],
      ['exact', () => n],
      ['far too small (parts past it get arrays of their own)', () => 10],
      ['more than memory holds (every part gets its own)', () => 2 ** 40],
      ['growing with the read', (first) => first + 40],
    ];
    for (const [name, expected] of cases) {
      const parts = partsOf(9, expected);
      const out = await run(parts, 3);
      assert.equal(out.covers, parts.length * 9, name);
      assert.equal(out.landed, out.covers, name);
      assert.deepEqual(out.signatures, reference, name);
    }
  });

  void test('a part that does not continue the prefix is left to the caller, and so are the parts after it', async () => {
    const parts = partsOf(10, () => n);
    const gap = [...parts.slice(0, 4), ...parts.slice(5)];
    const out = await run(gap);
    assert.equal(out.covers, 40);
    assert.deepEqual(out.signatures, reference);
  });

  void test('parts dropped when the decision is not to sketch; cancel before any part is a no-op', async () => {
    const dropped = new SketchWhileReading(pool, undefined);
    dropped.decide(undefined);
    for (const p of partsOf(10, () => n)) dropped.part(p);
    assert.equal(dropped.covers, 0);
    await dropped.cancel();
    const undecided = new SketchWhileReading(pool, undefined);
    for (const p of partsOf(10, () => n)) undecided.part(p);
    const { landed } = undecided.signaturesFor(n, SPEC.numHashes, () => assert.fail('no part lands'));
    await landed;
    assert.equal(undecided.covers, 0, 'undecided parts at the end of the read are dropped');
  });
});
