/** One column for Similarity Lab's panels: a new one opens where one already is, else beside the editor. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSimilarityLabPanel, panelColumn } from '../../client/panelColumn';

void test('no Similarity Lab panel open: beside the editor', () => {
  assert.equal(panelColumn([]), 'beside');
  assert.equal(panelColumn([{ viewColumn: 1, webviewTypes: [] }, { viewColumn: 2, webviewTypes: ['mainThreadWebview-markdown.preview'] }]), 'beside');
});

void test('a dashboard or map open: its column, not a new one', () => {
  assert.equal(panelColumn([{ viewColumn: 1, webviewTypes: [] }, { viewColumn: 2, webviewTypes: ['mainThreadWebview-similarityLab.trainingDashboard'] }]), 2);
  assert.equal(panelColumn([{ viewColumn: 1, webviewTypes: ['similarityLab.embeddingMap'] }, { viewColumn: 2, webviewTypes: [] }]), 1);
  // Panels in two columns (from before): the one with more of them, ties the rightmost.
  assert.equal(panelColumn([{ viewColumn: 2, webviewTypes: ['similarityLab.embeddingMap', 'similarityLab.trainingDashboard'] }, { viewColumn: 3, webviewTypes: ['similarityLab.embeddingMap'] }]), 2);
  assert.equal(panelColumn([{ viewColumn: 2, webviewTypes: ['similarityLab.embeddingMap'] }, { viewColumn: 3, webviewTypes: ['similarityLab.embeddingMap'] }]), 3);
});

void test('only our view types count', () => {
  assert.equal(isSimilarityLabPanel('mainThreadWebview-similarityLab.embeddingMap'), true);
  assert.equal(isSimilarityLabPanel('similarityLab.trainingDashboard'), true);
  assert.equal(isSimilarityLabPanel('other.similarityLab.embeddingMapX'), false);
});
