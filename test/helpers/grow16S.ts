/**
 * A FASTA file of a few thousand records grown from the committed 16S sample, for the tiers that
 * test what a user sees on a big file (test/server/diagnostics.test.ts over LSP, test/e2e in
 * VS Code): seeded, so every run and every tier builds the same file.
 */

/** A seeded source (mulberry32): the same file on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `seq` with `count` substitutions at distinct positions (each to another base). */
function substitute(seq: string, count: number, rnd: () => number): string {
  const out = seq.split('');
  const done = new Set<number>();
  while (done.size < count) {
    const at = Math.floor(rnd() * out.length);
    if (done.has(at)) continue;
    done.add(at);
    const others = 'ACGT'.replace(out[at] as string, '');
    out[at] = others[Math.floor(rnd() * others.length)] as string;
  }
  return out.join('');
}

export interface Built {
  text: string;
  /** Header lines of the planted near-duplicate copies, and of the records they copy. */
  copyLines: number[];
  originalLines: number[];
}

/**
 * The 16S sample grown to a few thousand records: after two of every three records, ten variants
 * (2 % substitutions: same cluster, not near-duplicates) and one near-duplicate copy (3
 * substitutions in ≥ 1,356 bases: ≥ 99.7 % identity). Every third record stays alone, so the
 * sample's outliers stay outliers, spread through the file.
 */
export function grow16S(sample: string): Built {
  const rnd = seeded(14);
  const records = sample
    .split(/(?=^>)/mu)
    .filter((r) => r.startsWith('>'))
    .map((r) => {
      const [header, ...seqLines] = r.split('\n');
      return { id: (header as string).slice(1).split(/\s/u)[0] as string, header: header as string, seq: seqLines.join('').trim() };
    });
  const lines: string[] = [];
  const copyLines: number[] = [];
  const originalLines: number[] = [];
  const push = (header: string, seq: string): number => {
    const at = lines.length;
    lines.push(header);
    for (let i = 0; i < seq.length; i += 60) lines.push(seq.slice(i, i + 60));
    return at;
  };
  records.forEach((r, i) => {
    const original = push(r.header, r.seq);
    if (i % 3 === 2) return;
    for (let v = 1; v <= 10; v++) push(`>${r.id}.v${v} variant of ${r.id}`, substitute(r.seq, Math.round(r.seq.length * 0.02), rnd));
    copyLines.push(push(`>${r.id}.copy near-duplicate of ${r.id}`, substitute(r.seq, 3, rnd)));
    originalLines.push(original);
  });
  return { text: `${lines.join('\n')}\n`, copyLines, originalLines };
}
