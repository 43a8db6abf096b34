/**
 * What every e2e test file does with the workbench, in one place: package the VSIX, start
 * code-server with it and open the workspace in chromium (`start`), and the steps a user takes —
 * the command palette, quick picks, the Problems view, the Explorer, Go to Line, the hover, the
 * Similarity Lab side bar — plus screenshots, and on a failure the extension's log and the panel.
 * A `Workbench` is made when its describe block is (its steps can be destructured there); its
 * page exists from `start` on (the block's `before`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Frame, Locator, Page } from 'playwright-core';
import { launchChromium, requireChromium } from '../webviews/browser';
import { ensureCodeServer, startCodeServer, type CodeServer } from './codeServer';

export const ROOT = path.resolve(__dirname, '../..');
/** Where screenshots go. */
export const SHOTS = path.join(ROOT, 'test-results', 'e2e');

/** The user settings of every run: nothing that pops up, updates or narrows the editor. */
const QUIET_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'update.mode': 'none',
  // The chat side bar only narrows the editor and the panel.
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/** Packages the current dist/ with vsce (no rebuild: other tiers may be reading dist/ meanwhile). */
export function packageVsix(outDir: string): string {
  const out = path.join(outDir, 'similarity-lab.vsix');
  const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--skip-license', '-o', out], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `vsce package failed:\n${r.stdout}\n${r.stderr}`);
  return out;
}

export interface WorkbenchOptions {
  /** The test file's scratch folder: code-server's state goes to `code-server/` in it, the VSIX beside. */
  tmp: string;
  /** Put before each screenshot's name (`leaks-`), so that two test files' screenshots do not collide. */
  shotPrefix?: string;
}

export class Workbench {
  private server: CodeServer | undefined;
  private browser: Browser | undefined;
  private current: Page | undefined;
  private step = 0;

  constructor(private readonly options: WorkbenchOptions) {}

  /** The workbench's page (from `start` on). */
  get page(): Page {
    if (!this.current) throw new Error('the workbench is not started (Workbench.start in before())');
    return this.current;
  }

  /** code-server's state folder: its extensions, its user data (and logs). */
  get stateDir(): string {
    return path.join(this.options.tmp, 'code-server');
  }

  /**
   * Packages the extension, starts code-server with it and `settings` (over the quiet ones), and
   * opens `workspace` in chromium. A missing browser fails first, naming the command that fixes it.
   */
  async start(workspace: string, settings: Record<string, unknown> = {}): Promise<void> {
    requireChromium();
    const install = ensureCodeServer();
    const vsix = packageVsix(this.options.tmp);
    this.server = await startCodeServer({ install, vsix, stateDir: this.stateDir, workspace, settings: { ...QUIET_SETTINGS, ...settings } });
    this.browser = await launchChromium();
    this.current = await this.browser.newPage({ viewport: { width: 1400, height: 900 } });
    await this.current.goto(`${this.server.url}/?folder=${encodeURIComponent(workspace)}`);
    await this.current.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  }

  /** Stops what `start` started. */
  async stop(): Promise<void> {
    await this.browser?.close();
    await this.server?.stop();
  }

  readonly shot = async (name: string): Promise<void> => {
    this.step++;
    await this.page.screenshot({ path: path.join(SHOTS, `${this.options.shotPrefix ?? ''}${String(this.step).padStart(2, '0')}-${name}.png`) });
  };

  /**
   * The extension's output channel (client and host messages), from code-server's log folder.
   * Without one (the extension never started), the extension host's own log and code-server's
   * output instead: why it did not start is there.
   */
  readonly extensionLog = (): string => {
    const logs = path.join(this.stateDir, 'user-data', 'logs');
    try {
      const all = readdirSync(logs, { recursive: true, encoding: 'utf8' });
      const ours = all.filter((f) => path.basename(f) === 'Similarity Lab.log');
      if (ours.length > 0) return ours.map((f) => readFileSync(path.join(logs, f), 'utf8')).join('\n');
      const host = all.filter((f) => /^(exthost|remoteagent|remoteexthost)\.log$/u.test(path.basename(f)));
      const tail = (text: string): string => text.slice(-3000);
      return [
        '(no Similarity Lab log: the extension did not start)',
        ...host.map((f) => `-- ${f} --\n${tail(readFileSync(path.join(logs, f), 'utf8'))}`),
        `-- code-server output --\n${tail(this.server?.log() ?? '(none)')}`,
      ].join('\n');
    } catch (err) {
      return `(no logs: ${String(err)})`;
    }
  };

  /** A test's steps; on failure the screen is kept, and what the extension logged and the panel showed are printed. */
  readonly guarded =
    (name: string, body: () => Promise<void>) =>
    async (): Promise<void> => {
      try {
        await body();
      } catch (err) {
        const page = this.current;
        await page?.screenshot({ path: path.join(SHOTS, `${this.options.shotPrefix ?? ''}failed-${name}.png`) }).catch(() => undefined);
        const panel = (await page?.locator('.panel').first().innerText({ timeout: 2000 }).catch(() => undefined)) ?? '(no panel)';
        const toasts = (await page?.locator('.notifications-toasts').first().innerText({ timeout: 2000 }).catch(() => undefined)) ?? '';
        console.log(`e2e failure "${name}": the extension's log\n${this.extensionLog()}\n-- the panel --\n${panel.slice(0, 3000)}\n-- notifications --\n${toasts}`);
        throw err;
      }
    };

  /**
   * Runs `command` by its title from the command palette (F1). A focus change still under way
   * (an editor just opened, a view just shown) can close the palette as it opens: a CI run saw
   * its input go inert, then hidden, and the fill wait out its 30 s. So F1 is pressed again
   * while the palette is not there to type in.
   */
  readonly palette = async (command: string): Promise<void> => {
    const page = this.page;
    const input = page.locator('.quick-input-widget input');
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press('F1');
      try {
        await input.fill(`>${command}`, { timeout: 5000 });
        break;
      } catch (err) {
        if (attempt === 3) throw err;
        console.log(`e2e: the command palette closed before "${command}" could be typed (attempt ${attempt}): opening it again`);
        await page.keyboard.press('Escape');
      }
    }
    await page.locator('.quick-input-list .monaco-list-row', { hasText: command }).first().waitFor();
    await page.keyboard.press('Enter');
  };

  /**
   * Runs `label` from the context menu that is open now (after a right-click). VS Code's menu
   * ignores a click that comes too soon after it opened (the mouse-up of the right-click must not
   * pick an item): a CI run once clicked the item and the menu stayed open. So the click is
   * repeated until the menu closes.
   */
  readonly contextMenuItem = async (label: string): Promise<void> => {
    const page = this.page;
    const item = page.locator('.context-view .action-item', { hasText: label }).first();
    await item.waitFor({ timeout: 10_000 });
    const menu = page.locator('.context-view .monaco-menu').first();
    for (let attempt = 1; ; attempt++) {
      await item.click();
      try {
        await menu.waitFor({ state: 'hidden', timeout: 2000 });
        return;
      } catch (err) {
        if (attempt === 3) throw err;
      }
      // Closed meanwhile (the click did run the command, only late): do not click again.
      if (!(await menu.isVisible())) return;
      console.log(`e2e: the context menu is still open ${attempt * 2} s after a click on "${label}": clicking again`);
    }
  };

  /** Picks the quick-pick row (or accepts the input box) that is open now; `timeout` bounds the wait for the box (default: the page's). */
  readonly answer = async (text: string, row?: string, timeout?: number): Promise<void> => {
    const page = this.page;
    const input = page.locator('.quick-input-widget input');
    const wait = timeout === undefined ? {} : { timeout };
    await input.waitFor({ state: 'visible', ...wait });
    await input.fill(text, wait);
    if (row) await page.locator('.quick-input-list .monaco-list-row', { hasText: row }).first().waitFor();
    await page.keyboard.press('Enter');
  };

  /**
   * Shows the Problems view filtered by `text` (the list is virtual: rows far down are not in the
   * page). Ctrl+Shift+M toggles, so it is pressed only while the view is hidden; the filter is the
   * visible one of the panel (other panel views have filters of their own).
   */
  readonly showProblems = async (text: string): Promise<void> => {
    const page = this.page;
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
    if ((await filter.inputValue()) !== text) await filter.fill(text);
  };

  /** An Explorer row by its exact name (a row of `first-half.fasta` is not one of `half.fasta`). */
  readonly explorerRow = (name: string) =>
    this.page.locator('.explorer-folders-view .monaco-list-row', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&')}$`, 'u') }).first();

  /**
   * The Similarity Lab side bar, shown if hidden — by its Datasets view's Focus command, not the
   * container's activity-bar icon: the Leakage view's badge sits on that icon and can take the click.
   */
  readonly showSimilarityLab = async (): Promise<void> => {
    const header = this.page.locator('.pane-header', { hasText: 'Datasets' }).first();
    if (await header.isVisible()) return;
    await this.palette('Focus on Datasets View');
    await header.waitFor({ state: 'visible', timeout: 20_000 });
  };

  /**
   * Clicks `row` (a list row that opens a file: Explorer, Problems) until the editor tab of `name`
   * is the active one. A click that lands while the list re-renders — the Problems view refiltered
   * just before — selects nothing and opens nothing (seen in CI: the related-information row was
   * on screen, the click taken, no tab after 20 s); then the row is clicked again.
   */
  readonly clickToOpen = async (row: Locator, name: string): Promise<void> => {
    const tab = this.page.locator(`.tab.active[data-resource-name="${name}"]`);
    for (let attempt = 1; ; attempt++) {
      await row.click();
      try {
        await tab.waitFor({ timeout: 7000 });
        return;
      } catch (err) {
        if (attempt === 3) throw err;
        console.log(`e2e: a click on a row did not open ${name} (attempt ${attempt}): clicking again`);
      }
    }
  };

  /**
   * Opens a file of the workspace's top level by clicking its Explorer row. Not by Ctrl+P: quick
   * open's file index can miss a file written after the workbench started for longer than any wait
   * (seen in CI). The side bar goes back to Similarity Lab when that was showing, as with quick open.
   */
  readonly openFile = async (name: string): Promise<void> => {
    const page = this.page;
    const labShown = await page.locator('.pane-header', { hasText: 'Datasets' }).first().isVisible();
    await page.keyboard.press('Control+Shift+E');
    const row = this.explorerRow(name);
    await row.waitFor({ timeout: 30_000 });
    await this.clickToOpen(row, name);
    if (labShown) await this.showSimilarityLab();
  };

  /** Waits for the status bar to show the cursor at `line` (1-based). */
  readonly cursorAt = (line: number): Promise<void> =>
    this.page.locator('.statusbar-item', { hasText: new RegExp(`Ln ${line},`, 'u') }).first().waitFor({ timeout: 20_000 });

  /**
   * Moves the cursor of the active editor to `line`, `column` (1-based) with Go to Line. A focus
   * change that lands late (a view focused by the command before) closes the Go to Line box before
   * it takes the text (seen in CI: the box went inert, then hidden): then Go to Line is opened again.
   */
  readonly goTo = async (line: number, column: number): Promise<void> => {
    const page = this.page;
    const widget = page.locator('.quick-input-widget');
    const status = page.locator('.statusbar-item', { hasText: new RegExp(`Ln ${line}, Col ${column}\\b`, 'u') }).first();
    for (let attempt = 1; ; attempt++) {
      // Ctrl+G pressed while another quick input is still closing would go to that one.
      await widget.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
      await page.keyboard.press('Control+G');
      try {
        await this.answer(`:${line}:${column}`, undefined, 10_000);
        await status.waitFor({ timeout: 20_000 });
        return;
      } catch (err) {
        if (attempt === 3) throw err;
        console.log(`e2e: Go to Line did not take :${line}:${column} (attempt ${attempt}): opening it again`);
      }
    }
  };

  /** The editor's hover at the cursor (Show or Focus Hover), once it shows `text`. */
  readonly hoverAtCursor = async (text: string | RegExp): Promise<string> => {
    await this.palette('Show or Focus Hover');
    const hover = this.page.locator('.monaco-hover', { hasText: text }).first();
    await hover.waitFor({ state: 'visible', timeout: 30_000 });
    return (await hover.innerText()) ?? '';
  };

  /**
   * The webview frame (code-server nests each webview in two iframes) that shows `selector`: every
   * frame there is, and every frame attached later, waits for the element; the first to show it wins.
   */
  readonly webviewFrame = (selector: string, timeout = 60_000): Promise<Frame> =>
    new Promise<Frame>((resolve, reject) => {
      const page = this.page;
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
}
