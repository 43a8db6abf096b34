/**
 * Dynamic triplet batching: class-balanced P×K batches (P classes, K items each) for in-batch
 * mining (mining.ts). Every batch holds positives for each anchor and negatives from P − 1 other
 * classes, and a different mix of classes and items each step — the "dynamic triplet batching"
 * of the study; Hermans et al. 2017's PK sampling.
 *
 * Seeded and deterministic. Classes are visited in shuffled rounds (each class once per round
 * before any repeats) so rare classes are not starved; within a class, items come from a
 * shuffled queue refilled when used up, so every item is seen before any is seen twice.
 * A class with fewer than K items (but at least 2) gives all of them and then repeats some, drawn
 * at random, to fill its K slots: duplicates are harmless positives. Classes with a single item
 * (no positive possible) and unlabelled items (code < 0) are never sampled. When fewer than P
 * classes qualify, a batch has as many classes as qualify.
 *
 * Pure TypeScript (no tfjs): siamese.ts turns the indices into tensors.
 */
import { mulberry32 } from '../random';

/** The engine's seeded generator, re-exported for the callers that take it from here. */
export { mulberry32 };

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(xs: T, random: () => number): T {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = xs[i];
    xs[i] = xs[j];
    xs[j] = t;
  }
  return xs;
}

export interface EncodedLabels {
  /** One code per item: index into `classes`, or -1 for an item without a label. */
  codes: Int32Array;
  /** Class names in order of first appearance. */
  classes: string[];
}

/** Labels (strings or numbers; null/undefined/'' = unlabelled) → dense integer codes. */
export function encodeLabels(labels: ReadonlyArray<string | number | null | undefined>): EncodedLabels {
  const index = new Map<string, number>();
  const classes: string[] = [];
  const codes = new Int32Array(labels.length);
  labels.forEach((label, i) => {
    if (label === null || label === undefined || label === '') {
      codes[i] = -1;
      return;
    }
    const key = String(label);
    let c = index.get(key);
    if (c === undefined) {
      c = classes.length;
      index.set(key, c);
      classes.push(key);
    }
    codes[i] = c;
  });
  return { codes, classes };
}

export interface PkSamplerOptions {
  /** Classes per batch; default 8. */
  p?: number;
  /** Items per class; default 4. */
  k?: number;
  /** Default 1. */
  seed?: number;
}

export class ClassBalancedSampler {
  readonly p: number;
  readonly k: number;
  /** Number of classes with at least 2 items (the ones batches draw from). */
  readonly eligibleClasses: number;
  private readonly random: () => number;
  private readonly members: Int32Array[];
  private readonly queues: Int32Array[];
  private readonly queuePos: number[];
  private classOrder: Int32Array;
  private classPos: number;

  /** `labels`: one integer code per item, < 0 for unlabelled (see encodeLabels). */
  constructor(labels: ArrayLike<number>, options: PkSamplerOptions = {}) {
    const p = options.p ?? 8;
    const k = options.k ?? 4;
    if (!(Number.isInteger(p) && p >= 2)) throw new Error(`p: ${p} must be an integer ≥ 2 (a batch needs negatives)`);
    if (!(Number.isInteger(k) && k >= 2)) throw new Error(`k: ${k} must be an integer ≥ 2 (a batch needs positives)`);
    this.random = mulberry32(options.seed ?? 1);
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < labels.length; i++) {
      const c = labels[i]!;
      if (!Number.isInteger(c)) throw new Error(`labels[${i}]: ${c} is not an integer class code`);
      if (c < 0) continue;
      let list = byClass.get(c);
      if (!list) byClass.set(c, (list = []));
      list.push(i);
    }
    const eligible = [...byClass.keys()].sort((a, b) => a - b).filter((c) => byClass.get(c)!.length >= 2);
    if (eligible.length < 2) throw new Error(`labels: ${eligible.length} class(es) with at least 2 items; P×K batches need 2 or more`);
    this.members = eligible.map((c) => Int32Array.from(byClass.get(c)!));
    this.queues = this.members.map((m) => shuffleInPlace(Int32Array.from(m), this.random));
    this.queuePos = this.members.map(() => 0);
    this.eligibleClasses = eligible.length;
    this.p = Math.min(p, eligible.length);
    this.k = k;
    this.classOrder = shuffleInPlace(Int32Array.from(eligible.keys()), this.random);
    this.classPos = 0;
  }

  /** Items per batch: p × k. */
  get batchSize(): number {
    return this.p * this.k;
  }

  /** The next batch: p × k item indices, grouped by class (K consecutive indices per class). */
  next(): Int32Array {
    const out = new Int32Array(this.p * this.k);
    const chosen = this.nextClasses();
    chosen.forEach((c, slot) => this.fillClass(c, out.subarray(slot * this.k, (slot + 1) * this.k)));
    return out;
  }

  private nextClasses(): number[] {
    const chosen: number[] = [];
    while (chosen.length < this.p) {
      if (this.classPos === this.classOrder.length) {
        this.classOrder = shuffleInPlace(this.classOrder, this.random);
        this.classPos = 0;
      }
      const c = this.classOrder[this.classPos++]!;
      // A round boundary may offer a class already in this batch: skip it (it comes back next round).
      if (!chosen.includes(c)) chosen.push(c);
    }
    return chosen;
  }

  private fillClass(c: number, slots: Int32Array): void {
    const members = this.members[c]!;
    if (members.length < slots.length) {
      slots.set(members);
      for (let i = members.length; i < slots.length; i++) slots[i] = members[Math.floor(this.random() * members.length)]!;
      shuffleInPlace(slots, this.random);
      return;
    }
    const queue = this.queues[c]!;
    const taken = new Set<number>();
    for (let i = 0; i < slots.length; i++) {
      if (this.queuePos[c] === queue.length) {
        shuffleInPlace(queue, this.random);
        this.queuePos[c] = 0;
      }
      let item = queue[this.queuePos[c]!++]!;
      // Refilling mid-batch could hand back an item already taken: take the next one instead.
      while (taken.has(item)) {
        if (this.queuePos[c] === queue.length) {
          shuffleInPlace(queue, this.random);
          this.queuePos[c] = 0;
        }
        item = queue[this.queuePos[c]!++]!;
      }
      taken.add(item);
      slots[i] = item;
    }
  }
}
