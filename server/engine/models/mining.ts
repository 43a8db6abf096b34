/**
 * In-batch mining: triplet (and pair) losses computed from the pairwise distance matrix of a
 * P×K batch with masks, so every anchor/positive/negative comes from one forward pass of the
 * shared encoder ("hard negative mining" in the study; Hermans et al. 2017, "In Defense of the
 * Triplet Loss"; FaceNet's semi-hard rule as TensorFlow Addons implements it).
 *
 *   batch-all   every valid triplet (a, p, n): label(a) = label(p), a ≠ p, label(n) ≠ label(a);
 *               loss = mean of max(0, d(a,p) − d(a,n) + m) over the ACTIVE (non-zero) triplets —
 *               averaging over all would shrink the gradient as easy triplets pile up.
 *   batch-hard  per anchor, its farthest positive and its nearest negative; mean over anchors
 *               that have both.
 *   semi-hard   per positive pair (a, p), the nearest negative farther than d(a,p)
 *               (d(a,p) < d(a,n), within the margin it is "semi-hard"); when no negative is
 *               farther, the farthest negative. Mean over positive pairs whose anchor has a negative.
 *   contrastive every pair in the batch: same-label pairs pull (d²), others push (max(0, m − d)²);
 *               mean over pairs.
 *
 * Each returns the loss and the share of its terms that are active (loss > 0): the share the
 * step reports. Unlabelled items (label < 0) are neither anchors, positives nor negatives.
 */
import * as tf from '@tensorflow/tfjs';
import { MINING_KINDS, type MiningKind } from './choices';
export { MINING_KINDS, type MiningKind };

// A type alias, not an interface: tf.tidy returns it, and only aliases count as TensorContainers.
export type MinedLoss = {
  loss: tf.Scalar;
  /** Active terms / valid terms (0 when there is no valid term). */
  activeShare: tf.Scalar;
};

/** A loss term at or below this counts as inactive (float rounding of an exact 0). */
const ACTIVE_EPS = 1e-7;

type Masks = {
  /** [n, n] 1 where i ≠ j, both labelled, same label. */
  positive: tf.Tensor2D;
  /** [n, n] 1 where both labelled, labels differ. */
  negative: tf.Tensor2D;
};

function masksFor(labels: tf.Tensor1D): Masks {
  return tf.tidy(() => {
    const n = labels.shape[0];
    const l = tf.cast(labels, 'int32');
    const labelled = tf.cast(tf.greaterEqual(l, 0), 'float32');
    const both = tf.mul(tf.expandDims(labelled, 1), tf.expandDims(labelled, 0));
    const same = tf.cast(tf.equal(tf.expandDims(l, 1), tf.expandDims(l, 0)), 'float32');
    const positive = tf.mul(tf.mul(same, both), tf.sub(1, tf.eye(n))) as tf.Tensor2D;
    const negative = tf.mul(tf.sub(1, same), both) as tf.Tensor2D;
    return { positive, negative };
  });
}

/**
 * Mean of the valid terms (or, for batch-all, of the active ones) and the active share.
 * `activeTerms`: the same terms computed off the tape, when given, count the active ones — for
 * batch-all the count divides the loss, and counting on the tape would send a (zero) gradient
 * back through the whole [n, n, n] cube.
 */
function meanAndShare(terms: tf.Tensor, valid: tf.Tensor, activeTerms?: tf.Tensor): MinedLoss {
  return tf.tidy(() => {
    const masked = tf.mul(terms, valid);
    // tf.step, not tf.greater: comparisons have no gradient in tfjs, and the tape refuses them.
    const active = tf.sum(tf.step(tf.sub(activeTerms ? tf.mul(activeTerms, valid) : masked, ACTIVE_EPS)));
    const validCount = tf.sum(valid);
    const denominator = tf.maximum(activeTerms ? active : validCount, 1);
    return {
      loss: tf.div(tf.sum(masked), denominator) as tf.Scalar,
      activeShare: tf.div(active, tf.maximum(validCount, 1)) as tf.Scalar,
    };
  });
}

/** The row-wise pick D[i, index[i, ...]] as a one-hot product, so the gradient reaches only the picked entries. */
function pick(D: tf.Tensor, index: tf.Tensor, n: number): tf.Tensor {
  return tf.sum(tf.mul(tf.oneHot(index, n), D), -1);
}

/**
 * The mined loss for a batch from its n × n distance matrix (diagonal 0) and its labels [n].
 * `margin` is the triplet margin (or, for 'contrastive', the push-away radius).
 *
 * Which positive or negative each anchor gets is decided on a copy of the distances taken off
 * the gradient tape (tfjs has no stopGradient): a choice has no gradient anyway, and taking
 * min/max on the tape made the backward pass compare whole [n, n, n] cubes — semi-hard ran
 * 4× slower on wasm. The loss then picks the chosen distances from the taped matrix.
 */
export function minedLoss(distances: tf.Tensor2D, labels: tf.Tensor1D, margin: number, mining: MiningKind): MinedLoss {
  if (!MINING_KINDS.includes(mining)) throw new Error(`mining: unknown '${String(mining)}' (expected ${MINING_KINDS.join(', ')})`);
  const [n, m] = distances.shape;
  if (n !== m || labels.shape[0] !== n) throw new Error(`minedLoss: distances ${n}×${m} and ${labels.shape[0]} labels do not match`);
  const fixed = tf.tensor2d(distances.dataSync(), [n, n]);
  try {
    return tf.tidy(() => {
      const { positive, negative } = masksFor(labels);
      const D = distances;
      const hasPositive = tf.step(tf.sum(positive, 1)); // [a]
      const hasNegative = tf.step(tf.sum(negative, 1)); // [a]
      const lift = tf.add(tf.max(fixed), 1); // above every distance
      switch (mining) {
        case 'batch-all': {
          const cube = (d: tf.Tensor) => tf.relu(tf.add(tf.sub(tf.expandDims(d, 2), tf.expandDims(d, 1)), margin)); // [a, p, n]
          const valid = tf.mul(tf.expandDims(positive, 2), tf.expandDims(negative, 1));
          return meanAndShare(cube(D), valid, cube(fixed));
        }
        case 'batch-hard': {
          // Farthest positive (non-positives at −1, below every distance), nearest negative.
          const farthestPositive = tf.argMax(tf.add(tf.mul(fixed, positive), tf.sub(positive, 1)), 1);
          const nearestNegative = tf.argMin(tf.add(fixed, tf.mul(tf.sub(1, negative), lift)), 1);
          const terms = tf.relu(tf.add(tf.sub(pick(D, farthestPositive, n), pick(D, nearestNegative, n)), margin));
          return meanAndShare(terms, tf.mul(hasPositive, hasNegative));
        }
        case 'semi-hard': {
          const dap = tf.expandDims(fixed, 2); // [a, p, 1]
          const dan = tf.expandDims(fixed, 1); // [a, 1, n]
          const outside = tf.mul(tf.expandDims(negative, 1), tf.step(tf.sub(dan, dap))); // [a, p, n]: negatives farther than p
          const nearestOutside = tf.argMin(tf.add(dan, tf.mul(tf.sub(1, outside), lift)), 2); // [a, p]
          const farthestNegative = tf.argMax(tf.sub(tf.mul(fixed, negative), tf.sub(1, negative)), 1); // [a]
          const hasOutside = tf.cast(tf.step(tf.sum(outside, 2)), 'bool');
          const chosen = tf.where(hasOutside, nearestOutside, tf.broadcastTo(tf.expandDims(farthestNegative, 1), [n, n]));
          const terms = tf.relu(tf.add(tf.sub(D, pick(tf.expandDims(D, 1), chosen, n)), margin));
          return meanAndShare(terms, tf.mul(positive, tf.expandDims(hasNegative, 1)));
        }
        case 'contrastive': {
          const pull = tf.mul(tf.square(D), positive);
          const push = tf.mul(tf.square(tf.relu(tf.sub(margin, D))), negative);
          // Each unordered pair appears twice; the mean is the same.
          return meanAndShare(tf.add(pull, push), tf.add(positive, negative));
        }
      }
    });
  } finally {
    fixed.dispose();
  }
}

export interface CollapseReport {
  /**
   * Mean distance between the L2-normalised embeddings of distinct items: 0 when every
   * embedding points the same way, ≈ √2 for random directions in many dimensions.
   */
  spread: number;
  collapsed: boolean;
}

/** Default alarm level for the spread: 1/50 of the ≈√2 of random directions. */
export const DEFAULT_COLLAPSE_THRESHOLD = 0.03;

/**
 * The spread of a batch's embeddings [n, dim] as a scalar tensor (see CollapseReport). Directions
 * are compared, not raw vectors, so a model that only rescales one constant vector still counts
 * as collapsed; zero vectors sit at distance 1 from unit ones and 0 from each other.
 */
export function embeddingSpread(embeddings: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const n = embeddings.shape[0];
    if (n < 2) return tf.scalar(0);
    const u = tf.div(embeddings, tf.sqrt(tf.maximum(tf.sum(tf.square(embeddings), 1, true), 1e-12)));
    const sq = tf.sum(tf.square(u), 1);
    const d2 = tf.relu(tf.add(tf.sub(tf.expandDims(sq, 1), tf.mul(tf.matMul(u, u, false, true), 2)), tf.expandDims(sq, 0)));
    const offDiagonal = tf.sub(1, tf.eye(n));
    return tf.div(tf.sum(tf.mul(tf.sqrt(d2), offDiagonal)), n * (n - 1)) as tf.Scalar;
  });
}

/** Collapse check on a batch of embeddings: spread below `threshold` raises the alarm. */
export function detectCollapse(embeddings: tf.Tensor2D, threshold = DEFAULT_COLLAPSE_THRESHOLD): CollapseReport {
  const s = embeddingSpread(embeddings);
  try {
    const spread = s.dataSync()[0]!;
    return { spread, collapsed: spread < threshold };
  } finally {
    s.dispose();
  }
}
