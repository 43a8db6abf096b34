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
