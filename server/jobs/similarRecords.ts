/** The k records most similar to one record of a dataset (LSH + signature ranking, then exact identities). */
import { chooseLshParams, identityToJaccard } from '../engine/index/lsh';
import type { WorkerPool } from './pool';
import type { RecordMeta } from '../worker/tasks/loadDataset';
import { buildSequenceIndex, type BuildIndexOptions, type SequenceIndex } from './sequenceIndex';

export interface SimilarItem {
  record: RecordMeta;
  /** Identity (1 = identical). */
  score: number;
  /** Edit distance. */
  distance: number;
}

/** LSH banding used for queries: tuned for recall at identity 0.9 (the signature ranking adds more). */
const QUERY_IDENTITY = 0.9;

export async function similarInIndex(index: SequenceIndex, record: number, k: number, pool: WorkerPool, signal?: AbortSignal): Promise<SimilarItem[]> {
  const H = index.params.numHashes;
  const { bands, rows } = chooseLshParams(Math.max(0.01, identityToJaccard(QUERY_IDENTITY, index.params.k)), H);
  const hits = await pool.run('similarQuery', { packed: index.packed, signatures: index.signatures, numHashes: H, bands, rows, record, k }, { signal });
  return hits.map((h) => ({ record: index.records[h.index] as RecordMeta, score: h.identity, distance: h.distance }));
}

export async function similarRecords(file: string, recordId: string, k: number, options: BuildIndexOptions): Promise<{ index: SequenceIndex; query: RecordMeta; items: SimilarItem[] }> {
  const index = await buildSequenceIndex(file, options);
  const query = index.records.find((r) => r.id === recordId);
  if (!query) throw new RecordNotFoundError(`${file}: no record with id '${recordId}' (${index.records.length} records; ids are the first word of each header)`);
  return { index, query, items: await similarInIndex(index, query.index, k, options.pool, options.signal) };
}

export class RecordNotFoundError extends Error {
  override readonly name = 'InputError';
}
