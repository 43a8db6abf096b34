// Runs the test tiers with node's test runner (TypeScript through tsx).
//   node test/run.mjs            every tier (unit, server, then any others present)
//   node test/run.mjs unit       one tier
// Tiers are folders of test/ holding *.test.ts files; test/fixtures is data, not tests.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';

const ORDER = ['unit', 'server', 'webviews', 'e2e'];
// The e2e tier drives a whole VS Code UI (code-server + chromium) whose timing on a shared CI
// machine we do not control: one failed run is run once more, in full, from a fresh code-server.
// CI once failed there (two Problems-panel waits) where 10 runs here passed; a failure prints the
// extension's log and the panel, so a real fault still shows, and fails both runs.
const RETRIES = { e2e: 1 };
const here = path.dirname(new URL(import.meta.url).pathname);

function findTests(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTests(p));
    else if (entry.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

const asked = process.argv.slice(2);
const tiers = asked.length ? asked : ORDER.filter((t) => existsSync(path.join(here, t)) && statSync(path.join(here, t)).isDirectory());
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
// One node --test run per tier, in order: the server tier measures hover latency and the e2e tier
// runs code-server + chromium; overlapping them would make both timing-sensitive tiers flaky.
let failed = false;
for (const tier of tiers) {
  const dir = path.join(here, tier);
  if (!existsSync(dir)) throw new Error(`no test tier ${tier} (${dir})`);
  const files = findTests(dir);
  if (files.length === 0) continue;
  const started = Date.now();
  // --test-force-exit: a test file whose tests all finished must not hang the run on a stray
  // handle (seen ~1 run in 8 after the server tier's SIGKILL tests, cause not yet found).
  const run = () =>
    spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-force-exit', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {
      stdio: 'inherit',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
  let r = run();
  for (let again = 1; r.status !== 0 && again <= (RETRIES[tier] ?? 0); again++) {
    console.log(`== tier ${tier}: FAILED (printed above); running it again (${again}/${RETRIES[tier]}), it passes only if this run passes`);
    r = run();
  }
  console.log(`== tier ${tier}: ${r.status === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (r.status !== 0) failed = true;
}
if (tiers.every((t) => findTests(path.join(here, t)).length === 0)) {
  console.error('no test files found');
  process.exit(1);
}
process.exit(failed ? 1 : 0);
