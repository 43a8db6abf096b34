/** What the kernel tests share: running ops on a chosen tfjs backend, and comparing arrays within a tolerance. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';

export type Backend = 'cpu' | 'wasm';

/** Runs fn on a backend and returns its outputs as plain arrays (inputs are made from plain arrays inside fn). */
export async function on(backend: Backend, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(fn);
  const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(outs);
  return values;
}

/** Every value within `tol` of the expected one, relative for values above 1 in size; names the first that is not. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number;
    const a = actual[i] as number;
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) assert.fail(`${what}: [${i}] ${a}, expected ${e}`);
  }
}
