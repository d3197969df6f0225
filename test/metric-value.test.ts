import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ALERT_METRICS,
  metricIndex,
  metricUnit,
  metricValue,
  readMetrics,
} from '../src/alerts/metric-value.js';
import { normalizeMonitoringData } from '../src/protocol/normalize.js';
import { fixture } from './helpers/fixtures.js';

describe('metric values', () => {
  it('reads each metric from a snapshot of either dialect, the same one by one and all at once', () => {
    const gpu = normalizeMonitoringData(fixture('real-server', 'monitoring_data_gpu'), 0);
    const documented = normalizeMonitoringData(fixture('documented', 'monitoring_data'), 0);
    for (const snapshot of [gpu, documented]) {
      const all = new Float64Array(ALERT_METRICS.length);
      readMetrics(snapshot, all);
      for (const metric of ALERT_METRICS)
        assert.equal(all[metricIndex(metric)], metricValue(snapshot, metric) ?? Number.NaN, metric);
    }
    assert.equal(metricValue(gpu, 'gpu'), 37);
    assert.equal(metricValue(gpu, 'gpu_temperature'), 41);
    assert.equal(metricValue(gpu, 'cpu_temperature'), undefined, 'the real server sends no CPU temperature');
    assert.equal(metricValue(documented, 'cpu'), documented.cpu.usagePercent);
    assert.equal(metricValue(documented, 'cpu_temperature'), documented.cpu.temperatureCelsius);
    assert.equal(
      metricValue(normalizeMonitoringData(fixture('real-server', 'monitoring_data'), 0), 'gpu'),
      undefined,
    );
  });

  it('knows the unit of each metric', () => {
    assert.deepEqual(
      ALERT_METRICS.map((metric) => metricUnit(metric)),
      ['%', '%', '%', '%', '%', '°C', '°C'],
    );
  });
});
