/**
 * Our SIMD kernels (maxPoolGradSimd.ts, sumRowsSimd.ts) run on the tfjs wasm backend's own
 * memory, so tensors are read and written in place: one instance per backend, made on first use.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The tfjs wasm backend's WebAssembly.Memory, if its Emscripten module exposes it. */
export function wasmMemoryOf(backend: BackendWasm): WebAssembly.Memory | undefined {
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

/** `make` bound to each backend's memory, once per backend; undefined where it cannot run. */
export function perBackendKernel<K>(make: (memory: WebAssembly.Memory) => K | undefined): (backend: BackendWasm) => K | undefined {
  const made = new WeakMap<object, K | null>();
  return (backend) => {
    let k = made.get(backend);
    if (k === undefined) {
      const memory = wasmMemoryOf(backend);
      k = memory ? (make(memory) ?? null) : null;
      made.set(backend, k);
    }
    return k ?? undefined;
  };
}
