// Bundles every entry point of Similarity Lab.
//   node esbuild.mjs               development build (source maps)
//   node esbuild.mjs --production  minified, no source maps (what the .vsix ships)
//   node esbuild.mjs --watch       rebuild on change
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
  outdir: 'dist',
};

/**
 * TensorFlow.js (with its wasm backend: one tfjs-core for both) is a bundle of its own,
 * dist/tfjs.js, that the other node bundles require at run time. Bundled into each of them it
 * was ~4.5 MB of their ~5 MB: a worker thread or the CLI parses its bundle whole, and that source
 * cost ~14 MB RSS per thread (BioMarKs50k clustering: 2 workers and the main thread, ~40 MB)
 * though only training and model embeddings ever run tfjs. Each package is read on its first
 * use (a getter), so loading one does not load the other, as when each was bundled.
 */
const TFJS_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'];
const tfjsBuild = {
  ...common,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outdir: undefined,
  outfile: 'dist/tfjs.js',
  stdin: {
    contents: `module.exports = {\n${TFJS_PACKAGES.map((p) => `  get ${JSON.stringify(p)}() { return require(${JSON.stringify(p)}); },\n`).join('')}};\n`,
    resolveDir: '.',
    sourcefile: 'tfjs-bundle.js',
  },
  external: ['@tensorflow/tfjs-node'],
};

/** In the other node bundles, `@tensorflow/tfjs` and its wasm backend come from dist/tfjs.js (beside them). */
const tfjsFromItsBundle = {
  name: 'tfjs-from-its-bundle',
  setup(build) {
    const filter = new RegExp(`^(${TFJS_PACKAGES.map((p) => p.replace(/[/-]/g, '\\$&')).join('|')})$`);
    build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'tfjs-bundle' }));
    build.onResolve({ filter: /^\.\/tfjs\.js$/, namespace: 'tfjs-bundle' }, () => ({ path: './tfjs.js', external: true }));
    build.onLoad({ filter: /.*/, namespace: 'tfjs-bundle' }, (args) => ({ contents: `module.exports = require('./tfjs.js')[${JSON.stringify(args.path)}];\n`, loader: 'js' }));
  },
};

/** Node bundles: the VS Code client, the analysis host, its worker, and the CLI (light launcher + full). */
const nodeBuild = {
  ...common,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  entryPoints: {
    client: 'client/extension.ts',
    server: 'server/main.ts',
    worker: 'server/worker/main.ts',
    cli: 'server/cli.ts',
    // Every simlab command: cli.js requires it at run time for all but the light ones (server/cli.ts).
    cliFull: 'server/cli/full.ts',
  },
  // `vscode` is provided by the editor; tfjs-node is an optional native addon loaded only if present.
  external: ['vscode', '@tensorflow/tfjs-node'],
  plugins: [tfjsFromItsBundle],
};

/** Browser bundles: one per folder under webviews/ that has a main.ts. */
const webviewEntries = {};
if (existsSync('webviews')) {
  for (const dir of readdirSync('webviews', { withFileTypes: true })) {
    const main = path.join('webviews', dir.name, 'main.ts');
    if (dir.isDirectory() && existsSync(main)) webviewEntries[`webviews/${dir.name}`] = main;
  }
}
const browserBuild = { ...common, platform: 'browser', format: 'iife', target: 'chrome120', entryPoints: webviewEntries };

/** The tfjs wasm backend's binaries go beside the bundles: server/engine/models/backend.ts looks there first. */
function copyWasmBinaries() {
  const from = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
  mkdirSync('dist', { recursive: true });
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) copyFileSync(path.join(from, f), path.join('dist', f));
}

const builds = [tfjsBuild, nodeBuild, ...(Object.keys(webviewEntries).length ? [browserBuild] : [])];

copyWasmBinaries();
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('esbuild: watching for changes');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  if (existsSync('dist/cli.js')) chmodSync('dist/cli.js', 0o755);
}
