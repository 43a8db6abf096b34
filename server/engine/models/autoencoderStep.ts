/**
 * The autoencoder's training step, its perceptual feature extractor, and the functions that read
 * a trained one (latent codes, reconstructions, reconstruction error). No I/O, no loop: a
 * training loop calls `autoencoderTrainStep` per batch where the Siamese loop calls
 * `siameseTrainStep`; the result has the same loss/activeShare/spread/collapsed fields, plus the
 * loss parts.
 *
 * loss = w_r · reconstruction + w_l · latent + w_p · perceptual       (weights configurable)
 *
 * - reconstruction: MSE between the batch and its reconstruction.
 * - latent: a contrastive or triplet loss on the latent codes (mining.ts, in-batch), in a distance
 *   that compares directions ('cosine' by default): the latent is unnormalised, and a Euclidean
 *   margin would be met by merely scaling every code up. Positives come from labels where the
 *   batch has them and otherwise from augmented views (augment.ts): an item and its view form a
 *   class of their own. Labelled items' views share their item's label.
 * - perceptual: MSE between feature maps of a FIXED extractor applied to the batch and to its
 *   reconstruction, averaged over the chosen layers (Johnson et al. 2016). With a trained Siamese
 *   encoder, its intermediate ReLU outputs (the conv blocks' features, before pooling). Without
 *   one, a fixed random-weight conv net: random conv filters already give usable perceptual
 *   features — multi-scale local-pattern statistics that pixel MSE ignores (He, Wang & Hopcroft
 *   2016, "A powerful generative model using random weights for the deep image
 *   representation"; Ulyanov et al.'s deep image prior) — and need no training data or
 *   pretrained weights we do not have. The default weight is 0, so nothing is computed unless
 *   asked for.
 * A part whose weight is 0 is not computed at all (no gradient from it, reported as null), and
 * the decoder's weights are left out of the update when neither reconstruction nor perceptual
 * loss uses them.
 */
import * as tf from '@tensorflow/tfjs';
import type { Autoencoder } from './autoencoder';
import { augmentBatch, type AugmentOptions } from './augment';
import { pairwiseDistances, resolveDistanceSpec, resolveMargin, type DistanceKind } from './losses';
import { DEFAULT_COLLAPSE_THRESHOLD, embeddingSpread, minedLoss, MINING_KINDS, type MiningKind } from './mining';
import { embed, gatherRows } from './siamese';
import { dataParallelStep, type ParallelGroup } from './dataParallel';
import { LATENT_LOSS_KINDS, type LatentLossKind } from './choices';
export { LATENT_LOSS_KINDS, type LatentLossKind };

export interface AutoencoderLossWeights {
  /** Default 1. */
  reconstruction?: number;
  /** Default 0.1. */
  latent?: number;
  /** Default 0. */
  perceptual?: number;
}

export interface AutoencoderLossConfig {
  weights?: AutoencoderLossWeights;
  /** Default 'contrastive' (the study's final model: MSE + contrastive). */
  latentLoss?: LatentLossKind;
  /** Triplet mining (mining.ts): 'batch-all', 'batch-hard' or 'semi-hard' (default); ignored by 'contrastive'. */
  mining?: MiningKind;
  /** Latent distance; default 'cosine'. */
  distance?: DistanceKind;
  /** Weight of the Euclidean part of 'combined'; default 0.5. */
  euclideanWeight?: number;
  /** Triplet margin (default 0.2) or contrastive push radius (default 0.5). */
  margin?: number;
  /** The extractor of the perceptual loss (`perceptualFeatures`); needed when its weight > 0. */
  perceptual?: PerceptualFeatures | null;
  /** Latent spread below which a step reports collapse; default 0.03 (mining.ts). */
  collapseThreshold?: number;
}

export interface ResolvedAutoencoderLossConfig {
  weights: Required<AutoencoderLossWeights>;
  latentLoss: LatentLossKind;
  mining: MiningKind;
  distance: DistanceKind;
  euclideanWeight: number;
  margin: number;
  perceptual: PerceptualFeatures | null;
  collapseThreshold: number;
}

function weight(name: string, value: number | undefined, fallback: number): number {
  const w = value ?? fallback;
  if (!(Number.isFinite(w) && w >= 0)) throw new Error(`weights.${name}: ${w} must be a finite number ≥ 0`);
  return w;
}

/** Every field of the loss config but the extractor, checked (a training run builds the extractor later, for its inputs). */
export function resolveAutoencoderLossSettings(config: AutoencoderLossConfig = {}): Omit<ResolvedAutoencoderLossConfig, 'perceptual'> {
  const weights = {
    reconstruction: weight('reconstruction', config.weights?.reconstruction, 1),
    latent: weight('latent', config.weights?.latent, 0.1),
    perceptual: weight('perceptual', config.weights?.perceptual, 0),
  };
  if (weights.reconstruction + weights.latent + weights.perceptual === 0) throw new Error('weights: at least one loss weight must be > 0');
  const latentLoss = config.latentLoss ?? 'contrastive';
  if (!LATENT_LOSS_KINDS.includes(latentLoss)) throw new Error(`latentLoss: unknown '${String(latentLoss)}' (expected ${LATENT_LOSS_KINDS.join(', ')})`);
  const mining: MiningKind = latentLoss === 'contrastive' ? 'contrastive' : (config.mining ?? 'semi-hard');
  if (latentLoss === 'triplet' && (mining === 'contrastive' || !MINING_KINDS.includes(mining))) throw new Error(`mining: '${String(mining)}' is no triplet mining (expected batch-all, batch-hard, semi-hard)`);
  const { distance, euclideanWeight } = resolveDistanceSpec({ distance: config.distance ?? 'cosine', ...(config.euclideanWeight === undefined ? {} : { euclideanWeight: config.euclideanWeight }) });
  const margin = resolveMargin(config.margin, latentLoss === 'contrastive' ? 0.5 : 0.2);
  const collapseThreshold = config.collapseThreshold ?? DEFAULT_COLLAPSE_THRESHOLD;
  if (!(collapseThreshold >= 0)) throw new Error(`collapseThreshold: ${collapseThreshold} must be ≥ 0`);
  return { weights, latentLoss, mining, distance, euclideanWeight, margin, collapseThreshold };
}

/** Defaults filled in and every field checked; resolving a resolved config gives it back. */
export function resolveAutoencoderLossConfig(config: AutoencoderLossConfig = {}): ResolvedAutoencoderLossConfig {
  const settings = resolveAutoencoderLossSettings(config);
  if (settings.weights.perceptual > 0 && !config.perceptual) throw new Error('perceptual: weights.perceptual > 0 needs an extractor (perceptualFeatures)');
  return { ...settings, perceptual: config.perceptual ?? null };
}

// ---------------------------------------------------------------------------------------------
// Perceptual features

export interface PerceptualFeatures {
  /** input → one output per chosen layer's feature map. */
  model: tf.LayersModel;
  /** 'siamese': layers of a given (trained) encoder; 'random': our fixed random-weight conv net. */
  source: 'siamese' | 'random';
  /** Names of the layers whose outputs are compared. */
  layers: string[];
  /** Per-item input shape the extractor takes. */
  inputShape: number[];
  /** Frees what this object owns: the random net's weights; a given encoder stays the caller's. */
  dispose(): void;
}

export interface PerceptualOptions {
  /** A trained encoder (e.g. the Siamese one) taking the autoencoder's input shape. */
  extractor?: tf.LayersModel;
  /** Its layers to compare, by name or index; default every ReLU layer (each block's features). */
  layers?: Array<string | number>;
  /** Random extractor: filters per conv block (default [16, 32]) and seed (default 7). */
  filters?: number[];
  seed?: number;
}

/**
 * The fixed feature extractor of the perceptual loss: `options.extractor`'s chosen layers, or,
 * without one, a random-weight net for `inputShape` — conv(3 or 7 wide) → ReLU per block with a
 * max pool between blocks for sequences, images and volumes; dense → ReLU for plain vectors.
 * Its weights never train (the step updates only the autoencoder's).
 */
export function perceptualFeatures(inputShape: readonly number[], options: PerceptualOptions = {}): PerceptualFeatures {
  if (options.extractor) return siameseFeatures(inputShape, options.extractor, options.layers);
  return randomFeatures(inputShape, options.filters ?? [16, 32], options.seed ?? 7);
}

function siameseFeatures(inputShape: readonly number[], extractor: tf.LayersModel, chosen: Array<string | number> | undefined): PerceptualFeatures {
  const taken = extractor.inputs[0]!.shape.slice(1);
  if (taken.length !== inputShape.length || taken.some((d, i) => d !== inputShape[i])) {
    throw new Error(`perceptual: the extractor takes [${taken.join(', ')}], the autoencoder [${inputShape.join(', ')}]`);
  }
  const layers = chosen
    ? chosen.map((key) => {
        const layer = typeof key === 'number' ? extractor.layers[key] : extractor.layers.find((l) => l.name === key);
        if (!layer) throw new Error(`perceptual: the extractor has no layer ${JSON.stringify(key)}`);
        return layer;
      })
    : extractor.layers.filter((l) => l.getClassName() === 'ReLU');
  if (layers.length === 0) throw new Error('perceptual: the extractor has no ReLU layer to compare; name its layers');
  const model = tf.model({ inputs: extractor.inputs, outputs: layers.map((l) => l.getOutputAt(0) as tf.SymbolicTensor) });
  return {
    model,
    source: 'siamese',
    layers: layers.map((l) => l.name),
    inputShape: [...inputShape],
    // Disposing `model` would dispose the extractor's layers: they are the caller's.
    dispose: () => undefined,
  };
}

function randomFeatures(inputShape: readonly number[], filters: number[], seed: number): PerceptualFeatures {
  if (inputShape.length < 1 || inputShape.length > 4) throw new Error(`perceptual: input shape [${inputShape.join(', ')}] must have rank 1 to 4`);
  if (filters.length === 0 || filters.some((f) => !(Number.isInteger(f) && f > 0))) throw new Error(`perceptual: filters [${filters.join(', ')}] must be positive integers`);
  const input = tf.input({ shape: [...inputShape] });
  const outputs: tf.SymbolicTensor[] = [];
  let x: tf.SymbolicTensor = input;
  let s = seed;
  const rank = inputShape.length;
  filters.forEach((f, i) => {
    if (i > 0 && rank > 1) {
      const pool = { poolSize: 2, padding: 'same' as const };
      x = (rank === 2 ? tf.layers.maxPooling1d(pool) : rank === 3 ? tf.layers.maxPooling2d(pool) : tf.layers.maxPooling3d(pool)).apply(x) as tf.SymbolicTensor;
    }
    const init = tf.initializers.heNormal({ seed: s++ });
    const common = { filters: f, kernelSize: rank === 2 ? 7 : 3, padding: 'same' as const, kernelInitializer: init, trainable: false };
    const layer = rank === 1 ? tf.layers.dense({ units: f, kernelInitializer: init, trainable: false }) : rank === 2 ? tf.layers.conv1d(common) : rank === 3 ? tf.layers.conv2d(common) : tf.layers.conv3d(common);
    x = tf.layers.reLU().apply(layer.apply(x)) as tf.SymbolicTensor;
    outputs.push(x);
  });
  const model = tf.model({ inputs: input, outputs });
  return { model, source: 'random', layers: model.outputNames, inputShape: [...inputShape], dispose: () => void model.dispose() };
}

/** Feature maps of a batch, in inference mode (batch norm on its moving statistics). */
function featureMaps(features: PerceptualFeatures, x: tf.Tensor): tf.Tensor[] {
  const out = features.model.apply(x, { training: false });
  return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
}

// ---------------------------------------------------------------------------------------------
// The step

export interface AutoencoderBatch {
  /** [n, ...inputShape]: the items, and the reconstruction target. */
  x: tf.Tensor;
  /** n integer class codes (< 0: unlabelled); optional. */
  labels?: tf.Tensor1D | Int32Array | readonly number[];
  /** [n, ...inputShape]: an augmented view of each item (the latent positives); optional. */
  views?: tf.Tensor;
}

export interface AutoencoderLossParts {
  /** Unweighted values; null when the part's weight is 0 (not computed). */
  reconstruction: number | null;
  latent: number | null;
  perceptual: number | null;
}

export interface AutoencoderStepResult {
  /** The weighted sum that was minimised. */
  loss: number;
  parts: AutoencoderLossParts;
  /** Share of the latent loss's mined terms that are active (0 without a latent loss). */
  activeShare: number;
  /** Mean distance between the batch's unit latent codes (0 = collapsed). */
  spread: number;
  collapsed: boolean;
}

/**
 * The identity of each latent row for in-batch mining: an item's label when it has one, else a
 * class of its own (shared with its view) when views are given, else −1 (left out). Views follow
 * their items (rows n..2n−1).
 */
export function latentIdentities(n: number, labels: Int32Array | null, withViews: boolean): Int32Array {
  const ids = new Int32Array(withViews ? 2 * n : n);
  let next = 0;
  if (labels) for (const l of labels) next = Math.max(next, l + 1);
  for (let i = 0; i < n; i++) {
    const l = labels ? labels[i]! : -1;
    ids[i] = l >= 0 ? l : withViews ? next + i : -1;
    if (withViews) ids[n + i] = ids[i]!;
  }
  return ids;
}

function labelsArray(labels: AutoencoderBatch['labels'], n: number): Int32Array | null {
  if (labels === undefined) return null;
  const a = labels instanceof tf.Tensor ? Int32Array.from(labels.dataSync()) : Int32Array.from(labels);
  if (a.length !== n) throw new Error(`batch: ${n} inputs but ${a.length} labels`);
  return a;
}

/**
 * One optimisation step on a batch. All intermediate tensors are freed; the batch's tensors stay
 * the caller's. Batch norm runs in training mode. `config.perceptual` is applied in inference
 * mode and never updated.
 */
export function autoencoderTrainStep(models: Autoencoder, optimizer: tf.Optimizer, batch: AutoencoderBatch, config: AutoencoderLossConfig = {}): AutoencoderStepResult {
  const c = resolveAutoencoderLossConfig(config);
  const { weights: w } = c;
  const n = batch.x.shape[0]!;
  const sameShape = (t: tf.Tensor, what: string) => {
    const expected = [n, ...models.inputShape];
    if (t.rank !== expected.length || t.shape.some((d, i) => d !== expected[i])) throw new Error(`batch: ${what} has shape [${t.shape.join(', ')}], expected [${expected.join(', ')}]`);
  };
  sameShape(batch.x, 'x');
  if (batch.views) sameShape(batch.views, 'views');
  const labels = labelsArray(batch.labels, n);
  const useViews = w.latent > 0 && batch.views !== undefined;
  if (w.latent > 0 && !labels && !useViews) throw new Error('batch: the latent loss (weights.latent > 0) needs labels or augmented views');
  if (c.perceptual && w.perceptual > 0) {
    const p = c.perceptual.inputShape;
    if (p.length !== models.inputShape.length || p.some((d, i) => d !== models.inputShape[i])) throw new Error(`perceptual: the extractor takes [${p.join(', ')}], the autoencoder [${models.inputShape.join(', ')}]`);
  }
  const usesDecoder = w.reconstruction > 0 || w.perceptual > 0;
  const variables = (usesDecoder ? models.autoencoder : models.encoder).trainableWeights.map((v) => v.read() as tf.Variable);

  const ids = w.latent > 0 ? tf.tensor1d(latentIdentities(n, labels, useViews), 'int32') : null;
  // The perceptual target depends on no variable: computed once, off the tape.
  const targetFeatures = c.perceptual && w.perceptual > 0 ? tf.tidy(() => featureMaps(c.perceptual!, batch.x)) : null;
  const kept: { reconstruction?: tf.Scalar; latent?: tf.Scalar; perceptual?: tf.Scalar; activeShare?: tf.Scalar; spread?: tf.Scalar } = {};
  try {
    const cost = optimizer.minimize(
      () => {
        const input = useViews ? tf.concat([batch.x, batch.views!], 0) : batch.x;
        const latent = models.encoder.apply(input, { training: true }) as tf.Tensor2D;
        const own = useViews ? tf.slice(latent, 0, n) : latent;
        kept.spread = tf.keep(embeddingSpread(own));
        let total: tf.Scalar = tf.scalar(0);
        if (usesDecoder) {
          const reconstruction = models.decoder.apply(own, { training: true }) as tf.Tensor;
          if (w.reconstruction > 0) {
            const mse = tf.mean(tf.squaredDifference(reconstruction, batch.x)) as tf.Scalar;
            kept.reconstruction = tf.keep(mse);
            total = tf.add(total, tf.mul(mse, w.reconstruction));
          }
          if (targetFeatures) {
            const maps = featureMaps(c.perceptual!, reconstruction);
            const perLayer = maps.map((m, i) => tf.mean(tf.squaredDifference(m, targetFeatures[i]!)));
            const perceptual = tf.div(tf.addN(perLayer), perLayer.length) as tf.Scalar;
            kept.perceptual = tf.keep(perceptual);
            total = tf.add(total, tf.mul(perceptual, w.perceptual));
          }
        }
        if (ids) {
          const mined = minedLoss(pairwiseDistances(latent, c), ids, c.margin, c.mining);
          kept.latent = tf.keep(mined.loss);
          kept.activeShare = tf.keep(mined.activeShare);
          total = tf.add(total, tf.mul(mined.loss, w.latent));
        }
        return total;
      },
      true,
      variables,
    );
    if (!cost) throw new Error('autoencoderTrainStep: the optimizer returned no cost');
    const loss = cost.dataSync()[0]!;
    cost.dispose();
    const read = (t: tf.Scalar | undefined) => (t ? t.dataSync()[0]! : null);
    const spread = read(kept.spread) ?? 0;
    return {
      loss,
      parts: { reconstruction: read(kept.reconstruction), latent: read(kept.latent), perceptual: read(kept.perceptual) },
      activeShare: read(kept.activeShare) ?? 0,
      spread,
      collapsed: spread < c.collapseThreshold,
    };
  } finally {
    tf.dispose([kept.reconstruction, kept.latent, kept.perceptual, kept.activeShare, kept.spread].filter((t): t is tf.Scalar => t !== undefined));
    if (targetFeatures) tf.dispose(targetFeatures);
    ids?.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// The data-parallel step

/**
 * What each rank of a data-parallel run writes per item (dataParallel.ts `outputs`): its latent
 * code, its view's code when views are used, its reconstruction MSE and its perceptual distance
 * when those parts are weighted. The per-item MSE and perceptual values are means over the item's
 * values, so the batch's mean is the mean of the items' — the gathered columns give the whole
 * batch's loss on every rank, with only the rank's own rows on its gradient tape.
 */
export interface AutoencoderParallelLayout {
  /** Values per item. */
  dim: number;
  latentDim: number;
  /** Column of the view's code, of the MSE, of the perceptual distance; −1 when absent. */
  view: number;
  reconstruction: number;
  perceptual: number;
}

export function autoencoderParallelLayout(latentDim: number, weights: Required<AutoencoderLossWeights>, useViews: boolean): AutoencoderParallelLayout {
  let dim = latentDim;
  const take = (on: boolean, width: number) => (on ? (dim += width) - width : -1);
  const view = take(useViews && weights.latent > 0, latentDim);
  const reconstruction = take(weights.reconstruction > 0, 1);
  const perceptual = take(weights.perceptual > 0, 1);
  return { dim, latentDim, view, reconstruction, perceptual };
}

/** One rank's part of a batch: its items (positions `group.shardOf(n)`), and what is known of the whole batch. */
export interface AutoencoderShard {
  /** The whole batch's size. */
  n: number;
  /** [shard, ...inputShape]: this rank's items and their views (the caller's tensors). */
  x: tf.Tensor;
  views?: tf.Tensor;
  /** The WHOLE batch's class codes in assembled order (dataParallel.ts assembledOrder); optional. */
  labels?: Int32Array;
}

/** Per item, the mean of its values: [m, ...] → [m, 1]. */
function perItemMean(t: tf.Tensor): tf.Tensor2D {
  return tf.mean(tf.reshape(t, [t.shape[0]!, -1]), 1, true) as tf.Tensor2D;
}

/**
 * `autoencoderTrainStep` shared by the ranks of a data-parallel run (every rank calls it at once,
 * after the leader's announcement). Each rank runs its shard through the encoder and decoder; the
 * latent codes (and views' codes) are gathered so the contrastive/triplet term mines the WHOLE
 * batch, and each item's MSE and perceptual distance are gathered too, so every rank computes
 * the whole batch's loss, as one worker would, and its gradient is exactly its shard's part of
 * the whole batch's gradient (a shard's MSE weighs in by its share of the batch). The summed
 * gradient is applied by every rank's optimiser. Returns the same result on every rank.
 */
export function autoencoderShardStep(group: ParallelGroup, models: Autoencoder, variables: readonly tf.Variable[], optimizer: tf.Optimizer, shard: AutoencoderShard, config: AutoencoderLossConfig = {}): AutoencoderStepResult {
  const c = resolveAutoencoderLossConfig(config);
  const { weights: w } = c;
  const { n } = shard;
  const m = shard.x.shape[0]!;
  const L = models.latentDim;
  const useViews = w.latent > 0 && shard.views !== undefined;
  if (w.latent > 0 && !shard.labels && !useViews) throw new Error('batch: the latent loss (weights.latent > 0) needs labels or augmented views');
  if (shard.labels && shard.labels.length !== n) throw new Error(`batch: ${n} inputs but ${shard.labels.length} labels`);
  const layout = autoencoderParallelLayout(L, w, useViews);
  const usesDecoder = w.reconstruction > 0 || w.perceptual > 0;
  const ids = w.latent > 0 ? tf.tensor1d(latentIdentities(n, shard.labels ?? null, useViews), 'int32') : null;
  const targetFeatures = c.perceptual && w.perceptual > 0 ? tf.tidy(() => featureMaps(c.perceptual!, shard.x)) : null;
  const kept: { reconstruction?: tf.Scalar; latent?: tf.Scalar; perceptual?: tf.Scalar; activeShare?: tf.Scalar; spread?: tf.Scalar } = {};
  try {
    const loss = dataParallelStep(
      group,
      variables,
      optimizer,
      n,
      () => {
        const input = useViews ? tf.concat([shard.x, shard.views!], 0) : shard.x;
        const latent = models.encoder.apply(input, { training: true }) as tf.Tensor2D;
        const own = useViews ? tf.slice(latent, 0, m) : latent;
        const columns: tf.Tensor[] = [own];
        if (layout.view >= 0) columns.push(tf.slice(latent, m, m));
        if (usesDecoder) {
          const reconstruction = models.decoder.apply(own, { training: true }) as tf.Tensor;
          if (layout.reconstruction >= 0) columns.push(perItemMean(tf.squaredDifference(reconstruction, shard.x)));
          if (targetFeatures) {
            const maps = featureMaps(c.perceptual!, reconstruction);
            const perLayer = maps.map((f, i) => perItemMean(tf.squaredDifference(f, targetFeatures[i]!)));
            columns.push(tf.div(tf.addN(perLayer), perLayer.length));
          }
        }
        return columns.length === 1 ? columns[0]! : tf.concat(columns, 1);
      },
      (all) => {
        const column = (at: number, width: number) => tf.slice(all, [0, at], [n, width]);
        const codes = column(0, L);
        kept.spread = tf.keep(embeddingSpread(codes));
        let total: tf.Scalar = tf.scalar(0);
        if (layout.reconstruction >= 0) {
          const mse = tf.mean(column(layout.reconstruction, 1)) as tf.Scalar;
          kept.reconstruction = tf.keep(mse);
          total = tf.add(total, tf.mul(mse, w.reconstruction));
        }
        if (layout.perceptual >= 0) {
          const perceptual = tf.mean(column(layout.perceptual, 1)) as tf.Scalar;
          kept.perceptual = tf.keep(perceptual);
          total = tf.add(total, tf.mul(perceptual, w.perceptual));
        }
        if (ids) {
          const rows = layout.view >= 0 ? tf.concat([codes, column(layout.view, L)], 0) : codes;
          const mined = minedLoss(pairwiseDistances(rows, c), ids, c.margin, c.mining);
          kept.latent = tf.keep(mined.loss);
          kept.activeShare = tf.keep(mined.activeShare);
          total = tf.add(total, tf.mul(mined.loss, w.latent));
        }
        return total;
      },
    );
    const read = (t: tf.Scalar | undefined) => (t ? t.dataSync()[0]! : null);
    const spread = read(kept.spread) ?? 0;
    return {
      loss,
      parts: { reconstruction: read(kept.reconstruction), latent: read(kept.latent), perceptual: read(kept.perceptual) },
      activeShare: read(kept.activeShare) ?? 0,
      spread,
      collapsed: spread < c.collapseThreshold,
    };
  } finally {
    tf.dispose([kept.reconstruction, kept.latent, kept.perceptual, kept.activeShare, kept.spread].filter((t): t is tf.Scalar => t !== undefined));
    if (targetFeatures) tf.dispose(targetFeatures);
    ids?.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Batches and reading a trained autoencoder

export interface AutoencoderBatchOptions {
  /** Integer class codes of all n rows (< 0: unlabelled). */
  labels?: ArrayLike<number>;
  /** Build augmented views with this random source (and options). */
  augment?: { random: () => number; options?: AugmentOptions };
}

/**
 * A training batch of rows `indices` from a row-major dataset (n × prod(inputShape) values); the
 * caller disposes `x` and `views`.
 */
export function autoencoderBatch(data: Float32Array, inputShape: readonly number[], indices: ArrayLike<number>, options: AutoencoderBatchOptions = {}): AutoencoderBatch & { labels?: Int32Array } {
  const x = gatherRows(data, inputShape, indices);
  const batch: AutoencoderBatch & { labels?: Int32Array } = { x };
  if (options.labels) {
    const labels = options.labels;
    batch.labels = Int32Array.from({ length: indices.length }, (_, r) => labels[indices[r]!]!);
  }
  if (options.augment) {
    const views = augmentBatch(x.dataSync() as Float32Array, inputShape, options.augment.random, options.augment.options);
    batch.views = tf.tensor(views, x.shape);
  }
  return batch;
}

/**
 * Latent codes of every item in inference mode, n × latentDim row-major (`x`: a tensor
 * [n, ...inputShape] or n × prod(inputShape) values).
 */
export function embedLatent(models: Autoencoder | tf.LayersModel, x: tf.Tensor | Float32Array, batchSize = 256): Float32Array {
  return embed(models instanceof tf.LayersModel ? models : models.encoder, x, batchSize);
}

export interface Reconstructions {
  /** [n, ...inputShape]. */
  shape: number[];
  inputs: Float32Array;
  outputs: Float32Array;
}

/** The first `n` items and their reconstructions (inference mode): previews for the dashboard. */
export function reconstruct(models: Autoencoder, x: tf.Tensor | Float32Array, n: number): Reconstructions {
  const size = models.inputShape.reduce((a, b) => a * b, 1);
  const available = x instanceof tf.Tensor ? x.shape[0]! : x.length / size;
  if (!Number.isInteger(available)) throw new Error(`reconstruct: ${available * size} values is not a multiple of ${size}`);
  const m = Math.max(0, Math.min(n, available));
  const shape = [m, ...models.inputShape];
  if (m === 0) return { shape, inputs: new Float32Array(0), outputs: new Float32Array(0) };
  const [inputs, outputs] = tf.tidy(() => {
    const input = x instanceof tf.Tensor ? tf.slice(x, 0, m) : tf.tensor(x.subarray(0, m * size), shape);
    return [input.dataSync().slice() as Float32Array, (models.autoencoder.apply(input, { training: false }) as tf.Tensor).dataSync().slice() as Float32Array];
  });
  return { shape, inputs, outputs };
}

/** Mean squared reconstruction error over every item (inference mode, in chunks). */
export function reconstructionError(models: Autoencoder, data: Float32Array, batchSize = 256): number {
  const size = models.inputShape.reduce((a, b) => a * b, 1);
  const n = data.length / size;
  if (!Number.isInteger(n) || n === 0) throw new Error(`reconstructionError: ${data.length} values is not a positive multiple of ${size}`);
  let sum = 0;
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    const s = tf.tidy(() => {
      const x = tf.tensor(data.subarray(start * size, (start + m) * size), [m, ...models.inputShape]);
      return tf.sum(tf.squaredDifference(models.autoencoder.apply(x, { training: false }) as tf.Tensor, x));
    });
    sum += s.dataSync()[0]!;
    s.dispose();
  }
  return sum / data.length;
}
