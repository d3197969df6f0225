/**
 * A strict RFC 4180 reader for the tests: the rows of `text`, each a list of cells. Throws on
 * anything RFC 4180 does not allow (a quote inside an unquoted cell, text after a closing
 * quote, an unclosed quote). Lines may end with LF or CRLF.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let i = 0;
  let quoted = false;
  let cellStart = true;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
          throw new Error(`text after a closing quote at ${i}`);
        }
      } else {
        cell += c;
        i++;
      }
      continue;
    }
    if (c === '"') {
      if (!cellStart) throw new Error(`a quote inside an unquoted cell at ${i}`);
      quoted = true;
      cellStart = false;
      i++;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
      cellStart = true;
      i++;
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      cellStart = true;
      i += c === '\r' ? 2 : 1;
    } else {
      cell += c;
      cellStart = false;
      i++;
    }
  }
  if (quoted) throw new Error('an unclosed quote');
  if (!cellStart || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
