/**
 * The gradient of a 2-D max pool (NHWC) as one pass over the output windows: each window's
 * `dy` goes to the first position (row-major within the window) holding the window's maximum,
 * the rule tfjs's cpu backend uses, so ties (frequent after a relu: windows of zeros) are
 * resolved alike. The wasm backend's own MaxPoolGrad is a plain loop over input pixels that
 * searches every window covering each pixel; this is one scan of the input.
 */

export interface Pool2DGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

/** dx (zeroed here) ← the max-pool gradient of x [b, h, w, c] for dy [b, oh, ow, c]. */
export function maxPoolGradInto(x: Float32Array, dy: Float32Array, dx: Float32Array, g: Pool2DGeometry): void {
  const { batch, inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW } = g;
  if (x.length !== batch * H * W * C || dx.length !== x.length) throw new Error(`maxPoolGrad: x has ${x.length} values, expected ${batch * H * W * C}`);
  if (dy.length !== batch * OH * OW * C) throw new Error(`maxPoolGrad: dy has ${dy.length} values, expected ${batch * OH * OW * C}`);
  dx.fill(0);
  if (g.filterHeight === 2 && g.filterWidth === 2 && g.strideHeight === 2 && g.strideWidth === 2 && g.padTop === 0 && g.padLeft === 0 && OH * 2 <= H && OW * 2 <= W) {
    maxPool2x2GradInto(x, dy, dx, g);
    return;
  }
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const imageBase = b * H * W * C;
    for (let oy = 0; oy < OH; oy++) {
      const r0 = oy * g.strideHeight - g.padTop;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(H, r0 + g.filterHeight);
      for (let ox = 0; ox < OW; ox++) {
        const c0 = ox * g.strideWidth - g.padLeft;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(W, c0 + g.filterWidth);
        for (let ch = 0; ch < C; ch++, o++) {
          let best = -Infinity;
          let at = -1;
          for (let r = rMin; r < rMax; r++) {
            let i = imageBase + (r * W + cMin) * C + ch;
            for (let c = cMin; c < cMax; c++, i += C) {
              const v = x[i] as number;
              if (v > best) {
                best = v;
                at = i;
              }
            }
          }
          if (at >= 0) dx[at] = (dx[at] as number) + (dy[o] as number);
        }
      }
    }
  }
}

/**
 * The common 2×2, stride-2, unpadded pool, unrolled: the four candidates of each window are read
 * per channel from four contiguous rows, same first-strict-maximum rule as above.
 */
function maxPool2x2GradInto(x: Float32Array, dy: Float32Array, dx: Float32Array, g: Pool2DGeometry): void {
  const { batch, inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW } = g;
  const rowStep = W * C;
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < OH; oy++) {
      const row = (b * H + 2 * oy) * rowStep;
      for (let ox = 0; ox < OW; ox++, o += C) {
        const p00 = row + 2 * ox * C;
        const p01 = p00 + C;
        const p10 = p00 + rowStep;
        const p11 = p10 + C;
        for (let ch = 0; ch < C; ch++) {
          let best = -Infinity;
          let at = -1;
          const a = x[p00 + ch] as number;
          if (a > best) {
            best = a;
            at = p00 + ch;
          }
          const b2 = x[p01 + ch] as number;
          if (b2 > best) {
            best = b2;
            at = p01 + ch;
          }
          const c = x[p10 + ch] as number;
          if (c > best) {
            best = c;
            at = p10 + ch;
          }
          if ((x[p11 + ch] as number) > best) at = p11 + ch;
          if (at >= 0) dx[at] = dy[o + ch] as number;
        }
      }
    }
  }
}
