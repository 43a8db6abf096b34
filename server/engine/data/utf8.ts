/** Strict UTF-8 decoding of one line, with the column of the first bad byte when it is not UTF-8. */
import { ParseError } from './records';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * Decodes `bytes` (one line, or part of one starting at 1-based column `firstColumn`) or throws a
 * `ParseError` whose column is that of the first invalid byte: the UTF-16 length of the valid text
 * before it, plus one — the column an editor would show.
 */
export function decodeUtf8(bytes: Uint8Array, file: string, line: number, what: string, firstColumn = 1): string {
  try {
    return strict.decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const column = firstColumn + lenient.decode(bytes.subarray(0, bad)).length;
    const shown = Array.from(bytes.subarray(bad, Math.min(bytes.length, bad + 4)), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new ParseError(file, line, column, `invalid UTF-8 in ${what} (bytes ${shown})`);
  }
}

/**
 * Byte offset of the first byte that does not start a well-formed UTF-8 sequence (overlong forms,
 * surrogates and code points above U+10FFFF are ill-formed, as for a fatal TextDecoder), or
 * `bytes.length` when the whole buffer is well-formed.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    if (i + need >= n) return i; // cut short by the end of the line
    const second = bytes[i + 1]!;
    if (second < lo || second > hi) return i;
    for (let j = 2; j <= need; j++) {
      const c = bytes[i + j]!;
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return n;
}
