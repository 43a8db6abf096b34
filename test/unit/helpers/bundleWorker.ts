/**
 * A test's pool worker: worker sources bundled by esbuild into one plain CommonJS file (the pool's
 * threads then need not load tsx, which the test process runs under), in a fresh folder that the
 * caller removes. `source`: an entry file, or the contents of an entry module that lives in
 * server/worker (`import { serveTasks } from './workerRuntime'; …`). `underNodeModules`: the
 * folder is made under node_modules/.cache, so that the bundle resolves
 * @tensorflow/tfjs-backend-wasm's binaries and runs the GEMM path (from the system temp folder it
 * would fall back to the plain tiles).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, '../../..');

export async function bundleTestWorker(source: { entry: string } | { contents: string }, options: { prefix: string; underNodeModules?: boolean }): Promise<{ dir: string; workerFile: string }> {
  const base = options.underNodeModules ? path.join(ROOT, 'node_modules/.cache') : os.tmpdir();
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(path.join(base, options.prefix));
  const workerFile = path.join(dir, 'worker.js');
  await build({
    ...('entry' in source ? { entryPoints: [source.entry] } : { stdin: { contents: source.contents, resolveDir: path.join(ROOT, 'server/worker'), loader: 'ts' as const } }),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: workerFile,
    logLevel: 'error',
  });
  return { dir, workerFile };
}
