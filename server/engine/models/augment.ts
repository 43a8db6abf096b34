/**
 * Seeded augmentations: a second view of each item whose latent code should stay close to the
 * original's — the positives of the latent-space contrastive/triplet loss when there are no
 * labels (autoencoderStep.ts). Small changes that keep what the item is:
 *
 *   vectors  [d]            Gaussian noise; each value dropped (set to 0) with probability `mask`
 *   sequence [len, c]       shift along the sequence; noise; one run of `mask` × len positions zeroed.
 *                           One-hot sequences (DNA [len, 4]) get random substitutions instead of
 *                           noise: a position's symbol becomes another one, still one-hot
 *                           (ambiguity codes and empty positions are left alone).
 *   image    [h, w, c]      shift in each spatial axis (zeros shifted in); noise; cutout: one box of
 *   volume   [d, h, w, c]   `mask` × each side zeroed
 *
 * Pure TypeScript on row-major Float32Arrays (n items × prod(shape)), deterministic for a given
 * random source (batching.ts mulberry32). The layout comes from the shape's rank alone, so a dense
 * autoencoder on images still gets image augmentations.
 */

export interface AugmentOptions {
  /** Largest shift, in positions, along each spatial axis; default 2 (sequences: 3). */
  shift?: number;
  /** Standard deviation of the Gaussian noise added to every value; default 0.05 (one-hot: none). */
  noise?: number;
  /** Vectors: drop probability per value; others: the masked box's side as a share of each side. Default 0.1 (images, volumes: 0.25). */
  mask?: number;
  /** One-hot sequences: probability that a position's symbol is substituted; default 0.05. */
  substitution?: number;
  /** Treat a sequence as symbols (each position sums to 0 or 1, see isOneHot); default: detected from the data. */
  oneHot?: boolean;
}

export type Layout = 'vector' | 'sequence' | 'image' | 'volume';

export function layoutOf(shape: readonly number[]): Layout {
  const layout = (['vector', 'sequence', 'image', 'volume'] as const)[shape.length - 1];
  if (!layout || shape.some((d) => !(Number.isInteger(d) && d > 0))) throw new Error(`augment: shape [${shape.join(', ')}] must be 1 to 4 positive integers`);
  return layout;
}

function checkShare(name: string, x: number): number {
  if (!(x >= 0 && x <= 1)) throw new Error(`augment: ${name} ${x} is not in [0, 1]`);
  return x;
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * True when the data reads as a symbol sequence: at least 2 channels, no negative value, and every
 * position's channels summing to 1 (a one-hot symbol, or an ambiguity code spread over several,
 * as oneHot.ts writes IUPAC codes) or 0 (a gap, padding).
 */
export function isOneHot(data: Float32Array, channels: number): boolean {
  if (channels < 2) return false;
  for (let p = 0; p < data.length; p += channels) {
    let sum = 0;
    for (let k = 0; k < channels; k++) {
      const v = data[p + k]!;
      if (!(v >= 0)) return false;
      sum += v;
    }
    if (sum !== 0 && Math.abs(sum - 1) > 1e-5) return false;
  }
  return true;
}

/**
 * One augmented view of each of the n items in `data` (n × prod(shape) values), as a new array;
 * `data` is not changed.
 */
export function augmentBatch(data: Float32Array, shape: readonly number[], random: () => number, options: AugmentOptions = {}): Float32Array {
  const layout = layoutOf(shape);
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length % size !== 0) throw new Error(`augment: ${data.length} values is not a multiple of ${size} (shape [${shape.join(', ')}])`);
  const n = data.length / size;
  const channels = shape[shape.length - 1]!;
  const oneHot = layout === 'sequence' && (options.oneHot ?? isOneHot(data, channels));
  const shiftMax = options.shift ?? (layout === 'sequence' ? 3 : 2);
  if (!(Number.isInteger(shiftMax) && shiftMax >= 0)) throw new Error(`augment: shift ${shiftMax} must be an integer ≥ 0`);
  const noise = options.noise ?? (oneHot ? 0 : 0.05);
  if (!(noise >= 0)) throw new Error(`augment: noise ${noise} must be ≥ 0`);
  const mask = checkShare('mask', options.mask ?? (layout === 'image' || layout === 'volume' ? 0.25 : 0.1));
  const substitution = checkShare('substitution', options.substitution ?? 0.05);
  const out = new Float32Array(data.length);

  for (let i = 0; i < n; i++) {
    const src = data.subarray(i * size, (i + 1) * size);
    const dst = out.subarray(i * size, (i + 1) * size);
    if (layout === 'vector') {
      for (let k = 0; k < size; k++) {
        const v = src[k]! + (noise > 0 ? noise * gaussian(random) : 0);
        dst[k] = random() < mask ? 0 : v;
      }
      continue;
    }
    const spatial = shape.slice(0, -1);
    const shifts = spatial.map(() => (shiftMax > 0 ? Math.floor(random() * (2 * shiftMax + 1)) - shiftMax : 0));
    shiftInto(src, dst, spatial, channels, shifts);
    if (oneHot) substitute(dst, channels, substitution, random);
    else if (noise > 0) for (let k = 0; k < size; k++) dst[k] = dst[k]! + noise * gaussian(random);
    if (mask > 0) maskBox(dst, spatial, channels, mask, random);
  }
  return out;
}

/** dst[p] = src[p − shift] per spatial axis, zeros where that falls outside. */
function shiftInto(src: Float32Array, dst: Float32Array, spatial: readonly number[], channels: number, shifts: readonly number[]): void {
  const positions = spatial.reduce((a, b) => a * b, 1);
  const coord = new Array<number>(spatial.length).fill(0);
  for (let p = 0; p < positions; p++) {
    // coord of p (row-major), then the source position.
    let rest = p;
    for (let a = spatial.length - 1; a >= 0; a--) {
      coord[a] = rest % spatial[a]!;
      rest = Math.floor(rest / spatial[a]!);
    }
    let from = 0;
    let inside = true;
    for (let a = 0; a < spatial.length; a++) {
      const c = coord[a]! - shifts[a]!;
      if (c < 0 || c >= spatial[a]!) {
        inside = false;
        break;
      }
      from = from * spatial[a]! + c;
    }
    if (inside) dst.set(src.subarray(from * channels, (from + 1) * channels), p * channels);
    // else: dst is zero already (a fresh array).
  }
}

/**
 * Replaces the symbol at each position, with probability `rate`, by a different one. Positions
 * that are not a single symbol (empty, padding, an ambiguity code) stay as they are.
 */
function substitute(dst: Float32Array, channels: number, rate: number, random: () => number): void {
  for (let p = 0; p < dst.length; p += channels) {
    if (!(random() < rate)) continue;
    let current = -1;
    for (let k = 0; k < channels; k++) if (dst[p + k] === 1) current = k;
    if (current < 0) continue;
    const next = (current + 1 + Math.floor(random() * (channels - 1))) % channels;
    dst[p + current] = 0;
    dst[p + next] = 1;
  }
}

/** Zeros one box whose side on each spatial axis is round(share × side), at a random place. */
function maskBox(dst: Float32Array, spatial: readonly number[], channels: number, share: number, random: () => number): void {
  const sides = spatial.map((s) => Math.round(share * s));
  if (sides.some((s) => s === 0)) return;
  const starts = spatial.map((s, a) => Math.floor(random() * (s - sides[a]! + 1)));
  const positions = spatial.reduce((a, b) => a * b, 1);
  for (let p = 0; p < positions; p++) {
    let rest = p;
    let inBox = true;
    for (let a = spatial.length - 1; a >= 0; a--) {
      const c = rest % spatial[a]!;
      rest = Math.floor(rest / spatial[a]!);
      if (c < starts[a]! || c >= starts[a]! + sides[a]!) inBox = false;
    }
    if (inBox) dst.fill(0, p * channels, (p + 1) * channels);
  }
}
