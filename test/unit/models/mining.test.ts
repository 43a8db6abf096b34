import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { detectCollapse, minedLoss, MINING_KINDS, type MiningKind } from '../../../server/engine/models/mining';
import { mulberry32 } from '../../../server/engine/models/batching';

/** Plain loops over (a, p, n), straight from the definitions in mining.ts. */
function reference(D: number[][], labels: number[], margin: number, mining: MiningKind): { loss: number; share: number } {
  const n = labels.length;
  const isPos = (a: number, p: number) => a !== p && labels[a]! >= 0 && labels[a] === labels[p];
  const isNeg = (a: number, q: number) => labels[a]! >= 0 && labels[q]! >= 0 && labels[a] !== labels[q];
  const terms: number[] = [];
  const idx = [...Array(n).keys()];
  if (mining === 'batch-all') {
    for (const a of idx) for (const p of idx) for (const q of idx) if (isPos(a, p) && isNeg(a, q)) terms.push(Math.max(0, D[a]![p]! - D[a]![q]! + margin));
    const active = terms.filter((t) => t > 1e-7);
    return { loss: active.length ? active.reduce((s, t) => s + t, 0) / active.length : 0, share: terms.length ? active.length / terms.length : 0 };
  }
  if (mining === 'batch-hard') {
    for (const a of idx) {
      const pos = idx.filter((p) => isPos(a, p)).map((p) => D[a]![p]!);
      const neg = idx.filter((q) => isNeg(a, q)).map((q) => D[a]![q]!);
      if (pos.length && neg.length) terms.push(Math.max(0, Math.max(...pos) - Math.min(...neg) + margin));
    }
  } else if (mining === 'semi-hard') {
    for (const a of idx) {
      const neg = idx.filter((q) => isNeg(a, q)).map((q) => D[a]![q]!);
      if (!neg.length) continue;
      for (const p of idx) {
        if (!isPos(a, p)) continue;
        const dap = D[a]![p]!;
        const farther = neg.filter((d) => d > dap);
        const chosen = farther.length ? Math.min(...farther) : Math.max(...neg);
        terms.push(Math.max(0, dap - chosen + margin));
      }
    }
  } else {
    for (const a of idx)
      for (const b of idx) {
        if (isPos(a, b)) terms.push(D[a]![b]! ** 2);
        else if (isNeg(a, b)) terms.push(Math.max(0, margin - D[a]![b]!) ** 2);
      }
  }
  const active = terms.filter((t) => t > 1e-7).length;
  return { loss: terms.length ? terms.reduce((s, t) => s + t, 0) / terms.length : 0, share: terms.length ? active / terms.length : 0 };
}

function randomDistances(n: number, seed: number): number[][] {
  const rng = mulberry32(seed);
  const D = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      // Quarter steps: ties between positives and negatives happen.
      const d = Math.floor(rng() * 8) / 4;
      D[i]![j] = d;
      D[j]![i] = d;
    }
  return D;
}

void describe('in-batch mining', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  void it('every mining kind equals plain loops over the triplets or pairs (random batches, unlabelled items, ties)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 4 }), fc.double({ min: 0, max: 1, noNaN: true }), (seed, n, classes, margin) => {
        const rng = mulberry32(seed ^ 0x5bd1e995);
        const labels = Array.from({ length: n }, () => Math.floor(rng() * (classes + 1)) - 1);
        const D = randomDistances(n, seed);
        for (const mining of MINING_KINDS) {
          const [loss, share] = tf.tidy(() => {
            const r = minedLoss(tf.tensor2d(D), tf.tensor1d(labels, 'int32'), margin, mining);
            return [r.loss.dataSync()[0]!, r.activeShare.dataSync()[0]!];
          });
          const want = reference(D, labels, margin, mining);
          assert.ok(Math.abs(loss - want.loss) < 1e-5, `${mining} loss ${loss} vs ${want.loss}`);
          assert.ok(Math.abs(share - want.share) < 1e-6, `${mining} share ${share} vs ${want.share}`);
        }
      }),
      { seed: 6201, numRuns: 60 },
    );
  });

  void it('hand-checked batch: two classes on a line', () => {
    // Points 0, 1 (class 0) and 1.5, 3 (class 1), Euclidean distances, margin 1.
    const x = [0, 1, 1.5, 3];
    const D = x.map((a) => x.map((b) => Math.abs(a - b)));
    const labels = [0, 0, 1, 1];
    const run = (mining: MiningKind) =>
      tf.tidy(() => {
        const r = minedLoss(tf.tensor2d(D), tf.tensor1d(labels, 'int32'), 1, mining);
        return [r.loss.dataSync()[0]!, r.activeShare.dataSync()[0]!];
      });
    // batch-hard: anchor 0: 1 − 1.5 + 1 = 0.5; anchor 1: 1 − 0.5 + 1 = 1.5; anchor 1.5: 1.5 − 0.5 + 1 = 2;
    // anchor 3: 1.5 − 2 + 1 = 0.5 → mean 1.125, all active.
    const [hard, hardShare] = run('batch-hard');
    assert.ok(Math.abs(hard! - 1.125) < 1e-6, `batch-hard ${hard}`);
    assert.equal(hardShare, 1);
    // batch-all, 8 triplets (a, p, n): (0,1,1.5) 0.5, (0,1,3) −1, (1,0,1.5) 1.5, (1,0,3) exactly 0,
    // (1.5,3,0) 1, (1.5,3,1) 2, (3,1.5,0) −0.5, (3,1.5,1) 0.5 → 5 active, mean over them 5.5 / 5.
    const [all, allShare] = run('batch-all');
    assert.equal(allShare, 5 / 8);
    assert.ok(Math.abs(all! - 1.1) < 1e-6, `batch-all ${all}`);
  });

  void it('gradients flow only through the mined distances', () => {
    const x = [0, 1, 1.5, 3];
    const D = tf.tensor2d(x.map((a) => x.map((b) => Math.abs(a - b))));
    const g = tf.grad((d: tf.Tensor) => minedLoss(d as tf.Tensor2D, tf.tensor1d([0, 0, 1, 1], 'int32'), 1, 'batch-hard').loss)(D).arraySync() as number[][];
    // Anchor 0's hardest positive is 1 (+1/4), its nearest negative 1.5 (−1/4); nothing reaches 0 → 3.
    assert.ok(Math.abs(g[0]![1]! - 0.25) < 1e-6 && Math.abs(g[0]![2]! + 0.25) < 1e-6 && g[0]![3] === 0, JSON.stringify(g[0]));
    D.dispose();
  });

  void it('rejects an unknown mining kind and mismatched shapes', () => {
    const D = tf.zeros([3, 3]) as tf.Tensor2D;
    assert.throws(() => minedLoss(D, tf.tensor1d([0, 1, 1], 'int32'), 0.2, 'hardest' as MiningKind), /mining: unknown 'hardest'/);
    assert.throws(() => minedLoss(D, tf.tensor1d([0, 1], 'int32'), 0.2, 'batch-all'), /3×3 and 2 labels/);
    D.dispose();
  });
});

void describe('collapse detection', () => {
  void it('alarms when every embedding points the same way, not for spread-out ones', () => {
    const rng = mulberry32(9);
    const same = tf.tensor2d(Array.from({ length: 16 }, () => [0.3, -0.2, 0.5, 0.1]));
    assert.deepEqual(detectCollapse(same), { spread: 0, collapsed: true });
    // One direction at many scales is still a collapse of the directions.
    const scaled = tf.tensor2d(Array.from({ length: 16 }, (_, i) => [0.3 * (i + 1), -0.2 * (i + 1), 0.5 * (i + 1), 0.1 * (i + 1)]));
    assert.equal(detectCollapse(scaled).collapsed, true);
    const random = tf.tensor2d(Array.from({ length: 64 }, () => Array.from({ length: 64 }, () => rng() * 2 - 1)));
    const r = detectCollapse(random);
    assert.equal(r.collapsed, false);
    assert.ok(Math.abs(r.spread - Math.SQRT2) < 0.1, `random spread ${r.spread}`);
    // Nearly collapsed: small noise around one direction, below a loose threshold but above a tight one.
    const near = tf.tensor2d(Array.from({ length: 16 }, () => [1 + rng() * 0.01, 1, 1, 1]));
    assert.equal(detectCollapse(near).collapsed, true);
    assert.equal(detectCollapse(near, 1e-4).collapsed, false);
    tf.dispose([same, scaled, random, near]);
  });
});
