/**
 * The host's view of the workspace's datasets: discovery, one entry per file with its state, its
 * index (built in the pool, cached on disk) and its last clustering; invalidation when the file
 * changes. The request handlers (cluster, findSimilar, hover, code lens, diagnostics) read from it;
 * it announces what changed by events (`onDidChangeResults`, `onDidChangeDatasets`) and sends nothing itself.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { Emitter, type Event } from 'vscode-languageserver/node';
import { clusterDataset } from '../jobs/clusterDataset';
import { clusterKindOf, resolveClusterParams, type ClusterKind, type ResolvedClusterParams } from '../jobs/clusterParams';
import { discoverDatasets, matchesDataset } from '../jobs/discovery';
import { findLeaks, type LeakReport } from '../jobs/findLeaks';
import type { IndexCache } from '../jobs/indexCache';
import type { WorkerPool } from '../jobs/pool';
import { nearestNeighboursYielding } from '../jobs/recordNeighbours';
import { buildSequenceIndex } from '../jobs/sequenceIndex';
import { buildVectorIndex } from '../jobs/vectorIndex';
import { clusterVectorDataset } from '../jobs/vectorClusterDataset';
import { datasetPathKind, datasetPathKindSync } from '../engine/data/fileKind';
import { InvalidInputError } from '../worker/errors';
import type { ClusterParamsInput, DatasetInfo, DatasetState } from '../protocol';
import type { ClusterView, DatasetEntry, DatasetIndex, MapClusters, ProgressSink } from './datasetEntry';
import type { HostSettings, SettingsCache } from './settings';
import { workspaceFolderOf } from './workspaceGuard';

/** What the service needs of the host: the worker pool, and the status its work shows in. */
export interface DatasetServiceHost {
  jobs(): WorkerPool;
  readonly status: { track<T>(label: string, work: (setLabel: (label: string) => void) => Promise<T>): Promise<T> };
}

/** A request's parameter names in its errors: the protocol's own. */
const REQUEST_NAMING = { name: (key: string) => key, error: (message: string) => new InvalidInputError(message) };

/** How many times a clustering starts again because its file changed meanwhile. */
const MAX_CLUSTER_ROUNDS = 3;

export class DatasetService {
  private readonly entries = new Map<string, DatasetEntry>();
  private discovery: Promise<string[]> | undefined;
  /** The folders of images discovery listed as datasets (the Datasets view reveals them rather than opening them). */
  private readonly imageFolders = new Set<string>();
  folders: string[] = [];
  cache: IndexCache | undefined;
  /** Set from the client's initialization options; a client that does not say is not trusted. */
  trusted = false;
  private readonly resultsChanged = new Emitter<DatasetEntry>();
  private readonly datasetsChanged = new Emitter<void>();
  /** Fires after an entry's clustering, map clusters or errors change (its diagnostics are stale). */
  readonly onDidChangeResults: Event<DatasetEntry> = this.resultsChanged.event;
  /** Fires after the list of datasets or the state of one changed (the client's Datasets view is stale). */
  readonly onDidChangeDatasets: Event<void> = this.datasetsChanged.event;

  constructor(
    private readonly host: DatasetServiceHost,
    private readonly settingsCache: SettingsCache,
  ) {}

  settings(uri?: string): Promise<HostSettings> {
    return this.settingsCache.get(uri);
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

  /**
   * The guard every request that names a file goes through: the path of `uri` when the workspace
   * is trusted and the file (links resolved) lies inside a workspace folder; InvalidInputError
   * (InvalidParams) otherwise. Returns the path as the uri gives it (the entries' key).
   */
  async fileOf(uri: unknown): Promise<string> {
    this.checkTrusted();
    const file = DatasetService.pathOf(uri);
    await this.workspaceFolderOf(file);
    return file;
  }

  /** {@link fileOf}, then the file's entry. */
  async entryOf(uri: unknown): Promise<DatasetEntry> {
    await this.fileOf(uri);
    return this.entry(uri);
  }

  /**
   * The workspace folder holding `file` (links resolved): where the host may read it and write
   * beside it (models). InvalidInputError for a file outside every workspace folder.
   */
  async workspaceFolderOf(file: string): Promise<string> {
    const folder = await workspaceFolderOf(file, this.folders);
    if (folder === undefined) {
      throw new InvalidInputError(
        this.folders.length === 0
          ? `${file}: Similarity Lab reads only files inside a workspace folder, and none is open`
          : `${file} is outside the workspace folders: Similarity Lab reads and writes only inside them`,
      );
    }
    return folder;
  }

  /**
   * The entry of a file (created on first use); InvalidInputError when `uri` is not a file URI,
   * NotADatasetFileError (InvalidParams) when it does not exist or is not a regular file or a
   * folder: a FIFO or a device would block the first read forever.
   */
  entry(uri: unknown): DatasetEntry {
    const file = DatasetService.pathOf(uri);
    let entry = this.entries.get(file);
    if (!entry) {
      datasetPathKindSync(file);
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
        found.push(...(await discoverDatasets(folder, { include: s.include, exclude: s.filesExclude, imageFolderMinImages: s.imageFolderMinImages, imageFolders: this.imageFolders })));
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

  /** Files were created or deleted: walk the folders again on next use, and say the list changed. */
  rediscover(): void {
    this.discovery = undefined;
    this.imageFolders.clear();
    this.datasetsChanged.fire();
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
      const info: DatasetInfo = { uri: e.uri, state: e.state, ...(this.imageFolders.has(e.path) ? { folder: true } : {}) };
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

  /** How the entry is clustered (numeric data or sequences and text): decided once per entry, by name and first bytes. */
  async kindOf(entry: DatasetEntry): Promise<ClusterKind> {
    // Checked again before the first bytes are read: the path may have been replaced since its entry was made.
    if (entry.kind === undefined) await datasetPathKind(entry.path);
    entry.kind ??= await clusterKindOf(entry.path);
    return entry.kind;
  }

  /** The clustering parameters for the entry: the request's, else the settings', else the defaults (as the CLI's). */
  async clusterParams(entry: DatasetEntry, input?: unknown): Promise<ResolvedClusterParams> {
    const given: ClusterParamsInput = typeof input === 'object' && input !== null ? (input as ClusterParamsInput) : {};
    const s = await this.settings(entry.uri);
    // Only the protocol's parameters: the rest keep their defaults.
    return resolveClusterParams(
      await this.kindOf(entry),
      { threshold: given.threshold, minPts: given.minPts, eps: given.eps, method: given.method },
      { defaults: { threshold: s.threshold, minPts: s.minPts, method: s.vectors.clustering, ...(s.vectors.eps > 0 && s.vectors.clustering === 'dbscan' ? { eps: s.vectors.eps } : {}) }, naming: REQUEST_NAMING },
    );
  }

  /** The entry's index: in memory, else built in the pool (from the disk cache when it holds it). */
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
      if ((await this.kindOf(entry)) === 'vector') {
        const s = await this.settings(entry.uri);
        return buildVectorIndex(entry.path, { ...common, features: s.vectors.features, metric: s.vectors.metric });
      }
      const s = await this.settings(entry.uri);
      return buildSequenceIndex(entry.path, { ...common, read: { headerLabelDefault: s.headerLabels } });
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
        this.resultsChanged.fire(entry);
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
  async cluster(entry: DatasetEntry, params: ResolvedClusterParams, signal: AbortSignal, onProgress: ProgressSink): Promise<ClusterView> {
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
        delete entry.parseError;
        delete entry.message;
        this.setState(entry, 'clustered');
        this.resultsChanged.fire(entry);
        return view;
      }
      if (this.entries.get(entry.path) !== entry) throw new InvalidInputError(`${path.basename(entry.path)} was deleted while it was clustered.`);
      if (round >= MAX_CLUSTER_ROUNDS) throw new InvalidInputError(`${path.basename(entry.path)} changed ${round} times while it was clustered; run Cluster This Dataset again once it is written.`);
    }
  }

  /** One clustering of the file's current content; the entry's state shows it meanwhile. */
  private async clusterOnce(entry: DatasetEntry, params: ResolvedClusterParams, signal: AbortSignal, onProgress: ProgressSink): Promise<ClusterView> {
    const generation = entry.generation;
    const before = entry.state;
    this.setState(entry, 'clustering');
    try {
      const common = { pool: this.host.jobs(), signal, ...(this.cache ? { cache: this.cache } : {}), onProgress };
      if (params.kind === 'vector') {
        const s = await this.settings(entry.uri);
        const outcome = await clusterVectorDataset(entry.path, { ...common, params: params.params, features: s.vectors.features, metric: s.vectors.metric });
        return { kind: 'vector', outcome, neighbours: await nearestNeighboursYielding(outcome.index.records.length, outcome.edges), sizes: sizesOf(outcome.summary.clusters), params: params.params };
      }
      const s = await this.settings(entry.uri);
      const outcome = await clusterDataset(entry.path, { ...common, params: params.params, read: { headerLabelDefault: s.headerLabels } });
      return { kind: 'sequence', outcome, neighbours: await nearestNeighboursYielding(outcome.index.records.length, outcome.edges), sizes: sizesOf(outcome.summary.clusters), params: params.params };
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
    this.resultsChanged.fire(entry);
  }

  /**
   * Which records of `queries` copy a record of `reference` (jobs/findLeaks), kept on each query
   * entry (`leaks`) and announced as changed results. A query file that changed meanwhile keeps no
   * findings of its old content; one whose reference changed meanwhile keeps none either.
   */
  async checkLeaks(reference: DatasetEntry, queries: readonly DatasetEntry[], signal: AbortSignal, onProgress: ProgressSink): Promise<LeakReport> {
    this.checkTrusted();
    const generations = [reference, ...queries].map((e) => e.generation);
    const s = await this.settings(reference.uri);
    const report = await findLeaks(
      reference.path,
      queries.map((q) => q.path),
      { pool: this.host.jobs(), signal, onProgress, read: { headerLabelDefault: s.headerLabels }, metric: s.vectors.metric, ...(this.cache ? { cache: this.cache } : {}) },
    );
    if (reference.generation !== generations[0]) return report;
    queries.forEach((entry, f) => {
      if (entry.generation !== generations[f + 1]) return;
      const q = report.queries[f]!;
      entry.leaks = {
        referenceUri: reference.uri,
        referencePath: reference.path,
        vector: report.kind === 'vector',
        pairs: report.pairs
          .filter((p) => p.queryFile === f)
          .map((p) => ({ id: q.ids[p.query]!, line: q.lines[p.query]!, referenceId: report.reference.ids[p.reference]!, referenceLine: report.reference.lines[p.reference]!, score: p.score, kind: p.kind })),
        recordLines: q.lines,
      };
      this.resultsChanged.fire(entry);
    });
    return report;
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
    delete entry.leaks;
    delete entry.fileSignature;
    delete entry.parseError;
    delete entry.message;
    if (deleted) {
      this.entries.delete(entry.path);
      this.datasetsChanged.fire();
    } else this.setState(entry, 'discovered');
    this.resultsChanged.fire(entry);
    // The query splits checked against this file hold findings of its old content.
    for (const other of this.entries.values()) {
      if (other.leaks?.referencePath !== entry.path) continue;
      delete other.leaks;
      this.resultsChanged.fire(other);
    }
    return wasClustered ? entry : undefined;
  }

  /**
   * A file inside a folder dataset (an image, a volume) changed: forget the folders' results.
   * Returns the folders that had been clustered (to cluster again).
   */
  invalidateFoldersOf(file: string): DatasetEntry[] {
    const again: DatasetEntry[] = [];
    for (const e of [...this.entries.values()]) {
      if (e.path !== file && file.startsWith(e.path + path.sep) && e.kind === 'vector') {
        const clustered = this.invalidate(e.uri, false);
        if (clustered) again.push(clustered);
      }
    }
    return again;
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
    this.resultsChanged.fire(entry);
  }

  private setState(entry: DatasetEntry, state: DatasetState): void {
    if (entry.state === state) return;
    entry.state = state;
    this.datasetsChanged.fire();
  }
}

function sizesOf(clusters: readonly { id: number; size: number }[]): Map<number, number> {
  const sizes = new Map<number, number>();
  for (const c of clusters) sizes.set(c.id, c.size);
  return sizes;
}
