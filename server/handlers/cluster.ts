/**
 * `similarityLab/cluster`: clusters a dataset file with work-done progress (the client's token,
 * else one the host creates) and cancellation (the request's token or the progress's Cancel
 * button), then publishes the file's record diagnostics (via the service's change hook).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CancellationToken } from 'vscode-languageserver/node';
import type { ResolvedClusterParams } from '../jobs/clusterParams';
import { ClusterRequest } from '../protocol';
import type { ClusterView, DatasetEntry } from '../host/datasetEntry';
import type { DatasetService } from '../host/datasets';
import type { HostContext } from './context';
import { classify, toResponseError } from './errors';
import { requestProgress, withProgress, type RequestProgress } from './progress';

export function registerCluster(host: HostContext, service: DatasetService): void {
  host.connection.onRequest(ClusterRequest.type, async (params, token) => {
    try {
      const entry = await service.entryOf((params as { uri?: unknown } | null)?.uri);
      const clusterParams = await service.clusterParams(entry, params.params);
      const view = await runCluster(host, service, entry, clusterParams, token, await requestProgress(host, params));
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
  params: ResolvedClusterParams,
  token: CancellationToken | undefined,
  progress: RequestProgress,
): Promise<ClusterView> {
  const name = path.basename(entry.path);
  return withProgress(progress, token, `Clustering ${name}`, (job) =>
    host.status.track(`Clustering ${name}`, (setLabel) =>
      service.cluster(entry, params, job.signal, (stage, done, total) => setLabel(`Clustering ${name}: ${stage} ${job.report(stage, done, total)}%`)),
    ),
  );
}

export function toResult(entry: DatasetEntry, view: ClusterView): ClusterRequest.Result {
  const { outcome, params } = view;
  const records: readonly { id: string; startLine: number; file?: string; description?: string }[] = outcome.index.records;
  // Folder datasets: each record is a file of its own, which the Clusters view opens.
  const folder = records.length > 0 && records[0]?.file !== undefined;
  const uris = (members: readonly number[]) => (folder ? { uris: members.map((m) => pathToFileURL(records[m]?.file ?? entry.path).href) } : {});
  const noiseUris = uris(outcome.summary.noise).uris;
  // FASTA/FASTQ headers: the Clusters view shows `Genus species` beside each id.
  const described = records.some((r) => r.description !== undefined);
  const descriptions = (members: readonly number[]) => (described ? members.map((m) => records[m]?.description ?? '') : undefined);
  const noiseDescriptions = descriptions(outcome.summary.noise);
  return {
    datasetId: outcome.index.contentHash.slice(0, 16),
    uri: entry.uri,
    clusters: outcome.summary.clusters.map((c) => {
      // Sequences and text: the representative first, then the others in file order.
      const rep = view.kind === 'sequence' ? (view.outcome.representative[c.members[0] as number] as number) : -1;
      const members = rep >= 0 ? [rep, ...c.members.filter((m) => m !== rep)] : c.members;
      const memberUris = uris(members).uris;
      const memberDescriptions = descriptions(members);
      return {
        id: c.id,
        size: c.size,
        members: members.map((m) => records[m]?.id ?? String(m)),
        memberLines: members.map((m) => records[m]?.startLine ?? 0),
        ...(memberUris ? { memberUris } : {}),
        ...(memberDescriptions ? { memberDescriptions } : {}),
        ...(view.kind === 'sequence' && rep >= 0
          ? { representative: records[rep]?.id ?? String(rep), memberIdentities: members.map((m) => Math.round((view.outcome.identity[m] as number) * 1e4) / 1e4) }
          : {}),
      };
    }),
    noise: outcome.summary.noise.map((m) => records[m]?.id ?? String(m)),
    noiseLines: outcome.summary.noise.map((m) => records[m]?.startLine ?? 0),
    ...(noiseUris ? { noiseUris } : {}),
    ...(noiseDescriptions ? { noiseDescriptions } : {}),
    stats: {
      records: records.length,
      clusters: outcome.summary.stats.clusters,
      noise: outcome.summary.stats.noise,
      ...(view.kind === 'vector' ? { eps: view.outcome.eps } : { threshold: view.params.threshold }),
      minPts: params.minPts,
      fromCache: outcome.stats.fromCache,
      edges: outcome.stats.edges,
      seconds: outcome.stats.seconds,
    },
  };
}
