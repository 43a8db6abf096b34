/**
 * The Training Dashboard: its message checks and store in node, then the BUILT page
 * (dist/webviews/trainingDashboard.js + .css; `node esbuild.mjs` first) in headless Chromium,
 * served in the same HTML and Content-Security-Policy the VS Code panel uses, with a fake
 * `acquireVsCodeApi` standing in for VS Code's webview host. A screenshot goes to
 * test-results/webviews/trainingDashboard.png.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Browser, Page } from 'playwright-core';
import { describeOutcome } from '../../client/trainingOutcome';
import { DashboardFeed } from '../../webviews/trainingDashboard/feed';
import { contentSecurityPolicy, trainingDashboardHtml } from '../../webviews/trainingDashboard/html';
import {
  LIMITS,
  parseDashboardState,
  parseHostMessage,
  parseWebviewMessage,
  type DashboardState,
  type HostMessage,
  type MetricPoint,
} from '../../webviews/trainingDashboard/messages';
import { appendPoints, collapseAlarm, COLLAPSE_WINDOW, emptyState, progressOf, startRun, thin } from '../../webviews/trainingDashboard/store';
import { MessageError } from '../../webviews/shared/validate';
import { launchChromium } from './browser';
import { fakeHost, installFakeVsCodeApi, postToPage } from './harness/fakeVsCodeApi';
import { DIST_WEBVIEWS, ROOT, servePage, type PageServer } from './harness/server';
import { mulberry32 } from '../../server/engine/random';
import { initMessage, metricsMessages, MODEL_ID, trainingPoints } from './harness/trainingRun';

const SHOTS = path.join(ROOT, 'test-results', 'webviews');

interface DashboardHandle {
  state(): DashboardState;
  renders(): number;
  drawnSteps(): number;
  charts(): { id: string; series: string[]; dataLengths: number[] }[];
}
declare global {
  interface Window {
    trainingDashboard: DashboardHandle;
  }
}

const point = (step: number, loss: number, metrics: Record<string, number> = {}, epoch = 0): MetricPoint => ({ epoch, step, loss, metrics });

void describe('Training Dashboard messages', () => {
  void test('valid messages pass through unchanged', () => {
    const init = initMessage(3, 10);
    assert.deepEqual(parseHostMessage(JSON.parse(JSON.stringify(init))), init);
    const metrics = metricsMessages(trainingPoints(1, 1, 10), 10)[0]!;
    assert.deepEqual(parseHostMessage(metrics), metrics);
    assert.deepEqual(parseHostMessage({ type: 'status', modelId: 'm', status: 'failed', message: 'out of memory' }), { type: 'status', modelId: 'm', status: 'failed', message: 'out of memory' });
    assert.deepEqual(parseWebviewMessage({ type: 'stop', modelId: 'm' }), { type: 'stop', modelId: 'm' });
    assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
  });

  void test('a malformed message is an error naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [null, /^message: expected an object/u],
      [{ type: 'explode' }, /^type: expected one of/u],
      [{ type: 'metrics', modelId: 'm' }, /^points: expected an array/u],
      [{ type: 'metrics', modelId: 'm', points: [point(0, 1), { epoch: 0, step: 1, loss: Number.NaN, metrics: {} }] }, /^points\[1\]\.loss: expected a finite number, got NaN/u],
      [{ type: 'metrics', modelId: 'm', points: [{ epoch: 0, step: -1, loss: 1, metrics: {} }] }, /^points\[0\]\.step: expected a non-negative integer/u],
      [{ type: 'metrics', modelId: 'm', points: [{ epoch: 0, step: 1, loss: 1, metrics: { __proto__x: 1 } }] }, /^points\[0\]\.metrics: bad metric name/u],
      [{ type: 'metrics', modelId: 'm', points: [{ epoch: 0, step: 1, loss: 1, metrics: { a: '1' } }] }, /^points\[0\]\.metrics\.a: expected a finite number, got string/u],
      [{ type: 'init', run: { modelId: 'm', kind: 'gan', backend: 'cpu', config: {} } }, /^run\.kind: expected one of siamese, autoencoder/u],
      [{ type: 'status', modelId: 'm', status: 'exploded' }, /^status: expected one of/u],
      [{ type: 'restore', state: { ...emptyState(), steps: [2, 1], epochs: [0, 0] } }, /^state\.steps\[1\]: steps must not decrease/u],
      [{ type: 'restore', state: { ...emptyState(), steps: [1], epochs: [0], series: { loss: [] } } }, /^state\.series\.loss: length 0 ≠ steps length 1/u],
      [{ type: 'metrics', modelId: 'm', points: new Array(LIMITS.pointsPerMessage + 1).fill(point(0, 1)) }, /^points: array longer than/u],
    ];
    for (const [value, expected] of cases) assert.throws(() => parseHostMessage(value), (err: unknown) => err instanceof MessageError && expected.test(err.message), JSON.stringify(value)?.slice(0, 120));
  });

  void test('any JSON value is either a message or a MessageError, never another exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ type: fc.constantFrom('init', 'metrics', 'status', 'restore'), modelId: fc.string(), points: fc.array(fc.jsonValue()), run: fc.jsonValue(), state: fc.jsonValue() })), (value) => {
        try {
          parseHostMessage(value);
        } catch (err) {
          if (!(err instanceof MessageError)) throw err;
        }
      }),
      { seed: 7, numRuns: 2_000 },
    );
  });

  void test('a saved state survives JSON and validation unchanged', () => {
    const state = startRun(initMessage(5, 40).run);
    appendPoints(state, trainingPoints(3, 5, 40), 64);
    const copy = parseDashboardState(JSON.parse(JSON.stringify(state)));
    assert.deepEqual(copy, state);
  });
});

void describe('Training Dashboard store', () => {
  void test('a report with the same step merges into the last point; one going backwards is dropped', () => {
    const state = startRun(initMessage(1, 10).run);
    const dropped = appendPoints(state, [point(0, 1), point(1, 0.9), point(1, 0.9, { valLoss: 0.95, precisionAt1: 0.5 }), point(0, 5), point(2, 0.8)]);
    assert.equal(dropped, 1);
    assert.deepEqual(state.steps, [0, 1, 2]);
    assert.deepEqual(state.series['loss'], [1, 0.9, 0.8]);
    assert.deepEqual(state.series['valLoss'], [null, 0.95, null]);
    assert.deepEqual(state.series['precisionAt1'], [null, 0.5, null]);
  });

  void test('the history stays under its cap and keeps every sparse (once an epoch) value', () => {
    const epochs = 50;
    const perEpoch = 200;
    const state = startRun(initMessage(epochs, perEpoch).run);
    const points = trainingPoints(11, epochs, perEpoch);
    const cap = 500;
    for (let i = 0; i < points.length; i += 37) appendPoints(state, points.slice(i, i + 37), cap);
    assert.ok(state.steps.length <= cap, `${state.steps.length} points kept`);
    assert.ok(state.steps.length > cap / 2, `${state.steps.length} points kept`);
    assert.equal(state.steps.at(-1), epochs * perEpoch - 1);
    for (const column of Object.values(state.series)) assert.equal(column.length, state.steps.length);
    // Each epoch's validation loss is still there (by value, in order).
    const expected = points.filter((p) => p.metrics['valLoss'] !== undefined).map((p) => p.metrics['valLoss']);
    assert.deepEqual(state.series['valLoss']!.filter((v) => v !== null), expected);
    assert.ok(state.steps.every((s, i) => i === 0 || s > state.steps[i - 1]!));
  });

  void test('thinning merges pairs: the later point, or the earlier value where the later has none', () => {
    const state = startRun(initMessage(1, 5).run);
    appendPoints(state, [point(0, 4, { valLoss: 9 }), point(1, 3), point(2, 2), point(3, 1, { valLoss: 7 }), point(4, 0)]);
    thin(state);
    assert.deepEqual(state.steps, [1, 3, 4]);
    assert.deepEqual(state.series['loss'], [3, 1, 0]);
    assert.deepEqual(state.series['valLoss'], [9, 7, null]);
    assert.equal(state.stride, 2);
  });

  void test('collapse alarm: flat loss at the margin with every triplet active, or no embedding spread; not while learning', () => {
    const collapsed = startRun(initMessage(1, 100).run);
    appendPoints(collapsed, Array.from({ length: COLLAPSE_WINDOW }, (_, i) => point(i, 0.2, { activeTriplets: 1 })));
    assert.match(collapseAlarm(collapsed)?.message ?? '', /stayed at 0\.2000 \(the margin\)/u);
    const oneShort = startRun(initMessage(1, 100).run);
    appendPoints(oneShort, Array.from({ length: COLLAPSE_WINDOW - 1 }, (_, i) => point(i, 0.2, { activeTriplets: 1 })));
    assert.equal(collapseAlarm(oneShort), undefined);
    const learning = startRun(initMessage(1, 100).run);
    appendPoints(learning, trainingPoints(5, 1, 100));
    assert.equal(collapseAlarm(learning), undefined);
    const stillActive = startRun(initMessage(1, 100).run);
    appendPoints(stillActive, Array.from({ length: 30 }, (_, i) => point(i, 0.2 - i * 0.001, { activeTriplets: 1 })));
    assert.equal(collapseAlarm(stillActive), undefined, 'a falling loss is not a collapse');
    const noSpread = startRun(initMessage(1, 100).run);
    appendPoints(noSpread, [point(0, 0.1, { embeddingStd: 1e-6 })]);
    assert.match(collapseAlarm(noSpread)?.message ?? '', /spread is 1\.0e-6/u);
    const latent = startRun({ ...initMessage(1, 100).run, kind: 'autoencoder' });
    appendPoints(latent, [point(0, 0.1, { embeddingStd: 1e-6, reconstructionLoss: 0.1 })]);
    assert.match(collapseAlarm(latent)?.message ?? '', /^The latent codes have collapsed: their spread is 1\.0e-6\. Lower the learning rate, or raise the latent loss's weight or margin\.$/u);
  });

  void test('progress from total steps, else epochs', () => {
    const state = startRun(initMessage(4, 25).run);
    appendPoints(state, [point(49, 1, {}, 1)]);
    assert.equal(progressOf(state).fraction, 0.5);
    delete state.run!.totalSteps;
    assert.equal(progressOf(state).fraction, 0.25);
  });
});

void describe('Training Dashboard feed (the extension side)', () => {
  const make = (flushMs = 5) => {
    const posted: HostMessage[] = [];
    const logs: string[] = [];
    const stops: string[] = [];
    const feed = new DashboardFeed({ onStop: (id) => stops.push(id), log: (m) => logs.push(m), flushMs });
    feed.connect((m) => posted.push(structuredClone(m)));
    return { feed, posted, logs, stops };
  };

  void test('nothing is posted before the page is ready; then the whole run, then batches', async () => {
    const { feed, posted } = make();
    feed.startRun(initMessage(1, 10).run);
    for (const p of trainingPoints(1, 1, 4)) feed.addMetrics({ modelId: MODEL_ID, ...p });
    assert.equal(posted.length, 0);
    feed.receive({ type: 'ready' });
    assert.equal(posted.length, 1);
    assert.equal(posted[0]!.type, 'restore');
    assert.equal((posted[0] as { state: DashboardState }).state.steps.length, 4);
    for (const p of trainingPoints(1, 1, 10).slice(4)) feed.addMetrics({ modelId: MODEL_ID, ...p });
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(posted.slice(1).map((m) => (m.type === 'metrics' ? m.points.map((p) => p.step) : m.type)), [[4, 5, 6, 7, 8, 9]]);
  });

  void test('a bad report is skipped and logged; reports for an unknown run are ignored', () => {
    const { feed, logs } = make();
    feed.startRun(initMessage(1, 10).run);
    feed.addMetrics({ modelId: MODEL_ID, epoch: 0, step: 0, loss: Number.NaN, metrics: {} });
    feed.addMetrics({ modelId: 'other', epoch: 0, step: 0, loss: 1, metrics: {} });
    assert.equal(feed.history(MODEL_ID)!.steps.length, 0);
    assert.match(logs[0]!, /loss: expected a finite number, got NaN/u);
    assert.match(logs[1]!, /unknown run other/u);
  });

  void test('Stop from the page reaches onStop once, only for a running run', () => {
    const { feed, stops, logs } = make();
    feed.startRun(initMessage(1, 10).run);
    feed.receive({ type: 'stop', modelId: MODEL_ID });
    feed.receive({ type: 'stop', modelId: MODEL_ID });
    feed.receive({ type: 'stop', modelId: 'unknown' });
    feed.receive({ type: 'stop' });
    assert.deepEqual(stops, [MODEL_ID]);
    assert.equal(feed.history(MODEL_ID)!.status, 'stopping');
    assert.match(logs[0]!, /malformed message from the page \(modelId: expected a string/u);
  });

  void test('a page restored after a window reload shows its run as stopped, not running', () => {
    const { feed, posted } = make();
    const saved = startRun(initMessage(1, 10).run);
    appendPoints(saved, trainingPoints(2, 1, 10));
    feed.adoptRestored(JSON.parse(JSON.stringify(saved)));
    feed.receive({ type: 'ready', modelId: MODEL_ID, status: 'running' });
    const restore = posted[0] as { type: string; state: DashboardState };
    assert.equal(restore.type, 'restore');
    assert.equal(restore.state.status, 'stopped');
    assert.match(restore.state.statusMessage ?? '', /window was reloaded/u);
    assert.equal(restore.state.steps.length, 10);
  });

  void test('a run first heard of in a report with its description is shown; the host\'s backend replaces the client\'s guess', () => {
    const { feed, posted, logs } = make();
    feed.receive({ type: 'ready' });
    const [first, second] = trainingPoints(4, 1, 2);
    feed.addMetrics({ modelId: MODEL_ID, ...first!, run: initMessage(1, 2).run });
    assert.equal(feed.shownModelId, MODEL_ID);
    assert.equal(posted[0]!.type, 'init');
    assert.equal(feed.history(MODEL_ID)!.steps.length, 1);
    feed.addMetrics({ modelId: MODEL_ID, ...second!, run: { ...initMessage(1, 2).run, backend: 'tensorflow' } });
    assert.equal(feed.history(MODEL_ID)!.run!.backend, 'tensorflow');
    assert.equal(feed.history(MODEL_ID)!.steps.length, 2);
    assert.equal(posted[1]!.type, 'restore');
    feed.addMetrics({ modelId: 'x', ...first!, run: { ...initMessage(1, 2).run, kind: 'gan' as 'siamese' } });
    assert.match(logs[0]!, /bad run description: trainingMetrics\.run\.kind/u);
  });

  void test('only the newest runs are kept, never the one shown', () => {
    const feed = new DashboardFeed({ onStop: () => undefined, log: () => undefined, maxRuns: 2 });
    for (const id of ['a', 'b', 'c']) feed.startRun({ ...initMessage(1, 1).run, modelId: id });
    assert.equal(feed.history('a'), undefined);
    assert.ok(feed.history('b') && feed.history('c'));
    assert.equal(feed.shownModelId, 'c');
  });

  void test('the panel hears of every change of the run shown, a run first heard of in a report included (its tab title follows)', () => {
    const shown: string[] = [];
    const feed = new DashboardFeed({ onStop: () => undefined, log: () => undefined, onShownChange: (id) => shown.push(id) });
    feed.startRun({ ...initMessage(1, 1).run, modelId: 'old' });
    // The next run's train request is sent: the panel shows the latest run it knows (the old one)…
    feed.show();
    // …until the host's first report of the new run describes it.
    feed.addMetrics({ modelId: 'new', epoch: 0, step: 0, loss: 1, metrics: {}, run: { ...initMessage(1, 1).run, modelId: 'new' } });
    assert.equal(feed.shownModelId, 'new');
    feed.show('old');
    feed.show('old');
    assert.deepEqual(shown, ['old', 'new', 'old']);
  });
});

void describe('Training Dashboard page template', () => {
  void test('strict policy: nothing by default, the script by nonce, styles from the extension only', () => {
    const nonce = randomBytes(16).toString('base64');
    const html = trainingDashboardHtml({ cspSource: 'https://x.vscode-cdn.net', nonce, scriptUri: 'https://x.vscode-cdn.net/a.js', styleUri: 'https://x.vscode-cdn.net/a.css' });
    assert.match(html, /default-src 'none'/u);
    assert.ok(html.includes(`script-src 'nonce-${nonce}'`));
    assert.ok(!html.includes('unsafe-inline') && !html.includes('unsafe-eval'));
    assert.equal(html.match(/<script/gu)?.length, 1);
    assert.ok(html.includes(`<script nonce="${nonce}" src="https://x.vscode-cdn.net/a.js">`));
    assert.throws(() => trainingDashboardHtml({ cspSource: 'x', nonce: 'short', scriptUri: 'a', styleUri: 'b' }), /nonce/u);
    assert.ok(trainingDashboardHtml({ cspSource: 'x', nonce, scriptUri: 'a"><script>', styleUri: 'b' }).includes('a&quot;&gt;&lt;script&gt;'));
  });
});

void describe('Training Dashboard in Chromium', () => {
  let browser: Browser;
  let server: PageServer;
  const pages: Page[] = [];

  before(async () => {
    for (const f of ['trainingDashboard.js', 'trainingDashboard.css']) {
      assert.ok(existsSync(path.join(DIST_WEBVIEWS, f)), `dist/webviews/${f} is missing: run \`node esbuild.mjs\` first`);
    }
    mkdirSync(SHOTS, { recursive: true });
    server = await servePage((origin) =>
      // A fresh nonce for every load, as the panel makes one for every page.
      trainingDashboardHtml({
        cspSource: origin,
        nonce: randomBytes(16).toString('base64'),
        scriptUri: `${origin}/dist/webviews/trainingDashboard.js`,
        styleUri: `${origin}/dist/webviews/trainingDashboard.css`,
      }),
    );
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  interface Opened {
    page: Page;
    warnings: string[];
    errors: string[];
  }

  /** Opens the dashboard with a fake VS Code host whose saved state is `state`. */
  async function open(state?: unknown): Promise<Opened> {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    pages.push(page);
    const warnings: string[] = [];
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'warning') warnings.push(m.text());
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await installFakeVsCodeApi(page, state);
    await page.goto(`${server.origin}/`);
    await page.waitForFunction(() => window.fakeVsCodeHost.posted.length > 0);
    return { page, warnings, errors };
  }

  const charts = (page: Page) => page.evaluate(() => window.trainingDashboard.charts());

  /** Waits until the loss chart holds `n` points (a frame has drawn them). */
  /** A frame has drawn `n` reports (the charts' columns alias the store's arrays, so their
   *  lengths alone run ahead of the drawing: banner and captions may not be set yet). */
  const drawn = (page: Page, n: number) =>
    page.waitForFunction(
      (want) => window.trainingDashboard.drawnSteps() === want && window.trainingDashboard.charts().find((c) => c.id === 'loss')?.dataLengths[0] === want,
      n,
    );

  /** Pixels of the chart's canvas within `tolerance` of the colour, over the whole canvas. */
  const pixelsOfColour = (page: Page, selector: string, rgb: [number, number, number], tolerance = 48) =>
    page.evaluate(
      ({ selector, rgb, tolerance }) => {
        const canvas = document.querySelector<HTMLCanvasElement>(selector);
        if (!canvas) return -1;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let count = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3]! > 128 && Math.abs(data[i]! - rgb[0]) <= tolerance && Math.abs(data[i + 1]! - rgb[1]) <= tolerance && Math.abs(data[i + 2]! - rgb[2]) <= tolerance) count++;
        }
        return count;
      },
      { selector, rgb, tolerance },
    );

  /** The theme fallbacks (no --vscode-* variables outside VS Code): first series blue, second orange. */
  const BLUE: [number, number, number] = [0x37, 0x94, 0xff];
  const ORANGE: [number, number, number] = [0xd1, 0x86, 0x16];

  const EPOCHS = 3;
  const PER_EPOCH = 100;

  async function runThreeEpochs(page: Page): Promise<void> {
    await postToPage(page, initMessage(EPOCHS, PER_EPOCH), ...metricsMessages(trainingPoints(42, EPOCHS, PER_EPOCH), 25));
    await drawn(page, EPOCHS * PER_EPOCH);
  }

  void test('says it is ready, then metric messages become curves', async () => {
    const { page, errors } = await open();
    assert.deepEqual((await fakeHost(page)).posted, [{ type: 'ready' }]);
    assert.ok(await page.isVisible('text=Waiting for a training run'));
    await runThreeEpochs(page);

    const byId = Object.fromEntries((await charts(page)).map((c) => [c.id, c]));
    const n = EPOCHS * PER_EPOCH;
    assert.deepEqual(byId['loss'], { id: 'loss', series: ['loss', 'valLoss'], dataLengths: [n, n, n] });
    assert.deepEqual(byId['metrics'], { id: 'metrics', series: ['precisionAt1', 'tripletAccuracy', 'mapAtR'], dataLengths: [n, n, n, n] });
    assert.deepEqual(byId['active'], { id: 'active', series: ['activeTriplets'], dataLengths: [n, n] });
    const legend = await page.locator('.chart-loss .u-legend .u-series .u-label').allTextContents();
    assert.deepEqual(legend, ['step', 'train loss', 'validation loss']);

    // Something was drawn: the train loss line (blue) and the validation loss (orange) on the canvas.
    const blue = await pixelsOfColour(page, '.chart-loss canvas', BLUE);
    const orange = await pixelsOfColour(page, '.chart-loss canvas', ORANGE);
    assert.ok(blue > 300, `${blue} train-loss pixels`);
    assert.ok(orange > 50, `${orange} validation-loss pixels`);
    assert.ok((await pixelsOfColour(page, 'canvas.attention', BLUE)) > 500, 'attention bars drawn');

    const info = await page.textContent('.info');
    assert.match(info ?? '', /backend wasm, 2 workers · fashion-mnist\/train-images-idx3-ubyte · epoch 3 \/ 3 · step 299 \/ 300 · [\d,]+ samples\/s/u);
    assert.equal(await page.textContent('.status'), 'running');
    assert.equal(await page.evaluate(() => document.querySelector('progress')!.value), 1);
    assert.match((await page.textContent('.caption')) ?? '', /^32 dimensions; largest: d\d+/u);
    assert.equal(await page.isVisible('.banner'), false);
    assert.deepEqual(await page.locator('.config th').allTextContents(), ['distance', 'margin', 'batchSize', 'learningRate', 'mining']);
    await page.screenshot({ path: path.join(SHOTS, 'trainingDashboard.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });

  void test('an autoencoder run (no labels): the loss parts and validation loss share the loss chart; no retrieval or active-triplet chart is shown empty', async () => {
    const { page, errors } = await open();
    const modelId = 'fashion-autoencoder-1';
    const random = mulberry32(7);
    const points: MetricPoint[] = [];
    for (let step = 1; step <= 60; step++) {
      const t = step / 60;
      const reconstructionLoss = 0.1 * Math.exp(-2 * t) + 0.02 + 0.004 * (random() - 0.5);
      const contrastiveLoss = 0.3 * Math.exp(-t) + 0.02 * random();
      // As tasks/trainAutoencoder.ts reports them: the parts, the latent's spread, no activeTriplets.
      const metrics: Record<string, number> = { reconstructionLoss, contrastiveLoss, embeddingStd: 0.6, learningRate: 1e-3, samplesPerSecond: 900 };
      if (step % 20 === 0) metrics['valLoss'] = reconstructionLoss * 1.1;
      points.push({ epoch: Math.floor((step - 1) / 20), step, loss: reconstructionLoss + 0.1 * contrastiveLoss, metrics });
    }
    await postToPage(
      page,
      { type: 'init', run: { modelId, kind: 'autoencoder', backend: 'wasm', dataset: 'fashion64', epochs: 3, totalSteps: 60, config: { autoencoder: 'conv', latentWeight: 0.1, latentLoss: 'contrastive' } } },
      { type: 'metrics', modelId, points },
    );
    await drawn(page, 60);
    const byId = Object.fromEntries((await charts(page)).map((c) => [c.id, c]));
    assert.deepEqual(byId['loss']?.series, ['loss', 'valLoss', 'reconstructionLoss', 'contrastiveLoss']);
    const legend = await page.locator('.chart-loss .u-legend .u-series .u-label').allTextContents();
    assert.deepEqual(legend, ['step', 'train loss', 'validation loss', 'reconstruction loss', 'contrastive loss']);
    assert.equal(await page.isVisible('.chart-metrics'), false, 'no retrieval metrics without labels');
    assert.equal(await page.isVisible('.chart-active'), false, 'a contrastive latent loss has no active triplets');
    assert.equal(await page.isVisible('.chart-attention'), false);
    assert.equal(await page.isVisible('.banner'), false, 'a healthy latent spread raises no collapse alarm');
    assert.equal(await page.textContent('h1.run-title'), 'Autoencoder · fashion-autoencoder-1');
    assert.match((await page.textContent('.info')) ?? '', /embedding spread 0\.60/u);
    await page.screenshot({ path: path.join(SHOTS, 'trainingDashboard-autoencoder.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });

  void test('Stop posts the run\'s modelId once; the host\'s status then shows', async () => {
    const { page } = await open();
    await runThreeEpochs(page);
    await page.click('button.stop');
    await page.waitForFunction(() => document.querySelector('.status')?.textContent === 'stopping…');
    assert.equal(await page.isDisabled('button.stop'), true);
    await page.click('button.stop', { force: true }); // disabled: no second message
    const posted = (await fakeHost(page)).posted;
    assert.deepEqual(posted, [{ type: 'ready' }, { type: 'stop', modelId: MODEL_ID }]);
    await postToPage(page, { type: 'status', modelId: MODEL_ID, status: 'stopped', message: 'Stopped at step 299; the model keeps its weights.' });
    await page.waitForFunction(() => document.querySelector('.status')?.textContent === 'stopped');
    assert.equal(await page.textContent('.status-message'), 'Stopped at step 299; the model keeps its weights.');
  });

  void test('a run that stopped early says why, in the normal text colour (not as an error); a failure reads as one', async () => {
    const { page } = await open();
    // 10 epochs planned, 8 done: the host's train result says 'early-stopping'.
    await postToPage(page, { ...initMessage(10, 20), run: { ...initMessage(10, 20).run, config: { ...initMessage(10, 20).run.config, patience: 5 } } }, ...metricsMessages(trainingPoints(3, 8, 20), 40));
    await drawn(page, 8 * 20);
    const history = await page.evaluate(() => window.trainingDashboard.state());
    const outcome = describeOutcome({ stopReason: 'early-stopping', folder: '/ws/.similarity-lab/models/m', metrics: { mapAtR: 0.6 } }, history);
    await postToPage(page, { type: 'status', modelId: MODEL_ID, status: outcome.status, message: outcome.message });
    await page.waitForFunction(() => document.querySelector('.status')?.textContent === 'finished');
    assert.equal(
      await page.textContent('.status-message'),
      'Stopped early at epoch 8 of 10: no better validation MAP@R for 5 epochs. The best epoch is saved to /ws/.similarity-lab/models/m.',
    );
    const colourOf = (selector: string) => page.evaluate((s) => getComputedStyle(document.querySelector(s)!).color, selector);
    const errorRed = 'rgb(248, 81, 73)'; // --vscode-errorForeground's fallback
    assert.notEqual(await colourOf('.status-message'), errorRed, '"saved to …" is not an error');
    assert.equal(await colourOf('.status-message'), await colourOf('body'));
    await page.screenshot({ path: path.join(SHOTS, 'trainingDashboard-stopped-early.png'), fullPage: true });
    await postToPage(page, { type: 'status', modelId: MODEL_ID, status: 'failed', message: 'out of memory' });
    await page.waitForFunction(() => document.querySelector('.status')?.textContent === 'failed');
    assert.equal(await colourOf('.status-message'), errorRed);
  });

  void test('bookkeeping the trainer reports (collapsed, collapsedSteps, validationItems) is not plotted as a metric', async () => {
    const { page, errors } = await open();
    const points = trainingPoints(5, 2, 20).map((p, i) => {
      const metrics: Record<string, number> = { ...p.metrics, collapsed: 0 };
      // As tasks/train.ts's epoch report: the retrieval scores beside the counts.
      if ('mapAtR' in p.metrics) Object.assign(metrics, { collapsedSteps: i, validationItems: 600 });
      return { ...p, metrics };
    });
    await postToPage(page, initMessage(2, 20), { type: 'metrics', modelId: MODEL_ID, points });
    await drawn(page, 40);
    const plotted = (await charts(page)).flatMap((c) => c.series);
    for (const internal of ['collapsed', 'collapsedSteps', 'validationItems']) assert.ok(!plotted.includes(internal), `${internal} plotted: ${plotted.join(', ')}`);
    assert.deepEqual((await charts(page)).find((c) => c.id === 'metrics')?.series, ['precisionAt1', 'tripletAccuracy', 'mapAtR']);
    assert.match((await page.textContent('.info')) ?? '', /600 validation items/u);
    assert.deepEqual(errors, []);
  });

  void test('malformed messages are ignored with a warning and change nothing', async () => {
    const { page, warnings, errors } = await open();
    await runThreeEpochs(page);
    const before = await page.evaluate(() => JSON.stringify(window.trainingDashboard.state()));
    await postToPage(
      page,
      null,
      'metrics',
      { type: 'metrics', modelId: MODEL_ID },
      { type: 'metrics', modelId: MODEL_ID, points: [{ epoch: 3, step: 300, loss: 'low', metrics: {} }] },
      { type: 'metrics', modelId: MODEL_ID, points: [{ epoch: 3, step: 301, loss: 0.1, metrics: {} }, { epoch: 3, step: 302, loss: Number.NaN, metrics: {} }] },
      { type: 'metrics', modelId: 'another-run', points: [{ epoch: 3, step: 303, loss: 0.1, metrics: {} }] },
      { type: 'status', modelId: MODEL_ID, status: 'exploded' },
      { type: 'init', run: { modelId: 'x', kind: 'siamese' } },
      { type: 'restore', state: { version: 2 } },
      { type: 'launch-missiles' },
    );
    // A valid message afterwards still works, so the page has seen (and survived) all of the above.
    await postToPage(page, { type: 'metrics', modelId: MODEL_ID, points: [{ epoch: 3, step: 400, loss: 0.05, metrics: {} }] });
    await drawn(page, EPOCHS * PER_EPOCH + 1);
    const afterState = JSON.parse(await page.evaluate(() => JSON.stringify(window.trainingDashboard.state()))) as DashboardState;
    const beforeState = JSON.parse(before) as DashboardState;
    assert.deepEqual(afterState.steps.slice(0, -1), beforeState.steps);
    assert.equal(afterState.steps.at(-1), 400);
    assert.equal(afterState.status, 'running');
    const ignored = warnings.filter((w) => /^Training Dashboard: ignored/u.test(w));
    assert.equal(ignored.length, 10, warnings.join('\n'));
    assert.ok(ignored.some((w) => w.includes('points[1].loss: expected a finite number, got NaN')));
    assert.ok(ignored.some((w) => w.includes('ignored metrics for run another-run')));
    assert.deepEqual(errors, []);
  });

  void test('a reload restores the curves from the saved state; a restore message does too', async () => {
    const first = await open();
    await runThreeEpochs(first.page);
    // A status change saves at once (streamed points are saved within a second).
    await postToPage(first.page, { type: 'status', modelId: MODEL_ID, status: 'finished' });
    await first.page.waitForFunction(() => (window.fakeVsCodeHost.state as { status?: string } | undefined)?.status === 'finished');
    const saved = (await fakeHost(first.page)).state as DashboardState;
    assert.equal(saved.steps.length, EPOCHS * PER_EPOCH);

    // As after a window reload: VS Code gives the new page the state the old one saved.
    const reloaded = await open(saved);
    await drawn(reloaded.page, EPOCHS * PER_EPOCH);
    assert.deepEqual((await fakeHost(reloaded.page)).posted, [{ type: 'ready', modelId: MODEL_ID, status: 'finished' }]);
    assert.deepEqual(await charts(reloaded.page), await charts(first.page));
    assert.ok((await pixelsOfColour(reloaded.page, '.chart-loss canvas', BLUE)) > 300);
    assert.equal(await reloaded.page.textContent('.status'), 'finished');
    assert.equal(await reloaded.page.isDisabled('button.stop'), true);

    // A page with no saved state, given the host's copy.
    const fresh = await open();
    await postToPage(fresh.page, { type: 'restore', state: saved });
    await drawn(fresh.page, EPOCHS * PER_EPOCH);
    assert.deepEqual(await charts(fresh.page), await charts(first.page));

    // A corrupt saved state is dropped with a warning, not a broken page.
    const corrupt = await open({ version: 1, steps: 'many' });
    assert.ok(corrupt.warnings.some((w) => /saved state is unusable/u.test(w)), corrupt.warnings.join('\n'));
    assert.ok(await corrupt.page.isVisible('text=Waiting for a training run'));
    assert.deepEqual(corrupt.errors, []);
  });

  void test('the Content-Security-Policy is the panel\'s and is enforced', async () => {
    const { page, errors } = await open();
    await runThreeEpochs(page);
    const meta = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    const nonce = await page.evaluate(() => document.querySelector<HTMLScriptElement>('script[nonce]')?.nonce ?? '');
    assert.match(meta ?? '', /^default-src 'none'; style-src http:\/\/127\.0\.0\.1:\d+; font-src \S+; img-src \S+ data:; script-src 'nonce-[A-Za-z0-9+/=]{24}'$/u);
    assert.equal(meta, contentSecurityPolicy({ cspSource: server.origin, nonce }));
    assert.deepEqual((await fakeHost(page)).violations, [], 'the dashboard itself needs nothing the policy forbids');

    // What the policy must stop: an injected inline script, a network request, an inline style attribute.
    const outcome = await page.evaluate(async (origin) => {
      const script = document.createElement('script');
      script.textContent = 'window.injected = true';
      document.body.append(script);
      let fetched = 'no';
      try {
        await fetch(`${origin}/csp-probe`);
        fetched = 'yes';
      } catch {
        fetched = 'blocked';
      }
      const holder = document.createElement('div');
      holder.innerHTML = '<p id="styled" style="color: rgb(1, 2, 3)">x</p>';
      document.body.append(holder);
      await new Promise((r) => setTimeout(r, 50));
      return {
        injected: (window as unknown as { injected?: boolean }).injected === true,
        fetched,
        colour: getComputedStyle(document.getElementById('styled')!).color,
      };
    }, server.origin);
    assert.equal(outcome.injected, false);
    assert.equal(outcome.fetched, 'blocked');
    assert.notEqual(outcome.colour, 'rgb(1, 2, 3)');
    const directives = (await fakeHost(page)).violations.map((v) => v.directive).sort();
    assert.deepEqual(directives, ['connect-src', 'script-src-elem', 'style-src-attr']);
    assert.ok(!server.requests.includes('/csp-probe'), 'the blocked fetch never reached the server');
    assert.ok(errors.every((e) => /Content Security Policy/u.test(e)), errors.join('\n'));
  });

  void test('1,000 reports a second: every point kept, drawn once a frame, frames keep coming', async () => {
    const { page } = await open();
    await postToPage(page, initMessage(10, 100));
    const points = trainingPoints(9, 10, 100);
    const result = await page.evaluate(async ({ points, modelId }) => {
      const rendersBefore = window.trainingDashboard.renders();
      // The order of events: 'b' when a batch of 100 reports is posted, 'f' for an animation frame.
      const events: string[] = [];
      let running = true;
      let frameSeen: (() => void) | null = null;
      const tick = (): void => {
        events.push('f');
        frameSeen?.();
        frameSeen = null;
        if (running) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      // The next frame after now: a page that stopped producing frames while the reports stream in
      // never resolves it, and the test fails on its timeout. (A fixed wait instead asserted the
      // frame rate: a loaded CI machine once gave no frame in 100 ms.)
      const nextFrame = (): Promise<void> => new Promise((r) => (frameSeen = r));
      // One message per report, 1,000 in (at least) one second: 100 every 100 ms, a frame between batches.
      for (let i = 0; i < points.length; i += 100) {
        for (const p of points.slice(i, i + 100)) window.postMessage({ type: 'metrics', modelId, points: [p] }, '*');
        events.push('b');
        await Promise.all([nextFrame(), new Promise((r) => setTimeout(r, 100))]);
      }
      await nextFrame();
      running = false;
      return {
        events: events.join(''),
        renders: window.trainingDashboard.renders() - rendersBefore,
        frames: events.filter((e) => e === 'f').length,
        points: window.trainingDashboard.state().steps.length,
      };
    }, { points, modelId: MODEL_ID });
    console.log(`1,000 reports: ${result.renders} draws, ${result.frames} frames`);
    assert.equal(result.points, 1_000);
    await drawn(page, 1_000);
    assert.ok(result.renders <= result.frames + 1, `${result.renders} draws in ${result.frames} frames`);
    assert.ok(result.renders < 300, `${result.renders} draws for 1,000 messages`);
    // Frames kept coming while the reports streamed in (the loop above waited for one after each
    // batch), and the page drew each batch as it came, not once at the end.
    assert.ok(result.renders >= 10, `${result.renders} draws for 10 batches: ${result.events}`);
  });

  void test('the collapse alarm shows when the loss sits at the margin with every triplet active', async () => {
    const { page } = await open();
    await postToPage(page, initMessage(1, 100));
    const random = mulberry32(3);
    const healthy = Array.from({ length: 30 }, (_, i) => point(i, 0.3 - i * 0.003 + 0.01 * random(), { activeTriplets: 0.8 }));
    const collapsed = Array.from({ length: COLLAPSE_WINDOW }, (_, i) => point(30 + i, 0.2, { activeTriplets: 1 }));
    await postToPage(page, { type: 'metrics', modelId: MODEL_ID, points: healthy });
    await drawn(page, 30);
    assert.equal(await page.isVisible('.banner'), false);
    await postToPage(page, { type: 'metrics', modelId: MODEL_ID, points: collapsed });
    await drawn(page, 30 + COLLAPSE_WINDOW);
    assert.match((await page.textContent('.banner')) ?? '', /^⚠ Step 49: Embeddings look collapsed: .* 0\.2000 \(the margin\)/u);
    await page.screenshot({ path: path.join(SHOTS, 'trainingDashboard-collapse.png') });
  });

  void test('the panel\'s feed drives the real page: ready, batched reports, Stop, a reloaded page gets the run back', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    pages.push(page);
    const stops: string[] = [];
    const toPage: HostMessage[] = [];
    const feed = new DashboardFeed({ onStop: (id) => stops.push(id), log: (m) => assert.fail(m), flushMs: 50 });
    // What the panel does: page messages to feed.receive, feed messages to webview.postMessage.
    await page.exposeFunction('toExtension', (m: unknown) => feed.receive(m));
    feed.connect((m) => {
      toPage.push(m);
      void postToPage(page, m);
    });
    await installFakeVsCodeApi(page);
    await page.goto(`${server.origin}/`);
    feed.startRun(initMessage(EPOCHS, PER_EPOCH).run);
    await page.waitForFunction(() => window.fakeVsCodeHost.posted.length > 0);
    await page.waitForFunction(() => document.querySelector('.run-title')?.textContent?.includes('siamese-fashion-mnist-1'));
    for (const p of trainingPoints(42, EPOCHS, PER_EPOCH)) feed.addMetrics({ modelId: MODEL_ID, ...p });
    await drawn(page, EPOCHS * PER_EPOCH);
    const metricsMessages = toPage.filter((m) => m.type === 'metrics').length;
    assert.ok(metricsMessages <= 2, `${metricsMessages} metrics messages for ${EPOCHS * PER_EPOCH} reports`);

    await page.click('button.stop');
    await page.waitForFunction(() => window.fakeVsCodeHost.posted.length >= 2);
    assert.deepEqual(stops, [MODEL_ID]);
    feed.setStatus(MODEL_ID, 'stopped', 'Stopped by the user.');
    await page.waitForFunction(() => document.querySelector('.status')?.textContent === 'stopped');

    // Hidden and shown again: VS Code loads the page anew; the feed sends the whole run once it is ready.
    feed.disconnect();
    await page.reload();
    await drawn(page, EPOCHS * PER_EPOCH);
    assert.equal(await page.textContent('.status'), 'stopped');
    assert.equal(await page.textContent('.status-message'), 'Stopped by the user.');
    assert.ok((await pixelsOfColour(page, '.chart-loss canvas', BLUE)) > 300);
  });

  void test('the charts take VS Code\'s theme colours and follow a theme switch', async () => {
    const { page } = await open();
    await runThreeEpochs(page);
    assert.ok((await pixelsOfColour(page, '.chart-loss canvas', BLUE)) > 300);
    // What VS Code does on a theme switch: new variables on <html>, the theme kind on <body>.
    await page.evaluate(() => {
      document.documentElement.style.setProperty('--vscode-charts-blue', '#e00000');
      document.documentElement.style.setProperty('--vscode-editor-background', '#ffffff');
      document.body.className = 'vscode-light';
    });
    await page.waitForFunction(() => window.trainingDashboard.renders() > 0 && getComputedStyle(document.body).backgroundColor === 'rgb(255, 255, 255)');
    await page.waitForTimeout(100);
    const red = await pixelsOfColour(page, '.chart-loss canvas', [0xe0, 0, 0], 30);
    const blue = await pixelsOfColour(page, '.chart-loss canvas', BLUE, 30);
    assert.ok(red > 300, `${red} train-loss pixels in the theme's colour`);
    assert.ok(blue < 20, `${blue} pixels still in the old colour`);
  });
});
