/**
 * A "Find similar" code lens over each record of a dataset file: on files the include globs call
 * datasets, or that were indexed on request. Waits for the file's index unless the request is cancelled.
 */
import type { CodeLens } from 'vscode-languageserver/node';
import type { DatasetEntry } from '../host/datasetEntry';
import type { DatasetService } from '../host/datasets';
import type { HostContext } from './context';

/** Code lenses beyond this many records would only slow the editor down. */
const MAX_CODE_LENSES = 5000;

export function registerCodeLens(host: HostContext, service: DatasetService): void {
  host.connection.onCodeLens(async (params, token): Promise<CodeLens[]> => {
    if (!service.trusted) return [];
    const settings = await service.settings(params.textDocument.uri);
    if (!settings.codeLens) return [];
    let entry: DatasetEntry;
    try {
      entry = await service.entryOf(params.textDocument.uri);
    } catch {
      return [];
    }
    if (!entry.index && !(await service.isDataset(entry.path))) return [];
    let listener: { dispose(): void } | undefined;
    try {
      const index = await Promise.race([
        service.ensureIndex(entry),
        new Promise<undefined>((resolve) => {
          listener = token.onCancellationRequested(() => resolve(undefined));
        }),
      ]);
      if (!index) return [];
      return index.records.slice(0, MAX_CODE_LENSES).map((r) => ({
        range: { start: { line: r.startLine, character: 0 }, end: { line: r.startLine, character: 0 } },
        command: { title: 'Find similar', command: 'similarityLab.findSimilar', arguments: [entry.uri, { line: r.startLine, character: 0 }] },
      }));
    } catch {
      return []; // a file that does not parse shows an Error diagnostic instead
    } finally {
      listener?.dispose();
    }
  });
}
