/**
 * `similarityLab/embeddingMap`: the UMAP map of a dataset (jobs/embeddingMapData.ts) with
 * work-done progress and cancellation. An image or volume file stands for its dataset folder.
 */
import path from 'node:path';
import { datasetFolderOfImage, vectorFormatOf } from '../engine/data/vectorDataset';
import { InvalidInputError } from '../worker/errors';
import { buildEmbeddingMap } from '../jobs/embeddingMapData';
import { ClusterRequest, EmbeddingMapRequest } from '../protocol';
import type { DatasetEntry, MapClusters } from '../host/datasetEntry';
import { DatasetService } from '../host/datasets';
import type { HostContext } from './context';
import { classify, toResponseError } from './errors';
import { modelDir } from './models';
import { requestProgress, withProgress } from './progress';

/** The map's DBSCAN clusters as a `cluster` result: the Clusters view lists them like any clustering. */
export function mapClustering(data: EmbeddingMapRequest.Result): ClusterRequest.Result {
  const byCluster = new Map<number, number[]>();
  const noise: number[] = [];
  (data.map.clusters ?? []).forEach((c, i) => {
    if (c < 0) noise.push(i);
    else {
      const list = byCluster.get(c);
      if (list) list.push(i);
      else byCluster.set(c, [i]);
    }
  });
  const ordered = [...byCluster.values()].sort((a, b) => b.length - a.length || (a[0] as number) - (b[0] as number));
  const own = (i: number) => data.records[i]?.range === undefined;
  const place = (members: number[]) => ({
    members: members.map((i) => data.map.ids[i] as string),
    lines: members.map((i) => data.records[i]?.range?.start.line ?? 0),
    ...(members.some(own) ? { uris: members.map((i) => data.records[i]?.uri ?? data.dataset.uri) } : {}),
    ...(data.map.descriptions ? { descriptions: members.map((i) => data.map.descriptions?.[i] ?? '') } : {}),
  });
  const noisePlace = place(noise);
  return {
    datasetId: `map:${data.map.title}`,
    uri: data.dataset.uri,
    clusters: ordered.map((members, id) => {
      const p = place(members);
      return { id, size: members.length, members: p.members, memberLines: p.lines, ...(p.uris ? { memberUris: p.uris } : {}), ...(p.descriptions ? { memberDescriptions: p.descriptions } : {}) };
    }),
    noise: noisePlace.members,
    noiseLines: noisePlace.lines,
    ...(noisePlace.uris ? { noiseUris: noisePlace.uris } : {}),
    ...(noisePlace.descriptions ? { noiseDescriptions: noisePlace.descriptions } : {}),
    stats: { records: data.map.ids.length, clusters: ordered.length, noise: noise.length, eps: data.stats.eps, minPts: data.stats.minPts, fromCache: false, edges: 0, seconds: data.stats.seconds },
  };
}

/** The map's clusters by record, for diagnostics: only for records that are lines of the dataset file itself. */
export function mapClustersOf(data: EmbeddingMapRequest.Result, on: MapClusters['on']): MapClusters | undefined {
  const clusters = data.map.clusters;
  if (!clusters || data.records.length === 0 || data.records.some((r) => r.range === undefined || r.uri !== data.dataset.uri)) return undefined;
  const sizes = new Map<number, number>();
  for (const c of clusters) if (c >= 0) sizes.set(c, (sizes.get(c) ?? 0) + 1);
  return { ids: data.map.ids, lines: data.records.map((r) => r.range?.start.line ?? 0), clusters, sizes, on };
}

export function registerEmbeddingMap(host: HostContext, service: DatasetService): void {
  host.connection.onRequest(EmbeddingMapRequest.type, async (params, token) => {
    try {
      service.checkTrusted();
      if (params?.modelId !== undefined && typeof params.modelId !== 'string') throw new InvalidInputError('embeddingMap: modelId must be a string');
      if (params?.clusterOn !== undefined && params.clusterOn !== 'map' && params.clusterOn !== 'embedding') throw new InvalidInputError(`embeddingMap: clusterOn is 'map' or 'embedding', got ${JSON.stringify(params.clusterOn)}`);
      const dir = params.modelId !== undefined ? await modelDir(service, params.modelId) : undefined;
      let file = await service.fileOf(params?.uri);
      const format = await vectorFormatOf(file);
      if (format === 'image-file' || (format === 'npy' && (await vectorFormatOf(path.dirname(file))) === 'volume-folder')) file = await datasetFolderOfImage(file);
      // The folder an image stands for may lie above it: it must be inside the workspace too.
      await service.workspaceFolderOf(file);
      const settings = await service.settings(params.uri);
      const clusterOn = params.clusterOn ?? settings.map.clusterOn;
      // A file dataset's records get the map's clusters as diagnostics, unless the file changes meanwhile.
      const entry: DatasetEntry | undefined = file === DatasetService.pathOf(params.uri) ? service.entry(params.uri) : undefined;
      const generation = entry?.generation ?? 0;
      const name = path.basename(file);
      return await withProgress(await requestProgress(host, params), token, `Mapping ${name}`, async (job) => {
        const data = await host.status.track(`Mapping ${name}`, (setLabel) =>
          buildEmbeddingMap(file, {
            pool: host.jobs(),
            signal: job.signal,
            ...(service.cache ? { cache: service.cache } : {}),
            features: settings.vectors.features,
            clusterOn,
            // FASTA/FASTQ: labels read from the headers as the setting labels.fromHeader says (Colour by Label).
            read: { headerLabelDefault: settings.headerLabels },
            ...(dir ? { modelDir: dir } : {}),
            onProgress: (stage, done, total) => setLabel(`Mapping ${name}: ${stage} ${job.report(stage, done, total)}%`),
          }),
        );
        const byRecord = entry ? mapClustersOf(data, clusterOn) : undefined;
        if (entry && byRecord) service.mapped(entry, generation, byRecord);
        // The Clusters view shows the map's clusters only where no clustering of the dataset exists:
        // the map is another layer, it never replaces what Cluster This Dataset found (issue 14).
        return entry?.clustered ? data : { ...data, clustering: mapClustering(data) };
      });
    } catch (err) {
      if (classify(err) === 'internal') host.connection.console.error(`embeddingMap failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      throw toResponseError(err, 'embeddingMap');
    }
  });
}
