/** Text is compared case-insensitively with white space runs as one space. */
export function normaliseText(text: string): string {
  return text.toLowerCase().replace(/\s+/gu, ' ').trim();
}
