import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ScalerFormatError, StandardScaler } from '../../../server/engine/features/scaler';
import { gaussian, mulberry32 } from './rng';

/** Plain reference: column arrays, mean then population variance, zero variance → scale 1. */
function referenceFit(rows: number[][]): { mean: number[]; scale: number[] } {
  const dim = rows[0].length;
  const mean: number[] = [];
  const scale: number[] = [];
  for (let j = 0; j < dim; j++) {
    const col = rows.map((r) => r[j]);
    const m = col.reduce((a, b) => a + b, 0) / col.length;
    const v = col.reduce((a, b) => a + (b - m) ** 2, 0) / col.length;
    mean.push(m);
    scale.push(col.every((x) => x === col[0]) ? 1 : Math.sqrt(v));
  }
  return { mean, scale };
}

function close(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
}

void describe('StandardScaler', () => {
  void it('fits the mean and population std of every column, like a plain reference (random tables)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 7 }), fc.integer(), (n, dim, seed) => {
        const rng = mulberry32(seed);
        const rows = Array.from({ length: n }, () => Array.from({ length: dim }, (_, j) => Math.fround(gaussian(rng) * 10 ** (j - 2) + j * 100)));
        const scaler = StandardScaler.fit(Float32Array.from(rows.flat()), dim);
        const ref = referenceFit(rows);
        assert.equal(scaler.count, n);
        for (let j = 0; j < dim; j++) {
          close(scaler.mean[j], ref.mean[j], 1e-12, `mean[${j}]`);
          close(scaler.scale[j], ref.scale[j], 1e-9, `scale[${j}]`);
        }
      }),
      { numRuns: 200, seed: 15 },
    );
  });

  void it('transforms to zero mean and unit variance, and inverseTransform undoes it', () => {
    const rng = mulberry32(7);
    const n = 500;
    const dim = 4;
    const data = Float32Array.from({ length: n * dim }, (_, k) => gaussian(rng) * (k % dim) * 3 + 50 * (k % dim) + 1);
    const scaler = StandardScaler.fit(data, dim);
    const z = scaler.transform(data);
    assert.notEqual(z, data);
    for (let j = 0; j < dim; j++) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        s += z[i * dim + j];
        s2 += z[i * dim + j] ** 2;
      }
      close(s / n, 0, 1e-6, `mean of column ${j}`);
      // Column 0 is constant (k % dim = 0 → all 1): centred to 0, not divided by ~0.
      close(s2 / n, j === 0 ? 0 : 1, 1e-5, `variance of column ${j}`);
    }
    const back = scaler.inverseTransform(z);
    for (let k = 0; k < data.length; k++) close(back[k], data[k], 1e-6, `inverse[${k}]`);
  });

  void it('transforms in place when asked', () => {
    const data = Float32Array.from([1, 10, 3, 30]);
    const scaler = StandardScaler.fit(data, 2);
    const out = scaler.transform(data, { inPlace: true });
    assert.equal(out, data);
    assert.deepEqual(Array.from(data), [-1, -1, 1, 1]);
    scaler.inverseTransform(data, { inPlace: true });
    assert.deepEqual(Array.from(data), [1, 10, 3, 30]);
  });

  void it('follows sklearn on a constant column (scale 1, centred) and on a single row (all scales 1, transform gives 0)', () => {
    // 0.1 (not exact in binary) repeated: the float64 sums carry rounding, the column must still
    // count as constant (sklearn: scale 1) and be centred to 0.
    const n = 1000;
    const constant = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      constant[2 * i] = 0.1;
      constant[2 * i + 1] = i;
    }
    const s = StandardScaler.fit(constant, 2);
    assert.equal(s.scale[0], 1);
    close(s.mean[0], Math.fround(0.1), 1e-15, 'mean of the constant column');
    const z = s.transform(constant);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(z[2 * i]) < 1e-6);
    close(s.scale[1], Math.sqrt((n * n - 1) / 12), 1e-12, 'std of 0..n-1');

    const one = StandardScaler.fit(Float32Array.from([3, -2, 7]), 3);
    assert.deepEqual(Array.from(one.mean), [3, -2, 7]);
    assert.deepEqual(Array.from(one.scale), [1, 1, 1]);
    assert.deepEqual(Array.from(one.transform(Float32Array.from([3, -2, 7, 4, 0, 7]))), [0, 0, 0, 1, 2, 0]);
  });

  void it('rejects empty data, ragged lengths and non-finite values, naming the row and column', () => {
    assert.throws(() => StandardScaler.fit(new Float32Array(0), 3), /no rows/);
    assert.throws(() => StandardScaler.fit(new Float32Array(7), 3), /not whole rows/);
    assert.throws(() => StandardScaler.fit(Float32Array.from([1, 2, 3, NaN]), 2), /row 1, column 1: NaN/);
    const s = StandardScaler.fit(Float32Array.from([1, 2, 3, 4]), 2);
    assert.throws(() => s.transform(new Float32Array(3)), /not whole rows of 2/);
  });

  void it('round-trips through JSON exactly', () => {
    const rng = mulberry32(3);
    const data = Float32Array.from({ length: 60 }, () => gaussian(rng) * 1e3 + 0.1);
    const s = StandardScaler.fit(data, 6);
    const json = JSON.parse(JSON.stringify(s)) as unknown;
    const back = StandardScaler.fromJSON(json, 6);
    assert.deepEqual(back.mean, s.mean);
    assert.deepEqual(back.scale, s.scale);
    assert.equal(back.count, 10);
    assert.deepEqual(back.transform(data), s.transform(data));
  });

  void it('validates a saved scaler and names the field at fault', () => {
    const good = StandardScaler.fit(Float32Array.from([1, 2, 3, 5]), 2).toJSON();
    const bad = (patch: Record<string, unknown>, field: string, expectedDim?: number) => {
      const err = (() => {
        try {
          StandardScaler.fromJSON({ ...good, ...patch }, expectedDim);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      assert.ok(err instanceof ScalerFormatError, `expected a ScalerFormatError for ${JSON.stringify(patch)}`);
      assert.equal(err.field, field);
    };
    assert.throws(() => StandardScaler.fromJSON(null), ScalerFormatError);
    assert.throws(() => StandardScaler.fromJSON([1, 2]), ScalerFormatError);
    bad({ type: 'MinMaxScaler' }, 'type');
    bad({ version: 2 }, 'version');
    bad({ dim: 0 }, 'dim');
    bad({ dim: 1.5 }, 'dim');
    bad({}, 'dim', 3);
    bad({ count: -1 }, 'count');
    bad({ mean: [1] }, 'mean');
    bad({ mean: 'x' }, 'mean');
    bad({ mean: [1, null] }, 'mean[1]');
    bad({ scale: [1, 0] }, 'scale[1]');
    bad({ scale: [-1, 1] }, 'scale[0]');
    bad({ scale: [1, '2'] }, 'scale[1]');
    assert.equal(StandardScaler.fromJSON(good, 2).dim, 2);
  });
});
