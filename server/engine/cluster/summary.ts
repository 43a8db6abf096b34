// From DBSCAN labels to the cluster summary the host, the CLI and the tree view show.
//
// Decision: cluster ids stay the labels DBSCAN gave (stable: order of discovery, the same in
// the TSV output, the diagnostics and the tree), and only the LIST is ordered — by size,
// largest first, ties by id. Renumbering by size would make an id depend on every other
// cluster's size, so a small edit elsewhere in a dataset would rename unrelated clusters.
// Members are record indices, ascending; the caller maps them to record ids.

import { NOISE } from './dbscan';

export interface ClusterInfo {
  readonly id: number;
  readonly size: number;
  /** Record indices, ascending. */
  readonly members: number[];
}

export interface ClusterStats {
  readonly records: number;
  readonly clusters: number;
  /** Number of noise records. */
  readonly noise: number;
  /** Size of the largest cluster (0 when there is none). */
  readonly largest: number;
  /** Clusters of one record (only possible with minPts = 1). */
  readonly singletons: number;
}

export interface ClusterSummary {
  /** By size descending, then id ascending. */
  readonly clusters: ClusterInfo[];
  /** Noise record indices, ascending. */
  readonly noise: number[];
  readonly stats: ClusterStats;
}

export function summarizeClusters(labels: Int32Array): ClusterSummary {
  let maxId = -1;
  for (let p = 0; p < labels.length; p++) {
    const l = labels[p];
    if (l < NOISE) throw new RangeError(`label ${l} of record ${p} is neither a cluster id (≥ 0) nor noise (−1)`);
    if (l > maxId) maxId = l;
  }
  const sizes = new Int32Array(maxId + 1);
  let noiseCount = 0;
  for (let p = 0; p < labels.length; p++) {
    if (labels[p] === NOISE) noiseCount++;
    else sizes[labels[p]]++;
  }
  const byId: number[][] = [];
  for (let c = 0; c <= maxId; c++) byId.push(new Array<number>(sizes[c]));
  const fill = new Int32Array(maxId + 1);
  const noise = new Array<number>(noiseCount);
  let nw = 0;
  for (let p = 0; p < labels.length; p++) {
    const l = labels[p];
    if (l === NOISE) noise[nw++] = p;
    else byId[l][fill[l]++] = p;
  }
  const clusters: ClusterInfo[] = [];
  for (let c = 0; c <= maxId; c++) if (sizes[c] > 0) clusters.push({ id: c, size: sizes[c], members: byId[c] });
  clusters.sort((a, b) => b.size - a.size || a.id - b.id);
  let singletons = 0;
  for (const c of clusters) if (c.size === 1) singletons++;
  return {
    clusters,
    noise,
    stats: {
      records: labels.length,
      clusters: clusters.length,
      noise: noiseCount,
      largest: clusters.length > 0 ? clusters[0].size : 0,
      singletons,
    },
  };
}
