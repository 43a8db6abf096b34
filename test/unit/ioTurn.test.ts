/**
 * ioTurn (worker/ioTurn.ts): called where most of the host's work runs — a poll-phase callback,
 * as a worker's answer is — it resolves only after the loop has come round to timers and I/O,
 * which one setImmediate does not (the test shows both).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs';
import { test } from 'node:test';
import { ioTurn } from '../../server/worker/ioTurn';

/** In a poll-phase callback (an fs answer), with a timer already due: did `wait` let the timer run? */
function timerRanDuring(wait: () => Promise<void>): Promise<boolean> {
  return new Promise((resolve, reject) => {
    readFile(__filename, () => {
      let ran = false;
      setTimeout(() => (ran = true), 1);
      // Make the timer due before waiting.
      const until = Date.now() + 5;
      while (Date.now() < until);
      wait().then(() => resolve(ran), reject);
    });
  });
}

void test('from a poll-phase callback, ioTurn lets due timers (and the I/O after them) run first; one setImmediate does not', async () => {
  assert.equal(await timerRanDuring(() => new Promise<void>((r) => setImmediate(r))), false, 'one setImmediate: the same loop iteration');
  assert.equal(await timerRanDuring(ioTurn), true);
});
