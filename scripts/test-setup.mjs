// The first step of `npm test`: makes sure the machine has the Debian packages the test tiers
// need, and installs the missing ones, so that `npm install` then `npm test` is all a new user
// (and CI) runs.
//   chromium     the webview tier and the e2e tier drive it with playwright-core
//                (playwright-core downloads no browser of its own)
//   libkrb5-dev  the e2e tier installs code-server 4.139.1 on its first run; code-server's
//                `kerberos` module builds against these headers (and links libgssapi_krb5)
//   g++, make,   node-gyp builds code-server's native modules (kerberos, node-pty, …) with them
//   python3
//   python3-numpy  the unit tier reads a .npy file that numpy itself wrote (/usr/bin/python3)
// Missing packages are installed with `apt-get update` + `apt-get install -y`: directly as root,
// with sudo when not root; otherwise this fails with the exact command to run.
// `SIMLAB_CHROMIUM=/path` uses another Chromium; `SIMLAB_SKIP_E2E=1` drops what only e2e needs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromiumPath = process.env.SIMLAB_CHROMIUM ?? '/usr/bin/chromium';
const skipE2e = process.env.SIMLAB_SKIP_E2E === '1';

const hasCommand = (name) => spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
const hasDebianPackage = (name) => spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' }).stdout?.includes('install ok installed') ?? false;

/** [package, why, present?] */
const wanted = [
  ['chromium', `the webview and e2e tiers drive ${chromiumPath}`, () => existsSync(chromiumPath)],
  ['python3-numpy', 'the unit tier checks a .npy file written by numpy (/usr/bin/python3)', () => spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0],
  ...(skipE2e
    ? []
    : [
        ['libkrb5-dev', "code-server's kerberos module builds against it (e2e tier)", () => hasDebianPackage('libkrb5-dev')],
        ['g++', "node-gyp compiles code-server's native modules (e2e tier)", () => hasCommand('g++')],
        ['make', "node-gyp compiles code-server's native modules (e2e tier)", () => hasCommand('make')],
        ['python3', "node-gyp runs on python3 (e2e tier)", () => hasCommand('python3')],
      ]),
];

const missing = wanted.filter(([, , present]) => !present());
if (missing.length === 0) {
  console.log(`test setup: ${wanted.map(([name]) => name).join(', ')} present`);
  process.exit(0);
}

const names = missing.map(([name]) => name);
for (const [name, why] of missing) console.log(`test setup: ${name} is missing (${why})`);
const command = `sudo apt-get update && sudo apt-get install -y ${names.join(' ')}`;

const fail = (why) => {
  console.error(`test setup: ${why}\nInstall the missing packages, then run npm test again:\n  ${command}`);
  process.exit(1);
};

if (!hasCommand('apt-get')) fail('no apt-get here (this setup knows Debian and Ubuntu only)');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const prefix = isRoot ? [] : hasCommand('sudo') ? ['sudo'] : undefined;
if (!prefix) fail('not root, and no sudo to install as root');

const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const step = (args) => {
  const [cmd, ...rest] = [...prefix, ...args];
  console.log(`test setup: ${[cmd, ...rest].join(' ')}`);
  const r = spawnSync(cmd, rest, { stdio: 'inherit', env });
  if (r.status !== 0) fail(`${[cmd, ...rest].join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
};
step(['apt-get', 'update', '-qq']);
step(['apt-get', 'install', '-y', '-qq', ...names]);

const still = missing.filter(([, , present]) => !present()).map(([name]) => name);
if (still.length > 0) fail(`still missing after apt-get install: ${still.join(', ')}`);
console.log(`test setup: installed ${names.join(', ')}`);
