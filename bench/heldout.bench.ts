/**
 * Sequence clustering on data nobody tuned on (issue 18), side by side with vsearch in one run.
 * From the 16S gold set (../shared/data/dna/rRNA16S.gold.fasta, genus labels):
 *  - tune / report: the genera shuffled with seed 18 and cut in half; every record of a genus goes
 *    to its half (≈ 2,650 and 2,530 records of 593 genera each). Defaults are chosen on `tune` only;
 *  - sub1–sub3: subsamples of the report half as a user's set looks (the issue's other source:
 *    ≈ 40 records a genus): genera with ≥ 20 records, at most 40 records of each, seeds 1–3;
 *  - tune-sub1–tune-sub3: the same subsamples of the tune half, for tuning (only with HELDOUT_SETS).
 * For each set and threshold (HELDOUT_THRESHOLDS, default 0.90,0.93,0.97): ARI and NMI against the
 * genus of `simlab cluster` (dist/cli.js, defaults, plus each --mode of HELDOUT_MODES, default
 * dbscan,leiden) and of vsearch (2 threads), the better of --cluster_fast and --cluster_size by
 * ARI. Noise records count as singletons. HELDOUT_SETS picks sets (e.g. tune); HELDOUT_ARGS adds
 * flags to every run of ours. The default --shared-neighbours 0.7 was chosen this way, on tuning
 * sets only: HELDOUT_SETS=tune,tune-sub1,tune-sub2,tune-sub3 HELDOUT_MODES=dbscan
 * HELDOUT_ARGS='--shared-neighbours J' for J in 0.6, 0.7, 0.8, 0.9.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { genusOf16S } from '../server/engine/data/labels';
import { mulberry32 } from '../server/engine/random';
import { genusLabels, has, readOurTsv, readUc, score, timed } from './clustering.bench';
import { row, skippedRow, type BenchContext, type BenchRow } from './harness';

const cli = path.join(__dirname, '..', 'dist', 'cli.js');

interface Fasta {
  header: string;
  text: string;
  genus: string;
}

function readFasta(file: string): Fasta[] {
  const out: Fasta[] = [];
  for (const chunk of readFileSync(file, 'utf8').split(/^>/mu).slice(1)) {
    const header = chunk.slice(0, chunk.indexOf('\n')).trimEnd();
    out.push({ header, text: `>${chunk.endsWith('\n') ? chunk : `${chunk}\n`}`, genus: genusOf16S(header) ?? '' });
  }
  return out;
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const a = [...items];
  const rng = mulberry32(seed);
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

/** The sets of the file comment, as record lists (file order kept inside each). */
export function heldOutSets(records: readonly Fasta[]): Map<string, Fasta[]> {
  const genera = [...new Set(records.map((r) => r.genus))].sort();
  const tuneGenera = new Set(shuffled(genera, 18).slice(0, Math.floor(genera.length / 2)));
  const tune = records.filter((r) => tuneGenera.has(r.genus));
  const report = records.filter((r) => !tuneGenera.has(r.genus));
  const sets = new Map<string, Fasta[]>([
    ['tune', tune],
    ['report', report],
  ]);
  for (const seed of [1, 2, 3]) sets.set(`sub${seed}`, subsample(report, seed));
  for (const seed of [1, 2, 3]) sets.set(`tune-sub${seed}`, subsample(tune, seed));
  return sets;
}

/** Genera with ≥ 20 records of `half`, at most 40 records of each (shuffled by `seed`), in file order. */
function subsample(half: readonly Fasta[], seed: number): Fasta[] {
  const byGenus = new Map<string, Fasta[]>();
  for (const r of half) {
    const members = byGenus.get(r.genus);
    if (members) members.push(r);
    else byGenus.set(r.genus, [r]);
  }
  const picked = new Set<Fasta>();
  for (const [, members] of [...byGenus].sort(([a], [b]) => (a < b ? -1 : 1))) if (members.length >= 20) for (const r of shuffled(members, seed).slice(0, 40)) picked.add(r);
  return half.filter((r) => picked.has(r));
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const gold = path.join(ctx.sharedData, 'dna', 'rRNA16S.gold.fasta');
  if (!existsSync(gold)) return [skippedRow('16S held-out', 'ARI', 'vsearch', `${gold} not found`)];
  if (!existsSync(cli)) return [skippedRow('16S held-out', 'ARI', 'vsearch', `${cli} not built (npm run build)`)];
  const thresholds = (process.env.HELDOUT_THRESHOLDS ?? '0.90,0.93,0.97').split(',').map(Number);
  const modes = (process.env.HELDOUT_MODES ?? 'dbscan,leiden').split(',');
  const only = process.env.HELDOUT_SETS?.split(',');
  const extra = (process.env.HELDOUT_ARGS ?? '').split(/\s+/u).filter(Boolean);
  const vsearch = has('vsearch');
  const tmp = mkdtempSync(path.join(tmpdir(), 'simlab-heldout-'));
  const rows: BenchRow[] = [];
  try {
    for (const [name, records] of heldOutSets(readFasta(gold))) {
      if (only ? !only.includes(name) : name.startsWith('tune-')) continue;
      const file = path.join(tmp, `${name}.fasta`);
      writeFileSync(file, records.map((r) => r.text).join(''));
      const truth = genusLabels(file);
      const genera = new Set(records.map((r) => r.genus)).size;
      ctx.log(`16S ${name}: ${records.length} records, ${genera} genera`);
      for (const t of thresholds) {
        const bench = `16S ${name} @${t}`;
        let vs: { ari: number; nmi: number; how: string } | undefined;
        if (vsearch) {
          for (const how of ['--cluster_fast', '--cluster_size']) {
            const uc = path.join(tmp, 'vs.uc');
            timed('vsearch', [how, file, '--id', String(t), '--threads', '2', '--uc', uc, '--quiet']);
            const s = score(truth, readUc(uc));
            ctx.log(`  ${bench} vsearch ${how}: ARI ${s.ari.toFixed(3)} NMI ${s.nmi.toFixed(3)} (${s.clusters} clusters)`);
            if (!vs || s.ari > vs.ari) vs = { ari: s.ari, nmi: s.nmi, how };
          }
        }
        for (const mode of modes) {
          const tsv = path.join(tmp, 'ours.tsv');
          const args = [cli, 'cluster', file, '--threshold', String(t), '--no-cache', '--out', tsv, ...(mode === 'default' ? [] : ['--mode', mode]), ...extra];
          const r = timed(process.execPath, args);
          const o = score(truth, readOurTsv(tsv));
          ctx.log(`  ${bench} ours ${mode}: ARI ${o.ari.toFixed(3)} NMI ${o.nmi.toFixed(3)} (${o.clusters} clusters, ${r.seconds.toFixed(1)} s)`);
          for (const [metric, key] of [['ARI vs genus', 'ari'], ['NMI vs genus', 'nmi']] as const) {
            const m = `${metric}, ${mode}`;
            rows.push(vs ? row({ bench, metric: m, ours: o[key], anchor: vs[key], anchorName: `vsearch ${vs.how}`, higherIsBetter: true, target: '≥ 1×', note: `${records.length} records, ${genera} genera; ours ${o.clusters} clusters${extra.length ? ` with ${extra.join(' ')}` : ''}` }) : skippedRow(bench, m, 'vsearch', 'vsearch not installed'));
          }
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return rows;
}
