import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

/** The fixture's 600 8×8 digits (UCI, see fixtures/models/README.md): 64 pixel values 0–16 then the label per line. */
export interface Digits {
  /** n × 64, row-major, each pixel divided by `divisor`. */
  data: Float32Array;
  labels: Int32Array;
  n: number;
  dim: number;
}

/** Reads test/fixtures/models/digits600.csv.gz; pixels are divided by `divisor` (16 puts them in [0, 1]). */
export function readDigits(divisor = 16): Digits {
  const text = gunzipSync(readFileSync(path.join(__dirname, '../fixtures/models/digits600.csv.gz'))).toString('utf8');
  const rows = text.trim().split('\n');
  const dim = 64;
  const data = new Float32Array(rows.length * dim);
  const labels = new Int32Array(rows.length);
  rows.forEach((line, i) => {
    const values = line.split(',').map(Number);
    for (let k = 0; k < dim; k++) data[i * dim + k] = values[k]! / divisor;
    labels[i] = values[dim]!;
  });
  return { data, labels, n: rows.length, dim };
}
