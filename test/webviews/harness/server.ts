/**
 * Serves a webview page and the built bundles over http://127.0.0.1 for the browser tests. Its
 * origin plays the part of VS Code's `webview.cspSource`, so the page's own Content-Security-
 * Policy decides what may load, exactly as in the panel.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');
export const DIST_WEBVIEWS = path.join(ROOT, 'dist', 'webviews');

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.html': 'text/html' };

export interface PageServer {
  origin: string;
  /** Every path requested, in order (to check what the page tried to load). */
  requests: string[];
  close(): Promise<void>;
}

/**
 * `/` answers `page(origin)`; `/dist/webviews/<file>` answers the built file. Anything else is 404.
 */
export async function servePage(page: (origin: string) => string): Promise<PageServer> {
  const requests: string[] = [];
  let origin = '';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    requests.push(url.pathname);
    void (async () => {
      if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(page(origin));
        return;
      }
      if (url.pathname === '/favicon.ico') {
        // Chromium asks for one; a webview never does. No content, and no 404 in the console.
        res.writeHead(204).end();
        return;
      }
      const prefix = '/dist/webviews/';
      const name = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : '';
      if (!/^[\w.-]+$/u.test(name)) {
        res.writeHead(404).end();
        return;
      }
      try {
        const body = await readFile(path.join(DIST_WEBVIEWS, name));
        res.writeHead(200, { 'content-type': TYPES[path.extname(name)] ?? 'application/octet-stream' });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
    })();
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
