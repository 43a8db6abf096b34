import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { DEFAULT_HOG, HogExtractor, hog, hogGeometry, hogMatrix, type BlockNorm, type HogOptions } from '../../../server/engine/features/hog';
import { mulberry32, randomInt } from './rng';

interface ReferenceParams {
  orientations: number;
  pixels_per_cell: [number, number];
  cells_per_block: [number, number];
  block_norm: BlockNorm;
  transform_sqrt: boolean;
}
interface Reference {
  generator: string;
  params: ReferenceParams[];
  cases: { name: string; shape: [number, number, number]; pixels: number[]; descriptors: number[][] }[];
}

const reference = JSON.parse(readFileSync(path.join(__dirname, '../../fixtures/hog/reference.json'), 'utf8')) as Reference;

function toOptions(p: ReferenceParams): HogOptions {
  return { orientations: p.orientations, pixelsPerCell: p.pixels_per_cell, cellsPerBlock: p.cells_per_block, blockNorm: p.block_norm, transformSqrt: p.transform_sqrt };
}

/**
 * numpy's hypot (glibc's): correctly rounded where the sum of squares is exact, as it is for
 * integer pixels. Not Math.hypot: V8's is 1 ulp off at times — hypot(−3, −158) gives
 * 158.02847844613322 where glibc and √24973 give …325 — and so split a tie between two channels
 * of equal magnitude (−3, −158 and 147, −58) that skimage's argmax keeps as a tie (the first).
 */
function hypot(a: number, b: number): number {
  return Math.sqrt(a * a + b * b);
}

/**
 * A literal transcription of skimage 0.19's hog (_hog.py + _hoghistogram.pyx): whole gradient
 * and orientation images, argmax over channels by hypot, then cell_hog's loop per orientation and
 * cell (with its C `float` accumulator), then each block sliced and normalised. Slow and plain.
 */
function referenceHog(px: ArrayLike<number>, h: number, w: number, c: number, o: HogOptions): Float32Array {
  const img = Array.from(px, (v) => (o.transformSqrt ? Math.sqrt(v) : v));
  const gRow = new Float64Array(h * w);
  const gCol = new Float64Array(h * w);
  for (let r = 0; r < h; r++) {
    for (let x = 0; x < w; x++) {
      let best = -1;
      for (let ch = 0; ch < c; ch++) {
        const at = (rr: number, xx: number) => img[(rr * w + xx) * c + ch];
        const dr = r === 0 || r === h - 1 ? 0 : at(r + 1, x) - at(r - 1, x);
        const dc = x === 0 || x === w - 1 ? 0 : at(r, x + 1) - at(r, x - 1);
        const m = hypot(dr, dc);
        if (m > best) {
          best = m;
          gRow[r * w + x] = dr;
          gCol[r * w + x] = dc;
        }
      }
    }
  }
  const magnitude = Array.from(gRow, (gr, k) => hypot(gCol[k], gr));
  const orientation = Array.from(gRow, (gr, k) => {
    const deg = Math.atan2(gr, gCol[k]) * (180 / Math.PI);
    return ((deg % 180) + 180) % 180;
  });
  const [cRow, cCol] = o.pixelsPerCell;
  const nCellsRow = Math.floor(h / cRow);
  const nCellsCol = Math.floor(w / cCol);
  const n = o.orientations;
  const hist: number[][][] = Array.from({ length: nCellsRow }, () => Array.from({ length: nCellsCol }, () => new Array<number>(n).fill(0)));
  for (let i = 0; i < n; i++) {
    const start = (180 / n) * (i + 1);
    const end = (180 / n) * i;
    for (let ri = 0; ri < nCellsRow; ri++) {
      for (let ci = 0; ci < nCellsCol; ci++) {
        let total = 0;
        for (let r = ri * cRow; r < (ri + 1) * cRow; r++) {
          for (let x = ci * cCol; x < (ci + 1) * cCol; x++) {
            const k = r * w + x;
            if (orientation[k] >= start || orientation[k] < end) continue;
            total = Math.fround(total + magnitude[k]);
          }
        }
        hist[ri][ci][i] = Math.fround(total / (cRow * cCol));
      }
    }
  }
  const [bRow, bCol] = o.cellsPerBlock;
  const out: number[] = [];
  const eps = 1e-5;
  for (let br = 0; br + bRow <= nCellsRow; br++) {
    for (let bc = 0; bc + bCol <= nCellsCol; bc++) {
      let block: number[] = [];
      for (let i = 0; i < bRow; i++) for (let j = 0; j < bCol; j++) block.push(...hist[br + i][bc + j]);
      const l1 = block.reduce((a, v) => a + Math.abs(v), 0);
      const l2 = (b: number[]) => Math.sqrt(b.reduce((a, v) => a + v * v, 0) + eps * eps);
      if (o.blockNorm === 'L1') block = block.map((v) => v / (l1 + eps));
      else if (o.blockNorm === 'L1-sqrt') block = block.map((v) => Math.sqrt(v / (l1 + eps)));
      else {
        const d = l2(block);
        block = block.map((v) => v / d);
        if (o.blockNorm === 'L2-Hys') {
          block = block.map((v) => Math.min(v, 0.2));
          const d2 = l2(block);
          block = block.map((v) => v / d2);
        }
      }
      out.push(...block);
    }
  }
  return Float32Array.from(out);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= tol)) assert.fail(`${what}: value ${i} is ${actual[i]}, expected ${expected[i]} (|Δ| = ${d})`);
  }
}

const hogOptionsArb = fc.record({
  orientations: fc.integer({ min: 1, max: 16 }),
  pixelsPerCell: fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 })),
  cellsPerBlock: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  blockNorm: fc.constantFrom<BlockNorm>('L1', 'L1-sqrt', 'L2', 'L2-Hys'),
  transformSqrt: fc.boolean(),
});

void describe('hog', () => {
  void it(`matches skimage.feature.hog on real Fashion-MNIST images, grey, RGB and cropped (${reference.generator})`, () => {
    assert.ok(reference.cases.length >= 8 && reference.params.length >= 4);
    for (const c of reference.cases) {
      const [h, w, ch] = c.shape;
      reference.params.forEach((p, k) => {
        // Our float32 cell sums reproduce skimage's: the differences left are float32 rounding
        // of the output (≤ 1 ulp ≈ 3e-8), well inside 1e-6.
        assertClose(hog(c.pixels, h, w, ch, toOptions(p)), c.descriptors[k], 1e-6, `${c.name}, params ${JSON.stringify(p)}`);
      });
    }
  });

  // Bit for bit (tolerance 0): the fast one-pass code must keep skimage's float32 cell sums and
  // its bin bounds exactly, which the 1e-6 check against skimage alone would not notice.
  void it('matches a literal transcription of skimage bit for bit on random images, shapes and parameters', () => {
    fc.assert(
      fc.property(hogOptionsArb, fc.integer({ min: 1, max: 3 }), fc.integer(), fc.boolean(), (o, c, seed, sparse) => {
        const rng = mulberry32(seed);
        const h = o.pixelsPerCell[0] * o.cellsPerBlock[0] + randomInt(rng, 0, 9);
        const w = o.pixelsPerCell[1] * o.cellsPerBlock[1] + randomInt(rng, 0, 9);
        // Sparse images have flat regions and steps: zero gradients and exact 0/45/90/135° angles.
        const px = Float32Array.from({ length: h * w * c }, () => (sparse ? (rng() < 0.7 ? 0 : 255 * randomInt(rng, 0, 2)) : randomInt(rng, 0, 256)));
        assertClose(hog(px, h, w, c, o), referenceHog(px, h, w, c, o), 0, `${h}×${w}×${c} ${JSON.stringify(o)}`);
      }),
      { numRuns: 300, seed: 15 },
    );
  });

  void it('gives the grey descriptor for an RGB image whose channels are equal', () => {
    const g = reference.cases[0];
    const [h, w] = g.shape;
    const rgb = new Float32Array(h * w * 3);
    g.pixels.forEach((v, k) => rgb.fill(v, 3 * k, 3 * k + 3));
    assert.deepEqual(hog(rgb, h, w, 3), hog(g.pixels, h, w, 1));
  });

  void it('is zero on a flat image and has the geometry of the defaults on 28×28', () => {
    const geometry = hogGeometry(28, 28);
    assert.deepEqual(geometry, { cellsRow: 7, cellsCol: 7, blocksRow: 6, blocksCol: 6, length: 1296 });
    const flat = hog(new Float32Array(28 * 28).fill(120), 28, 28, 1);
    assert.equal(flat.length, 1296);
    assert.ok(flat.every((v) => v === 0));
    assert.equal(DEFAULT_HOG.blockNorm, 'L2-Hys');
  });

  void it('hogMatrix equals hog per image, reports progress and stops when the check throws', () => {
    const cases = reference.cases.filter((c) => c.shape[0] === 28 && c.shape[1] === 28 && c.shape[2] === 1);
    const data = Float32Array.from(cases.flatMap((c) => c.pixels));
    const progress: [number, number][] = [];
    const m = hogMatrix({ data, shape: [28, 28] }, { orientations: 12 }, { onProgress: (d, t) => progress.push([d, t]), progressEvery: 2 });
    const len = hogGeometry(28, 28, { orientations: 12 }).length;
    assert.equal(m.dim, len);
    assert.equal(m.data.length, cases.length * len);
    cases.forEach((c, i) => assert.deepEqual(m.data.subarray(i * len, (i + 1) * len), hog(c.pixels, 28, 28, 1, { orientations: 12 })));
    assert.deepEqual(progress.at(-1), [cases.length, cases.length]);
    assert.ok(progress.length >= 3);
    let calls = 0;
    assert.throws(
      () =>
        hogMatrix({ data, shape: [28, 28, 1] }, {}, {
          progressEvery: 1,
          checkCancelled: () => {
            if (++calls === 3) throw new Error('cancelled');
          },
        }),
      /cancelled/,
    );
    assert.equal(calls, 3);
  });

  void it('reuses one extractor without carrying state between images', () => {
    const ex = new HogExtractor(28, 28, 1);
    const a = reference.cases[0].pixels;
    const b = reference.cases[1].pixels;
    const first = ex.extract(a);
    ex.extract(b);
    assert.deepEqual(ex.extract(a), first);
  });

  void it('rejects bad shapes and options with a message naming the problem', () => {
    assert.throws(() => hog(new Float32Array(49), 7, 7, 1, { pixelsPerCell: [4, 4] }), /fewer than one block/);
    assert.throws(() => hog(new Float32Array(10), 28, 28, 1), /expected 28×28×1 = 784 values, got 10/);
    assert.throws(() => hog(new Float32Array(784), 28, 28, 1, { orientations: 0 }), /orientations/);
    assert.throws(() => hog(new Float32Array(784), 28, 28, 1, { pixelsPerCell: [4, 0] }), /pixelsPerCell/);
    assert.throws(() => hog(new Float32Array(784), 28, 28, 1, { blockNorm: 'L3' as BlockNorm }), /blockNorm/);
    assert.throws(() => hogMatrix({ data: new Float32Array(100), shape: [28, 28] }), /not whole 28×28×1 images/);
    assert.throws(() => hogMatrix({ data: new Float32Array(100), shape: [100] }), /shape \[h, w\] or \[h, w, c\]/);
  });
});
