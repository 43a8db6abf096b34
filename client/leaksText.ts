/** How a leakage check reads in the client's summary message and log (no VS Code needed). */
import type { CheckLeaksRequest } from '../server/protocol';

/** The one-line summary of a check: `N leaking records of M …` (pure, for the message and the log). */
export function describeLeaks(result: CheckLeaksRequest.Result, referenceName: string): string {
  const { stats } = result;
  const leaked = stats.exact + stats.near;
  const rule = stats.kind === 'vector' ? (stats.eps !== undefined ? `distance ≤ ${stats.eps.toPrecision(3)}` : 'near rows') : `identity ≥ ${((stats.threshold ?? 0) * 100).toFixed(0)} %`;
  const records = (n: number) => `${n} record${n === 1 ? '' : 's'}`;
  if (leaked === 0) return `No leakage: none of ${records(stats.records)} copies a record of ${referenceName} (${rule}).`;
  return `${leaked} leaking ${leaked === 1 ? 'record' : 'records'} of ${stats.records}: ${stats.exact} exact and ${stats.near} near copies of records of ${referenceName} (${rule}).`;
}
