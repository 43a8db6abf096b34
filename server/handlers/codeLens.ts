/**
 * Code lenses of a dataset file (one the include globs call a dataset, or that was indexed on
 * request): "Find similar" over each record of a FASTA/FASTQ file; one "Find similar rows… (N rows)"
 * on the first line of a table (CSV/TSV/JSONL), where a lens over every one-line row would double
 * the table's height. Waits for the file's index unless the request is cancelled.
 */
import type { CodeLens } from 'vscode-languageserver/node';
import type { DatasetEntry } from '../host/datasetEntry';
import type { DatasetService } from '../host/datasets';
import type { HostContext } from './context';

/** Code lenses beyond this many records would only slow the editor down. */
const MAX_CODE_LENSES = 5000;

/** Formats whose records are single lines (table rows, JSONL objects, text lines): one lens for the file. */
const LINE_RECORDS: ReadonlySet<string> = new Set(['csv', 'tsv', 'jsonl', 'jsonl-vectors', 'text']);

/**
 * The one lens of a table, on its first line: Find Similar without a position, which the client
 * runs on the row at the cursor (a click on the lens leaves the cursor where it was).
 */
export function tableLens(uri: string, rows: number): CodeLens {
  const at = { line: 0, character: 0 };
  return {
    range: { start: at, end: at },
    command: { title: `Find similar rows… (${rows.toLocaleString('en-US')} ${rows === 1 ? 'row' : 'rows'})`, command: 'similarityLab.findSimilar', arguments: [uri] },
  };
}

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
      if (LINE_RECORDS.has(index.format)) return [tableLens(entry.uri, index.records.length)];
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
