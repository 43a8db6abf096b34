/**
 * The file Cluster This Dataset acts on without an argument (issue 14, item 9d): after a single
 * click in the Explorer the active tab may hold no text editor, or the active text editor may be
 * the Output panel's; the active tab's file is then the target.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultTarget, tabInputUri } from '../../client/datasetTarget';

const uri = (scheme: string, path: string) => ({ scheme, path, toString: () => `${scheme}://${path}` });

void test('a file: text editor is the target', () => {
  const editor = uri('file', '/w/a.fasta');
  assert.equal(defaultTarget(editor, { uri: uri('file', '/w/b.csv') }), editor);
});

void test('no text editor (a preview of a gzip, an image viewer): the active tab file is the target', () => {
  const tab = uri('file', '/w/reads.fastq.gz');
  assert.equal(defaultTarget(undefined, { uri: tab, viewType: 'imagePreview.previewEditor' }), tab);
  assert.equal(defaultTarget(undefined, { original: uri('git', '/w/a.fa'), modified: tab }), tab);
});

void test('the Output panel has focus: the active tab file, not output:', () => {
  const tab = uri('file', '/w/a.fasta');
  assert.equal(defaultTarget(uri('output', 'extension-output-1'), { uri: tab }), tab);
  // Nothing better: the editor's document, and the host says it is not a file.
  const out = uri('output', 'x');
  assert.equal(defaultTarget(out, undefined), out);
});

void test('tabs without a file (settings, webviews, terminals) give none', () => {
  assert.equal(defaultTarget(undefined, undefined), undefined);
  assert.equal(defaultTarget(undefined, { viewType: 'simlab.dashboard' }), undefined);
  assert.equal(tabInputUri('x'), undefined);
  assert.equal(tabInputUri({ uri: 'file:///w/a.fa' }), undefined);
});
