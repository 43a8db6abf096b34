/**
 * initBackend: which TensorFlow.js backend is chosen for each preference, and why, when
 * tfjs-node is absent (as here: its install needs the network), present, or broken, and when
 * the wasm binaries cannot be found.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, wasmBinaryDirs } from '../../../server/engine/models/backend';

// The cpu backend's own conv2d gradient kernels, before initBackend('cpu') replaces them.
const cpuOriginals = {
  filter: tf.getKernel('Conv2DBackpropFilter', 'cpu'),
  input: tf.getKernel('Conv2DBackpropInput', 'cpu'),
};

function logger(): { lines: string[]; log: (m: string) => void } {
  const lines: string[] = [];
  return { lines, log: (m) => lines.push(m) };
}

void describe('initBackend', () => {
  afterEach(() => {
    if (tf.findBackend('tensorflow')) tf.removeBackend('tensorflow');
  });

  void it("'node' without tfjs-node installed falls back to wasm, saying why, once in the log", async () => {
    const { lines, log } = logger();
    const choice = await initBackend('node', log);
    assert.equal(choice.backend, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.match(choice.reason, /because @tensorflow\/tfjs-node is not installed \(Cannot find module '@tensorflow\/tfjs-node'/);
    assert.equal(choice.simd, true);
    assert.ok(choice.kernels?.registered.includes('Conv2DBackpropFilter'));
    assert.deepEqual(lines, [`TensorFlow.js backend: ${choice.reason}`]);
  });

  void it('is idempotent: calls with the same preference share one selection and log once', async () => {
    const { lines, log } = logger();
    const [a, b] = await Promise.all([initBackend('auto', log), initBackend('auto', log)]);
    assert.equal(a, b);
    assert.equal(await initBackend('auto', log), a);
    assert.equal(a.backend, 'wasm');
    assert.equal(lines.length, 1);
  });

  void it('says so when tfjs-node fails to load or registers no backend', async () => {
    const failing = await initBackend('node', undefined, {
      loadNodeBinding: () => {
        throw new Error('libtensorflow.so.2: cannot open shared object file');
      },
    });
    assert.equal(failing.backend, 'wasm');
    assert.match(failing.reason, /tfjs-node is not installed \(libtensorflow\.so\.2: cannot open shared object file\)/);
    const empty = await initBackend('auto', undefined, { loadNodeBinding: () => ({}) });
    assert.equal(empty.backend, 'wasm');
    assert.match(empty.reason, /loaded but registered no 'tensorflow' backend/);
  });

  void it("uses tfjs-node's 'tensorflow' backend when loading it registers one", async () => {
    const cpuFactory = tf.findBackendFactory('cpu');
    assert.ok(cpuFactory);
    const choice = await initBackend('auto', undefined, { loadNodeBinding: () => tf.registerBackend('tensorflow', cpuFactory) });
    assert.equal(choice.backend, 'tensorflow');
    assert.equal(tf.getBackend(), 'tensorflow');
    assert.match(choice.reason, /tfjs-node \(native TensorFlow\)/);
    await tf.setBackend('wasm');
  });

  void it("'cpu' uses cpu; 'wasm' without its binaries falls back to cpu naming where it looked", async () => {
    const cpu = await initBackend('cpu');
    assert.equal(cpu.backend, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.match(cpu.reason, /as asked/);
    const missing = await initBackend('wasm', undefined, { wasmDirs: ['/nonexistent/dist'] });
    assert.equal(missing.backend, 'cpu');
    assert.match(missing.reason, /tfjs-backend-wasm-simd\.wasm\) are in none of \/nonexistent\/dist/);
    assert.equal((await initBackend('wasm')).backend, 'wasm', 'found again with the default folders');
  });

  void it("on cpu, our conv2d gradient kernels give the cpu backend's own kernels' values", async () => {
    const choice = await initBackend('cpu');
    assert.deepEqual(choice.kernels?.replaced, ['Conv2DBackpropFilter', 'Conv2DBackpropInput']);
    assert.ok(cpuOriginals.filter && cpuOriginals.input);
    for (const [stride, pad] of [[1, 'same'], [2, 'valid'], [2, 'same'], [3, 'valid']] as const) {
      const x = tf.tensor4d(Float32Array.from({ length: 2 * 9 * 8 * 3 }, (_, i) => Math.sin(i * 1.3)), [2, 9, 8, 3]);
      const f = tf.tensor4d(Float32Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i * 0.7)), [3, 3, 3, 4]);
      const y = tf.conv2d(x, f, stride, pad);
      const dy = tf.tensor4d(Float32Array.from({ length: y.size }, (_, i) => Math.sin(i * 0.37)), y.shape);
      const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad).mul(dy).sum())([x, f]);
      const attrs = { strides: stride, pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
      const run = (k: tf.KernelConfig, inputs: tf.NamedTensorInfoMap, extra: object): tf.Tensor =>
        tf.engine().makeTensorFromTensorInfo(k.kernelFunc({ inputs, backend: tf.backend(), attrs: { ...attrs, ...extra } as unknown as tf.NamedAttrMap }) as tf.TensorInfo);
      const refF = run(cpuOriginals.filter, { x, dy }, { filterShape: f.shape });
      const refX = run(cpuOriginals.input, { dy, filter: f }, { inputShape: x.shape });
      const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number;
      assert.ok(maxDiff(gf as tf.Tensor, refF) < 1e-4, `filter gradient, stride ${stride} ${pad}`);
      assert.ok(maxDiff(gx as tf.Tensor, refX) < 1e-4, `input gradient, stride ${stride} ${pad}`);
    }
    await initBackend('wasm');
  });

  void it('looks for the wasm binaries beside the bundle first, then in node_modules', () => {
    const dirs = wasmBinaryDirs();
    assert.match(dirs[0] as string, /server[\\/]engine[\\/]models$/);
    assert.match(dirs[1] as string, /node_modules[\\/]@tensorflow[\\/]tfjs-backend-wasm[\\/]dist$/);
  });

  void it('rejects an unknown preference', async () => {
    await assert.rejects(initBackend('gpu' as never), /unknown preference 'gpu'/);
  });
});
