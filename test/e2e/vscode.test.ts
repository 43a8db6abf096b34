/**
 * The packaged extension in a real VS Code (code-server 4.139 = VS Code 1.139) driven through
 * Debian's chromium with playwright-core: Cluster This Dataset from the command palette →
 * diagnostics in the Problems panel → Find Similar Files from the Explorer context menu → the
 * Similar Items view → a click opens the item; the same for an image of a class-folder image
 * dataset; Train Similarity Model on a table → the Training Dashboard webview → the Models view →
 * Find Similar With Model; the model's Embedding Map → hover and click a point → the record is
 * selected in its file; a crashed host restarts. Issue 14: outliers are listed in Problems as
 * Information; an Embedding Map of a clustered file leaves its diagnostics and the Clusters view
 * alone (the hover has both layers); the dashboard says why the run ended, not in the error
 * colour, plots no bookkeeping, names its tab after the run, and the run has one progress item; on
 * a file of 2,300 records with maxPerFile 40 one note names the cut and a near-duplicate at the end
 * of the file is listed. Screenshots of each step go to test-results/e2e/.
 * SIMLAB_SKIP_E2E=1 skips it (with a printed line). Needs `npm run build` first.
 */
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { grow16S } from '../helpers/grow16S';
import { ROOT, SHOTS, Workbench } from './workbench';

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'dna', '16S-sample.fasta');
const IMAGES = path.join(ROOT, 'test', 'fixtures', 'images', 'fashion');
const TABLE = path.join(ROOT, 'test', 'fixtures', 'tables', 'iris.csv');
const skip = process.env['SIMLAB_SKIP_E2E'] === '1';
if (skip) console.log('e2e: skipped because SIMLAB_SKIP_E2E=1');

/** The pid of the analysis host that code-server started from our (unique) extensions folder. */
function findHostPid(extensionsDir: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/u.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const args = cmdline.split('\0');
    if (args.some((a) => a.startsWith(extensionsDir) && a.endsWith(`${path.sep}dist${path.sep}server.js`))) return Number(entry);
  }
  return undefined;
}

void describe('Similarity Lab in VS Code (code-server + chromium)', { skip }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'simlab-e2e-'));
  const workspace = path.join(tmp, 'workspace');
  const wb = new Workbench({ tmp });
  const { guarded, shot, palette, answer, contextMenuItem, showProblems, openFile, goTo, hoverAtCursor, showSimilarityLab, webviewFrame } = wb;
  let page: Page;

  /** The cluster diagnostics (warnings sort first). */
  const showClusterProblems = (): Promise<void> => showProblems('members');

  /** Problems rows: a file (aria-level 1) or a diagnostic of it (aria-level 2). */
  const problemRows = (level: 1 | 2) => page.locator(`.markers-panel .monaco-list-row[aria-level="${level}"]`);

  /**
   * How many diagnostics the filter `text` shows, from the filter's "Showing N of M" badge. The
   * filter is cleared first and the badge seen hidden, so the number read is never the previous
   * filter's. For a filter that matches nothing, see `showsNoProblems`.
   */
  const countProblems = async (text: string): Promise<number> => {
    const badge = page.locator('.panel .viewpane-filter-badge:visible').first();
    await showProblems('');
    await badge.waitFor({ state: 'hidden' });
    await showProblems(text);
    const shown = page.locator('.panel .viewpane-filter-badge', { hasText: /^Showing \d+ of \d+$/u }).first();
    await shown.waitFor({ timeout: 30_000 });
    return Number(/^Showing (\d+)/u.exec((await shown.textContent()) ?? '')?.[1]);
  };

  /** The filter `text` matches no diagnostic: the panel says so (a state, not the absence of rows). */
  const showsNoProblems = async (text: string): Promise<void> => {
    await showProblems(text);
    await page.locator('.markers-panel', { hasText: 'No results found with provided filter criteria.' }).waitFor({ timeout: 30_000 });
  };

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    mkdirSync(workspace, { recursive: true });
    copyFileSync(FIXTURE, path.join(workspace, '16S-sample.fasta'));
    const records = readFileSync(FIXTURE, 'utf8').split(/(?=^>)/mu);
    writeFileSync(path.join(workspace, 'first-half.fasta'), records.slice(0, 138).join(''));
    writeFileSync(path.join(workspace, 'last-third.fa'), records.slice(184).join(''));
    cpSync(IMAGES, path.join(workspace, 'fashion'), { recursive: true });
    copyFileSync(TABLE, path.join(workspace, 'iris.csv'));
    await wb.start(workspace, {
      'similarityLab.indexOnOpen': true,
      // Small enough that a file of a few thousand records is capped (the capped test).
      'similarityLab.diagnostics.maxPerFile': 40,
    });
    page = wb.page;
  });

  after(async () => {
    await wb.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  void test('Cluster This Dataset from the palette puts cluster diagnostics in the Problems panel', guarded('cluster', async () => {
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: '16S-sample.fasta' }).waitFor({ timeout: 60_000 });
    await openFile('16S-sample.fasta');
    // The status bar item shows once the extension is active (activated by the workspace's FASTA
    // files, or by opening one: on a loaded machine VS Code's search for them can time out),
    // saying "Starting the analysis host…" until the host reports: its commands are disabled (and
    // missing from the palette) until then.
    await page.locator('.statusbar-item[aria-label^="Similarity Lab: "]:not([aria-label="Similarity Lab: Starting the analysis host…"])').first().waitFor({ timeout: 60_000 });
    await shot('workspace-open');
    await palette('Similarity Lab: Cluster This Dataset');
    await showClusterProblems();
    const row = page.locator('.markers-panel .monaco-list-row', { hasText: /cluster \d+ · \d+ members/u }).first();
    await row.waitFor({ timeout: 60_000 });
    assert.match((await row.textContent()) ?? '', /cluster \d+ · \d+ members/u);
    await shot('problems-panel');
  }));

  void test('outliers are Information diagnostics, so they are listed in Problems', guarded('outliers', async () => {
    await showProblems('outlier (noise)');
    const outlier = problemRows(2).filter({ hasText: /outlier \(noise\) · /u });
    await outlier.first().waitFor({ timeout: 30_000 });
    await shot('problems-outliers');
    const rows = await outlier.count();
    assert.ok(rows >= 1);
    for (let i = 0; i < rows; i++) assert.equal(await outlier.nth(i).locator('.codicon-info').count(), 1, `outlier row ${i} has the Information icon`);
  }));

  void test('Show Embedding Map on the clustered file keeps its diagnostics; the hover shows the clustering and the map', guarded('map-keeps-clustering', async () => {
    const nearDuplicates = await countProblems('near-duplicate of');
    assert.ok(nearDuplicates > 0, 'the sample has near-duplicates');
    // A record in a cluster: the first cluster label listed, at its header line.
    await showClusterProblems();
    const member = problemRows(2).filter({ hasText: /cluster \d+ · \d+ members/u }).first();
    await member.waitFor({ timeout: 30_000 });
    const line = Number(/\[Ln (\d+), Col/u.exec((await member.textContent()) ?? '')?.[1]);
    assert.ok(line > 0, 'the row names its line');
    await showSimilarityLab();
    const clusters = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Clusters' }) });
    await clusters.locator('.monaco-list-row').first().waitFor({ timeout: 30_000 });
    const clustersBefore = await clusters.locator('.monaco-list-row').allInnerTexts();

    await page.locator('.tab', { hasText: '16S-sample.fasta' }).first().click();
    await page.locator('.tab.active[data-resource-name="16S-sample.fasta"]').waitFor();
    await palette('Similarity Lab: Show Embedding Map');
    const map = await webviewFrame('.legend-item', 120_000);
    assert.ok((await map.locator('canvas').count()) >= 1, 'the map draws its points');
    await page.locator('.tab', { hasText: 'Embedding Map: 16S-sample.fasta' }).waitFor();
    await shot('embedding-map-legend');

    // The record's hover has both layers (asked of the host after the map was made).
    await page.locator('.tab[data-resource-name="16S-sample.fasta"]').click();
    await goTo(line, 2);
    const hover = await hoverAtCursor('Embedding map:');
    assert.match(hover, /Cluster \d+ · \d+ members/u);
    assert.match(hover, /Embedding map: (cluster \d+ · \d+ members|outlier \(noise\))/u);
    await shot('hover-cluster-and-map');
    await page.keyboard.press('Escape');

    // The clustering's diagnostics stay; the map's clusters are not diagnostics of this file.
    assert.equal(await countProblems('near-duplicate of'), nearDuplicates);
    await showsNoProblems('map cluster');
    await shot('problems-after-map');
    assert.deepEqual(await clusters.locator('.monaco-list-row').allInnerTexts(), clustersBefore, 'the Clusters view keeps the clustering');

    // Closed, so that the model's map later is the only map frame.
    const tab = page.locator('.tab', { hasText: 'Embedding Map: 16S-sample.fasta' });
    await tab.click();
    await tab.locator('.tab-actions .action-label').first().click();
    await tab.waitFor({ state: 'detached' });
  }));

  void test('Find Similar Files from the Explorer context menu fills Similar Items; a click opens the file', guarded('find-similar-files', async () => {
    await page.keyboard.press('Control+Shift+E');
    const fileRow = page.locator('.explorer-folders-view .monaco-list-row', { hasText: '16S-sample.fasta' }).first();
    await fileRow.click({ button: 'right' });
    await page.locator('.context-view .action-item', { hasText: 'Find Similar Files' }).first().waitFor({ timeout: 10_000 });
    await shot('explorer-context-menu');
    await contextMenuItem('Find Similar Files');
    const similarPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Similar Items' }) });
    const result = similarPane.locator('.monaco-list-row', { hasText: 'first-half.fasta' }).first();
    await result.waitFor({ timeout: 60_000 });
    assert.match((await result.textContent()) ?? '', /Jaccard 0\.\d+/u);
    await shot('similar-items');
    await result.click();
    await page.locator('.tab.active', { hasText: 'first-half.fasta' }).waitFor({ timeout: 20_000 });
    await shot('item-opened');
  }));

  void test('the "Find similar" code lens on a record lists records; a click reveals the record', guarded('find-similar-record', async () => {
    await page.locator('.tab', { hasText: '16S-sample.fasta' }).first().click();
    await page.locator('.tab.active', { hasText: '16S-sample.fasta' }).waitFor();
    const lens = page.locator('.codelens-decoration a', { hasText: 'Find similar' }).first();
    await lens.waitFor({ timeout: 30_000 });
    await lens.click();
    const similarPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Similar Items' }) });
    const first = similarPane.locator('.monaco-list-row', { hasText: '% identity' }).first();
    await first.waitFor({ timeout: 60_000 });
    const description = (await first.textContent()) ?? '';
    const line = /line (\d+)/u.exec(description)?.[1];
    assert.ok(line, `a line in ${description}`);
    await shot('similar-records');
    await first.click();
    await page.locator('.statusbar-item', { hasText: new RegExp(`Ln ${line},`, 'u') }).first().waitFor({ timeout: 20_000 });
    await shot('record-revealed');
  }));

  void test('Find Similar Files on an image of a class-folder dataset lists similar images; a click opens one', guarded('find-similar-image', async () => {
    await page.keyboard.press('Control+Shift+E');
    const explorer = page.locator('.explorer-folders-view');
    const row = (name: string) => explorer.locator('.monaco-list-row', { hasText: new RegExp(`^${name}$`, 'u') }).first();
    await row('fashion').click();
    await row('trouser').click();
    await row('00016.png').waitFor({ timeout: 20_000 });
    await row('00016.png').click({ button: 'right' });
    await page.locator('.context-view .action-item', { hasText: 'Find Similar Files' }).first().waitFor({ timeout: 10_000 });
    await shot('image-context-menu');
    await contextMenuItem('Find Similar Files');
    const similarPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Similar Items' }) });
    // The metric is named once, over the rows; each row reads `distance 12.3`.
    await similarPane.getByText('by euclidean distance').first().waitFor({ timeout: 60_000 });
    const first = similarPane.locator('.monaco-list-row', { hasText: /distance \d/u }).first();
    await first.waitFor({ timeout: 60_000 });
    const label = (await first.textContent()) ?? '';
    // The nearest image of a trouser is another trouser (ids are paths relative to the dataset folder).
    assert.match(label, /trouser\/\d+\.png/u);
    assert.doesNotMatch(label, /00016\.png/u);
    await shot('similar-images');
    const name = /trouser\/(\d+\.png)/u.exec(label)?.[1] as string;
    await first.click();
    await page.locator('.tab.active', { hasText: name }).waitFor({ timeout: 20_000 });
    await shot('image-opened');
  }));

  void test('Train Similarity Model on a table: the dashboard follows the run, the Models view lists the model, Find Similar With Model answers', guarded('train', async () => {
    await openFile('iris.csv');
    // Every progress item of the run the workbench shows (status bar items, notifications), counted
    // at each change of the page from before the run starts: at most one at any time.
    // (A script of its own: functions in a page.evaluate callback would carry the test bundler's __name helper.)
    await page.evaluate(`
      window.simlabTrainingItems = { most: 0, seen: [] };
      new MutationObserver(() => {
        const items = [...document.querySelectorAll('.statusbar-item, .notification-toast')].filter((e) => /Training /u.test(e.textContent ?? ''));
        window.simlabTrainingItems.most = Math.max(window.simlabTrainingItems.most, items.length);
        for (const e of items) if (!window.simlabTrainingItems.seen.includes(e.textContent)) window.simlabTrainingItems.seen.push(e.textContent);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    `);
    await palette('Similarity Lab: Train Similarity Model');
    await answer('cosine', 'cosine');
    await answer('4');
    const dashboard = await webviewFrame('.status[data-status]');
    await dashboard.locator('.status[data-status="finished"]').waitFor({ timeout: 120_000 });
    const runTitle = (await dashboard.locator('.run-title').textContent()) ?? '';
    assert.match(runTitle, /iris/u);
    assert.ok((await dashboard.locator('.chart canvas').count()) > 0, 'the dashboard draws its curves');
    // Why the run ended, in the text colour (the model was saved: not an error).
    const message = dashboard.locator('.status-message');
    await message.waitFor({ state: 'visible' });
    await shot('training-dashboard');
    assert.match((await message.textContent()) ?? '', /^Finished all 4 epochs\. The best epoch is saved to .*iris-siamese-\d{8}T\d{6}Z\.$/u);
    const colours = await message.evaluate((m) => {
      const probe = document.createElement('span');
      probe.style.color = 'var(--vscode-errorForeground)';
      document.body.append(probe);
      const error = getComputedStyle(probe).color;
      probe.remove();
      return { message: getComputedStyle(m).color, body: getComputedStyle(document.body).color, error };
    });
    assert.notEqual(colours.message, colours.error, 'the end of a run that saved its model is not in the error colour');
    assert.equal(colours.message, colours.body);
    // Only scores are plotted: the trainer's bookkeeping (collapsed steps, validation items) is text.
    const plotted = await dashboard.locator('.u-legend .u-series .u-label').allTextContents();
    assert.ok(plotted.includes('train loss'), `plotted: ${plotted.join(', ')}`);
    for (const label of plotted) assert.doesNotMatch(label, /collapsed|validationItems/iu);
    // The tab is named after the run; the run had one progress item.
    const modelInTitle = /iris-siamese-\d{8}T\d{6}Z/u.exec(runTitle)?.[0] ?? 'no model id in the run title';
    await page.locator('.tab', { hasText: `Training: ${modelInTitle}` }).waitFor({ timeout: 10_000 });
    const items = await page.evaluate(() => (window as unknown as { simlabTrainingItems: { most: number; seen: string[] } }).simlabTrainingItems);
    assert.equal(items.most, 1, `progress items of the run at once (seen: ${items.seen.join(' | ')})`);
    const models = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Models' }) });
    const model = models.locator('.monaco-list-row', { hasText: 'iris' }).first();
    await model.waitFor({ timeout: 30_000 });
    const modelId = /iris-siamese-\d{8}T\d{6}Z/u.exec((await model.textContent()) ?? '')?.[0];
    assert.ok(modelId, 'the model row names the model');
    // The cursor on a record (line 20 holds a data row; line 1 is the header), then the model's nearest rows.
    await page.locator('.tab', { hasText: 'iris.csv' }).first().click();
    await page.keyboard.press('Control+G');
    await answer(':20');
    await page.locator('.statusbar-item', { hasText: /Ln 20,/u }).first().waitFor({ timeout: 10_000 });
    await palette('Similarity Lab: Find Similar With Model');
    await answer(modelId, modelId);
    const similarPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Similar Items' }) });
    // Rows of the table in the model's distance, named over the rows (the earlier image results say "by euclidean distance").
    await similarPane.getByText(`by cosine (model ${modelId}) distance`).first().waitFor({ timeout: 60_000 });
    await similarPane.locator('.monaco-list-row', { hasText: /distance \d/u }).first().waitFor({ timeout: 60_000 });
    await shot('similar-with-model');
  }));

  void test("Show Embedding Map from the model's row: the map shows its points; a click on one reveals the record", guarded('embedding-map', async () => {
    const models = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Models' }) });
    const model = models.locator('.monaco-list-row', { hasText: 'iris' }).first();
    await model.hover();
    await model.locator('.action-label[aria-label*="Show Embedding Map"]').click();
    const map = await webviewFrame('.legend-item');
    assert.ok((await map.locator('.legend-item').count()) >= 1, 'a legend');
    await shot('embedding-map');
    // Where point 0 is drawn (the page's test hook), moved into the page's coordinates by the
    // webview frame's box (Playwright gives a nested frame's box in the page's coordinates).
    const at = await map.evaluate(() => (window as unknown as { simlabEmbeddingMap: { screenPosition(i: number): [number, number] | undefined } }).simlabEmbeddingMap.screenPosition(0));
    assert.ok(at, 'point 0 is drawn');
    const box = await (await map.frameElement()).boundingBox();
    assert.ok(box, 'the webview frame has a box');
    const [x, y] = [box.x + at[0], box.y + at[1]];
    await page.mouse.move(x + 30, y + 30);
    await page.mouse.move(x, y, { steps: 4 });
    await map.locator('.hover-card:not([hidden])').waitFor({ timeout: 10_000 });
    await page.mouse.click(x, y);
    // The record's line is selected in iris.csv (the status bar counts the selected characters).
    await page.locator('.statusbar-item', { hasText: /\(\d+ selected\)/u }).first().waitFor({ timeout: 20_000 });
    await shot('map-record-revealed');
  }));

  void test('a crashed host is restarted with a message, and the diagnostics come back', guarded('host-crash', async () => {
    const hostPid = findHostPid(path.join(wb.stateDir, 'extensions'));
    assert.ok(hostPid, 'the analysis host process of our extensions folder');
    process.kill(hostPid, 'SIGKILL');
    const toast = page.locator('.notifications-toasts', { hasText: 'analysis host stopped unexpectedly; restarting it (1/3)' });
    await toast.waitFor({ timeout: 30_000 });
    await shot('host-restarted');
    const datasets = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Datasets' }) });
    await datasets.locator('.monaco-list-row', { hasText: /16S-sample\.fasta\s*clustered/u }).waitFor({ timeout: 60_000 });
    await showClusterProblems();
    await page.locator('.markers-panel .monaco-list-row', { hasText: /cluster \d+ · \d+ members/u }).first().waitFor({ timeout: 60_000 });
    assert.notEqual(findHostPid(path.join(wb.stateDir, 'extensions')), hostPid, 'a new host process');
    await shot('diagnostics-back');
  }));

  void test('a file of 2,300 records with maxPerFile 40: one note names the cut; near-duplicates to the end of the file are all listed, and hover', guarded('capped', async () => {
    // Written now (not in before()), so the earlier tests' Find Similar Files and restarts do not index it.
    const grown = grow16S(readFileSync(FIXTURE, 'utf8'));
    writeFileSync(path.join(workspace, '16S-grown.fasta'), grown.text);
    const lines = grown.text.split('\n');
    // The last planted copy, near the end of the file, and the record it copies.
    const copyLine = grown.copyLines.at(-1) as number;
    const original = /^>\S+\.copy near-duplicate of (\S+)$/u.exec(lines[copyLine] ?? '')?.[1];
    assert.ok(original && copyLine > lines.length * 0.9, `a copy near the end (line ${copyLine + 1} of ${lines.length})`);
    await page.keyboard.press('Control+Shift+E');
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: '16S-grown.fasta' }).waitFor({ timeout: 30_000 });
    await openFile('16S-grown.fasta');
    await palette('Similarity Lab: Cluster This Dataset');
    await showSimilarityLab();
    const datasets = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Datasets' }) });
    await datasets.locator('.monaco-list-row', { hasText: /16S-grown\.fasta\s*clustered/u }).waitFor({ timeout: 180_000 });

    // One note for this file (the sample has its own), and only that one of the file matches.
    await showProblems('maxPerFile');
    const grownFile = problemRows(1).filter({ hasText: '16S-grown.fasta' });
    const note = problemRows(2).filter({ hasText: /cluster labels shown for the first 40 of \d,\d{3} records in clusters — setting similarityLab\.diagnostics\.maxPerFile \(near-duplicates and outliers are all shown\)/u });
    await note.first().waitFor({ timeout: 30_000 });
    await shot('problems-capped-note');
    assert.equal(await note.count(), 1);
    assert.equal((await grownFile.locator('.monaco-count-badge').textContent())?.trim(), '1');

    // The near-duplicate warning of a copy near the end of the file (past any cap of 40).
    await showProblems(`near-duplicate of ${original} · `);
    const late = problemRows(2).filter({ hasText: `near-duplicate of ${original} · ` }).filter({ hasText: `[Ln ${copyLine + 1}, Col` });
    await late.waitFor({ timeout: 30_000 });
    await shot('problems-late-near-duplicate');
    assert.equal(await late.locator('.codicon-warning').count(), 1, 'a warning');

    // Its hover, at the header line: the warning itself (diagnostics are published most severe
    // first, so this late copy's warning is among the first 500 that VS Code draws and puts in
    // hovers), and the extension's hover, where the record it copies is its nearest neighbour.
    await page.locator('.tab[data-resource-name="16S-grown.fasta"]').click();
    await goTo(copyLine + 1, 2);
    const originalLine = (grown.originalLines.at(-1) as number) + 1;
    const hover = await hoverAtCursor('Nearest neighbours:');
    const id = original.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
    assert.match(hover, new RegExp(`near-duplicate of ${id} · 99\\.\\d % identity`, 'u'));
    assert.match(hover, new RegExp(`${id}\\.copy · [^\\n]*\\d+ bases`, 'u'));
    assert.match(hover, new RegExp(`${id}[^\\n]* — 99\\.\\d % identity \\(line ${originalLine}\\)`, 'u'));
    await shot('hover-late-near-duplicate');
    await page.keyboard.press('Escape');
  }));
});
