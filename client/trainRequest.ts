/**
 * The `similarityLab/train` request's params, as the Train commands send them. Pure (no vscode).
 *
 * One progress item per run: the host's status item already shows a training run in the status
 * bar ("Training on x: epoch 3, loss 0.412…", from `serverStatus`) and the dashboard shows the
 * rest. Without a `workDoneToken` the host creates a work-done progress of its own, which
 * vscode-languageclient shows as a second status-bar item with its own, differently throttled
 * text, so the two disagreed. With a token of the client's, the host reports on that token, which
 * the client does not show.
 */
import { randomUUID } from 'node:crypto';
import type { TrainRequest } from '../server/protocol';

export function trainRequestParams(uri: string, model: TrainRequest.Params['model'], config: TrainRequest.Config, workDoneToken: string = `similarityLab.train.${randomUUID()}`): TrainRequest.Params {
  return { uri, model, config, workDoneToken };
}
