/**
 * HOG on Fashion-MNIST (issue 5 §2): images per second of `hogMatrix` with DEFAULT_HOG, side by
 * side with scikit-image's `skimage.feature.hog` called per image (how it is used: there is no
 * batched form), on the same 5,000 training images; and the largest |difference| between the two
 * descriptors over the first 200 of them (the unit test checks 8 images at 1e-6).
 * The anchor runs under /usr/bin/python3; without skimage it is reported as skipped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DEFAULT_HOG, hogMatrix } from '../server/engine/features/hog';
import { medianTimes, row, skippedRow, type BenchContext, type BenchRow } from './harness';

const IMAGES = 5000;
const COMPARED = 200;

const ANCHOR = `
import gzip, json, sys, time
import numpy as np
from skimage.feature import hog
path, n, compared, o, ppc, cpb, norm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
with gzip.open(path) as f:
    raw = f.read()
imgs = np.frombuffer(raw, dtype=np.uint8, offset=16)[: n * 784].reshape(n, 28, 28)
kw = dict(orientations=o, pixels_per_cell=(ppc, ppc), cells_per_block=(cpb, cpb), block_norm=norm)
for im in imgs[:50]:
    hog(im, **kw)
t = time.perf_counter()
out = [hog(im, **kw) for im in imgs]
seconds = time.perf_counter() - t
print(json.dumps({'seconds': seconds, 'descriptors': [d.tolist() for d in out[:compared]]}))
`;

export function run(ctx: BenchContext): Promise<BenchRow[]> {
  const bench = 'hog';
  const file = path.join(ctx.sharedData, 'images', 'train-images-idx3-ubyte.gz');
  if (!existsSync(file)) return Promise.resolve([skippedRow(bench, 'images/s (5,000 Fashion-MNIST)', 'skimage', `no ${file}`)]);
  const raw = gunzipSync(readFileSync(file));
  const data = new Float32Array(IMAGES * 784);
  for (let k = 0; k < data.length; k++) data[k] = raw[16 + k] as number;
  let ours = hogMatrix({ data, shape: [28, 28] });
  const seconds = medianTimes({ ours: () => (ours = hogMatrix({ data, shape: [28, 28] })) }, 5).ours as number;
  ctx.log(`hog: ours ${(IMAGES / seconds).toFixed(0)} images/s`);

  const [ppcRow, ppcCol] = DEFAULT_HOG.pixelsPerCell;
  const [cpbRow, cpbCol] = DEFAULT_HOG.cellsPerBlock;
  if (ppcRow !== ppcCol || cpbRow !== cpbCol) throw new Error('hog.bench passes square cells and blocks to the anchor');
  const args = ['-c', ANCHOR, file, String(IMAGES), String(COMPARED), String(DEFAULT_HOG.orientations), String(ppcRow), String(cpbRow), DEFAULT_HOG.blockNorm];
  const py = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (py.status !== 0) {
    const why = py.error ? String(py.error) : py.stderr.trim().split('\n').at(-1) ?? `exit ${py.status}`;
    return Promise.resolve([
      row({ bench, metric: 'images/s (5,000 Fashion-MNIST)', ours: IMAGES / seconds, anchor: null, anchorName: 'skimage', higherIsBetter: true, note: `anchor skipped: ${why}` }),
    ]);
  }
  const anchor = JSON.parse(py.stdout) as { seconds: number; descriptors: number[][] };
  let maxDiff = 0;
  anchor.descriptors.forEach((d, i) => {
    for (let j = 0; j < d.length; j++) maxDiff = Math.max(maxDiff, Math.abs((ours.data[i * ours.dim + j] as number) - (d[j] as number)));
  });
  return Promise.resolve([
    row({ bench, metric: 'images/s (5,000 Fashion-MNIST)', ours: IMAGES / seconds, anchor: IMAGES / anchor.seconds, anchorName: 'skimage hog per image', higherIsBetter: true, target: '≥ 1×' }),
    row({
      bench,
      metric: `max |Δ| vs skimage (${COMPARED} images)`,
      ours: maxDiff,
      anchor: null,
      anchorName: 'skimage',
      higherIsBetter: false,
      note: `descriptor length ${ours.dim}; ≤ 1e-6 expected (float32 output)`,
    }),
  ]);
}
