/**
 * MinHash sketches of the sequences a worker has read while it reads the rest (issue 15). The
 * read is one thread's work (a gzip stream, one parser), a tenth of clustering 50,000 sequences;
 * with the reading worker handing out each part of the packed bases as it goes
 * (LoadDatasetPayload.parts), the other workers sketch those parts meanwhile, and on many cores
 * the sketch stage is over soon after the read. A pool of one worker queues the parts behind the
 * read: the same work as sketching afterwards.
 *
 * Parts wait until the caller decides (the index cache may already hold the signatures, and then
 * nothing is sketched). The number of records is known only when the read ends, so the parts are
 * sketched straight into one signature array sized from the reader's estimate with a margin: its
 * pages past the records are never written, so they take no memory, and the array needs no copy
 * (a fresh 25 MB copy costs 0.1 s of page faults on this machine). A part past that size gets an
 * array of its own, copied in at the end.
 */
import type { ShingleSpec } from '../worker/tasks/sketch';
import type { SequencePart } from '../worker/tasks/loadDataset';
import { sharedUint32 } from '../worker/packedSymbols';
import type { WorkerPool } from './pool';

export interface SketchSpec {
  shingles: ShingleSpec;
  numHashes: number;
  seed: number;
}

interface Sketching {
  first: number;
  count: number;
  /** The part's rows of the shared array, or an array of its own. */
  signatures: Uint32Array;
  shared: boolean;
  done: Promise<void>;
}

/** The shared array holds twice the records the reader expects: its estimate from the first megabytes can be low. */
const MARGIN = 2;

export class SketchWhileReading {
  private readonly parts: Sketching[] = [];
  private end = 0;
  private waiting: SequencePart[] = [];
  private spec: SketchSpec | undefined;
  private decided = false;
  /** A part could not start: the rest are left to the caller. */
  private stopped = false;
  private failure: { error: unknown } | undefined;
  private all: Uint32Array | undefined;
  /** The shared array was sized (once: from the first estimate). */
  private sized = false;
  /** Cancels the parts' tasks when the read fails or the result is not wanted. */
  private readonly stop = new AbortController();
  private readonly signal: AbortSignal;
  private onDecided!: () => void;
  private readonly decision = new Promise<void>((resolve) => (this.onDecided = resolve));

  constructor(
    private readonly pool: WorkerPool,
    signal: AbortSignal | undefined,
  ) {
    this.signal = signal ? AbortSignal.any([signal, this.stop.signal]) : this.stop.signal;
  }

  /** Sketch the parts (those waiting and those to come) by `spec`, or drop them (undefined: not needed). Once; later calls are ignored. */
  decide(spec: SketchSpec | undefined): void {
    if (this.decided) return;
    this.decided = true;
    this.onDecided();
    this.spec = spec;
    const waiting = this.waiting;
    this.waiting = [];
    if (spec) for (const part of waiting) this.start(part, spec);
  }

  /** The next part of the records, read and packed. */
  part(part: SequencePart): void {
    if (!this.decided) this.waiting.push(part);
    else if (this.spec) this.start(part, this.spec);
  }

  private start(part: SequencePart, spec: SketchSpec): void {
    // The parts started must stay a prefix of the records (the caller sketches [covers, n)): once
    // one cannot start (no memory for its array, a pool being disposed), none after it does.
    if (this.stopped || part.first !== this.end) return;
    try {
      const H = spec.numHashes;
      const count = part.packed.offsets.length - 1;
      const end = part.first + count;
      if (!this.sized && part.expected !== undefined) {
        this.sized = true;
        this.all = this.sharedArray(Math.max(end, Math.ceil(part.expected * MARGIN)) * H);
      }
      const shared = this.all !== undefined && end * H <= this.all.length;
      const signatures = shared ? this.all!.subarray(part.first * H, end * H) : sharedUint32(count * H);
      const done = this.pool.run('sketch', { packed: part.packed, ...spec, from: 0, to: count, signatures }, { signal: this.signal }).then(
        () => undefined,
        (error: unknown) => {
          this.failure ??= { error };
        },
      );
      this.parts.push({ first: part.first, count, signatures, shared, done });
      this.end = end;
    } catch {
      this.stopped = true;
    }
  }

  /** The shared array, or none when the estimate asks for more than can be had (then each part gets its own). */
  private sharedArray(words: number): Uint32Array | undefined {
    try {
      return sharedUint32(words);
    } catch {
      return undefined;
    }
  }

  /** The records [0, covers) that the parts started so far sketch: the rest is the caller's. */
  get covers(): number {
    return this.end;
  }

  /**
   * The signature array of all `n` records (n · numHashes, the spec's count when parts were
   * sketched), and `landed`: the parts' records [0, covers) in it once their sketches are done, `onPart`
   * called with each part's count as it lands. Undecided parts are dropped (covers is then 0).
   */
  signaturesFor(n: number, numHashes: number, onPart: (count: number) => void): { signatures: Uint32Array; landed: Promise<void> } {
    this.decide(undefined);
    const H = numHashes;
    const fits = this.all !== undefined && n * H <= this.all.length;
    const signatures = fits ? this.all!.subarray(0, n * H) : sharedUint32(n * H);
    const landed = (async () => {
      for (const p of this.parts) {
        await p.done;
        if (this.failure) {
          await this.cancel();
          throw this.failure.error;
        }
        if (!(fits && p.shared)) signatures.set(p.signatures, p.first * H);
        onPart(p.count);
      }
      this.parts.length = 0;
    })();
    return { signatures, landed };
  }

  /**
   * Resolves once the parts are decided and every part started is sketched (or failed): after
   * that no task reads the parts' bases (jobs/parallelRead.ts moves them).
   */
  async settled(): Promise<void> {
    await this.decision;
    await Promise.all(this.parts.map((p) => p.done));
  }

  /** Stops the parts in flight (the read failed, or its signatures came from the cache) and waits for them to end. */
  async cancel(): Promise<void> {
    this.decide(undefined);
    this.stop.abort();
    await Promise.all(this.parts.map((p) => p.done));
    this.parts.length = 0;
  }
}
