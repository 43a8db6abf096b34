/**
 * Levenshtein on 16S rRNA pairs (~1.5 kb): our bit-parallel `levenshtein` and the banded
 * `levenshteinWithin` (k = 7 % of the longer sequence, the clustering threshold) against
 * fastest-levenshtein's `distance`, in pairs per second (median of 5 rounds after a warm-up).
 * Two sets of 2,000 pairs, drawn with a seeded generator: random pairs (the DESIGN.md target;
 * mostly far apart, so the bounded form usually stops early) and pairs of one genus (what
 * clustering verifies: many within k, so the band runs to the end).
 * DNA goes to ours as Uint8Array (conversion is part of reading, not of the distance); the
 * string path is measured too, on the same strings the anchor gets.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { levenshtein, levenshteinWithin } from '../server/engine/measures/levenshtein';
import { medianTimes, row, seededRandom, skippedRow, type BenchContext, type BenchRow } from './harness';

const BENCH = 'levenshtein';
const ANCHOR = 'fastest-levenshtein';
const PAIRS = 2000;

interface Record16S {
  seq: string;
  genus: string;
}

/** A small FASTA reader: the genus is the first word of the last `;` field of the header. */
function readFasta(file: string): Record16S[] {
  const out: Record16S[] = [];
  let genus = '';
  let parts: string[] | null = null;
  const flush = (): void => {
    if (parts) out.push({ seq: parts.join(''), genus });
  };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('>')) {
      flush();
      const lineage = line.split('\t').pop() ?? '';
      genus = (lineage.split(';').pop() ?? '').trim().split(/\s+/)[0] ?? '';
      parts = [];
    } else if (parts) {
      parts.push(line.trim());
    }
  }
  flush();
  return out;
}

interface PairSet {
  name: string;
  as: string[];
  bs: string[];
  ab: Buffer[];
  bb: Buffer[];
  ks: number[];
}

function pairSet(name: string, pairs: [string, string][]): PairSet {
  const as = pairs.map((p) => p[0]);
  const bs = pairs.map((p) => p[1]);
  return {
    name,
    as,
    bs,
    ab: as.map((s) => Buffer.from(s, 'latin1')),
    bb: bs.map((s) => Buffer.from(s, 'latin1')),
    ks: as.map((s, i) => Math.floor(0.07 * Math.max(s.length, bs[i].length))),
  };
}

/** Checks ours against the anchor on every pair (a fast wrong answer is no result); returns how many are within k. */
function verify(set: PairSet, anchor: ((a: string, b: string) => number) | null): number {
  let within = 0;
  for (let i = 0; i < set.as.length; i++) {
    const d = levenshtein(set.ab[i], set.bb[i]);
    const ds = levenshtein(set.as[i], set.bs[i]);
    const w = levenshteinWithin(set.ab[i], set.bb[i], set.ks[i]);
    const expected = anchor ? anchor(set.as[i], set.bs[i]) : d;
    if (d !== expected || ds !== expected) {
      throw new Error(`${BENCH} (${set.name}): pair ${i}: ours ${d} (bytes) / ${ds} (string), ${ANCHOR} ${expected}`);
    }
    const k = set.ks[i];
    if (w !== (d <= k ? d : k + 1)) throw new Error(`${BENCH} (${set.name}): pair ${i}: within(k=${k}) = ${w} but distance is ${d}`);
    if (d <= k) within++;
  }
  return within;
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const metrics = [
    'full distance, bytes (pairs/s)',
    'full distance, strings (pairs/s)',
    'within k = 7 % (pairs/s)',
    'same genus: full distance, bytes (pairs/s)',
    'same genus: within k = 7 % (pairs/s)',
  ];
  const file = path.join(ctx.sharedData, 'dna', 'rRNA16S.gold.fasta');
  if (!existsSync(file)) return metrics.map((m) => skippedRow(BENCH, m, ANCHOR, `no data (${file})`));

  const records = readFasta(file);
  const rand = seededRandom(42);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const random = pairSet(
    'random pairs',
    Array.from({ length: PAIRS }, () => [pick(records).seq, pick(records).seq] as [string, string]),
  );
  const byGenus = new Map<string, string[]>();
  for (const r of records) byGenus.set(r.genus, [...(byGenus.get(r.genus) ?? []), r.seq]);
  const groups = [...byGenus.values()].filter((g) => g.length >= 2);
  const sameGenus = pairSet(
    'same genus',
    Array.from({ length: PAIRS }, () => {
      const g = pick(groups);
      const i = Math.floor(rand() * g.length);
      const j = (i + 1 + Math.floor(rand() * (g.length - 1))) % g.length;
      return [g[i], g[j]] as [string, string];
    }),
  );
  ctx.log(`${BENCH}: ${records.length} sequences, ${groups.length} genera with ≥ 2; ${PAIRS} random and ${PAIRS} same-genus pairs`);

  let anchor: ((a: string, b: string) => number) | null = null;
  try {
    anchor = (await import('fastest-levenshtein')).distance;
  } catch {
    anchor = null;
  }
  const withinRandom = verify(random, anchor);
  const withinGenus = verify(sameGenus, anchor);
  ctx.log(`${BENCH}: distances agree with ${anchor ? ANCHOR : 'ourselves'} on all pairs; within k: ${withinRandom} random, ${withinGenus} same-genus`);

  let sink = 0;
  const contenders: Record<string, () => void> = {};
  for (const set of [random, sameGenus]) {
    const { as, bs, ab, bb, ks } = set;
    contenders[`${set.name}/bytes`] = () => {
      for (let i = 0; i < PAIRS; i++) sink += levenshtein(ab[i], bb[i]);
    };
    contenders[`${set.name}/within`] = () => {
      for (let i = 0; i < PAIRS; i++) sink += levenshteinWithin(ab[i], bb[i], ks[i]);
    };
    if (set === random) {
      contenders[`${set.name}/strings`] = () => {
        for (let i = 0; i < PAIRS; i++) sink += levenshtein(as[i], bs[i]);
      };
    }
    const anchorFn = anchor;
    if (anchorFn) {
      contenders[`${set.name}/anchor`] = () => {
        for (let i = 0; i < PAIRS; i++) sink += anchorFn(as[i], bs[i]);
      };
    }
  }
  const t = medianTimes(contenders, 5);
  if (sink === -1) ctx.log('unreachable');
  const rate = (name: string): number => PAIRS / t[name];
  const anchorRate = (set: PairSet): number | null => (anchor ? rate(`${set.name}/anchor`) : null);
  const missing = anchor ? undefined : `skipped: ${ANCHOR} is not installed`;
  const common = { bench: BENCH, anchorName: ANCHOR, higherIsBetter: true };
  return [
    row({ ...common, metric: metrics[0], ours: rate('random pairs/bytes'), anchor: anchorRate(random), target: '≥ 1.5×', note: missing }),
    row({ ...common, metric: metrics[1], ours: rate('random pairs/strings'), anchor: anchorRate(random), target: '≥ 1×', note: missing }),
    row({ ...common, metric: metrics[2], ours: rate('random pairs/within'), anchor: anchorRate(random), target: '≥ 10×', note: missing ?? `${withinRandom}/${PAIRS} within k` }),
    row({ ...common, metric: metrics[3], ours: rate('same genus/bytes'), anchor: anchorRate(sameGenus), note: missing }),
    row({ ...common, metric: metrics[4], ours: rate('same genus/within'), anchor: anchorRate(sameGenus), note: missing ?? `${withinGenus}/${PAIRS} within k` }),
  ];
}
