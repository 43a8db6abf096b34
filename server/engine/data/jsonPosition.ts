/**
 * Where a JSON text goes wrong. V8's `JSON.parse` errors give a position only for some mistakes
 * ("Unexpected token '}', ... is not valid JSON" has none), so a small validator that follows
 * the JSON grammar (RFC 8259) finds the offset itself.
 */

/** 0-based offset (UTF-16 units) of the first character where `text` stops being valid JSON, or -1 when it is valid. */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const n = text.length;

  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const fail = (): never => {
    throw new JsonSyntax(i);
  };
  const literal = (word: string): void => {
    for (let j = 0; j < word.length; j++) {
      if (text.charCodeAt(i) !== word.charCodeAt(j)) fail();
      i++;
    }
  };
  const digits = (): void => {
    const from = i;
    while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
    if (i === from) fail();
  };
  const number = (): void => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else if (i < n && text.charCodeAt(i) >= 0x31 && text.charCodeAt(i) <= 0x39) digits();
    else fail();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= n) fail();
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail();
      if (c === 0x5c) {
        i++;
        const e = text[i];
        if (e === 'u') {
          i++;
          for (let j = 0; j < 4; j++) {
            if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail();
            i++;
          }
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
        else fail();
      } else i++;
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail();
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) number();
    else fail();
  };

  try {
    value();
    ws();
    if (i < n) fail();
    return -1;
  } catch (e) {
    if (e instanceof JsonSyntax) return e.offset;
    if (e instanceof RangeError) return 0; // nesting deeper than the stack: no position
    throw e;
  }
}

class JsonSyntax {
  constructor(readonly offset: number) {}
}

/** V8's JSON error message without the position and without the echo of the input. */
export function jsonErrorReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .replace(/, (\.\.\.)?".*" is not valid JSON$/s, '')
    .replace(/ in JSON at position \d+( \(line \d+ column \d+\))?$/, '')
    .replace(/^Unexpected end of JSON input$/, 'unexpected end of input');
}
