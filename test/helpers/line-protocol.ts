/**
 * An InfluxDB line protocol reader for the tests, with the rules of InfluxDB's own parser
 * (models/points.go): in the measurement, the tag keys and the tag values, a `,`, `=` or
 * space preceded by a backslash is part of the text (and the backslash is dropped), any
 * other backslash is literal; a string field is in double quotes, where `\"` and `\\` are
 * escapes. Throws on a line InfluxDB would refuse.
 */
export interface Point {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | string | boolean | { integer: bigint }>;
  timestamp: bigint | undefined;
}

/** The end of a name-like element: the first of `stops` not preceded by a backslash. */
function scanName(line: string, start: number, stops: string): number {
  let i = start;
  while (i < line.length) {
    if (stops.includes(line[i]!) && (i === 0 || line[i - 1] !== '\\')) return i;
    i++;
  }
  return i;
}

function unescapeName(text: string, specials: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && i + 1 < text.length && specials.includes(text[i + 1]!)) {
      out += text[i + 1];
      i++;
    } else {
      out += text[i];
    }
  }
  return out;
}

export function parseLine(line: string): Point {
  if (line.includes('\n')) throw new Error('a line break inside a point');
  let i = scanName(line, 0, ', ');
  const measurement = unescapeName(line.slice(0, i), ', ');
  if (measurement === '') throw new Error('missing measurement');
  const tags: Record<string, string> = {};
  while (line[i] === ',') {
    const keyEnd = scanName(line, i + 1, '=, ');
    if (line[keyEnd] !== '=') throw new Error(`missing tag value at ${keyEnd}`);
    const valueEnd = scanName(line, keyEnd + 1, '=, ');
    if (line[valueEnd] === '=') throw new Error(`invalid tag format at ${valueEnd}`);
    const key = unescapeName(line.slice(i + 1, keyEnd), ',= ');
    const value = unescapeName(line.slice(keyEnd + 1, valueEnd), ',= ');
    if (key === '' || value === '') throw new Error('an empty tag key or value');
    tags[key] = value;
    i = valueEnd;
  }
  if (line[i] !== ' ') throw new Error(`missing fields at ${i}`);
  i++;
  const fields: Point['fields'] = {};
  for (;;) {
    const keyEnd = scanName(line, i, '=, ');
    if (line[keyEnd] !== '=') throw new Error(`invalid field format at ${keyEnd}`);
    const key = unescapeName(line.slice(i, keyEnd), ',= ');
    if (key === '') throw new Error('missing field key');
    i = keyEnd + 1;
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const c = line[i];
        if (c === undefined) throw new Error('unbalanced quotes');
        if (c === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) {
          value += line[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
      fields[key] = value;
    } else {
      let end = i;
      while (end < line.length && line[end] !== ',' && line[end] !== ' ') end++;
      const text = line.slice(i, end);
      if (/^-?\d+i$/.test(text)) fields[key] = { integer: BigInt(text.slice(0, -1)) };
      else if (/^(t|T|true|True|TRUE)$/.test(text)) fields[key] = true;
      else if (/^(f|F|false|False|FALSE)$/.test(text)) fields[key] = false;
      else if (/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) fields[key] = Number(text);
      else throw new Error(`invalid field value ${JSON.stringify(text)}`);
      i = end;
    }
    if (line[i] === ',') {
      i++;
      continue;
    }
    break;
  }
  if (i === line.length) return { measurement, tags, fields, timestamp: undefined };
  if (line[i] !== ' ') throw new Error(`unexpected ${JSON.stringify(line[i])} at ${i}`);
  const stamp = line.slice(i + 1);
  if (!/^-?\d+$/.test(stamp)) throw new Error(`bad timestamp ${JSON.stringify(stamp)}`);
  return { measurement, tags, fields, timestamp: BigInt(stamp) };
}
