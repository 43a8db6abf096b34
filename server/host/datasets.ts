/**
 * The host's view of the workspace's datasets: discovery, one entry per file with its state, its
 * index (built in the pool, cached on disk) and its last clustering; invalidation when the file
 * changes. The request handlers (cluster, findSimilar, hover, code lens, diagnostics) read from it.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { clusterDataset, type ClusterOutcome, type ClusterParams, DEFAULT_CANDIDATES_PER_RECORD, DEFAULT_MUTUAL_NEIGHBOURS, DEFAULT_STRONG_SIMILARITY } from '../jobs/clusterDataset';
import { discoverDatasets, matchesDataset } from '../jobs/discovery';
import type { IndexCache } from '../jobs/indexCache';
import { nearestNeighbours, type Neighbour } from '../jobs/recordNeighbours';
import { buildSequenceIndex, type SequenceIndex } from '../jobs/sequenceIndex';
import { vectorFormatOf } from '../engine/data/vectorDataset';
import { buildVectorIndex, type VectorIndex } from '../jobs/vectorIndex';
import { clusterVectorDataset, DEFAULT_VECTOR_MIN_PTS, type VectorClusterOutcome, type VectorClusterParams } from '../jobs/vectorClusterDataset';
import { InvalidInputError } from '../jobs/errors';
import { DatasetsChangedNotification, type DatasetInfo, type DatasetState } from '../protocol';
import type { HostContext } from './context';
import { loadSettings, type HostSettings } from './settings';

/** Either kind of index: sequences and text (MinHash), or numeric data (feature vectors). */
export type DatasetIndex = SequenceIndex | VectorIndex;

export function isVectorIndex(index: DatasetIndex): index is VectorIndex {
  return 'features' in index;
}

/** The clustering parameters of either path. */
export type AnyClusterParams = ClusterParams | (VectorClusterParams & { vector: true });

/** A finished clustering of one version of a file, shaped for the editor features. */
export type ClusterView =
  | { vector?: false; outcome: ClusterOutcome; neighbours: Neighbour[][]; sizes: Map<number, number>; params: ClusterParams }
  | { vector: true; outcome: VectorClusterOutcome; neighbours: Neighbour[][]; sizes: Map<number, number>; params: VectorClusterParams };

/** The clusters of the file's Embedding Map, by record (the editor shows the latest of a map and a clustering). */
export interface MapClusters {
  /** Per mapped record: its id, its first line and its cluster (−1 = noise). */
  ids: string[];
  lines: number[];
  clusters: number[];
  sizes: Map<number, number>;
  /** Where DBSCAN ran: on the 2-D map or on the embedding it was made from. */
  on: 'map' | 'embedding';
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
  /** Numeric data (a table, IDX, .npy, or a folder of images or volumes), known after the first look. */
  vector?: boolean;
  clustered?: ClusterView;
  /** The clusters of the last Embedding Map of this file, when it is newer than `clustered`. */
  mapped?: MapClusters;
  fileSignature?: Uint32Array;
  /** Bumped on every change of the file: work started on an older version is dropped. */
  generation: number;
}

/** How many times a clustering starts again because its file changed meanwhile. */
const MAX_CLUSTER_ROUNDS = 3;

export interface ProgressSink {
  (stage: string, done: number, total: number): void;
}

export class DatasetService {
  private readonly entries = new Map<string, DatasetEntry>();
  private discovery: Promise<string[]> | undefined;
  folders: string[] = [];
  cache: IndexCache | undefined;
  trusted = true;
  configurationSupported = false;
  /** Called after an entry's clustering or errors change (publishes its diagnostics). */
  onDidChangeResults: (entry: DatasetEntry) => void = () => undefined;

  constructor(private readonly host: HostContext) {}

  settings(uri?: string): Promise<HostSettings> {
    return loadSettings(this.host.connection, this.configurationSupported, uri);
  }

  /** The file path of a `file:` URI; InvalidInputError for anything else (untrusted JSON). */
  static pathOf(uri: unknown): string {
    if (typeof uri !== 'string' || !uri.startsWith('file:')) throw new InvalidInputError(`expected a file: URI, got ${JSON.stringify(uri)}`);
    try {
      return fileURLToPath(uri);
    } catch (err) {
      throw new InvalidInputError(`bad file URI ${JSON.stringify(uri)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The entry of a file (created on first use); InvalidInputError when `uri` is not a file URI. */
  entry(uri: unknown): DatasetEntry {
    const file = DatasetService.pathOf(uri);
    let entry = this.entries.get(file);
    if (!entry) {
      entry = { uri: uri as string, path: file, state: 'discovered', generation: 0 };
      this.entries.set(file, entry);
    }
    return entry;
  }

  find(uri: string): DatasetEntry | undefined {
    try {
      return this.entries.get(DatasetService.pathOf(uri));
    } catch {
      return undefined;
    }
  }

  /** The dataset files of the workspace folders (re-walked after a create/delete). */
  async datasets(): Promise<string[]> {
    if (!this.trusted) return [];
    this.discovery ??= (async () => {
      const found: string[] = [];
      for (const folder of this.folders) {
        const s = await this.settings(pathToFileURL(folder).href);
        found.push(...(await discoverDatasets(folder, { include: s.include, exclude: s.filesExclude })));
      }
      for (const f of found) this.entry(pathToFileURL(f).href);
      return found;
    })();
    return this.discovery;
  }

  /** `file` relative to its workspace folder ('/'-separated), or its base name outside them. */
  relativePath(file: string): string {
    for (const folder of this.folders) {
      const rel = path.relative(folder, file);
      if (!rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
    }
    return path.basename(file);
  }

  forgetDiscovery(): void {
    this.discovery = undefined;
  }

  /** Is `file` a dataset by the include/exclude settings (relative to its workspace folder, else by its name)? */
  async isDataset(file: string): Promise<boolean> {
    const s = await this.settings(pathToFileURL(file).href);
    return matchesDataset(this.relativePath(file), { include: s.include, exclude: s.filesExclude });
  }

  async infos(): Promise<DatasetInfo[]> {
    await this.datasets();
    const out: DatasetInfo[] = [];
    for (const e of [...this.entries.values()].sort((a, b) => a.path.localeCompare(b.path))) {
      const info: DatasetInfo = { uri: e.uri, state: e.state };
      if (e.index) info.records = e.index.records.length;
      if (e.clustered) {
        info.clusters = e.clustered.outcome.summary.stats.clusters;
        info.noise = e.clustered.outcome.summary.stats.noise;
      }
      if (e.message !== undefined) info.message = e.message;
      out.push(info);
    }
    return out;
  }

  /** The entry's index: in memory, else built in the pool (from the disk cache when it holds it). */
  /** Is the entry numeric data (tables, images, volumes)? Decided once per entry, by name and first bytes. */
  async isVector(entry: DatasetEntry): Promise<boolean> {
    entry.vector ??= (await vectorFormatOf(entry.path)) !== undefined;
    return entry.vector;
  }

  ensureIndex(entry: DatasetEntry, onProgress?: ProgressSink): Promise<DatasetIndex> {
    this.checkTrusted();
    if (entry.index) return Promise.resolve(entry.index);
    if (entry.indexing) return entry.indexing;
    const generation = entry.generation;
    // Not tied to one request's cancellation: several requests may wait for the same index,
    // and a finished index is worth keeping (it is also what the disk cache saves).
    const work = this.host.status.track(`Indexing ${path.basename(entry.path)}`, async (setLabel) => {
      const common = {
        pool: this.host.jobs(),
        ...(this.cache ? { cache: this.cache } : {}),
        onProgress: (stage: string, done: number, total: number) => {
          setLabel(`Indexing ${path.basename(entry.path)}: ${stage}${total > 0 ? ` ${Math.floor((100 * done) / total)}%` : ''}`);
          onProgress?.(stage, done, total);
        },
      };
      if (await this.isVector(entry)) {
        const s = await this.settings(entry.uri);
        return buildVectorIndex(entry.path, { ...common, features: s.vectors.features, metric: s.vectors.metric });
      }
      return buildSequenceIndex(entry.path, common);
    });
    entry.indexing = work;
    this.setState(entry, 'indexing');
    work.then(
      (index) => {
        if (entry.generation !== generation) return;
        entry.indexing = undefined;
        entry.index = index;
        delete entry.parseError;
        delete entry.message;
        this.setState(entry, entry.clustered ? 'clustered' : 'indexed');
        this.onDidChangeResults(entry);
      },
      (err: unknown) => {
        if (entry.generation !== generation) return;
        entry.indexing = undefined;
        this.recordFailure(entry, err);
      },
    );
    return work;
  }

  /**
   * Clusters the file (the index from memory/disk cache, the rest in the pool) and keeps the result.
   * When the file changes while it is clustered (a save, a tool rewriting it), the result of the old
   * content is not kept: the clustering runs again on the new content, so what the caller gets is
   * always what the editor shows. A file that keeps changing gives up after a few rounds.
   */
  async cluster(entry: DatasetEntry, params: AnyClusterParams, signal: AbortSignal, onProgress: ProgressSink): Promise<ClusterView> {
    this.checkTrusted();
    for (let round = 1; ; round++) {
      const generation = entry.generation;
      let view: ClusterView;
      try {
        view = await this.clusterOnce(entry, params, signal, onProgress);
      } catch (err) {
        // A failure of content that has since changed (a half-written file) is not the answer either.
        if (entry.generation === generation || signal.aborted || this.entries.get(entry.path) !== entry || round >= MAX_CLUSTER_ROUNDS) throw err;
        continue;
      }
      if (entry.generation === generation) {
        entry.index = view.outcome.index;
        entry.clustered = view;
        delete entry.mapped;
        delete entry.parseError;
        delete entry.message;
        this.setState(entry, 'clustered');
        this.onDidChangeResults(entry);
        return view;
      }
      if (this.entries.get(entry.path) !== entry) throw new InvalidInputError(`${path.basename(entry.path)} was deleted while it was clustered.`);
      if (round >= MAX_CLUSTER_ROUNDS) throw new InvalidInputError(`${path.basename(entry.path)} changed ${round} times while it was clustered; run Cluster This Dataset again once it is written.`);
    }
  }

  /** One clustering of the file's current content; the entry's state shows it meanwhile. */
  private async clusterOnce(entry: DatasetEntry, params: AnyClusterParams, signal: AbortSignal, onProgress: ProgressSink): Promise<ClusterView> {
    const generation = entry.generation;
    const before = entry.state;
    this.setState(entry, 'clustering');
    try {
      const common = { pool: this.host.jobs(), signal, ...(this.cache ? { cache: this.cache } : {}), onProgress };
      if ('vector' in params) {
        const s = await this.settings(entry.uri);
        const { vector: _v, ...vectorParams } = params;
        const outcome = await clusterVectorDataset(entry.path, { ...common, params: vectorParams, features: s.vectors.features, metric: s.vectors.metric });
        return { vector: true, outcome, neighbours: nearestNeighbours(outcome.index.records.length, outcome.edges), sizes: sizesOf(outcome.summary.clusters), params: vectorParams };
      }
      const outcome = await clusterDataset(entry.path, { ...common, params });
      return { outcome, neighbours: nearestNeighbours(outcome.index.records.length, outcome.edges), sizes: sizesOf(outcome.summary.clusters), params };
    } catch (err) {
      if (entry.generation === generation) {
        if (err instanceof Error && err.name === 'ParseError') this.recordFailure(entry, err);
        else this.setState(entry, before === 'clustering' ? 'discovered' : before);
      }
      throw err;
    }
  }

  /** Keeps the clusters of a map of `entry` made from its version `generation`, and publishes them. */
  mapped(entry: DatasetEntry, generation: number, clusters: MapClusters): void {
    if (entry.generation !== generation) return;
    entry.mapped = clusters;
    this.onDidChangeResults(entry);
  }

  /** The file changed on disk (or was saved): forget what was computed from the old content. */
  invalidate(uri: string, deleted: boolean): DatasetEntry | undefined {
    const entry = this.find(uri);
    if (!entry) return undefined;
    entry.generation++;
    const wasClustered = entry.clustered;
    delete entry.index;
    delete entry.indexing;
    delete entry.clustered;
    delete entry.mapped;
    delete entry.fileSignature;
    delete entry.parseError;
    delete entry.message;
    if (deleted) {
      this.entries.delete(entry.path);
      this.notifyChanged();
    } else this.setState(entry, 'discovered');
    this.onDidChangeResults(entry);
    return wasClustered ? entry : undefined;
  }

  /**
   * A file inside a folder dataset (an image, a volume) changed: forget the folders' results.
   * Returns the folders that had been clustered (to cluster again).
   */
  invalidateFoldersOf(file: string): DatasetEntry[] {
    const again: DatasetEntry[] = [];
    for (const e of [...this.entries.values()]) {
      if (e.path !== file && file.startsWith(e.path + path.sep) && e.vector) {
        const clustered = this.invalidate(e.uri, false);
        if (clustered) again.push(clustered);
      }
    }
    return again;
  }

  /** ClusterParams from the request, the settings, then the defaults (as the CLI's); numeric data take eps and their own minPts. */
  static clusterParams(input: unknown, settings: HostSettings, vector = false): AnyClusterParams {
    const given = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
    if (vector) {
      const eps = given['eps'] ?? (settings.vectors.eps > 0 ? settings.vectors.eps : undefined);
      const minPts = given['minPts'] ?? DEFAULT_VECTOR_MIN_PTS;
      if (eps !== undefined && (typeof eps !== 'number' || !(eps > 0 && Number.isFinite(eps)))) throw new InvalidInputError(`eps is a positive radius, got ${JSON.stringify(eps)}`);
      if (typeof minPts !== 'number' || !Number.isInteger(minPts) || minPts < 1) throw new InvalidInputError(`minPts needs a positive integer, got ${JSON.stringify(minPts)}`);
      return { vector: true, minPts, mutualNeighbours: DEFAULT_MUTUAL_NEIGHBOURS, ...(eps !== undefined ? { eps } : {}) };
    }
    const threshold = given['threshold'] ?? settings.threshold;
    const minPts = given['minPts'] ?? settings.minPts;
    if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) throw new InvalidInputError(`threshold is an identity in (0, 1], got ${JSON.stringify(threshold)}`);
    if (typeof minPts !== 'number' || !Number.isInteger(minPts) || minPts < 1) throw new InvalidInputError(`minPts needs a positive integer, got ${JSON.stringify(minPts)}`);
    return {
      threshold,
      minPts,
      candidatesPerRecord: DEFAULT_CANDIDATES_PER_RECORD,
      mutualNeighbours: { neighbours: DEFAULT_MUTUAL_NEIGHBOURS, strongSimilarity: DEFAULT_STRONG_SIMILARITY },
    };
  }

  checkTrusted(): void {
    if (!this.trusted) throw new InvalidInputError('The workspace is not trusted: Similarity Lab does not read dataset files in it.');
  }

  private recordFailure(entry: DatasetEntry, err: unknown): void {
    const e = err as { name?: string; message?: string; line?: unknown; column?: unknown; reason?: unknown };
    if (e.name === 'ParseError' && typeof e.line === 'number' && typeof e.column === 'number') {
      entry.parseError = { line: e.line, column: e.column, message: typeof e.reason === 'string' ? e.reason : String(e.message) };
    }
    entry.message = err instanceof Error ? err.message : String(err);
    this.setState(entry, 'error');
    this.onDidChangeResults(entry);
  }

  private setState(entry: DatasetEntry, state: DatasetState): void {
    if (entry.state === state) return;
    entry.state = state;
    this.notifyChanged();
  }

  /** Tells the client the list of datasets or a state changed (its Datasets view refreshes). */
  notifyChanged(): void {
    void this.host.connection.sendNotification(DatasetsChangedNotification.type, {}).catch(() => undefined);
  }
}

function sizesOf(clusters: readonly { id: number; size: number }[]): Map<number, number> {
  const sizes = new Map<number, number>();
  for (const c of clusters) sizes.set(c.id, c.size);
  return sizes;
}
