/**
 * Training kernels for the tfjs wasm backend, registered over (or beside) its own:
 *
 * - `Conv2DBackpropFilter`: missing from the wasm backend, so any Conv2D training fails there;
 *   computed as a forward conv2d, or for inputs of few channels as an im2col (our
 *   `SimilarityLabIm2RowsT` kernel, im2col.ts) times dy (conv2dGrad.ts), both on XNNPACK.
 * - `Conv2DBackpropInput`: the wasm one is a plain loop (half of a training step of the
 *   reference net); replaced by a forward conv2d of dy with the rotated filter (conv2dGrad.ts).
 *   Geometries it cannot express (negative padding, NCHW) go to the original kernel.
 * - `MaxPoolGrad`: the wasm one searches every window covering each input pixel; replaced by
 *   one scan of the windows (maxPoolGrad.ts) reading and writing the wasm heap in place, in
 *   SIMD on that heap for 2×2 stride-2 pools over channels in fours (maxPoolGradSimd.ts).
 * - `Conv3DBackpropInputV2`, `Conv3DBackpropFilterV2`: the wasm ones give wrong gradients
 *   (conv3dGrad.ts says where); replaced by forward conv3ds (conv3dGrad.ts).
 * - `Sum` over leading axes (bias gradients: [b, h, w, c] → [c]): one pass adding rows
 *   (sumRows.ts; in SIMD on the heap, sumRowsSimd.ts) instead of a transpose and a loop;
 *   `BatchMatMul` with transposed operands (dense layers' gradients): the operand transposed
 *   first, then the untransposed product, which is several times faster in the wasm backend
 *   than its transposed variants.
 * - `Mean` over leading axes likewise (batch-norm moments); `Tile` as block copies (tile.ts:
 *   the wasm one computes an index per value, ~0.4 s a batch-norm step); `Identity` (and `Cast` to the
 *   same dtype) sharing its input's data instead of copying it. The batch-norm and Mean gradients themselves are
 *   replaced too (batchNormGrad.ts; a global registry, so for cpu as well).
 * - `Conv2D`, `FusedConv2D`, `DepthwiseConv2dNative`, `FusedDepthwiseConv2D`: with 'same'
 *   padding whose total is clamped to 0 (a stride larger than the kernel, e.g. 3×3 input,
 *   2×2 kernel, stride 3) the wasm kernels return zeros; they get the same padding spelled out
 *   explicitly, which they handle.
 *
 * The kernels that call core ops run them nested inside the engine's kernel call, where no
 * gradient tape records them; their intermediates are disposed by tf.tidy.
 * Must run after the wasm backend is initialised: the replaced kernels' own setup (binding
 * their wasm functions) happens then, and the fallbacks rely on it.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2dFilterGradient, conv2dInputGradient, conv2dInputGradientCovers } from './conv2dGrad';
import { conv2dGeometry, type Conv2DGeometry } from './conv2dGeometry';
import { conv3dFilterGradient, conv3dGeometry, conv3dInputGradient } from './conv3dGrad';
import { maxPoolGradInto, type Pool2DGeometry } from './maxPoolGrad';
import { SimdMaxPoolGrad, simdMaxPoolGradFor } from './maxPoolGradSimd';
import { sumRowsInto } from './sumRows';
import { simdSumRowsFor } from './sumRowsSimd';
import { tileInto } from './tile';
import { installBatchNormGradients } from './batchNormGrad';
import { COL2IM, IM2ROWS_T, ROWS_T_TIMES, col2imInto, im2rowsTInto } from './im2col';
import { SimdFilterGrad, simdFilterGradFor } from './filterGradSimd';


/** Which kernels we registered for wasm, and what each replaced (null: none existed). */
export interface WasmKernelReport {
  registered: string[];
  replaced: string[];
}

let installed: WasmKernelReport | null = null;
let installedCpu: WasmKernelReport | null = null;

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** The input as a Tensor: engine ops pass Tensors; a bare TensorInfo is wrapped (and ref-counted) so disposing the wrapper is safe. */
function asTensor<R extends tf.Rank>(info: tf.TensorInfo | undefined, name: string, backend: KernelArgs['backend']): tf.Tensor<R> {
  if (!info) throw new Error(`missing kernel input '${name}'`);
  if (info instanceof tf.Tensor) return info as tf.Tensor<R>;
  (backend as tf.KernelBackend).incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor<R>;
}

function isNCHW(format: unknown): boolean {
  return format === 'NCHW';
}

function conv2DBackpropFilterKernel(args: KernelArgs): tf.TensorInfo {
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropFilterAttrs;
  if (isNCHW(attrs.dataFormat)) throw new Error(`wasm Conv2DBackpropFilter: dataFormat 'NCHW' is not supported; use 'NHWC'`);
  return tf.tidy(() => {
    const x = asTensor<tf.Rank.R4>(args.inputs.x, 'x', args.backend);
    const dy = asTensor<tf.Rank.R4>(args.inputs.dy, 'dy', args.backend);
    const g = conv2dGeometry(x.shape, attrs.filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
    return conv2dFilterGradient(x, dy, g);
  });
}

function conv2DBackpropInputKernel(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropInputAttrs;
    if (!isNCHW(attrs.dataFormat)) {
      const filterInfo = args.inputs.filter;
      if (!filterInfo) throw new Error(`missing kernel input 'filter'`);
      const g = conv2dGeometry(attrs.inputShape, filterInfo.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
      if (conv2dInputGradientCovers(g)) {
        return tf.tidy(() => {
          const dy = asTensor<tf.Rank.R4>(args.inputs.dy, 'dy', args.backend);
          const filter = asTensor<tf.Rank.R4>(filterInfo, 'filter', args.backend);
          return conv2dInputGradient(dy, filter, g);
        });
      }
    }
    return original.kernelFunc(args);
  };
}

function maxPoolGradKernel(args: KernelArgs): tf.TensorInfo {
  const attrs = (args.attrs ?? {}) as unknown as tf.MaxPoolGradAttrs;
  const backend = args.backend as unknown as BackendWasm;
  const input = args.inputs.input;
  const dy = args.inputs.dy;
  if (!input || !dy) throw new Error(`wasm MaxPoolGrad: missing input or dy`);
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const dx = backend.makeOutput(input.shape, 'float32');
  const g: Pool2DGeometry = {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    channels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.effectiveFilterHeight,
    filterWidth: info.effectiveFilterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
  // Views after the allocation: growing the heap detaches earlier views.
  const [x, dyData, dxData] = [input, dy, dx].map((t) => backend.typedArrayFromHeap(t) as Float32Array) as [Float32Array, Float32Array, Float32Array];
  const simd = SimdMaxPoolGrad.handles(g) ? simdMaxPoolGradFor(backend) : undefined;
  if (simd) simd.run(x, dyData, dxData, g);
  else maxPoolGradInto(x, dyData, dxData, g);
  return dx;
}

function conv3DBackpropInputKernel(args: KernelArgs): tf.TensorInfo {
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv3DBackpropInputV2Attrs;
  const filterInfo = args.inputs.filter;
  if (!filterInfo) throw new Error(`missing kernel input 'filter'`);
  const g = conv3dGeometry(attrs.inputShape, filterInfo.shape, attrs.strides, attrs.pad);
  return tf.tidy(() => conv3dInputGradient(asTensor<tf.Rank.R5>(args.inputs.dy, 'dy', args.backend), asTensor<tf.Rank.R5>(filterInfo, 'filter', args.backend), g));
}

function conv3DBackpropFilterKernel(args: KernelArgs): tf.TensorInfo {
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv3DBackpropFilterV2Attrs;
  const xInfo = args.inputs.x;
  if (!xInfo) throw new Error(`missing kernel input 'x'`);
  const g = conv3dGeometry(xInfo.shape, attrs.filterShape, attrs.strides, attrs.pad);
  return tf.tidy(() => conv3dFilterGradient(asTensor<tf.Rank.R5>(xInfo, 'x', args.backend), asTensor<tf.Rank.R5>(args.inputs.dy, 'dy', args.backend), g));
}

/** A 2-D convolution kernel whose 'same' padding reaches the original as explicit pads. */
function explicitSamePadding(original: tf.KernelConfig, depthwise: boolean): tf.KernelFunc {
  return (args) => {
    const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DAttrs;
    const x = args.inputs.x;
    const filter = args.inputs.filter;
    if (attrs.pad !== 'same' || isNCHW(attrs.dataFormat) || !x || !filter) return original.kernelFunc(args);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides,
      attrs.dilations,
      'same',
      attrs.dimRoundingMode,
      depthwise,
    );
    const { top, bottom, left, right } = info.padInfo;
    const pad: tf.backend_util.ExplicitPadding = [[0, 0], [top, bottom], [left, right], [0, 0]];
    return original.kernelFunc({ ...args, attrs: { ...args.attrs, pad } as unknown as tf.NamedAttrMap });
  };
}

/** Reductions over fewer rows than this stay with the original Sum / Mean. */
const MIN_SUM_ROWS = 64;

/** Sum (mean = false) or Mean over the leading axes of a float32 tensor as one row pass; else the original. */
function rowReductionKernel(original: tf.KernelConfig, mean: boolean): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x;
    const attrs = (args.attrs ?? {}) as unknown as tf.SumAttrs;
    if (!x || x.dtype !== 'float32') return original.kernelFunc(args);
    const axes = tf.util.parseAxisParam(attrs.axis, x.shape).sort((p, q) => p - q);
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
    const rows = x.shape.slice(0, axes.length).reduce((p, d) => p * d, 1);
    if (!leading || rows < MIN_SUM_ROWS) return original.kernelFunc(args);
    const kept = x.shape.slice(axes.length);
    const backend = args.backend as unknown as BackendWasm;
    const out = backend.makeOutput(attrs.keepDims ? [...new Array<number>(axes.length).fill(1), ...kept] : kept, 'float32');
    const values = backend.typedArrayFromHeap(out) as Float32Array;
    const simd = simdSumRowsFor(backend);
    if (simd) simd.run(backend.typedArrayFromHeap(x) as Float32Array, rows, values);
    else sumRowsInto(backend.typedArrayFromHeap(x) as Float32Array, rows, values);
    if (mean) for (let i = 0; i < values.length; i++) values[i] = (values[i] as number) / rows;
    return out;
  };
}

/** The wasm Tile computes an index per output value; block copies instead (tile.ts). */
function tileKernel(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x;
    const { reps } = (args.attrs ?? {}) as unknown as tf.TileAttrs;
    if (!x || x.dtype === 'string' || x.dtype === 'complex64') return original.kernelFunc(args);
    const backend = args.backend as unknown as BackendWasm;
    const out = backend.makeOutput(x.shape.map((d, i) => d * (reps[i] as number)), x.dtype);
    tileInto(backend.typedArrayFromHeap(x) as Float32Array, x.shape, reps, backend.typedArrayFromHeap(out) as Float32Array);
    return out;
  };
}

/**
 * The wasm Identity copies its input; tensors are immutable, so sharing the data (with a
 * reference count, as Reshape and the cpu backend's Identity do) is enough. Identity runs for
 * every gradient passed through unchanged and every tf.clone: several full-size copies a step.
 * A Cast to the dtype the tensor already has (tfjs-core's relu gradient casts x to float32)
 * is the same no-op.
 */
function identityKernel(original: tf.KernelConfig, sameDtypeOnly = false): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x;
    if (!x || x.dtype === 'string') return original.kernelFunc(args);
    if (sameDtypeOnly && (args.attrs ?? {})['dtype'] !== x.dtype) return original.kernelFunc(args);
    (args.backend as tf.KernelBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

function im2rowsTShape(x: tf.TensorInfo, g: Conv2DGeometry): [number, number] {
  if (x.dtype !== 'float32' || x.shape.length !== 4) throw new Error(`${IM2ROWS_T}: x must be a float32 NHWC tensor, got ${x.dtype} [${x.shape.join(', ')}]`);
  return [g.filterHeight * g.filterWidth * g.inChannels, g.batch * g.outHeight * g.outWidth];
}

function im2rowsTWasm(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x;
  const g = (args.attrs ?? {})['geometry'] as unknown as Conv2DGeometry;
  if (!x) throw new Error(`${IM2ROWS_T}: missing x`);
  const backend = args.backend as unknown as BackendWasm;
  const out = backend.makeOutput(im2rowsTShape(x, g), 'float32');
  im2rowsTInto(backend.typedArrayFromHeap(x) as Float32Array, g, backend.typedArrayFromHeap(out) as Float32Array);
  return out;
}

function im2rowsTCpu(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x;
  const g = (args.attrs ?? {})['geometry'] as unknown as Conv2DGeometry;
  if (!x) throw new Error(`${IM2ROWS_T}: missing x`);
  const shape = im2rowsTShape(x, g);
  const out = new Float32Array(shape[0] * shape[1]);
  im2rowsTInto((args.backend as tf.KernelBackend).readSync(x.dataId) as Float32Array, g, out);
  return (args.backend as unknown as { makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo }).makeTensorInfo(shape, 'float32', out);
}

function col2imArgs(args: KernelArgs): { cols: tf.TensorInfo; g: Conv2DGeometry; shape: number[] } {
  const cols = args.inputs.cols;
  const g = (args.attrs ?? {})['geometry'] as unknown as Conv2DGeometry;
  if (!cols || cols.dtype !== 'float32') throw new Error(`${COL2IM}: cols must be a float32 tensor`);
  return { cols, g, shape: [g.batch, g.inHeight, g.inWidth, g.inChannels] };
}

/** [taps, R] · [R, F] → [taps, F] for the few-channel filter gradient (filterGradSimd.ts); registered only where SIMD runs. */
function rowsTTimesWasm(args: KernelArgs): tf.TensorInfo {
  const { patchesT, dy } = args.inputs;
  if (!patchesT || !dy) throw new Error(`${ROWS_T_TIMES}: missing patchesT or dy`);
  const [taps, rows] = patchesT.shape as [number, number];
  const filters = dy.shape[1] as number;
  if (dy.shape[0] !== rows || !SimdFilterGrad.handles(filters)) throw new Error(`${ROWS_T_TIMES}: [${patchesT.shape.join(', ')}] · [${dy.shape.join(', ')}] is not [taps, R] · [R, 4k]`);
  const backend = args.backend as unknown as BackendWasm;
  const kernel = simdFilterGradFor(backend);
  if (!kernel) throw new Error(`${ROWS_T_TIMES}: WebAssembly SIMD is not available`);
  const out = backend.makeOutput([taps, filters], 'float32');
  kernel.run(backend.typedArrayFromHeap(patchesT) as Float32Array, backend.typedArrayFromHeap(dy) as Float32Array, backend.typedArrayFromHeap(out) as Float32Array, taps, rows, filters);
  return out;
}

function col2imWasm(args: KernelArgs): tf.TensorInfo {
  const { cols, g, shape } = col2imArgs(args);
  const backend = args.backend as unknown as BackendWasm;
  const out = backend.makeOutput(shape, 'float32');
  col2imInto(backend.typedArrayFromHeap(cols) as Float32Array, g, backend.typedArrayFromHeap(out) as Float32Array);
  return out;
}

function col2imCpu(args: KernelArgs): tf.TensorInfo {
  const { cols, g, shape } = col2imArgs(args);
  const out = new Float32Array(shape.reduce((p, d) => p * d, 1));
  col2imInto((args.backend as tf.KernelBackend).readSync(cols.dataId) as Float32Array, g, out);
  return (args.backend as unknown as { makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo }).makeTensorInfo(shape, 'float32', out);
}

function batchMatMulKernel(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const attrs = (args.attrs ?? {}) as unknown as tf.BatchMatMulAttrs;
    if (!attrs.transposeA && !attrs.transposeB) return original.kernelFunc(args);
    return tf.tidy(() => {
      const swapLast = (t: tf.Tensor): tf.Tensor => {
        const perm = t.shape.map((_, i) => i);
        perm.splice(-2, 2, t.rank - 1, t.rank - 2);
        return t.transpose(perm);
      };
      let a = asTensor(args.inputs.a, 'a', args.backend);
      let b = asTensor(args.inputs.b, 'b', args.backend);
      if (attrs.transposeA) a = swapLast(a);
      if (attrs.transposeB) b = swapLast(b);
      return tf.matMul(a, b);
    });
  };
}

function register(report: WasmKernelReport, kernelName: string, make: (original: tf.KernelConfig | undefined) => tf.KernelFunc | null, backendName = 'wasm'): void {
  const original = tf.getKernel(kernelName, backendName);
  const kernelFunc = make(original);
  if (!kernelFunc) return;
  if (original) {
    tf.unregisterKernel(kernelName, backendName);
    report.replaced.push(kernelName);
  }
  tf.registerKernel({ kernelName, backendName, kernelFunc });
  report.registered.push(kernelName);
}

/**
 * Registers the training kernels for the wasm backend, once (later calls return the first
 * report). Call after `tf.setBackend('wasm')` has resolved.
 */
export function registerWasmTrainingKernels(): WasmKernelReport {
  if (installed) return installed;
  const report: WasmKernelReport = { registered: [], replaced: [] };
  register(report, tf.Conv2DBackpropFilter, () => conv2DBackpropFilterKernel);
  register(report, tf.Conv2DBackpropInput, (original) => (original ? conv2DBackpropInputKernel(original) : null));
  register(report, IM2ROWS_T, () => im2rowsTWasm);
  register(report, COL2IM, () => col2imWasm);
  register(report, ROWS_T_TIMES, () => (simdFilterGradFor(tf.findBackend('wasm') as unknown as BackendWasm) ? rowsTTimesWasm : null));
  register(report, tf.MaxPoolGrad, () => maxPoolGradKernel);
  register(report, tf.Conv3DBackpropInputV2, () => conv3DBackpropInputKernel);
  register(report, tf.Conv3DBackpropFilterV2, () => conv3DBackpropFilterKernel);
  register(report, tf.Sum, (original) => (original ? rowReductionKernel(original, false) : null));
  register(report, tf.Mean, (original) => (original ? rowReductionKernel(original, true) : null));
  register(report, tf.Tile, (original) => (original ? tileKernel(original) : null));
  register(report, tf.Identity, (original) => (original ? identityKernel(original) : null));
  register(report, tf.Cast, (original) => (original ? identityKernel(original, true) : null));
  installBatchNormGradients();
  register(report, tf.BatchMatMul, (original) => (original ? batchMatMulKernel(original) : null));
  for (const [name, depthwise] of [[tf.Conv2D, false], [tf.FusedConv2D, false], [tf.DepthwiseConv2dNative, true], [tf.FusedDepthwiseConv2D, true]] as const) {
    register(report, name, (original) => (original ? explicitSamePadding(original, depthwise) : null));
  }
  installed = report;
  return report;
}

/**
 * The cpu backend's conv2d gradients are loops through TensorBuffer.get: one training step of the
 * reference net takes minutes (Conv2DBackpropFilter alone ~170 s). The forward-conv forms
 * (conv2dGrad.ts) run on its im2col conv2d instead. Registered once, when cpu is chosen.
 */
export function registerCpuTrainingKernels(): WasmKernelReport {
  if (installedCpu) return installedCpu;
  const report: WasmKernelReport = { registered: [], replaced: [] };
  register(report, tf.Conv2DBackpropFilter, (original) => (original ? fallbackForNCHW(original, conv2DBackpropFilterKernel) : conv2DBackpropFilterKernel), 'cpu');
  register(report, tf.Conv2DBackpropInput, (original) => (original ? conv2DBackpropInputKernel(original) : null), 'cpu');
  register(report, IM2ROWS_T, () => im2rowsTCpu, 'cpu');
  register(report, COL2IM, () => col2imCpu, 'cpu');
  installBatchNormGradients();
  installedCpu = report;
  return report;
}

function fallbackForNCHW(original: tf.KernelConfig, ours: tf.KernelFunc): tf.KernelFunc {
  return (args) => (isNCHW((args.attrs ?? {})['dataFormat']) ? original.kernelFunc(args) : ours(args));
}
