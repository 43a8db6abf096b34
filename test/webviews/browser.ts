/**
 * Headless Chromium for the webview and e2e tiers: Debian's chromium driven by playwright-core
 * (which downloads no browser of its own). A missing browser is a failure, never a skip: these
 * tiers exist to test what a browser does, and `npm test` installs chromium before it runs them
 * (scripts/test-setup.mjs).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env['SIMLAB_CHROMIUM'] ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** Throws, naming the command that fixes it, when there is no Chromium at CHROMIUM_PATH. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: run \`npm run test:setup\` (npm test runs it first), or \`sudo apt-get install -y chromium\`, or set SIMLAB_CHROMIUM to a Chromium binary`,
    );
  }
}

export function launchChromium(): Promise<Browser> {
  requireChromium();
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS });
}
