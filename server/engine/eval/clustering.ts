/**
 * External clustering scores: a predicted clustering against true classes.
 *
 * - Adjusted Rand index (Hubert & Arabie 1985), in the pair-counting form scikit-learn uses:
 *   1 for identical partitions (also both "one cluster" or both "all singletons"), ~0 for chance,
 *   can be negative.
 * - Mutual information (natural log), normalized mutual information with the ARITHMETIC mean of
 *   the two entropies as normaliser — scikit-learn's default `average_method='arithmetic'` —
 *   so NMI equals the V-measure with beta = 1. Both partitions with one group: NMI = 1; MI = 0
 *   otherwise: NMI = 0 (as scikit-learn).
 * - Homogeneity (each cluster holds one class), completeness (each class sits in one cluster),
 *   V-measure (their harmonic mean; Rosenberg & Hirschberg 2007).
 *
 * Labels are strings or numbers compared like Map keys: 1 and "1" are different labels.
 * Noise: a prediction equal to the noise label (default -1; the number -1 and the string "-1"
 * both count, since a TSV round trip turns one into the other) is, by default, its own
 * singleton cluster — DBSCAN says "this point belongs to no cluster", so it must not look
 * like a cluster of all the noise; this lowers completeness and ARI when much is noise.
 * `noise: 'cluster'` puts all noise points in one cluster instead. The truth has no noise.
 *
 * Everything comes from one sparse contingency table built with Maps in O(n).
 */

export type ClusterLabel = string | number;

export interface ClusteringEvalOptions {
  /** How noise points of the prediction count: each its own cluster (default) or one cluster together. */
  noise?: 'singletons' | 'cluster';
  /** The prediction label meaning noise, compared as a string; default -1. null: no label means noise. */
  noiseLabel?: ClusterLabel | null;
}

/** The non-zero cells of the class × cluster table, with the margins. */
export interface Contingency {
  n: number;
  /** Points per class (rows). */
  classSizes: number[];
  /** Points per cluster (columns); noise singletons included. */
  clusterSizes: number[];
  /** Non-zero cells: row, column, count. */
  cellClass: Int32Array;
  cellCluster: Int32Array;
  cellCount: Float64Array;
  /** Predictions that were noise. */
  noisePoints: number;
}

export interface ClusteringScores {
  n: number;
  classes: number;
  /** Clusters after noise handling (each noise singleton counts as one). */
  clusters: number;
  noisePoints: number;
  ari: number;
  /** Mutual information in nats. */
  mutualInfo: number;
  /** Arithmetic-mean normalised mutual information. */
  nmi: number;
  homogeneity: number;
  completeness: number;
  vMeasure: number;
}

/** Builds the contingency table. Throws a RangeError when the arrays differ in length. */
export function contingencyTable(
  truth: readonly ClusterLabel[],
  predicted: readonly ClusterLabel[],
  options: ClusteringEvalOptions = {},
): Contingency {
  if (truth.length !== predicted.length) {
    throw new RangeError(`label arrays differ in length: ${truth.length} true labels, ${predicted.length} predicted`);
  }
  const n = truth.length;
  const noiseKey = options.noiseLabel === undefined ? '-1' : options.noiseLabel === null ? null : String(options.noiseLabel);
  const singletons = (options.noise ?? 'singletons') === 'singletons';

  const classIndex = new Map<ClusterLabel, number>();
  const classOf = new Int32Array(n);
  const classSizes: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = truth[i]!;
    let c = classIndex.get(label);
    if (c === undefined) {
      c = classSizes.length;
      classIndex.set(label, c);
      classSizes.push(0);
    }
    classOf[i] = c;
    classSizes[c]!++;
  }

  const clusterIndex = new Map<ClusterLabel, number>();
  const clusterOf = new Int32Array(n);
  const clusterSizes: number[] = [];
  let noiseCluster = -1;
  let noisePoints = 0;
  for (let i = 0; i < n; i++) {
    const label = predicted[i]!;
    let k: number;
    if (noiseKey !== null && String(label) === noiseKey) {
      noisePoints++;
      if (singletons) k = clusterSizes.push(0) - 1;
      else {
        if (noiseCluster < 0) noiseCluster = clusterSizes.push(0) - 1;
        k = noiseCluster;
      }
    } else {
      const known = clusterIndex.get(label);
      if (known === undefined) {
        k = clusterSizes.push(0) - 1;
        clusterIndex.set(label, k);
      } else k = known;
    }
    clusterOf[i] = k;
    clusterSizes[k]!++;
  }

  // Cells keyed by class * (number of clusters) + cluster: exact while that product < 2^53.
  const width = clusterSizes.length;
  const cellAt = new Map<number, number>();
  const rows: number[] = [];
  const cols: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    const key = classOf[i]! * width + clusterOf[i]!;
    const at = cellAt.get(key);
    if (at === undefined) {
      cellAt.set(key, counts.length);
      rows.push(classOf[i]!);
      cols.push(clusterOf[i]!);
      counts.push(1);
    } else counts[at]!++;
  }
  return {
    n,
    classSizes,
    clusterSizes,
    cellClass: Int32Array.from(rows),
    cellCluster: Int32Array.from(cols),
    cellCount: Float64Array.from(counts),
    noisePoints,
  };
}

const pairs = (m: number): number => (m * (m - 1)) / 2;

/** Adjusted Rand index of a contingency table. */
export function ariFromContingency(c: Contingency): number {
  let together = 0; // pairs in the same class and the same cluster
  for (let i = 0; i < c.cellCount.length; i++) together += pairs(c.cellCount[i]!);
  let sameClass = 0;
  for (const a of c.classSizes) sameClass += pairs(a);
  let sameCluster = 0;
  for (const b of c.clusterSizes) sameCluster += pairs(b);
  const all = pairs(c.n);
  const tp = together;
  const fn = sameClass - together;
  const fp = sameCluster - together;
  const tn = all - sameClass - sameCluster + together;
  // Full agreement, including the degenerate partitions (and n < 2), is a perfect match.
  if (fn === 0 && fp === 0) return 1;
  return (2 * (tp * tn - fn * fp)) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

function entropy(sizes: readonly number[], n: number): number {
  if (n === 0) return 0;
  let h = 0;
  for (const s of sizes) if (s > 0) h -= (s / n) * Math.log(s / n);
  return Math.max(0, h);
}

/** Mutual information (nats) of a contingency table; 0 when either side has a single group. */
export function mutualInfoFromContingency(c: Contingency): number {
  if (c.classSizes.length <= 1 || c.clusterSizes.length <= 1) return 0;
  const logN = Math.log(c.n);
  let mi = 0;
  for (let i = 0; i < c.cellCount.length; i++) {
    const nij = c.cellCount[i]!;
    const a = c.classSizes[c.cellClass[i]!]!;
    const b = c.clusterSizes[c.cellCluster[i]!]!;
    mi += (nij / c.n) * (Math.log(nij) + logN - Math.log(a) - Math.log(b));
  }
  return Math.max(0, mi);
}

/** Every score from one contingency table. */
export function scoresFromContingency(c: Contingency): ClusteringScores {
  const classes = c.classSizes.length;
  const clusters = c.clusterSizes.length;
  const mutualInfo = mutualInfoFromContingency(c);
  const hClass = entropy(c.classSizes, c.n);
  const hCluster = entropy(c.clusterSizes, c.n);

  let nmi: number;
  if ((classes === 1 && clusters === 1) || (classes === 0 && clusters === 0)) nmi = 1;
  else if (mutualInfo === 0) nmi = 0;
  else nmi = Math.min(1, mutualInfo / ((hClass + hCluster) / 2));

  let homogeneity: number;
  let completeness: number;
  if (c.n === 0) {
    homogeneity = 1;
    completeness = 1;
  } else {
    homogeneity = hClass === 0 ? 1 : Math.min(1, mutualInfo / hClass);
    completeness = hCluster === 0 ? 1 : Math.min(1, mutualInfo / hCluster);
  }
  const vMeasure = homogeneity + completeness === 0 ? 0 : (2 * homogeneity * completeness) / (homogeneity + completeness);

  return {
    n: c.n,
    classes,
    clusters,
    noisePoints: c.noisePoints,
    ari: ariFromContingency(c),
    mutualInfo,
    nmi,
    homogeneity,
    completeness,
    vMeasure,
  };
}

/** ARI, MI, NMI, homogeneity, completeness and V-measure of `predicted` against `truth`. */
export function evaluateClustering(
  truth: readonly ClusterLabel[],
  predicted: readonly ClusterLabel[],
  options: ClusteringEvalOptions = {},
): ClusteringScores {
  return scoresFromContingency(contingencyTable(truth, predicted, options));
}

export function adjustedRandIndex(truth: readonly ClusterLabel[], predicted: readonly ClusterLabel[], options: ClusteringEvalOptions = {}): number {
  return ariFromContingency(contingencyTable(truth, predicted, options));
}

export function normalizedMutualInfo(truth: readonly ClusterLabel[], predicted: readonly ClusterLabel[], options: ClusteringEvalOptions = {}): number {
  return evaluateClustering(truth, predicted, options).nmi;
}

export function homogeneityCompletenessVMeasure(
  truth: readonly ClusterLabel[],
  predicted: readonly ClusterLabel[],
  options: ClusteringEvalOptions = {},
): { homogeneity: number; completeness: number; vMeasure: number } {
  const s = evaluateClustering(truth, predicted, options);
  return { homogeneity: s.homogeneity, completeness: s.completeness, vMeasure: s.vMeasure };
}
