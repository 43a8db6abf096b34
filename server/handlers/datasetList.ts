/**
 * `similarityLab/datasets`: the dataset files of the workspace with their states, and
 * `similarityLab/datasetsChanged` whenever that list or a state changes (the Datasets view refreshes).
 */
import { DatasetsChangedNotification, DatasetsRequest } from '../protocol';
import type { DatasetService } from '../host/datasets';
import type { HostContext } from './context';

export function registerDatasetList(host: HostContext, service: DatasetService): void {
  host.connection.onRequest(DatasetsRequest.type, async () => ({ datasets: await service.infos() }));
  service.onDidChangeDatasets(() => {
    void host.connection.sendNotification(DatasetsChangedNotification.type, {}).catch(() => undefined);
  });
}
