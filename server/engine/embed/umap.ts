/**
 * UMAP (McInnes, Healy & Melville 2018) from a precomputed kNN graph, fitted epoch by epoch so a
 * worker can report progress and stop when cancelled. Follows umap-learn 0.5 (the reference):
 * fuzzy simplicial set (./fuzzySet), a/b from minDist and spread (./abCurve), edges below
 * w_max/nEpochs dropped, 500 epochs up to 10,000 points else 200, the SGD of ./layout.
 * The initial layout is uniform in [−10, 10]^d (umap-js's and umap-learn's `init='random'`) or
 * given (umap-learn's default is a spectral start; on 10,000 Fashion-MNIST images the random
 * start's map is as trustworthy: 0.979 against umap-learn's 0.979, bench/umap.bench.ts). All
 * randomness comes from one seeded source: the same kNN graph, options and seed give the same
 * map, bit for bit — with `partitions: 2` too, on one thread or two (./layout.ts).
 */
import { findAbParams } from './abCurve';
import { checkKnnGraph, fuzzySimplicialSet, type FuzzyGraph, type KnnGraph } from './fuzzySet';
import { createLayoutState, LayoutOptimizer, makeEpochsPerSample, type LayoutEdges, type LayoutState } from './layout';
import { SeededStream, type RandomSource } from './random';

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
  /**
   * Layout partitions (layout.ts): 1 (default) is umap-learn's sequential loop; 2 lets two threads
   * share the epochs (parallelLayout.ts) with the same map whatever the number of threads.
   */
  partitions?: number;
}

/** A fit ready to run: the layout state (on SharedArrayBuffers when asked) and what it came from. */
export interface UmapSetup {
  state: LayoutState;
  n: number;
  nComponents: number;
  nEpochs: number;
  /** Edges the layout samples (both directions of each graph edge). */
  edgeCount: number;
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

/**
 * Graph, curve, edges and random start of a fit. Draws, in order: the random start (n·nComponents
 * numbers), one seed per partition after the first, then partition 0's negative samples. With an
 * injected source, partition 0 keeps drawing from it (returned as `source`); with a seed, every
 * stream lives in the state, so the setup can cross to worker threads.
 */
export function prepareUmap(knnGraph: KnnGraph, options: UmapOptions = {}, shared = false): { setup: UmapSetup; source: RandomSource | null } {
  checkKnnGraph(knnGraph);
  const knn = truncateKnn(knnGraph, options.nNeighbors ?? knnGraph.k);
  const nComponents = options.nComponents ?? 2;
  if (!Number.isInteger(nComponents) || nComponents < 1) throw new RangeError(`nComponents must be a positive integer, got ${nComponents}`);
  const nEpochs = options.nEpochs ?? defaultEpochs(knn.n);
  if (!Number.isInteger(nEpochs) || nEpochs < 1) throw new RangeError(`nEpochs must be a positive integer, got ${nEpochs}`);
  const negativeSampleRate = options.negativeSampleRate ?? 5;
  if (!(negativeSampleRate > 0)) throw new RangeError(`negativeSampleRate must be positive, got ${negativeSampleRate}`);
  const partitions = options.partitions ?? 1;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 64) throw new RangeError(`partitions must be an integer in [1, 64], got ${partitions}`);
  const { a, b } = findAbParams(options.spread ?? 1, options.minDist ?? 0.1);
  const stream = options.random ? null : new SeededStream(options.seed ?? 42);
  const random = options.random ?? (stream as SeededStream).next;

  const graph = fuzzySimplicialSet(knn, { localConnectivity: options.localConnectivity, setOpMixRatio: options.setOpMixRatio });
  const edges = layoutEdges(graph, nEpochs);

  let init: Float32Array;
  if (options.init instanceof Float32Array) {
    if (options.init.length !== knn.n * nComponents) {
      throw new RangeError(`init has ${options.init.length} values, expected n·nComponents = ${knn.n * nComponents}`);
    }
    init = options.init;
  } else {
    init = new Float32Array(knn.n * nComponents);
    for (let i = 0; i < init.length; i++) init[i] = random() * 20 - 10;
  }
  const seeds = [0];
  for (let p = 1; p < partitions; p++) seeds.push(Math.floor(random() * 4294967296));
  if (stream) seeds[0] = stream.state;
  const params = { a, b, nEpochs, negativeSampleRate, learningRate: options.learningRate ?? 1, repulsionStrength: options.repulsionStrength ?? 1 };
  const state = createLayoutState(init, nComponents, edges, params, { partitions, seeds, shared });
  return { setup: { state, n: knn.n, nComponents, nEpochs, edgeCount: edges.head.length }, source: stream ? null : random };
}

export class UmapFit {
  readonly n: number;
  readonly nComponents: number;
  readonly nEpochs: number;
  /** Edges the layout samples (both directions of each graph edge). */
  readonly edgeCount: number;
  private readonly optimizer: LayoutOptimizer;

  constructor(knnGraph: KnnGraph, options: UmapOptions = {}) {
    const { setup, source } = prepareUmap(knnGraph, options);
    this.n = setup.n;
    this.nComponents = setup.nComponents;
    this.nEpochs = setup.nEpochs;
    this.edgeCount = setup.edgeCount;
    this.optimizer = new LayoutOptimizer(setup.state, source);
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
