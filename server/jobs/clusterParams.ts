/**
 * How a dataset is clustered, decided in one place for the host and the CLI: sequences and text
 * by identity (MinHash + LSH candidates, then DBSCAN at eps = 1 − threshold), numeric data
 * (tables, images, volumes) by a radius on feature vectors. Also the one resolver of their
 * parameters: what was given, else the caller's defaults (the editor's settings), else the
 * built-in ones — so a request and a command line with the same values cluster alike.
 */
import { DEFAULT_VECTOR_CLUSTER_METHOD, VECTOR_CLUSTER_METHODS, type VectorClusterMethod } from '../engine/cluster/vectorClustering';
import { vectorFormatOf } from '../engine/data/vectorDataset';
import { DEFAULT_CANDIDATES_PER_RECORD, DEFAULT_MIN_PTS, DEFAULT_MUTUAL_NEIGHBOURS, DEFAULT_SHARED_NEIGHBOURS, DEFAULT_STRONG_SIMILARITY, DEFAULT_THRESHOLD, type ClusterParams } from './clusterDataset';
import { DEFAULT_VECTOR_MIN_PTS, type VectorClusterParams } from './vectorClusterDataset';

export type ClusterKind = 'sequence' | 'vector';

/** Numeric data when a vector reader claims the file or folder (by name and first bytes); sequences or text otherwise. */
export async function clusterKindOf(file: string): Promise<ClusterKind> {
  return (await vectorFormatOf(file)) !== undefined ? 'vector' : 'sequence';
}

export type ResolvedClusterParams = { kind: 'sequence'; params: ClusterParams } | { kind: 'vector'; params: VectorClusterParams };

/** Parameters as given (a request's JSON, the CLI's parsed flags): unchecked, each optional. */
export interface ClusterParamsGiven {
  threshold?: unknown;
  eps?: unknown;
  minPts?: unknown;
  /** k of the mutual-nearest-neighbour refinement; 0 = plain DBSCAN on every link. */
  mutualNeighbours?: unknown;
  /** Sequences and text: the refinement's shared-neighbour fraction in [0, 1]; 0 = the mutual rule alone. */
  sharedNeighbours?: unknown;
  /** Sequences and text: per-record candidate budget; 0 = all candidates. */
  candidatesPerRecord?: unknown;
  /** Sequences and text: the study's exact matrix path. */
  exact?: unknown;
  /** Numeric data: 'leiden' or 'dbscan' (engine/cluster/vectorClustering.ts). */
  method?: unknown;
}

/** The caller's defaults, before the built-in ones (the editor's settings; the CLI has none). */
export interface ClusterParamsDefaults {
  threshold?: number;
  /** Sequences and text only: numeric data have their own default minPts. */
  minPts?: number;
  eps?: number;
  /** Numeric data only. */
  method?: VectorClusterMethod;
}

/** How errors name a parameter ('minPts' in a request, '--min-pts' on a command line), and which error they are. */
export interface ClusterParamsNaming {
  name(key: keyof ClusterParamsGiven): string;
  error(message: string): Error;
}

export interface ResolveOptions {
  defaults?: ClusterParamsDefaults;
  naming: ClusterParamsNaming;
}

export function resolveClusterParams(kind: ClusterKind, given: ClusterParamsGiven, options: ResolveOptions): ResolvedClusterParams {
  return kind === 'vector' ? { kind, params: resolveVectorClusterParams(given, options) } : { kind, params: resolveSequenceClusterParams(given, options) };
}

export function resolveSequenceClusterParams(given: ClusterParamsGiven, { defaults = {}, naming }: ResolveOptions): ClusterParams {
  const threshold = given.threshold ?? defaults.threshold ?? DEFAULT_THRESHOLD;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) throw naming.error(`${naming.name('threshold')} is an identity in (0, 1], got ${show(threshold)}`);
  const minPts = positiveInteger(given.minPts ?? defaults.minPts ?? DEFAULT_MIN_PTS, 'minPts', naming);
  const mutual = nonNegativeInteger(given.mutualNeighbours ?? DEFAULT_MUTUAL_NEIGHBOURS, 'mutualNeighbours', naming);
  const shared = given.sharedNeighbours ?? DEFAULT_SHARED_NEIGHBOURS;
  if (typeof shared !== 'number' || !(shared >= 0 && shared <= 1)) throw naming.error(`${naming.name('sharedNeighbours')} is a fraction in [0, 1], got ${show(shared)}`);
  const perRecord = nonNegativeInteger(given.candidatesPerRecord ?? DEFAULT_CANDIDATES_PER_RECORD, 'candidatesPerRecord', naming);
  if (given.exact !== undefined && typeof given.exact !== 'boolean') throw naming.error(`${naming.name('exact')} is true or false, got ${show(given.exact)}`);
  const exact = given.exact === true;
  if (exact && given.mutualNeighbours !== undefined && mutual > 0) throw naming.error(`${naming.name('exact')} is the study's plain DBSCAN on the full matrix; it takes no ${naming.name('mutualNeighbours')}`);
  if (given.sharedNeighbours !== undefined && shared > 0 && (exact || mutual === 0)) throw naming.error(`${naming.name('sharedNeighbours')} refines the mutual-neighbour links; it does not apply to ${exact ? naming.name('exact') : `${naming.name('mutualNeighbours')} 0`}`);
  return {
    threshold,
    ...(perRecord > 0 ? { candidatesPerRecord: perRecord } : {}),
    minPts,
    ...(mutual > 0 && !exact ? { mutualNeighbours: { neighbours: mutual, strongSimilarity: DEFAULT_STRONG_SIMILARITY, ...(shared > 0 ? { sharedNeighbours: shared } : {}) } } : {}),
    ...(exact ? { exact: true } : {}),
  };
}

/**
 * Parameters of numeric data. The method: as given, else 'dbscan' when a radius or a mutual k was
 * given (they mean the study's DBSCAN), else the caller's default (a setting), else 'leiden'. DBSCAN: a radius
 * in the metric's units (absent: read off the k-distance curve). Leiden takes neither.
 */
export function resolveVectorClusterParams(given: ClusterParamsGiven, { defaults = {}, naming }: ResolveOptions): VectorClusterParams {
  if (given.sharedNeighbours !== undefined) throw naming.error(`${naming.name('sharedNeighbours')} applies to sequences and text (identity links); numeric data take ${naming.name('mutualNeighbours')}`);
  const minPts = positiveInteger(given.minPts ?? DEFAULT_VECTOR_MIN_PTS, 'minPts', naming);
  const method = given.method ?? (given.eps !== undefined || given.mutualNeighbours !== undefined ? 'dbscan' : (defaults.method ?? DEFAULT_VECTOR_CLUSTER_METHOD));
  if (typeof method !== 'string' || !(VECTOR_CLUSTER_METHODS as readonly string[]).includes(method)) throw naming.error(`${naming.name('method')} is ${VECTOR_CLUSTER_METHODS.join(' or ')}, got ${show(method)}`);
  if (method === 'leiden') {
    for (const key of ['eps', 'mutualNeighbours'] as const) {
      if (given[key] !== undefined) throw naming.error(`${naming.name(key)} applies to ${naming.name('method')} dbscan; leiden needs no radius`);
    }
    return { minPts, method: 'leiden' };
  }
  const eps = given.eps ?? defaults.eps;
  if (eps !== undefined && (typeof eps !== 'number' || !(eps > 0 && Number.isFinite(eps)))) throw naming.error(`${naming.name('eps')} needs a positive number, got ${show(eps)}`);
  const mutual = nonNegativeInteger(given.mutualNeighbours ?? DEFAULT_MUTUAL_NEIGHBOURS, 'mutualNeighbours', naming);
  return { minPts, method: 'dbscan', ...(eps !== undefined ? { eps } : {}), ...(mutual > 0 ? { mutualNeighbours: mutual } : {}) };
}

function positiveInteger(v: unknown, key: keyof ClusterParamsGiven, naming: ClusterParamsNaming): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw naming.error(`${naming.name(key)} needs a positive integer, got ${show(v)}`);
  return v;
}

function nonNegativeInteger(v: unknown, key: keyof ClusterParamsGiven, naming: ClusterParamsNaming): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw naming.error(`${naming.name(key)} needs a non-negative integer, got ${show(v)}`);
  return v;
}

/** A number as typed (NaN stays NaN); anything else as JSON, so a string shows its quotes. */
function show(v: unknown): string {
  return typeof v === 'number' ? String(v) : JSON.stringify(v);
}
