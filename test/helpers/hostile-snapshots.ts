/**
 * Snapshots a hostile or broken server could make the client build, for property tests of
 * the output formats: the real server's GPU sample with its strings (host name, disk path,
 * GPU name, timestamp) replaced by hostile text and its numbers by anything JSON can carry,
 * normalized as the client does, with a hostile target name as the source.
 */
import fc from 'fast-check';
import { normalizeMonitoringData } from '../../src/protocol/normalize.js';
import type { MonitoringSnapshot } from '../../src/protocol/snapshot.js';
import { fixture } from './fixtures.js';

/** Pieces a hostile server puts in strings: escapes, controls, quotes, separators, formulas. */
const PIECES = [
  '\u001b[2J',
  '\u001b]0;owned\u0007',
  '\u009b31m',
  '\u202e',
  '\r\n',
  '\n',
  '\t',
  '\u0000',
  '"',
  "'",
  ',',
  '=',
  ' ',
  '\\',
  '\\\\',
  '=HYPERLINK("x")',
  '+1',
  '-2',
  '@SUM(A1)',
  '#',
  'é',
  '😀',
];

export const hostileText: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 8 })), { maxLength: 6 })
  .map((parts) => parts.join(''));

const anyNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -1, 100, 1e21, Number.MAX_SAFE_INTEGER + 2, -1e-7, null, 'x'),
);

export const hostileSnapshot: fc.Arbitrary<MonitoringSnapshot> = fc
  .record({
    host: hostileText,
    path: hostileText,
    gpuName: hostileText,
    timestamp: hostileText,
    source: hostileText,
    numbers: fc.array(anyNumber, { minLength: 12, maxLength: 12 }),
  })
  .map(({ host, path, gpuName, timestamp, source, numbers }) => {
    const message = structuredClone(fixture('real-server', 'monitoring_data_gpu')) as {
      timestamp: unknown;
      data: Record<string, Record<string, unknown>>;
    };
    const { data } = message;
    message.timestamp = timestamp;
    data.system!.hostname = host;
    data.disk!.path = path;
    data.gpu!.name = gpuName;
    const slots: [string, string][] = [
      ['processor', 'usage_percent'],
      ['processor', 'frequency_current'],
      ['memory', 'percentage'],
      ['memory', 'used'],
      ['memory', 'total'],
      ['disk', 'percentage'],
      ['disk', 'used'],
      ['disk', 'total'],
      ['gpu', 'gpu_usage_percent'],
      ['gpu', 'memory_used'],
      ['gpu', 'temperature'],
      ['gpu', 'power_draw'],
    ];
    for (const [i, [section, field]] of slots.entries()) data[section]![field] = numbers[i];
    return normalizeMonitoringData(message, 1_764_000_000_000, source);
  });
