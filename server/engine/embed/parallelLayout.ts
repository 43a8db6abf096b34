/**
 * The partitioned layout (layout.ts) shared by several threads over SharedArrayBuffers. The work
 * is a fixed sequence of tasks — for each epoch, phase A of partitions 0..P−1, then phase B of
 * each — numbered g = (2·epoch + phase)·P + p. Every thread runs the same loop: claim the next
 * number (an atomic counter), wait until every task of the earlier phases is done (an atomic
 * count; Atomics.wait), run it, count it done. So any number of threads, from one to P, can
 * share a fit, a thread that starts late (a busy pool) simply finds less to claim, and nothing
 * can deadlock: a thread only ever waits for tasks already claimed by running threads. The map
 * is the one LayoutOptimizer gives in a single thread, bit for bit (layout.ts explains why).
 */
import { layoutPhaseA, layoutPhaseB, type LayoutState } from './layout';

const NEXT = 0;
const DONE = 1;
const STOP = 2;

/** The shared control words of one fit: next task, tasks done, stop flag. */
export function createLayoutControl(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
}

export interface LayoutShareOptions {
  /** After each whole epoch this thread sees completed (only while epochs complete). */
  onEpoch?: (done: number, total: number) => void;
  /** Polled between tasks and while waiting; true stops every thread of the fit. */
  shouldStop?: () => boolean;
  /** Longest single wait before polling shouldStop again (ms); default 50. */
  pollMs?: number;
}

/** Stops every thread of the fit (e.g. when one of them failed: the others would wait for its task). */
export function stopLayout(control: Int32Array): void {
  Atomics.store(control, STOP, 1);
  Atomics.notify(control, DONE);
}

/** Epochs completed so far (by all threads). */
export function epochsDone(state: LayoutState, control: Int32Array): number {
  return Math.floor(Atomics.load(control, DONE) / (2 * state.partitions));
}

/** Runs tasks of the fit until all are done ('done': the map is final) or the fit is stopped ('stopped'). */
export function runLayoutShare(state: LayoutState, control: Int32Array, options: LayoutShareOptions = {}): 'done' | 'stopped' {
  const P = state.partitions;
  const nEpochs = state.params.nEpochs;
  const total = 2 * P * nEpochs;
  const pollMs = options.pollMs ?? 50;
  const stopped = (): boolean => {
    if (Atomics.load(control, STOP) === 1) return true;
    if (options.shouldStop?.()) {
      stopLayout(control);
      return true;
    }
    return false;
  };
  let reported = epochsDone(state, control);
  for (;;) {
    if (stopped()) return 'stopped';
    const g = Atomics.add(control, NEXT, 1);
    if (g >= total) {
      // Nothing left to claim, but other threads may still run the last tasks: 'done' means the
      // map is final (and the last epoch is reported), whichever thread ran the last task.
      for (;;) {
        const done = Atomics.load(control, DONE);
        if (done >= total) break;
        if (stopped()) return 'stopped';
        Atomics.wait(control, DONE, done, pollMs);
      }
      if (nEpochs > reported) options.onEpoch?.(nEpochs, nEpochs);
      return 'done';
    }
    const phase = Math.floor(g / P);
    const p = g - phase * P;
    const need = phase * P;
    for (;;) {
      const done = Atomics.load(control, DONE);
      if (done >= need) break;
      if (stopped()) return 'stopped';
      Atomics.wait(control, DONE, done, pollMs);
    }
    try {
      if (phase % 2 === 0) layoutPhaseA(state, p, phase >> 1);
      else layoutPhaseB(state, p);
    } catch (e) {
      stopLayout(control);
      throw e;
    }
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
    const epochs = epochsDone(state, control);
    if (epochs > reported) {
      reported = epochs;
      options.onEpoch?.(epochs, nEpochs);
    }
  }
}
