/**
 * A plausible triplet-training run for the dashboard tests, from a seeded generator: the loss
 * falls with noise, validation metrics come once an epoch, the share of active triplets falls,
 * attention weights sharpen. Same seed, same run.
 */
import { mulberry32 } from '../../../server/engine/random';
import type { InitMessage, MetricPoint, MetricsMessage } from '../../../webviews/trainingDashboard/messages';

export const MODEL_ID = 'siamese-fashion-mnist-1';

export function initMessage(epochs: number, stepsPerEpoch: number): InitMessage {
  return {
    type: 'init',
    run: {
      modelId: MODEL_ID,
      kind: 'siamese',
      backend: 'wasm',
      workers: 2,
      dataset: 'fashion-mnist/train-images-idx3-ubyte',
      epochs,
      totalSteps: epochs * stepsPerEpoch,
      config: { distance: 'euclidean', margin: 0.2, batchSize: 64, learningRate: 0.001, mining: 'hard' },
    },
  };
}

export function trainingPoints(seed: number, epochs: number, stepsPerEpoch: number, dims = 32): MetricPoint[] {
  const random = mulberry32(seed);
  const base = Array.from({ length: dims }, () => random());
  const points: MetricPoint[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let s = 0; s < stepsPerEpoch; s++) {
      const step = epoch * stepsPerEpoch + s;
      const t = step / (epochs * stepsPerEpoch);
      const loss = 0.2 * Math.exp(-3 * t) + 0.02 + 0.015 * (random() - 0.5);
      const metrics: Record<string, number> = {
        activeTriplets: Math.max(0, 0.9 * Math.exp(-2 * t) + 0.05 * (random() - 0.5)),
        samplesPerSecond: 1800 + 200 * random(),
      };
      const point: MetricPoint = { epoch, step, loss, metrics };
      if (s === stepsPerEpoch - 1) {
        const e = (epoch + 1) / epochs;
        Object.assign(metrics, {
          valLoss: 0.2 * Math.exp(-2.5 * e) + 0.04,
          precisionAt1: 0.6 + 0.3 * e,
          tripletAccuracy: 0.9 + 0.095 * e,
          mapAtR: 0.4 + 0.3 * e,
        });
        const sharp = 1 + 4 * e;
        const raw = base.map((b) => Math.pow(b, sharp));
        const sum = raw.reduce((a, b) => a + b, 0);
        point.attention = raw.map((w) => w / sum);
      }
      points.push(point);
    }
  }
  return points;
}

/** The points as `metrics` messages of `perMessage` points each. */
export function metricsMessages(points: MetricPoint[], perMessage: number): MetricsMessage[] {
  const out: MetricsMessage[] = [];
  for (let i = 0; i < points.length; i += perMessage) out.push({ type: 'metrics', modelId: MODEL_ID, points: points.slice(i, i + perMessage) });
  return out;
}
