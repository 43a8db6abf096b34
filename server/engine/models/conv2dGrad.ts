/**
 * The two gradients of a 2-D convolution (NHWC, dilation 1), written as forward `conv2d`s so
 * that on the wasm backend they run through XNNPACK's convolution instead of plain loops:
 *
 * - input gradient: the correlation of `dy` — with stride−1 zeros inserted between its rows
 *   and columns when stride > 1 — with the filter rotated by 180° and its in/out channels
 *   swapped, padded so the result has the input's height and width;
 * - filter gradient: the correlation of the input with `dy` where the batch plays the role of
 *   the channels (input as [inC, H, W, batch], `dy` as [outH, outW, batch, outC]) and the
 *   dilation is the forward stride, giving [inC, kH, kW, outC], transposed to the filter's shape.
 *
 * Both use only core ops, so they run (and are tested against the native gradients) on any
 * backend. The input gradient cannot express explicit forward pads larger than the kernel
 * (its own padding would be negative): `inputGradientPadding` says so, and the caller keeps the
 * backend's kernel there.
 */
import * as tf from '@tensorflow/tfjs';
import type { Conv2DGeometry } from './conv2dGeometry';
import { COL2IM, IM2ROWS_T, ROWS_T_TIMES } from './im2col';

/**
 * t with stride−1 zeros inserted between consecutive entries along `axis` (length n →
 * (n−1)·stride+1). Padding a rank-3 view [before·n, 1, after] keeps to ranks every backend has.
 */
export function dilateAxis<T extends tf.Tensor>(t: T, axis: number, stride: number): T {
  if (stride === 1) return t;
  const shape = t.shape;
  const n = shape[axis] as number;
  const before = shape.slice(0, axis + 1).reduce((p, d) => p * d, 1);
  const after = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  return tf.tidy(() => {
    const spread = tf.pad(t.reshape([before, 1, after]), [[0, 0], [0, stride - 1], [0, 0]]);
    const wide = [...shape];
    wide[axis] = n * stride;
    const size = [...shape];
    size[axis] = (n - 1) * stride + 1;
    return tf.slice(spread.reshape(wide), new Array<number>(shape.length).fill(0), size) as T;
  });
}

/** dy [b, oh, ow, c] → [b, (oh−1)·sh+1, (ow−1)·sw+1, c] with zeros between the rows and columns. */
export function dilateRowsCols(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  return tf.tidy(() => dilateAxis(dilateAxis(dy, 1, sh), 2, sw));
}

/** The padding of the input gradient's correlation; null where it would be negative. */
export function inputGradientPadding(g: Conv2DGeometry): tf.backend_util.ExplicitPadding | null {
  const top = g.filterHeight - 1 - g.padTop;
  const left = g.filterWidth - 1 - g.padLeft;
  const dilatedH = (g.outHeight - 1) * g.strideHeight + 1;
  const dilatedW = (g.outWidth - 1) * g.strideWidth + 1;
  const bottom = g.inHeight - dilatedH - top + g.filterHeight - 1;
  const right = g.inWidth - dilatedW - left + g.filterWidth - 1;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return null;
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}

/**
 * ∂loss/∂x of conv2d for inputs of few channels: cols = dy [rows, outC] · filterᵀ [outC, kh·kw·inC]
 * (a GEMM with a small packed operand), scattered back onto x's grid (col2im, im2col.ts). Needs
 * the col2im kernel on the active backend (wasm, cpu).
 */
export function conv2dInputGradientByGemm(dy: tf.Tensor4D, filter: tf.Tensor4D, g: Conv2DGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const cols = tf.matMul(dy.reshape([g.batch * g.outHeight * g.outWidth, g.outChannels]), filter.reshape([g.filterHeight * g.filterWidth * g.inChannels, g.outChannels]), false, true);
    return tf.engine().runKernel(COL2IM, { cols }, { geometry: g } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  });
}

/**
 * Single-channel inputs take the GEMM + col2im input gradient where the backend has col2im:
 * measured on wasm (batch 64, 28×28, 3×3, 32 filters) 19.6 → 14.2 ms; with 3 or more channels
 * the conv form is faster.
 */
const INPUT_GEMM_MAX_CHANNELS = 1;

/** Whether conv2dInputGradient handles this geometry (else the backend's own kernel must). */
export function conv2dInputGradientCovers(g: Conv2DGeometry): boolean {
  return inputGradientPadding(g) !== null || (g.inChannels <= INPUT_GEMM_MAX_CHANNELS && tf.getKernel(COL2IM, tf.getBackend()) !== undefined);
}

/** ∂loss/∂x of conv2d, from dy and the filter [kh, kw, inC, outC]; throws where conv2dInputGradientCovers is false. */
export function conv2dInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, g: Conv2DGeometry): tf.Tensor4D {
  if (g.inChannels <= INPUT_GEMM_MAX_CHANNELS && tf.getKernel(COL2IM, tf.getBackend())) return conv2dInputGradientByGemm(dy, filter, g);
  return conv2dInputGradientByConv(dy, filter, g);
}

/** ∂loss/∂x as a forward conv2d of dilated dy with the rotated filter; throws where inputGradientPadding is null. */
export function conv2dInputGradientByConv(dy: tf.Tensor4D, filter: tf.Tensor4D, g: Conv2DGeometry): tf.Tensor4D {
  const pad = inputGradientPadding(g);
  if (!pad) throw new Error(`conv2dInputGradient: the forward padding (${g.padTop}, ${g.padLeft}) exceeds the kernel (${g.filterHeight}×${g.filterWidth})`);
  return tf.tidy(() => {
    const flipped = tf.reverse(filter, [0, 1]).transpose<tf.Tensor4D>([0, 1, 3, 2]);
    return tf.conv2d(dilateRowsCols(dy, g.strideHeight, g.strideWidth), flipped, 1, pad);
  });
}

/**
 * ∂loss/∂filter of conv2d, from x and dy, shaped [kh, kw, inC, outC], as one matrix product:
 * the rows of Pᵀ [kh·kw·inC, batch·outH·outW] are the input seen through each filter tap (a
 * strided slice of x, channel-major so every slice is contiguous), times dy [batch·outH·outW, outC].
 * Pᵀ comes from our im2rowsT kernel (im2col.ts) where the backend has it (wasm, cpu), else from
 * slices and a concat. On wasm with SIMD and filters in fours the product is our ROWS_T_TIMES
 * kernel (filterGradSimd.ts: no packing, no transposes; the reference net's first layer, im2rowsT
 * included, ~13 → ~5 ms); otherwise XNNPACK's GEMM. XNNPACK's convolution with dy as an
 * [outH, outW]-sized filter (the transposed-conv form) repacked that big filter every call and
 * ran several times slower.
 */
export function conv2dFilterGradientByGemm(x: tf.Tensor4D, dy: tf.Tensor4D, g: Conv2DGeometry): tf.Tensor4D {
  const { batch, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = g;
  const rows = batch * OH * OW;
  // The extent the windows read, in padded coordinates; x is padded up to it or cut down to it.
  const needH = (OH - 1) * SH + KH;
  const needW = (OW - 1) * SW + KW;
  if (tf.getKernel(IM2ROWS_T, tf.getBackend())) {
    return tf.tidy(() => {
      const patchesT = tf.engine().runKernel(IM2ROWS_T, { x }, { geometry: g } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
      const dy2 = dy.reshape([rows, g.outChannels]);
      if (g.outChannels % 4 === 0 && tf.getKernel(ROWS_T_TIMES, tf.getBackend())) {
        return (tf.engine().runKernel(ROWS_T_TIMES, { patchesT, dy: dy2 }) as tf.Tensor2D).reshape([KH, KW, C, g.outChannels]) as tf.Tensor4D;
      }
      // XNNPACK packs the second operand on every call (dy is new each step): the smaller of the
      // two [rows, ·] operands goes there. First layers (kh·kw·inC = 9 < outC) pack the patches:
      // packing dy instead cost more than the two Transposes (a fresh dy per call, 64×26×26×32:
      // 13.7 vs 9.6 ms; with the same dy each call the packed operand is cached and it looks 5× faster).
      const product = patchesT.shape[0] < g.outChannels ? tf.matMul(dy2.transpose(), patchesT, false, true).transpose() : tf.matMul(patchesT, dy2);
      return product.reshape([KH, KW, C, g.outChannels]) as tf.Tensor4D;
    });
  }
  return tf.tidy(() => {
    let xT: tf.Tensor4D = C === 1 ? x.reshape([1, batch, g.inHeight, g.inWidth]) : x.transpose<tf.Tensor4D>([3, 0, 1, 2]);
    const bottom = needH - g.inHeight - g.padTop;
    const right = needW - g.inWidth - g.padLeft;
    if (g.padTop > 0 || g.padLeft > 0 || bottom > 0 || right > 0) {
      xT = tf.pad(xT, [[0, 0], [0, 0], [g.padTop, Math.max(bottom, 0)], [g.padLeft, Math.max(right, 0)]]);
    }
    const taps: tf.Tensor2D[] = [];
    for (let i = 0; i < KH; i++) {
      for (let j = 0; j < KW; j++) {
        const tap =
          SH === 1 && SW === 1
            ? tf.slice(xT, [0, 0, i, j], [C, batch, OH, OW])
            : tf.stridedSlice(xT, [0, 0, i, j], [C, batch, i + (OH - 1) * SH + 1, j + (OW - 1) * SW + 1], [1, 1, SH, SW]);
        taps.push(tap.reshape([C, rows]));
      }
    }
    const patchesT = taps.length === 1 ? (taps[0] as tf.Tensor2D) : tf.concat2d(taps, 0);
    return tf.matMul(patchesT, dy.reshape([rows, g.outChannels])).reshape([KH, KW, C, g.outChannels]) as tf.Tensor4D;
  });
}

/**
 * The filter gradient as a transposed correlation of the input with dy (batch as channels, the
 * forward stride as dilation), on the backend's conv2d.
 */
export function conv2dFilterGradientByConv(x: tf.Tensor4D, dy: tf.Tensor4D, g: Conv2DGeometry): tf.Tensor4D {
  const top = g.padTop;
  const left = g.padLeft;
  // Rows of x past the last window are never read: trim them rather than pad negatively.
  const bottom = g.filterHeight + (g.outHeight - 1) * g.strideHeight - g.inHeight - top;
  const right = g.filterWidth + (g.outWidth - 1) * g.strideWidth - g.inWidth - left;
  return tf.tidy(() => {
    let input = x;
    if (bottom < 0 || right < 0) {
      input = x.slice([0, 0, 0, 0], [g.batch, g.inHeight + Math.min(bottom, 0), g.inWidth + Math.min(right, 0), g.inChannels]);
    }
    const channelsAsBatch = input.transpose<tf.Tensor4D>([3, 1, 2, 0]);
    const dyAsFilter = dy.transpose<tf.Tensor4D>([1, 2, 0, 3]);
    const pad: tf.backend_util.ExplicitPadding = [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]];
    const grad = tf.conv2d(channelsAsBatch, dyAsFilter, 1, pad, 'NHWC', [g.strideHeight, g.strideWidth]);
    return grad.transpose<tf.Tensor4D>([1, 2, 0, 3]);
  });
}

/**
 * Inputs with at most this many channels take the GEMM form. Measured on wasm (batch 64, 28×28,
 * 3×3, 32 filters, 'same', a fresh dy per call; medians): inC 1: 24.5 ms as a conv → 5.8 (the
 * SIMD product); 3: 25.8 → 12.8; 4: 27.7 → 16.2; 8: 44 → 40. From 16 channels the conv form is
 * as fast or faster (the im2col copy in JavaScript grows with inC·kh·kw; 13×13×32: 39 vs 46).
 */
const GEMM_MAX_CHANNELS = 8;

/** ∂loss/∂filter of conv2d, from x and dy, shaped [kh, kw, inC, outC]. */
export function conv2dFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, g: Conv2DGeometry): tf.Tensor4D {
  return g.inChannels <= GEMM_MAX_CHANNELS ? conv2dFilterGradientByGemm(x, dy, g) : conv2dFilterGradientByConv(x, dy, g);
}
