/**
 * The exposition text of one metric family of the targets (`# HELP`, `# TYPE`, one line per
 * series), in the Prometheus text format or OpenMetrics, laid out byte for byte as prom-client
 * lays out its own (test/prometheus-family-text.test.ts holds the two side by side).
 *
 * Why by hand: a scrape of 1,000 targets has some 19,000 series, and prom-client formats each
 * through four arrays, an `Object.entries` and a join (its registry has no way to hand it
 * preformatted labels): 25-35 ms of the 50 ms a scrape may take. Here the labels of a target
 * are escaped once per label set and every line is one string concatenation. prom-client still
 * renders the client's own process metrics.
 */
import type { ExpositionFormat } from './exposition-format.js';

/** `\` and line feeds escaped, as both formats want in help texts and label values. */
function escapeText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** `name="value",...`, values escaped (`"` too); label names are valid by construction. */
export function labelPairs(labels: Readonly<Record<string, string>>): string {
  let text = '';
  for (const name of Object.keys(labels)) {
    const value = labels[name] ?? '';
    text += `${text === '' ? '' : ','}${name}="${escapeText(value).replace(/"/g, '\\"')}"`;
  }
  return text;
}

/** Label sets of many series (the `{ core: '3' }` objects shared by every target) formatted once. */
const formatted = new WeakMap<object, string>();

function cachedPairs(labels: Readonly<Record<string, string>>): string {
  let text = formatted.get(labels);
  if (text === undefined) {
    text = labelPairs(labels);
    formatted.set(labels, text);
  }
  return text;
}

function valueText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return `${value}`;
}

export interface FamilyHead {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
}

/** Builds the text of one family: start with the head, add the series, take the text. */
export class FamilyText {
  readonly #sampleName: string;
  // Lines joined once at the end: one flat string, where `+=` would build a rope of 20,000
  // pieces that the final join then flattens, at several times the cost.
  readonly #lines: string[];

  constructor(format: ExpositionFormat, head: FamilyHead) {
    // OpenMetrics names a counter family without `_total` and its samples with it.
    const family =
      format === 'openmetrics' && head.type === 'counter' ? head.name.replace(/_total$/, '') : head.name;
    this.#sampleName = format === 'openmetrics' && head.type === 'counter' ? `${family}_total` : family;
    this.#lines = [`# HELP ${family} ${escapeText(head.help)}`, `# TYPE ${family} ${head.type}`];
  }

  /**
   * One series: `targetLabels` (the target's own, already formatted by {@link labelPairs})
   * after the series' `extraLabels`, as prom-client orders them.
   */
  add(value: number, targetLabels: string, extraLabels?: Readonly<Record<string, string>>): void {
    const extra = extraLabels === undefined ? '' : cachedPairs(extraLabels);
    const labels = extra === '' ? targetLabels : targetLabels === '' ? extra : `${extra},${targetLabels}`;
    this.#lines.push(`${this.#sampleName}${labels === '' ? '' : `{${labels}}`} ${valueText(value)}`);
  }

  get text(): string {
    return this.#lines.join('\n');
  }
}

/**
 * The whole exposition: `families` after the process metrics prom-client rendered
 * (`processText`, its complete answer, or undefined), as one registry would have answered.
 */
export function joinFamilies(
  format: ExpositionFormat,
  processText: string | undefined,
  families: readonly string[],
): string {
  if (format === 'openmetrics') {
    const process = processText?.replace(/\n# EOF\n$/, '');
    return `${[...(process ? [process] : []), ...families].join('\n')}\n# EOF\n`;
  }
  const process = processText?.replace(/\n$/, '');
  return `${[...(process ? [process] : []), ...families].join('\n\n')}\n`;
}
