/**
 * A stand-in for VS Code's webview host, which cannot run in a bare browser: before the page's
 * own script, it defines `acquireVsCodeApi()` the way VS Code does (callable once; state kept as
 * JSON, as VS Code keeps it) and records what the page posts and saves, plus any Content-
 * Security-Policy violation. Messages "from the extension" are `window.postMessage` calls, which
 * is how they reach a real webview too. When the test exposes `window.toExtension`, what the page
 * posts is also handed to it, as VS Code hands it to `onDidReceiveMessage`.
 */
import type { Page } from 'playwright-core';

export interface FakeHostRecord {
  posted: unknown[];
  state: unknown;
  setStateCalls: number;
  violations: { directive: string; blocked: string }[];
}

declare global {
  interface Window {
    fakeVsCodeHost: FakeHostRecord;
  }
}

/**
 * The fake, as page source. A string, not a function: the test runner's TypeScript transform
 * would add helper calls to a function's body that do not exist in the page.
 */
const FAKE_HOST_SOURCE = `(() => {
  // Test callbacks passed to page.evaluate are compiled by tsx, which names inner functions with
  // an esbuild helper; give the page that helper so those callbacks run.
  globalThis.__name ??= (f) => f;
  const host = { posted: [], state: SEED === null ? undefined : SEED, setStateCalls: 0, violations: [] };
  const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
  window.fakeVsCodeHost = host;
  document.addEventListener('securitypolicyviolation', (e) => host.violations.push({ directive: e.violatedDirective, blocked: e.blockedURI }));
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
    acquired = true;
    return Object.freeze({
      postMessage: (message) => {
        host.posted.push(clone(message));
        // Set by tests that connect the page to the extension side (page.exposeFunction).
        if (typeof window.toExtension === 'function') void window.toExtension(clone(message));
      },
      getState: () => clone(host.state),
      setState: (s) => { host.state = clone(s); host.setStateCalls++; return s; },
    });
  };
})();`;

/** Installs the fake on every document the page loads; `state` is what getState() returns first. */
export async function installFakeVsCodeApi(page: Page, state?: unknown): Promise<void> {
  await page.addInitScript({ content: `{\nconst SEED = ${JSON.stringify(state ?? null)};\n${FAKE_HOST_SOURCE}\n}` });
}

/** Posts messages to the page as the extension would. */
export async function postToPage(page: Page, ...messages: unknown[]): Promise<void> {
  await page.evaluate((ms) => {
    for (const m of ms) window.postMessage(m, '*');
  }, messages);
}

export function fakeHost(page: Page): Promise<FakeHostRecord> {
  return page.evaluate(() => JSON.parse(JSON.stringify(window.fakeVsCodeHost)) as FakeHostRecord);
}
