/**
 * Dataset text inside Markdown (hovers). Record ids and labels come from the user's files, and a
 * file can come from anyone: a FASTA header `>![x](https://host/t.png)` must show as those
 * characters, not load an image or offer a `command:` link. So every ASCII punctuation mark gets
 * a backslash (CommonMark lets any of them be escaped, and then it is only itself: no emphasis,
 * link, image, HTML, entity or code span can start; `https\:` and `www\.` are no autolinks), and
 * line breaks and other control characters become spaces (a line break could start a new block).
 * The hover is never marked trusted.
 */

const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/gu;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/gu;

/** `text` as Markdown that renders as exactly that text (control characters as spaces). */
export function escapeMarkdown(text: string): string {
  return text.replace(CONTROL, ' ').replace(PUNCTUATION, '\\$&');
}

/** What may stay as it is in a link's destination: no space, bracket, parenthesis, backslash or angle bracket. */
const UNSAFE_IN_LINK = /[^A-Za-z0-9\-._~:/?#@!$&'*+,;=%]/gu;

/**
 * A Markdown link to line `line` (0-based) of the file `uri`, labelled `line N`: a `file:` URI
 * with a `#LN` fragment, which VS Code opens at that line. The destination is percent-encoded
 * wherever it could end the link early (a file named `a) b.fasta`).
 */
export function lineLink(uri: string, line: number): string {
  const target = uri.replace(UNSAFE_IN_LINK, (c) => [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
  return `[line ${line + 1}](${target}#L${line + 1})`;
}
