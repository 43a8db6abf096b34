/**
 * `similarityLab/findSimilar`: with a position, the records most like the record at that line
 * (LSH + exact identities in the pool); without, the dataset files most like the whole file
 * (each file's MinHash = the slot-wise minimum of its records' signatures).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CancellationToken } from 'vscode-languageserver/node';
import { InvalidInputError } from '../worker/errors';
import { estimateJaccard, fileSignature, recordAtLine } from '../jobs/recordNeighbours';
import { similarInIndex } from '../jobs/similarRecords';
import type { SequenceIndex } from '../jobs/sequenceIndex';
import { similarVectors } from '../jobs/vectorClusterDataset';
import type { VectorIndex } from '../jobs/vectorIndex';
import { datasetFolderOfImage, vectorFormatOf } from '../engine/data/vectorDataset';
import { modelEmbeddings } from '../jobs/modelEmbeddings';
import { modelDir } from './models';
import { withTokenSignal } from '../jobs/cancellation';
import { FindSimilarRequest } from '../protocol';
import { isVectorIndex, type DatasetEntry } from '../host/datasetEntry';
import { DatasetService } from '../host/datasets';
import type { HostContext } from './context';
import { classify, toResponseError } from './errors';

const DEFAULT_K = 10;
const MAX_K = 1000;

export function registerFindSimilar(host: HostContext, service: DatasetService): void {
  host.connection.onRequest(FindSimilarRequest.type, async (params, token) => {
    try {
      const p = checkParams(params);
      const entry = await service.entryOf(p.uri);
      return await host.status.track(`Finding items like ${path.basename(entry.path)}`, async () => {
        if (p.modelId !== undefined) return similarByModel(host, service, entry.path, p.modelId, p.position?.line, p.k, token);
        if (!p.position && (await isRecordFile(entry.path))) return similarMemberFiles(host, service, entry.path, p.k, token);
        return p.position ? similarRecords(host, service, entry, p.position.line, p.k, token) : similarFiles(service, entry, p.k, token);
      });
    } catch (err) {
      if (classify(err) === 'internal') host.connection.console.error(`findSimilar failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      throw toResponseError(err, 'findSimilar');
    }
  });
}

function checkParams(params: unknown): { uri: string; position?: { line: number }; k: number; modelId?: string } {
  if (typeof params !== 'object' || params === null) throw new InvalidInputError('findSimilar needs { uri, position?, k?, modelId? }');
  const { uri, position, k, modelId } = params as Record<string, unknown>;
  if (typeof uri !== 'string') throw new InvalidInputError('findSimilar: uri must be a string');
  if (modelId !== undefined && typeof modelId !== 'string') throw new InvalidInputError('findSimilar: modelId must be a string');
  const kk = k ?? DEFAULT_K;
  if (typeof kk !== 'number' || !Number.isInteger(kk) || kk < 1 || kk > MAX_K) throw new InvalidInputError(`findSimilar: k must be an integer in 1..${MAX_K}, got ${JSON.stringify(k)}`);
  const model = modelId !== undefined ? { modelId } : {};
  if (position === undefined || position === null) return { uri, k: kk, ...model };
  const line = (position as { line?: unknown }).line;
  if (typeof line !== 'number' || !Number.isInteger(line) || line < 0) throw new InvalidInputError('findSimilar: position.line must be a non-negative integer');
  return { uri, position: { line }, k: kk, ...model };
}

/** Waits for `promise` unless the request is cancelled first (the shared index build goes on). */
function untilCancelled<T>(promise: Promise<T>, token: CancellationToken): Promise<T> {
  return withTokenSignal(token, (signal) =>
    new Promise<T>((resolve, reject) => {
      const abort = () => reject(Object.assign(new Error('cancelled'), { name: 'CancelledError' }));
      if (signal.aborted) abort();
      signal.addEventListener('abort', abort, { once: true });
      promise.then(resolve, reject);
    }),
  );
}

/** An image, or a .npy volume inside a folder of volumes: a record that is a file of its own. */
async function isRecordFile(file: string): Promise<boolean> {
  const format = await vectorFormatOf(file);
  if (format === 'image-file') return true;
  return format === 'npy' && (await vectorFormatOf(path.dirname(file))) === 'volume-folder';
}

/**
 * Find Similar by a trained model's embeddings: the dataset read as the model was trained
 * (jobs/modelEmbeddings.ts), embedded in a worker, then exact kNN on the embeddings. The query is
 * the record at `line`, or the file itself (an image or volume of a folder dataset).
 */
async function similarByModel(host: HostContext, service: DatasetService, file: string, modelId: string, line: number | undefined, k: number, token: CancellationToken): Promise<FindSimilarRequest.Result> {
  service.checkTrusted();
  const dir = await modelDir(service, modelId);
  const own = line === undefined && (await isRecordFile(file));
  const dataset = own ? await datasetFolderOfImage(file) : file;
  await service.workspaceFolderOf(dataset);
  const { index } = await withTokenSignal(token, (signal) => modelEmbeddings(dataset, { pool: host.jobs(), modelDir: dir, signal }));
  const query = own ? index.records.find((r) => r.file === file) : line !== undefined ? recordAtLine(index.records, line) : undefined;
  if (!query) throw new InvalidInputError(line === undefined ? `${path.basename(file)}: Find Similar with a model needs a record (a line of the file, or an image or volume file)` : `${path.basename(file)}: no record at line ${line + 1}`);
  const hits = await withTokenSignal(token, (signal) => similarVectors(index, query.index, k, host.jobs(), signal));
  const uri = pathToFileURL(dataset).href;
  const described = (d: string | undefined) => (d !== undefined ? { description: d } : {});
  return {
    query: query.id,
    ...(query.description !== undefined ? { queryDescription: query.description } : {}),
    kind: 'records',
    metric: `${index.metric} (model ${modelId})`,
    items: hits.map((h) =>
      h.record.file !== undefined
        ? { uri: pathToFileURL(h.record.file).href, recordId: h.record.id, score: h.score, distance: h.distance }
        : { uri, range: { start: { line: h.record.startLine, character: 0 }, end: { line: h.record.endLine + 1, character: 0 } }, recordId: h.record.id, ...described(h.record.description), score: h.score, distance: h.distance },
    ),
  };
}

/** Find Similar on an image (or volume) file: the nearest files of its dataset folder, by their features. */
async function similarMemberFiles(host: HostContext, service: DatasetService, file: string, k: number, token: CancellationToken): Promise<FindSimilarRequest.Result> {
  service.checkTrusted();
  const folder = await datasetFolderOfImage(file);
  const entry = await service.entryOf(pathToFileURL(folder).href);
  const index = (await untilCancelled(service.ensureIndex(entry), token)) as VectorIndex;
  const query = index.records.find((r) => r.file === file);
  if (!query) throw new InvalidInputError(`${path.basename(file)} is not one of the ${index.records.length} records of ${folder}`);
  const hits = await withTokenSignal(token, (signal) => similarVectors(index, query.index, k, host.jobs(), signal));
  return {
    query: query.id,
    kind: 'records',
    metric: index.metric,
    items: hits.map((h) => ({ uri: pathToFileURL(h.record.file ?? folder).href, recordId: h.record.id, score: h.score, distance: h.distance })),
  };
}

async function similarRecords(host: HostContext, service: DatasetService, entry: DatasetEntry, line: number, k: number, token: CancellationToken): Promise<FindSimilarRequest.Result> {
  const index = await untilCancelled(service.ensureIndex(entry), token);
  const query = recordAtLine(index.records, line);
  if (!query) throw new InvalidInputError(`${path.basename(entry.path)}: no record at line ${line + 1}; place the cursor on a record (a row of a table, a FASTA header or its sequence) and run Find Similar again`);
  if (isVectorIndex(index)) {
    const near = await withTokenSignal(token, (signal) => similarVectors(index, query.index, k, host.jobs(), signal));
    return {
      query: query.id,
      kind: 'records',
      metric: index.metric,
      items: near.map((h) => ({ uri: entry.uri, range: { start: { line: h.record.startLine, character: 0 }, end: { line: h.record.endLine + 1, character: 0 } }, recordId: h.record.id, score: h.score, distance: h.distance })),
    };
  }
  const hits = await withTokenSignal(token, (signal) => similarInIndex(index, query.index, k, host.jobs(), signal));
  return {
    query: query.id,
    ...(query.description !== undefined ? { queryDescription: query.description } : {}),
    queryLength: query.length,
    unit: index.kind === 'sequence' ? 'bases' : 'characters',
    kind: 'records',
    items: hits.map((h) => ({
      uri: entry.uri,
      range: { start: { line: h.record.startLine, character: 0 }, end: { line: h.record.endLine + 1, character: 0 } },
      recordId: h.record.id,
      ...(h.record.description !== undefined ? { description: h.record.description } : {}),
      length: h.record.length,
      score: h.score,
      distance: h.distance,
    })),
  };
}

async function similarFiles(service: DatasetService, entry: DatasetEntry, k: number, token: CancellationToken): Promise<FindSimilarRequest.Result> {
  const index = await untilCancelled(service.ensureIndex(entry), token);
  if (isVectorIndex(index)) {
    throw new InvalidInputError(`${path.basename(entry.path)} is numeric data: Find Similar works on one of its records (a row in the editor, or an image or volume file in the Explorer), not on the whole file`);
  }
  const query = signatureOf(entry, index);
  const others = (await service.datasets()).filter((f) => f !== entry.path);
  const scored: FindSimilarRequest.Item[] = [];
  for (const file of others) {
    if (token.isCancellationRequested) throw Object.assign(new Error('cancelled'), { name: 'CancelledError' });
    let other: DatasetEntry;
    let otherIndex: SequenceIndex;
    try {
      // A file deleted (or replaced by a pipe) since discovery is not a match either.
      other = service.entry(pathToFileURL(file).href);
      if ((await service.kindOf(other)) === 'vector') continue; // MinHash signatures exist for sequence and text files only
      const got = await untilCancelled(service.ensureIndex(other), token);
      if (isVectorIndex(got)) continue;
      otherIndex = got;
    } catch (err) {
      if (err instanceof Error && err.name === 'CancelledError') throw err;
      continue; // an unreadable or malformed file shows its own Error diagnostic; it is just not a match
    }
    // Signatures are comparable only over the same kind of shingles and the same permutations.
    if (otherIndex.kind !== index.kind || otherIndex.params.k !== index.params.k || otherIndex.params.numHashes !== index.params.numHashes || otherIndex.params.seed !== index.params.seed) continue;
    const score = estimateJaccard(query, signatureOf(other, otherIndex));
    scored.push({ uri: other.uri, recordId: service.relativePath(file), score, distance: 1 - score });
  }
  scored.sort((a, b) => b.score - a.score || a.recordId.localeCompare(b.recordId));
  return { query: service.relativePath(entry.path), kind: 'files', items: scored.slice(0, k) };
}

function signatureOf(entry: DatasetEntry, index: SequenceIndex): Uint32Array {
  if (entry.index === index && entry.fileSignature) return entry.fileSignature;
  const sig = fileSignature(index);
  if (entry.index === index) entry.fileSignature = sig;
  return sig;
}
