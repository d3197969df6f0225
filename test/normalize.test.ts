import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ParsedMessage } from '../src/protocol/frame.js';
import {
  isMonitoringData,
  MAX_ALERTS,
  MAX_CORES,
  MAX_STRING_LENGTH,
  normalizeMonitoringData,
} from '../src/protocol/normalize.js';
import { isTerminalSafe } from '../src/protocol/sanitize.js';
import type { DataQualityWarning, MonitoringSnapshot, SystemSnapshot } from '../src/protocol/snapshot.js';

const AT = Date.UTC(2026, 10, 25, 15, 46, 29);
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const FIXTURES = join(import.meta.dirname, 'fixtures');

// biome-ignore lint/suspicious/noExplicitAny: tests reach into messages of any shape.
type Json = any;

function fixture(path: string): Json {
  return JSON.parse(readFileSync(join(FIXTURES, path), 'utf8'));
}

function normalize(message: unknown, source?: string): MonitoringSnapshot {
  return normalizeMonitoringData(message as ParsedMessage, AT, source);
}

/** The real fixture with `edit` applied to a fresh copy of its `data`. */
function real(edit: (data: Json, message: Json) => void = () => {}): MonitoringSnapshot {
  const message = fixture('real-server/monitoring_data_gpu.json');
  edit(message.data, message);
  return normalize(message);
}

/** The documented fixture with `edit` applied to a fresh copy of its `data`. */
function documented(edit: (data: Json, message: Json) => void = () => {}): MonitoringSnapshot {
  const message = fixture('documented/monitoring_data.json');
  edit(message.data, message);
  return normalize(message);
}

const REAL_SYSTEM: SystemSnapshot = {
  osName: 'Linux',
  osVersion: '#1 SMP PREEMPT_DYNAMIC @0',
  osRelease: '6.18.44-fc-v657',
  architecture: 'x86_64',
  platform: 'Linux-6.18.44-fc-v657-x86_64-with-glibc2.36',
  machine: 'x86_64',
  // The server sends "" (Python's "unknown"): no value.
  processor: undefined,
  pythonVersion: '3.11.2',
  hostname: 'vm',
  processes: undefined,
  bootTime: undefined,
};

const REAL_CPU = {
  usagePercent: 0,
  physicalCores: 2,
  logicalCores: 2,
  frequencyCurrentMhz: 2596.122,
  // `frequency_max: 0.0` is psutil's "unknown".
  frequencyMaxMhz: undefined,
  perCoreUsagePercent: [0, 0],
  temperatureCelsius: undefined,
};

const H100 = {
  usagePercent: 37,
  memoryPercent: 25.11065608945671,
  memoryTotalBytes: 85520809984,
  memoryUsedBytes: 21474836480,
  memoryFreeBytes: 64045973504,
  temperatureCelsius: 41,
  name: 'NVIDIA H100 80GB HBM3',
  driverVersion: '550.54.15',
  // null on the wire: unknown, and no warning.
  powerDrawWatts: undefined,
  powerLimitWatts: undefined,
};

/** Expected snapshot of every monitoring_data fixture, by path under test/fixtures. */
const EXPECTED: Record<string, MonitoringSnapshot> = {
  'documented/monitoring_data.json': {
    source: 'fixture',
    timestamp: '2025-01-03T14:30:25.123456',
    receivedAt: AT,
    dialect: 'documented',
    hostname: undefined,
    cpu: {
      usagePercent: 45.2,
      physicalCores: undefined,
      logicalCores: undefined,
      frequencyCurrentMhz: 2400,
      frequencyMaxMhz: undefined,
      perCoreUsagePercent: undefined,
      temperatureCelsius: 65,
    },
    memory: {
      usagePercent: 62.8,
      totalBytes: Math.round(13.1 * GiB),
      usedBytes: Math.round(8.2 * GiB),
      availableBytes: Math.round(4.9 * GiB),
    },
    disk: {
      usagePercent: 28.5,
      totalBytes: 500 * GiB,
      usedBytes: 142.5 * GiB,
      freeBytes: 357.5 * GiB,
      path: undefined,
    },
    gpu: {
      usagePercent: 15,
      memoryPercent: 45,
      memoryTotalBytes: 4096 * MiB,
      memoryUsedBytes: 2048 * MiB,
      memoryFreeBytes: undefined,
      temperatureCelsius: 52,
      name: undefined,
      driverVersion: undefined,
      powerDrawWatts: undefined,
      powerLimitWatts: undefined,
    },
    system: undefined,
    alerts: [],
    warnings: [],
  },
  'real-server/monitoring_data.json': {
    source: 'fixture',
    timestamp: '2026-11-25T16:46:29.042542',
    receivedAt: AT,
    dialect: 'real',
    hostname: 'vm',
    cpu: REAL_CPU,
    memory: { usagePercent: 1.2, totalBytes: 25276510208, usedBytes: 131461120, availableBytes: 24971087872 },
    disk: {
      usagePercent: 21.5,
      totalBytes: 270553174016,
      usedBytes: 23465607168,
      freeBytes: 85478686720,
      path: '/',
    },
    gpu: undefined,
    system: REAL_SYSTEM,
    alerts: [],
    warnings: [],
  },
  'real-server/monitoring_data_gpu.json': {
    source: 'fixture',
    timestamp: '2026-11-25T16:49:37.422672',
    receivedAt: AT,
    dialect: 'real',
    hostname: 'vm',
    cpu: REAL_CPU,
    memory: { usagePercent: 1.4, totalBytes: 25276510208, usedBytes: 183291904, availableBytes: 24917090304 },
    disk: {
      usagePercent: 21.5,
      totalBytes: 270553174016,
      usedBytes: 23465971712,
      freeBytes: 85478322176,
      path: '/',
    },
    gpu: H100,
    system: REAL_SYSTEM,
    alerts: [],
    warnings: [],
  },
  'real-server/monitoring_data_alerts.json': {
    source: 'fixture',
    timestamp: '2026-11-25T16:49:37.422672',
    receivedAt: AT,
    dialect: 'real',
    hostname: 'vm',
    cpu: REAL_CPU,
    memory: { usagePercent: 91.3, totalBytes: 25276510208, usedBytes: 183291904, availableBytes: 2199056388 },
    disk: {
      usagePercent: 86,
      totalBytes: 270553174016,
      usedBytes: 23465971712,
      freeBytes: 85478322176,
      path: '/',
    },
    gpu: H100,
    system: REAL_SYSTEM,
    alerts: [
      {
        timestamp: '2026-11-25T16:49:37.422672',
        component: 'memory',
        metric: 'usage_percent',
        value: 91.3,
        threshold: 90,
        level: 'CRITICAL',
        message: 'Critical memory usage: 91.3% (threshold: 90.0%)',
      },
      {
        timestamp: '2026-11-25T16:49:37.422672',
        component: 'disk',
        metric: 'usage_percent',
        value: 86,
        threshold: 85,
        level: 'WARNING',
        message: 'High disk usage: 86.0% (threshold: 85.0%)',
      },
    ],
    warnings: [],
  },
};

describe('normalizeMonitoringData: fixtures', () => {
  const paths = (readdirSync(FIXTURES, { recursive: true }) as string[])
    .map((path) => path.split('\\').join('/'))
    .filter((path) => /(^|\/)monitoring_data[^/]*\.json$/.test(path))
    .sort();

  it('has an expected snapshot for every monitoring_data fixture', () => {
    assert.deepEqual(paths, Object.keys(EXPECTED).sort());
  });

  for (const path of paths) {
    it(`normalizes ${path}`, () => {
      assert.deepEqual(normalizeMonitoringData(fixture(path), AT, 'fixture'), EXPECTED[path]);
    });
  }

  it('reads 13.1 documented GB back as 13.1 binary GB', () => {
    const snapshot = normalize(fixture('documented/monitoring_data.json'));
    assert.equal(((snapshot.memory.totalBytes ?? 0) / GiB).toFixed(1), '13.1');
    assert.equal(((snapshot.memory.usedBytes ?? 0) / GiB).toFixed(1), '8.2');
    assert.ok(Number.isInteger(snapshot.memory.totalBytes));
  });

  it('copies receivedAt and source', () => {
    const message = fixture('real-server/monitoring_data.json');
    assert.equal(normalizeMonitoringData(message, 1234).source, undefined);
    assert.equal(normalizeMonitoringData(message, 1234).receivedAt, 1234);
    assert.equal(normalizeMonitoringData(message, 1234, 'ws://db1:8765').source, 'ws://db1:8765');
  });
});

// ---- one machine, two dialects ------------------------------------------------------------

interface Machine {
  cpu: number;
  mhz: number;
  memoryPercent: number;
  memoryUsedGb: number;
  memoryTotalGb: number;
  memoryAvailableGb: number;
  diskPercent: number;
  diskUsedGb: number;
  diskTotalGb: number;
  diskFreeGb: number;
  gpuPercent: number;
  gpuMemoryPercent: number;
  gpuTemperature: number;
  gpuUsedMb: number;
  gpuTotalMb: number;
}

function documentedMessage(m: Machine): Json {
  return {
    type: 'monitoring_data',
    timestamp: '2026-11-25T16:46:29.042542',
    data: {
      processor: { usage_percent: m.cpu, frequency_mhz: m.mhz },
      memory: {
        usage_percent: m.memoryPercent,
        used_gb: m.memoryUsedGb,
        total_gb: m.memoryTotalGb,
        available_gb: m.memoryAvailableGb,
      },
      disk: {
        usage_percent: m.diskPercent,
        used_gb: m.diskUsedGb,
        total_gb: m.diskTotalGb,
        free_gb: m.diskFreeGb,
      },
      gpu: {
        usage_percent: m.gpuPercent,
        memory_percent: m.gpuMemoryPercent,
        temperature: m.gpuTemperature,
        memory_used_mb: m.gpuUsedMb,
        memory_total_mb: m.gpuTotalMb,
      },
    },
  };
}

function realMessage(m: Machine): Json {
  return {
    type: 'monitoring_data',
    timestamp: '2026-11-25T16:46:29.042542',
    data: {
      memory: {
        total: m.memoryTotalGb * GiB,
        available: m.memoryAvailableGb * GiB,
        used: m.memoryUsedGb * GiB,
        percentage: m.memoryPercent,
      },
      processor: { usage_percent: m.cpu, core_count: 4, logical_count: 8, frequency_current: m.mhz },
      disk: {
        total: m.diskTotalGb * GiB,
        used: m.diskUsedGb * GiB,
        free: m.diskFreeGb * GiB,
        percentage: m.diskPercent,
        path: '/',
      },
      gpu: {
        name: 'GPU',
        memory_total: m.gpuTotalMb * MiB,
        memory_used: m.gpuUsedMb * MiB,
        memory_free: Math.max(0, m.gpuTotalMb - m.gpuUsedMb) * MiB,
        memory_percentage: m.gpuMemoryPercent,
        gpu_usage_percent: m.gpuPercent,
        temperature: m.gpuTemperature,
      },
      system: { hostname: 'box' },
    },
  };
}

/** The metrics both dialects carry. */
function shared(snapshot: MonitoringSnapshot) {
  return {
    cpu: snapshot.cpu.usagePercent,
    mhz: snapshot.cpu.frequencyCurrentMhz,
    memory: snapshot.memory,
    disk: { ...snapshot.disk, path: undefined },
    gpuUsage: snapshot.gpu?.usagePercent,
    gpuMemory: snapshot.gpu?.memoryPercent,
    gpuTemperature: snapshot.gpu?.temperatureCelsius,
    gpuTotal: snapshot.gpu?.memoryTotalBytes,
    gpuUsed: snapshot.gpu?.memoryUsedBytes,
    warnings: snapshot.warnings,
  };
}

describe('normalizeMonitoringData: both dialects', () => {
  const machine: Machine = {
    cpu: 45.2,
    mhz: 2400,
    memoryPercent: 50,
    memoryUsedGb: 8,
    memoryTotalGb: 16,
    memoryAvailableGb: 8,
    diskPercent: 28.5,
    diskUsedGb: 142.5,
    diskTotalGb: 500,
    diskFreeGb: 357.5,
    gpuPercent: 15,
    gpuMemoryPercent: 50,
    gpuTemperature: 52,
    gpuUsedMb: 2048,
    gpuTotalMb: 4096,
  };

  it('gives the same numbers for the same machine', () => {
    const fromDocumented = normalize(documentedMessage(machine));
    const fromReal = normalize(realMessage(machine));
    assert.equal(fromDocumented.dialect, 'documented');
    assert.equal(fromReal.dialect, 'real');
    assert.deepEqual(shared(fromDocumented), shared(fromReal));
    assert.deepEqual(fromReal.memory, {
      usagePercent: 50,
      totalBytes: 16 * GiB,
      usedBytes: 8 * GiB,
      availableBytes: 8 * GiB,
    });
    assert.equal(fromDocumented.gpu?.memoryUsedBytes, 2 * GiB);
  });

  it('gives the same numbers for any machine state in whole MiB', () => {
    const percent = fc.double({ min: 0, max: 100, noNaN: true }).map((p) => Math.round(p * 10) / 10);
    const gib = fc.integer({ min: 0, max: 1 << 20 }).map((mib) => mib / 1024);
    const mib = fc.integer({ min: 0, max: 1 << 20 });
    const state = fc.record({
      cpu: percent,
      mhz: fc.integer({ min: 1, max: 6000 }),
      memoryPercent: percent,
      memoryUsedGb: gib,
      memoryTotalGb: gib,
      memoryAvailableGb: gib,
      diskPercent: percent,
      diskUsedGb: gib,
      diskTotalGb: gib,
      diskFreeGb: gib,
      gpuPercent: percent,
      gpuMemoryPercent: percent,
      gpuTemperature: fc.integer({ min: 20, max: 100 }),
      gpuUsedMb: mib,
      gpuTotalMb: mib,
    });
    fc.assert(
      fc.property(state, (m) => {
        assert.deepEqual(shared(normalize(documentedMessage(m))), shared(normalize(realMessage(m))));
      }),
      { numRuns: 200 },
    );
  });

  it('reads a mix field by field, preferring the real field', () => {
    const message = realMessage(machine);
    // Documented memory and GPU fields beside real ones, which win.
    Object.assign(message.data.memory, { usage_percent: 99, used_gb: 1 });
    Object.assign(message.data.gpu, { usage_percent: 99 });
    // Documented only, for the disk.
    message.data.disk = { usage_percent: 28.5, total_gb: 500 };
    const snapshot = normalize(message);
    assert.equal(snapshot.dialect, 'mixed');
    assert.equal(snapshot.memory.usagePercent, 50);
    assert.equal(snapshot.memory.usedBytes, 8 * GiB);
    assert.equal(snapshot.gpu?.usagePercent, 15);
    assert.equal(snapshot.disk.usagePercent, 28.5);
    assert.equal(snapshot.disk.totalBytes, 500 * GiB);
    assert.deepEqual(snapshot.warnings, []);
  });

  it('falls back to the documented field when the real one is null', () => {
    const snapshot = real((data) => {
      data.memory.percentage = null;
      data.memory.usage_percent = 40;
    });
    assert.equal(snapshot.memory.usagePercent, 40);
    assert.equal(snapshot.dialect, 'mixed');
    assert.deepEqual(snapshot.warnings, []);
  });

  it('says unknown when only shared field names are present', () => {
    const snapshot = normalize({
      type: 'monitoring_data',
      timestamp: 't',
      data: { processor: { usage_percent: 5 } },
    });
    assert.equal(snapshot.dialect, 'unknown');
    assert.equal(snapshot.cpu.usagePercent, 5);
    assert.deepEqual(snapshot.warnings, [
      { field: 'data.memory', reason: 'missing' },
      { field: 'data.disk', reason: 'missing' },
    ]);
  });
});

// ---- values that cannot be used ----------------------------------------------------------

describe('normalizeMonitoringData: unusable values', () => {
  const bad: [string, unknown, DataQualityWarning['reason']][] = [
    ['null', null, 'null'],
    ['a numeric string', '45.2', 'wrong_type'],
    ['a boolean', true, 'wrong_type'],
    ['an object', { value: 45 }, 'wrong_type'],
    ['NaN', Number.NaN, 'not_finite'],
    ['Infinity', Number.POSITIVE_INFINITY, 'not_finite'],
    ['a negative percentage', -5, 'out_of_range'],
    ['a percentage over 100', 150, 'out_of_range'],
    ['a percentage just over the tolerance', 100.001, 'out_of_range'],
  ];

  for (const [what, value, reason] of bad) {
    it(`leaves ${what} as missing, never 0, with a warning`, () => {
      const fromReal = real((data) => {
        data.memory.percentage = value;
      });
      assert.equal(fromReal.memory.usagePercent, undefined);
      assert.deepEqual(fromReal.warnings, [{ field: 'data.memory.percentage', reason }]);

      const fromDocumented = documented((data) => {
        data.disk.usage_percent = value;
      });
      assert.equal(fromDocumented.disk.usagePercent, undefined);
      assert.deepEqual(fromDocumented.warnings, [{ field: 'data.disk.usage_percent', reason }]);

      const cpu = real((data) => {
        data.processor.usage_percent = value;
      });
      assert.equal(cpu.cpu.usagePercent, undefined);
      assert.deepEqual(cpu.warnings, [{ field: 'data.processor.usage_percent', reason }]);
    });
  }

  it('names a missing core metric in the dialect of the message', () => {
    const fromReal = real((data) => {
      delete data.memory.percentage;
      delete data.disk.percentage;
      delete data.processor.usage_percent;
    });
    assert.deepEqual(fromReal.warnings, [
      { field: 'data.processor.usage_percent', reason: 'missing' },
      { field: 'data.memory.percentage', reason: 'missing' },
      { field: 'data.disk.percentage', reason: 'missing' },
    ]);
    const fromDocumented = documented((data) => {
      delete data.memory.usage_percent;
      delete data.disk.usage_percent;
    });
    assert.deepEqual(fromDocumented.warnings, [
      { field: 'data.memory.usage_percent', reason: 'missing' },
      { field: 'data.disk.usage_percent', reason: 'missing' },
    ]);
    assert.equal(fromDocumented.memory.usagePercent, undefined);
  });

  it('clamps float rounding at the bounds of a percentage', () => {
    const snapshot = real((data) => {
      data.memory.percentage = 100.0000001;
      data.disk.percentage = -1e-9;
      data.gpu.memory_percentage = -0;
    });
    assert.equal(snapshot.memory.usagePercent, 100);
    assert.equal(snapshot.disk.usagePercent, 0);
    assert.ok(Object.is(snapshot.gpu?.memoryPercent, 0));
    assert.deepEqual(snapshot.warnings, []);
  });

  it('keeps 0 and 100 as they are', () => {
    const snapshot = real((data) => {
      data.memory.percentage = 100;
      data.disk.percentage = 0;
    });
    assert.equal(snapshot.memory.usagePercent, 100);
    assert.equal(snapshot.disk.usagePercent, 0);
  });

  it('rejects negative, non-numeric and overflowing amounts', () => {
    const snapshot = real((data) => {
      data.memory.total = -1;
      data.memory.used = '131461120';
      data.disk.free = Number.NaN;
      data.gpu.memory_total = -85520809984;
    });
    assert.equal(snapshot.memory.totalBytes, undefined);
    assert.equal(snapshot.memory.usedBytes, undefined);
    assert.equal(snapshot.disk.freeBytes, undefined);
    assert.equal(snapshot.gpu?.memoryTotalBytes, undefined);
    assert.deepEqual(snapshot.warnings, [
      { field: 'data.memory.total', reason: 'out_of_range' },
      { field: 'data.memory.used', reason: 'wrong_type' },
      { field: 'data.disk.free', reason: 'not_finite' },
      { field: 'data.gpu.memory_total', reason: 'out_of_range' },
    ]);

    const converted = documented((data) => {
      data.memory.used_gb = -8.2;
      data.disk.total_gb = 1e308;
      data.gpu.memory_used_mb = '2048';
    });
    assert.equal(converted.memory.usedBytes, undefined);
    assert.equal(converted.disk.totalBytes, undefined);
    assert.equal(converted.gpu?.memoryUsedBytes, undefined);
    assert.deepEqual(converted.warnings, [
      { field: 'data.memory.used_gb', reason: 'out_of_range' },
      { field: 'data.disk.total_gb', reason: 'out_of_range' },
      { field: 'data.gpu.memory_used_mb', reason: 'wrong_type' },
    ]);
  });

  it('reads a frequency of 0 as unknown, without a warning', () => {
    const snapshot = real((data) => {
      data.processor.frequency_current = 0;
    });
    assert.equal(snapshot.cpu.frequencyCurrentMhz, undefined);
    assert.deepEqual(snapshot.warnings, []);
    const fromDocumented = documented((data) => {
      data.processor.frequency_mhz = 0.0;
    });
    assert.equal(fromDocumented.cpu.frequencyCurrentMhz, undefined);
    assert.deepEqual(fromDocumented.warnings, []);
    const negative = real((data) => {
      data.processor.frequency_max = -2600;
    });
    assert.deepEqual(negative.warnings, [{ field: 'data.processor.frequency_max', reason: 'out_of_range' }]);
  });

  it('wants whole, positive core counts', () => {
    const snapshot = real((data) => {
      data.processor.core_count = 2.5;
      data.processor.logical_count = 0;
    });
    assert.equal(snapshot.cpu.physicalCores, undefined);
    assert.equal(snapshot.cpu.logicalCores, undefined);
    assert.deepEqual(snapshot.warnings, [
      { field: 'data.processor.core_count', reason: 'wrong_type' },
      { field: 'data.processor.logical_count', reason: 'out_of_range' },
    ]);
  });

  it('checks each per-core usage', () => {
    const snapshot = real((data) => {
      data.processor.per_core_usage = [12.5, null, '3', Number.NaN, 101, 0];
    });
    assert.deepEqual(snapshot.cpu.perCoreUsagePercent, [12.5, undefined, undefined, undefined, undefined, 0]);
    assert.deepEqual(snapshot.warnings, [
      { field: 'data.processor.per_core_usage.1', reason: 'null' },
      { field: 'data.processor.per_core_usage.2', reason: 'wrong_type' },
      { field: 'data.processor.per_core_usage.3', reason: 'not_finite' },
      { field: 'data.processor.per_core_usage.4', reason: 'out_of_range' },
    ]);
    const notAList = real((data) => {
      data.processor.per_core_usage = { 0: 1 };
    });
    assert.equal(notAList.cpu.perCoreUsagePercent, undefined);
    assert.deepEqual(notAList.warnings, [{ field: 'data.processor.per_core_usage', reason: 'wrong_type' }]);
  });

  it('keeps at most MAX_CORES per-core entries', () => {
    const snapshot = real((data) => {
      data.processor.per_core_usage = new Array(MAX_CORES + 10).fill(1);
    });
    assert.equal(snapshot.cpu.perCoreUsagePercent?.length, MAX_CORES);
    assert.deepEqual(snapshot.warnings, [{ field: 'data.processor.per_core_usage', reason: 'out_of_range' }]);
  });

  it('rejects impossible temperatures and negative power', () => {
    const snapshot = real((data) => {
      data.gpu.temperature = 5000;
      data.gpu.power_draw = -1;
      data.gpu.power_limit = 700;
    });
    assert.equal(snapshot.gpu?.temperatureCelsius, undefined);
    assert.equal(snapshot.gpu?.powerDrawWatts, undefined);
    assert.equal(snapshot.gpu?.powerLimitWatts, 700);
    assert.deepEqual(snapshot.warnings, [
      { field: 'data.gpu.temperature', reason: 'out_of_range' },
      { field: 'data.gpu.power_draw', reason: 'out_of_range' },
    ]);
    const cold = documented((data) => {
      data.processor.temperature = -300;
    });
    assert.deepEqual(cold.warnings, [{ field: 'data.processor.temperature', reason: 'out_of_range' }]);
  });

  it('says nothing about optional fields that are absent or null', () => {
    const snapshot = real((data) => {
      data.gpu.temperature = null;
      data.gpu.power_draw = null;
      delete data.gpu.name;
      data.processor.core_count = null;
      delete data.processor.per_core_usage;
      delete data.memory.available;
      delete data.disk.path;
      data.system.hostname = null;
    });
    assert.deepEqual(snapshot.warnings, []);
    assert.equal(snapshot.gpu?.temperatureCelsius, undefined);
    assert.equal(snapshot.gpu?.name, undefined);
    assert.equal(snapshot.hostname, undefined);
    assert.equal(snapshot.cpu.physicalCores, undefined);
    assert.equal(snapshot.memory.availableBytes, undefined);
  });

  it('treats an absent or null GPU as no GPU, and a broken one as a warning', () => {
    for (const gpu of [undefined, null]) {
      const snapshot = real((data) => {
        data.gpu = gpu;
      });
      assert.equal(snapshot.gpu, undefined);
      assert.deepEqual(snapshot.warnings, []);
    }
    const broken = real((data) => {
      data.gpu = 'NVIDIA';
    });
    assert.equal(broken.gpu, undefined);
    assert.deepEqual(broken.warnings, [{ field: 'data.gpu', reason: 'wrong_type' }]);
  });

  it('warns once for a missing or broken section', () => {
    const noMemory = real((data) => {
      delete data.memory;
    });
    assert.deepEqual(noMemory.memory, {
      usagePercent: undefined,
      totalBytes: undefined,
      usedBytes: undefined,
      availableBytes: undefined,
    });
    assert.deepEqual(noMemory.warnings, [{ field: 'data.memory', reason: 'missing' }]);

    const broken = real((data) => {
      data.disk = [21.5];
      data.processor = null;
      data.system = 'Linux';
    });
    assert.equal(broken.disk.usagePercent, undefined);
    assert.equal(broken.system, undefined);
    assert.deepEqual(broken.warnings, [
      { field: 'data.processor', reason: 'null' },
      { field: 'data.disk', reason: 'wrong_type' },
      { field: 'data.system', reason: 'wrong_type' },
    ]);
  });

  it('warns about a missing, null or non-object data', () => {
    for (const [data, reason] of [
      [undefined, 'missing'],
      [null, 'null'],
      ['{"memory":{}}', 'wrong_type'],
      [[1, 2], 'wrong_type'],
    ] as const) {
      const snapshot = normalize({ type: 'monitoring_data', timestamp: 't', data });
      assert.deepEqual(snapshot.warnings, [{ field: 'data', reason }]);
      assert.equal(snapshot.dialect, 'unknown');
      assert.equal(snapshot.cpu.usagePercent, undefined);
    }
  });

  it('wants a string timestamp', () => {
    for (const [timestamp, reason] of [
      [undefined, 'missing'],
      [null, 'null'],
      [1764085589, 'wrong_type'],
      ['', 'missing'],
    ] as const) {
      const snapshot = real((_data, message) => {
        message.timestamp = timestamp;
      });
      assert.equal(snapshot.timestamp, undefined);
      assert.deepEqual(snapshot.warnings, [{ field: 'timestamp', reason }]);
    }
  });

  it('checks system information', () => {
    const snapshot = real((data) => {
      data.system.hostname = 42;
      data.system.processes = 3.5;
      data.system.boot_time = { at: 1 };
    });
    assert.equal(snapshot.hostname, undefined);
    assert.equal(snapshot.system?.processes, undefined);
    assert.deepEqual(snapshot.warnings, [
      { field: 'data.system.hostname', reason: 'wrong_type' },
      { field: 'data.system.processes', reason: 'wrong_type' },
      { field: 'data.system.boot_time', reason: 'wrong_type' },
    ]);
    const epoch = real((data) => {
      data.system.boot_time = 1764000000;
      data.system.processes = 312;
    });
    assert.equal(epoch.system?.bootTime, 1764000000);
    assert.equal(epoch.system?.processes, 312);
    const iso = real((data) => {
      data.system.boot_time = '2026-11-24T08:00:00';
    });
    assert.equal(iso.system?.bootTime, '2026-11-24T08:00:00');
  });
});

// ---- alerts ---------------------------------------------------------------------------------

describe('normalizeMonitoringData: alerts', () => {
  const alert = {
    timestamp: '2026-11-25T16:49:37.422672',
    component: 'memory',
    metric: 'usage_percent',
    value: 91.3,
    threshold: 90.0,
    level: 'CRITICAL',
    message: 'Critical memory usage: 91.3% (threshold: 90.0%)',
  };

  it('skips entries that are not objects, with a warning each', () => {
    const snapshot = real((_data, message) => {
      message.alerts = [null, 'disk full', alert, [alert]];
    });
    assert.equal(snapshot.alerts.length, 1);
    assert.equal(snapshot.alerts[0]?.level, 'CRITICAL');
    assert.deepEqual(snapshot.warnings, [
      { field: 'alerts.0', reason: 'null' },
      { field: 'alerts.1', reason: 'wrong_type' },
      { field: 'alerts.3', reason: 'wrong_type' },
    ]);
  });

  it('warns when alerts is not a list, and reads null as none', () => {
    const notAList = real((_data, message) => {
      message.alerts = alert;
    });
    assert.deepEqual(notAList.alerts, []);
    assert.deepEqual(notAList.warnings, [{ field: 'alerts', reason: 'wrong_type' }]);
    const none = real((_data, message) => {
      message.alerts = null;
    });
    assert.deepEqual(none.alerts, []);
    assert.deepEqual(none.warnings, []);
  });

  it('checks the fields of an alert', () => {
    const snapshot = real((_data, message) => {
      message.alerts = [
        { component: 'disk', value: '86.0', threshold: Number.NaN, level: 7, message: 'High' },
      ];
    });
    assert.deepEqual(snapshot.alerts, [
      {
        timestamp: undefined,
        component: 'disk',
        metric: undefined,
        value: undefined,
        threshold: undefined,
        level: undefined,
        message: 'High',
      },
    ]);
    assert.deepEqual(snapshot.warnings, [
      { field: 'alerts.0.value', reason: 'wrong_type' },
      { field: 'alerts.0.threshold', reason: 'not_finite' },
      { field: 'alerts.0.level', reason: 'wrong_type' },
    ]);
  });

  it('keeps at most MAX_ALERTS alerts', () => {
    const snapshot = real((_data, message) => {
      message.alerts = new Array(MAX_ALERTS * 3).fill(alert);
    });
    assert.equal(snapshot.alerts.length, MAX_ALERTS);
    assert.deepEqual(snapshot.warnings, [{ field: 'alerts', reason: 'out_of_range' }]);
  });
});

// ---- hostile strings ------------------------------------------------------------------------

describe('normalizeMonitoringData: strings from the server', () => {
  it('removes escape sequences from host name, GPU name and alert message', () => {
    const snapshot = real((data, message) => {
      data.system.hostname = '\u001b]0;pwned\u0007vm\u001b[2J';
      data.gpu.name = '\u001b[31mNVIDIA\u001b[0m\u202e H100';
      message.alerts = [{ level: 'WARNING', message: 'High disk\r\u001b[1A\u001b[2Kall good\u0007' }];
    });
    assert.equal(snapshot.hostname, 'vm');
    assert.equal(snapshot.system?.hostname, 'vm');
    assert.equal(snapshot.gpu?.name, 'NVIDIA H100');
    assert.equal(snapshot.alerts[0]?.message, 'High disk all good');
    assert.deepEqual(snapshot.warnings, []);
  });

  it('reads a string made only of escape sequences as absent', () => {
    const snapshot = real((data) => {
      data.system.hostname = '\u001b[2J\u001b[H';
    });
    assert.equal(snapshot.hostname, undefined);
  });

  it('truncates huge strings, with a warning', () => {
    const snapshot = real((data, message) => {
      data.system.hostname = 'h'.repeat(10 * 1024 * 1024);
      message.timestamp = `2026-11-25T16:46:29.042542${'9'.repeat(1000)}`;
    });
    assert.equal(snapshot.hostname?.length, MAX_STRING_LENGTH);
    assert.equal(snapshot.hostname, 'h'.repeat(MAX_STRING_LENGTH));
    assert.equal(snapshot.timestamp?.length, MAX_STRING_LENGTH);
    assert.deepEqual(snapshot.warnings, [
      { field: 'timestamp', reason: 'out_of_range' },
      { field: 'data.system.hostname', reason: 'out_of_range' },
    ]);
  });

  it('does not cut an emoji in half', () => {
    const snapshot = real((data) => {
      data.gpu.name = `${'g'.repeat(MAX_STRING_LENGTH - 1)}😀tail`;
    });
    assert.equal(snapshot.gpu?.name, 'g'.repeat(MAX_STRING_LENGTH - 1));
  });
});

// ---- whatever the input ---------------------------------------------------------------------

const PERCENT_FIELDS = (s: MonitoringSnapshot) => [
  s.cpu.usagePercent,
  s.memory.usagePercent,
  s.disk.usagePercent,
  s.gpu?.usagePercent,
  s.gpu?.memoryPercent,
  ...(s.cpu.perCoreUsagePercent ?? []),
];
const NON_NEGATIVE_FIELDS = (s: MonitoringSnapshot) => [
  s.cpu.physicalCores,
  s.cpu.logicalCores,
  s.cpu.frequencyCurrentMhz,
  s.cpu.frequencyMaxMhz,
  s.memory.totalBytes,
  s.memory.usedBytes,
  s.memory.availableBytes,
  s.disk.totalBytes,
  s.disk.usedBytes,
  s.disk.freeBytes,
  s.gpu?.memoryTotalBytes,
  s.gpu?.memoryUsedBytes,
  s.gpu?.memoryFreeBytes,
  s.gpu?.powerDrawWatts,
  s.gpu?.powerLimitWatts,
  s.system?.processes,
];
const REASONS = new Set(['missing', 'null', 'wrong_type', 'not_finite', 'out_of_range']);

/** What every snapshot must satisfy, whatever the message. */
function assertWellFormed(s: MonitoringSnapshot): void {
  assert.ok(['real', 'documented', 'mixed', 'unknown'].includes(s.dialect));
  assert.equal(s.receivedAt, AT);
  for (const value of PERCENT_FIELDS(s)) {
    if (value !== undefined) assert.ok(value >= 0 && value <= 100, `percentage ${value}`);
  }
  for (const value of NON_NEGATIVE_FIELDS(s)) {
    if (value !== undefined) assert.ok(Number.isFinite(value) && value >= 0, `amount ${value}`);
  }
  const strings: unknown[] = [s.timestamp, s.hostname, s.disk.path, s.gpu?.name, s.gpu?.driverVersion];
  if (s.system) strings.push(...Object.values(s.system));
  for (const alert of s.alerts) strings.push(...Object.values(alert));
  for (const value of strings) {
    if (typeof value === 'string') {
      assert.ok(value.length > 0 && value.length <= MAX_STRING_LENGTH, 'string length');
      assert.ok(isTerminalSafe(value), JSON.stringify(value));
    } else if (value !== undefined) {
      assert.ok(typeof value === 'number' && Number.isFinite(value), `value ${String(value)}`);
    }
  }
  assert.ok(Array.isArray(s.warnings));
  for (const warning of s.warnings) {
    assert.equal(typeof warning.field, 'string');
    assert.ok(REASONS.has(warning.reason), warning.reason);
  }
}

describe('normalizeMonitoringData: garbage in', () => {
  it('never throws on anything at all', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withSparseArray: true }), (value) => {
        assertWellFormed(normalize(value));
        assertWellFormed(normalize({ type: 'monitoring_data', timestamp: 't', data: value, alerts: value }));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on a non-object message', () => {
    for (const value of ['monitoring_data', 42, null, undefined, [1, 2], true]) {
      const snapshot = normalize(value);
      assertWellFormed(snapshot);
      assert.deepEqual(snapshot.warnings, [
        { field: 'timestamp', reason: 'missing' },
        { field: 'data', reason: 'missing' },
      ]);
    }
  });

  it('never throws on an object whose getter throws', () => {
    const hostile = {
      type: 'monitoring_data',
      get data(): never {
        throw new Error('boom');
      },
    };
    const snapshot = normalize(hostile);
    assertWellFormed(snapshot);
    assert.deepEqual(snapshot.warnings, [{ field: 'data', reason: 'wrong_type' }]);
  });

  it('keeps a usable value, and warns about an unusable core one, whatever the other fields', () => {
    const value = fc.oneof(
      fc.double(),
      fc.integer({ min: -10, max: 200 }),
      fc.double({ min: 0, max: 100, noNaN: true }),
      fc.string({ maxLength: 8 }),
      fc.constantFrom(null, undefined, true, '45.2', '\u001b[31m'),
      fc.array(fc.double(), { maxLength: 4 }),
      fc.anything({ maxDepth: 2 }),
    );
    const section = (keys: string[]) =>
      fc.record(Object.fromEntries(keys.map((key) => [key, value])), { requiredKeys: [] });
    const data = fc.record(
      {
        processor: section([
          'usage_percent',
          'core_count',
          'logical_count',
          'frequency_current',
          'frequency_max',
          'per_core_usage',
          'temperature',
          'frequency_mhz',
        ]),
        memory: section(['percentage', 'total', 'used', 'available', 'usage_percent', 'used_gb', 'total_gb']),
        disk: section(['percentage', 'total', 'used', 'free', 'path', 'usage_percent', 'free_gb']),
        gpu: fc.oneof(
          section([
            'gpu_usage_percent',
            'memory_percentage',
            'memory_total',
            'memory_used',
            'memory_free',
            'temperature',
            'name',
            'power_draw',
            'usage_percent',
            'memory_used_mb',
          ]),
          value,
        ),
        system: fc.oneof(section(['hostname', 'os_name', 'processes', 'boot_time']), value),
      },
      { requiredKeys: [] },
    );
    const message = fc.record({
      type: fc.constant('monitoring_data'),
      timestamp: value,
      data,
      alerts: value,
    });
    fc.assert(
      fc.property(message, (m) => {
        const snapshot = normalize(m);
        assertWellFormed(snapshot);
        const sections: [Json, string, keyof MonitoringSnapshot, string][] = [
          [m.data.memory, 'percentage', 'memory', 'data.memory'],
          [m.data.disk, 'percentage', 'disk', 'data.disk'],
          [m.data.processor, 'usage_percent', 'cpu', 'data.processor'],
        ];
        for (const [input, key, part, path] of sections) {
          const raw = input?.[key];
          const out = (snapshot[part] as { usagePercent?: number }).usagePercent;
          if (typeof raw === 'number' && raw >= 0 && raw <= 100) {
            assert.equal(out, raw === 0 ? 0 : raw);
          } else if (out === undefined) {
            assert.ok(
              snapshot.warnings.some((w) => w.field === 'data' || w.field.startsWith(path)),
              `no warning for ${path}`,
            );
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('isMonitoringData', () => {
  it('tells a monitoring_data message from anything else', () => {
    assert.equal(isMonitoringData(fixture('real-server/monitoring_data.json')), true);
    assert.equal(isMonitoringData(fixture('documented/monitoring_data.json')), true);
    assert.equal(isMonitoringData(fixture('real-server/pong.json')), false);
    assert.equal(isMonitoringData({ type: 'Monitoring_Data' }), false);
    assert.equal(isMonitoringData('monitoring_data'), false);
    assert.equal(isMonitoringData(null), false);
    assert.equal(isMonitoringData([{ type: 'monitoring_data' }]), false);
  });
});
