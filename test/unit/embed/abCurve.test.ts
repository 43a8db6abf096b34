// a/b of UMAP's curve against umap-learn 0.5.3's find_ab_params (scipy curve_fit), printed by
// `python3 -c "from umap.umap_ import find_ab_params; print(find_ab_params(spread, min_dist))"`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findAbParams } from '../../../server/engine/embed/abCurve';

const UMAP_LEARN: [minDist: number, spread: number, a: number, b: number][] = [
  [0.1, 1, 1.5769434604035877, 0.8950608780665811],
  [0, 1, 1.9328083978536088, 0.7904949734413567],
  [0.001, 1, 1.9290733968410037, 0.7915045333956955],
  [0.5, 1, 0.5830300205483709, 1.334166992455648],
  [0.25, 2, 0.41627349656200685, 0.9218551325913715],
  [0.99, 1, 0.11930529967121939, 1.9163904180016966],
];

void test('findAbParams matches umap-learn (scipy curve_fit) to 5e-6 relative', () => {
  for (const [minDist, spread, a, b] of UMAP_LEARN) {
    const got = findAbParams(spread, minDist);
    assert.ok(Math.abs(got.a / a - 1) < 5e-6, `minDist ${minDist}, spread ${spread}: a ${got.a} vs ${a}`);
    assert.ok(Math.abs(got.b / b - 1) < 5e-6, `minDist ${minDist}, spread ${spread}: b ${got.b} vs ${b}`);
  }
});

void test('findAbParams rejects minDist outside [0, spread] and a non-positive spread', () => {
  assert.throws(() => findAbParams(1, -0.1), /minDist/);
  assert.throws(() => findAbParams(1, 1.5), /minDist/);
  assert.throws(() => findAbParams(0, 0), /spread/);
});
