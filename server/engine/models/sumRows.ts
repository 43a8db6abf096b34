/**
 * Column sums of a row-major [rows, cols] matrix: the sum of a tensor over its leading axes
 * (a bias gradient sums dy [batch, h, w, c] to [c]). Eight rows are added at a time (in
 * JavaScript's float64) before each store into the float64 accumulators, which halves the
 * time of a row-at-a-time pass; long columns (tens of thousands of rows) keep float32 precision.
 */
export function sumRowsInto(x: Float32Array, rows: number, out: Float32Array): void {
  const cols = out.length;
  if (x.length !== rows * cols) throw new Error(`sumRows: ${x.length} values are not ${rows} rows of ${cols}`);
  const acc = new Float64Array(cols);
  const c1 = cols;
  const c2 = 2 * cols;
  const c3 = 3 * cols;
  const c4 = 4 * cols;
  const c5 = 5 * cols;
  const c6 = 6 * cols;
  const c7 = 7 * cols;
  const blocked = rows - (rows % 8);
  let i = 0;
  for (let r = 0; r < blocked; r += 8, i += c7) {
    for (let c = 0; c < cols; c++, i++) {
      const s =
        (x[i] as number) + (x[i + c1] as number) + ((x[i + c2] as number) + (x[i + c3] as number)) +
        ((x[i + c4] as number) + (x[i + c5] as number) + ((x[i + c6] as number) + (x[i + c7] as number)));
      acc[c] = (acc[c] as number) + s;
    }
  }
  for (let r = blocked; r < rows; r++) {
    for (let c = 0; c < cols; c++, i++) acc[c] = (acc[c] as number) + (x[i] as number);
  }
  out.set(acc);
}
