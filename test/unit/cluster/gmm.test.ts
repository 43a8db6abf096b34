/**
 * gaussianMixture: its Cholesky densities against a plain reference (explicit inverse and
 * determinant by Gauss–Jordan elimination) on random SPD matrices; EM never lowers the
 * likelihood and its last figure matches a plain recomputation; one component is the sample mean
 * and covariance; elongated clusters that k-means cuts wrongly are recovered; seeded; bad input named.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cholesky, gaussianMixture, kmeans, logGaussian } from '../../../server/engine/cluster/gmm';
import { adjustedRandIndex } from '../../../server/engine/eval/clustering';
import { gaussian, mulberry32 } from '../features/rng';

/** A random symmetric positive definite dim × dim matrix: A·Aᵀ + dim·0.1·I. */
function randomSpd(rng: () => number, dim: number): Float64Array {
  const a = Float64Array.from({ length: dim * dim }, () => rng() * 2 - 1);
  const m = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) {
    let s = i === j ? 0.1 * dim : 0;
    for (let p = 0; p < dim; p++) s += a[i * dim + p]! * a[j * dim + p]!;
    m[i * dim + j] = s;
  }
  return m;
}

/** Inverse and log-determinant by Gauss–Jordan with partial pivoting: the plain reference. */
function inverseAndLogDet(m: ArrayLike<number>, dim: number): { inv: Float64Array; logDet: number } {
  const a = Array.from({ length: dim }, (_, i) => [...Array.from({ length: dim }, (_, j) => m[i * dim + j]!), ...Array.from({ length: dim }, (_, j) => (i === j ? 1 : 0))]);
  let logDet = 0;
  for (let c = 0; c < dim; c++) {
    let p = c;
    for (let r = c + 1; r < dim; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    const pivot = a[c]![c]!;
    logDet += Math.log(Math.abs(pivot));
    for (let j = 0; j < 2 * dim; j++) a[c]![j]! /= pivot;
    for (let r = 0; r < dim; r++) {
      if (r === c) continue;
      const f = a[r]![c]!;
      for (let j = 0; j < 2 * dim; j++) a[r]![j] -= f * a[c]![j]!;
    }
  }
  return { inv: Float64Array.from({ length: dim * dim }, (_, k) => a[Math.floor(k / dim)]![dim + (k % dim)]!), logDet };
}

function plainLogGaussian(x: ArrayLike<number>, mean: ArrayLike<number>, cov: ArrayLike<number>, dim: number): number {
  const { inv, logDet } = inverseAndLogDet(cov, dim);
  let q = 0;
  for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) q += (x[i]! - mean[i]!) * inv[i * dim + j]! * (x[j]! - mean[j]!);
  return -0.5 * (dim * Math.log(2 * Math.PI) + logDet + q);
}

/** Mean log-likelihood per point of the fitted mixture, computed plainly. */
function plainMeanLogLikelihood(data: Float32Array, n: number, dim: number, g: ReturnType<typeof gaussianMixture>): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const x = data.subarray(i * dim, (i + 1) * dim);
    let p = 0;
    for (let c = 0; c < g.k; c++) {
      p += g.weights[c]! * Math.exp(plainLogGaussian(x, g.means.subarray(c * dim, (c + 1) * dim), g.covariances.subarray(c * dim * dim, (c + 1) * dim * dim), dim));
    }
    total += Math.log(p);
  }
  return total / n;
}

/** Each component's covariance (biased, + reg on the diagonal) from hard labels: the M step that follows k-means. */
function hardCovariances(data: Float32Array, dim: number, k: number, labels: Int32Array, reg: number): Float64Array {
  const out = new Float64Array(k * dim * dim);
  for (let c = 0; c < k; c++) {
    const members = [...labels.keys()].filter((i) => labels[i] === c);
    const mean = Array.from({ length: dim }, (_, j) => members.reduce((s, i) => s + data[i * dim + j]!, 0) / Math.max(1, members.length));
    for (let a = 0; a < dim; a++) {
      for (let b = 0; b < dim; b++) {
        const s = members.reduce((acc, i) => acc + (data[i * dim + a]! - mean[a]!) * (data[i * dim + b]! - mean[b]!), 0);
        out[c * dim * dim + a * dim + b] = s / Math.max(1e-300, members.length) + (a === b ? reg : 0);
      }
    }
  }
  return out;
}

/** max over components of tr(Σ_c⁻¹). */
function maxTraceOfInverse(covariances: Float64Array, k: number, dim: number): number {
  let most = 0;
  for (let c = 0; c < k; c++) {
    const { inv } = inverseAndLogDet(covariances.subarray(c * dim * dim, (c + 1) * dim * dim), dim);
    let tr = 0;
    for (let i = 0; i < dim; i++) tr += inv[i * dim + i]!;
    most = Math.max(most, tr);
  }
  return most;
}

/** Points of Gaussian blobs: centre, per-axis standard deviation, count. */
function blobs(rng: () => number, specs: { centre: number[]; sd: number[]; count: number }[]): { data: Float32Array; truth: number[]; n: number; dim: number } {
  const dim = specs[0]!.centre.length;
  const values: number[] = [];
  const truth: number[] = [];
  specs.forEach((s, c) => {
    for (let i = 0; i < s.count; i++) {
      for (let j = 0; j < dim; j++) values.push(s.centre[j]! + s.sd[j]! * gaussian(rng));
      truth.push(c);
    }
  });
  return { data: Float32Array.from(values), truth, n: truth.length, dim };
}

void describe('gaussianMixture', () => {
  void it('cholesky factors reconstruct random SPD matrices; a matrix that is not positive definite is refused', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 8 }), (seed, dim) => {
        const m = randomSpd(mulberry32(seed), dim);
        const L = cholesky(m, dim);
        for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) {
          let s = 0;
          for (let p = 0; p < dim; p++) s += L[i * dim + p]! * L[j * dim + p]!;
          assert.ok(Math.abs(s - m[i * dim + j]!) < 1e-9 * (1 + Math.abs(m[i * dim + j]!)));
          if (j > i) assert.equal(L[i * dim + j], 0);
        }
      }),
    );
    assert.throws(() => cholesky([1, 2, 2, 1], 2), /not positive definite/);
  });

  void it('log densities equal the plain inverse-and-determinant formula on random SPD covariances', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 6 }), (seed, dim) => {
        const rng = mulberry32(seed);
        const cov = randomSpd(rng, dim);
        const mean = Float64Array.from({ length: dim }, () => rng() * 4 - 2);
        const x = Float64Array.from({ length: dim }, () => rng() * 6 - 3);
        const L = cholesky(cov, dim);
        let logDetHalf = 0;
        for (let i = 0; i < dim; i++) logDetHalf += Math.log(L[i * dim + i]!);
        const got = logGaussian(x, 0, mean, 0, L, logDetHalf, dim, new Float64Array(dim));
        const want = plainLogGaussian(x, mean, cov, dim);
        assert.ok(Math.abs(got - want) < 1e-8 * (1 + Math.abs(want)), `${got} vs ${want}`);
      }),
    );
  });

  // With reg_covar r the M step maximises Q(θ) − (r/2)·Σ_c w_c·tr(Σ_c⁻¹) (Σ = S + r·I is that
  // maximiser), not Q itself: the likelihood may drop, by at most (r/2)·max_c tr(Σ_c⁻¹) of the
  // parameters the step starts from. An exact EM (r = 0) would let components collapse here.
  void it('EM lowers the log-likelihood by no more than the regularisation allows, and the last figure is at most the plain likelihood of the returned mixture', () => {
    const reg = 1e-6;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), (seed, dim, k) => {
        const rng = mulberry32(seed);
        const specs = Array.from({ length: k + 1 }, () => ({ centre: Array.from({ length: dim }, () => rng() * 6), sd: Array.from({ length: dim }, () => 0.3 + rng()), count: 15 + Math.floor(rng() * 20) }));
        const { data, n } = blobs(rng, specs);
        const fit = (iterations: number) => gaussianMixture(data, n, dim, { components: k, seed, tolerance: 0, maxIterations: iterations, regularization: reg });
        const g = fit(30);
        // logLikelihoods[t] is the likelihood of θ_t, the parameters after t M steps: θ_0 from the
        // k-means labels (the same seeding), θ_t (t ≥ 1) what fit(t) returns. allowance(t): the
        // most the step from θ_t may lower it.
        const init = kmeans(data, n, dim, k, 20, mulberry32(seed));
        const covariancesOf = (t: number) => (t === 0 ? hardCovariances(data, dim, k, init.labels, reg) : fit(t).covariances);
        const allowance = (t: number) => (reg / 2) * maxTraceOfInverse(covariancesOf(t), k, dim);
        for (let t = 1; t < g.logLikelihoods.length; t++) {
          const drop = allowance(t - 1);
          assert.ok(g.logLikelihoods[t]! >= g.logLikelihoods[t - 1]! - drop - 1e-9, `iteration ${t}: ${g.logLikelihoods[t]} < ${g.logLikelihoods[t - 1]} − ${drop}`);
        }
        // The returned mixture is θ_30, one M step past the last figure (θ_29's likelihood).
        const plain = plainMeanLogLikelihood(data, n, dim, g);
        const lastDrop = allowance(g.iterations - 1);
        assert.ok(plain >= g.logLikelihoods.at(-1)! - lastDrop - 1e-9, `${plain} < ${g.logLikelihoods.at(-1)} − ${lastDrop}`);
        let w = 0;
        for (const x of g.weights) w += x;
        assert.ok(Math.abs(w - 1) < 1e-12);
        assert.ok(g.labels.every((l) => l >= 0 && l < k));
      }),
      { numRuns: 40, seed: 15 },
    );
  });

  void it('one component is the sample mean and the biased sample covariance plus the regularisation', () => {
    const { data, n, dim } = blobs(mulberry32(3), [{ centre: [1, -2, 5], sd: [1, 2, 0.5], count: 200 }]);
    const g = gaussianMixture(data, n, dim, { components: 1, regularization: 1e-3 });
    for (let j = 0; j < dim; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += data[i * dim + j]!;
      m /= n;
      assert.ok(Math.abs(g.means[j]! - m) < 1e-9);
      for (let l = 0; l < dim; l++) {
        let c = 0;
        for (let i = 0; i < n; i++) c += (data[i * dim + j]! - m) * (data[i * dim + l]! - g.means[l]!);
        assert.ok(Math.abs(g.covariances[j * dim + l]! - (c / n + (j === l ? 1e-3 : 0))) < 1e-9);
      }
    }
    assert.ok(g.converged);
  });

  void it('places the boundary between a tight and a broad cluster by their spreads, where k-means takes the midpoint', () => {
    const { data, truth, n, dim } = blobs(mulberry32(11), [
      { centre: [0, 0], sd: [0.3, 0.3], count: 400 },
      { centre: [3, 0], sd: [1.5, 1.5], count: 400 },
    ]);
    const km = kmeans(data, n, dim, 2, 50, mulberry32(1));
    const g = gaussianMixture(data, n, dim, { components: 2, seed: 1 });
    const kmAri = adjustedRandIndex(truth, Array.from(km.labels));
    const gmmAri = adjustedRandIndex(truth, Array.from(g.labels));
    assert.ok(gmmAri > 0.9, `GMM ARI ${gmmAri}`);
    assert.ok(gmmAri > kmAri + 0.1, `GMM ARI ${gmmAri}, k-means ${kmAri}`);
  });

  void it('is seeded: the same seed gives the same labels', () => {
    const { data, n, dim } = blobs(mulberry32(5), [0, 1, 2, 3].map((c) => ({ centre: [c * 2, c % 2], sd: [0.8, 0.8], count: 80 })));
    const a = gaussianMixture(data, n, dim, { components: 4, seed: 9 });
    const b = gaussianMixture(data, n, dim, { components: 4, seed: 9 });
    assert.deepEqual(a.labels, b.labels);
    assert.deepEqual(a.means, b.means);
  });

  void it('names bad input', () => {
    const data = Float32Array.from([0, 0, 1, 1, 2, Number.NaN]);
    assert.throws(() => gaussianMixture(data, 3, 2, { components: 2 }), /row 2, column 1: NaN/);
    assert.throws(() => gaussianMixture(data, 3, 2, { components: 4 }), /components \(4\) must not exceed the number of points \(3\)/);
    assert.throws(() => gaussianMixture(data, 3, 2, { components: 0 }), /components must be a positive integer/);
    assert.throws(() => gaussianMixture(data, 4, 2, { components: 1 }), /fewer than n·dim/);
  });
});
