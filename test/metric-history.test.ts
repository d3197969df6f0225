import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricHistory } from '../src/dashboard/metric-history.js';
import { normalizeMonitoringData } from '../src/protocol/normalize.js';
import { type Metrics, monitoringMessage } from './helpers/dashboard-fleet.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

function snapshot(metrics: Metrics) {
  return normalizeMonitoringData(monitoringMessage(metrics), T0);
}

describe('MetricHistory', () => {
  it('keeps one value per step: the highest received in it', () => {
    const history = new MetricHistory({ stepSeconds: 5, steps: 10 });
    history.add('a', snapshot({ cpu: 20 }), T0);
    history.add('a', snapshot({ cpu: 95 }), T0 + 1000);
    history.add('a', snapshot({ cpu: 30 }), T0 + 4999);
    history.add('a', snapshot({ cpu: 40 }), T0 + 5000);
    assert.deepEqual([...history.series('a', 'cpu', T0 + 5000)], [95, 40]);
  });

  it('leaves steps without data empty, also those since the last message', () => {
    const history = new MetricHistory({ stepSeconds: 1, steps: 10 });
    history.add('a', snapshot({ cpu: 10 }), T0);
    history.add('a', snapshot({ cpu: 20 }), T0 + 3000);
    const series = [...history.series('a', 'cpu', T0 + 5000)];
    assert.equal(series.length, 6);
    assert.equal(series[0], 10);
    assert.equal(series[3], 20);
    for (const index of [1, 2, 4, 5]) assert.ok(Number.isNaN(series[index]), `step ${index} is empty`);
  });

  it('is bounded: old steps are dropped, whatever the rate or the silence', () => {
    const history = new MetricHistory({ stepSeconds: 1, steps: 4 });
    for (let i = 0; i < 100; i++) history.add('a', snapshot({ cpu: i }), T0 + i * 1000);
    assert.deepEqual([...history.series('a', 'cpu', T0 + 99_000)], [96, 97, 98, 99]);
    // A silence longer than the history leaves only gaps.
    const silent = [...history.series('a', 'cpu', T0 + 500_000)];
    assert.equal(silent.length, 4);
    assert.ok(silent.every(Number.isNaN));
  });

  it('keeps every metric, NaN for what the server did not send (no GPU here)', () => {
    const history = new MetricHistory();
    history.add('a', snapshot({ cpu: 10, memory: 20, disk: 30, gpu: null }), T0);
    assert.deepEqual([...history.series('a', 'memory', T0)], [20]);
    assert.deepEqual([...history.series('a', 'disk', T0)], [30]);
    assert.ok(Number.isNaN(history.series('a', 'gpu', T0)[0]!));
    assert.equal(history.series('unknown', 'cpu', T0).length, 0);
  });

  it('forgets a target on delete, and a message from the past counts in the newest step', () => {
    const history = new MetricHistory({ stepSeconds: 1, steps: 4 });
    history.add('a', snapshot({ cpu: 10 }), T0 + 2000);
    history.add('a', snapshot({ cpu: 50 }), T0);
    assert.deepEqual([...history.series('a', 'cpu', T0 + 2000)], [50]);
    history.add('b', snapshot({ cpu: 10 }), T0);
    history.delete('a');
    assert.equal(history.size, 1);
  });
});
