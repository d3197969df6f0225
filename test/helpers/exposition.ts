/**
 * A reader of the Prometheus text format (and OpenMetrics, whose samples look the same) for
 * the tests: every sample, with its labels unescaped (`\\`, `\"`, `\n`), and the TYPE of
 * every family. Throws on a line it cannot read.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
  /** Samples of `name` whose labels include `labels`. */
  find(name: string, labels?: Record<string, string>): Sample[];
  /** The value of the one sample of `name` with `labels`; throws unless there is exactly one. */
  value(name: string, labels?: Record<string, string>): number;
  /** Names that have at least one sample. */
  names(): Set<string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseSample(line: string): Sample {
  const name = NAME.exec(line)?.[0];
  if (name === undefined) throw new Error(`no metric name: ${line}`);
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const label = LABEL_NAME.exec(line.slice(i))?.[0];
      if (label === undefined || line[i + label.length] !== '=' || line[i + label.length + 1] !== '"') {
        throw new Error(`bad label at ${i}: ${line}`);
      }
      i += label.length + 2;
      let value = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) throw new Error(`unterminated label value: ${line}`);
        if (c === '\\') {
          const next = line[i + 1];
          if (next === 'n') value += '\n';
          else if (next === '\\' || next === '"') value += next;
          else throw new Error(`bad escape \\${next}: ${line}`);
          i += 2;
        } else if (c === '"') {
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (label in labels) throw new Error(`label ${label} twice: ${line}`);
      labels[label] = value;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new Error(`bad label separator at ${i}: ${line}`);
    }
    i++;
  }
  if (line[i] !== ' ') throw new Error(`no value: ${line}`);
  const text = line.slice(i + 1).split(' ')[0]!;
  // Read as Prometheus reads them (Go's ParseFloat): NaN and Inf in any case.
  const lower = text.toLowerCase();
  const value =
    lower === '+inf' || lower === 'inf'
      ? Number.POSITIVE_INFINITY
      : lower === '-inf'
        ? Number.NEGATIVE_INFINITY
        : lower === 'nan'
          ? Number.NaN
          : Number(text);
  if (Number.isNaN(value) && lower !== 'nan') throw new Error(`bad value ${text}: ${line}`);
  return { name, labels, value };
}

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line === '# EOF') continue;
    if (line.startsWith('# TYPE ')) {
      const [, , family, type] = line.split(' ');
      types.set(family!, type!);
      continue;
    }
    if (line.startsWith('#')) continue;
    samples.push(parseSample(line));
  }
  const matches = (sample: Sample, labels: Record<string, string>) =>
    Object.entries(labels).every(([key, value]) => sample.labels[key] === value);
  return {
    samples,
    types,
    find: (name, labels = {}) => samples.filter((s) => s.name === name && matches(s, labels)),
    value(name, labels = {}) {
      const found = this.find(name, labels);
      if (found.length !== 1) {
        throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
      }
      return found[0]!.value;
    },
    names: () => new Set(samples.map((s) => s.name)),
  };
}
