// `npm run fuzz`: the reader fuzz tests (test/unit/fuzz) with many more inputs than `npm test`
// runs, and a new seed each time (printed, to replay a failure: SIMLAB_FUZZ_SEED=<seed>).
//   npm run fuzz                      5,000 inputs per reader, a random seed
//   SIMLAB_FUZZ_RUNS=N SIMLAB_FUZZ_SEED=S npm run fuzz
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const dir = path.join(here, '..', 'test', 'unit', 'fuzz');
const files = readdirSync(dir).filter((f) => f.endsWith('.test.ts')).map((f) => path.join(dir, f));
const runs = process.env.SIMLAB_FUZZ_RUNS ?? '5000';
const seed = process.env.SIMLAB_FUZZ_SEED ?? String(Math.floor(Math.random() * 2 ** 31));
console.log(`fuzzing the readers: ${runs} inputs each, seed ${seed} (replay: SIMLAB_FUZZ_SEED=${seed} SIMLAB_FUZZ_RUNS=${runs} npm run fuzz)`);
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-force-exit', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: '', SIMLAB_FUZZ_RUNS: runs, SIMLAB_FUZZ_SEED: seed },
});
process.exit(r.status ?? 1);
