import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { localityOrder } from '../../../server/engine/index/localityOrder';

void describe('localityOrder', () => {
  void it('is a permutation sorted by the first three slots (unsigned, both 16-bit halves), ties by record id', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.oneof(fc.array(fc.nat({ max: 5 }), { maxLength: 400 }), fc.array(fc.constantFrom(0, 1, 0xffff, 0x10000, 0x10001, 0x7fffffff, 0x80000000, 0xffffffff), { maxLength: 400 })), (H, values) => {
        const n = Math.floor(values.length / H);
        const signatures = Uint32Array.from(values.slice(0, n * H));
        const order = localityOrder(signatures, H);
        assert.deepEqual([...order].sort((a, b) => a - b), Array.from({ length: n }, (_, r) => r));
        const key = (r: number) => [...signatures.subarray(r * H, r * H + Math.min(3, H)), r];
        for (let p = 1; p < n; p++) {
          const a = key(order[p - 1]!);
          const b = key(order[p]!);
          const d = a.findIndex((x, t) => x !== b[t]);
          assert.ok(d >= 0 && a[d]! < b[d]!, `positions ${p - 1}, ${p} out of order`);
        }
      }),
      { seed: 5, numRuns: 200 },
    );
  });

  void it('puts records with equal leading slots next to each other, and handles slots ≥ 2³¹', () => {
    const H = 4;
    const big = 0xfffffff0;
    const sig = Uint32Array.from([big, 1, 1, 1, 0, 9, 9, 9, big, 1, 1, 2, 0, 9, 9, 9, 5, 0, 0, 0]);
    assert.deepEqual([...localityOrder(sig, H)], [1, 3, 4, 0, 2]);
  });
});
