/**
 * What the host knows of one dataset file: its state, its index, its last clustering and the
 * clusters of its last Embedding Map. host/datasets.ts keeps them up to date; the handlers read them.
 */
import type { ClusterOutcome, ClusterParams } from '../jobs/clusterDataset';
import type { ClusterKind } from '../jobs/clusterParams';
import type { NeighbourLists } from '../jobs/recordNeighbours';
import type { SequenceIndex } from '../jobs/sequenceIndex';
import type { VectorClusterOutcome, VectorClusterParams } from '../jobs/vectorClusterDataset';
import type { VectorIndex } from '../jobs/vectorIndex';
import type { DatasetState } from '../protocol';

/** Either kind of index: sequences and text (MinHash), or numeric data (feature vectors). */
export type DatasetIndex = SequenceIndex | VectorIndex;

export function isVectorIndex(index: DatasetIndex): index is VectorIndex {
  return 'features' in index;
}

/** A finished clustering of one version of a file, shaped for the editor features. */
export type ClusterView =
  | { kind: 'sequence'; outcome: ClusterOutcome; neighbours: NeighbourLists; sizes: Map<number, number>; params: ClusterParams }
  | { kind: 'vector'; outcome: VectorClusterOutcome; neighbours: NeighbourLists; sizes: Map<number, number>; params: VectorClusterParams };

/**
 * The clusters of the file's Embedding Map, by record: a layer of its own beside the clustering.
 * The hover shows both; they become diagnostics only for a file that has no clustering.
 */
export interface MapClusters {
  /** Per mapped record: its id, its first line and its cluster (−1 = noise). */
  ids: string[];
  lines: number[];
  clusters: number[];
  sizes: Map<number, number>;
  /** Where DBSCAN ran: on the 2-D map or on the embedding it was made from. */
  on: 'map' | 'embedding';
}

/**
 * The last leakage check of this file as a query split: its records that copy a record of the
 * reference split (issue 17), for their `leak` warnings. Dropped when either file changes.
 */
export interface LeakFindings {
  referenceUri: string;
  referencePath: string;
  /** Numeric data: `score` is a distance; otherwise an identity. */
  vector: boolean;
  pairs: { id: string; line: number; referenceId: string; referenceLine: number; score: number; kind: 'exact' | 'near' }[];
  /** The first line of every record of the file checked, leaking or not, in file order: which record a hovered line is in. */
  recordLines: readonly number[];
}

export interface DatasetEntry {
  uri: string;
  path: string;
  state: DatasetState;
  message?: string;
  /** A parse error of the last read, for its Error diagnostic. */
  parseError?: { line: number; column: number; message: string };
  index?: DatasetIndex;
  indexing?: Promise<DatasetIndex>;
  /** Numeric data (a table, IDX, .npy, or a folder of images or volumes) or sequences and text, known after the first look. */
  kind?: ClusterKind;
  clustered?: ClusterView;
  /** The clusters of the last Embedding Map of this version of the file (kept when it is clustered again). */
  mapped?: MapClusters;
  /** The last leakage check of this file against a reference split. */
  leaks?: LeakFindings;
  fileSignature?: Uint32Array;
  /** Bumped on every change of the file: work started on an older version is dropped. */
  generation: number;
}

export interface ProgressSink {
  (stage: string, done: number, total: number): void;
}
