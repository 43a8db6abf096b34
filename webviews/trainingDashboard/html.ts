/**
 * The Training Dashboard's page. Shared by the VS Code panel and the browser tests, so the tests
 * run the very page (and Content-Security-Policy) the panel shows. No data goes into this HTML:
 * the run arrives by postMessage.
 *
 * The policy: nothing by default; the script only by nonce; styles only from the extension's own
 * files (`cspSource`: VS Code's origin for `localResourceRoots`). uPlot styles its elements
 * through the CSSOM (`element.style.x = …`), which a style-src policy does not restrict; no inline
 * `style` attributes or `<style>` elements are used.
 */

export interface DashboardHtmlOptions {
  /** `webview.cspSource` (in tests, the harness server's origin). */
  cspSource: string;
  /** Fresh for every page, base64 from crypto.randomBytes. */
  nonce: string;
  /** URI of dist/webviews/trainingDashboard.js as the webview may load it. */
  scriptUri: string;
  /** URI of dist/webviews/trainingDashboard.css (our styles and uPlot's, bundled by esbuild). */
  styleUri: string;
}

export function contentSecurityPolicy(o: Pick<DashboardHtmlOptions, 'cspSource' | 'nonce'>): string {
  return [
    "default-src 'none'",
    `style-src ${o.cspSource}`,
    `font-src ${o.cspSource}`,
    `img-src ${o.cspSource} data:`,
    `script-src 'nonce-${o.nonce}'`,
  ].join('; ');
}

export function trainingDashboardHtml(o: DashboardHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=]{16,}$/u.test(o.nonce)) throw new Error('trainingDashboardHtml: the nonce must be base64, at least 16 characters');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(contentSecurityPolicy(o))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(o.styleUri)}">
<title>Training Dashboard</title>
</head>
<body>
<main id="dashboard" aria-live="polite"></main>
<script nonce="${escapeAttribute(o.nonce)}" src="${escapeAttribute(o.scriptUri)}"></script>
</body>
</html>
`;
}

function escapeAttribute(s: string): string {
  return s.replace(/&/gu, '&amp;').replace(/"/gu, '&quot;').replace(/</gu, '&lt;').replace(/>/gu, '&gt;');
}
