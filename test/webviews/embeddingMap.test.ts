/**
 * The Embedding Map: its message checks and encodings in node, then the BUILT page
 * (dist/webviews/embeddingMap.js + .css; `node esbuild.mjs` first) in headless Chromium — WebGL
 * through SwiftShader — served in the same HTML and Content-Security-Policy the VS Code panel
 * uses, with a fake `acquireVsCodeApi` standing in for VS Code's webview host. Then the
 * standalone export opened from file:// with every network request refused. Screenshots go to
 * test-results/webviews/.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { standalonePageAssets, standalonePageHtml } from '../../server/cli/standalonePage';
import { clusterCategories, fitToView, labelCategories, palette, TOP_CATEGORIES, withOther } from '../../webviews/embeddingMap/encoding';
import {
  EMBEDDED_MAP_ID,
  decodeMap,
  parseHostMessage,
  parsePageMessage,
  parsePageState,
  type LoadMessage,
  type MapPayload,
  type PageState,
  type Preview,
} from '../../webviews/embeddingMap/messages';
import { mulberry32 } from '../../server/engine/random';
import { MessageError } from '../../webviews/shared/validate';
import { EmbeddingMapRequest } from '../../server/protocol';
import { LspTestClient } from '../server/lspClient';
import { namedFasta } from '../server/namedFasta';
import { launchChromium } from './browser';
import { DIST_WEBVIEWS, ROOT, hostRecord, installFakeHost, postToPage, serveEmbeddingMap, type MapServer } from './embeddingMapHarness';

const SHOTS = path.join(ROOT, 'test-results', 'webviews');
const CLUSTER_SIZE = 20;
const CENTRES: [number, number][] = [
  [-6, -4],
  [6, -4],
  [0, 6],
];

declare global {
  interface Window {
    simlabEmbeddingMap: { screenPosition(index: number): [number, number] | undefined };
  }
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function pngBase64(width: number, height: number, shade: number): string {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    png.data[4 * i] = shade;
    png.data[4 * i + 1] = (i * 7) % 256;
    png.data[4 * i + 2] = 255 - shade;
    png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png).toString('base64');
}

/**
 * Three tight blobs of 20 points (clusters 0, 1, 2) far apart, and 5 noise points away from all
 * of them; labels cross the clusters. Previews: text for cluster 0, raw pixels (number arrays and
 * base64) with autoencoder reconstructions for cluster 1, PNGs for cluster 2, none for noise.
 */
/** 52 clusters of falling size (60, 59, …) on a ring, and some noise: more than the map has distinct colours for. */
function manyClustersMap(count = 52): MapPayload {
  const random = mulberry32(3);
  const ids: string[] = [];
  const points: number[] = [];
  const clusters: number[] = [];
  for (let c = 0; c < count; c++) {
    const angle = (2 * Math.PI * c) / count;
    for (let k = 0; k < 60 - c; k++) {
      ids.push(`r${c}-${k}`);
      points.push(20 * Math.cos(angle) + 0.5 * gaussian(random), 20 * Math.sin(angle) + 0.5 * gaussian(random));
      clusters.push(c);
    }
  }
  for (let k = 0; k < 30; k++) {
    ids.push(`noise-${k}`);
    points.push(10 * gaussian(random), 10 * gaussian(random));
    clusters.push(-1);
  }
  return { title: 'many clusters', kind: 'vectors', ids, points, clusters };
}

function blobsMap(seed = 7): MapPayload {
  const random = mulberry32(seed);
  const ids: string[] = [];
  const points: number[] = [];
  const labels: (string | null)[] = [];
  const clusters: number[] = [];
  const previews: (Preview | null)[] = [];
  const reconstructions: (Preview | null)[] = [];
  CENTRES.forEach(([cx, cy], c) => {
    for (let k = 0; k < CLUSTER_SIZE; k++) {
      ids.push(`rec-${c}-${k}`);
      points.push(cx + 0.8 * gaussian(random), cy + 0.8 * gaussian(random));
      labels.push(['alpha', 'beta', 'gamma'][(c + (k % 4 === 0 ? 1 : 0)) % 3]!);
      clusters.push(c);
      if (c === 0) {
        previews.push({ type: 'text', text: `ACGT${'ACGTTGCA'.repeat(k + 1)}` });
        reconstructions.push(null);
      } else if (c === 1) {
        const pixels = Array.from({ length: 64 }, (_, i) => (i * 4 + k * 9) % 256);
        previews.push({ type: 'pixels', width: 8, height: 8, channels: 1, data: pixels });
        reconstructions.push({ type: 'pixels', width: 8, height: 8, channels: 1, data: Buffer.from(pixels.map((v) => 255 - v)).toString('base64') });
      } else {
        previews.push({ type: 'png', base64: pngBase64(6, 6, k * 12) });
        reconstructions.push(null);
      }
    }
  });
  const noiseAt: [number, number][] = [
    [-12, 10],
    [12, 10],
    [-12, -12],
    [12, -12],
    [0, -12],
  ];
  noiseAt.forEach(([x, y], k) => {
    ids.push(`noise-${k}`);
    points.push(x, y);
    labels.push(null);
    clusters.push(-1);
    previews.push(null);
    reconstructions.push(null);
  });
  return { title: 'Blobs (test)', kind: 'images', ids, points, labels, clusters, previews, reconstructions };
}

function float32Base64(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

/** n points in 12 Gaussian clusters (10 % noise), coordinates as base64 float32, short text previews. */
function bigMap(n: number, seed = 3): MapPayload {
  const random = mulberry32(seed);
  const xy = new Float32Array(2 * n);
  const ids: string[] = [];
  const clusters: number[] = [];
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    const noise = random() < 0.1;
    const c = Math.floor(random() * 12);
    const angle = (2 * Math.PI * c) / 12;
    xy[2 * i] = noise ? 40 * (random() - 0.5) : 12 * Math.cos(angle) + gaussian(random);
    xy[2 * i + 1] = noise ? 40 * (random() - 0.5) : 12 * Math.sin(angle) + gaussian(random);
    ids.push(`r${i}`);
    clusters.push(noise ? -1 : c);
    labels.push(`class ${c % 10}`);
  }
  return { title: `${n.toLocaleString('en-US')} points`, kind: 'rows', ids, points: float32Base64(xy), clusters, labels };
}

void describe('Embedding Map messages and encodings', () => {
  void test('a valid load message passes through; base64 and array coordinates decode alike', () => {
    const map = blobsMap();
    const message: LoadMessage = { type: 'load', map, mapKey: 'k' };
    assert.deepEqual(parseHostMessage(JSON.parse(JSON.stringify(message))), message);
    const asBase64 = { ...map, points: float32Base64(Float32Array.from(map.points as number[])) };
    assert.deepEqual(decodeMap(parseHostMessage({ type: 'load', map: asBase64 }).map).xy, decodeMap(map).xy);
  });

  void test('a malformed message is an error naming the field', () => {
    const map = blobsMap();
    const n = map.ids.length;
    const cases: [unknown, RegExp][] = [
      [null, /^message: expected an object/u],
      [{ type: 'draw' }, /^message\.type: unknown host message/u],
      [{ type: 'load', map: { ...map, kind: 'audio' } }, /^map\.kind: expected one of/u],
      [{ type: 'load', map: { ...map, points: (map.points as number[]).slice(1) } }, new RegExp(`^map\\.points: expected ${2 * n} numbers`, 'u')],
      [{ type: 'load', map: { ...map, points: (map.points as number[]).map((v, i) => (i === 9 ? Number.NaN : v)) } }, /^map\.points\[9\]: expected a finite number, got NaN/u],
      [{ type: 'load', map: { ...map, points: 'AAAA' } }, new RegExp(`^map\\.points: expected ${8 * n} bytes`, 'u')],
      [{ type: 'load', map: { ...map, points: 'not base64!' } }, /^map\.points: expected base64/u],
      [{ type: 'load', map: { ...map, clusters: map.clusters!.map((c, i) => (i === 3 ? -2 : c)) } }, /^map\.clusters\[3\]: expected a cluster id ≥ -1/u],
      [{ type: 'load', map: { ...map, labels: map.labels!.slice(2) } }, new RegExp(`^map\\.labels: expected ${n} entries`, 'u')],
      [{ type: 'load', map: { ...map, previews: map.previews!.map((p, i) => (i === 25 ? { type: 'pixels', width: 8, height: 8, channels: 1, data: [1, 2] } : p)) } }, /^map\.previews\[25\]\.data: expected 64 values/u],
      [{ type: 'load', map: { ...map, previews: map.previews!.map((p, i) => (i === 25 ? { type: 'pixels', width: 800, height: 8, channels: 1, data: [] } : p)) } }, /^map\.previews\[25\]: a pixel preview is 1…128 pixels a side/u],
      [{ type: 'load', map: { ...map, previews: map.previews!.map((p, i) => (i === 0 ? { type: 'html', html: '<b>' } : p)) } }, /^map\.previews\[0\]\.type: expected one of/u],
      [{ type: 'load', map: { ...map, ids: map.ids.map((id, i) => (i === 4 ? 4 : id)) } }, /^map\.ids\[4\]: expected a string/u],
    ];
    for (const [value, expected] of cases) {
      assert.throws(() => parseHostMessage(value), (err: unknown) => err instanceof MessageError && expected.test(err.message), JSON.stringify(value)?.slice(0, 100));
    }
  });

  void test('page messages are checked against the map: indices in range, ids matching', () => {
    const ids = ['a', 'b', 'a'];
    assert.deepEqual(parsePageMessage({ type: 'reveal', id: 'a', index: 2 }, ids), { type: 'reveal', id: 'a', index: 2 });
    assert.deepEqual(parsePageMessage({ type: 'selection', ids: ['b', 'a'], indices: [1, 2] }, ids), { type: 'selection', ids: ['b', 'a'], indices: [1, 2] });
    assert.throws(() => parsePageMessage({ type: 'reveal', id: 'a', index: 3 }, ids), /message\.index: point index 3 out of range/u);
    assert.throws(() => parsePageMessage({ type: 'reveal', id: 'b', index: 0 }, ids), /message\.id: point 0 is "a", not "b"/u);
    assert.throws(() => parsePageMessage({ type: 'saveSelection', ids: ['a'], indices: [0, 1] }, ids), /message\.ids: expected 2 ids/u);
    assert.throws(() => parsePageMessage({ type: 'explode' }, ids), /message\.type: expected one of/u);
  });

  void test('a saved state is restored only when well formed', () => {
    const state: PageState = { v: 1, mapKey: 'k', colorMode: 'label', view: Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 2 : 0)), selected: [3, 1] };
    assert.deepEqual(parsePageState(JSON.parse(JSON.stringify(state))), state);
    assert.equal(parsePageState(undefined), undefined);
    assert.equal(parsePageState({ ...state, v: 2 }), undefined);
    assert.equal(parsePageState({ ...state, colorMode: 'size' }), undefined);
    assert.equal(parsePageState({ ...state, view: [1, 2, 3] }), undefined);
    assert.equal(parsePageState({ ...state, selected: [-1] }), undefined);
  });

  void test('fitToView centres the map in [-1, 1] with one scale for both axes', () => {
    const { x, y } = fitToView(Float32Array.from([10, 100, 30, 100, 20, 105]));
    // x spans 20, y spans 5: the x half-range maps to 0.92, y keeps the same scale.
    assert.deepEqual(Array.from(x).map((v) => +v.toFixed(4)), [-0.92, 0.92, 0]);
    assert.deepEqual(Array.from(y).map((v) => +v.toFixed(4)), [-0.23, -0.23, 0.23]);
    const one = fitToView(Float32Array.from([5, 5]));
    assert.deepEqual([one.x[0], one.y[0]], [0, 0]);
  });

  void test('categories: grey first for noise and unlabelled, then by size; palette colours are distinct', () => {
    const clusters = clusterCategories([2, 2, -1, 0, 2, 0, 7], 7);
    assert.deepEqual(Array.from(clusters.index), [1, 1, 0, 2, 1, 2, 3]);
    assert.deepEqual(clusters.legend.map((e) => [e.category, e.name, e.count]), [[0, 'noise', 1], [1, 'cluster 2', 3], [2, 'cluster 0', 2], [3, 'cluster 7', 1]]);
    const labels = labelCategories(['b', null, 'a', 'a'], 4);
    assert.deepEqual(Array.from(labels.index), [2, 0, 1, 1]);
    assert.deepEqual(labels.legend.map((e) => e.name), ['no label', 'a', 'b']);
    const colours = palette(300);
    assert.equal(new Set(colours).size, 300);
    for (const c of colours) assert.match(c, /^#[0-9a-f]{6}$/u);
  });

  void test('past the largest clusters, the rest form one "other" group: every colour drawn is distinct, noise stays grey', () => {
    // Clusters 0…51 of 52, 51, … 1 members, and 10 noise points.
    const clusters: number[] = [];
    for (let c = 0; c < 52; c++) for (let k = 0; k < 52 - c; k++) clusters.push(c);
    for (let k = 0; k < 10; k++) clusters.push(-1);
    const raw = clusterCategories(clusters, clusters.length);
    const grouped = withOther(raw, 'clusters');
    const names = grouped.legend.map((e) => e.name);
    assert.equal(names[0], 'noise');
    assert.deepEqual(names.slice(1, 1 + TOP_CATEGORIES), raw.legend.slice(1, 1 + TOP_CATEGORIES).map((e) => e.name));
    const other = grouped.legend.at(-1)!;
    const restCount = raw.legend.length - 1 - TOP_CATEGORIES;
    assert.equal(other.name, `other (${restCount} clusters)`);
    assert.equal(other.category, TOP_CATEGORIES + 1);
    assert.equal(other.members?.length, restCount);
    assert.equal(other.count, raw.legend.slice(1 + TOP_CATEGORIES).reduce((s, e) => s + e.count, 0));
    assert.equal(grouped.legend.length, TOP_CATEGORIES + 2);
    for (let i = 0; i < clusters.length; i++) assert.equal(grouped.index[i], Math.min(raw.index[i]!, TOP_CATEGORIES + 1));
    const colours = palette(grouped.legend.length).slice(0, grouped.legend.length);
    assert.equal(new Set(colours).size, grouped.legend.length, 'no colour repeats');
    // Few clusters: nothing is grouped.
    assert.equal(withOther(clusterCategories([0, 1, 1, -1], 4), 'clusters').legend.length, 3);
  });
});

void describe('Embedding Map page in Chromium', () => {
  let browser: Browser;
  let server: MapServer;

  before(async () => {
    if (!existsSync(path.join(DIST_WEBVIEWS, 'embeddingMap.js'))) {
      const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(r.status, 0, `node esbuild.mjs failed:\n${r.stderr}`);
    }
    mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
    server = await serveEmbeddingMap();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  interface Opened {
    page: Page;
    errors: string[];
  }

  /** A page with the fake host (seeded with `state`), the map loaded after the page said ready. */
  async function open(message: LoadMessage, state?: unknown, viewport = { width: 900, height: 650 }): Promise<Opened> {
    const page = await browser.newPage({ viewport });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await installFakeHost(page, state);
    await page.goto(server.origin);
    await page.waitForFunction(() => window.fakeHost.posted.some((m) => (m as { type?: string }).type === 'ready'));
    await postToPage(page, message);
    await page.waitForSelector('.map-root[data-state="ready"]', { timeout: 60_000 });
    return { page, errors };
  }

  /** Pixels of the plot canvas that differ from its (transparent) background, and how many match each colour. */
  function paintedPixels(page: Page, colours: string[] = []): Promise<{ painted: number; total: number; matches: number[] }> {
    return page.evaluate((hexes) => {
      const canvas = document.querySelector<HTMLCanvasElement>('.plot-canvas')!;
      const ctx = canvas.getContext('2d')!;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const rgb = hexes.map((h) => [1, 3, 5].map((o) => parseInt(h.slice(o, o + 2), 16)));
      let painted = 0;
      const matches = rgb.map(() => 0);
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3]! === 0) continue;
        painted++;
        rgb.forEach(([r, g, b], k) => {
          if (data[i + 3]! > 200 && Math.abs(data[i]! - r!) < 12 && Math.abs(data[i + 1]! - g!) < 12 && Math.abs(data[i + 2]! - b!) < 12) matches[k]!++;
        });
      }
      return { painted, total: data.length / 4, matches };
    }, colours);
  }

  const screenPositions = (page: Page, n: number): Promise<[number, number][]> =>
    page.evaluate((count) => Array.from({ length: count }, (_, i) => window.simlabEmbeddingMap.screenPosition(i)!), n);

  const posted = async (page: Page, type: string): Promise<Record<string, unknown>[]> =>
    (await hostRecord(page)).posted.filter((m) => (m as { type?: string }).type === type) as Record<string, unknown>[];

  void test('renders the points coloured by cluster, with a legend, under the strict CSP', async () => {
    const map = blobsMap();
    const { page, errors } = await open({ type: 'load', map, mapKey: 'blobs' });
    try {
      assert.equal(await page.getAttribute('.map-root', 'data-points'), String(map.ids.length));
      assert.match((await page.textContent('.status'))!, /^65 points$/u);
      // Each cluster's colour and the noise grey are on the canvas.
      const colours = palette(4);
      const { painted, total, matches } = await paintedPixels(page, colours);
      assert.ok(painted > 500 && painted < total / 2, `painted ${painted} of ${total}`);
      for (const [k, m] of matches.entries()) assert.ok(m > 20, `colour ${colours[k]} on ${m} pixels`);
      const legend = await page.$$eval('.legend-item', (items) => items.map((li) => li.textContent));
      assert.deepEqual(legend, ['noise5', 'cluster 020', 'cluster 120', 'cluster 220']);
      const host = await hostRecord(page);
      assert.deepEqual(host.violations, []);
      assert.deepEqual(errors, []);
      const state = parsePageState(host.state);
      assert.ok(state && state.mapKey === 'blobs' && state.colorMode === 'cluster' && state.view?.length === 16);
      // The page asked for nothing beyond its script and stylesheet (the favicon is the browser's own request).
      const asked = new Set(server.requests.filter((p) => p !== '/favicon.ico'));
      assert.deepEqual([...asked].sort(), ['/', '/dist/webviews/embeddingMap.css', '/dist/webviews/embeddingMap.js']);
    } finally {
      await page.close();
    }
  });

  void test('a pane narrower than tall shows the whole map; it stays fitted when resized; Reset view fits it again', async () => {
    const map = blobsMap();
    const n = map.ids.length;
    const { page, errors } = await open({ type: 'load', map }, undefined, { width: 360, height: 700 });
    try {
      // Every point (the noise sits at the map's left and right edges) is inside the canvas.
      const allInside = async (): Promise<string[]> => {
        const box = await page.evaluate(() => document.querySelector('.plot-canvas')!.getBoundingClientRect().toJSON() as DOMRect);
        const at = await screenPositions(page, n);
        return at.flatMap(([x, y], i) => (x >= box.left && x <= box.right && y >= box.top && y <= box.bottom ? [] : [`${map.ids[i]} at ${x.toFixed(0)},${y.toFixed(0)} outside ${box.left}–${box.right} × ${box.top}–${box.bottom}`]));
      };
      assert.deepEqual(await allInside(), []);
      await page.setViewportSize({ width: 1000, height: 500 });
      await page.waitForFunction(() => document.querySelector('.plot-canvas')!.getBoundingClientRect().width > 600);
      await page.setViewportSize({ width: 300, height: 800 });
      await page.waitForFunction(() => document.querySelector('.plot-canvas')!.getBoundingClientRect().width < 320);
      await page.waitForTimeout(300);
      assert.deepEqual(await allInside(), []);
      // Zoomed in, some points leave the view; Reset view brings them all back.
      const centre = (await screenPositions(page, 1))[0]!;
      await page.mouse.move(centre[0], centre[1]);
      for (let k = 0; k < 6; k++) await page.mouse.wheel(0, -300);
      await page.waitForTimeout(300);
      assert.ok((await allInside()).length > 0, 'zoomed in: some points out of view');
      await page.click('.btn-reset-view');
      await page.waitForTimeout(300);
      assert.deepEqual(await allInside(), []);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  void test('hover shows the record: text excerpt, pixel preview with its reconstruction, PNG thumbnail', async () => {
    const map = blobsMap();
    const { page, errors } = await open({ type: 'load', map });
    try {
      const at = await screenPositions(page, map.ids.length);
      for (const index of [3, CLUSTER_SIZE + 5, 2 * CLUSTER_SIZE + 7]) {
        await page.mouse.move(at[index]![0] + 40, at[index]![1] + 40);
        await page.mouse.move(at[index]![0], at[index]![1], { steps: 4 });
        await page.waitForSelector(`.hover-card:not([hidden])[data-index="${index}"]`, { timeout: 5_000 });
        assert.equal(await page.textContent('.hover-id'), map.ids[index]);
        const facts = await page.textContent('.hover-facts');
        assert.equal(facts, `label ${map.labels![index]} · cluster ${map.clusters![index]}`);
        const preview = map.previews![index]!;
        if (preview.type === 'text') assert.equal(await page.textContent('.hover-card .hover-text'), preview.text);
        if (preview.type === 'pixels') {
          assert.deepEqual(await page.$$eval('.hover-card figcaption', (fs) => fs.map((f) => f.textContent)), ['original', 'reconstruction']);
          // The drawn pixels are the record's: the original's first row, then the reconstruction's (inverted).
          const rows = await page.$$eval('.hover-card canvas', (cs) =>
            (cs as HTMLCanvasElement[]).map((c) => Array.from(c.getContext('2d')!.getImageData(0, 0, 8, 1).data).filter((_, i) => i % 4 === 0)),
          );
          const first = (preview.data as number[]).slice(0, 8);
          assert.deepEqual(rows, [first, first.map((v) => 255 - v)]);
        }
        if (preview.type === 'png') {
          const src = await page.getAttribute('.hover-card img', 'src');
          assert.equal(src, `data:image/png;base64,${preview.base64}`);
          assert.ok(await page.$eval('.hover-card img', (img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth === 6));
        }
      }
      await page.mouse.move(5, 5);
      await page.waitForSelector('.hover-card[hidden]', { state: 'attached' });
      await page.mouse.move(at[CLUSTER_SIZE + 5]![0], at[CLUSTER_SIZE + 5]![1], { steps: 4 });
      await page.waitForSelector('.hover-card:not([hidden])');
      await page.screenshot({ path: path.join(SHOTS, 'embeddingMap.png') });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  void test('a click on a point posts reveal with its id and index', async () => {
    const map = blobsMap();
    const { page } = await open({ type: 'load', map });
    try {
      const at = await screenPositions(page, map.ids.length);
      // The point farthest (on screen) from its nearest neighbour: a click there can hit no other.
      let index = 0;
      let best = -1;
      at.forEach(([x, y], i) => {
        const nearest = Math.min(...at.filter((_, j) => j !== i).map(([u, v]) => Math.hypot(u - x, v - y)));
        if (i < 3 * CLUSTER_SIZE && nearest > best) [best, index] = [nearest, i];
      });
      await page.mouse.move(at[index]![0] + 30, at[index]![1]);
      await page.mouse.move(at[index]![0], at[index]![1], { steps: 3 });
      await page.mouse.down();
      await page.mouse.up();
      await page.waitForFunction(() => window.fakeHost.posted.some((m) => (m as { type?: string }).type === 'reveal'));
      assert.deepEqual(await posted(page, 'reveal'), [{ type: 'reveal', id: map.ids[index], index }]);
      assert.deepEqual((await posted(page, 'selection')).at(-1), { type: 'selection', ids: [map.ids[index]], indices: [index] });
    } finally {
      await page.close();
    }
  });

  void test('a lasso (shift+drag) around one cluster posts exactly its ids; Save as dataset posts them too', async () => {
    const map = blobsMap();
    const { page } = await open({ type: 'load', map });
    try {
      const at = await screenPositions(page, map.ids.length);
      const cluster = 1;
      const members = at.slice(cluster * CLUSTER_SIZE, (cluster + 1) * CLUSTER_SIZE);
      const pad = 12;
      const left = Math.min(...members.map((p) => p[0])) - pad;
      const right = Math.max(...members.map((p) => p[0])) + pad;
      const top = Math.min(...members.map((p) => p[1])) - pad;
      const bottom = Math.max(...members.map((p) => p[1])) + pad;
      // The box holds no other point (else the data, not the page, would be wrong).
      const inside = at.map(([x, y], i) => (x > left && x < right && y > top && y < bottom ? i : -1)).filter((i) => i >= 0);
      const expected = Array.from({ length: CLUSTER_SIZE }, (_, k) => cluster * CLUSTER_SIZE + k);
      assert.deepEqual(inside, expected);
      await page.mouse.move(left, top);
      await page.keyboard.down('Shift');
      await page.mouse.down();
      for (const [x, y] of [
        [right, top],
        [right, bottom],
        [left, bottom],
        [left, top + 2],
      ] as const) {
        await page.mouse.move(x, y, { steps: 12 });
      }
      await page.mouse.up();
      await page.keyboard.up('Shift');
      await page.waitForFunction(() => window.fakeHost.posted.some((m) => (m as { type?: string }).type === 'selection'));
      const selections = await posted(page, 'selection');
      assert.deepEqual(selections, [{ type: 'selection', ids: expected.map((i) => map.ids[i]), indices: expected }]);
      assert.deepEqual(await posted(page, 'reveal'), [], 'a lasso reveals nothing');
      assert.match((await page.textContent('.status'))!, /· 20 selected$/u);
      await page.click('.btn-save-selection');
      assert.deepEqual(await posted(page, 'saveSelection'), [{ type: 'saveSelection', ids: expected.map((i) => map.ids[i]), indices: expected }]);
      assert.deepEqual(parsePageState((await hostRecord(page)).state)?.selected.sort((a, b) => a - b), expected);
      // Esc clears the selection: posted as an empty one.
      await page.keyboard.press('Escape');
      await page.waitForFunction(() => window.fakeHost.posted.filter((m) => (m as { type?: string }).type === 'selection').length === 2);
      assert.deepEqual((await posted(page, 'selection')).at(-1), { type: 'selection', ids: [], indices: [] });
      assert.equal(await page.isHidden('.btn-save-selection'), true);
    } finally {
      await page.close();
    }
  });

  void test('Save as dataset… is offered only for a dataset whose records can be saved (not an IDX map)', async () => {
    const map = blobsMap();
    const selected: PageState = { v: 1, mapKey: 'blobs', colorMode: 'cluster', selected: [1, 2, 3] };
    for (const [canSave, offered] of [[undefined, true], [false, false]] as const) {
      const { page, errors } = await open({ type: 'load', map, mapKey: 'blobs', ...(canSave === undefined ? {} : { canSave }) }, selected);
      try {
        assert.match((await page.textContent('.status'))!, /· 3 selected$/u);
        assert.equal(await page.isVisible('.btn-clear-selection'), true);
        assert.equal(await page.isVisible('.btn-save-selection'), offered, `canSave ${String(canSave)}`);
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
      }
    }
  });

  void test('many clusters at a narrow width: the legend starts folded and opens; the largest clusters have distinct colours, the rest one "other"', async () => {
    const map = manyClustersMap();
    const { page, errors } = await open({ type: 'load', map, mapKey: 'many' }, undefined, { width: 320, height: 640 });
    try {
      assert.equal(await page.getAttribute('.btn-legend-toggle', 'aria-expanded'), 'false');
      assert.equal(await page.isHidden('.legend'), true, 'folded at 320 px: the map is not covered');
      await page.screenshot({ path: path.join(SHOTS, 'embeddingMap-legend-folded.png') });
      await page.click('.btn-legend-toggle');
      assert.equal(await page.getAttribute('.btn-legend-toggle', 'aria-expanded'), 'true');
      const items = await page.$$eval('.legend-item', (lis) => lis.map((li) => ({ name: li.querySelector('.legend-name')!.textContent, colour: getComputedStyle(li.querySelector('.swatch')!).backgroundColor, title: (li as HTMLElement).title })));
      assert.equal(items.length, TOP_CATEGORIES + 2, items.map((i) => i.name).join(', '));
      assert.equal(items[0]!.name, 'noise');
      assert.deepEqual(items.slice(1, 1 + TOP_CATEGORIES).map((i) => i.name), Array.from({ length: TOP_CATEGORIES }, (_, c) => `cluster ${c}`));
      assert.equal(items.at(-1)!.name, `other (${52 - TOP_CATEGORIES} clusters)`);
      assert.match(items.at(-1)!.title, /^cluster 9, cluster 10, /u);
      assert.equal(new Set(items.map((i) => i.colour)).size, items.length, 'every legend colour distinct');
      assert.equal(await page.locator('text=/more$/').count(), 0, 'no "+N more" that cannot be opened');
      await page.screenshot({ path: path.join(SHOTS, 'embeddingMap-legend-open.png') });
      await page.click('.btn-legend-toggle');
      assert.equal(await page.isHidden('.legend'), true);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  void test('colour by label: the legend and the saved state follow', async () => {
    const map = blobsMap();
    const { page } = await open({ type: 'load', map, mapKey: 'blobs' });
    try {
      await page.click('.btn-color-label');
      await page.waitForSelector('.map-root[data-color-mode="label"]');
      const legend = await page.$$eval('.legend-name', (items) => items.map((li) => li.textContent));
      assert.deepEqual(legend.sort(), ['alpha', 'beta', 'gamma', 'no label']);
      assert.equal(parsePageState((await hostRecord(page)).state)?.colorMode, 'label');
    } finally {
      await page.close();
    }
  });

  void test('restores camera, colour mode and selection from the saved state of the same map only', async () => {
    const map = blobsMap();
    const first = await open({ type: 'load', map, mapKey: 'blobs' });
    const before = await screenPositions(first.page, map.ids.length);
    await first.page.close();
    // Zoomed in 2× around the origin.
    const view = [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    const saved: PageState = { v: 1, mapKey: 'blobs', colorMode: 'label', view, selected: [4, 2, 9] };
    const { page, errors } = await open({ type: 'load', map, mapKey: 'blobs' }, saved);
    try {
      assert.equal(await page.getAttribute('.map-root', 'data-color-mode'), 'label');
      assert.equal(await page.getAttribute('.map-root', 'data-selected'), '3');
      assert.match((await page.textContent('.status'))!, /· 3 selected$/u);
      const state = parsePageState((await hostRecord(page)).state)!;
      assert.deepEqual(state.view, view);
      assert.deepEqual(state.selected, [4, 2, 9]);
      // The camera really moved: a point's distance from the plot's centre doubled.
      const after = await screenPositions(page, map.ids.length);
      const box = (await page.locator('.plot-canvas').boundingBox())!;
      const centre = [box.x + box.width / 2, box.y + box.height / 2];
      const d = (p: [number, number]): number => Math.hypot(p[0] - centre[0]!, p[1] - centre[1]!);
      assert.ok(Math.abs(d(after[0]!) / d(before[0]!) - 2) < 0.02, `${d(after[0]!)} vs ${d(before[0]!)}`);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
    const other = await open({ type: 'load', map, mapKey: 'another map' }, saved);
    try {
      assert.equal(await other.page.getAttribute('.map-root', 'data-color-mode'), 'cluster');
      assert.equal(await other.page.getAttribute('.map-root', 'data-selected'), '0');
    } finally {
      await other.page.close();
    }
  });

  void test('a FASTA mapped by the real host: Colour by Label shows the genera of its headers, the hover card names each record', async () => {
    // The built host makes the map of a FASTA whose headers read `>accession Genus species …`.
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'simlab-webview-fasta-'));
    const named = namedFasta();
    const fasta = path.join(tmp, 'named.fasta');
    writeFileSync(fasta, named.text);
    const host = LspTestClient.start();
    let map: EmbeddingMapRequest.MapContent;
    try {
      await host.initialize(undefined, { trusted: true }, [{ uri: pathToFileURL(tmp).href, name: 'workspace' }]);
      map = (await host.connection.sendRequest(EmbeddingMapRequest.type, { uri: pathToFileURL(fasta).href })).map;
    } finally {
      await host.dispose();
      rmSync(tmp, { recursive: true, force: true });
    }
    const { page, errors } = await open({ type: 'load', map, mapKey: 'named-fasta' });
    try {
      await page.click('.btn-color-label');
      const names = await page.$$eval('.legend-item .legend-name', (els) => els.map((e) => e.textContent));
      const genera = new Set(named.organisms.map((o) => o.split(' ')[0]));
      assert.ok(!names.includes('no label'), `legend: ${names.join(', ')}`);
      assert.ok(names.length >= 3 && names.every((n) => n!.startsWith('other (') || genera.has(n!)), `legend: ${names.join(', ')}`);
      const at = await screenPositions(page, map.ids.length);
      const index = 5;
      await page.mouse.move(at[index]![0] + 40, at[index]![1] + 40);
      await page.mouse.move(at[index]![0], at[index]![1], { steps: 4 });
      const shown = Number(await (await page.waitForSelector('.hover-card:not([hidden])', { timeout: 5_000 })).getAttribute('data-index'));
      // Points may overlap: whichever the card shows, its description and label are that record's.
      assert.equal(await page.textContent('.hover-id'), named.ids[shown]);
      assert.equal(await page.textContent('.hover-description'), named.organisms[shown]);
      assert.match((await page.textContent('.hover-facts'))!, new RegExp(`^label ${named.organisms[shown]!.split(' ')[0]} · `, 'u'));
      await page.screenshot({ path: path.join(SHOTS, 'embeddingMap-fasta-labels.png') });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  void test('a malformed map shows an error naming the field, and posts nothing else', async () => {
    const page = await browser.newPage();
    try {
      await installFakeHost(page);
      await page.goto(server.origin);
      await page.waitForFunction(() => window.fakeHost.posted.length === 1);
      await postToPage(page, { type: 'load', map: { ...blobsMap(), kind: 'audio' } });
      await page.waitForSelector('.map-root[data-state="error"]');
      assert.match((await page.textContent('.error'))!, /map\.kind: expected one of/u);
      assert.deepEqual((await hostRecord(page)).posted, [{ type: 'ready' }]);
    } finally {
      await page.close();
    }
  });

  void test('100,000 points render without error', async () => {
    const n = 100_000;
    const map = bigMap(n);
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await installFakeHost(page);
      await page.goto(server.origin);
      await page.waitForFunction(() => window.fakeHost.posted.length === 1);
      // The map crosses as one JSON string (playwright's own argument encoding of 100,000-element
      // arrays takes seconds and is not the page's time); the clock runs in the page from postMessage.
      await page.evaluate((text) => {
        const root = document.querySelector('.map-root')!;
        const started = performance.now();
        new MutationObserver((_, observer) => {
          if (root.getAttribute('data-state') !== 'ready') return;
          root.setAttribute('data-load-ms', String(Math.round(performance.now() - started)));
          observer.disconnect();
        }).observe(root, { attributes: true, attributeFilter: ['data-state'] });
        window.postMessage(JSON.parse(text), '*');
      }, JSON.stringify({ type: 'load', map }));
      await page.waitForSelector('.map-root[data-load-ms]', { timeout: 120_000 });
      const ms = await page.getAttribute('.map-root', 'data-load-ms');
      console.log(`embedding map: ${n.toLocaleString('en-US')} points validated, decoded and drawn in ${ms} ms (SwiftShader software WebGL)`);
      assert.equal(await page.getAttribute('.map-root', 'data-points'), String(n));
      const { painted, total } = await paintedPixels(page);
      assert.ok(painted > total / 20, `painted ${painted} of ${total}`);
      // Hover still answers at this size.
      const [x, y] = await page.evaluate(() => window.simlabEmbeddingMap.screenPosition(0)!);
      await page.mouse.move(x + 3, y + 3);
      await page.mouse.move(x, y, { steps: 2 });
      await page.waitForSelector('.hover-card:not([hidden])', { timeout: 10_000 });
      await page.screenshot({ path: path.join(SHOTS, 'embeddingMap-100k.png') });
      assert.deepEqual(errors, []);
      assert.deepEqual((await hostRecord(page)).violations, []);
    } finally {
      await page.close();
    }
  });
});

void describe('Embedding Map standalone export', () => {
  let browser: Browser;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'simlab-map-'));

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  function writePage(map: MapPayload): string {
    const assets = standalonePageAssets(path.join(ROOT, 'dist'));
    const html = standalonePageHtml({ script: readFileSync(assets.script, 'utf8'), css: readFileSync(assets.css, 'utf8'), map });
    const file = path.join(tmp, 'map.html');
    writeFileSync(file, html);
    return file;
  }

  void test('one HTML file: data inline, only its own script and style may run, no resource outside it', () => {
    const map = { ...blobsMap(), title: 'A </script> & "quoted" <title>' };
    const html = readFileSync(writePage(map), 'utf8');
    assert.equal((html.match(/<script\b/gu) ?? []).length, 2);
    assert.doesNotMatch(html, /sourceMappingURL/u);
    // The markup around the inline script and style bodies loads nothing.
    const markup = html.replace(/(<script\b[^>]*>).*?(<\/script>)/gsu, '$1$2').replace(/(<style>).*?(<\/style>)/gsu, '$1$2');
    assert.doesNotMatch(markup, /<(link|img|iframe|object|embed)\b|\s(src|href)=/u);
    assert.match(html, /<title>A &lt;\/script&gt; &amp; &quot;quoted&quot; &lt;title&gt;<\/title>/u);
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/u.exec(html)![1]!;
    assert.match(csp, /^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+' 'unsafe-eval'; style-src 'sha256-[A-Za-z0-9+/=]+'; img-src data:/u);
    const data = new RegExp(`<script type="application/json" id="${EMBEDDED_MAP_ID}">(.*?)</script>`, 'su').exec(html)![1]!;
    assert.doesNotMatch(data, /</u);
    assert.deepEqual(JSON.parse(data), { type: 'load', map, readOnly: true });
  });

  void test('opens from file:// with the network refused: renders, hovers, attempts no request', async () => {
    const map = blobsMap();
    const file = writePage(map);
    const context = await browser.newContext({ viewport: { width: 900, height: 650 } });
    const page = await context.newPage();
    const attempted: string[] = [];
    const errors: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      attempted.push(url);
      return route.abort();
    });
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) attempted.push(r.url());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript(() => {
      (window as unknown as { violations: string[] }).violations = [];
      document.addEventListener('securitypolicyviolation', (e) => (window as unknown as { violations: string[] }).violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    try {
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector('.map-root[data-state="ready"]', { timeout: 60_000 });
      assert.equal(await page.getAttribute('.map-root', 'data-points'), String(map.ids.length));
      assert.equal(await page.title(), map.title);
      const painted = await page.evaluate(() => {
        const canvas = document.querySelector<HTMLCanvasElement>('.plot-canvas')!;
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
        return n;
      });
      assert.ok(painted > 500, `painted ${painted}`);
      const [x, y] = await page.evaluate(() => window.simlabEmbeddingMap.screenPosition(2 * 20 + 3)!);
      await page.mouse.move(x + 30, y + 30);
      await page.mouse.move(x, y, { steps: 4 });
      await page.waitForSelector('.hover-card:not([hidden]) img');
      assert.equal(await page.isHidden('.btn-save-selection'), true);
      await page.screenshot({ path: path.join(SHOTS, 'embeddingMap-standalone.png') });
      assert.deepEqual(attempted, []);
      assert.deepEqual(await page.evaluate(() => (window as unknown as { violations: string[] }).violations), []);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
