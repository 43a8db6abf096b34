/**
 * A train and a test split with planted leaks, grown from the committed 16S sample, for the tiers
 * that test leakage between splits as a user meets it (test/server/leaks.test.ts over LSP,
 * test/e2e/leaks.test.ts in VS Code): the train split is the sample's first 200 records; the test
 * split is 20 other records of the sample and, spread among them, 5 copies of train records with
 * 1 % of their bases substituted. Seeded: every run and every tier builds the same files.
 */

/** Records of the sample in the train split. */
export const TRAIN_RECORDS = 200;
/**
 * The 20 other records of the test split: records of the sample past the train split none of which
 * reaches 95 % identity to a train record (`simlab leaks --threshold 0.95`), two points under the
 * default threshold; many of the rest are other strains of a train species at ≥ 97 %, real leaks.
 */
export const OTHERS = [204, 210, 211, 213, 214, 216, 217, 218, 223, 224, 226, 233, 234, 235, 237, 245, 246, 255, 257, 260];
/** Train records copied into the test split (indexes into the train split). */
export const COPIED = [3, 41, 88, 150, 199];

/** A seeded source (mulberry32): the same files on every run. */
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

export interface FastaRecord {
  header: string;
  id: string;
  seq: string;
}

/** A record of the test split; `of` = the train record it copies (index into the train split), for a planted copy. */
export interface SplitRecord {
  header: string;
  seq: string;
  of?: number;
}

export function fastaRecords(text: string): FastaRecord[] {
  return text
    .split(/^(?=>)/mu)
    .filter((r) => r.startsWith('>'))
    .map((r) => {
      const [header = '', ...lines] = r.split(/\r?\n/u);
      return { header, id: header.slice(1).split(/\s/u)[0] as string, seq: lines.join('').trim() };
    });
}

/** The file (80 bases a line) and the 0-based header line of each record. */
export function fasta(recs: readonly { header: string; seq: string }[]): { text: string; lines: number[] } {
  const out: string[] = [];
  const lines: number[] = [];
  for (const r of recs) {
    lines.push(out.length);
    out.push(r.header);
    for (let i = 0; i < r.seq.length; i += 80) out.push(r.seq.slice(i, i + 80));
  }
  return { text: out.join('\n') + '\n', lines };
}

/** `seq` with 1 % of its bases substituted (distinct positions, each to another base). */
function mutate(seq: string, rnd: () => number): string {
  const out = seq.toUpperCase().split('');
  const done = new Set<number>();
  const count = Math.max(1, Math.round(seq.length / 100));
  while (done.size < count) {
    const at = Math.floor(rnd() * out.length);
    if (done.has(at) || !'ACGT'.includes(out[at] as string)) continue;
    done.add(at);
    const others = 'ACGT'.replace(out[at] as string, '');
    out[at] = others[Math.floor(rnd() * others.length)] as string;
  }
  return out.join('');
}

export interface PlantedSplits {
  /** The train split's records, in file order. */
  trainRecs: FastaRecord[];
  /** The test split's records, in file order; the planted copies carry `of`. */
  testRecs: SplitRecord[];
  /** The planted copies, in test file order (ids `planted-0` …). */
  copies: (SplitRecord & { of: number })[];
  train: { text: string; lines: number[] };
  test: { text: string; lines: number[] };
  /** Test header line → train header line of the record it copies (0-based). */
  planted: Map<number, number>;
}

/** The two splits, from the text of test/fixtures/dna/16S-sample.fasta. */
export function plantedSplits(sample: string): PlantedSplits {
  const all = fastaRecords(sample);
  const trainRecs = all.slice(0, TRAIN_RECORDS);
  const rnd = seeded(17);
  const copies = COPIED.map((t, i) => ({ header: `>planted-${i} copy of ${trainRecs[t]!.id}`, seq: mutate(trainRecs[t]!.seq, rnd), of: t }));
  // The copies spread among the other records, not all at the end.
  const testRecs: SplitRecord[] = OTHERS.map((i) => all[i]!);
  copies.forEach((c, i) => testRecs.splice(i * 5 + 2, 0, c));
  const train = fasta(trainRecs);
  const test = fasta(testRecs);
  return { trainRecs, testRecs, copies, train, test, planted: plantedLines(testRecs, test.lines, train.lines) };
}

/** Header line of each planted copy in a test file → header line of its train record. */
export function plantedLines(testRecs: readonly SplitRecord[], testLines: readonly number[], trainLines: readonly number[]): Map<number, number> {
  return new Map(testRecs.flatMap((r, i) => (r.of !== undefined ? [[testLines[i] as number, trainLines[r.of] as number] as const] : [])));
}
