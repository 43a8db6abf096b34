/** The seeded random source of the embedding code (engine/random.ts); any `() => number` in [0, 1) may be injected instead. */
export { mulberry32 as seededRandom, type RandomSource } from '../random';
