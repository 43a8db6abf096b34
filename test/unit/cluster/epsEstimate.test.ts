/**
 * eps from the k-distance curve: the knee against a geometric reference (largest perpendicular
 * distance below the chord), the seeded sample, the k-distances against brute force, and an
 * estimate that separates clusters from noise on synthetic blobs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DUPLICATE_EPS, epsFromKDistances, estimateEps, kneeIndex, sampleRows } from '../../../server/engine/cluster/epsEstimate';
import { clusterVectors, TooFewRecordsError } from '../../../server/engine/cluster/vectorClustering';
import { euclidean } from '../../../server/engine/measures/vector';
import { gaussian, mulberry32 } from '../features/rng';

/** Index of the point farthest below the chord (perpendicular distance, unit-scaled axes); last index when none is below. */
function referenceKnee(ys: number[]): number {
  const m = ys.length;
  if (m < 3) return m - 1;
  const span = ys[m - 1] - ys[0];
  if (!(span > 0)) return m - 1;
  const pts = ys.map((y, i) => [i / (m - 1), (y - ys[0]) / span]);
  let best = m - 1;
  let bestD = 0;
  for (let i = 1; i < m - 1; i++) {
    // Chord from (0, 0) to (1, 1): signed distance (x − y)/√2, positive below it.
    const d = (pts[i][0] - pts[i][1]) / Math.SQRT2;
    if (d > bestD + 1e-12) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

void describe('eps estimate', () => {
  void it('kneeIndex is the point farthest below the chord', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { maxLength: 60 }), (values) => {
        const ys = [...values].sort((a, b) => a - b);
        const got = kneeIndex(ys);
        const want = referenceKnee(ys);
        // Equal, or an exact tie in distance.
        if (got !== want) assert.ok(Math.abs((got - want) / (ys.length - 1) - (ys[got] - ys[want]) / (ys[ys.length - 1] - ys[0])) < 1e-9, `knee ${got} vs ${want}`);
      }),
      { seed: 5401, numRuns: 500 },
    );
    // Flat then steep: the knee is the last flat point.
    assert.equal(kneeIndex([1, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06, 1.07, 3, 9]), 7);
    // A straight line or a concave curve has no knee below the chord: the end.
    assert.equal(kneeIndex([0, 1, 2, 3, 4]), 4);
    assert.equal(kneeIndex([0, 3, 4, 4.5]), 3);
  });

  void it('samples distinct sorted rows, deterministically per seed, all rows when n is small', () => {
    const a = sampleRows(100_000, 500, 7);
    assert.equal(a.length, 500);
    assert.equal(new Set(a).size, 500);
    for (let t = 1; t < a.length; t++) assert.ok(a[t] > a[t - 1]);
    assert.ok(a[0] >= 0 && a[a.length - 1] < 100_000);
    assert.deepEqual(sampleRows(100_000, 500, 7), a);
    assert.notDeepEqual(sampleRows(100_000, 500, 8), a);
    assert.deepEqual([...sampleRows(5, 10)], [0, 1, 2, 3, 4]);
  });

  void it('the curve is the sorted k-th neighbour distances (brute force), k = minPts', () => {
    const rng = mulberry32(5402);
    const n = 150;
    const dim = 3;
    const data = Float32Array.from({ length: n * dim }, () => rng() * 10);
    const est = estimateEps(data, n, dim, { minPts: 4 });
    const row = (i: number) => data.subarray(i * dim, (i + 1) * dim);
    const want = Array.from({ length: n }, (_, i) => {
      const d = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i).map((j) => euclidean(row(i), row(j))).sort((x, y) => x - y);
      return Math.fround(d[3]);
    }).sort((x, y) => x - y);
    assert.deepEqual(Array.from(est.curve), want);
    assert.equal(est.k, 4);
    assert.equal(est.eps, est.curve[est.knee]);
    assert.equal(est.knee, kneeIndex(est.curve));
  });

  void it('on blobs with uniform noise, eps lies between the blobs’ k-distances and the noise’s', () => {
    const rng = mulberry32(5403);
    const dim = 8;
    const perBlob = 300;
    const blobs = 5;
    const noise = 60;
    const n = perBlob * blobs + noise;
    const data = new Float32Array(n * dim);
    for (let b = 0; b < blobs; b++) {
      const centre = Array.from({ length: dim }, () => rng() * 100);
      for (let i = 0; i < perBlob; i++) for (let t = 0; t < dim; t++) data[(b * perBlob + i) * dim + t] = centre[t] + gaussian(rng);
    }
    for (let i = perBlob * blobs; i < n; i++) for (let t = 0; t < dim; t++) data[i * dim + t] = rng() * 100;
    const est = estimateEps(data, n, dim, { minPts: 5, sampleSize: 800, seed: 3 });
    assert.equal(est.curve.length, 800);
    // Within a blob (σ = 1, 8-D) the 5th neighbour is ~2 away; uniform noise points are tens apart.
    assert.ok(est.eps > 1.5 && est.eps < 8, `eps ${est.eps}`);
    assert.deepEqual(estimateEps(data, n, dim, { minPts: 5, sampleSize: 800, seed: 3 }).eps, est.eps, 'deterministic');
  });

  void it('rejects too few points and bad minPts', () => {
    assert.throws(() => estimateEps(new Float32Array(6), 3, 2, { minPts: 3 }), /need more than 3/);
    assert.throws(() => estimateEps(new Float32Array(6), 3, 2, { minPts: 0 }), /minPts/);
    assert.equal(epsFromKDistances(Float32Array.of(0, 0, 0, 0.5, 0.5, 0.5, 0.5, 9), 2, new Int32Array(8)).eps, 0.5);
  });

  void it('all records identical: a radius that joins only identical records, scaled to the data, flagged as duplicates', () => {
    const same = new Float32Array(40 * 3).map((_, t) => [4, -250, 7][t % 3] as number);
    const est = estimateEps(same, 40, 3, { minPts: 5 });
    assert.equal(est.duplicates, true);
    assert.equal(est.eps, DUPLICATE_EPS * 250);
    assert.equal(epsFromKDistances(new Float32Array(4), 2, new Int32Array(4)).eps, DUPLICATE_EPS);
    // Identical rows are one cluster; a row that differs by more than float32 rounding is not joined to them.
    const labels = clusterVectors(same, 40, 3, { minPts: 5 }).labels;
    assert.deepEqual([...new Set(labels)], [0]);
    const apart = Float32Array.of(...same, 4, -250, 7.001);
    assert.equal(clusterVectors(apart, 41, 3, { minPts: 5, eps: est.eps }).labels[40], -1);
  });

  void it('too few records for DBSCAN: an input error in the user\'s terms, not eps NaN', () => {
    const tooFew = (n: number, eps?: number) => () => clusterVectors(new Float32Array(n * 2), n, 2, { minPts: 5, ...(eps !== undefined ? { eps } : {}) });
    for (const n of [0, 1, 4]) assert.throws(tooFew(n), (e: unknown) => e instanceof TooFewRecordsError && e.message === `too few records to cluster: ${n}; at least minPts (5) are needed`);
    // With eps given, DBSCAN still labels them: all noise below minPts.
    assert.deepEqual([...tooFew(4, 0.5)().labels], [-1, -1, -1, -1]);
    assert.throws(tooFew(5), (e: unknown) => e instanceof TooFewRecordsError && /too few records to pick eps: 5; .*more than minPts \(5\)/u.test(e.message));
    assert.deepEqual([...clusterVectors(new Float32Array(10), 5, 2, { minPts: 5, eps: 0.5 }).labels], [0, 0, 0, 0, 0]);
  });
});
