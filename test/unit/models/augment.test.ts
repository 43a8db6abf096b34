import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { augmentBatch, isOneHot, layoutOf } from '../../../server/engine/models/augment';
import { mulberry32 } from '../../../server/engine/models/batching';

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Plain shift of one item: out[p] = in[p − shift] per spatial axis, 0 outside. */
function shiftedReference(item: Float32Array, shape: readonly number[], shifts: readonly number[]): Float32Array {
  const spatial = shape.slice(0, -1);
  const c = shape[shape.length - 1]!;
  const out = new Float32Array(item.length);
  const positions = size(spatial);
  for (let p = 0; p < positions; p++) {
    const coord: number[] = [];
    let rest = p;
    for (let a = spatial.length - 1; a >= 0; a--) {
      coord.unshift(rest % spatial[a]!);
      rest = Math.floor(rest / spatial[a]!);
    }
    const src = coord.map((x, a) => x - shifts[a]!);
    if (src.some((x, a) => x < 0 || x >= spatial[a]!)) continue;
    const from = src.reduce((acc, x, a) => acc * spatial[a]! + x, 0);
    for (let k = 0; k < c; k++) out[p * c + k] = item[from * c + k]!;
  }
  return out;
}

/** Every shift vector with entries in [−s, s]. */
function allShifts(dims: number, s: number): number[][] {
  let out: number[][] = [[]];
  for (let a = 0; a < dims; a++) out = out.flatMap((v) => Array.from({ length: 2 * s + 1 }, (_, k) => [...v, k - s]));
  return out;
}

function oneHotSequence(len: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  const x = new Float32Array(len * 4);
  for (let p = 0; p < len; p++) x[p * 4 + Math.floor(rng() * 4)] = 1;
  return x;
}

void describe('augmentations', () => {
  void it('layout from the rank; bad shapes and options are refused by name', () => {
    assert.equal(layoutOf([5]), 'vector');
    assert.equal(layoutOf([5, 4]), 'sequence');
    assert.equal(layoutOf([5, 5, 1]), 'image');
    assert.equal(layoutOf([2, 5, 5, 1]), 'volume');
    assert.throws(() => layoutOf([]), /shape \[\]/);
    assert.throws(() => layoutOf([1, 2, 3, 4, 5]), /1 to 4/);
    assert.throws(() => augmentBatch(new Float32Array(7), [2, 3], mulberry32(1)), /7 values is not a multiple of 6/);
    assert.throws(() => augmentBatch(new Float32Array(6), [2, 3], mulberry32(1), { mask: 2 }), /mask 2/);
    assert.throws(() => augmentBatch(new Float32Array(6), [2, 3], mulberry32(1), { shift: 1.5 }), /shift 1.5/);
  });

  void it('seeded: the same seed gives the same views, another seed other views; the input is untouched', () => {
    const x = Float32Array.from({ length: 4 * 8 * 8 }, (_, i) => (i % 13) / 13);
    const copy = x.slice();
    const a = augmentBatch(x, [8, 8, 1], mulberry32(3));
    const b = augmentBatch(x, [8, 8, 1], mulberry32(3));
    const c = augmentBatch(x, [8, 8, 1], mulberry32(4));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.deepEqual(x, copy);
  });

  void it('with shift only, each view is one of the shifted copies of its item (images, volumes, sequences; plain reference)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer(),
        (spatial, channels, shift, n, seed) => {
          const shape = [...spatial, channels];
          const x = Float32Array.from({ length: n * size(shape) }, (_, i) => i + 1); // distinct, non-zero
          const views = augmentBatch(x, shape, mulberry32(seed), { shift, noise: 0, mask: 0, oneHot: false });
          const candidates = allShifts(spatial.length, shift);
          for (let i = 0; i < n; i++) {
            const item = x.subarray(i * size(shape), (i + 1) * size(shape));
            const view = views.subarray(i * size(shape), (i + 1) * size(shape));
            assert.ok(
              candidates.some((s) => shiftedReference(item, shape, s).every((v, k) => v === view[k])),
              `item ${i} of shape [${shape.join(', ')}] is no shift of its input`,
            );
          }
        },
      ),
      { numRuns: 60, seed: 11 },
    );
  });

  void it('shifts of every size in [−s, s] occur', () => {
    // A 1-D "image" row: the position of the single 1 tells the shift.
    const seen = new Set<number>();
    const rng = mulberry32(2);
    for (let t = 0; t < 200; t++) {
      const x = new Float32Array(9);
      x[4] = 1;
      const v = augmentBatch(x, [9, 1], rng, { shift: 2, noise: 0, mask: 0, oneHot: false });
      seen.add(v.indexOf(1) - 4);
    }
    assert.deepEqual([...seen].sort((a, b) => a - b), [-2, -1, 0, 1, 2]);
  });

  void it('nothing asked, nothing changed: shift 0, noise 0, mask 0 is the identity', () => {
    const x = Float32Array.from({ length: 3 * 5 * 5 * 2 }, (_, i) => Math.sin(i));
    assert.deepEqual(augmentBatch(x, [5, 5, 2], mulberry32(1), { shift: 0, noise: 0, mask: 0 }), x);
  });

  void it('noise has the asked standard deviation and no bias', () => {
    const x = new Float32Array(20000).fill(0.5);
    const v = augmentBatch(x, [20000], mulberry32(5), { noise: 0.1, mask: 0 });
    let sum = 0;
    let sq = 0;
    for (const y of v) {
      sum += y - 0.5;
      sq += (y - 0.5) ** 2;
    }
    const mean = sum / v.length;
    const sd = Math.sqrt(sq / v.length - mean * mean);
    assert.ok(Math.abs(mean) < 0.005, `mean ${mean}`);
    assert.ok(Math.abs(sd - 0.1) < 0.005, `sd ${sd}`);
  });

  void it('masking: vectors drop each value with probability mask; images lose one box of mask × each side', () => {
    const ones = new Float32Array(10000).fill(1);
    const dropped = augmentBatch(ones, [10000], mulberry32(6), { noise: 0, mask: 0.2 }).filter((v) => v === 0).length;
    assert.ok(Math.abs(dropped / 10000 - 0.2) < 0.02, `dropped ${dropped}`);
    const images = new Float32Array(5 * 12 * 12 * 2).fill(1);
    const v = augmentBatch(images, [12, 12, 2], mulberry32(7), { shift: 0, noise: 0, mask: 0.25 });
    for (let i = 0; i < 5; i++) {
      const item = v.subarray(i * 288, (i + 1) * 288);
      assert.equal(item.filter((y) => y === 0).length, 3 * 3 * 2, `item ${i}`);
      // The zeros form one 3×3 box.
      const rows = new Set<number>();
      const cols = new Set<number>();
      item.forEach((y, k) => {
        if (y === 0) {
          rows.add(Math.floor(k / 24));
          cols.add(Math.floor(k / 2) % 12);
        }
      });
      assert.equal(rows.size, 3);
      assert.equal(cols.size, 3);
      assert.equal(Math.max(...rows) - Math.min(...rows), 2);
    }
    const volume = new Float32Array(8 * 8 * 8).fill(1);
    assert.equal(augmentBatch(volume, [8, 8, 8, 1], mulberry32(8), { shift: 0, noise: 0, mask: 0.25 }).filter((y) => y === 0).length, 8);
  });

  void it('one-hot sequences are detected and get substitutions, not noise: still one-hot, about rate × positions changed', () => {
    const x = oneHotSequence(5000, 9);
    assert.ok(isOneHot(x, 4));
    const v = augmentBatch(x, [5000, 4], mulberry32(10), { shift: 0, mask: 0, substitution: 0.1 });
    assert.ok(isOneHot(v, 4));
    let changed = 0;
    for (let p = 0; p < 5000; p++) {
      let ones = 0;
      for (let k = 0; k < 4; k++) ones += v[p * 4 + k]!;
      assert.equal(ones, 1, `position ${p}`);
      if (x.subarray(p * 4, p * 4 + 4).some((y, k) => y !== v[p * 4 + k])) changed++;
    }
    assert.ok(Math.abs(changed / 5000 - 0.1) < 0.015, `changed ${changed}`);
    // Rate 1: every position takes another symbol.
    const all = augmentBatch(x, [5000, 4], mulberry32(11), { shift: 0, mask: 0, substitution: 1 });
    for (let p = 0; p < 5000; p++) assert.ok(x.subarray(p * 4, p * 4 + 4).some((y, k) => y !== all[p * 4 + k]), `position ${p} kept its symbol`);
  });

  void it('ambiguity codes and empty positions are symbols too (detection) but are never substituted', () => {
    const x = new Float32Array([0.5, 0, 0.5, 0, 0.25, 0.25, 0.25, 0.25, 0, 0, 0, 0, 0, 1, 0, 0]);
    assert.ok(isOneHot(x, 4));
    assert.ok(!isOneHot(new Float32Array([0.3, 0.3, 0, 0]), 4));
    assert.ok(!isOneHot(new Float32Array([1, -1, 1, 0]), 4));
    assert.ok(!isOneHot(new Float32Array([1, 0, 0, 1]), 1));
    const v = augmentBatch(x, [4, 4], mulberry32(1), { shift: 0, mask: 0, substitution: 1 });
    assert.deepEqual(v.subarray(0, 12), x.subarray(0, 12));
    assert.notDeepEqual(v.subarray(12), x.subarray(12));
  });

  void it('a real-valued sequence (time series) gets noise, not substitutions', () => {
    const x = Float32Array.from({ length: 64 * 2 }, (_, i) => Math.sin(i / 5));
    assert.ok(!isOneHot(x, 2));
    const v = augmentBatch(x, [64, 2], mulberry32(3), { shift: 0, mask: 0, noise: 0.05 });
    assert.ok(v.every((y, i) => Math.abs(y - x[i]!) < 0.4) && v.some((y, i) => y !== x[i]));
  });
});
