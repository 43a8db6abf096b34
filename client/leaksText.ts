/** How leakage checks read in the client: the summary message and log, and the rows of the Leakage view (no VS Code needed). */
import type { CheckLeaksRequest, LeakFindingsClearedNotification, LeakFindingsNotification } from '../server/protocol';

/** The one-line summary of a check: `N leaking records of M …` (pure, for the message and the log). */
export function describeLeaks(result: CheckLeaksRequest.Result, referenceName: string): string {
  const { stats } = result;
  const leaked = stats.exact + stats.near;
  const rule = stats.kind === 'vector' ? (stats.eps !== undefined ? `distance ≤ ${stats.eps.toPrecision(3)}` : 'near rows') : `identity ≥ ${((stats.threshold ?? 0) * 100).toFixed(0)} %`;
  const records = (n: number) => `${n} record${n === 1 ? '' : 's'}`;
  if (leaked === 0) return `No leakage: none of ${records(stats.records)} copies a record of ${referenceName} (${rule}).`;
  return `${leaked} leaking ${leaked === 1 ? 'record' : 'records'} of ${stats.records}: ${stats.exact} exact and ${stats.near} near copies of records of ${referenceName} (${rule}).`;
}

/** One file pair of the Leakage view: a query file checked against a reference, and its leaking records. */
export interface LeakFilePair {
  reference: string;
  query: string;
  kind: CheckLeaksRequest.Stats['kind'];
  /** Query records checked. */
  records: number;
  referenceRecords: number;
  /** The rule of the check: identity threshold (sequences, text) or distance radius (numeric data). */
  threshold?: number;
  eps?: number;
  /** This query file's leaking records, in file order. */
  pairs: CheckLeaksRequest.Pair[];
}

/** What one row of a tree shows: its label, the greyed text after it, and its tooltip. */
export interface LeakRowText {
  label: string;
  description: string;
  tooltip: string;
}

/**
 * The file pairs after a check: the check's pairs (one per query file, leaking or not) replace
 * those of the same reference and query; the others stay. Ordered by reference, then query.
 */
export function mergeLeakFindings(current: readonly LeakFilePair[], findings: LeakFindingsNotification.Params): LeakFilePair[] {
  const checked = findings.queries.map(
    (q): LeakFilePair => ({
      reference: findings.reference,
      query: q.uri,
      kind: findings.stats.kind,
      records: q.records,
      referenceRecords: findings.referenceRecords,
      ...(findings.stats.threshold !== undefined ? { threshold: findings.stats.threshold } : {}),
      ...(findings.stats.eps !== undefined ? { eps: findings.stats.eps } : {}),
      pairs: findings.pairs.filter((p) => p.queryUri === q.uri),
    }),
  );
  const replaced = new Set(checked.map((c) => `${c.reference}\n${c.query}`));
  return [...current.filter((c) => !replaced.has(`${c.reference}\n${c.query}`)), ...checked].sort((a, b) => (a.reference === b.reference ? compare(a.query, b.query) : compare(a.reference, b.reference)));
}

/** The file pairs once the host cleared some (a file deleted, or unreadable after a change): the others, in their order. */
export function clearLeakFindings(current: readonly LeakFilePair[], cleared: LeakFindingsClearedNotification.Params): LeakFilePair[] {
  const gone = new Set(cleared.queries);
  return current.filter((c) => !(c.reference === cleared.reference && gone.has(c.query)));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How close a copy is, as its warning says: `99.4 % identity`, or `distance 0.812` for numeric data. */
export function leakCloseness(score: number, kind: CheckLeaksRequest.Stats['kind']): string {
  if (kind !== 'vector') return `${(score * 100).toFixed(1)} % identity`;
  return `distance ${Number.isInteger(score) ? String(score) : score.toPrecision(3)}`;
}

function rule(pair: Pick<LeakFilePair, 'kind' | 'threshold' | 'eps'>): string {
  if (pair.kind === 'vector') return pair.eps !== undefined ? `distance ≤ ${pair.eps.toPrecision(3)}` : 'near rows';
  return `identity ≥ ${((pair.threshold ?? 0) * 100).toFixed(0)} %`;
}

/** A file pair's row, `train.fasta ← test.fasta` `5 leaking of 25`; names as the user's workspace writes them. */
export function leakFilePairRow(pair: LeakFilePair, referenceName: string, queryName: string): LeakRowText {
  const leaking = pair.pairs.length;
  const exact = pair.pairs.filter((p) => p.kind === 'exact').length;
  const copies = leaking === 0 ? 'no record copies one of the reference' : `${exact} exact and ${leaking - exact} near ${leaking === 1 ? 'copy' : 'copies'} of its records`;
  return {
    label: `${referenceName} ← ${queryName}`,
    description: `${leaking} leaking of ${pair.records}`,
    tooltip: `${queryName} checked against ${referenceName} (${pair.referenceRecords} records), ${rule(pair)}: ${leaking} of ${pair.records} records leak — ${copies}.`,
  };
}

/** A leaking record's row: its id, then what it copies and where it is (the line last: it may be cut). */
export function leakRecordRow(p: CheckLeaksRequest.Pair, kind: CheckLeaksRequest.Stats['kind'], referenceName: string): LeakRowText {
  const how = leakCloseness(p.score, kind);
  const where = p.queryLine !== undefined ? ` · line ${p.queryLine + 1}` : '';
  const copied = p.referenceLine !== undefined ? ` (line ${p.referenceLine + 1})` : '';
  return {
    label: p.queryId,
    description: `${p.referenceId} · ${how}${p.kind === 'exact' ? ' · exact' : ''}${where}`,
    tooltip: `${p.queryId}${where ? ` at${where.slice(2)}` : ''}: also in ${referenceName}: ${p.referenceId}${copied} · ${how}${p.kind === 'exact' ? ' (an exact copy)' : ''}`,
  };
}
