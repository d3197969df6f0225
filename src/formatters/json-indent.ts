/**
 * Indents JSON text as it is, without parsing it into values and printing them again: the
 * numbers stay as the server wrote them (`22.0` stays `22.0`, where `JSON.parse` then
 * `JSON.stringify` would print `22`), and no object is built, which is most of the cost of
 * `JSON.stringify(value, null, 2)`.
 *
 * Why by hand: the JSON libraries on npm either re-serialize values (losing the number text)
 * or are full parsers for editors; this is one pass over the characters, outside strings.
 * The input must be valid JSON (the frame parser checked it).
 */

const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const COMMA = 0x2c;
const COLON = 0x3a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** Index of the quote that closes the string opened at `open` (not one escaped by a backslash). */
function endOfString(text: string, open: number): number {
  // indexOf runs in native code: far faster than a loop over the characters of every key.
  let close = text.indexOf('"', open + 1);
  while (close !== -1) {
    let backslashes = 0;
    for (let k = close - 1; text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return close;
    close = text.indexOf('"', close + 1);
  }
  return text.length;
}

/** The first index from `from` on that is not JSON whitespace. */
function skipSpaces(text: string, from: number): number {
  let i = from;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/**
 * `text` indented by `indent` spaces per level, as `JSON.stringify(value, null, indent)`
 * lays it out, every line after the first prefixed by `margin`.
 */
export function indentJson(text: string, indent: number, margin = ''): string {
  const unit = ' '.repeat(indent);
  let out = '';
  let line = `\n${margin}`;
  let start = 0; // start of the run of characters copied as they are
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      // The string's characters are copied as they are.
      i = endOfString(text, i);
      continue;
    }
    if (isSpace(code)) {
      out += text.slice(start, i);
      start = i + 1;
      continue;
    }
    if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      // An empty container stays on one line: `{}`, `[]`.
      const next = skipSpaces(text, i + 1);
      const close = code === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY;
      if (text.charCodeAt(next) === close) {
        out += `${text.slice(start, i)}${code === OPEN_OBJECT ? '{}' : '[]'}`;
        i = next;
        start = i + 1;
        continue;
      }
      line += unit;
      out += `${text.slice(start, i + 1)}${line}`;
      // The spaces after a separator (Python's `", "` and `": "`) are skipped at once.
      start = next;
      i = start - 1;
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
      line = line.slice(0, line.length - indent);
      out += `${text.slice(start, i)}${line}`;
      start = i;
    } else if (code === COMMA) {
      out += `${text.slice(start, i + 1)}${line}`;
      start = skipSpaces(text, i + 1);
      i = start - 1;
    } else if (code === COLON) {
      out += `${text.slice(start, i + 1)} `;
      start = skipSpaces(text, i + 1);
      i = start - 1;
    }
  }
  return out + text.slice(start);
}
