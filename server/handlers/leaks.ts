/**
 * Leakage between splits in the editor (issue 17): `similarityLab/checkLeaks` checks query files
 * against a reference file (jobs/findLeaks, as `simlab leaks`), with work-done progress and
 * cancellation; the setting `similarityLab.splits` runs the same check on its own — at start-up,
 * when the setting changes, and when either split changes (fileEvents.ts tells it). The leaking records' `leak` warnings are published by
 * diagnostics.ts from what the service keeps on each query entry (hover.ts shows the match too);
 * every check, whoever asked, ends with a `leakFindings` notification for the client's Leakage view.
 *
 * A file change drops the findings computed from the old content (DatasetService.invalidate); the
 * view must not keep showing them. A pair the request checked is checked again on its own (trigger
 * `changed`), as the setting's splits are: someone who removes a leaking record and saves expects
 * the view and the warnings to answer for the file as it is now — a row that vanished would read
 * as "no leak", the false all-clear a leakage check exists to prevent. A pair that cannot be
 * checked again (a file deleted, or now unreadable) is cleared (`leakFindingsCleared`).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CancellationToken } from 'vscode-languageserver/node';
import type { LeakReport } from '../jobs/findLeaks';
import { CheckLeaksRequest, LeakFindingsClearedNotification, LeakFindingsNotification } from '../protocol';
import type { DatasetEntry } from '../host/datasetEntry';
import { DatasetService } from '../host/datasets';
import { referenceSplit, type SettingsCache } from '../host/settings';
import { InvalidInputError } from '../worker/errors';
import type { HostContext } from './context';
import { classify, toResponseError } from './errors';
import { requestProgress, withProgress, type RequestProgress } from './progress';

/** What the rest of the host starts and tells the leakage checks. */
export interface LeakChecks {
  /** Checks the splits of the setting, if any (main.ts, once the host is initialized). */
  start(): void;
  /**
   * A file changed on disk (or was saved), or was deleted: check again the pairs it is part of —
   * the setting's splits, and the pairs an earlier check reported — or clear those of a deleted file.
   */
  fileChanged(file: string, deleted: boolean): void;
}

/** A reference and query file pair the client was told about, by path (the key) and by URI (the messages). */
interface ReportedPair {
  reference: string;
  query: string;
  referenceUri: string;
  queryUri: string;
}

export function registerLeaks(host: HostContext, service: DatasetService, settings: SettingsCache): LeakChecks {
  // Every pair a leakFindings named, until cleared: what the Leakage view shows.
  const reported = new Map<string, ReportedPair>();
  const keyOf = (reference: string, query: string) => `${reference}\n${query}`;
  const remember = (reference: DatasetEntry, queries: readonly DatasetEntry[]) => {
    for (const q of queries) reported.set(keyOf(reference.path, q.path), { reference: reference.path, query: q.path, referenceUri: reference.uri, queryUri: q.uri });
  };
  /** Tells the client that `pairs` hold no findings any more, and forgets them. */
  const clear = (pairs: readonly ReportedPair[]) => {
    const byReference = new Map<string, ReportedPair[]>();
    for (const p of pairs) {
      reported.delete(keyOf(p.reference, p.query));
      byReference.set(p.referenceUri, [...(byReference.get(p.referenceUri) ?? []), p]);
    }
    for (const [reference, ps] of byReference) void host.connection.sendNotification(LeakFindingsClearedNotification.type, { reference, queries: ps.map((p) => p.queryUri) });
  };

  host.connection.onRequest(CheckLeaksRequest.type, async (params, token) => {
    try {
      const given = params as { reference?: unknown; queries?: unknown } | null;
      const reference = await service.entryOf(given?.reference);
      if (!Array.isArray(given?.queries) || given.queries.length === 0) throw new InvalidInputError('queries: expected one or more file URIs');
      const queries: DatasetEntry[] = [];
      for (const uri of given.queries as unknown[]) queries.push(await service.entryOf(uri));
      checkDistinct(reference, queries);
      const result = await runLeakCheck(host, service, 'request', reference, queries, token, await requestProgress(host, params));
      remember(reference, queries);
      return result;
    } catch (err) {
      if (classify(err) === 'internal') host.connection.console.error(`checkLeaks failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      throw toResponseError(err, 'checkLeaks');
    }
  });

  // One check at a time: a second waits for the first (both write the same entries).
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (work: () => Promise<void>) => {
    queue = queue.then(work);
  };
  const check = (splits: Splits) =>
    enqueue(async () => {
      const checked = await checkSplits(host, service, splits);
      // The view drops the setting's pairs that could not be checked (a split unreadable now).
      if (checked) remember(checked.reference, checked.queries);
      else clear(splits.queries.flatMap((q) => reported.get(keyOf(splits.reference, q)) ?? []));
    });
  /** Checks the reported pairs of one reference again (a file of theirs changed); clears them when that fails. */
  const checkAgain = (pairs: readonly ReportedPair[]) =>
    enqueue(async () => {
      try {
        const reference = await service.entryOf(pairs[0]!.referenceUri);
        const queries: DatasetEntry[] = [];
        for (const p of pairs) queries.push(await service.entryOf(p.queryUri));
        await runLeakCheck(host, service, 'changed', reference, queries, undefined, await host.connection.window.createWorkDoneProgress());
      } catch (err) {
        if (classify(err) === 'internal') host.connection.console.warn(`checking ${pairs.map((p) => path.basename(p.query)).join(', ')} for leakage again: ${err instanceof Error ? err.message : String(err)}`);
        clear(pairs);
      }
    });
  // The splits last checked: another setting's change does not run the check again.
  let last = 'null';
  const checkIfChanged = () =>
    void configuredSplits(service).then((splits) => {
      const key = JSON.stringify(splits ?? null);
      if (key === last) return;
      last = key;
      if (splits) check(splits);
    });
  settings.onDidChange(checkIfChanged);
  return {
    start: checkIfChanged,
    fileChanged: (file, deleted) =>
      void configuredSplits(service).then((splits) => {
        const touched = [...reported.values()].filter((p) => p.reference === file || p.query === file);
        if (deleted) return clear(touched);
        const inSetting = splits !== undefined && [splits.reference, ...splits.queries].includes(file);
        if (inSetting) check(splits);
        // The others, grouped by reference: one check per reference, as the request made them.
        const again = new Map<string, ReportedPair[]>();
        for (const p of touched) {
          if (inSetting && p.reference === splits.reference && splits.queries.includes(p.query)) continue;
          again.set(p.reference, [...(again.get(p.reference) ?? []), p]);
        }
        for (const pairs of again.values()) checkAgain(pairs);
      }),
  };
}

interface Splits {
  reference: string;
  queries: string[];
}

/** The splits of the setting as absolute paths: each relative to the first workspace folder that holds it. */
async function configuredSplits(service: DatasetService): Promise<Splits | undefined> {
  if (!service.trusted || service.folders.length === 0) return undefined;
  const split = referenceSplit((await service.settings()).splits);
  if (!split) return undefined;
  const resolve = (p: string) => {
    if (path.isAbsolute(p)) return p;
    const folder = service.folders.find((f) => existsSync(path.join(f, p))) ?? (service.folders[0] as string);
    return path.join(folder, p);
  };
  return { reference: resolve(split.reference), queries: split.queries.map(resolve) };
}

/**
 * Checks the splits of the setting under a progress the host creates; a bad setting is shown, not
 * thrown. Returns the entries checked, or undefined when the check failed.
 */
async function checkSplits(host: HostContext, service: DatasetService, splits: Splits): Promise<{ reference: DatasetEntry; queries: DatasetEntry[] } | undefined> {
  try {
    const reference = await service.entryOf(pathToFileURL(splits.reference).href);
    const queries: DatasetEntry[] = [];
    for (const q of splits.queries) queries.push(await service.entryOf(pathToFileURL(q).href));
    checkDistinct(reference, queries);
    await runLeakCheck(host, service, 'splits', reference, queries, undefined, await host.connection.window.createWorkDoneProgress());
    return { reference, queries };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (classify(err) === 'input') void host.connection.window.showWarningMessage(`similarityLab.splits: ${message}`);
    else if (classify(err) === 'internal') host.connection.console.warn(`checking the splits for leakage: ${message}`);
    return undefined;
  }
}

function checkDistinct(reference: DatasetEntry, queries: readonly DatasetEntry[]): void {
  const seen = new Set([reference.path]);
  for (const q of queries) {
    if (seen.has(q.path)) throw new InvalidInputError(`${path.basename(q.path)} is given twice: the reference and each query must be different files`);
    seen.add(q.path);
  }
}

/**
 * Checks `queries` against `reference`, reporting to `progress`: the findings land on the query
 * entries (their `leak` warnings) and go to the client (`leakFindings`, its Leakage view).
 */
export async function runLeakCheck(
  host: HostContext,
  service: DatasetService,
  trigger: LeakFindingsNotification.Params['trigger'],
  reference: DatasetEntry,
  queries: readonly DatasetEntry[],
  token: CancellationToken | undefined,
  progress: RequestProgress,
): Promise<CheckLeaksRequest.Result> {
  const title = `Checking ${queries.map((q) => path.basename(q.path)).join(', ')} for leakage from ${path.basename(reference.path)}`;
  const report = await withProgress(progress, token, title, (job) =>
    host.status.track(title, (setLabel) => service.checkLeaks(reference, queries, job.signal, (stage, done, total) => setLabel(`${title}: ${stage} ${job.report(stage, done, total)}%`))),
  );
  const result = toResult(reference, queries, report);
  void host.connection.sendNotification(LeakFindingsNotification.type, {
    trigger,
    reference: reference.uri,
    referenceRecords: result.stats.referenceRecords,
    queries: queries.map((q, f) => ({ uri: q.uri, records: report.queries[f]!.ids.length })),
    pairs: result.pairs,
    stats: result.stats,
  });
  return result;
}

function toResult(reference: DatasetEntry, queries: readonly DatasetEntry[], report: LeakReport): CheckLeaksRequest.Result {
  const { stats } = report;
  return {
    pairs: report.pairs.map((p) => {
      const q = report.queries[p.queryFile]!;
      return {
        queryUri: queries[p.queryFile]!.uri,
        queryId: q.ids[p.query]!,
        queryLine: q.lines[p.query]!,
        referenceUri: reference.uri,
        referenceId: report.reference.ids[p.reference]!,
        referenceLine: report.reference.lines[p.reference]!,
        score: p.score,
        kind: p.kind,
      };
    }),
    stats: {
      kind: report.kind,
      records: stats.records,
      referenceRecords: report.reference.ids.length,
      exact: stats.exact,
      near: stats.near,
      ...(stats.threshold !== undefined ? { threshold: stats.threshold } : {}),
      ...(stats.eps !== undefined ? { eps: stats.eps } : {}),
      seconds: stats.seconds,
    },
    warnings: report.warnings,
  };
}
