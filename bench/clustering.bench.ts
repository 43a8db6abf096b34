/**
 * Clustering of sequences, side by side with the Debian anchors (issue 3):
 *  1. the 16S gold set (5,181 genes, 1,186 genera) at several identity thresholds: ARI and NMI
 *     against the genus, and wall time, for `simlab cluster`, `vsearch --cluster_fast` and
 *     `cd-hit-est` (both with 2 threads, like our pool on this 2-core machine);
 *  2. BioMarKs50k (50,000 amplicons) at 97 %: wall time, CPU time and peak memory, the three
 *     tools run back to back SIMLAB_BENCH_REPEATS times (default 3) and the medians compared
 *     (the machine is shared: one run of each is noise);
 *  3. the study's exact distance-matrix path beside the LSH path on the first 500 16S records;
 *  4. scaling (issue 18): BioMarKs50k grown to 200,000 and 500,000 records with mutated copies
 *     (bench/scaledAmplicons.ts, seeded), clustered at 97 % by the three tools, one run each
 *     per size: wall seconds, peak RSS and microseconds per record at 50k, 200k and 500k
 *     (SIMLAB_BENCH_SCALE_SIZES=50000,200000 picks the sizes; 0 skips the part); then ours on
 *     the constant-density control at the same sizes (vsearch too with
 *     SIMLAB_BENCH_CONTROL_ANCHORS=1).
 * Every tool runs as a child process under /usr/bin/time (wall seconds, peak RSS), from a cold
 * start: our index cache is off (--no-cache). An anchor that is not installed is skipped.
 * SIMLAB_BENCH_THRESHOLDS=0.93,0.97 restricts the thresholds of part 1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { genusOf16S } from '../server/engine/data/labels';
import { evaluateClustering } from '../server/engine/eval/clustering';
import { median, row, skippedRow, type BenchContext, type BenchRow } from './harness';
import { writeAlphabetWorlds, writeScaledAmplicons } from './scaledAmplicons';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');

export interface Run {
  seconds: number;
  /** User + system CPU seconds. */
  cpuSeconds: number;
  peakMB: number;
  /** What the command wrote to stderr (our summary line). */
  stderr?: string;
}

/** Runs a command under /usr/bin/time; throws with its stderr when it fails. */
export function timed(cmd: string, args: string[]): Run {
  const useTime = existsSync('/usr/bin/time');
  const r = useTime
    ? spawnSync('/usr/bin/time', ['-f', 'SIMLAB_TIME %e %M %U %S', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 })
    : spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const m = /SIMLAB_TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (!m) return { seconds: NaN, cpuSeconds: NaN, peakMB: NaN, stderr: r.stderr };
  return { seconds: Number(m[1]), cpuSeconds: Number(m[3]) + Number(m[4]), peakMB: Number(m[2]) / 1024, stderr: r.stderr };
}

export function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/** record id → genus, in file order. */
export function genusLabels(fasta: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(fasta, 'utf8').split('\n')) {
    if (!line.startsWith('>')) continue;
    const header = line.slice(1).trimEnd();
    out.set(header.split(/\s/)[0] ?? '', genusOf16S(header) ?? '');
  }
  return out;
}

export function readOurTsv(file: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
    const [id, c] = line.split('\t');
    m.set(id as string, c as string);
  }
  return m;
}

/** vsearch --uc: S (centroid) and H (hit) lines; column 2 = cluster, column 9 = the query label. */
export function readUc(file: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const f = line.split('\t');
    if (f[0] === 'S' || f[0] === 'H') m.set((f[8] as string).split(/\s/)[0] as string, f[1] as string);
  }
  return m;
}

/** cd-hit .clstr: ">Cluster N" then member lines "0\t1500nt, >ID... *". */
function readClstr(file: string): Map<string, string> {
  const m = new Map<string, string>();
  let cluster = '';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('>Cluster')) cluster = line.slice(9).trim();
    else {
      const id = />(.+?)\.\.\./.exec(line);
      if (id) m.set(id[1] as string, cluster);
    }
  }
  return m;
}

export function score(truth: Map<string, string>, predicted: Map<string, string>): { ari: number; nmi: number; clusters: number } {
  const ids = [...truth.keys()];
  const missing = ids.filter((id) => !predicted.has(id));
  if (missing.length) throw new Error(`clustering lacks ${missing.length} records, e.g. ${missing[0]}`);
  const s = evaluateClustering(ids.map((id) => truth.get(id) as string), ids.map((id) => predicted.get(id) as string));
  return { ari: s.ari, nmi: s.nmi, clusters: s.clusters };
}

/** cd-hit-est's word size for an identity threshold (its documented table). */
function cdhitWord(t: number): string {
  return t >= 0.95 ? '10' : t >= 0.9 ? '8' : t >= 0.88 ? '7' : t >= 0.85 ? '6' : '5';
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const tmp = mkdtempSync(path.join(tmpdir(), 'simlab-bench-'));
  try {
    const gold = path.join(ctx.sharedData, 'dna', 'rRNA16S.gold.fasta');
    if (!existsSync(gold)) rows.push(skippedRow('16S gold', 'ARI', 'vsearch', `${gold} not found`));
    else rows.push(...gold16S(ctx, gold, tmp));
    const biomarks = path.join(ctx.sharedData, 'dna', 'BioMarKs50k.fsa.gz');
    if (!existsSync(biomarks)) rows.push(skippedRow('BioMarKs50k 97%', 'seconds', 'cd-hit-est', `${biomarks} not found`, false));
    else rows.push(...bioMarks(ctx, biomarks, tmp));
    if (existsSync(gold)) rows.push(...exactVsLsh(ctx, gold, tmp));
    if (existsSync(biomarks)) rows.push(...(await scaling(ctx, biomarks, tmp)));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return rows;
}

function gold16S(ctx: BenchContext, gold: string, tmp: string): BenchRow[] {
  const rows: BenchRow[] = [];
  const truth = genusLabels(gold);
  const thresholds = (process.env.SIMLAB_BENCH_THRESHOLDS ?? '0.93,0.95,0.97').split(',').map(Number);
  const hasVsearch = has('vsearch');
  const hasCdhit = has('cd-hit-est');
  for (const t of thresholds) {
    const bench = `16S gold @${t}`;
    ctx.log(`${bench}: simlab cluster …`);
    const ourTsv = path.join(tmp, `ours-${t}.tsv`);
    const ours = timed(process.execPath, [cli, 'cluster', gold, '--threshold', String(t), '--no-cache', '--out', ourTsv]);
    const o = score(truth, readOurTsv(ourTsv));
    let vs: (Run & { ari: number; nmi: number }) | undefined;
    if (hasVsearch) {
      ctx.log(`${bench}: vsearch --cluster_fast …`);
      const uc = path.join(tmp, `vsearch-${t}.uc`);
      const r = timed('vsearch', ['--cluster_fast', gold, '--id', String(t), '--threads', '2', '--uc', uc, '--quiet']);
      vs = { ...r, ...score(truth, readUc(uc)) };
    }
    let cd: (Run & { ari: number; nmi: number }) | undefined;
    if (hasCdhit) {
      ctx.log(`${bench}: cd-hit-est …`);
      const out = path.join(tmp, `cdhit-${t}`);
      const r = timed('cd-hit-est', ['-i', gold, '-o', out, '-c', String(t), '-n', cdhitWord(t), '-T', '2', '-M', '0', '-d', '0']);
      cd = { ...r, ...score(truth, readClstr(`${out}.clstr`)) };
    }
    const note = `ours: ${o.clusters} clusters`;
    for (const [metric, ourValue, key] of [['ARI vs genus', o.ari, 'ari'], ['NMI vs genus', o.nmi, 'nmi']] as const) {
      const target = t === 0.93 ? (key === 'ari' ? 'ours ≥ 0.60' : 'ours ≥ 0.91') : undefined;
      if (vs) rows.push(row({ bench, metric, ours: ourValue, anchor: vs[key], anchorName: 'vsearch', higherIsBetter: true, ...(target ? { target: '≥ 1×' } : {}), note: target ? `${target}; ${note}` : note }));
      else rows.push(skippedRow(bench, metric, 'vsearch', 'vsearch not installed (apt-get install vsearch)'));
      if (cd) rows.push(row({ bench, metric, ours: ourValue, anchor: cd[key], anchorName: 'cd-hit-est', higherIsBetter: true }));
    }
    if (vs) rows.push(row({ bench, metric: 'wall seconds', ours: ours.seconds, anchor: vs.seconds, anchorName: 'vsearch', higherIsBetter: false, target: '≥ 2×' }));
    if (cd) rows.push(row({ bench, metric: 'wall seconds', ours: ours.seconds, anchor: cd.seconds, anchorName: 'cd-hit-est', higherIsBetter: false }));
  }
  return rows;
}

/** Medians of several runs, and the runs' wall seconds for the note. */
function medians(runs: readonly Run[]): Run & { walls: string } {
  return {
    seconds: median(runs.map((r) => r.seconds)),
    cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
    peakMB: median(runs.map((r) => r.peakMB)),
    walls: runs.map((r) => r.seconds.toFixed(1)).join(', '),
  };
}

function bioMarks(ctx: BenchContext, file: string, tmp: string): BenchRow[] {
  const bench = 'BioMarKs50k @0.97';
  const rows: BenchRow[] = [];
  const repeats = Math.max(1, Number(process.env.SIMLAB_BENCH_REPEATS ?? 3));
  const hasCdhit = has('cd-hit-est');
  const hasVsearch = has('vsearch');
  // cd-hit-est reads plain FASTA only.
  const plain = path.join(tmp, 'bmk.fasta');
  if (hasCdhit) spawnSync('sh', ['-c', `gzip -dc '${file}' > '${plain}'`]);
  const ours: Run[] = [];
  const cdhit: Run[] = [];
  const vsearch: Run[] = [];
  // Interleaved, so that a burst of load on the shared machine hits every tool alike.
  for (let r = 1; r <= repeats; r++) {
    ctx.log(`${bench}: round ${r}/${repeats}: simlab cluster …`);
    ours.push(timed(process.execPath, [cli, 'cluster', file, '--threshold', '0.97', '--no-cache', '--out', path.join(tmp, 'bmk.tsv')]));
    if (hasCdhit) {
      ctx.log(`${bench}: round ${r}/${repeats}: cd-hit-est …`);
      cdhit.push(timed('cd-hit-est', ['-i', plain, '-o', path.join(tmp, 'bmk-cdhit'), '-c', '0.97', '-n', '10', '-T', '2', '-M', '0', '-d', '0']));
    }
    if (hasVsearch) {
      ctx.log(`${bench}: round ${r}/${repeats}: vsearch …`);
      vsearch.push(timed('vsearch', ['--cluster_fast', file, '--id', '0.97', '--threads', '2', '--uc', path.join(tmp, 'bmk.uc'), '--quiet']));
    }
  }
  const o = medians(ours);
  const clusters = new Set(readOurTsv(path.join(tmp, 'bmk.tsv')).values()).size;
  const runs = `medians of ${repeats} interleaved runs; ours ${o.walls} s`;
  if (hasCdhit) {
    const cd = medians(cdhit);
    rows.push(row({ bench, metric: 'wall seconds', ours: o.seconds, anchor: cd.seconds, anchorName: 'cd-hit-est', higherIsBetter: false, target: '≥ 1×', note: `${runs}, cd-hit-est ${cd.walls} s; ours: ${clusters} clusters incl. noise label` }));
    rows.push(row({ bench, metric: 'CPU seconds', ours: o.cpuSeconds, anchor: cd.cpuSeconds, anchorName: 'cd-hit-est', higherIsBetter: false, note: 'user + system, both on 2 threads' }));
    rows.push(row({ bench, metric: 'peak MB', ours: o.peakMB, anchor: cd.peakMB, anchorName: 'cd-hit-est', higherIsBetter: false, note: `target ours ≤ 200 MB (issue 18): ${o.peakMB <= 200 ? 'met' : 'not met'}; runs ${ours.map((r) => r.peakMB.toFixed(0)).join('/')} MB` }));
  } else rows.push(skippedRow(bench, 'wall seconds', 'cd-hit-est', 'cd-hit not installed (apt-get install cd-hit)', false));
  if (hasVsearch) {
    const vs = medians(vsearch);
    rows.push(row({ bench, metric: 'wall seconds', ours: o.seconds, anchor: vs.seconds, anchorName: 'vsearch', higherIsBetter: false, note: `vsearch ${vs.walls} s` }));
    rows.push(row({ bench, metric: 'CPU seconds', ours: o.cpuSeconds, anchor: vs.cpuSeconds, anchorName: 'vsearch', higherIsBetter: false }));
    rows.push(row({ bench, metric: 'peak MB', ours: o.peakMB, anchor: vs.peakMB, anchorName: 'vsearch', higherIsBetter: false }));
  }
  return rows;
}

function exactVsLsh(ctx: BenchContext, gold: string, tmp: string): BenchRow[] {
  const bench = '16S first 500: exact matrix vs LSH';
  ctx.log(`${bench} …`);
  const exact = timed(process.execPath, [cli, 'cluster', gold, '--limit', '500', '--exact', '--mutual-k', '0', '--no-cache', '--out', path.join(tmp, 'exact.tsv')]);
  const lsh = timed(process.execPath, [cli, 'cluster', gold, '--limit', '500', '--mutual-k', '0', '--max-candidates', '0', '--no-cache', '--out', path.join(tmp, 'lsh.tsv')]);
  const a = readOurTsv(path.join(tmp, 'exact.tsv'));
  const b = readOurTsv(path.join(tmp, 'lsh.tsv'));
  const ids = [...a.keys()];
  // Noise (-1) is a singleton in both labelings, so the comparison is symmetric.
  const label = (m: Map<string, string>, id: string) => (m.get(id) === '-1' ? `noise:${id}` : (m.get(id) as string));
  const agreement = evaluateClustering(ids.map((id) => label(a, id)), ids.map((id) => label(b, id))).ari;
  return [
    row({ bench, metric: 'wall seconds', ours: lsh.seconds, anchor: exact.seconds, anchorName: 'exact matrix (ours)', higherIsBetter: false, note: `ARI(exact, LSH) = ${agreement.toFixed(3)}; the matrix grows as n²: 5,181 records need 51 MiB and 124 k alignments × 27, 50,000 need 4.7 GiB` }),
  ];
}

/**
 * Part 4: time and peak memory as n grows, the three tools side by side on each size (one run
 * each: a 500,000-record run of every tool is minutes). Targets: at 500k ≤ 1.5 × vsearch's
 * time and ≤ 2 GB; the cost per record flat in n (ours at 500k against ours at 50k). Then the
 * control (the real set in n / 50,000 alphabets), where the neighbours of a record stay the same
 * as n grows: what growth is left there is n's own.
 */
export async function scaling(ctx: BenchContext, biomarks: string, tmp: string): Promise<BenchRow[]> {
  const sizes = (process.env.SIMLAB_BENCH_SCALE_SIZES ?? '50000,200000,500000').split(',').map(Number).filter((n) => n > 0);
  const rows: BenchRow[] = [];
  const hasCdhit = has('cd-hit-est');
  const hasVsearch = has('vsearch');
  const perRecord: PerRecord[] = [];
  for (const n of sizes) {
    const bench = `BioMarKs scaled to ${n / 1000}k @0.97`;
    const file = path.join(tmp, `scaled-${n}.fasta`);
    ctx.log(`${bench}: writing the set …`);
    await writeScaledAmplicons(biomarks, file, n);
    ctx.log(`${bench}: simlab cluster …`);
    const out = path.join(tmp, `scaled-${n}.tsv`);
    const ours = timed(process.execPath, [cli, 'cluster', file, '--threshold', '0.97', '--no-cache', '--out', out]);
    const clusters = new Set(readOurTsv(out).values()).size;
    rmSync(out, { force: true });
    const us = (ours.seconds / n) * 1e6;
    // Verified links (pairs at ≥ 0.97) per record, from the summary line: the copies make every
    // record's true neighbours grow with n, and the work of select and verify with them.
    const linked = Number(/(\d+) linked/u.exec(ours.stderr ?? '')?.[1] ?? Number.NaN);
    const candidates = Number(/(\d+) candidates/u.exec(ours.stderr ?? '')?.[1] ?? Number.NaN);
    perRecord.push({ n, us, mb: ours.peakMB, candidates });
    const note = `ours ${ours.seconds.toFixed(1)} s, ${ours.peakMB.toFixed(0)} MB, ${us.toFixed(0)} µs/record, ${(linked / n).toFixed(1)} links/record, ${(candidates / n).toFixed(0)} LSH candidates/record, CPU ${ours.cpuSeconds.toFixed(1)} s; ${clusters} clusters incl. noise label`;
    if (hasVsearch) {
      ctx.log(`${bench}: vsearch …`);
      const vs = timed('vsearch', ['--cluster_fast', file, '--id', '0.97', '--threads', '2', '--uc', path.join(tmp, 'scaled.uc'), '--quiet']);
      rows.push(row({ bench, metric: 'wall seconds', ours: ours.seconds, anchor: vs.seconds, anchorName: 'vsearch', higherIsBetter: false, target: '≥ 0.67× (≤ 1.5 × vsearch)', note: `${note}; vsearch ${(vs.seconds / n * 1e6).toFixed(0)} µs/record` }));
      rows.push(row({ bench, metric: 'peak MB', ours: ours.peakMB, anchor: vs.peakMB, anchorName: 'vsearch', higherIsBetter: false, note: n >= 500_000 ? 'target: ours ≤ 2048 MB' : n <= 50_000 ? 'target: ours ≤ 200 MB' : '' }));
    } else rows.push(skippedRow(bench, 'wall seconds', 'vsearch', 'vsearch not installed (apt-get install vsearch)', false));
    if (hasCdhit) {
      ctx.log(`${bench}: cd-hit-est …`);
      const cd = timed('cd-hit-est', ['-i', file, '-o', path.join(tmp, 'scaled-cdhit'), '-c', '0.97', '-n', '10', '-T', '2', '-M', '0', '-d', '0']);
      rows.push(row({ bench, metric: 'wall seconds', ours: ours.seconds, anchor: cd.seconds, anchorName: 'cd-hit-est', higherIsBetter: false, note: `cd-hit-est ${(cd.seconds / n * 1e6).toFixed(0)} µs/record` }));
      rows.push(row({ bench, metric: 'peak MB', ours: ours.peakMB, anchor: cd.peakMB, anchorName: 'cd-hit-est', higherIsBetter: false }));
    }
    rmSync(file, { force: true });
  }
  // Flat cost per record: ours at each larger n against ours at the smallest (ratio ≥ 1 = no worse per record).
  rows.push(...perRecordRows('BioMarKs scaled', perRecord, '≥ 1× (flat)'));
  // The control: the real set in as many alphabets as n needs (scaledAmplicons.ts
  // writeAlphabetWorlds), so every record has the same neighbours at every n — where the scaled
  // set multiplies them. What growth is left there is n's own. vsearch beside it with
  // SIMLAB_BENCH_CONTROL_ANCHORS=1 (its centroid search grows with the clusters, so it is minutes at 500k).
  const worlds: PerRecord[] = [];
  const controlAnchors = process.env.SIMLAB_BENCH_CONTROL_ANCHORS === '1' && hasVsearch;
  const vsearchWorlds: PerRecord[] = [];
  for (const n of sizes) {
    const file = path.join(tmp, `worlds-${n}.fasta`);
    const alphabets = Math.ceil(n / 50_000);
    const bench = `BioMarKs in ${alphabets} alphabet${alphabets === 1 ? '' : 's'}, ${n / 1000}k @0.97 (control)`;
    ctx.log(`${bench}: writing the set, simlab cluster …`);
    await writeAlphabetWorlds(biomarks, file, n);
    const ours = timed(process.execPath, [cli, 'cluster', file, '--threshold', '0.97', '--no-cache', '--out', path.join(tmp, 'worlds.tsv')]);
    const candidates = Number(/(\d+) candidates/u.exec(ours.stderr ?? '')?.[1] ?? Number.NaN);
    worlds.push({ n, us: (ours.seconds / n) * 1e6, mb: ours.peakMB, candidates });
    if (controlAnchors) {
      ctx.log(`${bench}: vsearch …`);
      const vs = timed('vsearch', ['--cluster_fast', file, '--id', '0.97', '--threads', '2', '--uc', path.join(tmp, 'worlds.uc'), '--quiet']);
      vsearchWorlds.push({ n, us: (vs.seconds / n) * 1e6, mb: vs.peakMB, candidates: Number.NaN });
      rows.push(row({ bench, metric: 'wall seconds', ours: ours.seconds, anchor: vs.seconds, anchorName: 'vsearch', higherIsBetter: false, note: `ours ${ours.peakMB.toFixed(0)} MB, vsearch ${vs.peakMB.toFixed(0)} MB` }));
    }
    rmSync(file, { force: true });
    rmSync(path.join(tmp, 'worlds.tsv'), { force: true });
    rmSync(path.join(tmp, 'worlds.uc'), { force: true });
  }
  rows.push(...perRecordRows('BioMarKs in alphabets (control)', worlds, '≥ 1× (flat)'));
  if (controlAnchors) rows.push(...perRecordRows('vsearch, BioMarKs in alphabets (control)', vsearchWorlds, undefined));
  return rows;
}

type PerRecord = { n: number; us: number; mb: number; candidates: number };

/** µs per record at each larger n against the smallest n of the same kind of set. */
function perRecordRows(name: string, sizes: PerRecord[], target: string | undefined): BenchRow[] {
  const first = sizes[0];
  if (!first) return [];
  return sizes.slice(1).map((p) =>
    row({ bench: `${name} ${first.n / 1000}k → ${p.n / 1000}k`, metric: 'µs per record', ours: p.us, anchor: first.us, anchorName: `ours at ${first.n / 1000}k`, higherIsBetter: false, ...(target ? { target } : {}), note: `${first.us.toFixed(0)} → ${p.us.toFixed(0)} µs/record; peak ${first.mb.toFixed(0)} → ${p.mb.toFixed(0)} MB (${((p.mb / first.mb) * (first.n / p.n)).toFixed(2)}× per record)${Number.isFinite(p.candidates) ? `; LSH candidates per record ${(first.candidates / first.n).toFixed(0)} → ${(p.candidates / p.n).toFixed(0)}, wall per candidate ${((first.us * first.n) / first.candidates * 1000).toFixed(0)} → ${((p.us * p.n) / p.candidates * 1000).toFixed(0)} ns` : ''}` }),
  );
}
