/**
 * MinHash sketches of the sequences a worker has read while it reads the rest (issue 15). The
 * read is one thread's work (a gzip stream, one parser), a tenth of clustering 50,000 sequences;
 * with the reading worker handing out each part of the packed bases as it goes
 * (LoadDatasetPayload.parts), the other workers sketch those parts meanwhile, and on many cores
 * the sketch stage is over soon after the read. A pool of one worker queues the parts behind the
 * read: the same work as sketching afterwards.
 *
 * Parts wait until the caller decides (the index cache may already hold the signatures, and then
 * nothing is sketched). Each part is sketched into a signature array of its own, since the number
 * of records is unknown until the read ends; `collect` copies them into the whole one.
 */
import type { ShingleSpec } from '../worker/tasks/sketch';
import { sharedUint32, type PackedSymbols } from '../worker/packedSymbols';
import type { WorkerPool } from './pool';

export interface SketchSpec {
  shingles: ShingleSpec;
  numHashes: number;
  seed: number;
}

interface Part {
  first: number;
  count: number;
  signatures: Uint32Array;
  done: Promise<void>;
}

export class SketchWhileReading {
  private readonly parts: Part[] = [];
  private end = 0;
  private waiting: { first: number; packed: PackedSymbols }[] = [];
  private spec: SketchSpec | undefined;
  private decided = false;
  private failure: { error: unknown } | undefined;
  /** Cancels the parts' tasks when the read fails or the result is not wanted. */
  private readonly stop = new AbortController();
  private readonly signal: AbortSignal;

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
    this.spec = spec;
    const waiting = this.waiting;
    this.waiting = [];
    if (spec) for (const w of waiting) this.start(w.first, w.packed, spec);
  }

  /** Records [first, first + part's count), read and packed. */
  part(first: number, packed: PackedSymbols): void {
    if (!this.decided) this.waiting.push({ first, packed });
    else if (this.spec) this.start(first, packed, this.spec);
  }

  private start(first: number, packed: PackedSymbols, spec: SketchSpec): void {
    const count = packed.offsets.length - 1;
    const signatures = sharedUint32(count * spec.numHashes);
    const done = this.pool.run('sketch', { packed, ...spec, from: 0, to: count, signatures }, { signal: this.signal }).then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
    this.parts.push({ first, count, signatures, done });
    this.end = first + count;
  }

  /** The records [0, covers) that the parts started so far sketch: the rest is the caller's. */
  get covers(): number {
    return this.end;
  }

  /**
   * Waits for the parts and copies their signatures into `signatures` (records · numHashes, of
   * the spec decided). Returns how many leading records they cover, calling `onPart` with each
   * part's count as it lands. Undecided parts are dropped (none covered).
   */
  async collect(signatures: Uint32Array, onPart: (count: number) => void): Promise<number> {
    this.decide(undefined);
    const numHashes = this.spec?.numHashes ?? 0;
    let covered = 0;
    for (const p of this.parts) {
      await p.done;
      if (this.failure) {
        await this.cancel();
        throw this.failure.error;
      }
      // Parts come in read order and abut: a part that does not start where the last ended is a bug upstream.
      if (p.first !== covered) throw new Error(`sketch part starts at record ${p.first}, expected ${covered}`);
      signatures.set(p.signatures, p.first * numHashes);
      covered += p.count;
      onPart(p.count);
    }
    this.parts.length = 0;
    return covered;
  }

  /** Stops the parts in flight (the read failed, or its signatures came from the cache) and waits for them to end. */
  async cancel(): Promise<void> {
    this.decide(undefined);
    this.stop.abort();
    await Promise.all(this.parts.map((p) => p.done));
    this.parts.length = 0;
  }
}
