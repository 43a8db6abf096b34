/**
 * `npm run bench`: runs every bench/*.bench.ts in turn (optionally only those whose name contains
 * one of the command-line words), prints one table of our figure, the anchor's figure and the
 * ratio, and writes .bench/results.json. A bench that throws fails the run (exit code 1).
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchContext, BenchRow } from './harness';

type BenchModule = { run?: (ctx: BenchContext) => Promise<BenchRow[]> };

const root = path.resolve(__dirname, '..');

function fmt(v: number | null, digits = 3): string {
  if (v === null || !Number.isFinite(v)) return '—';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return Number(v.toPrecision(digits)).toString();
}

/** "met?" from a target like "≥ 1.5×" (ratio at least) or "≤ 0.5×" (ratio at most). */
function met(r: BenchRow): string {
  if (!r.target || r.ratio === null) return '—';
  const m = /([<>≤≥]=?)\s*([\d.]+)/.exec(r.target);
  if (!m) return '—';
  const goal = Number(m[2]);
  const ok = m[1].startsWith('≤') || m[1].startsWith('<') ? r.ratio <= goal : r.ratio >= goal;
  return ok ? 'yes' : 'NO';
}

function table(rows: BenchRow[]): string {
  const head = ['bench', 'metric', 'ours', 'anchor', 'ratio', 'target', 'met?', 'note'];
  const body = rows.map((r) => [
    r.bench,
    r.metric,
    fmt(r.ours),
    r.anchor === null ? '—' : `${fmt(r.anchor)} (${r.anchorName})`,
    r.ratio === null ? '—' : `${fmt(r.ratio)}×`,
    r.target ?? '',
    met(r),
    r.note ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const dir = path.join(root, 'bench');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
    .sort();
  const ctx: BenchContext = {
    // SIMLAB_SHARED_DATA: the data folder when the checkout is not beside it (a worktree).
    sharedData: process.env.SIMLAB_SHARED_DATA ?? path.resolve(root, '..', 'shared', 'data'),
    log: (msg) => console.error(msg),
  };
  const rows: BenchRow[] = [];
  let failed = false;
  for (const f of files) {
    const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as BenchModule & { default?: BenchModule };
    const run = mod.run ?? mod.default?.run;
    if (!run) {
      console.error(`${f}: exports no run(ctx)`);
      failed = true;
      continue;
    }
    try {
      rows.push(...(await run(ctx)));
    } catch (e) {
      console.error(`${f}: FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      failed = true;
    }
  }
  console.log(table(rows));
  mkdirSync(path.join(root, '.bench'), { recursive: true });
  const out = { date: new Date().toISOString(), node: process.version, cpus: (await import('node:os')).cpus().length, rows };
  writeFileSync(path.join(root, '.bench', 'results.json'), JSON.stringify(out, null, 2) + '\n');
  if (failed) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
