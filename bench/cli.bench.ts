/**
 * CLI start-up (issue 13): `simlab compare kitten sitting` as a user runs it, the whole process
 * from spawn to exit, against a fixed target of 0.25 s. Bare `node -e 0` runs interleaved with it
 * (the machine is shared: a noisy moment hurts both alike) and is reported beside it, since no
 * command can start faster than node itself. SIMLAB_BENCH_CLI_RUNS sets the rounds (default 10).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { median, row, skippedRow, type BenchContext, type BenchRow } from './harness';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const BENCH = 'CLI start-up';
const METRIC = '`simlab compare kitten sitting`, whole process, median s';
const TARGET_SECONDS = 0.25;

/** Wall seconds of one child process, spawn to exit; throws with its stderr when it fails. */
function wallSeconds(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return seconds;
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  if (!existsSync(cli)) return [skippedRow(BENCH, METRIC, `target ${TARGET_SECONDS} s`, 'dist/cli.js missing (npm run build)', false)];
  const rounds = Number(process.env.SIMLAB_BENCH_CLI_RUNS ?? 10);
  const compare = [cli, 'compare', 'kitten', 'sitting'];
  const bare = ['-e', '0'];
  // One warm-up of each: the first spawn after a build pays for a cold file cache.
  wallSeconds(compare);
  wallSeconds(bare);
  const ours: number[] = [];
  const node: number[] = [];
  for (let i = 0; i < rounds; i++) {
    ours.push(wallSeconds(compare));
    node.push(wallSeconds(bare));
  }
  const oursMedian = median(ours);
  const nodeMedian = median(node);
  ctx.log(`cli: simlab compare ${oursMedian.toFixed(3)} s, bare node ${nodeMedian.toFixed(3)} s (median of ${rounds})`);
  return [
    row({
      bench: BENCH,
      metric: METRIC,
      ours: oursMedian,
      anchor: TARGET_SECONDS,
      anchorName: `target ${TARGET_SECONDS} s`,
      higherIsBetter: false,
      target: '≥ 1×',
      note: `median of ${rounds}; bare \`node -e 0\` ${nodeMedian.toFixed(3)} s in the same rounds`,
    }),
  ];
}
