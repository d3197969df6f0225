import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MonitoringRecord } from '../src/pipeline/record.js';
import { parseFrame } from '../src/protocol/frame.js';
import { normalizeMonitoringData } from '../src/protocol/normalize.js';
import { MemoryHistory } from '../src/web/history.js';
import { fixture } from './helpers/fixtures.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

/** A record of `target` received at `at`, from the GPU fixture with the values given. */
function record(
  target: string,
  at: number,
  cpu: number | null,
  cores: (number | null)[] = [10, 20],
): MonitoringRecord {
  const message = fixture('real-server', 'monitoring_data_gpu') as {
    data: { processor: { usage_percent: number | null; per_core_usage: (number | null)[] } };
  };
  message.data.processor.usage_percent = cpu;
  message.data.processor.per_core_usage = cores;
  const frame = parseFrame(JSON.stringify(message), false, at);
  const snapshot = normalizeMonitoringData(frame.message!, at, target);
  return { target, snapshot, message: frame.message!, frame };
}

describe('MemoryHistory', () => {
  it('keeps one point per second per target, the newest record of a second replacing the older', async () => {
    const history = new MemoryHistory();
    history.add(record('a', T0, 10));
    history.add(record('a', T0 + 400, 11));
    history.add(record('a', T0 + 999, 12));
    history.add(record('a', T0 + 1000, 13));
    history.add(record('b', T0 + 500, 50));
    const a = await history.history('a', 0);
    assert.deepEqual(a?.t, [T0 + 999, T0 + 1000]);
    assert.deepEqual(a?.cpu, [12, 13]);
    assert.deepEqual((await history.history('b', 0))?.cpu, [50]);
    assert.equal(await history.history('unknown', 0), undefined);
  });

  it('returns every metric column, null where the server sent nothing, and per-core values', async () => {
    const history = new MemoryHistory();
    history.add(record('a', T0, null, [12.5, null, 99.5]));
    const series = (await history.history('a', 0))!;
    assert.equal(series.source, 'memory');
    assert.deepEqual(series.cpu, [null]);
    assert.deepEqual(series.memory, [1.4]);
    assert.deepEqual(series.disk, [21.5]);
    assert.deepEqual(series.gpu, [37]);
    assert.deepEqual(series.gpuMemory, [25.11]);
    assert.deepEqual(series.gpuTemperature, [41]);
    assert.deepEqual(series.cpuTemperature, [null]);
    assert.deepEqual(series.cores, [[12.5], [null], [99.5]]);
  });

  it('holds at most `capacity` points per target, dropping the oldest, in time order', async () => {
    const history = new MemoryHistory({ capacity: 100 });
    for (let i = 0; i < 250; i++) history.add(record('a', T0 + i * 1000, i % 100));
    const series = (await history.history('a', 0))!;
    assert.equal(series.t.length, 100);
    assert.equal(series.t[0], T0 + 150_000);
    assert.equal(series.t.at(-1), T0 + 249_000);
    assert.ok(series.t.every((t, k) => k === 0 || t > series.t[k - 1]!));
    assert.deepEqual(series.cpu.slice(0, 3), [50, 51, 52]);
    assert.deepEqual(history.stats(), { targets: 1, points: 100, bytes: 100 * (8 + 7 * 4 + 2) });
  });

  it('answers `since` with the points at or after it', async () => {
    const history = new MemoryHistory();
    for (let i = 0; i < 10; i++) history.add(record('a', T0 + i * 1000, i));
    assert.deepEqual((await history.history('a', T0 + 7000))?.cpu, [7, 8, 9]);
    assert.deepEqual((await history.history('a', T0 + 20_000))?.t, []);
  });

  it('gives the last CPU values for the sparkline, and forgets a removed target', () => {
    const history = new MemoryHistory();
    for (let i = 0; i < 40; i++) history.add(record('a', T0 + i * 1000, i));
    assert.deepEqual(history.recentCpu('a', 3), [37, 38, 39]);
    assert.deepEqual(history.recentCpu('nobody', 3), []);
    history.remove('a');
    assert.equal(history.has('a'), false);
    assert.deepEqual(history.stats(), { targets: 0, points: 0, bytes: 0 });
  });

  it('stays bounded with 1,000 targets and many records each', () => {
    const history = new MemoryHistory({ capacity: 60 });
    const base = record('t', T0, 50);
    for (let i = 0; i < 200; i++) {
      const frame = { ...base.frame, receivedAt: T0 + i * 1000 };
      for (let t = 0; t < 1000; t++) history.add({ ...base, target: `t${t}`, frame });
    }
    const stats = history.stats();
    assert.equal(stats.points, 60 * 1000);
    assert.ok(stats.bytes <= 1000 * 64 * (8 + 7 * 4 + 2), `${stats.bytes} bytes`);
  });
});
