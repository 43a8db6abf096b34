/**
 * StandardScaler with scikit-learn's semantics: per column, subtract the mean and divide by the
 * population standard deviation (ddof = 0); a column whose variance is indistinguishable from zero
 * gets scale 1 (it is centred, not blown up). Sums are accumulated in float64 like sklearn.
 *
 * The fitted scaler is saved with the index and with trained models, so it round-trips through
 * plain JSON (`toJSON` / `StandardScaler.fromJSON`) and is validated when loaded.
 */

/** The saved form. Numbers are float64 and survive JSON exactly. */
export interface StandardScalerJson {
  type: 'StandardScaler';
  version: 1;
  /** Columns. */
  dim: number;
  /** Rows the scaler was fitted on. */
  count: number;
  mean: number[];
  /** Standard deviation per column; 1 for a constant column. Always > 0. */
  scale: number[];
}

/** A saved scaler that does not validate; `field` is the JSON path at fault (`scale[3]`, `dim`). */
export class ScalerFormatError extends Error {
  override readonly name = 'ScalerFormatError';
  readonly field: string;
  constructor(field: string, reason: string) {
    super(`StandardScaler ${field}: ${reason}`);
    this.field = field;
  }
}

export interface TransformOptions {
  /** Overwrite `data` instead of returning a new array. */
  inPlace?: boolean;
}

export class StandardScaler {
  readonly dim: number;
  readonly count: number;
  readonly mean: Float64Array;
  readonly scale: Float64Array;

  private constructor(mean: Float64Array, scale: Float64Array, count: number) {
    this.dim = mean.length;
    this.count = count;
    this.mean = mean;
    this.scale = scale;
  }

  /**
   * Fits on `data` (`n × dim`, row-major). Throws a RangeError naming the row and column of a
   * value that is not finite (readers produce finite values; a NaN here is a bug upstream, and
   * sklearn's NaN-skipping would silently give NaN features downstream).
   */
  static fit(data: ArrayLike<number>, dim: number): StandardScaler {
    checkShape(data.length, dim);
    const n = data.length / dim;
    if (n === 0) throw new RangeError('StandardScaler.fit: no rows');
    const mean = new Float64Array(dim);
    for (let i = 0, o = 0; i < n; i++, o += dim) {
      for (let j = 0; j < dim; j++) {
        const v = data[o + j] as number;
        if (!Number.isFinite(v)) throw new RangeError(`StandardScaler.fit: row ${i}, column ${j}: ${v} is not a finite number`);
        mean[j] += v;
      }
    }
    for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) / n;
    // Corrected two-pass variance (Chan, Golub & LeVeque): the second term removes the rounding
    // error left in the mean; the one-pass sum-of-squares formula would cancel catastrophically.
    const sq = new Float64Array(dim);
    const dev = new Float64Array(dim);
    for (let o = 0; o < data.length; o += dim) {
      for (let j = 0; j < dim; j++) {
        const d = (data[o + j] as number) - (mean[j] as number);
        sq[j] += d * d;
        dev[j] += d;
      }
    }
    const scale = new Float64Array(dim);
    const eps = Number.EPSILON;
    for (let j = 0; j < dim; j++) {
      const m = mean[j] as number;
      const c = dev[j] as number;
      const variance = Math.max(0, ((sq[j] as number) - (c * c) / n) / n);
      // sklearn's _is_constant_feature: a variance within the 2-pass error bound is zero.
      const bound = n * eps * variance + (n * m * eps) ** 2;
      scale[j] = variance <= bound ? 1 : Math.sqrt(variance);
    }
    return new StandardScaler(mean, scale, n);
  }

  /** (x − mean) / scale per column; a new Float32Array unless `inPlace`. */
  transform(data: Float32Array, options: TransformOptions = {}): Float32Array {
    checkShape(data.length, this.dim, this.dim);
    const out = options.inPlace ? data : new Float32Array(data.length);
    const { mean, scale, dim } = this;
    for (let o = 0; o < data.length; o += dim) {
      for (let j = 0; j < dim; j++) out[o + j] = ((data[o + j] as number) - (mean[j] as number)) / (scale[j] as number);
    }
    return out;
  }

  /** x · scale + mean per column: undoes `transform`. */
  inverseTransform(data: Float32Array, options: TransformOptions = {}): Float32Array {
    checkShape(data.length, this.dim, this.dim);
    const out = options.inPlace ? data : new Float32Array(data.length);
    const { mean, scale, dim } = this;
    for (let o = 0; o < data.length; o += dim) {
      for (let j = 0; j < dim; j++) out[o + j] = (data[o + j] as number) * (scale[j] as number) + (mean[j] as number);
    }
    return out;
  }

  toJSON(): StandardScalerJson {
    return { type: 'StandardScaler', version: 1, dim: this.dim, count: this.count, mean: Array.from(this.mean), scale: Array.from(this.scale) };
  }

  /**
   * Rebuilds a scaler from its saved form. Throws a ScalerFormatError naming the field when the
   * JSON is not a version-1 StandardScaler, a number is not finite, a scale is not > 0, or
   * `expectedDim` is given and differs.
   */
  static fromJSON(json: unknown, expectedDim?: number): StandardScaler {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ScalerFormatError('(root)', 'not an object');
    const o = json as Record<string, unknown>;
    if (o.type !== 'StandardScaler') throw new ScalerFormatError('type', `expected "StandardScaler", got ${JSON.stringify(o.type)}`);
    if (o.version !== 1) throw new ScalerFormatError('version', `unsupported version ${JSON.stringify(o.version)} (this build reads 1)`);
    const dim = o.dim;
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim <= 0) throw new ScalerFormatError('dim', `expected a positive integer, got ${JSON.stringify(dim)}`);
    if (expectedDim !== undefined && dim !== expectedDim) throw new ScalerFormatError('dim', `the scaler has ${dim} columns, the data ${expectedDim}`);
    const count = o.count;
    if (typeof count !== 'number' || !Number.isInteger(count) || count <= 0) throw new ScalerFormatError('count', `expected a positive integer, got ${JSON.stringify(count)}`);
    const mean = numbers(o.mean, 'mean', dim);
    const scale = numbers(o.scale, 'scale', dim);
    scale.forEach((s, j) => {
      if (!(s > 0)) throw new ScalerFormatError(`scale[${j}]`, `must be > 0, got ${s}`);
    });
    return new StandardScaler(mean, scale, count);
  }
}

function numbers(value: unknown, field: string, dim: number): Float64Array {
  if (!Array.isArray(value)) throw new ScalerFormatError(field, 'not an array');
  if (value.length !== dim) throw new ScalerFormatError(field, `has ${value.length} values, dim is ${dim}`);
  const out = new Float64Array(dim);
  for (let j = 0; j < dim; j++) {
    const v: unknown = value[j];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ScalerFormatError(`${field}[${j}]`, `not a finite number: ${JSON.stringify(v)}`);
    out[j] = v;
  }
  return out;
}

function checkShape(length: number, dim: number, expectedDim?: number): void {
  if (!Number.isInteger(dim) || dim <= 0) throw new RangeError(`StandardScaler: dim must be a positive integer, got ${dim}`);
  if (length % dim !== 0) throw new RangeError(`StandardScaler: ${length} values are not whole rows of ${expectedDim ?? dim}`);
}
