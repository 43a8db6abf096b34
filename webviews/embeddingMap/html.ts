/**
 * The HTML shell of the Embedding Map webview: a strict Content-Security-Policy, the stylesheet
 * and the page script (by nonce), and nothing else — the page builds its DOM and receives its
 * data by postMessage. No vscode import: the client passes the webview's URIs in, and the
 * Chromium tests build the same shell around a fake host.
 */

export interface EmbeddingMapHtmlOptions {
  /** URI of dist/webviews/embeddingMap.js as the webview may load it. */
  scriptUri: string;
  /** URI of dist/webviews/embeddingMap.css. */
  styleUri: string;
  /** Fresh per page load (crypto.randomBytes): only the script carrying it runs. */
  nonce: string;
  /** The webview's resource origin (`webview.cspSource`). */
  cspSource: string;
}

/**
 * default-src 'none', then only what the page needs: its script (nonce), its stylesheet, and
 * data: images (PNG thumbnails in the hover card). No connect-src: data comes by postMessage.
 * 'unsafe-eval' because regl (under regl-scatterplot) generates its draw calls with `new Function`
 * — there is no other mode — and the page cannot draw without it. It lets the page's own code
 * evaluate strings; it admits no other script (that still needs the nonce), and the page never
 * evaluates anything it receives.
 */
export function embeddingMapCsp(cspSource: string, nonce: string): string {
  return [`default-src 'none'`, `script-src 'nonce-${nonce}' 'unsafe-eval'`, `style-src ${cspSource}`, `img-src ${cspSource} data:`, `font-src ${cspSource}`].join('; ');
}

export function embeddingMapHtml(o: EmbeddingMapHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/u.test(o.nonce)) throw new Error('embeddingMapHtml: the nonce must be at least 16 base64 characters');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(embeddingMapCsp(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(o.styleUri)}">
<title>Embedding Map</title>
</head>
<body>
<script nonce="${attr(o.nonce)}" src="${attr(o.scriptUri)}"></script>
</body>
</html>
`;
}

function attr(s: string): string {
  return s.replace(/&/gu, '&amp;').replace(/"/gu, '&quot;').replace(/</gu, '&lt;').replace(/>/gu, '&gt;');
}
