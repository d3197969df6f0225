import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimpleFormatter } from '../src/formatters/simple-formatter.js';
import {
  documentedSnapshot,
  emptySnapshot,
  fixture,
  HOSTILE,
  HOSTILE_PIECES,
  realServer,
} from './helpers/formatter-snapshots.js';

const message = fixture('documented', 'monitoring_data');

describe('SimpleFormatter', () => {
  it('prints the documentation example exactly', () => {
    assert.equal(
      new SimpleFormatter().formatMonitoringData(documentedSnapshot(), message),
      'CPU: 45.2% | RAM: 62.8% | Disk: 28.5% | GPU: 15.0%',
    );
  });

  it('prints the real server fixtures, with the GPU part only when there is a GPU', () => {
    const formatter = new SimpleFormatter();
    const plain = realServer('monitoring_data');
    assert.equal(
      formatter.formatMonitoringData(plain.snapshot, plain.message),
      'CPU: 0.0% | RAM: 1.2% | Disk: 21.5%',
    );
    const gpu = realServer('monitoring_data_gpu');
    assert.equal(
      formatter.formatMonitoringData(gpu.snapshot, gpu.message),
      'CPU: 0.0% | RAM: 1.4% | Disk: 21.5% | GPU: 37.0%',
    );
  });

  it('prints n/a for missing values, never 0', () => {
    const formatter = new SimpleFormatter();
    assert.equal(formatter.formatMonitoringData(emptySnapshot(), {}), 'CPU: n/a | RAM: n/a | Disk: n/a');
    assert.equal(
      formatter.formatMonitoringData(emptySnapshot({ gpu: {} }), {}),
      'CPU: n/a | RAM: n/a | Disk: n/a | GPU: n/a',
    );
  });

  it('colours each percentage green, yellow or red by threshold', () => {
    const snapshot = documentedSnapshot({
      cpu: { usagePercent: 45.2 },
      memory: { usagePercent: 85 },
      disk: { usagePercent: 95 },
      gpu: { usagePercent: 90 },
    });
    assert.equal(
      new SimpleFormatter({ color: true }).formatMonitoringData(snapshot, message),
      'CPU: \u001b[32m45.2%\u001b[39m | RAM: \u001b[33m85.0%\u001b[39m | Disk: \u001b[31m95.0%\u001b[39m' +
        ' | GPU: \u001b[31m90.0%\u001b[39m',
    );
    const missing = new SimpleFormatter({ color: true }).formatMonitoringData(emptySnapshot(), {});
    assert.equal(missing, 'CPU: n/a | RAM: n/a | Disk: n/a');
  });

  it('prints no escape code at all without colour', () => {
    const snapshot = documentedSnapshot({ memory: { usagePercent: 85 }, disk: { usagePercent: 95 } });
    assert.ok(!new SimpleFormatter().formatMonitoringData(snapshot, message).includes('\u001b'));
  });

  it('prefixes the source, sanitized, with showSource', () => {
    const formatter = new SimpleFormatter({ showSource: true });
    assert.equal(
      formatter.formatMonitoringData(documentedSnapshot({ source: 'web-1' }), message),
      '[web-1] CPU: 45.2% | RAM: 62.8% | Disk: 28.5% | GPU: 15.0%',
    );
    const hostile = formatter.formatMonitoringData(documentedSnapshot({ source: HOSTILE }), message);
    for (const piece of HOSTILE_PIECES) assert.ok(!hostile.includes(piece), JSON.stringify(hostile));
    assert.equal(
      new SimpleFormatter().formatMonitoringData(documentedSnapshot({ source: 'web-1' }), message),
      'CPU: 45.2% | RAM: 62.8% | Disk: 28.5% | GPU: 15.0%',
    );
  });

  it('writes alerts one per line for stderr', () => {
    const { snapshot } = realServer('monitoring_data_alerts');
    assert.equal(
      new SimpleFormatter().formatAlerts(snapshot.alerts),
      '⚠ [CRITICAL] memory: Critical memory usage: 91.3% (threshold: 90.0%)\n' +
        '⚠ [WARNING] disk: High disk usage: 86.0% (threshold: 85.0%)',
    );
  });
});
