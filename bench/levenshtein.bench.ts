/**
 * Levenshtein on 16S rRNA pairs (~1.5 kb): our bit-parallel `levenshtein` and the banded
 * `levenshteinWithin` (k = 7 % of the longer sequence, the clustering threshold) against
 * fastest-levenshtein's `distance`, in pairs per second (median of 5 rounds after a warm-up).
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

function readFasta(file: string): string[] {
  const seqs: string[] = [];
  let cur: string[] | null = null;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('>')) {
      if (cur) seqs.push(cur.join(''));
      cur = [];
    } else if (cur) {
      cur.push(line.trim());
    }
  }
  if (cur) seqs.push(cur.join(''));
  return seqs;
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const metrics = ['full distance, bytes (pairs/s)', 'full distance, strings (pairs/s)', 'within k = 7 % (pairs/s)'];
  const file = path.join(ctx.sharedData, 'dna', 'rRNA16S.gold.fasta');
  if (!existsSync(file)) return metrics.map((m) => skippedRow(BENCH, m, ANCHOR, `no data (${file})`));

  const seqs = readFasta(file);
  const rand = seededRandom(42);
  const as: string[] = [];
  const bs: string[] = [];
  for (let i = 0; i < PAIRS; i++) {
    as.push(seqs[Math.floor(rand() * seqs.length)]);
    bs.push(seqs[Math.floor(rand() * seqs.length)]);
  }
  const ab = as.map((s) => Buffer.from(s, 'latin1'));
  const bb = bs.map((s) => Buffer.from(s, 'latin1'));
  const ks = as.map((s, i) => Math.floor(0.07 * Math.max(s.length, bs[i].length)));
  ctx.log(`${BENCH}: ${seqs.length} sequences, ${PAIRS} pairs`);

  let anchor: ((a: string, b: string) => number) | null = null;
  try {
    anchor = (await import('fastest-levenshtein')).distance;
  } catch {
    anchor = null;
  }

  // Correctness first: every full distance must agree with the anchor's, and the bounded one
  // with the full one; a fast wrong answer is no result.
  let within = 0;
  for (let i = 0; i < PAIRS; i++) {
    const d = levenshtein(ab[i], bb[i]);
    const ds = levenshtein(as[i], bs[i]);
    const w = levenshteinWithin(ab[i], bb[i], ks[i]);
    const expected = anchor ? anchor(as[i], bs[i]) : d;
    if (d !== expected || ds !== expected) {
      throw new Error(`${BENCH}: pair ${i}: ours ${d} (bytes) / ${ds} (string), ${ANCHOR} ${expected}`);
    }
    if (w !== (d <= ks[i] ? d : ks[i] + 1)) throw new Error(`${BENCH}: pair ${i}: within(k=${ks[i]}) = ${w} but distance is ${d}`);
    if (d <= ks[i]) within++;
  }
  ctx.log(`${BENCH}: distances agree on all pairs; ${within} pairs within k`);

  let sink = 0;
  const contenders: Record<string, () => void> = {
    oursBytes: () => {
      for (let i = 0; i < PAIRS; i++) sink += levenshtein(ab[i], bb[i]);
    },
    oursStrings: () => {
      for (let i = 0; i < PAIRS; i++) sink += levenshtein(as[i], bs[i]);
    },
    oursWithin: () => {
      for (let i = 0; i < PAIRS; i++) sink += levenshteinWithin(ab[i], bb[i], ks[i]);
    },
  };
  const anchorFn = anchor;
  if (anchorFn) {
    contenders.anchor = () => {
      for (let i = 0; i < PAIRS; i++) sink += anchorFn(as[i], bs[i]);
    };
  }
  const t = medianTimes(contenders, 5);
  if (sink === -1) ctx.log('unreachable');
  const rate = (name: string): number => PAIRS / t[name];
  const anchorRate = anchorFn ? rate('anchor') : null;
  const note = anchorFn ? undefined : `skipped: ${ANCHOR} is not installed`;
  return [
    row({ bench: BENCH, metric: metrics[0], ours: rate('oursBytes'), anchor: anchorRate, anchorName: ANCHOR, higherIsBetter: true, target: '≥ 1.5×', note }),
    row({ bench: BENCH, metric: metrics[1], ours: rate('oursStrings'), anchor: anchorRate, anchorName: ANCHOR, higherIsBetter: true, target: '≥ 1×', note }),
    row({ bench: BENCH, metric: metrics[2], ours: rate('oursWithin'), anchor: anchorRate, anchorName: ANCHOR, higherIsBetter: true, target: '≥ 10×', note: note ?? `${within}/${PAIRS} pairs within k` }),
  ];
}
