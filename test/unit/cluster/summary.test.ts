import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { summarizeClusters } from '../../../server/engine/cluster/summary';

void describe('cluster summary', () => {
  void it('keeps discovery ids, lists clusters by size (ties by id), members ascending, noise apart', () => {
    const s = summarizeClusters(Int32Array.of(0, 1, -1, 1, 2, 2, 1, -1, 0, 3, 2));
    assert.deepEqual(s.clusters, [
      { id: 1, size: 3, members: [1, 3, 6] },
      { id: 2, size: 3, members: [4, 5, 10] },
      { id: 0, size: 2, members: [0, 8] },
      { id: 3, size: 1, members: [9] },
    ]);
    assert.deepEqual(s.noise, [2, 7]);
    assert.deepEqual(s.stats, { records: 11, clusters: 4, noise: 2, largest: 3, singletons: 1 });
  });

  void it('handles no clusters and no records', () => {
    assert.deepEqual(summarizeClusters(Int32Array.of(-1, -1)).stats, { records: 2, clusters: 0, noise: 2, largest: 0, singletons: 0 });
    assert.deepEqual(summarizeClusters(new Int32Array(0)), { clusters: [], noise: [], stats: { records: 0, clusters: 0, noise: 0, largest: 0, singletons: 0 } });
  });

  void it('accounts for every record exactly once', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1, max: 8 }), { maxLength: 200 }), (labels) => {
        const s = summarizeClusters(Int32Array.from(labels));
        const all = [...s.noise, ...s.clusters.flatMap((c) => c.members)].sort((a, b) => a - b);
        assert.deepEqual(all, labels.map((_, i) => i));
        for (const c of s.clusters) for (const m of c.members) assert.equal(labels[m], c.id);
        for (let t = 1; t < s.clusters.length; t++) assert.ok(s.clusters[t - 1].size >= s.clusters[t].size);
      }),
      { seed: 8101, numRuns: 200 },
    );
  });

  void it('rejects labels below −1', () => {
    assert.throws(() => summarizeClusters(Int32Array.of(0, -2)), RangeError);
  });
});
