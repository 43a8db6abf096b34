/**
 * escapeMarkdown: dataset text in a hover renders as itself. Checked two ways: CommonMark's own
 * rule (a backslash before ASCII punctuation stands for that character) gives the input back, and
 * a real CommonMark renderer with autolinks on (markdown-it, which VS Code's Markdown preview
 * uses) makes no link, image, HTML, emphasis or code of hostile record ids.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import fc from 'fast-check';
import { escapeMarkdown, lineLink } from '../../../server/handlers/markdown';

/** CommonMark's backslash escapes, undone. */
function unescape(markdown: string): string {
  return markdown.replace(/\\([!-/:-@[-`{-~])/gu, '$1');
}

interface MarkdownIt {
  render(src: string): string;
}
/** markdown-it (a devDependency; VS Code renders hovers with it), with HTML and autolinks on. */
function markdownIt(): MarkdownIt {
  const create = createRequire(__filename)('markdown-it') as (options: object) => MarkdownIt;
  return create({ html: true, linkify: true });
}

const HOSTILE = [
  '![x](https://example.invalid/t.png)',
  '[click](command:workbench.action.terminal.new)',
  '<img src=x onerror=alert(1)>',
  '<a href="command:x">a</a>',
  'https://example.invalid/track',
  'www.example.invalid',
  'someone@example.invalid',
  '**bold** _it_ `code` ~~del~~',
  '&lt;script&gt; &#60;',
  '# heading',
  'a\n\n[b](command:x)\r\n- item',
  '[ref]: https://example.invalid\n[ref]',
  '\\[escaped\\]',
  'a|b|c',
];

void test('escapeMarkdown: undoing the escapes gives the text back (control characters as spaces)', () => {
  for (const text of HOSTILE) assert.equal(unescape(escapeMarkdown(text)), text.replace(/[\r\n]/gu, ' '));
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
      const escaped = escapeMarkdown(text);
      assert.equal(unescape(escaped), text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/gu, ' '));
      // Every punctuation mark is escaped: none can open markup.
      assert.doesNotMatch(escaped.replace(/\\[!-/:-@[-`{-~]/gu, ''), /[!-/:-@[-`{-~]/u);
    }),
    { seed: 16, numRuns: 500 },
  );
});

void test('escapeMarkdown: a CommonMark renderer with autolinks makes no link, image, HTML or markup of hostile ids', () => {
  const md = markdownIt();
  for (const text of HOSTILE) {
    // As in the hover: the id in bold, then text.
    const html = md.render(`**${escapeMarkdown(text)}** · 120 bases`);
    const inner = /^<p><strong>(.*)<\/strong> · 120 bases<\/p>\n$/su.exec(html);
    assert.ok(inner, `${JSON.stringify(text)} → ${html}`);
    assert.doesNotMatch(inner[1] as string, /<(?!\/?strong>)/u, `${JSON.stringify(text)} made markup: ${html}`);
    const decoded = (inner[1] as string).replace(/&lt;/gu, '<').replace(/&gt;/gu, '>').replace(/&quot;/gu, '"').replace(/&amp;/gu, '&');
    assert.equal(decoded, text.replace(/[\r\n]/gu, ' '));
  }
  // Without the escape the same renderer does make an image and a command link: the check can fail.
  assert.match(md.render(`**${HOSTILE[0]}**`), /<img /u);
  assert.match(md.render(HOSTILE[1] as string), /<a href="command:/u);
});

void test('lineLink: one link to the line, whatever the file is named', () => {
  // markdown-it refuses file: links by default (VS Code's hover renderer opens them): every link
  // is let through here, so that only the parse is checked.
  const md = markdownIt() as MarkdownIt & { validateLink: (url: string) => boolean };
  md.validateLink = () => true;
  assert.equal(md.render(`see (${lineLink('file:///w/train.fasta', 40)})`), '<p>see (<a href="file:///w/train.fasta#L41">line 41</a>)</p>\n');
  // A file name that would end the link early, or start another: still one link, to that file.
  for (const name of ['a) b.fasta', 'x](command:y).fasta', 'a<b>\\c [d].fasta', 'é (1).fa']) {
    const uri = `file:///w/${name}`;
    const html = md.render(`(${lineLink(uri, 4)})`);
    const links = [...html.matchAll(/<a href="([^"]*)">([^<]*)<\/a>/gu)];
    assert.equal(links.length, 1, `${name} → ${html}`);
    assert.equal(links[0]![2], 'line 5');
    assert.equal(decodeURIComponent(links[0]![1]!.replace(/&amp;/gu, '&')), `${uri}#L5`, html);
    if (name.includes('command:')) assert.doesNotMatch(html, /href="command:/u);
  }
});
