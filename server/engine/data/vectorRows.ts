/** A growable row-major Float32Array for readers that learn the record count as they go. */
export class RowBuffer {
  private data: Float32Array;
  private count = 0;

  constructor(
    readonly dim: number,
    capacityRows = 256,
  ) {
    this.data = new Float32Array(Math.max(1, capacityRows) * dim);
  }

  get rows(): number {
    return this.count;
  }

  /** The next row (zeros), to be filled in place. */
  push(): Float32Array {
    const end = (this.count + 1) * this.dim;
    if (end > this.data.length) {
      const grown = new Float32Array(Math.max(end, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    const row = this.data.subarray(end - this.dim, end);
    this.count++;
    return row;
  }

  /** The rows as one array of exactly `rows × dim` values. */
  finish(): Float32Array {
    const used = this.count * this.dim;
    return used === this.data.length ? this.data : this.data.slice(0, used);
  }
}

/** Values per record for a shape. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
