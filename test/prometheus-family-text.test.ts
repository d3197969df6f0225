import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  Counter,
  Gauge,
  type OpenMetricsContentType,
  type PrometheusContentType,
  Registry,
} from 'prom-client';
import type { ExpositionFormat } from '../src/prometheus/exposition-format.js';
import { FamilyText, joinFamilies, labelPairs } from '../src/prometheus/family-text.js';

interface Series {
  value: number;
  target: Record<string, string>;
  extra: Record<string, string> | undefined;
}

/** What prom-client itself renders for the same families and series, through `set()`/`inc()`. */
async function byPromClient(
  format: ExpositionFormat,
  families: { name: string; help: string; type: 'gauge' | 'counter'; series: Series[] }[],
): Promise<string> {
  let registry: Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;
  if (format === 'prometheus') registry = new Registry<PrometheusContentType>();
  else {
    const openMetrics = new Registry<OpenMetricsContentType>();
    openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    registry = openMetrics;
  }
  for (const family of families) {
    // Never empty, as the exporter's: a metric without label names has a series of its own.
    const labelNames = ['core', 'target', 'host', 'site'];
    const common = { name: family.name, help: family.help, labelNames, registers: [registry] };
    if (family.type === 'counter') {
      const counter = new Counter(common);
      for (const s of family.series) counter.inc({ ...s.extra, ...s.target }, s.value);
    } else {
      const gauge = new Gauge(common);
      for (const s of family.series) gauge.set({ ...s.extra, ...s.target }, s.value);
    }
  }
  return registry.metrics();
}

// The characters the formats escape or delimit with, often; any other now and then.
const character = fc.oneof(
  fc.constantFrom('"', '\\', '\n', '{', '}', ',', '=', ' ', 'a', 'é'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const labelValue = fc.string({ unit: character, maxLength: 12 });
const series = fc.record({
  value: fc.double({ noNaN: true, noDefaultInfinity: true, min: 0 }),
  target: fc.record({ target: labelValue, host: labelValue, site: labelValue }),
  extra: fc.option(fc.record({ core: labelValue }), { nil: undefined }),
});

describe('the exposition text of the targets (family-text.ts)', () => {
  for (const format of ['prometheus', 'openmetrics'] as const) {
    it(`is what prom-client renders for the same series, byte for byte (${format})`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(series, { maxLength: 6, selector: (s) => JSON.stringify([s.target, s.extra]) }),
          fc.constantFrom('gauge' as const, 'counter' as const),
          fc.string({ unit: character, minLength: 1, maxLength: 20 }),
          async (all, type, help) => {
            // Every series of one family has the same label names, as the exporter's do.
            const sameNames = all.filter((s) => (s.extra === undefined) === (all[0]?.extra === undefined));
            const name = type === 'counter' ? 'monitoring_things_total' : 'monitoring_thing_ratio';
            const family = new FamilyText(format, { name, help, type });
            for (const s of sameNames) family.add(s.value, labelPairs(s.target), s.extra);
            const ours = joinFamilies(format, undefined, [family.text]);
            assert.equal(ours, await byPromClient(format, [{ name, help, type, series: sameNames }]));
          },
        ),
        { numRuns: 200 },
      );
    });
  }

  it('puts the families after the process metrics, in each format as one registry would', () => {
    const family = new FamilyText('prometheus', { name: 'monitoring_up', help: 'Up.', type: 'gauge' });
    family.add(1, 'target="a"');
    assert.equal(
      joinFamilies('prometheus', '# HELP p P.\n# TYPE p gauge\np 1\n', [family.text]),
      '# HELP p P.\n# TYPE p gauge\np 1\n\n# HELP monitoring_up Up.\n# TYPE monitoring_up gauge\nmonitoring_up{target="a"} 1\n',
    );
    const om = new FamilyText('openmetrics', { name: 'monitoring_n_total', help: 'N.', type: 'counter' });
    om.add(2, 'target="a"', { core: '0' });
    assert.equal(
      joinFamilies('openmetrics', '# HELP p P.\n# TYPE p gauge\np 1\n# EOF\n', [om.text]),
      '# HELP p P.\n# TYPE p gauge\np 1\n# HELP monitoring_n N.\n# TYPE monitoring_n counter\nmonitoring_n_total{core="0",target="a"} 2\n# EOF\n',
    );
  });

  it('writes the values prom-client cannot: NaN and the infinities as the formats spell them', () => {
    const family = new FamilyText('prometheus', { name: 'x', help: 'X.', type: 'gauge' });
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
      family.add(value, '');
    assert.deepEqual(family.text.split('\n').slice(2), ['x NaN', 'x +Inf', 'x -Inf']);
  });
});
