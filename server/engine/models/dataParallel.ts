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
 *      ranks' rows, in rank order, over its own slice of the parameters (a reduce-scatter: each
 *      rank adds 1/N of the vector) and, with Adam, applies Adam to that slice of the weights in
 *      the shared `weights` (adamSlice.ts: each rank keeps the moments of its slice only);
 *   D  every slice is done: each rank copies the whole of `weights` into its variables (the
 *      all-gather). With another optimiser, the sum goes to `reduced` and every rank applies it
 *      with its own optimiser.
 *
 * Why Adam by slices: tfjs's Adam is ~10 kernel dispatches and fresh tensors per variable, a cost
 * every rank paid in full whatever its share of the batch (3–5 ms a step on the reference net,
 * ~8 % of a 2-worker step); a fused loop over 1/N of the vector costs a fraction of that, and the
 * moments live once, spread over the ranks. Each value's update depends on its own gradient and
 * moments only, in tfjs's float32 arithmetic, so the weights stay equal bit for bit on every rank
 * and the run is deterministic for a given seed and worker count. Batch norm (training mode) normalises
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
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { AdamSlice, type AdamHyper } from './adamSlice';

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
  /** paramCount: the weights as Adam by slices updates them, each rank its slice. */
  weights: Float32Array;
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
    weights: shared(Float32Array, 4, paramCount),
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
  /** Keep a StepProfile (wall time per phase of a step) in `group.profile`; `cpuClock` adds CPU time. */
  profile?: boolean | { cpuClock?: () => number };
}

/**
 * The phases of a step as one rank lives it, in order: where the wall time goes, so the waits
 * (time another rank made this one lose) stand apart from the work each rank does.
 */
export const STEP_PHASES = [
  /** Between steps: the rest of the caller's loop (the leader's sampling, disposals, metrics). */
  'between',
  /** Barrier A: waiting for the leader's command. */
  'wait A',
  /** The shard's inputs built (after the command, before the forward pass). */
  'prepare',
  /** The shard's forward pass, read back into the shared outputs. */
  'forward',
  /** Barrier B: waiting for every shard's outputs. */
  'wait B',
  /** The whole batch's loss and this shard's backward pass. */
  'backward',
  /** The gradients read back into this rank's row. */
  'grads out',
  /** Barrier C: waiting for every rank's gradient. */
  'wait C',
  /** Summing the ranks' gradients over this rank's slice (with Adam, and updating its weights). */
  'reduce',
  /** Barrier D: waiting for every slice of the sum. */
  'wait D',
  /** The optimiser's update on every rank, or (Adam by slices) the new weights into the variables. */
  'optimiser',
] as const;
export type StepPhase = (typeof STEP_PHASES)[number];

/**
 * Wall milliseconds per phase, summed over steps since the last reset; with a `cpuClock` (this
 * thread's CPU milliseconds: the engine reads no /proc itself, the caller supplies it), CPU
 * milliseconds too. On a machine that other jobs share, wall time per phase mixes in the time a
 * rank sat runnable without a core; its CPU time per phase is what the rank's own work costs.
 */
export class StepProfile {
  readonly ms = new Float64Array(STEP_PHASES.length);
  readonly cpuMs: Float64Array | null;
  steps = 0;
  private last = performance.now();
  private lastCpu: number;

  constructor(private readonly cpuClock?: () => number) {
    this.cpuMs = cpuClock ? new Float64Array(STEP_PHASES.length) : null;
    this.lastCpu = cpuClock?.() ?? 0;
  }

  /** Charges the time since the previous lap to `phase`. */
  lap(phase: StepPhase): void {
    const now = performance.now();
    const i = STEP_PHASES.indexOf(phase);
    this.ms[i]! += now - this.last;
    this.last = now;
    if (this.cpuMs) {
      const cpu = this.cpuClock!();
      this.cpuMs[i]! += cpu - this.lastCpu;
      this.lastCpu = cpu;
    }
  }

  reset(): void {
    this.ms.fill(0);
    this.cpuMs?.fill(0);
    this.steps = 0;
    this.last = performance.now();
    this.lastCpu = this.cpuClock?.() ?? 0;
  }

  /** Milliseconds per step of each phase: wall, or CPU (null without a cpuClock). */
  perStep(kind: 'wall' | 'cpu' = 'wall'): Record<StepPhase, number> | null {
    const ms = kind === 'wall' ? this.ms : this.cpuMs;
    if (!ms) return null;
    const out = {} as Record<StepPhase, number>;
    STEP_PHASES.forEach((p, i) => (out[p] = ms[i]! / Math.max(1, this.steps)));
    return out;
  }
}

/** One rank's handle on the shared buffers. */
export class ParallelGroup {
  readonly workers: number;
  /** Wall time per phase of the steps (with `profile: true`), else null. */
  readonly profile: StepProfile | null;
  private readonly pollMs: number;
  /** Adam's state for this rank's slice, made at the first step with that optimiser. */
  private adam: { optimizer: tf.AdamOptimizer; slice: AdamSlice } | null = null;

  constructor(
    readonly buffers: ParallelBuffers,
    readonly rank: number,
    private readonly options: ParallelGroupOptions = {},
  ) {
    this.workers = buffers.shape.workers;
    check(Number.isInteger(rank) && rank >= 0 && rank < this.workers, `rank: ${rank} must be an integer in [0, ${this.workers})`);
    this.pollMs = options.pollMs ?? 50;
    const profile = options.profile;
    this.profile = profile ? new StepProfile(profile === true ? undefined : profile.cpuClock) : null;
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
    this.profile?.lap('between');
    this.barrier();
    this.profile?.lap('wait A');
  }

  /** Leader: no more steps (the followers return). */
  announceEnd(): void {
    check(this.rank === 0, 'announceEnd: only rank 0 leads');
    Atomics.store(this.buffers.control, COMMAND, END);
    this.barrier();
  }

  /** Follower: waits at barrier A for the leader's next command. */
  awaitCommand(): ParallelCommand {
    this.profile?.lap('between');
    this.barrier();
    this.profile?.lap('wait A');
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

  /** The values [lo, hi) of the flat parameter vector this rank reduces (and updates, with Adam). */
  paramSlice(): { lo: number; hi: number } {
    const { paramCount } = this.buffers.shape;
    const chunk = Math.ceil(paramCount / this.workers);
    const lo = Math.min(paramCount, this.rank * chunk);
    return { lo, hi: Math.min(paramCount, lo + chunk) };
  }

  /**
   * This rank's Adam slice for `optimizer`; at the first step with it, the slice's values of
   * `weights` are taken from this rank's variables (equal on every rank since syncWeights).
   */
  adamSliceFor(optimizer: tf.AdamOptimizer, variables: readonly tf.Variable[]): AdamSlice {
    if (this.adam?.optimizer !== optimizer) {
      const { lo, hi } = this.paramSlice();
      const weights = this.buffers.weights;
      let off = 0;
      for (const v of variables) {
        const a = Math.max(lo, off);
        const b = Math.min(hi, off + v.size);
        if (a < b) weights.set((v.dataSync() as Float32Array).subarray(a - off, b - off), a);
        off += v.size;
      }
      this.adam = { optimizer, slice: new AdamSlice(lo, hi) };
    }
    return this.adam.slice;
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
  const profile = group.profile;
  profile?.lap('prepare');
  const { value, grads } = tf.variableGrads(() => {
    const own = forward();
    const rows = own.shape[0]!;
    check(own.size === rows * dim, `data-parallel: the model's output has ${own.size / Math.max(1, rows)} values per item, the shared buffers were made for ${dim}`);
    outputs.set(own.dataSync() as Float32Array, offset * dim);
    profile?.lap('forward');
    group.barrier(); // B: every shard's outputs are in.
    profile?.lap('wait B');
    const parts: tf.Tensor[] = [];
    if (offset > 0) parts.push(tf.tensor2d(outputs.slice(0, offset * dim), [offset, dim]));
    parts.push(own.reshape([rows, dim]));
    const after = n - offset - rows;
    if (after > 0) parts.push(tf.tensor2d(outputs.slice((offset + rows) * dim, n * dim), [after, dim]));
    return loss((parts.length === 1 ? parts[0]! : tf.concat(parts, 0)) as tf.Tensor2D);
  }, variables as tf.Variable[]);
  const lossValue = value.dataSync()[0]!;
  value.dispose();
  profile?.lap('backward');
  const row = group.rank * paramCount;
  let off = 0;
  for (const v of variables) {
    const g = grads[v.name];
    if (!g) gradients.fill(0, row + off, row + off + v.size);
    else gradients.set(heapView(g) ?? (g.dataSync() as Float32Array), row + off);
    off += v.size;
  }
  tf.dispose(grads);
  profile?.lap('grads out');
  group.barrier(); // C: every rank's gradient is in.
  profile?.lap('wait C');
  const W = group.workers;
  const { lo, hi } = group.paramSlice();
  if (optimizer instanceof tf.AdamOptimizer) {
    group.adamSliceFor(optimizer, variables).step(group.buffers.weights, gradients, W, paramCount, adamHyper(optimizer));
    profile?.lap('reduce');
    group.barrier(); // D: every slice of the weights is updated.
    profile?.lap('wait D');
    const weights = group.buffers.weights;
    // The wasm backend copies a new tensor's values into its heap at once: a view of the shared
    // vector is enough. The cpu backend keeps the array it is given as the tensor's storage: a copy.
    // Not written in place into the variables' memory: XNNPACK caches its packed filters by tensor.
    const copyIn = tf.getBackend() !== 'wasm';
    off = 0;
    for (const v of variables) {
      const value = tf.tensor(copyIn ? weights.slice(off, off + v.size) : weights.subarray(off, off + v.size), v.shape, 'float32');
      v.assign(value);
      value.dispose();
      off += v.size;
    }
  } else {
    for (let i = lo; i < hi; i++) {
      let s = gradients[i]!;
      for (let r = 1; r < W; r++) s += gradients[r * paramCount + i]!;
      reduced[i] = s;
    }
    profile?.lap('reduce');
    group.barrier(); // D: the summed gradient is complete.
    profile?.lap('wait D');
    const summed: Record<string, tf.Tensor> = {};
    off = 0;
    for (const v of variables) {
      summed[v.name] = tf.tensor(reduced.slice(off, off + v.size), v.shape, 'float32');
      off += v.size;
    }
    optimizer.applyGradients(summed);
    tf.dispose(Object.values(summed));
  }
  if (profile) {
    profile.lap('optimiser');
    profile.steps++;
  }
  return lossValue;
}

/**
 * A float32 tensor's values read in place on the wasm backend (a view of its heap, valid until the
 * next allocation there), else null. dataSync would copy them into a fresh ArrayBuffer: per step
 * the gradients alone are a copy of the whole model on every rank (0.5 MB for the reference net),
 * and V8 answers that external memory with scavenges (~1 a step, 2–8 ms each, seen in --trace-gc).
 */
function heapView(t: tf.Tensor): Float32Array | null {
  if (t.dtype !== 'float32' || tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as BackendWasm;
  if (backend.refCount(t.dataId) === 0) return null; // the values live on another backend
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** The hyper-parameters of a tfjs Adam (protected fields; the learning rate is set per step). */
function adamHyper(optimizer: tf.AdamOptimizer): AdamHyper {
  const o = optimizer as unknown as AdamHyper;
  return { learningRate: o.learningRate, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon };
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
