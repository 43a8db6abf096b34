/**
 * Planted copies for the leak tests and the leak bench: records of a real file, perturbed the way
 * a leaked record is (a few substitutions and indels; pixel noise or a brightness change), and
 * written into another file. Seeded, so a failure is reproducible.
 */
import { writeFileSync } from 'node:fs';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A normal deviate (Box–Muller). */
export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export interface FastaRecord {
  header: string;
  seq: string;
}

export function parseFasta(text: string): FastaRecord[] {
  const out: FastaRecord[] = [];
  for (const block of text.split(/^>/m).slice(1)) {
    const [header, ...lines] = block.split(/\r?\n/);
    out.push({ header: header!, seq: lines.join('').trim() });
  }
  return out;
}

export function writeFasta(file: string, records: readonly FastaRecord[], eol = '\n'): void {
  writeFileSync(file, records.map((r) => `>${r.header}${eol}${(r.seq.match(/.{1,60}/g) ?? []).join(eol)}${eol}`).join(''));
}

/** `seq` with about `substitutionRate` of its bases changed and `indels` single-base insertions or deletions. */
export function perturbSequence(seq: string, random: () => number, substitutionRate: number, indels: number): string {
  const bases = 'ACGT';
  const out = seq.split('');
  for (let i = 0; i < out.length; i++) {
    if (random() < substitutionRate) {
      const old = out[i]!.toUpperCase();
      let b = old;
      while (b === old) b = bases[Math.floor(random() * 4)]!;
      out[i] = b;
    }
  }
  for (let e = 0; e < indels; e++) {
    const at = 1 + Math.floor(random() * (out.length - 2));
    if (random() < 0.5) out.splice(at, 1);
    else out.splice(at, 0, bases[Math.floor(random() * 4)]!);
  }
  return out.join('');
}

/** An IDX3 image file (uint8, n × h × w). */
export function writeIdxImages(file: string, images: readonly Uint8Array[], h: number, w: number): void {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(0x00000803, 0);
  head.writeUInt32BE(images.length, 4);
  head.writeUInt32BE(h, 8);
  head.writeUInt32BE(w, 12);
  writeFileSync(file, Buffer.concat([head, ...images.map((i) => Buffer.from(i))]));
}

/** The images of an IDX3 buffer (already gunzipped). */
export function readIdxImages(buf: Buffer): { images: Uint8Array[]; h: number; w: number } {
  const n = buf.readUInt32BE(4);
  const h = buf.readUInt32BE(8);
  const w = buf.readUInt32BE(12);
  const images: Uint8Array[] = [];
  for (let i = 0; i < n; i++) images.push(new Uint8Array(buf.subarray(16 + i * h * w, 16 + (i + 1) * h * w)));
  return { images, h, w };
}

/** A copy with Gaussian pixel noise of σ `noise` grey levels and brightness scaled by `gain`, clipped to 0–255. */
export function perturbImage(image: Uint8Array, random: () => number, noise: number, gain: number): Uint8Array {
  const out = new Uint8Array(image.length);
  for (let i = 0; i < image.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(image[i]! * gain + noise * gaussian(random))));
  return out;
}
