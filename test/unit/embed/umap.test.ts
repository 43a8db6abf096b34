// UMAP on typed arrays: the layout epoch against a literal transcription of umap-learn's
// `_optimize_layout_euclidean_single_epoch` (number[][], Math.pow, same random draws),
// determinism with a seed, and well-separated blobs staying separated (trustworthiness, and
// DBSCAN on the map recovering them: ARI 1).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dbscanVectors } from '../../../server/engine/cluster/dbscanVectors';
import { findAbParams } from '../../../server/engine/embed/abCurve';
import { fuzzySimplicialSet } from '../../../server/engine/embed/fuzzySet';
import { createLayoutState, LayoutOptimizer } from '../../../server/engine/embed/layout';
import { seededRandom } from '../../../server/engine/embed/random';
import { trustworthiness } from '../../../server/engine/embed/trustworthiness';
import { defaultEpochs, layoutEdges, UmapFit } from '../../../server/engine/embed/umap';
import { adjustedRandIndex } from '../../../server/engine/eval/clustering';
import { blobs, bruteKnn } from './blobs';

const clip = (v: number) => Math.max(-4, Math.min(4, v));

/** umap-learn 0.5.3's epoch, line by line (head_embedding is tail_embedding, move_other). */
function referenceEpoch(
  emb: number[][],
  head: Int32Array,
  tail: Int32Array,
  eps: Float64Array,
  state: { next: Float64Array; nextNeg: Float64Array; perNeg: Float64Array },
  a: number,
  b: number,
  alpha: number,
  n: number,
  random: () => number,
): void {
  for (let i = 0; i < eps.length; i++) {
    if (!(state.next[i] <= n)) continue;
    const current = emb[head[i]];
    const other = emb[tail[i]];
    let d2 = 0;
    for (let d = 0; d < 2; d++) d2 += (current[d] - other[d]) ** 2;
    const gc = d2 > 0 ? (-2 * a * b * Math.pow(d2, b - 1)) / (a * Math.pow(d2, b) + 1) : 0;
    for (let d = 0; d < 2; d++) {
      const g = clip(gc * (current[d] - other[d]));
      current[d] += g * alpha;
      other[d] += -g * alpha;
    }
    state.next[i] += eps[i];
    const nNeg = Math.floor((n - state.nextNeg[i]) / state.perNeg[i]);
    for (let p = 0; p < nNeg; p++) {
      const k = Math.floor(random() * emb.length);
      const o = emb[k];
      let e2 = 0;
      for (let d = 0; d < 2; d++) e2 += (current[d] - o[d]) ** 2;
      let c = 0;
      if (e2 > 0) c = (2 * 1 * b) / ((0.001 + e2) * (a * Math.pow(e2, b) + 1));
      else if (head[i] === k) continue;
      for (let d = 0; d < 2; d++) current[d] += (c > 0 ? clip(c * (current[d] - o[d])) : 4) * alpha;
    }
    state.nextNeg[i] += nNeg * state.perNeg[i];
  }
}

void test('layout epochs match the umap-learn transcription (same draws; pow to 1e-9)', () => {
  const { data, dim } = blobs(4, 30, 8, 2);
  const knn = bruteKnn(data, dim, 10);
  const nEpochs = 50;
  const edges = layoutEdges(fuzzySimplicialSet(knn), nEpochs);
  const { a, b } = findAbParams(1, 0.1);
  const init = seededRandom(3);
  const start = Float32Array.from({ length: knn.n * 2 }, () => init() * 20 - 10);
  const params = { a, b, nEpochs, negativeSampleRate: 5, learningRate: 1, repulsionStrength: 1 };
  const ours = new LayoutOptimizer(createLayoutState(start, 2, edges, params, { seeds: [0] }), seededRandom(4));
  const emb = Array.from({ length: knn.n }, (_, i) => [start[2 * i], start[2 * i + 1]]);
  const perNeg = edges.epochsPerSample.map((e) => e / 5);
  const state = { next: Float64Array.from(edges.epochsPerSample), nextNeg: Float64Array.from(perNeg), perNeg };
  const random = seededRandom(4);
  for (let n = 0; n < 3; n++) {
    ours.step();
    referenceEpoch(emb, edges.head, edges.tail, edges.epochsPerSample, state, a, b, 1 - (n === 0 ? 0 : (n - 1) / nEpochs), n, random);
    // Reference rounds to float32 as umap-learn's float32 arrays do.
    for (const p of emb) for (let d = 0; d < 2; d++) p[d] = Math.fround(p[d]);
  }
  for (let i = 0; i < knn.n; i++) {
    for (let d = 0; d < 2; d++) assert.ok(Math.abs(ours.embedding[2 * i + d] - emb[i][d]) < 1e-3, `point ${i}: ${ours.embedding[2 * i + d]} vs ${emb[i][d]}`);
  }
});

void test('same seed → the same map bit for bit; another seed → another map', () => {
  const { data, dim } = blobs(3, 40, 6, 5);
  const knn = bruteKnn(data, dim, 8);
  const run = (seed: number) => new UmapFit(knn, { seed, nEpochs: 60 }).run();
  const a = run(1);
  assert.deepEqual(run(1), a);
  assert.notDeepEqual(run(2), a);
  let calls = 0;
  const source = seededRandom(1);
  const injected = new UmapFit(knn, { nEpochs: 60, random: () => (calls++, source()) }).run();
  assert.deepEqual(injected, a, 'an injected source with the same stream gives the same map');
  assert.ok(calls > knn.n * 2, 'every draw comes from the injected source');
});

void test('step() runs one epoch at a time; run() stops when onEpoch returns false', () => {
  const { data, dim } = blobs(2, 20, 4, 6);
  const fit = new UmapFit(bruteKnn(data, dim, 6), { nEpochs: 30 });
  assert.equal(fit.nEpochs, 30);
  assert.equal(fit.step(), 1);
  assert.equal(fit.epoch, 1);
  const seen: number[] = [];
  fit.run((done) => (seen.push(done), done < 10));
  assert.deepEqual(seen, [2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(fit.done, false);
  fit.run();
  assert.equal(fit.epoch, 30);
  assert.equal(fit.step(), 30, 'no epoch past the last');
  assert.equal(defaultEpochs(10_000), 500);
  assert.equal(defaultEpochs(10_001), 200);
});

void test('well-separated blobs stay separated: trustworthiness > 0.95, DBSCAN on the map gives ARI 1', () => {
  const { data, dim, labels, n } = blobs(5, 80, 20, 7);
  const knn = bruteKnn(data, dim, 15);
  const map = new UmapFit(knn, { seed: 3 }).run();
  const t = trustworthiness(data, dim, map, 2, { k: 10 });
  assert.ok(t > 0.95, `trustworthiness ${t}`);
  const clusters = dbscanVectors(map, 2, { eps: 0.5, minPts: 5 });
  assert.equal(adjustedRandIndex(Array.from(labels), Array.from(clusters)), 1);
  assert.equal(map.length, n * 2);
});

void test('options are checked', () => {
  const { data, dim } = blobs(2, 10, 3, 8);
  const knn = bruteKnn(data, dim, 5);
  assert.throws(() => new UmapFit(knn, { nNeighbors: 9 }), /nNeighbors must be an integer in \[2, 5\]/);
  assert.throws(() => new UmapFit(knn, { nEpochs: 0 }), /nEpochs/);
  assert.throws(() => new UmapFit(knn, { init: new Float32Array(3) }), /init has 3 values, expected n·nComponents = 40/);
  const three = new UmapFit(knn, { nComponents: 3, nEpochs: 5, nNeighbors: 4 }).run();
  assert.equal(three.length, 60);
  assert.ok(three.every(Number.isFinite));
});
