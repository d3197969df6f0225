import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  escapeInfluxTag,
  INFLUX_MEASUREMENT,
  InfluxFormatter,
  quoteInfluxString,
} from '../src/formatters/influx-formatter.js';
import { documentedSnapshot, fixture, GIB, realServer } from './helpers/formatter-snapshots.js';
import { hostileSnapshot } from './helpers/hostile-snapshots.js';
import { parseLine } from './helpers/line-protocol.js';

const message = fixture('documented', 'monitoring_data');

const HOSTILE_HOSTS = [
  'a,b',
  'say "hi"',
  'two words',
  'line\nbreak',
  'k=v',
  'a\\,b',
  'a\\ b',
  'a\\=b',
  'ends\\',
  'ends\\\\',
  'tab\there',
  'esc\u001b[31mred\u0007',
  '\u202eevil',
  '=,= ,',
  '"quoted"',
];

describe('InfluxFormatter', () => {
  it('writes one point per record: measurement, target and host tags, typed fields, receipt time in ns', () => {
    const formatter = new InfluxFormatter();
    const line = formatter.formatMonitoringData(
      documentedSnapshot({ source: 'web-1', hostname: 'vm' }),
      message,
    );
    assert.ok(line.startsWith('monitoring,host=vm,target=web-1 alerts=0i,cpu_usage_percent=45.2,'), line);
    const point = parseLine(line);
    assert.equal(point.measurement, INFLUX_MEASUREMENT);
    assert.deepEqual(point.tags, { host: 'vm', target: 'web-1' });
    assert.equal(point.fields.cpu_usage_percent, 45.2);
    assert.equal(point.fields.cpu_temperature_celsius, 65);
    assert.deepEqual(point.fields.memory_used_bytes, { integer: BigInt(Math.round(8.2 * GIB)) });
    assert.deepEqual(point.fields.disk_total_bytes, { integer: BigInt(500 * GIB) });
    assert.equal(point.fields.gpu_memory_percent, 45);
    assert.deepEqual(point.fields.alerts, { integer: 0n });
    assert.equal(point.timestamp, BigInt(Date.UTC(2025, 0, 3, 14, 30, 25)) * 1_000_000n);
    assert.equal(new InfluxFormatter({ color: true }).color, false, 'never coloured');
  });

  it('leaves out a value the server did not send, never writes 0 for it', () => {
    const { snapshot } = realServer('monitoring_data');
    const point = parseLine(
      new InfluxFormatter().formatMonitoringData({ ...snapshot, receivedAt: 1 }, message),
    );
    assert.equal(point.fields.cpu_usage_percent, 0, 'a real 0 stays 0');
    assert.equal(point.fields.cpu_temperature_celsius, undefined);
    assert.equal(Object.keys(point.fields).filter((key) => key.startsWith('gpu_')).length, 0);
    assert.equal(point.fields.disk_path, '/');
    const alerts = realServer('monitoring_data_alerts').snapshot;
    const withAlerts = parseLine(new InfluxFormatter().formatMonitoringData(alerts, message));
    assert.deepEqual(withAlerts.fields.alerts, { integer: BigInt(alerts.alerts.length) });
    assert.ok(alerts.alerts.length > 0);
    assert.equal(withAlerts.fields.gpu_name, 'NVIDIA H100 80GB HBM3');
    assert.equal(point.timestamp, 1_000_000n);
    assert.deepEqual(point.tags, { host: 'vm' }, 'no target tag without a source');
    const empty = parseLine(
      new InfluxFormatter().formatMonitoringData(
        { receivedAt: 5, dialect: 'unknown', cpu: {}, memory: {}, disk: {}, alerts: [], warnings: [] },
        message,
      ),
    );
    assert.deepEqual(empty.fields, { alerts: { integer: 0n } }, 'still a point, with nothing invented');
  });

  it('escapes hostile host names so that InfluxDB reads back the same tags and fields', () => {
    const formatter = new InfluxFormatter();
    for (const host of HOSTILE_HOSTS) {
      const line = formatter.formatMonitoringData(
        documentedSnapshot({ source: host, hostname: host, disk: { path: host, usagePercent: 1 } }),
        message,
      );
      assert.ok(!/[\n\r\u0000-\u001f\u007f-\u009f\u202e]/.test(line), line);
      const point = parseLine(line);
      const expected = host
        .replace(/\u001b\[31m|\u0007|\u202e/g, '')
        .replace(/[\n\t]/g, ' ')
        .replace(/\\+$/, '');
      assert.equal(point.tags.host, expected, line);
      assert.equal(point.tags.target, expected, line);
      assert.equal(
        point.fields.disk_path,
        host.replace(/\u001b\[31m|\u0007|\u202e/g, '').replace(/[\n\t]/g, ' '),
      );
      assert.equal(point.fields.disk_usage_percent, 1);
      assert.equal(point.fields.cpu_usage_percent, 45.2, line);
    }
  });

  it('leaves out a tag with nothing left to write', () => {
    const point = parseLine(
      new InfluxFormatter().formatMonitoringData(
        documentedSnapshot({ hostname: '\\\\', source: '' }),
        message,
      ),
    );
    assert.deepEqual(point.tags, {});
  });

  it('escapes tags and strings as the protocol says', () => {
    assert.equal(escapeInfluxTag('a b,c=d'), 'a\\ b\\,c\\=d');
    assert.equal(escapeInfluxTag('x\\'), 'x');
    assert.equal(quoteInfluxString('say "\\hi"'), '"say \\"\\\\hi\\""');
  });

  it('whatever a hostile server sends: one point InfluxDB reads, with the tags it meant', () => {
    const formatter = new InfluxFormatter();
    fc.assert(
      fc.property(hostileSnapshot, (snapshot) => {
        const line = formatter.formatMonitoringData(snapshot, message);
        assert.ok(!/[\n\r\u0000-\u001f\u007f-\u009f\u202e]/.test(line), line);
        const point = parseLine(line);
        assert.equal(point.measurement, INFLUX_MEASUREMENT);
        const expectedHost = snapshot.hostname?.replace(/\\+$/, '');
        assert.equal(point.tags.host, expectedHost === '' ? undefined : expectedHost, line);
        assert.deepEqual(
          Object.keys(point.tags).filter((key) => key !== 'host' && key !== 'target'),
          [],
        );
        assert.equal(point.fields.disk_path, snapshot.disk.path);
        assert.equal(point.timestamp, 1_764_000_000_000n * 1_000_000n);
      }),
      { numRuns: 300 },
    );
  });
});
