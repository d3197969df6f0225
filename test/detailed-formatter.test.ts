import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DetailedFormatter } from '../src/formatters/detailed-formatter.js';
import {
  documentedSnapshot,
  emptySnapshot,
  fixture,
  HOSTILE,
  HOSTILE_PIECES,
  realServer,
} from './helpers/formatter-snapshots.js';

const message = fixture('documented', 'monitoring_data');
const bar = (filled: number) => '█'.repeat(filled) + '▒'.repeat(20 - filled);

describe('DetailedFormatter', () => {
  it('prints the documentation example as a block, with the status and the amounts', () => {
    assert.equal(
      new DetailedFormatter().formatMonitoringData(documentedSnapshot(), message),
      [
        '=== Monitoring System - 14:30:25 ===',
        '🖥️  Processor:',
        `    Usage: 45.2% [${bar(9)}] (Normal)`,
        '    Frequency: 2400 MHz',
        '    Temperature: 65.0°C',
        '',
        '💾 Memory:',
        `    Usage: 62.8% [${bar(13)}] (8.2/13.1 GB) (Normal)`,
        '    Available: 4.9 GB',
        '',
        '💿 Disk:',
        `    Usage: 28.5% [${bar(6)}] (142.5/500 GB) (Normal)`,
        '    Free: 357.5 GB',
        '',
        '🎮 GPU:',
        `    Usage: 15.0% [${bar(3)}] (Normal)`,
        `    Memory: 45.0% [${bar(9)}] (2/4 GB) (Normal)`,
        '    Temperature: 52.0°C',
      ].join('\n'),
    );
  });

  it('prints what the real server sends beyond the documentation', () => {
    const { snapshot, message: real } = realServer('monitoring_data');
    assert.equal(
      new DetailedFormatter().formatMonitoringData(snapshot, real),
      [
        '=== Monitoring System - 16:46:29 ===',
        'Host: vm · Linux 6.18.44-fc-v657 (x86_64)',
        '🖥️  Processor:',
        `    Usage: 0.0% [${bar(0)}] (Normal)`,
        '    Cores: 2 physical, 2 logical',
        '    Frequency: 2596 MHz',
        '    Per core: 0% 0%',
        '',
        '💾 Memory:',
        `    Usage: 1.2% [${bar(0)}] (125.4 MB/23.5 GB) (Normal)`,
        '    Available: 23.3 GB',
        '',
        '💿 Disk:',
        `    Usage: 21.5% [${bar(4)}] (21.9/252 GB) (Normal)`,
        '    Free: 79.6 GB',
        '    Mount: /',
      ].join('\n'),
    );
  });

  it('prints the GPU details and the alerts block of the real server', () => {
    const { snapshot, message: real } = realServer('monitoring_data_alerts');
    const lines = new DetailedFormatter().formatMonitoringData(snapshot, real).split('\n');
    assert.deepEqual(lines.slice(9, 30), [
      `    Usage: 91.3% [${bar(18)}] (174.8 MB/23.5 GB) (Critical)`,
      '    Available: 2 GB',
      '',
      '💿 Disk:',
      `    Usage: 86.0% [${bar(17)}] (21.9/252 GB) (Warning)`,
      '    Free: 79.6 GB',
      '    Mount: /',
      '',
      '🎮 GPU:',
      '    Model: NVIDIA H100 80GB HBM3 (driver 550.54.15)',
      `    Usage: 37.0% [${bar(7)}] (Normal)`,
      `    Memory: 25.1% [${bar(5)}] (20/79.6 GB) (Normal)`,
      '    Temperature: 41.0°C',
      '',
      '⚠️  Alerts:',
      '    [CRITICAL] memory: Critical memory usage: 91.3% (threshold: 90.0%)',
      '    [WARNING] disk: High disk usage: 86.0% (threshold: 85.0%)',
    ]);
    assert.equal(lines.length, 26);
  });

  it('prints power only when the server knows it', () => {
    const withPower = documentedSnapshot({
      gpu: { usagePercent: 50, powerDrawWatts: 250, powerLimitWatts: 350 },
    });
    assert.ok(
      new DetailedFormatter()
        .formatMonitoringData(withPower, message)
        .endsWith('\n    Power: 250.0 W (limit 350.0 W)'),
    );
    const drawOnly = documentedSnapshot({ gpu: { usagePercent: 50, powerDrawWatts: 80.5 } });
    assert.ok(
      new DetailedFormatter()
        .formatMonitoringData(drawOnly, message)
        .endsWith('\n    Power: 80.5 W (limit n/a)'),
    );
  });

  it('prints n/a for missing values and leaves out lines with nothing known', () => {
    assert.equal(
      new DetailedFormatter().formatMonitoringData(emptySnapshot({ gpu: {} }), {}),
      [
        '=== Monitoring System - 08:05:09 ===',
        '🖥️  Processor:',
        '    Usage: n/a',
        '',
        '💾 Memory:',
        '    Usage: n/a',
        '',
        '💿 Disk:',
        '    Usage: n/a',
        '',
        '🎮 GPU:',
        '    Usage: n/a',
      ].join('\n'),
    );
    const partial = emptySnapshot({
      cpu: { logicalCores: 8, perCoreUsagePercent: [10, undefined, 95] },
      memory: { totalBytes: 16 * 1024 ** 3 },
    });
    const lines = new DetailedFormatter().formatMonitoringData(partial, {}).split('\n');
    assert.equal(lines[3], '    Cores: n/a physical, 8 logical');
    assert.equal(lines[4], '    Per core: 10% n/a 95%');
    assert.equal(lines[7], '    Usage: n/a (n/a / 16 GB)');
  });

  it('colours percentage, bar and status by threshold', () => {
    const snapshot = documentedSnapshot({
      cpu: { usagePercent: 45.2 },
      memory: { usagePercent: 85 },
      disk: { usagePercent: 95 },
      gpu: undefined,
    });
    const lines = new DetailedFormatter({ color: true }).formatMonitoringData(snapshot, message).split('\n');
    assert.equal(lines[0], '\u001b[1m=== Monitoring System - 14:30:25 ===\u001b[22m');
    assert.equal(
      lines[2],
      `    Usage: \u001b[32m45.2%\u001b[39m [\u001b[32m${bar(9)}\u001b[39m] (\u001b[32mNormal\u001b[39m)`,
    );
    assert.equal(
      lines[5],
      `    Usage: \u001b[33m85.0%\u001b[39m [\u001b[33m${bar(17)}\u001b[39m] (\u001b[33mWarning\u001b[39m)`,
    );
    assert.equal(
      lines[8],
      `    Usage: \u001b[31m95.0%\u001b[39m [\u001b[31m${bar(19)}\u001b[39m] (\u001b[31mCritical\u001b[39m)`,
    );
    assert.ok(!new DetailedFormatter().formatMonitoringData(snapshot, message).includes('\u001b'));
  });

  it('puts the source in the header with showSource', () => {
    const text = new DetailedFormatter({ showSource: true }).formatMonitoringData(
      documentedSnapshot({ source: 'ws://db:8765' }),
      message,
    );
    assert.equal(text.split('\n')[0], '[ws://db:8765] === Monitoring System - 14:30:25 ===');
  });

  it('never lets control sequences from a server through', () => {
    const { snapshot, message: real } = realServer('monitoring_data_alerts');
    snapshot.hostname = HOSTILE;
    snapshot.system = { osName: HOSTILE, osRelease: HOSTILE, architecture: HOSTILE };
    snapshot.disk.path = HOSTILE;
    snapshot.gpu = { name: HOSTILE, driverVersion: HOSTILE, usagePercent: 1 };
    snapshot.alerts = [{ level: HOSTILE, component: HOSTILE, message: HOSTILE }];
    for (const color of [false, true]) {
      const text = new DetailedFormatter({ color, showSource: true }).formatMonitoringData(
        { ...snapshot, source: HOSTILE },
        real,
      );
      for (const piece of HOSTILE_PIECES.slice(color ? 1 : 0)) {
        assert.ok(!text.includes(piece), `${JSON.stringify(piece)} in ${JSON.stringify(text)}`);
      }
      assert.ok(text.includes('Host: ok'), text);
    }
  });

  it('formats alerts on their own as a titled block', () => {
    const { snapshot } = realServer('monitoring_data_alerts');
    assert.equal(
      new DetailedFormatter({ color: true }).formatAlerts(snapshot.alerts.slice(1)),
      '\u001b[1m⚠️  Alerts:\u001b[22m\n    \u001b[33m[WARNING]\u001b[39m disk: High disk usage: 86.0% (threshold: 85.0%)',
    );
    assert.equal(new DetailedFormatter().formatAlerts([]), '');
  });
});
