/**
 * The two gradients of a 3-D convolution (NDHWC, dilation 1) as forward `conv3d`s, the 3-D
 * form of conv2dGrad.ts. The wasm backend's own Conv3DBackpropInputV2 is wrong in tfjs 4.22
 * (off against the cpu backend and finite differences for every geometry tried) and its
 * Conv3DBackpropFilterV2 is wrong for strides > 1; its forward Conv3D is right, so both
 * gradients are built from it:
 *
 * - input: `dy` dilated by the strides, zero-padded (or trimmed) so a 'valid' correlation with the filter
 *   rotated in depth, height and width (in/out channels swapped) has the input's shape;
 * - filter: the input as [inC, D, H, W, batch] correlated with `dy` as [oD, oH, oW, batch, outC]
 *   at dilation = stride, giving [inC, kD, kH, kW, outC], transposed to the filter's shape.
 */
import * as tf from '@tensorflow/tfjs';
import { dilateAxis } from './conv2dGrad';

export interface Conv3DGeometry {
  inShape: [number, number, number, number, number];
  outSpatial: [number, number, number];
  filterSpatial: [number, number, number];
  strides: [number, number, number];
  /** Padding before each spatial axis of the forward pass (front, top, left). */
  padBefore: [number, number, number];
}

/** The forward geometry of conv3d(x: xShape, filter: filterShape) with 'same' or 'valid' padding. */
export function conv3dGeometry(xShape: readonly number[], filterShape: readonly number[], strides: number | [number, number, number], pad: 'valid' | 'same'): Conv3DGeometry {
  const info = tf.backend_util.computeConv3DInfo(
    xShape as [number, number, number, number, number],
    filterShape as [number, number, number, number, number],
    strides,
    1,
    pad,
  );
  return {
    inShape: [info.batchSize, info.inDepth, info.inHeight, info.inWidth, info.inChannels],
    outSpatial: [info.outDepth, info.outHeight, info.outWidth],
    filterSpatial: [info.filterDepth, info.filterHeight, info.filterWidth],
    strides: [info.strideDepth, info.strideHeight, info.strideWidth],
    padBefore: [info.padInfo.front, info.padInfo.top, info.padInfo.left],
  };
}

/**
 * Zero-pads each spatial axis by [before, after]; a negative amount trims that many planes
 * instead. (tfjs's 3-D 'same' padding is not clamped at 0: a stride larger than the kernel can
 * give a padding of −1, which the forward kernels honour by starting one plane in.)
 */
function padOrTrim(t: tf.Tensor5D, amounts: Array<[number, number]>): tf.Tensor5D {
  return tf.tidy(() => {
    const begin = [0, 0, 0, 0, 0];
    const size = [...t.shape];
    const pads: Array<[number, number]> = [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]];
    amounts.forEach(([before, after], a) => {
      begin[a + 1] = Math.max(-before, 0);
      size[a + 1] = (size[a + 1] as number) - Math.max(-before, 0) - Math.max(-after, 0);
      pads[a + 1] = [Math.max(before, 0), Math.max(after, 0)];
    });
    return tf.pad(tf.slice(t, begin, size), pads);
  });
}

/** ∂loss/∂x of conv3d, from dy and the filter [kd, kh, kw, inC, outC]. */
export function conv3dInputGradient(dy: tf.Tensor5D, filter: tf.Tensor5D, g: Conv3DGeometry): tf.Tensor5D {
  return tf.tidy(() => {
    let spread: tf.Tensor5D = dy;
    const amounts: Array<[number, number]> = [];
    for (let a = 0; a < 3; a++) {
      const k = g.filterSpatial[a] as number;
      const s = g.strides[a] as number;
      spread = dilateAxis(spread, a + 1, s);
      const before = k - 1 - (g.padBefore[a] as number);
      const after = (g.inShape[a + 1] as number) - ((g.outSpatial[a] as number) - 1) * s - 1 - before + k - 1;
      amounts.push([before, after]);
    }
    const flipped = tf.reverse(filter, [0, 1, 2]).transpose<tf.Tensor5D>([0, 1, 2, 4, 3]);
    return tf.conv3d(padOrTrim(spread, amounts), flipped, 1, 'valid');
  });
}

/** ∂loss/∂filter of conv3d, from x and dy, shaped [kd, kh, kw, inC, outC]. */
export function conv3dFilterGradient(x: tf.Tensor5D, dy: tf.Tensor5D, g: Conv3DGeometry): tf.Tensor5D {
  return tf.tidy(() => {
    const amounts: Array<[number, number]> = [];
    for (let a = 0; a < 3; a++) {
      const before = g.padBefore[a] as number;
      // Planes past the last window are never read: a negative amount trims them.
      const after = (g.filterSpatial[a] as number) + ((g.outSpatial[a] as number) - 1) * (g.strides[a] as number) - (g.inShape[a + 1] as number) - before;
      amounts.push([before, after]);
    }
    const channelsAsBatch = padOrTrim(x, amounts).transpose<tf.Tensor5D>([4, 1, 2, 3, 0]);
    const dyAsFilter = dy.transpose<tf.Tensor5D>([1, 2, 3, 0, 4]);
    const grad = tf.conv3d(channelsAsBatch, dyAsFilter, 1, 'valid', 'NDHWC', g.strides);
    return grad.transpose<tf.Tensor5D>([1, 2, 3, 0, 4]);
  });
}
