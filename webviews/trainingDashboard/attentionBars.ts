/**
 * The attention weight of each embedding dimension as bars on a canvas (one bar per dimension,
 * heights relative to the largest weight), plus a line naming the largest few.
 */
import type { Theme } from './theme';
import { seriesColour } from './theme';

export function drawAttentionBars(canvas: HTMLCanvasElement, weights: readonly number[], theme: Theme): void {
  const ratio = window.devicePixelRatio || 1;
  const cssWidth = Math.max(100, canvas.clientWidth);
  const cssHeight = Math.max(40, canvas.clientHeight);
  if (canvas.width !== Math.round(cssWidth * ratio) || canvas.height !== Math.round(cssHeight * ratio)) {
    canvas.width = Math.round(cssWidth * ratio);
    canvas.height = Math.round(cssHeight * ratio);
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, cssWidth, cssHeight);
  if (weights.length === 0) return;
  const max = Math.max(...weights.map((w) => Math.abs(w)), 1e-12);
  const axisY = cssHeight - 1;
  ctx.fillStyle = theme.grid;
  ctx.fillRect(0, axisY, cssWidth, 1);
  const slot = cssWidth / weights.length;
  const gap = slot > 4 ? 1 : 0;
  ctx.fillStyle = seriesColour(theme, 0);
  weights.forEach((w, i) => {
    const h = Math.max(1, (Math.abs(w) / max) * (cssHeight - 4));
    ctx.fillRect(i * slot, axisY - h, Math.max(1, slot - gap), h);
  });
}

/** "d12 0.081 · d3 0.070 · d40 0.064": the largest weights, by dimension index. */
export function largestWeights(weights: readonly number[], count = 5): string {
  return weights
    .map((w, i) => ({ w, i }))
    .sort((a, b) => b.w - a.w || a.i - b.i)
    .slice(0, count)
    .map(({ w, i }) => `d${i} ${w.toPrecision(2)}`)
    .join(' · ');
}
