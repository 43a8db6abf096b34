/**
 * The scaled BioMarKs set of the scaling bench (issue 18): the 50,000 amplicons as they are, then
 * as many mutated copies as it takes to reach n records — each copy of each amplicon with every
 * base substituted with probability `rate` (default 1 %) by one of the three other bases, drawn
 * from a seeded generator, so a run always writes the same file. Records are copy-major: the
 * first 50,000 are the real set and any prefix of n records is the same set the larger n
 * starts with. Ids: the original id with `.c<copy>` before its `;size=N` (copy 0 is unchanged).
 *
 * `originals` (default all 50,000) copies only the first that many amplicons: with
 * originals = n / 10 every size has the same structure — families of 10 (an amplicon and 9
 * copies) — so a record's near neighbours do not grow with n, as they do in the default set
 * (none at 50k, 3 copies an amplicon at 200k, 9 at 500k). At 500k both sets are the same file.
 */
import { createWriteStream } from 'node:fs';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { seededRandom } from './harness';

interface Amplicon {
  id: string;
  sequence: string;
}

function readFasta(file: string): Amplicon[] {
  const raw = readFileSync(file);
  const text = (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('latin1');
  const out: Amplicon[] = [];
  for (const block of text.split('>').slice(1)) {
    const nl = block.indexOf('\n');
    out.push({ id: block.slice(0, nl).trim().split(/\s/)[0]!, sequence: block.slice(nl + 1).replace(/\s+/g, '').toUpperCase() });
  }
  return out;
}

const OTHER: Record<string, string> = { A: 'CGT', C: 'AGT', G: 'ACT', T: 'ACG' };

/** `id;size=N` → `id.c<copy>;size=N`. */
function copyId(id: string, copy: number): string {
  if (copy === 0) return id;
  const at = id.indexOf(';');
  return at < 0 ? `${id}.c${copy}` : `${id.slice(0, at)}.c${copy}${id.slice(at)}`;
}

/** Writes the first n records of the scaled set to `out` (FASTA, 80-column-free: one line a sequence). */
export async function writeScaledAmplicons(source: string, out: string, n: number, options: { rate?: number; seed?: number; originals?: number } = {}): Promise<void> {
  const rate = options.rate ?? 0.01;
  const base = readFasta(source).slice(0, options.originals);
  const stream = createWriteStream(out);
  const write = (s: string): Promise<void> => (stream.write(s) ? Promise.resolve() : new Promise((resolve) => stream.once('drain', () => resolve())));
  // One generator per copy: a prefix of the set does not depend on n.
  for (let copy = 0, written = 0; written < n; copy++) {
    const rng = seededRandom((options.seed ?? 2026) + copy);
    let lines = '';
    for (let r = 0; r < base.length && written < n; r++, written++) {
      const a = base[r]!;
      let seq = a.sequence;
      if (copy > 0) {
        const bases = seq.split('');
        for (let t = 0; t < bases.length; t++) {
          if (rng() >= rate) continue;
          const others = OTHER[bases[t]!];
          if (others) bases[t] = others[Math.floor(rng() * 3)]!;
        }
        seq = bases.join('');
      }
      lines += `>${copyId(a.id, copy)}\n${seq}\n`;
      if (lines.length > 1 << 20) {
        await write(lines);
        lines = '';
      }
    }
    await write(lines);
  }
  await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
}
