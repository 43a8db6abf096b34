/**
 * Data-parallel training over worker threads, one TensorFlow.js backend per thread (Node runs no
 * wasm threads inside one backend). N workers ("ranks") share SharedArrayBuffers: rank 0, the
 * leader, runs the training loop (sampling, schedule, validation, checkpoints, stop) and announces
 * each step; every rank computes its shard of the batch, and the ranks meet at barriers
 * (Atomics.wait) four times a step:
 *
 *   A  the leader has written the batch's indices and the learning rate (or "end");
 *   B  every rank has run its shard forward and written its outputs (embeddings, logits) into
 *      `outputs`: each then builds the WHOLE batch's outputs — its own rows as the tensor on its
 *      gradient tape, the others' as constants — and computes the whole batch's loss. In-batch
 *      mining sees every pair of the P×K batch, as on one worker, and the gradient a rank gets is
 *      exactly its shard's part of the whole batch's gradient;
 *   C  every rank has written that gradient into its row of `gradients`: rank r then sums the
 *      ranks' rows, in rank order, over its own slice of the parameters into `reduced`
 *      (a reduce-scatter: each rank adds 1/N of the vector);
 *   D  `reduced` is complete: every rank applies it with its own Adam.
 *
 * Why every rank steps its own optimiser rather than the leader stepping and broadcasting weights:
 * the ranks start from the same weights (the leader broadcasts them once) and apply the same
 * summed gradient — the same floats, summed in the same order — with identical optimisers on
 * identical backends, so their weights stay equal bit for bit without shipping N copies of the
 * weights (and Adam's two moment vectors would otherwise live on the leader alone) every step, and
 * the run is deterministic for a given seed and worker count. Batch norm (training mode) normalises
 * each shard by its own statistics, as PyTorch's DistributedDataParallel does without SyncBatchNorm;
 * only the leader's moving statistics are kept (the followers' are never read).
 *
 * The shards are strided (rank r takes batch positions r, r + N, …) so each holds items of every
 * class of a P×K batch; the whole batch's outputs are assembled shard after shard, with the labels
 * permuted alike (the mined loss does not depend on the order of the items).
 *
 * Any rank that fails or is cancelled sets the shared abort word; the others leave their barrier
 * with a ParallelAbortedError, so no rank waits for one that is gone.
 */
import * as tf from '@tensorflow/tfjs';

/** Sizes the shared buffers are made for. */
export interface ParallelShape {
  workers: number;
  /** Items in a batch, at most. */
  maxBatch: number;
  /** Values per item the model outputs (embedding size, classes). */
  outputDim: number;
  /** Trainable values of the model, all variables together. */
  paramCount: number;
}

export interface ParallelBuffers {
  shape: ParallelShape;
  /** Barrier count and generation, command, batch length, abort. */
  control: Int32Array;
  /** The step's learning rate. */
  learningRate: Float64Array;
  indices: Int32Array;
  /** maxBatch × outputDim: the batch's outputs, shard after shard. */
  outputs: Float32Array;
  /** workers × paramCount: each rank's gradient. */
  gradients: Float32Array;
  /** paramCount: the summed gradient (also the initial weights' broadcast). */
  reduced: Float32Array;
}

const COUNT = 0;
const GENERATION = 1;
const COMMAND = 2;
const BATCH = 3;
const ABORT = 4;
const CONTROL_WORDS = 5;

const STEP = 1;
const END = 2;

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

function shared<T extends Float32Array | Int32Array | Float64Array>(make: new (b: SharedArrayBuffer) => T, bytesPer: number, n: number): T {
  return new make(new SharedArrayBuffer(Math.max(1, n) * bytesPer));
}

export function createParallelBuffers(shape: ParallelShape): ParallelBuffers {
  const { workers, maxBatch, outputDim, paramCount } = shape;
  check(Number.isInteger(workers) && workers >= 1, `workers: ${workers} must be a positive integer`);
  check(Number.isInteger(maxBatch) && maxBatch >= workers, `maxBatch: ${maxBatch} must be an integer ≥ workers (${workers})`);
  check(Number.isInteger(outputDim) && outputDim > 0, `outputDim: ${outputDim} must be a positive integer`);
  check(Number.isInteger(paramCount) && paramCount > 0, `paramCount: ${paramCount} must be a positive integer`);
  return {
    shape: { ...shape },
    control: shared(Int32Array, 4, CONTROL_WORDS),
    learningRate: shared(Float64Array, 8, 1),
    indices: shared(Int32Array, 4, maxBatch),
    outputs: shared(Float32Array, 4, maxBatch * outputDim),
    gradients: shared(Float32Array, 4, workers * paramCount),
    reduced: shared(Float32Array, 4, paramCount),
  };
}

/** Another rank of the run failed, was cancelled or gave up: this one stops too. */
export class ParallelAbortedError extends Error {
  constructor(message = 'Another worker of the data-parallel run stopped; this one stops with it.') {
    super(message);
    this.name = 'ParallelAbortedError';
  }
}

/** Aborts a run from outside its ranks (the host, when one of them crashed or was cancelled). */
export function abortParallelRun(buffers: ParallelBuffers): void {
  Atomics.store(buffers.control, ABORT, 1);
  Atomics.notify(buffers.control, GENERATION);
}

export type ParallelCommand = { kind: 'step'; indices: Int32Array; learningRate: number } | { kind: 'end' };

export interface ParallelGroupOptions {
  /** Polled while waiting: throw to abandon the run (every rank stops). */
  checkCancelled?: () => void;
  /** Longest single wait before polling again (ms); default 50. */
  pollMs?: number;
}

/** One rank's handle on the shared buffers. */
export class ParallelGroup {
  readonly workers: number;
  private readonly pollMs: number;

  constructor(
    readonly buffers: ParallelBuffers,
    readonly rank: number,
    private readonly options: ParallelGroupOptions = {},
  ) {
    this.workers = buffers.shape.workers;
    check(Number.isInteger(rank) && rank >= 0 && rank < this.workers, `rank: ${rank} must be an integer in [0, ${this.workers})`);
    this.pollMs = options.pollMs ?? 50;
  }

  get aborted(): boolean {
    return Atomics.load(this.buffers.control, ABORT) !== 0;
  }

  /** Every rank leaves its barrier with a ParallelAbortedError. */
  abort(): void {
    abortParallelRun(this.buffers);
  }

  /** Waits until every rank has arrived (sense by generation: the last to arrive releases the rest). */
  barrier(): void {
    const c = this.buffers.control;
    if (this.aborted) throw new ParallelAbortedError();
    const generation = Atomics.load(c, GENERATION);
    if (Atomics.add(c, COUNT, 1) === this.workers - 1) {
      Atomics.store(c, COUNT, 0);
      Atomics.add(c, GENERATION, 1);
      Atomics.notify(c, GENERATION);
      return;
    }
    for (;;) {
      Atomics.wait(c, GENERATION, generation, this.pollMs);
      if (Atomics.load(c, GENERATION) !== generation) return;
      if (this.aborted) throw new ParallelAbortedError();
      try {
        this.options.checkCancelled?.();
      } catch (err) {
        this.abort();
        throw err;
      }
    }
  }

  /** Leader: the next step's batch and rate, then barrier A. */
  announceStep(indices: ArrayLike<number>, learningRate: number): void {
    check(this.rank === 0, 'announceStep: only rank 0 leads');
    check(indices.length >= this.workers && indices.length <= this.buffers.shape.maxBatch, `batch: ${indices.length} items for ${this.workers} workers (at most ${this.buffers.shape.maxBatch})`);
    this.buffers.indices.set(indices);
    this.buffers.learningRate[0] = learningRate;
    Atomics.store(this.buffers.control, BATCH, indices.length);
    Atomics.store(this.buffers.control, COMMAND, STEP);
    this.barrier();
  }

  /** Leader: no more steps (the followers return). */
  announceEnd(): void {
    check(this.rank === 0, 'announceEnd: only rank 0 leads');
    Atomics.store(this.buffers.control, COMMAND, END);
    this.barrier();
  }

  /** Follower: waits at barrier A for the leader's next command. */
  awaitCommand(): ParallelCommand {
    this.barrier();
    const c = this.buffers.control;
    if (Atomics.load(c, COMMAND) === END) return { kind: 'end' };
    const n = Atomics.load(c, BATCH);
    return { kind: 'step', indices: this.buffers.indices.slice(0, n), learningRate: this.buffers.learningRate[0]! };
  }

  /** Rank 0's trainable weights to every rank (one barrier; call on every rank at the start). */
  syncWeights(variables: readonly tf.Variable[]): void {
    const reduced = this.buffers.reduced;
    checkParamCount(variables, this.buffers.shape.paramCount);
    if (this.rank === 0) {
      let off = 0;
      for (const v of variables) {
        const values = v.dataSync() as Float32Array;
        reduced.set(values, off);
        off += values.length;
      }
    }
    this.barrier();
    if (this.rank !== 0) {
      let off = 0;
      for (const v of variables) {
        const value = tf.tensor(reduced.slice(off, off + v.size), v.shape, 'float32');
        v.assign(value);
        value.dispose();
        off += v.size;
      }
    }
    // No rank may overwrite `reduced` (its first step's sum) before every rank has read the weights.
    this.barrier();
  }

  /** This rank's batch positions (strided) and where its rows start in the assembled batch. */
  shardOf(n: number): { positions: Int32Array; offset: number } {
    return shardOf(n, this.workers, this.rank);
  }
}

/** Rank `rank` of `workers` takes positions rank, rank + workers, …; shards are assembled in rank order. */
export function shardOf(n: number, workers: number, rank: number): { positions: Int32Array; offset: number } {
  const size = (r: number) => (n > r ? Math.ceil((n - r) / workers) : 0);
  let offset = 0;
  for (let r = 0; r < rank; r++) offset += size(r);
  const positions = new Int32Array(size(rank));
  for (let i = 0; i < positions.length; i++) positions[i] = rank + i * workers;
  return { positions, offset };
}

/** The batch's per-item values in assembled order: shard 0's positions, then shard 1's, … */
export function assembledOrder(n: number, workers: number): Int32Array {
  const order = new Int32Array(n);
  let k = 0;
  for (let r = 0; r < workers; r++) for (let p = r; p < n; p += workers) order[k++] = p;
  return order;
}

export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

function checkParamCount(variables: readonly tf.Variable[], expected: number): void {
  const count = variables.reduce((s, v) => s + v.size, 0);
  check(count === expected, `data-parallel: the model has ${count} trainable values, the shared buffers were made for ${expected}`);
}

/**
 * One data-parallel optimisation step, run by every rank at once (after barrier A).
 * `forward` runs this rank's shard through the model (on the gradient tape) and returns its
 * outputs [shard, outputDim]; `loss` takes the WHOLE batch's outputs [n, outputDim] in assembled
 * order and returns the batch's scalar loss (it may tf.keep extra tensors for its caller).
 * Returns the loss (the same value on every rank).
 */
export function dataParallelStep(group: ParallelGroup, variables: readonly tf.Variable[], optimizer: tf.Optimizer, n: number, forward: () => tf.Tensor, loss: (outputs: tf.Tensor2D) => tf.Scalar): number {
  const { outputs, gradients, reduced, shape } = group.buffers;
  const { paramCount } = shape;
  const { offset } = group.shardOf(n);
  const dim = shape.outputDim;
  const { value, grads } = tf.variableGrads(() => {
    const own = forward();
    const rows = own.shape[0]!;
    check(own.size === rows * dim, `data-parallel: the model's output has ${own.size / Math.max(1, rows)} values per item, the shared buffers were made for ${dim}`);
    outputs.set(own.dataSync() as Float32Array, offset * dim);
    group.barrier(); // B: every shard's outputs are in.
    const parts: tf.Tensor[] = [];
    if (offset > 0) parts.push(tf.tensor2d(outputs.slice(0, offset * dim), [offset, dim]));
    parts.push(own.reshape([rows, dim]));
    const after = n - offset - rows;
    if (after > 0) parts.push(tf.tensor2d(outputs.slice((offset + rows) * dim, n * dim), [after, dim]));
    return loss((parts.length === 1 ? parts[0]! : tf.concat(parts, 0)) as tf.Tensor2D);
  }, variables as tf.Variable[]);
  const lossValue = value.dataSync()[0]!;
  value.dispose();
  const row = group.rank * paramCount;
  let off = 0;
  for (const v of variables) {
    const g = grads[v.name];
    const values = g ? (g.dataSync() as Float32Array) : new Float32Array(v.size);
    gradients.set(values, row + off);
    off += v.size;
  }
  tf.dispose(grads);
  group.barrier(); // C: every rank's gradient is in.
  const W = group.workers;
  const chunk = Math.ceil(paramCount / W);
  const lo = Math.min(paramCount, group.rank * chunk);
  const hi = Math.min(paramCount, lo + chunk);
  for (let i = lo; i < hi; i++) {
    let s = gradients[i]!;
    for (let r = 1; r < W; r++) s += gradients[r * paramCount + i]!;
    reduced[i] = s;
  }
  group.barrier(); // D: the summed gradient is complete.
  const summed: Record<string, tf.Tensor> = {};
  off = 0;
  for (const v of variables) {
    summed[v.name] = tf.tensor(reduced.slice(off, off + v.size), v.shape, 'float32');
    off += v.size;
  }
  optimizer.applyGradients(summed);
  tf.dispose(Object.values(summed));
  return lossValue;
}

/**
 * A follower rank's loop, the same for every model: the leader's weights copied in once, then one
 * shard step per announced command (at the leader's learning rate) until the leader ends the run.
 * On a failure the group is aborted, so no rank waits forever at a barrier.
 */
export function followLeader(
  group: ParallelGroup,
  variables: readonly tf.Variable[],
  setLearningRate: (learningRate: number) => void,
  step: (indices: Int32Array) => void,
  onEnd?: (variables: readonly tf.Variable[]) => void,
): { steps: number } {
  let steps = 0;
  try {
    group.syncWeights(variables);
    for (;;) {
      const command = group.awaitCommand();
      if (command.kind === 'end') {
        onEnd?.(variables);
        return { steps };
      }
      setLearningRate(command.learningRate);
      step(command.indices);
      steps++;
    }
  } catch (err) {
    group.abort();
    throw err;
  }
}
