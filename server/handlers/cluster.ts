/**
 * `similarityLab/cluster`: clusters a dataset file with work-done progress (the client's token,
 * else one the host creates) and cancellation (the request's token or the progress's Cancel
 * button), then publishes the file's record diagnostics (via the service's change hook).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CancellationToken, WorkDoneProgressReporter } from 'vscode-languageserver/node';
import { ClusterRequest } from '../protocol';
import type { HostContext } from './context';
import { DatasetService, type ClusterView, type DatasetEntry } from './datasets';
import { classify, toResponseError } from './errors';

export function registerCluster(host: HostContext, service: DatasetService): void {
  host.connection.onRequest(ClusterRequest.type, async (params, token) => {
    try {
      const entry = service.entry((params as { uri?: unknown } | null)?.uri);
      const settings = await service.settings(entry.uri);
      const clusterParams = DatasetService.clusterParams(params.params, settings, await service.isVector(entry));
      const progress: WorkDoneProgressReporter & { token?: CancellationToken } =
        params.workDoneToken !== undefined ? host.connection.languages.attachWorkDoneProgress(params) : await host.connection.window.createWorkDoneProgress();
      const view = await runCluster(host, service, entry, clusterParams, token, progress);
      return toResult(entry, view);
    } catch (err) {
      if (classify(err) === 'internal') host.connection.console.error(`cluster failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      throw toResponseError(err, 'cluster');
    }
  });
}

/** Clusters `entry`, reporting to `progress`; also what re-clustering after a file change uses. */
export async function runCluster(
  host: HostContext,
  service: DatasetService,
  entry: DatasetEntry,
  params: ReturnType<typeof DatasetService.clusterParams>,
  token: CancellationToken | undefined,
  progress: WorkDoneProgressReporter & { token?: CancellationToken },
): Promise<ClusterView> {
  const name = path.basename(entry.path);
  const controller = new AbortController();
  const listeners = [token?.onCancellationRequested(() => controller.abort()), progress.token?.onCancellationRequested(() => controller.abort())];
  if (token?.isCancellationRequested) controller.abort();
  progress.begin(`Clustering ${name}`, 0, 'reading', true);
  try {
    return await host.status.track(`Clustering ${name}`, (setLabel) =>
      service.cluster(entry, params, controller.signal, (stage, done, total) => {
        const pct = total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 0;
        progress.report(pct, stage);
        setLabel(`Clustering ${name}: ${stage} ${pct}%`);
      }),
    );
  } finally {
    for (const l of listeners) l?.dispose();
    progress.done();
  }
}

export function toResult(entry: DatasetEntry, view: ClusterView): ClusterRequest.Result {
  const { outcome, params } = view;
  const records: readonly { id: string; startLine: number; file?: string }[] = outcome.index.records;
  // Folder datasets: each record is a file of its own, which the Clusters view opens.
  const folder = records.length > 0 && records[0]?.file !== undefined;
  const uris = (members: readonly number[]) => (folder ? { uris: members.map((m) => pathToFileURL(records[m]?.file ?? entry.path).href) } : {});
  const noiseUris = uris(outcome.summary.noise).uris;
  return {
    datasetId: outcome.index.contentHash.slice(0, 16),
    uri: entry.uri,
    clusters: outcome.summary.clusters.map((c) => {
      const memberUris = uris(c.members).uris;
      return {
        id: c.id,
        size: c.size,
        members: c.members.map((m) => records[m]?.id ?? String(m)),
        memberLines: c.members.map((m) => records[m]?.startLine ?? 0),
        ...(memberUris ? { memberUris } : {}),
      };
    }),
    noise: outcome.summary.noise.map((m) => records[m]?.id ?? String(m)),
    noiseLines: outcome.summary.noise.map((m) => records[m]?.startLine ?? 0),
    ...(noiseUris ? { noiseUris } : {}),
    stats: {
      records: records.length,
      clusters: outcome.summary.stats.clusters,
      noise: outcome.summary.stats.noise,
      ...(view.vector ? { eps: view.outcome.eps } : { threshold: view.params.threshold }),
      minPts: params.minPts,
      fromCache: outcome.stats.fromCache,
      edges: outcome.stats.edges,
      seconds: outcome.stats.seconds,
    },
  };
}
