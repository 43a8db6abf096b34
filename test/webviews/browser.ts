/**
 * Headless Chromium for the webview tier: Debian's chromium driven by playwright-core (which
 * downloads no browser of its own). Tests skip, with this reason, only when the browser is absent.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env['SIMLAB_CHROMIUM'] ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** Why this tier cannot run here, or undefined when it can. */
export const chromiumSkipReason: string | undefined = existsSync(CHROMIUM_PATH)
  ? undefined
  : `webview tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set SIMLAB_CHROMIUM)`;
if (chromiumSkipReason) console.log(chromiumSkipReason);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS });
}
