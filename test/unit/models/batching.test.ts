import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ClassBalancedSampler, encodeLabels, mulberry32 } from '../../../server/engine/models/batching';

void describe('P×K class-balanced batches', () => {
  void it('each batch: P distinct classes, K distinct items each, grouped by class', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 2, max: 6 }), fc.integer({ min: 2, max: 5 }), (seed, p, k) => {
        const rng = mulberry32(seed);
        // 2–9 classes of 1–12 items, some unlabelled.
        const classes = 2 + Math.floor(rng() * 8);
        const labels = Array.from({ length: 60 }, () => Math.floor(rng() * (classes + 1)) - 1);
        const sizes = new Map<number, number>();
        for (const l of labels) if (l >= 0) sizes.set(l, (sizes.get(l) ?? 0) + 1);
        const eligible = [...sizes.values()].filter((s) => s >= 2).length;
        if (eligible < 2) {
          assert.throws(() => new ClassBalancedSampler(labels, { p, k, seed }), /class\(es\) with at least 2 items/);
          return;
        }
        const sampler = new ClassBalancedSampler(labels, { p, k, seed });
        assert.equal(sampler.p, Math.min(p, eligible));
        for (let b = 0; b < 10; b++) {
          const batch = sampler.next();
          assert.equal(batch.length, sampler.p * k);
          const seen = new Set<number>();
          for (let c = 0; c < sampler.p; c++) {
            const group = Array.from(batch.subarray(c * k, (c + 1) * k));
            const label = labels[group[0]!]!;
            assert.ok(label >= 0 && sizes.get(label)! >= 2, `class ${label} sampled`);
            assert.ok(group.every((i) => labels[i] === label), 'a group is one class');
            assert.ok(!seen.has(label), 'classes distinct in a batch');
            seen.add(label);
            // Distinct items when the class has K of them; otherwise every item at least once.
            const distinct = new Set(group).size;
            assert.equal(distinct, Math.min(k, sizes.get(label)!));
          }
        }
      }),
      { seed: 6301, numRuns: 200 },
    );
  });

  void it('visits every class before repeating one, and every item of a class before repeating it', () => {
    const labels = Array.from({ length: 70 }, (_, i) => i % 7); // 7 classes × 10 items
    const sampler = new ClassBalancedSampler(labels, { p: 7, k: 5, seed: 3 });
    const counts = new Array<number>(70).fill(0);
    for (let b = 0; b < 2; b++) for (const i of sampler.next()) counts[i]!++;
    // Two batches × 5 items of each class's 10: each item exactly once.
    assert.deepEqual(counts, new Array<number>(70).fill(1));
    const few = new ClassBalancedSampler(labels, { p: 2, k: 2, seed: 3 });
    const order: number[] = [];
    for (let b = 0; b < 3; b++) {
      const batch = few.next();
      order.push(labels[batch[0]!]!, labels[batch[2]!]!);
    }
    // 3 batches × 2 classes: the first 6 classes drawn are distinct (one round of 7 classes).
    assert.equal(new Set(order).size, 6);
  });

  void it('a class with fewer than K items gives all of them, repeated to fill; singletons never sampled', () => {
    const labels = [0, 0, 1, 1, 1, 1, 1, 2, -1];
    const sampler = new ClassBalancedSampler(labels, { p: 3, k: 4, seed: 1 });
    assert.equal(sampler.eligibleClasses, 2);
    assert.equal(sampler.p, 2);
    for (let b = 0; b < 5; b++) {
      const batch = Array.from(sampler.next());
      assert.ok(!batch.includes(7) && !batch.includes(8), 'singleton class and unlabelled item left out');
      const class0 = batch.filter((i) => labels[i] === 0);
      assert.equal(class0.length, 4);
      assert.deepEqual(new Set(class0), new Set([0, 1]));
    }
  });

  void it('is reproducible from its seed', () => {
    const labels = Array.from({ length: 100 }, (_, i) => i % 5);
    const draw = (seed: number) => {
      const s = new ClassBalancedSampler(labels, { p: 3, k: 3, seed });
      return [s.next(), s.next(), s.next()].map((b) => Array.from(b));
    };
    assert.deepEqual(draw(4), draw(4));
    assert.notDeepEqual(draw(4), draw(5));
  });

  void it('rejects bad P, K and labels', () => {
    assert.throws(() => new ClassBalancedSampler([0, 0, 1, 1], { p: 1 }), /p: 1 must be an integer ≥ 2/);
    assert.throws(() => new ClassBalancedSampler([0, 0, 1, 1], { k: 1 }), /k: 1 must be an integer ≥ 2/);
    assert.throws(() => new ClassBalancedSampler([0, 0.5, 1, 1]), /labels\[1\]: 0.5 is not an integer/);
  });
});

void describe('encodeLabels', () => {
  void it('codes classes by first appearance, missing labels → -1, numbers and strings alike by text', () => {
    assert.deepEqual(encodeLabels(['cat', 'dog', undefined, 'cat', '', null, 3, '3']), { codes: Int32Array.from([0, 1, -1, 0, -1, -1, 2, 2]), classes: ['cat', 'dog', '3'] });
  });
});
