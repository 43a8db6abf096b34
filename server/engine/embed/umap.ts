/**
 * UMAP (McInnes, Healy & Melville 2018) from a precomputed kNN graph, fitted epoch by epoch so a
 * worker can report progress and stop when cancelled. Follows umap-learn 0.5 (the reference):
 * fuzzy simplicial set (./fuzzySet), a/b from minDist and spread (./abCurve), edges below
 * w_max/nEpochs dropped, 500 epochs up to 10,000 points else 200, the SGD of ./layout.
 * The initial layout is uniform in [−10, 10]^d (umap-js's and umap-learn's `init='random'`) or
 * given. All randomness comes from one seeded source: the same kNN graph, options and seed give
 * the same map, bit for bit.
 */
import { findAbParams } from './abCurve';
import { checkKnnGraph, fuzzySimplicialSet, type FuzzyGraph, type KnnGraph } from './fuzzySet';
import { LayoutOptimizer, makeEpochsPerSample, type LayoutEdges } from './layout';
import { seededRandom, type RandomSource } from './random';

export type { KnnGraph } from './fuzzySet';

export interface UmapOptions {
  /** Output dimension; default 2. */
  nComponents?: number;
  /** Neighbours used per point: the first nNeighbors of each kNN row; default all k. */
  nNeighbors?: number;
  /** Default 0.1. */
  minDist?: number;
  /** Default 1. */
  spread?: number;
  /** Default (umap-learn): 500 when n ≤ 10,000, else 200. */
  nEpochs?: number;
  /** Default 1. */
  learningRate?: number;
  /** Default 5. */
  negativeSampleRate?: number;
  /** Default 1. */
  repulsionStrength?: number;
  /** Default 1. */
  localConnectivity?: number;
  /** Default 1 (fuzzy union). */
  setOpMixRatio?: number;
  /** 'random' (default): uniform in [−10, 10]; or n·nComponents starting coordinates. */
  init?: 'random' | Float32Array;
  /** Seed of the default random source; default 42. */
  seed?: number;
  /** Injectable random source (uniform in [0, 1)); overrides `seed`. */
  random?: RandomSource;
}

export function defaultEpochs(n: number): number {
  return n <= 10_000 ? 500 : 200;
}

/** The first `m` neighbours of each row of a kNN graph. */
export function truncateKnn(knn: KnnGraph, m: number): KnnGraph {
  if (m === knn.k) return knn;
  if (!Number.isInteger(m) || m < 2 || m > knn.k) throw new RangeError(`nNeighbors must be an integer in [2, ${knn.k}], got ${m}`);
  const indices = new Int32Array(knn.n * m);
  const distances = new Float32Array(knn.n * m);
  for (let i = 0; i < knn.n; i++) {
    indices.set(knn.indices.subarray(i * knn.k, i * knn.k + m), i * m);
    distances.set(knn.distances.subarray(i * knn.k, i * knn.k + m), i * m);
  }
  return { n: knn.n, k: m, indices, distances };
}

/** Graph entries kept for the layout (w ≥ w_max/nEpochs), as head/tail/epochsPerSample. */
export function layoutEdges(graph: FuzzyGraph, nEpochs: number): LayoutEdges {
  let max = 0;
  for (let p = 0; p < graph.weights.length; p++) if (graph.weights[p] > max) max = graph.weights[p];
  const floor = max / nEpochs;
  let m = 0;
  for (let p = 0; p < graph.weights.length; p++) if (graph.weights[p] >= floor) m++;
  const head = new Int32Array(m);
  const tail = new Int32Array(m);
  const weights = new Float32Array(m);
  let e = 0;
  for (let i = 0; i < graph.n; i++) {
    for (let p = graph.rowPtr[i]; p < graph.rowPtr[i + 1]; p++) {
      if (graph.weights[p] < floor) continue;
      head[e] = i;
      tail[e] = graph.cols[p];
      weights[e] = graph.weights[p];
      e++;
    }
  }
  return { head, tail, epochsPerSample: makeEpochsPerSample(weights, nEpochs) };
}

export class UmapFit {
  readonly n: number;
  readonly nComponents: number;
  readonly nEpochs: number;
  /** Edges the layout samples (both directions of each graph edge). */
  readonly edgeCount: number;
  private readonly optimizer: LayoutOptimizer;

  constructor(knnGraph: KnnGraph, options: UmapOptions = {}) {
    checkKnnGraph(knnGraph);
    const knn = truncateKnn(knnGraph, options.nNeighbors ?? knnGraph.k);
    const nComponents = options.nComponents ?? 2;
    if (!Number.isInteger(nComponents) || nComponents < 1) throw new RangeError(`nComponents must be a positive integer, got ${nComponents}`);
    const nEpochs = options.nEpochs ?? defaultEpochs(knn.n);
    if (!Number.isInteger(nEpochs) || nEpochs < 1) throw new RangeError(`nEpochs must be a positive integer, got ${nEpochs}`);
    const negativeSampleRate = options.negativeSampleRate ?? 5;
    if (!(negativeSampleRate > 0)) throw new RangeError(`negativeSampleRate must be positive, got ${negativeSampleRate}`);
    const { a, b } = findAbParams(options.spread ?? 1, options.minDist ?? 0.1);
    const random = options.random ?? seededRandom(options.seed ?? 42);

    const graph = fuzzySimplicialSet(knn, { localConnectivity: options.localConnectivity, setOpMixRatio: options.setOpMixRatio });
    const edges = layoutEdges(graph, nEpochs);

    let embedding: Float32Array;
    if (options.init instanceof Float32Array) {
      if (options.init.length !== knn.n * nComponents) {
        throw new RangeError(`init has ${options.init.length} values, expected n·nComponents = ${knn.n * nComponents}`);
      }
      embedding = Float32Array.from(options.init);
    } else {
      embedding = new Float32Array(knn.n * nComponents);
      for (let i = 0; i < embedding.length; i++) embedding[i] = random() * 20 - 10;
    }
    this.n = knn.n;
    this.nComponents = nComponents;
    this.nEpochs = nEpochs;
    this.edgeCount = edges.head.length;
    this.optimizer = new LayoutOptimizer(
      embedding,
      nComponents,
      edges,
      {
        a,
        b,
        nEpochs,
        negativeSampleRate,
        learningRate: options.learningRate ?? 1,
        repulsionStrength: options.repulsionStrength ?? 1,
      },
      random,
    );
  }

  /** Epochs done so far. */
  get epoch(): number {
    return this.optimizer.epoch;
  }

  get done(): boolean {
    return this.optimizer.done;
  }

  /** n·nComponents coordinates, row-major; live (updated by each step). */
  get embedding(): Float32Array {
    return this.optimizer.embedding;
  }

  /** Runs one epoch; returns the number done. */
  step(): number {
    return this.optimizer.step();
  }

  /** Runs the remaining epochs; `onEpoch(done, total)` after each (return false to stop early). */
  run(onEpoch?: (done: number, total: number) => boolean | void): Float32Array {
    while (!this.done) {
      const done = this.step();
      if (onEpoch && onEpoch(done, this.nEpochs) === false) break;
    }
    return this.embedding;
  }
}
