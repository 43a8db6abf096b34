import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { contrastiveLoss, pairwiseDistances, resolveDistanceSpec, rowDistances, tripletLoss, type DistanceKind } from '../../../server/engine/models/losses';
import { rowDistance } from '../../../server/engine/eval/retrieval';
import { mulberry32 } from '../../../server/engine/models/batching';

const KINDS: DistanceKind[] = ['euclidean', 'cosine', 'combined'];

function randomRows(n: number, dim: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  const x = Float32Array.from({ length: n * dim }, () => rng() * 2 - 1);
  // Duplicate rows and a zero row: the cases where sqrt and normalisation need care.
  x.copyWithin(dim, 0, dim);
  x.fill(0, 2 * dim, 3 * dim);
  return x;
}

void describe('losses', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  void it('pairwise distances equal the plain per-pair distances (diagonal exactly 0)', () => {
    const n = 9;
    const dim = 5;
    const x = randomRows(n, dim, 11);
    for (const distance of KINDS) {
      const got = tf.tidy(() => pairwiseDistances(tf.tensor2d(x, [n, dim]), { distance, euclideanWeight: 0.3 }).arraySync());
      const ref = rowDistance(x, dim, { distance, euclideanWeight: 0.3 });
      for (let i = 0; i < n; i++) {
        assert.ok(got[i]![i] === 0, `${distance} diagonal ${got[i]![i]}`);
        for (let j = 0; j < n; j++) {
          // The zero row: cosine distance 1 off the diagonal in both implementations.
          if (i !== j) assert.ok(Math.abs(got[i]![j]! - ref(i, j)) < 1e-5, `${distance} (${i},${j}) ${got[i]![j]} vs ${ref(i, j)}`);
        }
      }
      const rows = tf.tidy(() => rowDistances(tf.tensor2d(x.subarray(0, 4 * dim), [4, dim]), tf.tensor2d(x.subarray(4 * dim, 8 * dim), [4, dim]), { distance, euclideanWeight: 0.3 }).arraySync());
      rows.forEach((v, i) => assert.ok(Math.abs(v - ref(i, i + 4)) < 1e-5, `${distance} row ${i}`));
    }
  });

  void it('gradients stay finite where two embeddings coincide', () => {
    const x = tf.tensor2d(randomRows(6, 4, 12), [6, 4]);
    for (const distance of KINDS) {
      const g = tf.grad((e: tf.Tensor) => tf.sum(pairwiseDistances(e as tf.Tensor2D, { distance })))(x);
      assert.ok(Array.from(g.dataSync()).every(Number.isFinite), `${distance}: non-finite gradient`);
      g.dispose();
      const g2 = tf.grad((e: tf.Tensor) => tf.sum(rowDistances(e as tf.Tensor2D, x, { distance })))(x);
      assert.ok(Array.from(g2.dataSync()).every(Number.isFinite), `${distance}: non-finite row gradient`);
      g2.dispose();
    }
    x.dispose();
  });

  void it('triplet loss: hand-checked values', () => {
    const a = tf.tensor2d([[1, 0], [1, 0]]);
    const p = tf.tensor2d([[0, 1], [1, 0]]);
    const n = tf.tensor2d([[1, 0], [-1, 0]]);
    // Row 0: d(a,p) = √2, d(a,n) = 0 → √2 + 0.1 (the default margin). Row 1: 0 − 2 + 0.1 < 0 → 0. Mean: (√2 + 0.1) / 2.
    assert.ok(Math.abs(tripletLoss(a, p, n, { distance: 'euclidean' }).dataSync()[0]! - (Math.SQRT2 + 0.1) / 2) < 1e-6);
    // Cosine: row 0: 1 − 0 + 0.5 = 1.5; row 1: 0 − 2 + 0.5 → 0.
    assert.ok(Math.abs(tripletLoss(a, p, n, { distance: 'cosine', margin: 0.5 }).dataSync()[0]! - 0.75) < 1e-6);
    // Combined w = 0.25: row 0: 0.25·√2 + 0.75·1 + 0.1; row 1: 0.25·(0 − 2) + 0.75·(0 − 2) + 0.1 → 0.
    const combined = tripletLoss(a, p, n, { distance: 'combined', euclideanWeight: 0.25, margin: 0.1 }).dataSync()[0]!;
    assert.ok(Math.abs(combined - (0.25 * Math.SQRT2 + 0.75 + 0.1) / 2) < 1e-6, `combined ${combined}`);
    tf.dispose([a, p, n]);
  });

  void it('contrastive loss: similar pairs pull by d², dissimilar ones push inside the margin', () => {
    const a = tf.tensor2d([[0, 0], [0, 0], [0, 0]]);
    const b = tf.tensor2d([[0.3, 0.4], [0.3, 0.4], [3, 4]]);
    const same = tf.tensor1d([1, 0, 0]);
    // d = 0.5, 0.5, 5: 0.25 + (1 − 0.5)² + 0 → 0.5 / 3.
    assert.ok(Math.abs(contrastiveLoss(a, b, same, { distance: 'euclidean', margin: 1 }).dataSync()[0]! - 0.5 / 3) < 1e-6);
    tf.dispose([a, b, same]);
  });

  void it('rejects unknown distances and bad weights or margins, naming the field', () => {
    assert.throws(() => resolveDistanceSpec({ distance: 'manhattan' as DistanceKind }), /distance: unknown 'manhattan'/);
    assert.throws(() => resolveDistanceSpec({ euclideanWeight: 1.5 }), /euclideanWeight: 1.5/);
    const t = tf.zeros([1, 2]) as tf.Tensor2D;
    assert.throws(() => tripletLoss(t, t, t, { margin: -1 }), /margin: -1/);
    t.dispose();
  });
});
