import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompactFormatter } from '../src/formatters/compact-formatter.js';
import {
  documentedSnapshot,
  emptySnapshot,
  fixture,
  GIB,
  realServer,
} from './helpers/formatter-snapshots.js';

const message = fixture('documented', 'monitoring_data');

describe('CompactFormatter', () => {
  it('prints the documentation example exactly', () => {
    assert.equal(
      new CompactFormatter().formatMonitoringData(documentedSnapshot(), message),
      '[14:30:25] CPU:45% │ RAM:63%(8.2/13G) │ DSK:29% │ GPU:15%/45%',
    );
  });

  it('prints the real server fixtures', () => {
    const formatter = new CompactFormatter();
    const plain = realServer('monitoring_data');
    assert.equal(
      formatter.formatMonitoringData(plain.snapshot, plain.message),
      '[16:46:29] CPU:0% │ RAM:1%(0.1/24G) │ DSK:22%',
    );
    const gpu = realServer('monitoring_data_gpu');
    assert.equal(
      formatter.formatMonitoringData(gpu.snapshot, gpu.message),
      '[16:49:37] CPU:0% │ RAM:1%(0.2/24G) │ DSK:22% │ GPU:37%/25%',
    );
  });

  it('keeps the decimal of the used amount up to 100 GiB, rounds the total from 10 GiB, no trailing .0', () => {
    const amounts = (usedBytes: number, totalBytes: number) =>
      new CompactFormatter()
        .formatMonitoringData(
          documentedSnapshot({ memory: { usagePercent: 50, usedBytes, totalBytes } }),
          message,
        )
        .split(' │ ')[1];
    assert.equal(amounts(8 * GIB, 16 * GIB), 'RAM:50%(8/16G)');
    assert.equal(amounts(9.96 * GIB, 512 * GIB), 'RAM:50%(10/512G)');
    assert.equal(amounts(21.5 * GIB, 23.5 * GIB), 'RAM:50%(21.5/24G)');
    assert.equal(amounts(99.96 * GIB, 256 * GIB), 'RAM:50%(100/256G)');
    assert.equal(amounts(130.4 * GIB, 256 * GIB), 'RAM:50%(130/256G)');
    assert.equal(amounts(0.5 * GIB, 1 * GIB), 'RAM:50%(0.5/1G)');
  });

  it('prints n/a for missing values and leaves out unknown amounts', () => {
    assert.equal(
      new CompactFormatter().formatMonitoringData(emptySnapshot({ gpu: {} }), {}),
      '[08:05:09] CPU:n/a │ RAM:n/a │ DSK:n/a │ GPU:n/a/n/a',
    );
    const halfKnown = documentedSnapshot({ memory: { usagePercent: 62.8, totalBytes: 13.1 * GIB } });
    assert.equal(new CompactFormatter().formatMonitoringData(halfKnown, message).split(' │ ')[1], 'RAM:63%');
  });

  it('colours each percentage by threshold, never the amounts', () => {
    const snapshot = documentedSnapshot({
      cpu: { usagePercent: 12 },
      memory: { usagePercent: 80, usedBytes: 8 * GIB, totalBytes: 10 * GIB },
      disk: { usagePercent: 99.6 },
      gpu: { usagePercent: 89.4, memoryPercent: 91 },
    });
    assert.equal(
      new CompactFormatter({ color: true }).formatMonitoringData(snapshot, message),
      '[14:30:25] CPU:\u001b[32m12%\u001b[39m │ RAM:\u001b[33m80%\u001b[39m(8/10G) │ DSK:\u001b[31m100%\u001b[39m' +
        ' │ GPU:\u001b[33m89%\u001b[39m/\u001b[31m91%\u001b[39m',
    );
    assert.ok(!new CompactFormatter().formatMonitoringData(snapshot, message).includes('\u001b'));
  });

  it('puts the source before the time with showSource', () => {
    assert.equal(
      new CompactFormatter({ showSource: true }).formatMonitoringData(
        documentedSnapshot({ source: 'db' }),
        message,
      ),
      '[db] [14:30:25] CPU:45% │ RAM:63%(8.2/13G) │ DSK:29% │ GPU:15%/45%',
    );
  });
});
