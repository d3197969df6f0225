import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CsvFormatter, csvCell } from '../src/formatters/csv-formatter.js';
import { NUMERIC_FIELDS } from '../src/formatters/record-fields.js';
import { parseCsv } from './helpers/csv.js';
import { documentedSnapshot, fixture, GIB, realServer } from './helpers/formatter-snapshots.js';
import { hostileSnapshot } from './helpers/hostile-snapshots.js';

const message = fixture('documented', 'monitoring_data');

/** Host names a hostile or broken server could report. */
const HOSTILE_HOSTS = [
  'a,b',
  'say "hi"',
  'two words',
  'line\nbreak',
  'cr\r\nlf',
  'k=v',
  '=HYPERLINK("http://evil.example","x")',
  '+cmd|/C calc!A0',
  '-2+3',
  '@SUM(1,1)',
  '\tleading tab',
  'back\\slash\\',
  'esc\u001b[31mred\u0007',
  '\u202eevil',
  '"',
  ',',
];

/** The cells of `formatter`'s header and of one row for each snapshot. */
function table(formatter: CsvFormatter, snapshots: ReturnType<typeof documentedSnapshot>[]): string[][] {
  const text = [formatter.header(), ...snapshots.map((s) => formatter.formatMonitoringData(s, message))]
    .map((line) => `${line}\n`)
    .join('');
  return parseCsv(text);
}

describe('CsvFormatter', () => {
  it('has a header of stable columns, with the target first when several targets are watched', () => {
    const one = new CsvFormatter().header().split(',');
    assert.deepEqual(one.slice(0, 4), ['received_at', 'timestamp', 'host', 'cpu_usage_percent']);
    assert.deepEqual(one.slice(-3), ['disk_path', 'gpu_name', 'alerts']);
    assert.equal(one.length, 3 + NUMERIC_FIELDS.length + 3);
    const several = new CsvFormatter({ showSource: true }).header().split(',');
    assert.deepEqual(several, ['target', ...one]);
    assert.equal(new CsvFormatter({ color: true }).color, false, 'never coloured');
  });

  it('writes one row per record with the values in their columns', () => {
    const formatter = new CsvFormatter({ showSource: true });
    const [header, row] = table(formatter, [documentedSnapshot({ source: 'web-1', hostname: 'vm' })]);
    const cells = Object.fromEntries(header!.map((name, i) => [name, row![i]]));
    assert.equal(row!.length, header!.length);
    assert.equal(cells.target, 'web-1');
    assert.equal(cells.received_at, '2025-01-03T14:30:25.000Z');
    assert.equal(cells.timestamp, '2025-01-03T14:30:25.123456');
    assert.equal(cells.host, 'vm');
    assert.equal(cells.cpu_usage_percent, '45.2');
    assert.equal(cells.cpu_temperature_celsius, '65');
    assert.equal(cells.memory_used_bytes, String(Math.round(8.2 * GIB)));
    assert.equal(cells.disk_total_bytes, String(500 * GIB));
    assert.equal(cells.gpu_memory_total_bytes, String(4096 * 1024 ** 2));
    assert.equal(cells.alerts, '0');
  });

  it('leaves a value the server did not send empty, never 0', () => {
    const { snapshot } = realServer('monitoring_data');
    const [header, row] = table(new CsvFormatter(), [snapshot]);
    const cells = Object.fromEntries(header!.map((name, i) => [name, row![i]]));
    assert.equal(cells.cpu_usage_percent, '0', 'a real 0 stays 0');
    assert.equal(cells.cpu_temperature_celsius, '');
    for (const name of header!.filter((n) => n.startsWith('gpu_'))) assert.equal(cells[name], '', name);
    assert.equal(cells.disk_path, '/');
    const empty = table(new CsvFormatter(), [
      { receivedAt: 0, dialect: 'unknown', cpu: {}, memory: {}, disk: {}, alerts: [], warnings: [] },
    ])[1]!;
    assert.deepEqual(empty.slice(1, -1), new Array(empty.length - 2).fill(''));
  });

  it('keeps the columns in place whatever a hostile host name holds, and defuses formulas', () => {
    const formatter = new CsvFormatter({ showSource: true });
    const snapshots = HOSTILE_HOSTS.map((host) =>
      documentedSnapshot({ source: host, hostname: host, disk: { path: host } }),
    );
    const lines = snapshots.map((s) => formatter.formatMonitoringData(s, message));
    for (const line of lines) assert.ok(!/[\n\r\u0000-\u001f\u007f-\u009f\u202e]/.test(line), line);
    const [header, ...rows] = table(formatter, snapshots);
    assert.equal(rows.length, HOSTILE_HOSTS.length, 'one row per record');
    const host = header!.indexOf('host');
    for (const [i, row] of rows.entries()) {
      assert.equal(row.length, header!.length, `row of ${JSON.stringify(HOSTILE_HOSTS[i])}`);
      assert.equal(row[header!.indexOf('cpu_usage_percent')], '45.2');
      for (const cell of [row[0]!, row[host]!, row[header!.indexOf('disk_path')]!]) {
        assert.ok(!/^[=+\-@\t\r]/.test(cell), `a spreadsheet would run ${JSON.stringify(cell)}`);
      }
    }
    assert.equal(rows[0]![host], 'a,b');
    assert.equal(rows[1]![host], 'say "hi"');
    assert.equal(rows[2]![host], 'two words');
    assert.equal(rows[3]![host], 'line break');
    assert.equal(rows[5]![host], 'k=v');
    assert.equal(rows[6]![host], `'=HYPERLINK("http://evil.example","x")`);
    assert.equal(rows[8]![host], `'-2+3`);
    assert.equal(rows[9]![host], `'@SUM(1,1)`);
    assert.equal(rows[11]![host], 'back\\slash\\');
    assert.equal(rows[12]![host], 'escred');
  });

  it('csvCell quotes as RFC 4180 says', () => {
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('a"b'), '"a""b"');
    assert.equal(csvCell('a\nb'), '"a\nb"');
    assert.equal(csvCell('=1+1'), "'=1+1");
    assert.equal(csvCell('=1,1'), `"'=1,1"`);
    assert.deepEqual(parseCsv(`${csvCell('x"\r\n,y')}\n`), [['x"\r\n,y']]);
  });

  it('whatever a hostile server sends: one line, the columns in place, no formula, nothing a terminal obeys', () => {
    const formatter = new CsvFormatter({ showSource: true });
    const width = formatter.header().split(',').length;
    fc.assert(
      fc.property(hostileSnapshot, (snapshot) => {
        const line = formatter.formatMonitoringData(snapshot, message);
        assert.ok(!/[\n\r\u0000-\u001f\u007f-\u009f\u202e]/.test(line), line);
        const rows = parseCsv(`${line}\n`);
        assert.equal(rows.length, 1);
        assert.equal(rows[0]!.length, width, line);
        for (const cell of rows[0]!) {
          if (/^[=+\-@]/.test(cell)) assert.match(cell, /^-?[\d.e+-]+$/, `a formula-like cell: ${cell}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
