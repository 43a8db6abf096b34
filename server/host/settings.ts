/**
 * The `similarityLab.*` settings as the host uses them, pulled per resource with
 * `workspace/configuration` (a folder may override the user's values) and cached until the client
 * sends `workspace/didChangeConfiguration`. Anything missing or of the
 * wrong type falls back to its default: a bad settings.json never breaks the host.
 */
import { DiagnosticSeverity, DidChangeConfigurationNotification, Emitter, type ClientCapabilities, type Connection, type Event } from 'vscode-languageserver/node';
import { DEFAULT_MIN_PTS, DEFAULT_THRESHOLD } from '../jobs/clusterDataset';
import { VECTOR_CLUSTER_METHODS, type VectorClusterMethod } from '../engine/cluster/vectorClustering';
import { VECTOR_METRICS, type VectorMetric } from '../engine/index/knnExact';
import type { FeatureKind } from '../engine/features/vectorFeatures';
import { BACKEND_PREFERENCES, type BackendPreference } from '../engine/models/backend';
import type { HeaderLabelDefault } from '../engine/data/labels';

export const DEFAULT_INCLUDE = [
  '**/*.{fa,fasta,fna,ffn,frn,fas,fq,fastq}',
  '**/*.{fa,fasta,fna,ffn,frn,fas,fq,fastq}.gz',
  '**/*.{csv,tsv,jsonl,ndjson,npy}',
  '**/*.{csv,tsv,jsonl,ndjson,npy}.gz',
  '**/*-ubyte{,.gz}',
];
const FEATURE_KINDS = ['auto', 'raw', 'hog', 'scaled'] as const;
export const DEFAULT_NEAR_DUPLICATE = 0.99;
export const DEFAULT_MAX_DIAGNOSTICS = 1000;

export type SeverityName = 'error' | 'warning' | 'information' | 'hint' | 'off';

export interface HostSettings {
  include: string[];
  /** Globs from `files.exclude` set to true. */
  filesExclude: string[];
  indexOnOpen: boolean;
  threshold: number;
  minPts: number;
  diagnostics: {
    enabled: boolean;
    cluster: DiagnosticSeverity | undefined;
    nearDuplicate: DiagnosticSeverity | undefined;
    outlier: DiagnosticSeverity | undefined;
    nearDuplicateIdentity: number;
    maxPerFile: number;
  };
  codeLens: boolean;
  /** TensorFlow.js backend for training: auto = tfjs-node when installed, else wasm, else cpu. */
  backend: BackendPreference;
  /** Worker threads a Siamese model trains on (data-parallel); 0 = auto (every pool thread but one). */
  trainingWorkers: number;
  /** Numeric datasets (tables, images, volumes). */
  vectors: {
    features: FeatureKind | 'auto';
    metric: VectorMetric;
    /** 'leiden' (communities of the kNN graph) or 'dbscan' (the study's; eps applies). */
    clustering: VectorClusterMethod;
    /** DBSCAN radius; 0 = read off the k-distance curve. */
    eps: number;
  };
  /** The Embedding Map's DBSCAN: on the 2-D map, or on the scaled embedding it was made from. */
  map: { clusterOn: 'map' | 'embedding' };
  /** FASTA/FASTQ: the label each record gets from its header (Colour by Label, hovers, training). */
  headerLabels: HeaderLabelDefault;
  /** Discovery also lists folders of images (class subfolders, or at least this many images directly); 0 = off. */
  imageFolderMinImages: number;
  /**
   * `similarityLab.splits`: the dataset's splits, name → workspace-relative path, in the order
   * written; entries that are not a non-empty string are left out. See {@link referenceSplit}.
   */
  splits: { name: string; path: string }[];
}

/** The reference of the splits (the one named `train`, else the first) and the others, the queries; undefined with fewer than two. */
export function referenceSplit(splits: readonly { name: string; path: string }[]): { reference: string; queries: string[] } | undefined {
  if (splits.length < 2) return undefined;
  const reference = splits.find((s) => s.name === 'train') ?? (splits[0] as { name: string; path: string });
  return { reference: reference.path, queries: splits.filter((s) => s !== reference).map((s) => s.path) };
}

export function defaultSettings(): HostSettings {
  return parseSettings(undefined, undefined);
}

/**
 * The settings per resource, each pulled once with `workspace/configuration` and then kept until
 * the client says they changed (`workspace/didChangeConfiguration`): diagnostics, hovers and code
 * lenses read them on every use, and a round trip to the client each time would be most of their cost.
 */
export class SettingsCache {
  /** Does the client answer `workspace/configuration`? Without it every resource gets the defaults. */
  supported = false;
  private readonly cache = new Map<string, Promise<HostSettings>>();
  private readonly changed = new Emitter<void>();
  /** Fires after the client said the settings changed (the cache is empty by then). The connection takes one handler: subscribe here. */
  readonly onDidChange: Event<void> = this.changed.event;

  constructor(private readonly connection: Connection) {
    connection.onDidChangeConfiguration(() => {
      this.cache.clear();
      this.changed.fire();
    });
  }

  /**
   * Asks the client to send `workspace/didChangeConfiguration` for our sections. Clients that
   * register it themselves (vscode-languageclient with `synchronize.configurationSection`) send
   * it anyway; the others only when the server registers it.
   */
  async register(capabilities: ClientCapabilities): Promise<void> {
    if (capabilities.workspace?.didChangeConfiguration?.dynamicRegistration !== true) return;
    await this.connection.client.register(DidChangeConfigurationNotification.type, { section: ['similarityLab', 'files'] });
  }

  /** The settings for `scopeUri` (a file or folder), or the window's when absent. */
  get(scopeUri?: string): Promise<HostSettings> {
    if (!this.supported) return Promise.resolve(defaultSettings());
    const key = scopeUri ?? '';
    let settings = this.cache.get(key);
    if (!settings) {
      const loading = this.load(scopeUri);
      this.cache.set(key, loading);
      // A failed request gives the defaults this time, not until the next settings change.
      loading.catch(() => {
        if (this.cache.get(key) === loading) this.cache.delete(key);
      });
      settings = loading;
    }
    // A client that fails the request: the defaults still give a working host.
    return settings.catch(() => defaultSettings());
  }

  private async load(scopeUri: string | undefined): Promise<HostSettings> {
    const [own, files] = (await this.connection.workspace.getConfiguration([
      { ...(scopeUri ? { scopeUri } : {}), section: 'similarityLab' },
      { ...(scopeUri ? { scopeUri } : {}), section: 'files' },
    ])) as unknown[];
    return parseSettings(own, files);
  }
}

function get(obj: unknown, path: string): unknown {
  if (typeof obj !== 'object' || obj === null) return undefined;
  // Clients send nested objects; a hand-written answer may use the flat dotted key.
  if (Object.hasOwn(obj, path)) return (obj as Record<string, unknown>)[path];
  let at: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, part)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

function bool(v: unknown, fallback: boolean): boolean {
  return typeof v === 'boolean' ? v : fallback;
}
function num(v: unknown, fallback: number, ok: (n: number) => boolean): number {
  return typeof v === 'number' && Number.isFinite(v) && ok(v) ? v : fallback;
}
function oneOf<T extends string>(v: unknown, allowed: readonly T[], fallback: T): T {
  return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : fallback;
}
function severity(v: unknown, fallback: SeverityName): DiagnosticSeverity | undefined {
  const name = typeof v === 'string' ? v.toLowerCase() : fallback;
  switch (name) {
    case 'error':
      return DiagnosticSeverity.Error;
    case 'warning':
      return DiagnosticSeverity.Warning;
    case 'information':
    case 'info':
      return DiagnosticSeverity.Information;
    case 'hint':
      return DiagnosticSeverity.Hint;
    case 'off':
      return undefined;
    default:
      return severity(fallback, fallback);
  }
}

export function parseSettings(own: unknown, files: unknown): HostSettings {
  const include = get(own, 'datasets.include');
  const exclude = get(files, 'exclude');
  return {
    include: Array.isArray(include) && include.every((g) => typeof g === 'string') ? (include as string[]) : DEFAULT_INCLUDE,
    filesExclude:
      typeof exclude === 'object' && exclude !== null ? Object.entries(exclude as Record<string, unknown>).filter(([, on]) => on === true).map(([glob]) => glob) : [],
    indexOnOpen: bool(get(own, 'indexOnOpen'), true),
    threshold: num(get(own, 'cluster.threshold'), DEFAULT_THRESHOLD, (n) => n > 0 && n <= 1),
    minPts: num(get(own, 'cluster.minPts'), DEFAULT_MIN_PTS, (n) => Number.isInteger(n) && n >= 1),
    diagnostics: {
      enabled: bool(get(own, 'diagnostics.enabled'), true),
      cluster: severity(get(own, 'diagnostics.clusterSeverity'), 'information'),
      nearDuplicate: severity(get(own, 'diagnostics.nearDuplicateSeverity'), 'warning'),
      outlier: severity(get(own, 'diagnostics.outlierSeverity'), 'information'),
      nearDuplicateIdentity: num(get(own, 'diagnostics.nearDuplicateIdentity'), DEFAULT_NEAR_DUPLICATE, (n) => n > 0 && n <= 1),
      maxPerFile: num(get(own, 'diagnostics.maxPerFile'), DEFAULT_MAX_DIAGNOSTICS, (n) => Number.isInteger(n) && n >= 0),
    },
    codeLens: bool(get(own, 'codeLens.enabled'), true),
    backend: oneOf(get(own, 'backend'), BACKEND_PREFERENCES, 'auto'),
    trainingWorkers: num(get(own, 'training.workers'), 0, (n) => Number.isInteger(n) && n >= 0),
    vectors: {
      features: oneOf(get(own, 'vectors.features'), FEATURE_KINDS, 'auto'),
      metric: oneOf(get(own, 'vectors.metric'), VECTOR_METRICS.filter((m) => m !== 'minkowski'), 'euclidean'),
      clustering: oneOf(get(own, 'vectors.clustering'), VECTOR_CLUSTER_METHODS, 'leiden'),
      eps: num(get(own, 'vectors.eps'), 0, (n) => n >= 0),
    },
    map: { clusterOn: oneOf(get(own, 'map.clusterOn'), ['map', 'embedding'] as const, 'map') },
    headerLabels: headerLabels(get(own, 'labels.fromHeader'), get(own, 'labels.field'), get(own, 'labels.regex')),
    imageFolderMinImages: num(get(own, 'datasets.imageFolderMinImages'), DEFAULT_IMAGE_FOLDER_MIN_IMAGES, (n) => Number.isInteger(n) && n >= 0),
    splits: splitsOf(get(own, 'splits')),
  };
}

function splitsOf(v: unknown): { name: string; path: string }[] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return [];
  return Object.entries(v as Record<string, unknown>)
    .filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].trim() !== '')
    .map(([name, p]) => ({ name, path: p.trim() }));
}

/** Discovery: a folder directly holding this many images is a dataset (see discovery.ts). */
export const DEFAULT_IMAGE_FOLDER_MIN_IMAGES = 10;

/**
 * `labels.fromHeader` ('auto' | 'word' | 'regex' | 'none'), `labels.field` (as `--label-field`: 2 = the
 * first word after the id) and `labels.regex` (as `--label-regex`). A zero or fractional field
 * falls back to 2; an empty regex, or one that does not compile, gives no labels rather than a
 * host that cannot read the file.
 */
function headerLabels(from: unknown, field: unknown, regex: unknown): HeaderLabelDefault {
  const mode = oneOf(from, ['auto', 'word', 'regex', 'none'] as const, 'auto');
  if (mode === 'none' || mode === 'auto') return { from: mode };
  if (mode === 'word') return { from: 'word', field: num(field, 2, (n) => Number.isInteger(n) && n !== 0) };
  if (typeof regex !== 'string' || regex === '') return { from: 'none' };
  try {
    new RegExp(regex); // as the reader compiles it (labels.ts)
  } catch {
    return { from: 'none' };
  }
  return { from: 'regex', regex };
}
