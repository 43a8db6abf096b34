/** The seeded random source of the embedding code (engine/random.ts); any `() => number` in [0, 1) may be injected instead. */
export { mulberry32 as seededRandom, type RandomSource } from '../random';

/**
 * engine/random.ts's Mulberry32 with its state readable, so that a stream begun here (the map's
 * random start) can be continued inside the layout's own loop (layout.ts refill) and in worker
 * threads: `next` gives the same numbers as `seededRandom(seed)`.
 */
export class SeededStream {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** The state after the draws so far (a uint32). */
  get state(): number {
    return this.s;
  }

  readonly next = (): number => {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
