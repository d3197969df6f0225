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
      // Skip the string: its characters are copied as they are.
      i++;
      while (i < length) {
        const c = text.charCodeAt(i);
        if (c === BACKSLASH) i += 2;
        else if (c === QUOTE) break;
        else i++;
      }
      continue;
    }
    if (isSpace(code)) {
      out += text.slice(start, i);
      start = i + 1;
      continue;
    }
    if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      // An empty container stays on one line: `{}`, `[]`.
      let next = i + 1;
      while (next < length && isSpace(text.charCodeAt(next))) next++;
      const close = code === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY;
      if (text.charCodeAt(next) === close) {
        out += `${text.slice(start, i)}${code === OPEN_OBJECT ? '{}' : '[]'}`;
        i = next;
        start = i + 1;
        continue;
      }
      line += unit;
      out += `${text.slice(start, i + 1)}${line}`;
      start = i + 1;
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
      line = line.slice(0, line.length - indent);
      out += `${text.slice(start, i)}${line}`;
      start = i;
    } else if (code === COMMA) {
      out += `${text.slice(start, i + 1)}${line}`;
      start = i + 1;
    } else if (code === COLON) {
      out += `${text.slice(start, i + 1)} `;
      start = i + 1;
    }
  }
  return out + text.slice(start);
}
