/**
 * The Siamese model's training step and embedding function. One encoder (encoders.ts) is the
 * shared branch: a P×K batch (batching.ts) goes through it once, the pairwise distance matrix
 * (losses.ts) feeds in-batch mining (mining.ts), and the optimizer steps the encoder's trainable
 * weights — attention logits included. No I/O and no loop here: the training worker calls
 * `siameseTrainStep` per batch and `embed` for evaluation and maps.
 */
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_TRIPLET_MARGIN, pairwiseDistances, resolveDistanceSpec, resolveMargin, type DistanceKind } from './losses';
import { DEFAULT_COLLAPSE_THRESHOLD, embeddingSpread, minedLoss, MINING_KINDS, type MiningKind } from './mining';
import { assembledOrder, dataParallelStep, type ParallelGroup } from './dataParallel';

export interface SiameseLossConfig {
  /** Default 'cosine'. */
  distance?: DistanceKind;
  /** Weight of the Euclidean part of 'combined' (the cosine part gets 1 − w); default 0.5. */
  euclideanWeight?: number;
  /** Triplet margin, default DEFAULT_TRIPLET_MARGIN (0.1); for 'contrastive' mining the push radius, default 0.2. */
  margin?: number;
  /** Default 'semi-hard' (batch-hard from a fresh encoder shrinks the spread early; semi-hard learned fastest on our tests). */
  mining?: MiningKind;
  /** Spread (mining.ts CollapseReport) below which a step reports collapse; default 0.03. */
  collapseThreshold?: number;
}

export type ResolvedSiameseLossConfig = Required<SiameseLossConfig>;

export function resolveSiameseLossConfig(config: SiameseLossConfig = {}): ResolvedSiameseLossConfig {
  const { distance, euclideanWeight } = resolveDistanceSpec(config);
  const mining = config.mining ?? 'semi-hard';
  if (!MINING_KINDS.includes(mining)) throw new Error(`mining: unknown '${String(mining)}' (expected ${MINING_KINDS.join(', ')})`);
  const collapseThreshold = config.collapseThreshold ?? DEFAULT_COLLAPSE_THRESHOLD;
  if (!(collapseThreshold >= 0)) throw new Error(`collapseThreshold: ${collapseThreshold} must be ≥ 0`);
  return { distance, euclideanWeight, margin: resolveMargin(config.margin, mining === 'contrastive' ? 0.2 : DEFAULT_TRIPLET_MARGIN), mining, collapseThreshold };
}

export interface SiameseBatch {
  /** [n, ...inputShape]. */
  x: tf.Tensor;
  /** n integer class codes (< 0: unlabelled). */
  labels: tf.Tensor1D | Int32Array | readonly number[];
}

export interface SiameseStepResult {
  loss: number;
  /** Share of the mined terms (triplets, anchors or pairs) with a non-zero loss. */
  activeShare: number;
  /** Mean distance between the batch's unit embeddings (0 = collapsed). */
  spread: number;
  collapsed: boolean;
}

/**
 * One optimisation step on a batch. All intermediate tensors are freed; the batch's tensors stay
 * the caller's. Batch norm runs in training mode (batch statistics, moving averages updated).
 */
export function siameseTrainStep(encoder: tf.LayersModel, optimizer: tf.Optimizer, batch: SiameseBatch, lossConfig: SiameseLossConfig = {}): SiameseStepResult {
  const c = resolveSiameseLossConfig(lossConfig);
  const n = batch.x.shape[0]!;
  const labels = batch.labels instanceof tf.Tensor ? batch.labels : tf.tensor1d(Int32Array.from(batch.labels), 'int32');
  if (labels.shape[0] !== n) throw new Error(`batch: ${n} inputs but ${labels.shape[0]} labels`);
  const variables = encoder.trainableWeights.map((w) => w.read() as tf.Variable);
  // Kept past the tape's tidy so they can be read after the update.
  const kept: { activeShare?: tf.Scalar; spread?: tf.Scalar } = {};
  try {
    const cost = optimizer.minimize(
      () => {
        const embeddings = encoder.apply(batch.x, { training: true }) as tf.Tensor2D;
        const distances = pairwiseDistances(embeddings, c);
        const mined = minedLoss(distances, labels, c.margin, c.mining);
        kept.activeShare = tf.keep(mined.activeShare);
        kept.spread = tf.keep(embeddingSpread(embeddings));
        return mined.loss;
      },
      true,
      variables,
    );
    if (!cost) throw new Error('siameseTrainStep: the optimizer returned no cost');
    const loss = cost.dataSync()[0]!;
    cost.dispose();
    const activeShare = kept.activeShare?.dataSync()[0] ?? 0;
    const spread = kept.spread?.dataSync()[0] ?? 0;
    return { loss, activeShare, spread, collapsed: spread < c.collapseThreshold };
  } finally {
    kept.activeShare?.dispose();
    kept.spread?.dispose();
    if (labels !== batch.labels) labels.dispose();
  }
}

/** A P×K batch as every rank of a data-parallel run sees it: the indices and how to read their rows. */
export interface ShardedBatch {
  indices: Int32Array;
  /** One class code per batch position. */
  labels: Int32Array;
  inputShape: readonly number[];
  /** Row-major values of the given items. */
  rows(indices: ArrayLike<number>): Float32Array;
}

/**
 * This rank's part of one data-parallel step (dataParallel.ts): its shard of the batch goes
 * through the encoder; the loss is mined over the whole batch's embeddings, so the result — and,
 * summed over the ranks, the gradient — is the whole batch's, as siameseTrainStep computes it on
 * one worker. Every rank returns the same figures.
 */
export function siameseShardStep(group: ParallelGroup, encoder: tf.LayersModel, variables: readonly tf.Variable[], optimizer: tf.Optimizer, batch: ShardedBatch, lossConfig: SiameseLossConfig = {}): SiameseStepResult {
  const c = resolveSiameseLossConfig(lossConfig);
  const n = batch.indices.length;
  if (batch.labels.length !== n) throw new Error(`batch: ${n} inputs but ${batch.labels.length} labels`);
  const { positions } = group.shardOf(n);
  const own = Int32Array.from(positions, (p) => batch.indices[p]!);
  const x = tf.tensor(batch.rows(own), [own.length, ...batch.inputShape]);
  const labels = tf.tensor1d(Int32Array.from(assembledOrder(n, group.workers), (p) => batch.labels[p]!), 'int32');
  const kept: { activeShare?: tf.Scalar; spread?: tf.Scalar } = {};
  try {
    const loss = dataParallelStep(
      group,
      variables,
      optimizer,
      n,
      () => encoder.apply(x, { training: true }) as tf.Tensor,
      (embeddings) => {
        const distances = pairwiseDistances(embeddings, c);
        const mined = minedLoss(distances, labels, c.margin, c.mining);
        kept.activeShare = tf.keep(mined.activeShare);
        kept.spread = tf.keep(embeddingSpread(embeddings));
        return mined.loss;
      },
    );
    const activeShare = kept.activeShare?.dataSync()[0] ?? 0;
    const spread = kept.spread?.dataSync()[0] ?? 0;
    return { loss, activeShare, spread, collapsed: spread < c.collapseThreshold };
  } finally {
    kept.activeShare?.dispose();
    kept.spread?.dispose();
    x.dispose();
    labels.dispose();
  }
}

/** The per-item shape an encoder takes (its input shape without the batch dimension). */
export function encoderInputShape(encoder: tf.LayersModel): number[] {
  const shape = encoder.inputs[0]!.shape.slice(1);
  if (shape.some((d) => d === null)) throw new Error(`encoder input shape [${shape.join(', ')}] is not fully known`);
  return shape as number[];
}

/**
 * Rows `indices` of a row-major dataset (`data` holds n × prod(inputShape) values) as a batch
 * tensor [indices.length, ...inputShape]; the caller disposes it.
 */
export function gatherRows(data: Float32Array, inputShape: readonly number[], indices: ArrayLike<number>): tf.Tensor {
  const dim = inputShape.reduce((a, b) => a * b, 1);
  const n = data.length / dim;
  if (!Number.isInteger(n)) throw new Error(`data: ${data.length} values is not a multiple of ${dim} (input shape [${inputShape.join(', ')}])`);
  const out = new Float32Array(indices.length * dim);
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r]!;
    if (!(i >= 0 && i < n)) throw new Error(`index ${i} out of range (${n} rows)`);
    out.set(data.subarray(i * dim, (i + 1) * dim), r * dim);
  }
  return tf.tensor(out, [indices.length, ...inputShape]);
}

/** A training batch from a row-major dataset and integer labels; the caller disposes `x`. */
export function batchFromIndices(data: Float32Array, inputShape: readonly number[], labels: ArrayLike<number>, indices: ArrayLike<number>): SiameseBatch & { labels: Int32Array } {
  const picked = new Int32Array(indices.length);
  for (let r = 0; r < indices.length; r++) picked[r] = labels[indices[r]!]!;
  return { x: gatherRows(data, inputShape, indices), labels: picked };
}

/**
 * Embeddings of every item, in inference mode (batch norm uses its moving statistics) and in
 * chunks of `batchSize`. `x` is a tensor [n, ...inputShape] or a row-major Float32Array of
 * n × prod(inputShape) values. The output is n × dim, row-major, exactly what the encoder ends
 * in: attention-weighted and L2-normalised as in training.
 */
export function embed(encoder: tf.LayersModel, x: tf.Tensor | Float32Array, batchSize = 256): Float32Array {
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`batchSize: ${batchSize} must be a positive integer`);
  const inputShape = encoderInputShape(encoder);
  const itemSize = inputShape.reduce((a, b) => a * b, 1);
  const n = x instanceof tf.Tensor ? x.shape[0]! : x.length / itemSize;
  if (!Number.isInteger(n)) throw new Error(`embed: ${n * itemSize} values is not a multiple of ${itemSize} (input shape [${inputShape.join(', ')}])`);
  const outShape = encoder.outputs[0]!.shape;
  const dim = outShape[outShape.length - 1] as number;
  const out = new Float32Array(n * dim);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const chunk = tf.tidy(() => {
      const input = x instanceof tf.Tensor ? tf.slice(x, start, end - start) : tf.tensor(x.subarray(start * itemSize, end * itemSize), [end - start, ...inputShape]);
      return encoder.apply(input, { training: false }) as tf.Tensor;
    });
    out.set(chunk.dataSync(), start * dim);
    chunk.dispose();
  }
  return out;
}
