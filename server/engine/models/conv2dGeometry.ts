/**
 * The forward geometry of a 2-D convolution, shared by the gradients (conv2dGrad.ts) and the
 * im2col kernels they call (im2col.ts). It lives apart from both so that neither imports the
 * other's module just for the shape: the lint step (dpdm) allows no import circle.
 */
import * as tf from '@tensorflow/tfjs';

export interface Conv2DGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

type PadSpec = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/** The forward geometry of conv2d(x: xShape, filter: filterShape) in NHWC with dilation 1. */
export function conv2dGeometry(
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: number | [number, number],
  pad: PadSpec,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): Conv2DGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}
