/**
 * The training kernels registered for the wasm backend (wasmKernels.ts) against the cpu
 * backend's own gradients, on random shapes: strides 1–3, 'same' and 'valid' padding, several
 * channels and images. Also Conv3D (the wasm backend's own kernels), a whole training step of a
 * small conv net, and that a training loop leaks no tensors.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../server/engine/models/backend';
import { maxPoolGradInto } from '../../../server/engine/models/maxPoolGrad';
import { SimdMaxPoolGrad, simdMaxPoolGrad } from '../../../server/engine/models/maxPoolGradSimd';
import { sumRowsInto } from '../../../server/engine/models/sumRows';
import { simdSumRows } from '../../../server/engine/models/sumRowsSimd';
import { SimdFilterGrad, simdFilterGrad } from '../../../server/engine/models/filterGradSimd';
import { tileInto } from '../../../server/engine/models/tile';
import { COL2IM, IM2ROWS_T, ROWS_T_TIMES, col2imInto, im2rowsTInto } from '../../../server/engine/models/im2col';
import { conv2dFilterGradientByConv, conv2dFilterGradientByGemm, conv2dInputGradientByConv, conv2dInputGradientByGemm } from '../../../server/engine/models/conv2dGrad';
import { conv2dGeometry } from '../../../server/engine/models/conv2dGeometry';
import { mulberry32 } from '../features/rng';
import { assertClose, on, type Backend } from './tensorChecks';

function normals(n: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng()));
    const t = 2 * Math.PI * rng();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

before(async () => {
  const choice = await initBackend('wasm');
  assert.equal(choice.backend, 'wasm', choice.reason);
});

/** Geometries for the im2col / col2im property tests: small inputs, 1–3 taps and strides, same/valid. */
const im2colCases = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 9 }),
  w: fc.integer({ min: 1, max: 9 }),
  c: fc.integer({ min: 1, max: 4 }),
  kh: fc.integer({ min: 1, max: 3 }),
  kw: fc.integer({ min: 1, max: 3 }),
  sh: fc.integer({ min: 1, max: 3 }),
  sw: fc.integer({ min: 1, max: 3 }),
  pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
  seed: fc.integer({ min: 1, max: 1e6 }),
});

/** Consecutive float32 views of the given lengths at the start of `memory`, grown to hold them. */
function viewsIn(memory: WebAssembly.Memory, ...lengths: number[]): Float32Array[] {
  const need = 4 * lengths.reduce((p, n) => p + n, 0);
  if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
  let offset = 0;
  return lengths.map((n) => {
    const view = new Float32Array(memory.buffer, offset, n);
    offset += 4 * n;
    return view;
  });
}

void describe('wasm training kernels', () => {
  void it('registers Conv2DBackpropFilter (missing in wasm) and replaces the faulty or slow kernels', async () => {
    const choice = await initBackend('wasm');
    const replaced = ['BatchMatMul', 'Cast', 'Conv2D', 'Conv2DBackpropInput', 'Conv3DBackpropFilterV2', 'Conv3DBackpropInputV2', 'DepthwiseConv2dNative', 'FusedConv2D', 'FusedDepthwiseConv2D', 'Identity', 'MaxPoolGrad', 'Mean', 'Sum', 'Tile'];
    assert.deepEqual([...(choice.kernels?.registered ?? [])].sort(), ['Conv2DBackpropFilter', IM2ROWS_T, COL2IM, ROWS_T_TIMES, ...replaced].sort());
    assert.deepEqual([...(choice.kernels?.replaced ?? [])].sort(), replaced);
    assert.equal((await initBackend('wasm')).kernels, choice.kernels, 'registered once');
  });

  void it("forward conv2d and depthwise conv2d match cpu, 'same' padding with strides larger than the kernel included", async () => {
    const shapes = fc.record({
      batch: fc.integer({ min: 1, max: 2 }),
      h: fc.integer({ min: 2, max: 10 }),
      w: fc.integer({ min: 2, max: 10 }),
      inC: fc.integer({ min: 1, max: 3 }),
      outC: fc.integer({ min: 1, max: 3 }),
      k: fc.integer({ min: 1, max: 3 }),
      stride: fc.integer({ min: 1, max: 4 }),
      pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
      seed: fc.integer({ min: 1, max: 1e6 }),
    });
    await fc.assert(
      fc.asyncProperty(shapes, async (s) => {
        if (s.k > s.h || s.k > s.w) return;
        const xShape: [number, number, number, number] = [s.batch, s.h, s.w, s.inC];
        const xv = normals(size(xShape), s.seed);
        const fv = normals(s.k * s.k * s.inC * s.outC, s.seed + 1);
        const outputs = (): tf.Tensor[] => {
          const x = tf.tensor4d(xv, xShape);
          const f = tf.tensor4d(fv, [s.k, s.k, s.inC, s.outC]);
          const bias = tf.tensor1d(normals(s.outC, s.seed + 2));
          const depthwiseFilter = tf.tensor4d(fv.slice(0, s.k * s.k * s.inC), [s.k, s.k, s.inC, 1]);
          return [
            tf.conv2d(x, f, s.stride, s.pad),
            tf.fused.conv2d({ x, filter: f, strides: s.stride, pad: s.pad, bias, activation: 'relu' }),
            tf.depthwiseConv2d(x, depthwiseFilter, s.stride, s.pad),
          ];
        };
        const cpu = await on('cpu', outputs);
        const wasm = await on('wasm', outputs);
        for (let i = 0; i < 3; i++) assertClose(wasm[i] as Float32Array, cpu[i] as Float32Array, 1e-4, `${JSON.stringify(s)} output ${i}`);
      }),
      { numRuns: 60, seed: 99 },
    );
  });

  void it('conv2d gradients (filter and input) match the cpu backend to 1e-4 (random shapes, strides 1–3, same/valid)', async () => {
    const shapes = fc.record({
      batch: fc.integer({ min: 1, max: 3 }),
      h: fc.integer({ min: 3, max: 12 }),
      w: fc.integer({ min: 3, max: 12 }),
      inC: fc.integer({ min: 1, max: 7 }),
      // 4 and 8: few-channel inputs with filters in fours take the SIMD product (filterGradSimd.ts).
      outC: fc.constantFrom(1, 2, 3, 4, 5, 8),
      k: fc.integer({ min: 1, max: 3 }),
      stride: fc.integer({ min: 1, max: 3 }),
      pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
      seed: fc.integer({ min: 1, max: 1e6 }),
    });
    await fc.assert(
      fc.asyncProperty(shapes, async (s) => {
        const xShape = [s.batch, s.h, s.w, s.inC];
        const fShape = [s.k, s.k, s.inC, s.outC];
        const xv = normals(size(xShape), s.seed);
        const fv = normals(size(fShape), s.seed + 1);
        const grads = (): tf.Tensor[] => {
          const x = tf.tensor4d(xv, xShape as [number, number, number, number]);
          const f = tf.tensor4d(fv, fShape as [number, number, number, number]);
          const y = tf.conv2d(x, f, s.stride, s.pad);
          // A random linear function of the output, so dy is not all ones.
          const weights = tf.tensor(normals(y.size, s.seed + 2), y.shape);
          const loss = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s.stride, s.pad).mul(weights).sum();
          return [y, ...tf.grads(loss)([x, f])];
        };
        const cpu = await on('cpu', grads);
        const wasm = await on('wasm', grads);
        const label = JSON.stringify(s);
        assertClose(wasm[0] as Float32Array, cpu[0] as Float32Array, 1e-4, `${label} forward`);
        assertClose(wasm[1] as Float32Array, cpu[1] as Float32Array, 1e-4, `${label} dx`);
        assertClose(wasm[2] as Float32Array, cpu[2] as Float32Array, 1e-4, `${label} dfilter`);
      }),
      { numRuns: 60, seed: 4242 },
    );
  });

  void it('the fused conv2d of tf.layers (bias + relu) trains alike: gradients of x, filter and bias match cpu', async () => {
    for (const [stride, pad] of [[1, 'same'], [2, 'valid'], [2, 'same']] as const) {
      const xShape: [number, number, number, number] = [4, 11, 9, 3];
      const fShape: [number, number, number, number] = [3, 3, 3, 6];
      const grads = (): tf.Tensor[] => {
        const x = tf.tensor4d(normals(size(xShape), 1), xShape);
        const f = tf.tensor4d(normals(size(fShape), 2), fShape);
        const bias = tf.tensor1d(normals(6, 3));
        const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor): tf.Scalar =>
          tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: stride, pad, bias: c, activation: 'relu' }).square().sum();
        return tf.grads(loss)([x, f, bias]);
      };
      const cpu = await on('cpu', grads);
      const wasm = await on('wasm', grads);
      for (let i = 0; i < 3; i++) assertClose(wasm[i] as Float32Array, cpu[i] as Float32Array, 1e-4, `stride ${stride} ${pad} grad ${i}`);
    }
  });

  void it('maxPool gradients match cpu exactly, ties included (values from a small set, zeros as after a relu)', async () => {
    const cases = fc.record({
      batch: fc.integer({ min: 1, max: 3 }),
      h: fc.integer({ min: 2, max: 10 }),
      w: fc.integer({ min: 2, max: 10 }),
      c: fc.constantFrom(1, 2, 3, 4, 5, 8),
      pool: fc.integer({ min: 1, max: 3 }),
      stride: fc.integer({ min: 1, max: 3 }),
      pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
      seed: fc.integer({ min: 1, max: 1e6 }),
    });
    await fc.assert(
      fc.asyncProperty(cases, async (s) => {
        if (s.pool > s.h || s.pool > s.w) return;
        const shape: [number, number, number, number] = [s.batch, s.h, s.w, s.c];
        const rng = mulberry32(s.seed);
        const xv = Float32Array.from({ length: size(shape) }, () => Math.max(0, Math.floor(rng() * 5) - 2));
        const grads = (): tf.Tensor[] => {
          const x = tf.tensor4d(xv, shape);
          const y = tf.maxPool(x, s.pool, s.stride, s.pad);
          const weights = tf.tensor(normals(y.size, s.seed + 1), y.shape);
          return [tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, s.pool, s.stride, s.pad).mul(weights).sum())(x)];
        };
        const cpu = await on('cpu', grads);
        const wasm = await on('wasm', grads);
        assertClose(wasm[0] as Float32Array, cpu[0] as Float32Array, 1e-6, JSON.stringify(s));
      }),
      { numRuns: 80, seed: 77 },
    );
  });

  void it('the SIMD 2×2 max-pool gradient equals the scalar loop bit for bit (ties, odd sizes, channels in fours)', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const kernel = simdMaxPoolGrad(memory);
    assert.ok(kernel, 'WebAssembly SIMD is available in Node 20');
    const rng = mulberry32(5);
    for (const [batch, h, w, c] of [[1, 2, 2, 4], [2, 5, 7, 8], [3, 26, 26, 32], [2, 11, 11, 64], [1, 9, 4, 12]] as const) {
      const g = { batch, inHeight: h, inWidth: w, channels: c, outHeight: Math.floor(h / 2), outWidth: Math.floor(w / 2), filterHeight: 2, filterWidth: 2, strideHeight: 2, strideWidth: 2, padTop: 0, padLeft: 0 };
      assert.ok(SimdMaxPoolGrad.handles(g));
      const nx = batch * h * w * c;
      const ny = batch * g.outHeight * g.outWidth * c;
      const [x, dy, dx] = viewsIn(memory, nx, ny, nx) as [Float32Array, Float32Array, Float32Array];
      // Values from a small set with zeros as after a relu: many ties inside windows.
      for (let i = 0; i < nx; i++) x[i] = Math.max(0, Math.floor(rng() * 5) - 2);
      for (let i = 0; i < ny; i++) dy[i] = rng() * 2 - 1;
      dx.fill(Number.NaN);
      const scalar = new Float32Array(nx);
      maxPoolGradInto(x, dy, scalar, g);
      kernel.run(x, dy, dx, g);
      assert.deepEqual(Array.from(dx), Array.from(scalar), `[${batch}, ${h}, ${w}, ${c}]`);
    }
    assert.equal(SimdMaxPoolGrad.handles({ batch: 1, inHeight: 4, inWidth: 4, channels: 3, outHeight: 2, outWidth: 2, filterHeight: 2, filterWidth: 2, strideHeight: 2, strideWidth: 2, padTop: 0, padLeft: 0 }), false);
    assert.throws(() => kernel.run(new Float32Array(16), new Float32Array(4), new Float32Array(16), { batch: 1, inHeight: 2, inWidth: 2, channels: 4, outHeight: 1, outWidth: 1, filterHeight: 2, filterWidth: 2, strideHeight: 2, strideWidth: 2, padTop: 0, padLeft: 0 }), /views of the kernel's memory/);
  });

  void it('maxPoolGradInto rejects arrays of the wrong size', () => {
    const g = { batch: 1, inHeight: 4, inWidth: 4, channels: 2, outHeight: 2, outWidth: 2, filterHeight: 2, filterWidth: 2, strideHeight: 2, strideWidth: 2, padTop: 0, padLeft: 0 };
    assert.throws(() => maxPoolGradInto(new Float32Array(31), new Float32Array(8), new Float32Array(31), g), /x has 31 values, expected 32/);
    assert.throws(() => maxPoolGradInto(new Float32Array(32), new Float32Array(7), new Float32Array(32), g), /dy has 7 values, expected 8/);
  });

  void it('Conv3D forward and gradients match cpu (random shapes, strides 1–3, same/valid)', async () => {
    const shapes = fc.record({
      batch: fc.integer({ min: 1, max: 2 }),
      d: fc.integer({ min: 2, max: 7 }),
      h: fc.integer({ min: 2, max: 7 }),
      w: fc.integer({ min: 2, max: 7 }),
      inC: fc.integer({ min: 1, max: 3 }),
      outC: fc.integer({ min: 1, max: 3 }),
      kd: fc.integer({ min: 1, max: 3 }),
      k: fc.integer({ min: 1, max: 3 }),
      stride: fc.integer({ min: 1, max: 3 }),
      pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
      seed: fc.integer({ min: 1, max: 1e6 }),
    });
    await fc.assert(
      fc.asyncProperty(shapes, async (s) => {
        if (s.kd > s.d || s.k > s.h || s.k > s.w) return;
        const xShape: [number, number, number, number, number] = [s.batch, s.d, s.h, s.w, s.inC];
        const fShape: [number, number, number, number, number] = [s.kd, s.k, s.k, s.inC, s.outC];
        const xv = normals(size(xShape), s.seed);
        const fv = normals(size(fShape), s.seed + 1);
        const grads = (): tf.Tensor[] => {
          const x = tf.tensor5d(xv, xShape);
          const f = tf.tensor5d(fv, fShape);
          const y = tf.conv3d(x, f, s.stride, s.pad);
          const weights = tf.tensor(normals(y.size, s.seed + 2), y.shape);
          const loss = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, s.stride, s.pad).mul(weights).sum();
          return [y, ...tf.grads(loss)([x, f])];
        };
        const cpu = await on('cpu', grads);
        const wasm = await on('wasm', grads);
        for (let i = 0; i < 3; i++) assertClose(wasm[i] as Float32Array, cpu[i] as Float32Array, 1e-4, `${JSON.stringify(s)} output ${i}`);
      }),
      { numRuns: 60, seed: 3 },
    );
  });

  void it('both filter-gradient forms (im2col GEMM and transposed conv) agree on wasm, for any channel count', async () => {
    const shapes = fc.record({
      batch: fc.integer({ min: 1, max: 3 }),
      h: fc.integer({ min: 3, max: 11 }),
      w: fc.integer({ min: 3, max: 11 }),
      inC: fc.integer({ min: 1, max: 9 }),
      outC: fc.integer({ min: 1, max: 5 }),
      kh: fc.integer({ min: 1, max: 3 }),
      kw: fc.integer({ min: 1, max: 3 }),
      sh: fc.integer({ min: 1, max: 3 }),
      sw: fc.integer({ min: 1, max: 3 }),
      pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
      seed: fc.integer({ min: 1, max: 1e6 }),
    });
    await tf.setBackend('wasm');
    fc.assert(
      fc.property(shapes, (s) => {
        const xShape: [number, number, number, number] = [s.batch, s.h, s.w, s.inC];
        const g = conv2dGeometry(xShape, [s.kh, s.kw, s.inC, s.outC], [s.sh, s.sw], s.pad);
        const [gemm, conv] = tf.tidy(() => {
          const x = tf.tensor4d(normals(size(xShape), s.seed), xShape);
          const dy = tf.tensor4d(normals(g.batch * g.outHeight * g.outWidth * s.outC, s.seed + 1), [g.batch, g.outHeight, g.outWidth, s.outC]);
          return [conv2dFilterGradientByGemm(x, dy, g).dataSync() as Float32Array, conv2dFilterGradientByConv(x, dy, g).dataSync() as Float32Array];
        });
        assertClose(gemm, conv, 1e-4, JSON.stringify(s));
      }),
      { numRuns: 60, seed: 5150 },
    );
  });

  void it('both input-gradient forms (GEMM + col2im and conv of dilated dy) agree on wasm, for any channel count', async () => {
    const shapes = fc.record({
      batch: fc.integer({ min: 1, max: 3 }),
      h: fc.integer({ min: 3, max: 11 }),
      w: fc.integer({ min: 3, max: 11 }),
      inC: fc.integer({ min: 1, max: 6 }),
      outC: fc.integer({ min: 1, max: 5 }),
      k: fc.integer({ min: 1, max: 3 }),
      stride: fc.integer({ min: 1, max: 3 }),
      pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
      seed: fc.integer({ min: 1, max: 1e6 }),
    });
    await tf.setBackend('wasm');
    fc.assert(
      fc.property(shapes, (s) => {
        const fShape: [number, number, number, number] = [s.k, s.k, s.inC, s.outC];
        const g = conv2dGeometry([s.batch, s.h, s.w, s.inC], fShape, s.stride, s.pad);
        const [gemm, conv] = tf.tidy(() => {
          const f = tf.tensor4d(normals(size(fShape), s.seed), fShape);
          const dy = tf.tensor4d(normals(g.batch * g.outHeight * g.outWidth * s.outC, s.seed + 1), [g.batch, g.outHeight, g.outWidth, s.outC]);
          return [conv2dInputGradientByGemm(dy, f, g).dataSync() as Float32Array, conv2dInputGradientByConv(dy, f, g).dataSync() as Float32Array];
        });
        assertClose(gemm, conv, 1e-4, JSON.stringify(s));
      }),
      { numRuns: 60, seed: 6060 },
    );
  });

  void it('col2imInto adds each column back at its tap (the adjoint of im2rowsTInto: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩)', () => {
    const cases = im2colCases;
    fc.assert(
      fc.property(cases, (s) => {
        if (s.pad === 'valid' && (s.kh > s.h || s.kw > s.w)) return;
        const g = conv2dGeometry([s.batch, s.h, s.w, s.c], [s.kh, s.kw, s.c, 1], [s.sh, s.sw], s.pad);
        const rows = g.batch * g.outHeight * g.outWidth;
        const K = s.kh * s.kw * s.c;
        const cols = normals(rows * K, s.seed);
        const dx = new Float32Array(s.batch * s.h * s.w * s.c).fill(NaN);
        col2imInto(cols, g, dx);
        // Plain reference: scatter every column entry to its input position.
        const want = new Float64Array(dx.length);
        for (let r = 0; r < rows; r++) {
          const b = Math.floor(r / (g.outHeight * g.outWidth));
          const oy = Math.floor(r / g.outWidth) % g.outHeight;
          const ox = r % g.outWidth;
          for (let i = 0; i < s.kh; i++)
            for (let j = 0; j < s.kw; j++)
              for (let c = 0; c < s.c; c++) {
                const y = oy * s.sh + i - g.padTop;
                const xx = ox * s.sw + j - g.padLeft;
                if (y >= 0 && y < s.h && xx >= 0 && xx < s.w) want[((b * s.h + y) * s.w + xx) * s.c + c] += cols[r * K + (i * s.kw + j) * s.c + c] as number;
              }
        }
        assertClose(dx, Float32Array.from(want), 1e-5, JSON.stringify(s));
        // Adjointness with im2rowsT (whose layout is the transpose of cols').
        const x = normals(dx.length, s.seed + 1);
        const patchesT = new Float32Array(K * rows);
        im2rowsTInto(x, g, patchesT);
        let lhs = 0;
        for (let r = 0; r < rows; r++) for (let k = 0; k < K; k++) lhs += (patchesT[k * rows + r] as number) * (cols[r * K + k] as number);
        const rhs = x.reduce((p, v, i) => p + v * (dx[i] as number), 0);
        assert.ok(Math.abs(lhs - rhs) <= 1e-3 * Math.max(1, Math.abs(lhs)), `${JSON.stringify(s)}: ${lhs} vs ${rhs}`);
      }),
      { numRuns: 200, seed: 41 },
    );
    const g = conv2dGeometry([1, 4, 4, 2], [3, 3, 2, 1], 1, 'valid');
    assert.throws(() => col2imInto(new Float32Array(71), g, new Float32Array(32)), /cols has 71 values, expected 72/);
    assert.throws(() => col2imInto(new Float32Array(72), g, new Float32Array(31)), /dx has 31 values, expected 32/);
  });

  void it('im2rowsTInto matches a plain gather of the input under each filter tap (strides 1–3, padding, zeros outside)', () => {
    const cases = im2colCases;
    fc.assert(
      fc.property(cases, (s) => {
        if (s.pad === 'valid' && (s.kh > s.h || s.kw > s.w)) return;
        const g = conv2dGeometry([s.batch, s.h, s.w, s.c], [s.kh, s.kw, s.c, 1], [s.sh, s.sw], s.pad);
        const x = normals(s.batch * s.h * s.w * s.c, s.seed);
        const cols = g.batch * g.outHeight * g.outWidth;
        const out = new Float32Array(s.kh * s.kw * s.c * cols).fill(NaN);
        im2rowsTInto(x, g, out);
        for (let i = 0; i < s.kh; i++)
          for (let j = 0; j < s.kw; j++)
            for (let c = 0; c < s.c; c++)
              for (let b = 0; b < g.batch; b++)
                for (let oy = 0; oy < g.outHeight; oy++)
                  for (let ox = 0; ox < g.outWidth; ox++) {
                    const y = oy * s.sh + i - g.padTop;
                    const xx = ox * s.sw + j - g.padLeft;
                    const want = y >= 0 && y < s.h && xx >= 0 && xx < s.w ? (x[((b * s.h + y) * s.w + xx) * s.c + c] as number) : 0;
                    const at = ((i * s.kw + j) * s.c + c) * cols + (b * g.outHeight + oy) * g.outWidth + ox;
                    if (out[at] !== want) assert.fail(`${JSON.stringify(s)}: tap (${i}, ${j}) channel ${c} at (${b}, ${oy}, ${ox}): ${out[at]} vs ${want}`);
                  }
      }),
      { numRuns: 200, seed: 31 },
    );
    const g = conv2dGeometry([1, 4, 4, 2], [3, 3, 2, 1], 1, 'valid');
    assert.throws(() => im2rowsTInto(new Float32Array(31), g, new Float32Array(72)), /x has 31 values, expected 32/);
    assert.throws(() => im2rowsTInto(new Float32Array(32), g, new Float32Array(71)), /out has 71 values, expected 72/);
  });

  void it('tile matches cpu for ranks 1–4, repetitions 1–3, float32, int32 and bool', async () => {
    const cases = fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
      reps: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 4, maxLength: 4 }),
      dtype: fc.constantFrom<'float32' | 'int32' | 'bool'>('float32', 'int32', 'bool'),
      seed: fc.integer({ min: 1, max: 1e6 }),
    });
    await fc.assert(
      fc.asyncProperty(cases, async (s) => {
        const reps = s.reps.slice(0, s.shape.length);
        const values = Array.from(normals(size(s.shape), s.seed), (v) => (s.dtype === 'float32' ? v : s.dtype === 'int32' ? Math.round(4 * v) : Number(v > 0)));
        const outputs = (): tf.Tensor[] => [tf.tile(tf.tensor(values, s.shape, s.dtype), reps).cast('float32')];
        const cpu = await on('cpu', outputs);
        const wasm = await on('wasm', outputs);
        assertClose(wasm[0] as Float32Array, cpu[0] as Float32Array, 0, JSON.stringify(s));
      }),
      { numRuns: 80, seed: 8 },
    );
    const out = new Float32Array(12);
    tileInto(Float32Array.from([1, 2, 3]), [1, 3], [2, 2], out);
    assert.deepEqual([...out], [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
    assert.throws(() => tileInto(new Float32Array(3), [3], [2, 2], out), /2 repetitions for a rank-1 tensor/);
    assert.throws(() => tileInto(new Float32Array(3), [1, 3], [2, 3], out), /out has 12 values, expected 18/);
  });

  void it('Identity and same-dtype Cast share the data: a clone reads the same values and disposing either leaves the other intact', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const b = tf.clone(a);
    assert.deepEqual([...(await b.data())], [1, 2, 3, 4]);
    a.dispose();
    assert.deepEqual([...(await b.data())], [1, 2, 3, 4]);
    const c = tf.clone(b);
    b.dispose();
    const d = c.add(1);
    assert.deepEqual([...(await d.data())], [2, 3, 4, 5]);
    // Cast to its own dtype shares too; to another dtype it converts.
    const e = tf.cast(d, 'float32');
    d.dispose();
    const real = tf.tensor1d([1.7, -2.5, 0]);
    const f = tf.cast(real, 'int32');
    assert.deepEqual([...(await e.data())], [2, 3, 4, 5]);
    assert.deepEqual([...(await f.data())], [1, -2, 0]);
    assert.equal(f.dtype, 'int32');
    tf.dispose([c, e, f, real]);
    assert.equal(tf.memory().numTensors, before);
  });

  void it('sums over leading axes (bias gradients) and transposed matMuls match cpu', async () => {
    const cases = fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 4 }),
      lead: fc.integer({ min: 1, max: 3 }),
      keepDims: fc.boolean(),
      m: fc.integer({ min: 1, max: 40 }),
      k: fc.integer({ min: 1, max: 40 }),
      n: fc.integer({ min: 1, max: 40 }),
      batch: fc.integer({ min: 1, max: 3 }),
      transposeA: fc.boolean(),
      transposeB: fc.boolean(),
      seed: fc.integer({ min: 1, max: 1e6 }),
    });
    await fc.assert(
      fc.asyncProperty(cases, async (s) => {
        const shape = [64, ...s.shape]; // ≥ 64 rows, so the leading-axes path is taken
        const lead = Math.min(s.lead, shape.length - 1);
        const xv = normals(size(shape), s.seed);
        const aShape = [s.batch, s.transposeA ? s.k : s.m, s.transposeA ? s.m : s.k];
        const bShape = [s.batch, s.transposeB ? s.n : s.k, s.transposeB ? s.k : s.n];
        const av = normals(size(aShape), s.seed + 1);
        const bv = normals(size(bShape), s.seed + 2);
        const outputs = (): tf.Tensor[] => [
          tf.sum(tf.tensor(xv, shape), Array.from({ length: lead }, (_, i) => i), s.keepDims),
          tf.sum(tf.tensor(xv, shape), [shape.length - 1]),
          tf.matMul(tf.tensor3d(av, aShape as [number, number, number]), tf.tensor3d(bv, bShape as [number, number, number]), s.transposeA, s.transposeB),
          tf.mean(tf.tensor(xv, shape), Array.from({ length: lead }, (_, i) => i), s.keepDims),
        ];
        const cpu = await on('cpu', outputs);
        const wasm = await on('wasm', outputs);
        for (let i = 0; i < 4; i++) assertClose(wasm[i] as Float32Array, cpu[i] as Float32Array, 1e-4, `${JSON.stringify(s)} output ${i}`);
        await tf.setBackend('wasm');
        const shapes = tf.tidy(() => outputs().map((t) => t.shape));
        assert.deepEqual(shapes[0], s.keepDims ? [...new Array<number>(lead).fill(1), ...shape.slice(lead)] : shape.slice(lead));
      }),
      { numRuns: 40, seed: 11 },
    );
  });

  void it('sumRowsInto adds the rows of a matrix (blocks of eight rows and the rest), and rejects a size that is not rows × cols', () => {
    const out = new Float32Array(3);
    sumRowsInto(Float32Array.from([1, 2, 3, 10, 20, 30, 100, 200, 300, 1000, 2000, 3000]), 4, out);
    assert.deepEqual([...out], [1111, 2222, 3333]);
    for (const rows of [1, 7, 8, 9, 17, 64, 67]) {
      const x = normals(rows * 3, rows);
      const want = [0, 1, 2].map((c) => Array.from({ length: rows }, (_, r) => x[r * 3 + c] as number).reduce((p, v) => p + v, 0));
      sumRowsInto(x, rows, out);
      for (let c = 0; c < 3; c++) assert.ok(Math.abs((out[c] as number) - (want[c] as number)) < 1e-5, `rows ${rows} col ${c}`);
    }
    assert.throws(() => sumRowsInto(new Float32Array(10), 4, out), /10 values are not 4 rows of 3/);
  });

  void it('the SIMD filter-gradient product equals Pᵀ · dy summed in float64 (blocks of rows, 32- and 4-filter groups)', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const kernel = simdFilterGrad(memory);
    assert.ok(kernel, 'WebAssembly SIMD is available in Node 20');
    for (const [taps, rows, filters] of [[1, 1, 4], [9, 700, 32], [4, 300, 68], [36, 257, 8]] as const) {
      const [pT, dy, out] = viewsIn(memory, taps * rows, rows * filters, taps * filters) as [Float32Array, Float32Array, Float32Array];
      out.fill(Number.NaN);
      pT.set(normals(pT.length, taps));
      dy.set(normals(dy.length, filters));
      kernel.run(pT, dy, out, taps, rows, filters);
      for (let t = 0; t < taps; t++) {
        for (let f = 0; f < filters; f++) {
          let want = 0;
          for (let r = 0; r < rows; r++) want += (pT[t * rows + r] as number) * (dy[r * filters + f] as number);
          assert.ok(Math.abs((out[t * filters + f] as number) - want) <= 1e-4 * Math.max(1, Math.abs(want)), `[${taps}, ${rows}, ${filters}] tap ${t} filter ${f}`);
        }
      }
    }
    assert.equal(SimdFilterGrad.handles(6), false);
    assert.throws(() => kernel.run(new Float32Array(1), new Float32Array(4), new Float32Array(4), 1, 1, 4), /views of the kernel's memory/);
  });

  void it('the SIMD column sums equal the scalar loop (16-, 4- and 1-column remainders, long columns)', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const kernel = simdSumRows(memory);
    assert.ok(kernel, 'WebAssembly SIMD is available in Node 20');
    for (const [rows, cols] of [[1, 1], [3, 4], [9, 16], [100, 19], [5, 37], [50_176, 32], [2_000, 64]] as const) {
      const [x, out] = viewsIn(memory, rows * cols, cols) as [Float32Array, Float32Array];
      x.set(normals(rows * cols, rows + cols));
      out.fill(Number.NaN);
      const scalar = new Float32Array(cols);
      sumRowsInto(x, rows, scalar);
      kernel.run(x, rows, out);
      // Both add in float64: the float32 results agree to the last bit but for rare rounding ties.
      for (let c = 0; c < cols; c++) assert.ok(Math.abs((out[c] as number) - (scalar[c] as number)) <= 1e-6 * Math.max(1, Math.abs(scalar[c] as number)), `[${rows}, ${cols}] col ${c}: ${out[c]} vs ${scalar[c]}`);
    }
    assert.throws(() => kernel.run(new Float32Array(8), 2, new Float32Array(4)), /views of the kernel's memory/);
  });

  void it('one Adam step of a small conv net gives the same weights on wasm as on cpu, and a training loop leaks no tensors', async () => {
    const build = (): tf.LayersModel => {
      const m = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
        ],
      });
      m.compile({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy' });
      return m;
    };
    const xv = normals(8 * 144, 9);
    const yv = Float32Array.from({ length: 8 }, (_, i) => i % 3);
    const weightsAfterStep = async (backend: Backend): Promise<Float32Array[]> => {
      await tf.setBackend(backend);
      const model = build();
      const x = tf.tensor4d(xv, [8, 12, 12, 1]);
      const y = tf.tensor2d(yv, [8, 1]);
      await model.trainOnBatch(x, y);
      const out = await Promise.all(model.getWeights().map((w) => w.data() as Promise<Float32Array>));
      tf.dispose([x, y]);
      model.dispose();
      return out;
    };
    const cpu = await weightsAfterStep('cpu');
    const wasm = await weightsAfterStep('wasm');
    assert.equal(wasm.length, cpu.length);
    for (let i = 0; i < cpu.length; i++) assertClose(wasm[i] as Float32Array, cpu[i] as Float32Array, 1e-4, `weight ${i}`);

    await tf.setBackend('wasm');
    const model = build();
    const x = tf.tensor4d(xv, [8, 12, 12, 1]);
    const y = tf.tensor2d(yv, [8, 1]);
    await model.trainOnBatch(x, y);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await model.trainOnBatch(x, y);
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, y]);
    model.dispose();
  });
});
