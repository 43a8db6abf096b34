/**
 * How a finished train request reads on the dashboard: why the run ended (the host's stopReason)
 * with what was monitored and the patience, and where the best epoch was saved.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeOutcome, monitoredMetric } from '../../client/trainingOutcome';
import type { DashboardState, RunInfo } from '../../webviews/trainingDashboard/messages';
import { appendPoints, startRun } from '../../webviews/trainingDashboard/store';

function history(kind: RunInfo['kind'], epochsPlanned: number, epochsDone: number, metrics: Record<string, number>): DashboardState {
  const state = startRun({ modelId: 'm', kind, backend: 'wasm', epochs: epochsPlanned, config: { patience: 5 } });
  appendPoints(
    state,
    Array.from({ length: epochsDone }, (_, e) => ({ epoch: e, step: e, loss: 1 / (e + 1), metrics })),
  );
  return state;
}

void describe('describeOutcome', () => {
  void test('early stopping names the monitored metric, the patience and where it stopped', () => {
    const view = describeOutcome({ stopReason: 'early-stopping', folder: '/m', metrics: {} }, history('siamese', 10, 8, { mapAtR: 0.5 }));
    assert.deepEqual(view, { status: 'finished', message: 'Stopped early at epoch 8 of 10: no better validation MAP@R for 5 epochs. The best epoch is saved to /m.' });
  });

  void test('the monitored metric: MAP@R with validation, an autoencoder\'s validation loss, else the training loss', () => {
    assert.equal(monitoredMetric({ metrics: { mapAtR: 0.4 } }, undefined), 'validation MAP@R');
    assert.equal(monitoredMetric({ metrics: {} }, history('siamese', 3, 3, {})), 'training loss');
    assert.equal(monitoredMetric({ metrics: {} }, history('autoencoder', 3, 3, { valLoss: 0.1 })), 'validation loss');
    assert.equal(monitoredMetric({ metrics: {} }, history('autoencoder', 3, 3, {})), 'training loss');
  });

  void test('Stop, the time limit and a full run each say so; no history still reads', () => {
    assert.equal(describeOutcome({ stopReason: 'stopped', folder: '/m', metrics: {} }, history('siamese', 10, 2, {})).status, 'stopped');
    assert.match(describeOutcome({ stopReason: 'stopped', folder: '/m', metrics: {} }, history('siamese', 10, 2, {})).message, /^Stopped at epoch 2 of 10 by request\. The best epoch is saved to \/m\.$/u);
    assert.match(describeOutcome({ stopReason: 'time-limit', folder: '/m', metrics: {} }, undefined).message, /^Stopped: the time limit was reached\./u);
    assert.equal(describeOutcome({ stopReason: 'epochs', folder: '/m', metrics: {} }, history('siamese', 4, 4, {})).message, 'Finished all 4 epochs. The best epoch is saved to /m.');
    assert.match(describeOutcome({ stopReason: 'early-stopping', folder: '/m', metrics: {} }, undefined).message, /^Stopped early: no better training loss for the patience set\./u);
  });
});
