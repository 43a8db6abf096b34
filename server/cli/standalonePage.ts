/**
 * The Embedding Map as ONE self-contained HTML file (`simlab embed --out map.html`): the built
 * page script and stylesheet inline, the map as an inline JSON block, and a Content-Security-
 * Policy that lets only that script and that stylesheet in (by hash) and loads nothing from
 * anywhere — it opens from disk, offline, and cannot call home.
 *
 * Pure: the caller reads dist/webviews/embeddingMap.{js,css} (see `standalonePageAssets`) and
 * writes the result.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { EMBEDDED_MAP_ID, type LoadMessage, type MapPayload } from '../../webviews/embeddingMap/messages';

export interface StandalonePageInput {
  /** Text of the built page script, dist/webviews/embeddingMap.js. */
  script: string;
  /** Text of the built stylesheet, dist/webviews/embeddingMap.css. */
  css: string;
  map: MapPayload;
}

/** Where the built page lives, given the folder of the running bundle (dist/, next to cli.js). */
export function standalonePageAssets(distDir: string): { script: string; css: string } {
  return { script: path.join(distDir, 'webviews', 'embeddingMap.js'), css: path.join(distDir, 'webviews', 'embeddingMap.css') };
}

export function standalonePageHtml(input: StandalonePageInput): string {
  const script = inlineSafe(stripSourceMap(input.script), 'script');
  const css = inlineSafe(stripSourceMap(input.css), 'style');
  const load: LoadMessage = { type: 'load', map: input.map, readOnly: true };
  // Inside <script type="application/json"> only "</script" could end the block early; JSON may
  // spell every "<" as \u003c, so none is left.
  const data = JSON.stringify(load).replace(/</gu, '\\u003c');
  const csp = [
    `default-src 'none'`,
    // 'unsafe-eval': regl generates its draw calls with `new Function` (see webviews/embeddingMap/html.ts).
    `script-src '${sha256(script)}' 'unsafe-eval'`,
    `style-src '${sha256(css)}'`,
    // PNG thumbnails in the hover card are data: URLs.
    `img-src data:`,
    `base-uri 'none'`,
    `form-action 'none'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(input.map.title)}</title>
<style>${css}</style>
</head>
<body>
<script type="application/json" id="${EMBEDDED_MAP_ID}">${data}</script>
<script>${script}</script>
</body>
</html>
`;
}

function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

/** The bundle's trailing source-map comment points at a file the export does not carry. */
function stripSourceMap(text: string): string {
  return text.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/u, '\n').replace(/\n?\/\*# sourceMappingURL=\S+ \*\/\s*$/u, '\n');
}

/**
 * Text placed inside a raw-text element must not contain its end tag. In a script, `<\/` reads as
 * `</` wherever `</script` can legally occur (strings, regexes, templates, comments). `<!--` would
 * put the HTML parser in its "escaped" state and has no such universal rewrite: refuse it, as
 * `</style` in CSS. (Neither occurs in today's bundle; the error says what to change if one does.)
 */
function inlineSafe(text: string, element: 'script' | 'style'): string {
  if (element === 'script') {
    if (text.includes('<!--')) throw new Error('standalonePageHtml: the page script contains "<!--" and cannot be inlined safely');
    return text.replace(/<\/(script)/giu, '<\\/$1');
  }
  if (/<\/style/iu.test(text)) throw new Error('standalonePageHtml: the stylesheet contains "</style" and cannot be inlined');
  return text;
}

function escapeHtml(s: string): string {
  return s.replace(/&/gu, '&amp;').replace(/"/gu, '&quot;').replace(/</gu, '&lt;').replace(/>/gu, '&gt;');
}
