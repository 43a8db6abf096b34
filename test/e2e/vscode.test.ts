/**
 * The packaged extension in a real VS Code (code-server 4.139 = VS Code 1.139) driven through
 * Debian's chromium with playwright-core: Cluster This Dataset from the command palette →
 * diagnostics in the Problems panel → Find Similar Files from the Explorer context menu → the
 * Similar Items view → a click opens the item; the same for an image of a class-folder image
 * dataset; Train Similarity Model on a table → the Training Dashboard webview → the Models view →
 * Find Similar With Model; the model's Embedding Map → hover and click a point → the record is
 * selected in its file; a crashed host restarts. Screenshots of each step go to test-results/e2e/.
 * SIMLAB_SKIP_E2E=1 skips it (with a printed line). Needs `npm run build` first.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Frame, Page } from 'playwright-core';
import { launchChromium, requireChromium } from '../webviews/browser';
import { ensureCodeServer, startCodeServer, type CodeServer } from './codeServer';

const ROOT = path.resolve(__dirname, '../..');
const SHOTS = path.join(ROOT, 'test-results', 'e2e');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'dna', '16S-sample.fasta');
const IMAGES = path.join(ROOT, 'test', 'fixtures', 'images', 'fashion');
const TABLE = path.join(ROOT, 'test', 'fixtures', 'tables', 'iris.csv');
const skip = process.env['SIMLAB_SKIP_E2E'] === '1';
if (skip) console.log('e2e: skipped because SIMLAB_SKIP_E2E=1');

/** Packages the current dist/ with vsce (no rebuild: other tiers may be reading dist/ meanwhile). */
function packageVsix(outDir: string): string {
  const out = path.join(outDir, 'similarity-lab.vsix');
  const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--skip-license', '-o', out], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `vsce package failed:\n${r.stdout}\n${r.stderr}`);
  return out;
}

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
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let step = 0;

  /** Runs a test's steps; on failure the screen is kept, and what the extension logged and the panel showed are printed. */
  const guarded = (name: string, body: () => Promise<void>) => async (): Promise<void> => {
    try {
      await body();
    } catch (err) {
      await page.screenshot({ path: path.join(SHOTS, `failed-${name}.png`) }).catch(() => undefined);
      const panel = await page.locator('.panel').first().innerText({ timeout: 2000 }).catch(() => '(no panel)');
      const toasts = await page.locator('.notifications-toasts').first().innerText({ timeout: 2000 }).catch(() => '');
      console.log(`e2e failure "${name}": the extension's log\n${extensionLog()}\n-- the panel --\n${panel.slice(0, 3000)}\n-- notifications --\n${toasts}`);
      throw err;
    }
  };

  /** The extension's output channel (client and host messages), from code-server's log folder. */
  const extensionLog = (): string => {
    const logs = path.join(tmp, 'code-server', 'user-data', 'logs');
    try {
      const files = readdirSync(logs, { recursive: true, encoding: 'utf8' }).filter((f) => path.basename(f) === 'Similarity Lab.log');
      return files.map((f) => readFileSync(path.join(logs, f), 'utf8')).join('\n') || '(empty)';
    } catch (err) {
      return `(no logs: ${String(err)})`;
    }
  };

  /**
   * Shows the Problems view filtered to the cluster diagnostics (warnings sort first, and the list
   * is virtual). Ctrl+Shift+M toggles, so it is pressed only while the view is hidden; the filter
   * is the visible one of the panel (other panel views have filters of their own).
   */
  const showClusterProblems = async (): Promise<void> => {
    const markers = page.locator('.panel .markers-panel');
    if (!(await markers.isVisible())) {
      // A key pressed while the command palette is still closing goes to the palette and is lost:
      // press it once the palette is gone, and the workbench has the focus.
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
      await page.keyboard.press('Control+Shift+M');
      await markers.waitFor({ state: 'visible', timeout: 30_000 });
    }
    const filter = page.locator('.panel .viewpane-filter input:visible').first();
    await filter.waitFor({ state: 'visible' });
    if ((await filter.inputValue()) !== 'members') await filter.fill('members');
  };

  const shot = async (name: string): Promise<void> => {
    step++;
    await page.screenshot({ path: path.join(SHOTS, `${String(step).padStart(2, '0')}-${name}.png`) });
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
    // A missing browser fails here, before the code-server install, naming the command that fixes it.
    requireChromium();
    const install = ensureCodeServer();
    const vsix = packageVsix(tmp);
    server = await startCodeServer({
      install,
      vsix,
      stateDir: path.join(tmp, 'code-server'),
      workspace,
      settings: {
        'security.workspace.trust.enabled': false,
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.autoCheckUpdates': false,
        'update.mode': 'none',
        'similarityLab.indexOnOpen': true,
      },
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  const palette = async (command: string): Promise<void> => {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${command}`);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: command }).first().waitFor();
    await page.keyboard.press('Enter');
  };

  const openFile = async (name: string): Promise<void> => {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(name);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.tab.active', { hasText: name }).waitFor();
  };

  /** Picks the quick-pick row (or accepts the input box) that is open now. */
  const answer = async (text: string, row?: string): Promise<void> => {
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(text);
    if (row) await page.locator('.quick-input-list .monaco-list-row', { hasText: row }).first().waitFor();
    await page.keyboard.press('Enter');
  };

  /**
   * The webview frame (code-server nests each webview in two iframes) that shows `selector`: every
   * frame there is, and every frame attached later, waits for the element; the first to show it wins.
   */
  const webviewFrame = (selector: string, timeout = 60_000): Promise<Frame> =>
    new Promise<Frame>((resolve, reject) => {
      let settled = false;
      const finish = (frame: Frame | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(bound);
        page.off('frameattached', watch);
        if (frame) resolve(frame);
        else reject(new Error(`no webview shows ${selector} after ${timeout / 1000} s`));
      };
      const watch = (frame: Frame): void => {
        if (frame === page.mainFrame()) return;
        // A frame that is detached (a webview reloads) rejects: another frame may still show it.
        frame.locator(selector).first().waitFor({ state: 'attached', timeout }).then(() => finish(frame), () => undefined);
      };
      const bound = setTimeout(() => finish(undefined), timeout);
      page.on('frameattached', watch);
      for (const frame of page.frames()) watch(frame);
    });

  void test('Cluster This Dataset from the palette puts cluster diagnostics in the Problems panel', guarded('cluster', async () => {
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: '16S-sample.fasta' }).waitFor({ timeout: 60_000 });
    await openFile('16S-sample.fasta');
    // The status bar item shows once the extension is active (activated by the workspace's FASTA files).
    await page.locator('.statusbar-item', { hasText: 'Similarity Lab' }).first().waitFor({ timeout: 60_000 });
    await shot('workspace-open');
    await palette('Similarity Lab: Cluster This Dataset');
    await showClusterProblems();
    const row = page.locator('.markers-panel .monaco-list-row', { hasText: /cluster \d+ · \d+ members/u }).first();
    await row.waitFor({ timeout: 60_000 });
    assert.match((await row.textContent()) ?? '', /cluster \d+ · \d+ members/u);
    await shot('problems-panel');
  }));

  void test('Find Similar Files from the Explorer context menu fills Similar Items; a click opens the file', guarded('find-similar-files', async () => {
    await page.keyboard.press('Control+Shift+E');
    const fileRow = page.locator('.explorer-folders-view .monaco-list-row', { hasText: '16S-sample.fasta' }).first();
    await fileRow.click({ button: 'right' });
    const item = page.locator('.context-view .action-item', { hasText: 'Find Similar Files' }).first();
    await item.waitFor({ timeout: 10_000 });
    await shot('explorer-context-menu');
    await item.click();
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
    const item = page.locator('.context-view .action-item', { hasText: 'Find Similar Files' }).first();
    await item.waitFor({ timeout: 10_000 });
    await shot('image-context-menu');
    await item.click();
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
    await palette('Similarity Lab: Train Similarity Model');
    await answer('cosine', 'cosine');
    await answer('4');
    const dashboard = await webviewFrame('.status[data-status]');
    await dashboard.locator('.status[data-status="finished"]').waitFor({ timeout: 120_000 });
    assert.match((await dashboard.locator('.run-title').textContent()) ?? '', /iris/u);
    assert.ok((await dashboard.locator('.chart canvas').count()) > 0, 'the dashboard draws its curves');
    await shot('training-dashboard');
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
    const hostPid = findHostPid(path.join(tmp, 'code-server', 'extensions'));
    assert.ok(hostPid, 'the analysis host process of our extensions folder');
    process.kill(hostPid, 'SIGKILL');
    const toast = page.locator('.notifications-toasts', { hasText: 'analysis host stopped unexpectedly; restarting it (1/3)' });
    await toast.waitFor({ timeout: 30_000 });
    await shot('host-restarted');
    const datasets = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Datasets' }) });
    await datasets.locator('.monaco-list-row', { hasText: /16S-sample\.fasta\s*clustered/u }).waitFor({ timeout: 60_000 });
    await showClusterProblems();
    await page.locator('.markers-panel .monaco-list-row', { hasText: /cluster \d+ · \d+ members/u }).first().waitFor({ timeout: 60_000 });
    assert.notEqual(findHostPid(path.join(tmp, 'code-server', 'extensions')), hostPid, 'a new host process');
    await shot('diagnostics-back');
  }));
});
