/**
 * What the Embedding Map tests put around the built page: a local HTTP server whose origin plays
 * VS Code's `webview.cspSource` (so the page's own Content-Security-Policy decides what may load,
 * as in the panel), and a fake `acquireVsCodeApi`.
 *
 * The fake stands in for VS Code's webview host, which cannot run in a bare browser: defined
 * before the page's script, callable once, state kept as JSON (as VS Code keeps it), recording
 * what the page posts and saves and any CSP violation. Messages "from the extension" are
 * window.postMessage calls, which is how they reach a real webview too. It is plain JavaScript
 * text: a TypeScript function would be compiled by the test loader with helpers (`__name`) that
 * do not exist in the page.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { embeddingMapHtml } from '../../webviews/embeddingMap/html';

export const ROOT = path.resolve(__dirname, '../..');
export const DIST_WEBVIEWS = path.join(ROOT, 'dist', 'webviews');

export interface FakeHostRecord {
  posted: unknown[];
  state: unknown;
  violations: string[];
}

declare global {
  interface Window {
    fakeHost: FakeHostRecord;
  }
}

const FAKE_HOST = `(() => {
  const host = { posted: [], state: window.__fakeHostSeed ?? undefined, violations: [] };
  const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
  window.fakeHost = host;
  document.addEventListener('securitypolicyviolation', (e) => host.violations.push(e.violatedDirective + ' ' + e.blockedURI));
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
    acquired = true;
    return Object.freeze({
      postMessage: (m) => { host.posted.push(clone(m)); },
      getState: () => clone(host.state),
      setState: (s) => { host.state = clone(s); return s; },
    });
  };
})();`;

/** Installs the fake host on every document the page loads; getState() first returns `state`. */
export async function installFakeHost(page: Page, state?: unknown): Promise<void> {
  await page.addInitScript({ content: `window.__fakeHostSeed = ${JSON.stringify(state ?? null)};\n${FAKE_HOST}` });
}

export function hostRecord(page: Page): Promise<FakeHostRecord> {
  return page.evaluate(() => JSON.parse(JSON.stringify(window.fakeHost)) as FakeHostRecord);
}

export async function postToPage(page: Page, message: unknown): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message);
}

export interface MapServer {
  origin: string;
  /** Every path asked for, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** `/` is the panel's HTML (fresh nonce per load, as the panel makes it); `/dist/webviews/<file>` the built files. */
export async function serveEmbeddingMap(): Promise<MapServer> {
  const requests: string[] = [];
  let origin = '';
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', origin).pathname;
    requests.push(pathname);
    void (async () => {
      if (pathname === '/') {
        const html = embeddingMapHtml({
          scriptUri: `${origin}/dist/webviews/embeddingMap.js`,
          styleUri: `${origin}/dist/webviews/embeddingMap.css`,
          nonce: randomBytes(16).toString('base64'),
          cspSource: origin,
        });
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
        return;
      }
      if (pathname === '/favicon.ico') {
        res.writeHead(204).end(); // the browser's own request, not the page's
        return;
      }
      const name = /^\/dist\/webviews\/(embeddingMap\.(?:js|css))$/u.exec(pathname)?.[1];
      if (!name) {
        res.writeHead(404).end();
        return;
      }
      const body = await readFile(path.join(DIST_WEBVIEWS, name));
      res.writeHead(200, { 'content-type': name.endsWith('.js') ? 'text/javascript' : 'text/css' }).end(body);
    })().catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
