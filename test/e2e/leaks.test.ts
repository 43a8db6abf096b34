/**
 * Leakage between splits in a real VS Code (issue 17's "Done when"): code-server 4.139 (VS Code
 * 1.139) driven through Debian's chromium with playwright-core. The workspace holds train.fasta
 * and test.fasta (real 16S records, five of them planted copies of train records with 1 %
 * substitutions: test/helpers/plantedSplits.ts) and declares them in .vscode/settings.json as
 * `similarityLab.splits`. Without any command: Warnings land on exactly the planted header lines
 * of test.fasta; the related information of one opens train.fasta at the record it copies; the
 * Leakage view shows the file pair's count and lists the leaking records (a click reveals one);
 * the hover on a planted copy's sequence line names the train record, and its line link opens
 * train.fasta there. Then the Explorer: two files
 * selected offer Check Splits for Leakage, which asks for the reference and checks again; so does one
 * file right-clicked, its other splits picked among the workspace's datasets.
 * The steps are test/e2e/workbench.ts's, shared with vscode.test.ts. Screenshots go to test-results/e2e/leaks-*. SIMLAB_SKIP_E2E=1 skips it. Needs
 * `npm run build` first.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { plantedSplits } from '../helpers/plantedSplits';
import { ROOT, SHOTS, Workbench } from './workbench';

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'dna', '16S-sample.fasta');
const skip = process.env['SIMLAB_SKIP_E2E'] === '1';
if (skip) console.log('e2e: skipped because SIMLAB_SKIP_E2E=1');

void describe('leakage between splits in VS Code (code-server + chromium)', { skip }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'simlab-e2e-leaks-'));
  const workspace = path.join(tmp, 'workspace');
  const splits = plantedSplits(readFileSync(FIXTURE, 'utf8'));
  /** Planted copies in test file order: 1-based test header line, the train record's id and 1-based header line. */
  const planted = splits.copies.map((c, i) => ({
    id: `planted-${i}`,
    line: ([...splits.planted.keys()][i] as number) + 1,
    original: splits.trainRecs[c.of]!.id,
    originalLine: (splits.train.lines[c.of] as number) + 1,
  }));
  const wb = new Workbench({ tmp, shotPrefix: 'leaks-' });
  const { guarded, shot, palette, answer, contextMenuItem, showProblems, explorerRow, openFile, clickToOpen, cursorAt, goTo, hoverAtCursor } = wb;
  let page: Page;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
    writeFileSync(path.join(workspace, 'train.fasta'), splits.train.text);
    writeFileSync(path.join(workspace, 'test.fasta'), splits.test.text);
    writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'similarityLab.splits': { train: 'train.fasta', test: 'test.fasta' } }, null, 2));
    await wb.start(workspace);
    page = wb.page;
  });

  after(async () => {
    await wb.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  /**
   * The Leakage pane of the Similarity Lab side bar, shown and expanded by the view's own Focus
   * command (the container's activity-bar icon carries the view's badge, which takes the click).
   */
  const leakagePane = async () => {
    await palette('Focus on Leakage View');
    const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^Leakage/u }) });
    await pane.waitFor({ state: 'visible', timeout: 20_000 });
    return pane;
  };

  void test('the declared splits are checked on start: a Warning on each planted line of test.fasta, and only there', guarded('warnings', async () => {
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'test.fasta' }).waitFor({ timeout: 60_000 });
    await showProblems('also in train.fasta');
    const rows = page.locator('.markers-panel .monaco-list-row[aria-level="2"]', { hasText: 'also in train.fasta: ' });
    await rows.nth(planted.length - 1).waitFor({ timeout: 120_000 });
    await shot('problems');
    const texts = await rows.allInnerTexts();
    assert.equal(texts.length, planted.length, `one warning per planted copy:\n${texts.join('\n')}`);
    const lines = texts.map((t) => Number(/\[Ln (\d+), Col \d+\]/u.exec(t)?.[1])).sort((a, b) => a - b);
    assert.deepEqual(lines, planted.map((p) => p.line));
    for (const p of planted) {
      const row = rows.filter({ hasText: `[Ln ${p.line}, Col` });
      assert.match((await row.innerText()).replace(/\s+/gu, ' '), new RegExp(`also in train\\.fasta: ${p.original} · 9\\d\\.\\d % identity`, 'u'));
      assert.equal(await row.locator('.codicon-warning').count(), 1, `line ${p.line}: a warning`);
    }
    // All on test.fasta: the train split is the reference, never warned.
    const files = await page.locator('.markers-panel .monaco-list-row[aria-level="1"]').allInnerTexts();
    assert.deepEqual(files.map((f) => f.split(/\s/u)[0]), ['test.fasta']);
  }));

  void test("a warning's related information opens train.fasta at the record it copies", guarded('related', async () => {
    const copy = planted[2]!;
    await showProblems(`also in train.fasta: ${copy.original} · `);
    // The warning's related information is its child row (aria-level 3): `<id> · 99.x % identity  train.fasta [Ln N, Col 1]`.
    const related = page.locator('.markers-panel .monaco-list-row[aria-level="3"]', { hasText: `${copy.original} · ` }).first();
    await related.waitFor({ timeout: 30_000 });
    assert.match((await related.innerText()).replace(/\s+/gu, ' '), new RegExp(`train\\.fasta.*\\[Ln ${copy.originalLine}, Col \\d+\\]`, 'u'));
    await clickToOpen(related, 'train.fasta');
    await cursorAt(copy.originalLine);
    const editorLine = page.locator('.editor-instance .view-line', { hasText: `>${copy.original}` });
    await editorLine.first().waitFor({ timeout: 10_000 });
    await shot('related-opened');
  }));

  void test('the Leakage view shows the file pair with its count; a leaking record reveals its line', guarded('view', async () => {
    const pane = await leakagePane();
    // The container's icon counts the leaking records (the view's badge).
    await page.locator(`.activitybar .action-label[aria-label="Similarity Lab - ${planted.length} leaking records"]`).waitFor({ timeout: 10_000 });
    const pair = pane.locator('.monaco-list-row', { hasText: 'train.fasta ← test.fasta' }).first();
    await pair.waitFor({ timeout: 30_000 });
    // A row's label and its (greyed) description are elements of their own.
    assert.equal(await pair.locator('.label-name').innerText(), 'train.fasta ← test.fasta');
    assert.equal(await pair.locator('.label-description').innerText(), `${planted.length} leaking of ${splits.testRecs.length}`);
    const records = pane.locator('.monaco-list-row[aria-level="2"]');
    await records.nth(planted.length - 1).waitFor({ timeout: 10_000 });
    assert.deepEqual(await records.locator('.label-name').allInnerTexts(), planted.map((p) => p.id));
    for (const [i, p] of planted.entries()) assert.match(await records.nth(i).locator('.label-description').innerText(), new RegExp(`^${p.original} · 9\\d\\.\\d % identity · line ${p.line}$`, 'u'));
    await shot('leakage-view');
    const last = planted.at(-1)!;
    await clickToOpen(records.filter({ hasText: last.id }), 'test.fasta');
    await cursorAt(last.line);
  }));

  void test("the hover on a planted copy's sequence names the train record it copies; its line is a link there", guarded('hover', async () => {
    await openFile('test.fasta');
    const copy = planted[1]!;
    // A sequence line of the copy: only the extension's hover is there (the warning is on the header).
    await goTo(copy.line + 2, 5);
    const text = (await hoverAtCursor('also in train.fasta')).replace(/\s+/gu, ' ');
    assert.match(text, new RegExp(`${copy.id}.*also in train\\.fasta: ${copy.original} · 9\\d\\.\\d % identity \\(line ${copy.originalLine}\\)`, 'u'));
    await shot('hover');
    // The train record's line is a link: it opens train.fasta there.
    await page.locator('.monaco-hover a', { hasText: `line ${copy.originalLine}` }).first().click();
    await page.locator('.tab.active[data-resource-name="train.fasta"]').waitFor({ timeout: 20_000 });
    await cursorAt(copy.originalLine);
    await page.locator('.editor-instance .view-line', { hasText: `>${copy.original}` }).first().waitFor({ timeout: 10_000 });
    await shot('hover-link-opened');
  }));

  void test('two files selected in the Explorer: Check Splits for Leakage asks for the reference and checks again', guarded('explorer', async () => {
    await page.keyboard.press('Control+Shift+E');
    await explorerRow('test.fasta').click();
    await explorerRow('train.fasta').click({ modifiers: ['Control'] });
    await explorerRow('train.fasta').click({ button: 'right' });
    await page.locator('.context-view .action-item', { hasText: 'Check Splits for Leakage' }).first().waitFor({ timeout: 10_000 });
    await shot('explorer-menu');
    await contextMenuItem('Check Splits for Leakage');
    await answer('train.fasta', 'train.fasta');
    const toast = page.locator('.notifications-toasts', { hasText: `${planted.length} leaking records of ${splits.testRecs.length}: 0 exact and ${planted.length} near copies of records of train.fasta` });
    await toast.waitFor({ timeout: 120_000 });
    await shot('explorer-checked');
  }));

  void test('one dataset file right-clicked: the other splits are picked among the datasets, then the reference', guarded('explorer-one', async () => {
    await palette('Notifications: Clear All Notifications');
    await page.keyboard.press('Control+Shift+E');
    // The click opens test.fasta in the editor; wait for it, so the editor taking focus cannot
    // land while the pick below is already open.
    await clickToOpen(explorerRow('test.fasta'), 'test.fasta');
    await explorerRow('test.fasta').click({ button: 'right' });
    await contextMenuItem('Check Splits for Leakage');
    // A multi-select pick of the other datasets: check train.fasta, accept.
    const other = page.locator('.quick-input-list .monaco-list-row', { hasText: 'train.fasta' }).first();
    await other.waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('.quick-input-list .monaco-list-row', { hasText: 'test.fasta' }).count(), 0, 'the clicked file is not offered again');
    await other.click();
    await page.keyboard.press('Enter');
    await answer('train.fasta', 'train.fasta');
    const toast = page.locator('.notifications-toasts', { hasText: `${planted.length} leaking records of ${splits.testRecs.length}: 0 exact and ${planted.length} near copies of records of train.fasta` });
    await toast.waitFor({ timeout: 120_000 });
    await shot('explorer-one-checked');
  }));
});
