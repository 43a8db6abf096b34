/**
 * What happens when a dataset file opens or changes: index it on open (when the settings say so),
 * and on a save or a watched-file event forget what was computed from the old content, then
 * re-cluster what had been clustered (an image or volume stands for its folder dataset) or re-index
 * an open file, and check again for leakage the file pairs it is part of (leaks.ts: the splits of
 * `similarityLab.splits`, and the pairs an earlier check reported; cleared when it was deleted).
 * Only the file that changed.
 */
import path from 'node:path';
import { FileChangeType, type TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { DatasetService } from '../host/datasets';
import type { DatasetEntry } from '../host/datasetEntry';
import { runCluster } from './cluster';
import type { HostContext } from './context';
import type { LeakChecks } from './leaks';

export function registerFileEvents(host: HostContext, service: DatasetService, documents: TextDocuments<TextDocument>, leaks: Pick<LeakChecks, 'fileChanged'>): void {
  const connection = host.connection;

  documents.onDidOpen(({ document }) => {
    void (async () => {
      if (!service.trusted || !document.uri.startsWith('file:')) return;
      // A file opened from outside the workspace folders is not read (the guard refuses it).
      const entry = await service.entryOf(document.uri);
      if (entry.clustered || entry.mapped || entry.leaks || entry.parseError) return; // its diagnostics are published (diagnostics.ts)
      const settings = await service.settings(document.uri);
      // Only files the include globs call datasets: a CSV opened for reading is not indexed as text lines.
      if (settings.indexOnOpen && (await service.isDataset(entry.path))) await service.ensureIndex(entry);
    })().catch(() => undefined); // failures are recorded on the entry (state 'error', diagnostics)
  });

  documents.onDidSave(({ document }) => fileChanged(document.uri, false));

  connection.onDidChangeWatchedFiles(({ changes }) => {
    let listChanged = false;
    for (const change of changes) {
      if (change.type !== FileChangeType.Changed) listChanged = true;
      fileChanged(change.uri, change.type === FileChangeType.Deleted);
    }
    if (listChanged) service.rediscover();
  });

  /** Clusters `entry` again with the parameters of the settings, under a progress the host creates. */
  async function recluster(entry: DatasetEntry): Promise<void> {
    const params = await service.clusterParams(entry);
    await runCluster(host, service, entry, params, undefined, await connection.window.createWorkDoneProgress());
  }

  /** Re-index only the file that changed; re-cluster it if it had been clustered. */
  function fileChanged(uri: string, deleted: boolean): void {
    let file: string | undefined;
    try {
      file = DatasetService.pathOf(uri);
    } catch {
      file = undefined;
    }
    // An image or volume of a folder dataset: the folder's results are stale; re-cluster it if it was clustered.
    for (const folder of file ? service.invalidateFoldersOf(file) : []) {
      recluster(folder).catch((err: unknown) => connection.console.warn(`re-clustering ${path.basename(folder.path)}: ${String(err)}`));
    }
    const wasClustered = service.invalidate(uri, deleted);
    if (file) leaks.fileChanged(file, deleted);
    if (deleted) {
      void connection.sendDiagnostics({ uri, diagnostics: [] }).catch(() => undefined);
      return;
    }
    const entry = service.find(uri);
    if (!entry) return;
    void (async () => {
      if (wasClustered) await recluster(entry);
      else if ((await service.settings(uri)).indexOnOpen && documents.get(uri)) await service.ensureIndex(entry);
    })().catch((err: unknown) => {
      if (!(err instanceof Error && (err.name === 'CancelledError' || err.name === 'ParseError'))) connection.console.warn(`re-indexing ${path.basename(entry.path)}: ${String(err)}`);
    });
  }
}
