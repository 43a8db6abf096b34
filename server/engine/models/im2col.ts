/**
 * Transposed im2col for the conv2d filter gradient: out [kh·kw·inC, batch·outH·outW] with
 * out[(i, j, c), (b, oy, ox)] = x[b, oy·sh + i − padTop, ox·sw + j − padLeft, c] (0 outside x),
 * x in NHWC. Rows are written in order, so each output row is one sequential run; the wasm
 * backend's Slice (the op-level way to build it: nine strided slices and a concat) was ~2 ms a
 * slice for the reference net's conv2, longer than the matrix product it feeds.
 */
import type { Conv2DGeometry } from './conv2dGeometry';

/** The kernel (registered for wasm and cpu in wasmKernels.ts): input x, attr `geometry`, output [kh·kw·inC, batch·outH·outW]. */
export const IM2ROWS_T = 'SimilarityLabIm2RowsT';

/**
 * The kernel (registered for wasm where SIMD runs, filterGradSimd.ts): inputs patchesT [taps, R]
 * and dy [R, F] (F a multiple of 4), output patchesT · dy [taps, F].
 */
export const ROWS_T_TIMES = 'SimilarityLabRowsTTimes';

export function im2rowsTInto(x: Float32Array, g: Conv2DGeometry, out: Float32Array): void {
  const { batch: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW, padTop, padLeft } = g;
  if (x.length !== B * H * W * C) throw new Error(`im2rowsT: x has ${x.length} values, expected ${B * H * W * C}`);
  const cols = B * OH * OW;
  if (out.length !== KH * KW * C * cols) throw new Error(`im2rowsT: out has ${out.length} values, expected ${KH * KW * C * cols}`);
  const rowStep = W * C;
  const imageStep = H * rowStep;
  const colStep = SW * C;
  let o = 0;
  for (let i = 0; i < KH; i++) {
    for (let j = 0; j < KW; j++) {
      // The output columns whose input column ox·sw + j − padLeft lies inside x.
      const oxFirst = Math.max(0, Math.ceil((padLeft - j) / SW));
      const oxEnd = Math.min(OW, Math.max(oxFirst, Math.floor((W - 1 + padLeft - j) / SW) + 1));
      for (let c = 0; c < C; c++) {
        for (let b = 0; b < B; b++) {
          for (let oy = 0; oy < OH; oy++) {
            const y = oy * SH + i - padTop;
            if (y < 0 || y >= H) {
              out.fill(0, o, o + OW);
              o += OW;
              continue;
            }
            if (oxFirst > 0) out.fill(0, o, o + oxFirst);
            let src = b * imageStep + y * rowStep + (oxFirst * SW + j - padLeft) * C + c;
            for (let ox = oxFirst; ox < oxEnd; ox++, src += colStep) out[o + ox] = x[src] as number;
            if (oxEnd < OW) out.fill(0, o + oxEnd, o + OW);
            o += OW;
          }
        }
      }
    }
  }
}

/** The kernel: input cols [batch·outH·outW, kh·kw·inC], attr `geometry`, output [batch, inH, inW, inC]. */
export const COL2IM = 'SimilarityLabCol2Im';

/**
 * The adjoint of im2col: dx [b, h, w, c] (zeroed here) ← Σ over filter taps of cols[(b, oy, ox),
 * (i, j, c)] at x[b, oy·sh + i − padTop, ox·sw + j − padLeft, c] (taps outside x dropped). With
 * cols = dy · filterᵀ this is the conv2d input gradient: for inputs of few channels (an image's
 * first layer) XNNPACK's convolution computing it has as few output channels and runs slowly.
 */
export function col2imInto(cols: Float32Array, g: Conv2DGeometry, dx: Float32Array): void {
  const { batch: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW, padTop, padLeft } = g;
  const K = KH * KW * C;
  if (cols.length !== B * OH * OW * K) throw new Error(`col2im: cols has ${cols.length} values, expected ${B * OH * OW * K}`);
  if (dx.length !== B * H * W * C) throw new Error(`col2im: dx has ${dx.length} values, expected ${B * H * W * C}`);
  dx.fill(0);
  let r = 0;
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++, r += K) {
        let t = r;
        for (let i = 0; i < KH; i++) {
          const y = oy * SH + i - padTop;
          if (y < 0 || y >= H) {
            t += KW * C;
            continue;
          }
          for (let j = 0; j < KW; j++, t += C) {
            const xx = ox * SW + j - padLeft;
            if (xx < 0 || xx >= W) continue;
            const at = ((b * H + y) * W + xx) * C;
            for (let c = 0; c < C; c++) dx[at + c] = (dx[at + c] as number) + (cols[t + c] as number);
          }
        }
      }
    }
  }
}
