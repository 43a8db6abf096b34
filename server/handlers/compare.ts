/** `similarityLab/compare`: every asked (or applicable) measure between two values, computed in a worker. */
import { CompareRequest } from '../protocol';
import { runRequestJob, type HostContext } from './context';

export function registerCompare(host: HostContext): void {
  // The params are untrusted JSON: the task checks them (InvalidInputError → InvalidParams).
  host.connection.onRequest(CompareRequest.type, (params, token) =>
    runRequestJob(host, token, {
      label: 'Comparing',
      what: 'compare',
      task: 'compare',
      payload: params,
      // The measures do not poll for cancellation: stop the worker at once instead of letting it spin.
      options: { cancelGraceMs: 0 },
    }),
  );
}
