/**
 * Every custom message between the Similarity Lab client and its analysis host: the one source
 * of truth. Each message is a namespace holding its method name, its types, and which side sends it.
 * The client imports these types; nothing else crosses the door. Plain JSON only — no classes.
 */
/* eslint-disable @typescript-eslint/no-namespace -- one namespace per message is the house style (DESIGN.md, "Style"). */
import { NotificationType, ProtocolRequestType, RequestType } from 'vscode-languageserver-protocol';

/** Host health, shown by the client's status bar item. */
export type Health = 'ok' | 'warning' | 'error';

/** Sent by the host → client whenever its state changes (start, job start/end, failure). */
export namespace ServerStatusNotification {
  export const method = 'similarityLab/serverStatus' as const;
  export interface Params {
    health: Health;
    /** True when no job is running. */
    quiescent: boolean;
    message: string;
  }
  export const type = new NotificationType<Params>(method);
}

/** A value to compare: a string (text, a sequence) or a numeric vector. */
export type Comparable = string | number[];

/** Sent by the client → host: every applicable (or each asked) measure between a and b. */
export namespace CompareRequest {
  export const method = 'similarityLab/compare' as const;
  export interface Params {
    a: Comparable;
    b: Comparable;
    /** Measure names (see DESIGN.md); absent = every measure that applies to the inputs. */
    measures?: string[];
    /** Minkowski order, when `minkowski` is asked; default 2. */
    p?: number;
    /**
     * When true, two strings that both read as numeric lists ("1,2,3", "0.5 1.5") are compared as
     * vectors, as on the command line; otherwise strings are compared as text. Default false.
     */
    parseVectors?: boolean;
  }
  export interface Result {
    /** What the inputs were taken as. */
    kind: 'strings' | 'vectors';
    /** Measure name → value. A measure that cannot apply (e.g. Hamming on unequal lengths) is absent and listed in `skipped`. */
    values: Record<string, number>;
    skipped: { measure: string; reason: string }[];
    /** How to read each measure named in `values` and `skipped`. */
    about: Record<string, MeasureAbout>;
  }
  /** distance: 0 = identical, larger = farther; similarity: larger = closer; correlation: in [−1, 1]. */
  export interface MeasureAbout {
    sense: 'distance' | 'similarity' | 'correlation';
    description: string;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** A 0-based position and range, as in LSP. */
export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}

/** Clustering parameters a client may set; each absent one comes from the settings, then the defaults. */
export interface ClusterParamsInput {
  /** Sequences and text: identity threshold in (0, 1]; default 0.93. */
  threshold?: number;
  /** DBSCAN minPts, the record itself included; default 2 (sequences, text) or 5 (numeric data). */
  minPts?: number;
  /** Numeric data (tables, images, volumes): DBSCAN radius in the metric's units; default read off the k-distance curve. */
  eps?: number;
  /** Numeric data: 'leiden' (default: communities of the 15-nearest-neighbour graph) or 'dbscan' (the study's, with eps). */
  method?: 'leiden' | 'dbscan';
}

/**
 * Sent by the client → host: cluster the records of a dataset file (MinHash + LSH + exact
 * identities + DBSCAN in the worker pool). Reports work-done progress (the client's token, else
 * one the host creates) and is cancellable. Publishes the record diagnostics of the file.
 */
export namespace ClusterRequest {
  export const method = 'similarityLab/cluster' as const;
  export interface Params {
    uri: string;
    params?: ClusterParamsInput;
    workDoneToken?: string | number;
  }
  export interface Cluster {
    id: number;
    size: number;
    members: string[];
    /** 0-based header line of each member, parallel to `members` (ids may repeat in a file). */
    memberLines: number[];
    /** Folder datasets (images, volumes): each member's own file, parallel to `members`. */
    memberUris?: string[];
    /** FASTA/FASTQ: each member's header after its id (at most 120 characters; '' = none), parallel to `members`. */
    memberDescriptions?: string[];
    /** Sequences and text: the cluster's representative (its medoid), listed first in `members`. */
    representative?: string;
    /** Sequences and text: each member's identity (0..1) to the representative, parallel to `members` (the representative's own is 1). */
    memberIdentities?: number[];
  }
  export interface Stats {
    records: number;
    clusters: number;
    noise: number;
    /** Sequences and text: the identity threshold. */
    threshold?: number;
    /** Numeric data: the DBSCAN radius used (given, or read off the k-distance curve). */
    eps?: number;
    minPts: number;
    /** True when the MinHash index came from the cache (nothing was sketched). */
    fromCache: boolean;
    /** Verified neighbour pairs at ≥ threshold. */
    edges: number;
    /** Seconds per stage. */
    seconds: Record<string, number>;
  }
  export interface Result {
    /** The content version of the dataset: its SHA-256, shortened. */
    datasetId: string;
    uri: string;
    clusters: Cluster[];
    noise: string[];
    noiseLines: number[];
    /** Folder datasets: each noise record's own file, parallel to `noise`. */
    noiseUris?: string[];
    /** FASTA/FASTQ: each noise record's header after its id ('' = none), parallel to `noise`. */
    noiseDescriptions?: string[];
    stats: Stats;
  }
  /** A protocol request type: its handler also gets the work-done reporter of the client's token. */
  export const type = new ProtocolRequestType<Params, Result, never, void, void>(method);
}

/**
 * Sent by the client → host: the k items most like a query. With `position`, the query is the
 * record at that line and the items are records of the same file (identity = score, edit
 * distance = distance). Without it, the whole file is the query and the items are the other
 * dataset files of the workspace: each file's MinHash is the slot-wise minimum of its records'
 * signatures (the MinHash of the union of their k-mers), score = estimated Jaccard of the two
 * files' k-mer sets, distance = 1 − score.
 * Numeric data: the record at the line of a table, or — for an image or .npy volume file, no
 * position — that file among the other files of its dataset folder (exact kNN on the features;
 * distance in the metric's units, score = 1 − distance for cosine, else 1 / (1 + distance)).
 */
export namespace FindSimilarRequest {
  export const method = 'similarityLab/findSimilar' as const;
  export interface Params {
    uri: string;
    position?: Position;
    /** How many items; default 10, at most 1000. */
    k?: number;
    /** A trained model (ModelInfo.modelId): compare the records by its embeddings. */
    modelId?: string;
  }
  export interface Item {
    uri: string;
    /** The record's lines (absent for a whole file, and for an image or volume, whose uri is its own file). */
    range?: Range;
    /** The record id, or the file's workspace-relative path for a whole file. */
    recordId: string;
    /** FASTA/FASTQ: the record's header after its id (`Genus species`, at most 120 characters). */
    description?: string;
    /** Sequences and text: the record's length in `unit`s (identity ignores a length difference; the edit distance counts it). */
    length?: number;
    score: number;
    distance: number;
  }
  export interface Result {
    /** What was asked: the record id, or the file's path. */
    query: string;
    /** FASTA/FASTQ: the query record's header after its id. */
    queryDescription?: string;
    /** Sequences and text: the query record's length in `unit`s. */
    queryLength?: number;
    /** What `length` counts: 'bases' (sequences) or 'characters' (text). */
    unit?: 'bases' | 'characters';
    kind: 'records' | 'files';
    /** Numeric data: the metric of `distance` (absent for sequences and text, whose score is identity). */
    metric?: string;
    items: Item[];
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** A small picture or excerpt of a record, for the Embedding Map's hover card. */
export type MapPreview = { type: 'text'; text: string } | { type: 'pixels'; width: number; height: number; channels: 1 | 3; data: string };

/**
 * Sent by the client → host: the 2-D UMAP map of a dataset file or folder (an image file: its
 * dataset folder). Reports work-done progress and is cancellable. Points are the records'
 * features (tables, images, volumes) or 4-mer / trigram profiles (sequences, text), scaled,
 * projected with UMAP (seeded: the same data gives the same map) and clustered with DBSCAN on the map
 * or on the embedding; a text dataset's records then show those clusters as diagnostics.
 */
export namespace EmbeddingMapRequest {
  export const method = 'similarityLab/embeddingMap' as const;
  export interface Params {
    uri: string;
    /** A trained model (ModelInfo.modelId) whose embeddings of the records are mapped. */
    modelId?: string;
    /** DBSCAN on the 2-D map or on the embedding before UMAP; default the setting `similarityLab.map.clusterOn`. */
    clusterOn?: 'map' | 'embedding';
    workDoneToken?: string | number;
  }
  /** What the records are; decides how the map's hover card reads. */
  export type RecordKind = 'sequences' | 'rows' | 'text' | 'images' | 'volumes' | 'vectors';
  /**
   * The map itself, one entry per point in every per-point array: what the Embedding Map page
   * draws (its own input type, MapPayload, takes this and a few hand-made forms besides).
   */
  export interface MapContent {
    title: string;
    kind: RecordKind;
    /** Record ids (may repeat in a file). */
    ids: string[];
    /** base64 of a little-endian Float32Array: x0, y0, x1, y1, … */
    points: string;
    /** Class label per record; null = unlabelled. */
    labels?: (string | null)[];
    /** FASTA/FASTQ: each record's header after its id (`Genus species`, at most 120 characters); null = none. */
    descriptions?: (string | null)[];
    /** Cluster per record, −1 = noise. */
    clusters?: number[];
    previews?: (MapPreview | null)[];
    /** Maps of an autoencoder's embeddings: each record's reconstruction, shown beside its preview (null: none). */
    reconstructions?: (MapPreview | null)[];
  }
  /** Where a point's record lives: its lines in a text file, or a file of its own (no range). */
  export interface RecordLocation {
    uri: string;
    range?: Range;
  }
  /** How the map was made, for logs and the command line. */
  export interface Stats {
    records: number;
    dim: number;
    features: string;
    clusters: number;
    noise: number;
    eps: number;
    minPts: number;
    seconds: Record<string, number>;
  }
  export interface Result {
    map: MapContent;
    /** Parallel to map.ids. */
    records: RecordLocation[];
    /** The dataset; `headerLines` leading lines (a table's header) go first in a saved subset. */
    dataset: { uri: string; headerLines?: number };
    stats: Stats;
    /** The map's clusters shaped like a `cluster` result, for the Clusters view; absent when the file has a clustering of its own (the map never replaces it). */
    clustering?: ClusterRequest.Result;
  }
  export const type = new ProtocolRequestType<Params, Result, never, void, void>(method);
}

/**
 * Sent by the host → client while a model trains: one report per optimizer step (epoch from 0,
 * step the run's global step). `run` (first report) describes the run, so a client can show a run
 * it was not told about (the backend is only known in the host's worker).
 */
export namespace TrainingMetricsNotification {
  export const method = 'similarityLab/trainingMetrics' as const;
  /** What a run is: sent with its first report (the Training Dashboard also keeps it in its saved state). */
  export interface RunInfo {
    modelId: string;
    kind: 'siamese' | 'autoencoder';
    /** TensorFlow.js backend name: `tensorflow`, `wasm`, `cpu`. */
    backend: string;
    /** Worker threads training together (data-parallel, one backend each); absent = 1. */
    workers?: number;
    /** The dataset's name or URI, for the title. */
    dataset?: string;
    /** Epochs the run will do, for the progress bar. */
    epochs?: number;
    /** Optimizer steps the run will do, for the progress bar (more precise than epochs). */
    totalSteps?: number;
    /** Hyper-parameters shown as a table (distance, margin, batch size, learning rate…). */
    config: Record<string, string | number | boolean>;
  }
  /**
   * One report's figures.
   * - `epoch`: 0-based epoch in progress; `step`: global optimizer step (1-based), never
   *   decreasing within a run (an epoch report repeats its last step's number).
   * - `metrics`: named numbers. Per step: `activeTriplets` (share of the batch's triplets with a
   *   positive loss, 0..1), `samplesPerSecond`, `learningRate`, `embeddingStd` (spread of the
   *   batch's embeddings), `collapsed` (0/1), an autoencoder's `…Loss` parts. Per epoch, the
   *   validation scores too: `valLoss`, `precisionAt1`, `mapAtR`, `rPrecision`, `tripletAccuracy`.
   * - `attention`: the current attention weight of each embedding dimension.
   */
  export interface MetricPoint {
    epoch: number;
    step: number;
    loss: number;
    metrics: Record<string, number>;
    attention?: number[];
  }
  export interface Params extends MetricPoint {
    modelId: string;
    run?: RunInfo;
  }
  export const type = new NotificationType<Params>(method);
}

/**
 * Sent by the client → host: train a Siamese similarity model on a labelled dataset, or an
 * autoencoder on any dataset (labels optional: latent positives and validation scores), in a
 * worker, reporting `trainingMetrics` as it goes (work-done progress too). Cancellable: the run is
 * abandoned (its last best-epoch checkpoint stays on disk); `similarityLab/stopTraining` instead
 * stops it gracefully and this request resolves with the best epoch saved (stopReason 'stopped').
 * The model is saved under `.similarity-lab/models/<modelId>` in the dataset's workspace folder.
 * Labels come with the dataset (class folders, IDX labels, a label column), or from
 * `config.labelRegex` / `labelField` (FASTA headers) / `labelColumn` (tables).
 */
export namespace TrainRequest {
  export const method = 'similarityLab/train' as const;
  export interface Config {
    /** Siamese: the triplet loss's distance; autoencoder: the latent loss's (default cosine). */
    distance?: 'euclidean' | 'cosine' | 'combined';
    epochs?: number;
    mining?: 'batch-all' | 'batch-hard' | 'semi-hard';
    embeddingDim?: number;
    /** Autoencoders: 'dense' (the traditional one) or 'conv' (convolutional with batch norm, for sequences, images, volumes). */
    autoencoder?: 'dense' | 'conv';
    /** Autoencoders: the latent size. */
    latentDim?: number;
    /** Autoencoders: the loss weights (defaults 1, 0.1, 0). */
    lossWeights?: { reconstruction?: number; latent?: number; perceptual?: number };
    /** Autoencoders: the latent loss (default contrastive). */
    latentLoss?: 'contrastive' | 'triplet';
    labelRegex?: string;
    labelField?: number;
    labelColumn?: string;
  }
  export interface Params {
    uri: string;
    model: 'siamese' | 'autoencoder';
    config?: Config;
    workDoneToken?: string | number;
  }
  export interface Result {
    modelId: string;
    /** The model folder. */
    uri: string;
    metrics: Record<string, number>;
    stopReason: string;
  }
  export const type = new ProtocolRequestType<Params, Result, never, void, void>(method);
}

/**
 * Sent by the client → host: stop a training run gracefully (the dashboard's Stop). The run
 * finishes its current step, scores the epoch in progress, keeps and saves its best epoch, and
 * its `train` request resolves with stopReason 'stopped': a usable model. `stopping` is false
 * when no run of that model id is training (already finished, or unknown).
 */
export namespace StopTrainingRequest {
  export const method = 'similarityLab/stopTraining' as const;
  export interface Params {
    modelId: string;
  }
  export interface Result {
    stopping: boolean;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** A trained model the host found in the workspace. */
export interface ModelInfo {
  modelId: string;
  /** The model folder. */
  uri: string;
  model: 'siamese' | 'autoencoder';
  /** The dataset it was trained on. */
  dataset: string;
  dataKind: string;
  distance: string;
  /** Autoencoders: dense, conv1d, conv2d or conv3d, and the latent size. */
  autoencoder?: { kind: string; latentDim: number };
  created: string;
  metrics: Record<string, number>;
}

/** Sent by the client → host: the trained models of the workspace (`.similarity-lab/models/*`). */
export namespace ModelsRequest {
  export const method = 'similarityLab/models' as const;
  export interface Result {
    models: ModelInfo[];
  }
  export const type = new RequestType<Record<string, never> | null | undefined, Result, void>(method);
}

/** What the host knows of a dataset file. */
export type DatasetState = 'discovered' | 'indexing' | 'indexed' | 'clustering' | 'clustered' | 'error';

export interface DatasetInfo {
  uri: string;
  state: DatasetState;
  /** A folder of images (class subfolders, or many images directly): revealed in the Explorer rather than opened. */
  folder?: boolean;
  records?: number;
  clusters?: number;
  noise?: number;
  /** The last error (e.g. a parse error), when state is 'error'. */
  message?: string;
}

/** Sent by the client → host: the dataset files of the workspace and their state. */
export namespace DatasetsRequest {
  export const method = 'similarityLab/datasets' as const;
  export interface Result {
    datasets: DatasetInfo[];
  }
  export const type = new RequestType<Record<string, never> | null | undefined, Result, void>(method);
}

/** Sent by the host → client when the list of datasets or the state of one changes. */
export namespace DatasetsChangedNotification {
  export const method = 'similarityLab/datasetsChanged' as const;
  export type Params = Record<string, never>;
  export const type = new NotificationType<Params>(method);
}

/**
 * Sent by the client → host: which records of the query files (a test split) are exact or near
 * copies of a record of the reference (the training split) — `simlab leaks` in the editor. Reports
 * work-done progress and is cancellable. Each leaking query record gets a `leak` Warning on its
 * own line, linked to the reference record; a later check of the same query file replaces them.
 */
export namespace CheckLeaksRequest {
  export const method = 'similarityLab/checkLeaks' as const;
  export interface Params {
    reference: string;
    queries: string[];
    workDoneToken?: string | number;
  }
  export interface Pair {
    queryUri: string;
    queryId: string;
    /** 0-based first line of the query record (its header, or its row). */
    queryLine?: number;
    referenceUri: string;
    referenceId: string;
    referenceLine?: number;
    /** Identity in [0, 1] (sequences, text) or distance (numeric data). */
    score: number;
    kind: 'exact' | 'near';
  }
  export interface Stats {
    kind: 'sequence' | 'text' | 'vector';
    /** Query records checked. */
    records: number;
    referenceRecords: number;
    exact: number;
    near: number;
    /** Sequences and text: the identity threshold. */
    threshold?: number;
    /** Numeric data: the distance radius. */
    eps?: number;
    seconds: Record<string, number>;
  }
  export interface Result {
    /** Ordered by query file, then record; at most one pair per query record (its closest reference record). */
    pairs: Pair[];
    stats: Stats;
    warnings: string[];
  }
  export const type = new ProtocolRequestType<Params, Result, never, void, void>(method);
}

/**
 * Sent by the host → client after every leakage check, whoever asked for it (the `checkLeaks`
 * request, the `similarityLab.splits` setting at start-up, on its change or on a split's change,
 * or a change of a file an earlier check read): what the Leakage view shows. A check replaces the
 * client's findings of the same reference and query file pairs.
 */
export namespace LeakFindingsNotification {
  export const method = 'similarityLab/leakFindings' as const;
  export interface Query {
    uri: string;
    /** Records of this query file checked. */
    records: number;
  }
  export interface Params {
    /**
     * What ran the check: the request; the setting; or `changed`, a file of an earlier check (not
     * one the setting names) changed on disk or was saved, and its pairs were checked again.
     */
    trigger: 'request' | 'splits' | 'changed';
    reference: string;
    referenceRecords: number;
    queries: Query[];
    /** As in `checkLeaks`: ordered by query file, then record; at most one pair per query record. */
    pairs: CheckLeaksRequest.Pair[];
    stats: CheckLeaksRequest.Stats;
  }
  export const type = new NotificationType<Params>(method);
}

/**
 * Sent by the host → client when findings it sent in `leakFindings` no longer hold and no check
 * replaces them: a file of the pair was deleted, or checking it again after a change failed (its
 * read error is a diagnostic). The Leakage view drops these reference and query file pairs.
 */
export namespace LeakFindingsClearedNotification {
  export const method = 'similarityLab/leakFindingsCleared' as const;
  export interface Params {
    reference: string;
    queries: string[];
  }
  export const type = new NotificationType<Params>(method);
}

/** What the client passes in `initializationOptions`. */
export interface InitializationOptions {
  /** Where indexes are cached (the extension's global storage); none = no cache. */
  cacheDir?: string;
  /** True in a trusted workspace. Anything else (false, or missing) is untrusted: the host then reads no dataset files. */
  trusted?: boolean;
}
