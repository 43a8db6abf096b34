/**
 * The one decision of how a dataset is clustered (sequences and text by identity, numeric data by a
 * radius) and the one resolver of its parameters, shared by the host and the CLI: given values win,
 * then the caller's defaults, then the built-in ones; errors name the parameter the caller's way.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_CANDIDATES_PER_RECORD, DEFAULT_MIN_PTS, DEFAULT_MUTUAL_NEIGHBOURS, DEFAULT_SHARED_NEIGHBOURS, DEFAULT_STRONG_SIMILARITY, DEFAULT_THRESHOLD } from '../../../server/jobs/clusterDataset';
import { clusterKindOf, resolveClusterParams, resolveVectorClusterParams, type ClusterParamsNaming } from '../../../server/jobs/clusterParams';
import { DEFAULT_VECTOR_MIN_PTS } from '../../../server/jobs/vectorClusterDataset';

const FIXTURES = path.resolve(__dirname, '../../fixtures');

class TestError extends Error {}
const AS_GIVEN: ClusterParamsNaming = { name: (key) => key, error: (message) => new TestError(message) };
const AS_FLAGS: ClusterParamsNaming = { name: (key) => `--${key}`, error: (message) => new TestError(message) };

void describe('clusterKindOf', () => {
  void test('sequences and text by identity; tables, IDX and folders of images or volumes by a radius', async () => {
    assert.equal(await clusterKindOf(path.join(FIXTURES, 'dna/16S-sample.fasta')), 'sequence');
    assert.equal(await clusterKindOf(path.join(FIXTURES, 'dna/tiny.fasta.gz')), 'sequence');
    assert.equal(await clusterKindOf(path.join(FIXTURES, 'images/fashion64-images-idx3-ubyte.gz')), 'vector');
    assert.equal(await clusterKindOf(path.join(FIXTURES, 'volumes')), 'vector');
  });
});

void describe('resolveClusterParams', () => {
  void test('nothing given: the built-in defaults of each kind', () => {
    assert.deepEqual(resolveClusterParams('sequence', {}, { naming: AS_GIVEN }), {
      kind: 'sequence',
      params: {
        threshold: DEFAULT_THRESHOLD,
        minPts: DEFAULT_MIN_PTS,
        candidatesPerRecord: DEFAULT_CANDIDATES_PER_RECORD,
        mutualNeighbours: { neighbours: DEFAULT_MUTUAL_NEIGHBOURS, strongSimilarity: DEFAULT_STRONG_SIMILARITY, sharedNeighbours: DEFAULT_SHARED_NEIGHBOURS },
      },
    });
    assert.deepEqual(resolveClusterParams('vector', {}, { naming: AS_GIVEN }), { kind: 'vector', params: { minPts: DEFAULT_VECTOR_MIN_PTS, method: 'leiden' } });
    assert.deepEqual(resolveClusterParams('vector', { method: 'dbscan' }, { naming: AS_GIVEN }), { kind: 'vector', params: { minPts: DEFAULT_VECTOR_MIN_PTS, method: 'dbscan', mutualNeighbours: DEFAULT_MUTUAL_NEIGHBOURS } });
  });

  void test('numeric data: a radius or a mutual k given means DBSCAN, else the caller\'s default method; its eps applies only to DBSCAN', () => {
    const method = (given: Record<string, unknown>, defaults = {}) => resolveVectorClusterParams(given, { defaults, naming: AS_GIVEN }).method;
    assert.equal(method({ eps: 1 }), 'dbscan');
    assert.equal(method({ mutualNeighbours: 4 }), 'dbscan');
    assert.equal(method({ eps: 1 }, { method: 'leiden' }), 'dbscan', 'a radius in the request beats the setting');
    assert.deepEqual(resolveClusterParams('vector', {}, { defaults: { method: 'dbscan', eps: 2 }, naming: AS_GIVEN }).params, { minPts: DEFAULT_VECTOR_MIN_PTS, method: 'dbscan', eps: 2, mutualNeighbours: DEFAULT_MUTUAL_NEIGHBOURS });
    assert.deepEqual(resolveClusterParams('vector', {}, { defaults: { method: 'leiden', eps: 2 }, naming: AS_GIVEN }).params, { minPts: DEFAULT_VECTOR_MIN_PTS, method: 'leiden' });
    assert.equal(method({ method: 'leiden' }, { method: 'dbscan' }), 'leiden');
  });

  void test('given values win over the defaults, which win over the built-in ones; numeric data keep their own minPts', () => {
    const defaults = { threshold: 0.9, minPts: 3, eps: 2 };
    const seq = resolveClusterParams('sequence', { minPts: 4 }, { defaults, naming: AS_GIVEN });
    assert.equal(seq.kind, 'sequence');
    assert.equal(seq.params.threshold, 0.9);
    assert.equal(seq.params.minPts, 4);
    const vec = resolveClusterParams('vector', { eps: 0.5 }, { defaults, naming: AS_GIVEN });
    assert.deepEqual(vec.params, { minPts: DEFAULT_VECTOR_MIN_PTS, method: 'dbscan', eps: 0.5, mutualNeighbours: DEFAULT_MUTUAL_NEIGHBOURS });
    assert.equal(resolveClusterParams('vector', {}, { defaults, naming: AS_GIVEN }).params.minPts, DEFAULT_VECTOR_MIN_PTS);
  });

  void test('0 turns the refinement and the candidate budget off; exact drops the refinement', () => {
    const plain = resolveClusterParams('sequence', { mutualNeighbours: 0, candidatesPerRecord: 0 }, { naming: AS_GIVEN }).params;
    assert.ok(!('mutualNeighbours' in plain) && !('candidatesPerRecord' in plain));
    const exact = resolveClusterParams('sequence', { exact: true }, { naming: AS_GIVEN }).params;
    assert.ok('exact' in exact && exact.exact === true);
    assert.ok(!('mutualNeighbours' in exact));
    assert.ok(!('mutualNeighbours' in resolveClusterParams('vector', { mutualNeighbours: 0 }, { naming: AS_GIVEN }).params));
    const mutualOnly = resolveClusterParams('sequence', { sharedNeighbours: 0 }, { naming: AS_GIVEN }).params;
    assert.deepEqual('mutualNeighbours' in mutualOnly && mutualOnly.mutualNeighbours, { neighbours: DEFAULT_MUTUAL_NEIGHBOURS, strongSimilarity: DEFAULT_STRONG_SIMILARITY });
  });

  void test('bad values are refused, named the caller\'s way', () => {
    const refused = (kind: 'sequence' | 'vector', given: Record<string, unknown>, naming: ClusterParamsNaming, message: RegExp) =>
      assert.throws(() => resolveClusterParams(kind, given, { naming }), (e: unknown) => e instanceof TestError && message.test(e.message));
    refused('sequence', { threshold: 1.5 }, AS_GIVEN, /^threshold is an identity in \(0, 1\], got 1\.5$/u);
    refused('sequence', { threshold: '0.9' }, AS_GIVEN, /^threshold is an identity in \(0, 1\], got "0\.9"$/u);
    refused('sequence', { minPts: 0 }, AS_FLAGS, /^--minPts needs a positive integer, got 0$/u);
    refused('sequence', { mutualNeighbours: -1 }, AS_FLAGS, /^--mutualNeighbours needs a non-negative integer, got -1$/u);
    refused('sequence', { exact: true, mutualNeighbours: 4 }, AS_FLAGS, /^--exact is the study's plain DBSCAN on the full matrix; it takes no --mutualNeighbours$/u);
    refused('sequence', { sharedNeighbours: 1.5 }, AS_FLAGS, /^--sharedNeighbours is a fraction in \[0, 1\], got 1\.5$/u);
    refused('sequence', { sharedNeighbours: 0.5, mutualNeighbours: 0 }, AS_GIVEN, /^sharedNeighbours refines the mutual-neighbour links; it does not apply to mutualNeighbours 0$/u);
    refused('sequence', { sharedNeighbours: 0.5, exact: true }, AS_GIVEN, /it does not apply to exact$/u);
    refused('vector', { sharedNeighbours: 0.5 }, AS_GIVEN, /^sharedNeighbours applies to sequences and text/u);
    refused('vector', { eps: 0 }, AS_GIVEN, /^eps needs a positive number, got 0$/u);
    refused('vector', { eps: Number.POSITIVE_INFINITY }, AS_GIVEN, /^eps needs a positive number, got Infinity$/u);
    refused('vector', { minPts: 2.5 }, AS_GIVEN, /^minPts needs a positive integer, got 2\.5$/u);
    refused('vector', { method: 'greedy' }, AS_GIVEN, /^method is leiden or dbscan, got "greedy"$/u);
    refused('vector', { method: 'leiden', eps: 1 }, AS_FLAGS, /^--eps applies to --method dbscan; leiden needs no radius$/u);
    refused('vector', { method: 'leiden', mutualNeighbours: 8 }, AS_GIVEN, /^mutualNeighbours applies to method dbscan/u);
  });
});
