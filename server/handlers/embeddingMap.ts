/**
 * `similarityLab/embeddingMap`: the UMAP map of a dataset (jobs/embeddingMapData.ts) with
 * work-done progress and cancellation. An image or volume file stands for its dataset folder.
 */
import path from 'node:path';
import type { CancellationToken, WorkDoneProgressReporter } from 'vscode-languageserver/node';
import { datasetFolderOfImage, vectorFormatOf } from '../engine/data/vectorDataset';
import { InvalidInputError } from '../jobs/errors';
import { buildEmbeddingMap } from '../jobs/embeddingMapData';
import { EmbeddingMapRequest } from '../protocol';
import type { HostContext } from './context';
import { DatasetService } from './datasets';
import { classify, toResponseError } from './errors';

export function registerEmbeddingMap(host: HostContext, service: DatasetService): void {
  host.connection.onRequest(EmbeddingMapRequest.type, async (params, token) => {
    try {
      service.checkTrusted();
      if (params?.modelId !== undefined) throw new InvalidInputError('embeddingMap: maps of a trained model need model training, which this version does not have yet');
      let file = DatasetService.pathOf(params?.uri);
      const format = await vectorFormatOf(file);
      if (format === 'image-file' || (format === 'npy' && (await vectorFormatOf(path.dirname(file))) === 'volume-folder')) file = await datasetFolderOfImage(file);
      const settings = await service.settings(params.uri);
      const progress: WorkDoneProgressReporter & { token?: CancellationToken } =
        params.workDoneToken !== undefined ? host.connection.languages.attachWorkDoneProgress(params) : await host.connection.window.createWorkDoneProgress();
      const controller = new AbortController();
      const listeners = [token.onCancellationRequested(() => controller.abort()), progress.token?.onCancellationRequested(() => controller.abort())];
      const name = path.basename(file);
      progress.begin(`Mapping ${name}`, 0, 'reading', true);
      try {
        return await host.status.track(`Mapping ${name}`, (setLabel) =>
          buildEmbeddingMap(file, {
            pool: host.jobs(),
            signal: controller.signal,
            ...(service.cache ? { cache: service.cache } : {}),
            features: settings.vectors.features,
            onProgress: (stage, done, total) => {
              const pct = total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 0;
              progress.report(pct, stage);
              setLabel(`Mapping ${name}: ${stage} ${pct}%`);
            },
          }),
        );
      } finally {
        for (const l of listeners) l?.dispose();
        progress.done();
      }
    } catch (err) {
      if (classify(err) === 'internal') host.connection.console.error(`embeddingMap failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      throw toResponseError(err, 'embeddingMap');
    }
  });
}
