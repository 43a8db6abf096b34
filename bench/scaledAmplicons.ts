/**
 * The scaled BioMarKs set of the scaling bench (issue 18): the 50,000 amplicons as they are, then
 * as many mutated copies as it takes to reach n records — each copy of each amplicon with every
 * base substituted with probability `rate` (default 1 %) by one of the three other bases, drawn
 * from a seeded generator, so a run always writes the same file. Records are copy-major: the
 * first 50,000 are the real set and any prefix of n records is the same set the larger n
 * starts with. Ids: the original id with `.c<copy>` before its `;size=N` (copy 0 is unchanged).
 *
 * `writeAlphabetWorlds` writes the constant-density control: n records with the same neighbours
 * per record at every n.
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
export async function writeScaledAmplicons(source: string, out: string, n: number, options: { rate?: number; seed?: number } = {}): Promise<void> {
  const rate = options.rate ?? 0.01;
  const base = readFasta(source);
  const { stream, write } = fastaWriter(out);
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
  await close(stream);
}

/**
 * The constant-density control: n records as ⌈n / 50,000⌉ "worlds", each the real set written in
 * another alphabet — every base mapped by one permutation of ACGT (the last world cut at n). A
 * permutation keeps every edit distance, so within a world each record has exactly the
 * neighbours and identities it has in the real set (its MinHash slots differ: k-mers hash anew);
 * two worlds share next to no k-mer, so no record gains a neighbour as n grows — unlike the
 * scaled set, whose copies multiply each record's near neighbours. The first 8 permutations commute with the complement (A↔T, C↔G
 * mapped to a pair again), so even canonical k-mers (strand-independent MinHash) keep their
 * Jaccard exactly; worlds 9–24 use the other permutations, where a k-mer and its reverse
 * complement may pair differently (rare at k = 15). Ids: the original id with `.w<world>`.
 */
export async function writeAlphabetWorlds(source: string, out: string, n: number): Promise<void> {
  const base = readFasta(source);
  const worlds = Math.ceil(n / base.length);
  const permutations = alphabetPermutations();
  if (worlds > permutations.length) throw new RangeError(`${n} records need ${worlds} worlds; ${permutations.length} permutations of ACGT exist`);
  const { stream, write } = fastaWriter(out);
  for (let world = 0, written = 0; written < n; world++) {
    const map = permutations[world]!;
    const code = new Map([...'ACGT'].map((b, i) => [b, map[i]!]));
    let lines = '';
    for (let r = 0; r < base.length && written < n; r++, written++) {
      const a = base[r]!;
      let seq = '';
      for (const b of a.sequence) seq += code.get(b) ?? b;
      lines += `>${world === 0 ? a.id : worldId(a.id, world)}\n${seq}\n`;
      if (lines.length > 1 << 20) {
        await write(lines);
        lines = '';
      }
    }
    await write(lines);
  }
  await close(stream);
}

/** The 24 images of ACGT, those that commute with the complement first (identity first). */
export function alphabetPermutations(): string[] {
  const all: string[] = [];
  const permute = (prefix: string, rest: string): void => {
    if (!rest) all.push(prefix);
    for (let i = 0; i < rest.length; i++) permute(prefix + rest[i], rest.slice(0, i) + rest.slice(i + 1));
  };
  permute('', 'ACGT');
  const complement: Record<string, string> = { A: 'T', C: 'G', G: 'C', T: 'A' };
  // σ(complement(b)) = complement(σ(b)) for every base b.
  const commutes = (p: string): boolean => [...'ACGT'].every((b, i) => p['ACGT'.indexOf(complement[b]!)] === complement[p[i]!]);
  return [...all.filter(commutes), ...all.filter((p) => !commutes(p))];
}

/** `id;size=N` → `id.w<world>;size=N`. */
function worldId(id: string, world: number): string {
  const at = id.indexOf(';');
  return at < 0 ? `${id}.w${world}` : `${id.slice(0, at)}.w${world}${id.slice(at)}`;
}

function fastaWriter(out: string): { stream: ReturnType<typeof createWriteStream>; write: (s: string) => Promise<void> } {
  const stream = createWriteStream(out);
  const write = (s: string): Promise<void> => (stream.write(s) ? Promise.resolve() : new Promise((resolve) => stream.once('drain', () => resolve())));
  return { stream, write };
}

function close(stream: ReturnType<typeof createWriteStream>): Promise<void> {
  return new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
}
