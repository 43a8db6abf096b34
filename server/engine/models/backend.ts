/**
 * Chooses the TensorFlow.js backend model training runs on, once per process:
 *
 * 1. `tensorflow` from `@tensorflow/tfjs-node` (native libtensorflow) when it is installed — an
 *    optional dependency whose install downloads libtensorflow, so often absent; loaded with a
 *    guarded require that esbuild leaves external;
 * 2. `wasm` from `@tensorflow/tfjs-backend-wasm` (SIMD, single-threaded under Node), with our
 *    training kernels registered (wasmKernels.ts); its .wasm binaries are found beside the
 *    bundle (dist/, where esbuild.mjs copies them) or in node_modules;
 * 3. `cpu`, the plain-JavaScript backend, always there, with our conv2d gradient kernels (its
 *    own take minutes a step); still far slower than wasm to train.
 *
 * `initBackend` returns which backend is in use and why, and logs it.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { registerCpuTrainingKernels, registerWasmTrainingKernels, type WasmKernelReport } from './wasmKernels';
import { BACKEND_PREFERENCES, type BackendPreference } from './choices';
export { BACKEND_PREFERENCES, type BackendPreference };

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendChoice {
  preference: BackendPreference;
  backend: BackendName;
  /** Why this backend: what was tried before it and why that failed. */
  reason: string;
  /** wasm only: whether the SIMD binary is in use, and the folder it came from. */
  simd?: boolean;
  wasmDir?: string;
  /** The kernels we registered for this backend (wasmKernels.ts); none for tfjs-node. */
  kernels?: WasmKernelReport;
}

export interface BackendOptions {
  /** Folders to look for the wasm binaries in; default: beside this bundle, then in node_modules. */
  wasmDirs?: string[];
  /** Loads tfjs-node; tests replace it. Default: require('@tensorflow/tfjs-node'). */
  loadNodeBinding?: () => unknown;
}

const WASM_BINARY = 'tfjs-backend-wasm-simd.wasm';
const NODE_PACKAGE = '@tensorflow/tfjs-node';

let current: { choice: BackendChoice; key: string } | null = null;
const loaderIds = new WeakMap<() => unknown, number>();
let nextLoaderId = 1;
let pending: { promise: Promise<BackendChoice>; key: string } | null = null;

function message(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] ?? e.message : String(e);
}

function defaultLoadNodeBinding(): unknown {
  // createRequire keeps the name out of esbuild's static graph; esbuild.mjs also lists it as external.
  return createRequire(__filename)(NODE_PACKAGE);
}

/** The folders that may hold the wasm binaries, in order; the first that has them wins. */
export function wasmBinaryDirs(): string[] {
  const dirs = [__dirname];
  try {
    dirs.push(path.dirname(createRequire(__filename).resolve('@tensorflow/tfjs-backend-wasm')));
  } catch {
    // Bundled without node_modules: only the folder beside the bundle.
  }
  return dirs;
}

async function tryNode(load: () => unknown): Promise<string | null> {
  try {
    load();
  } catch (e) {
    return `${NODE_PACKAGE} is not installed (${message(e)})`;
  }
  if (!tf.findBackend('tensorflow')) return `${NODE_PACKAGE} loaded but registered no 'tensorflow' backend with this copy of tfjs-core`;
  try {
    if (!(await tf.setBackend('tensorflow'))) return `${NODE_PACKAGE}: the 'tensorflow' backend failed to initialise`;
  } catch (e) {
    return `${NODE_PACKAGE}: ${message(e)}`;
  }
  return null;
}

/**
 * Why a wasm backend may not start: tfjs only says it failed. A wasm memory reserves its whole
 * address range (several GiB) up front, which a virtual-memory cap (`ulimit -v`, as HPC login
 * nodes set) refuses; then this names the cause. Empty when a memory can be made.
 */
function wasmMemoryRefused(): string {
  try {
    new WebAssembly.Memory({ initial: 1 });
    return '';
  } catch (e) {
    return ` (this process may not reserve memory for WebAssembly: ${message(e)} — a virtual-memory limit such as \`ulimit -v\`?)`;
  }
}

async function tryWasm(dirs: string[]): Promise<{ dir: string; simd: boolean } | string> {
  const dir = dirs.find((d) => existsSync(path.join(d, WASM_BINARY)));
  if (!dir) return `the wasm binaries (${WASM_BINARY}) are in none of ${dirs.join(', ')}`;
  setWasmPaths(dir.endsWith(path.sep) ? dir : dir + path.sep);
  try {
    if (!(await tf.setBackend('wasm'))) return `the wasm backend failed to initialise from ${dir}${wasmMemoryRefused()}`;
  } catch (e) {
    return `the wasm backend failed to initialise from ${dir}: ${message(e)}${wasmMemoryRefused()}`;
  }
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  return { dir, simd };
}

async function choose(preference: BackendPreference, options: BackendOptions): Promise<BackendChoice> {
  const skipped: string[] = [];
  if (preference === 'auto' || preference === 'node') {
    const why = await tryNode(options.loadNodeBinding ?? defaultLoadNodeBinding);
    if (why === null) return { preference, backend: 'tensorflow', reason: `${NODE_PACKAGE} (native TensorFlow)` };
    skipped.push(why);
  }
  if (preference !== 'cpu') {
    const wasm = await tryWasm(options.wasmDirs ?? wasmBinaryDirs());
    if (typeof wasm !== 'string') {
      const kernels = registerWasmTrainingKernels();
      const simd = wasm.simd ? 'SIMD' : 'no SIMD';
      const what = `wasm (${simd}, 1 thread; our kernels: ${kernels.registered.join(', ')})`;
      return { preference, backend: 'wasm', reason: skipped.length ? `${what}, because ${skipped.join('; ')}` : what, simd: wasm.simd, wasmDir: wasm.dir, kernels };
    }
    skipped.push(wasm);
  }
  if (!(await tf.setBackend('cpu'))) throw new Error(`no TensorFlow.js backend: cpu failed to initialise after: ${skipped.join('; ')}`);
  const kernels = registerCpuTrainingKernels();
  const what = `cpu (plain JavaScript; our kernels: ${kernels.registered.join(', ')})`;
  return { preference, backend: 'cpu', reason: skipped.length ? `${what}, because ${skipped.join('; ')}` : `${what}, as asked`, kernels };
}

/**
 * Selects and initialises the backend for `preference` ('auto': the fastest available); logs
 * and returns the choice. Idempotent: calls with the same preference and options share one
 * selection while its backend is still the active one.
 */
export async function initBackend(preference: BackendPreference = 'auto', log: (msg: string) => void = () => undefined, options: BackendOptions = {}): Promise<BackendChoice> {
  if (!BACKEND_PREFERENCES.includes(preference)) throw new Error(`backend: unknown preference '${String(preference)}' (expected ${BACKEND_PREFERENCES.join(', ')})`);
  const loader = options.loadNodeBinding;
  if (loader && !loaderIds.has(loader)) loaderIds.set(loader, nextLoaderId++);
  const key = JSON.stringify([preference, options.wasmDirs ?? null, loader ? loaderIds.get(loader) : 0]);
  if (current && current.key === key && tf.getBackend() === current.choice.backend) return current.choice;
  if (pending && pending.key === key) return pending.promise;
  const promise = choose(preference, options).then(
    (choice) => {
      current = { choice, key };
      pending = null;
      log(`TensorFlow.js backend: ${choice.reason}`);
      return choice;
    },
    (e: unknown) => {
      pending = null;
      throw e;
    },
  );
  pending = { promise, key };
  return promise;
}
