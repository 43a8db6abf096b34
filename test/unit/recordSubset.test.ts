/**
 * Saving an Embedding Map selection as a dataset: the header, then each selected record's lines
 * in file order, once each, with the file's line endings; against a plain line-set reference on
 * random inputs (fast-check).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { extractRecords, recordLines, relativeRecordPath, savedConfirmation, saveModeOf } from '../../client/recordSubset';
import type { Range } from '../../server/protocol';

const range = (l0: number, c0: number, l1: number, c1: number): Range => ({ start: { line: l0, character: c0 }, end: { line: l1, character: c1 } });

void describe('recordSubset', () => {
  void test('a range ending at character 0 of a later line stops before it', () => {
    assert.deepEqual(recordLines(range(2, 0, 4, 0)), { first: 2, last: 3 });
    assert.deepEqual(recordLines(range(2, 0, 4, 7)), { first: 2, last: 4 });
    assert.deepEqual(recordLines(range(5, 0, 5, 0)), { first: 5, last: 5 });
  });

  void test('FASTA records: picked ones in file order, whatever the selection order', () => {
    const fasta = '>a\nACGT\nAC\n>b\nGGGG\n>c\nTTTT\n';
    // Records as a reader reports them: header line to the line before the next header.
    const a = range(0, 0, 3, 0);
    const c = range(5, 0, 6, 4);
    assert.equal(extractRecords(fasta, [c, a], 0, 'x.fasta'), '>a\nACGT\nAC\n>c\nTTTT\n');
  });

  void test('a table keeps its header and its CRLF line endings', () => {
    const csv = 'id,x,label\r\n1,0.5,a\r\n2,0.7,b\r\n3,0.1,a\r\n';
    assert.equal(extractRecords(csv, [range(3, 0, 3, 9), range(1, 0, 1, 7)], 1, 'x.csv'), 'id,x,label\r\n1,0.5,a\r\n3,0.1,a\r\n');
  });

  void test('a record past the end of the file is an error naming the file and line (the file changed)', () => {
    assert.throws(() => extractRecords('>a\nAC\n', [range(4, 0, 5, 0)], 0, 'seqs.fasta'), /^Error: seqs\.fasta:5: the record reaches past the end of the file \(2 lines\)/u);
  });

  void test('matches a plain reference: header, then the union of the ranges\' lines in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z0-9,]{0,6}$/u), { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(40), fc.nat(3), fc.boolean()), { maxLength: 10 }),
        fc.nat(3),
        (lines, crlf, picks, header) => {
          const n = lines.length;
          const h = Math.min(header, n);
          const eol = crlf ? '\r\n' : '\n';
          const text = lines.join(eol) + eol;
          const ranges = picks.map(([s, len, endsAtZero]) => {
            const first = s % n;
            const last = Math.min(n - 1, first + len);
            return endsAtZero ? range(first, 0, last + 1, 0) : range(first, 0, last, 1);
          });
          const keep = new Set<number>();
          for (let l = 0; l < h; l++) keep.add(l);
          for (const r of ranges) for (let l = recordLines(r).first; l <= recordLines(r).last; l++) keep.add(l);
          const expected = [...keep].sort((a, b) => a - b).map((l) => lines[l]!);
          const got = extractRecords(text, ranges, h, 'f');
          assert.equal(got, expected.length ? expected.join(eol) + eol : '');
        },
      ),
      { numRuns: 100, seed: 15 },
    );
  });

  void test('record files keep their path under the dataset folder (class folders), else just their name', () => {
    assert.equal(relativeRecordPath('/data/digits', '/data/digits/7/img_001.png'), '7/img_001.png');
    assert.equal(relativeRecordPath('/data/digits/', '/data/digits/a.png'), 'a.png');
    assert.equal(relativeRecordPath('/data/digits', '/elsewhere/b.png'), 'b.png');
  });
});

void describe('which save a dataset kind offers', () => {
  void test('lines for text records, files for image folders, none for rows of an IDX or .npy array', () => {
    const r = range(0, 0, 1, 0);
    assert.equal(saveModeOf([{ uri: 'file:///d/a.fasta', range: r }, { uri: 'file:///d/a.fasta', range: range(1, 0, 2, 0) }], 'file:///d/a.fasta'), 'lines');
    assert.equal(saveModeOf([{ uri: 'file:///d/imgs/cat/1.png' }, { uri: 'file:///d/imgs/dog/2.png' }], 'file:///d/imgs'), 'files');
    assert.equal(saveModeOf([{ uri: 'file:///d/train-images-idx3-ubyte' }, { uri: 'file:///d/train-images-idx3-ubyte' }], 'file:///d/train-images-idx3-ubyte'), undefined);
    assert.equal(saveModeOf([{ uri: 'file:///d/x.npy' }], 'file:///d/x.npy'), undefined);
    assert.equal(saveModeOf([], 'file:///d/x.csv'), undefined);
  });

  void test('a save is confirmed with buttons that open what was written', () => {
    assert.deepEqual(savedConfirmation(55, 'imgs-selection', 'files'), { message: 'Similarity Lab: saved 55 files as a new dataset, imgs-selection.', actions: ['Reveal in Explorer', 'Open First File'] });
    assert.deepEqual(savedConfirmation(1, 'a-selection.fasta', 'lines'), { message: 'Similarity Lab: saved 1 record as a new dataset, a-selection.fasta.', actions: ['Open'] });
  });
});
