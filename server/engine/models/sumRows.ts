/**
 * Column sums of a row-major [rows, cols] matrix: the sum of a tensor over its leading axes
 * (a bias gradient sums dy [batch, h, w, c] to [c]). One pass over the rows, accumulated in
 * float64 so long columns (tens of thousands of rows) keep float32 precision.
 */
export function sumRowsInto(x: Float32Array, rows: number, out: Float32Array): void {
  const cols = out.length;
  if (x.length !== rows * cols) throw new Error(`sumRows: ${x.length} values are not ${rows} rows of ${cols}`);
  const acc = new Float64Array(cols);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++, i++) acc[c] = (acc[c] as number) + (x[i] as number);
  }
  out.set(acc);
}
