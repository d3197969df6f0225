import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { InvalidOptionError } from '../src/errors.js';
import type { RealMonitoringData } from '../src/protocol/messages.js';
import {
  cpuinfoMeanMhz,
  cpuinfoPhysicalCores,
  cpuUsage,
  cpuUsagePercent,
  diskFromStatfs,
  memoryFromMeminfo,
  memoryFromOs,
  parseMeminfo,
  parseNvidiaSmi,
  SystemMetricsSource,
} from '../src/server/metrics-source.js';
import { fixture as realFixture } from './helpers/fixtures.js';
import { recordingLogger } from './helpers/recording-logger.js';

type Json = Record<string, unknown>;

function fixture(name: string): Json & { data: RealMonitoringData } {
  return realFixture('real-server', name.replace(/\.json$/, '')) as Json & { data: RealMonitoringData };
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;
const real = fixture('monitoring_data.json').data;
const gpuFixture = fixture('monitoring_data_gpu.json').data.gpu;
/** nvidia-smi's line for the fixture's GPU (MiB, %, °C; power not reported). */
const NVIDIA_LINE = 'NVIDIA H100 80GB HBM3, 550.54.15, 81559, 20480, 61079, 37, 41, [N/A], [N/A]';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'metrics-source-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function isPercent(value: unknown): boolean {
  return typeof value === 'number' && value >= 0 && value <= 100;
}

/** Writes an executable shell script that records each run in `<script>.runs`, then runs `body`. */
function script(name: string, body: string): { file: string; runs: () => number } {
  const file = path.join(tmp, name);
  writeFileSync(file, `#!/bin/sh\necho run >> "${file}.runs"\n${body}\n`);
  chmodSync(file, 0o755);
  return {
    file,
    runs: () =>
      existsSync(`${file}.runs`) ? readFileSync(`${file}.runs`, 'utf8').split('\n').length - 1 : 0,
  };
}

describe('SystemMetricsSource on this machine', () => {
  it('measures sane values with the fixture keys', async () => {
    const source = new SystemMetricsSource({ nvidiaSmi: false });
    const data = await source.collect();
    assert.deepEqual(Object.keys(data), ['memory', 'processor', 'disk', 'system']);
    for (const part of ['memory', 'processor', 'disk'] as const) {
      assert.deepEqual(Object.keys(data[part]), Object.keys(real[part]), part);
    }
    const { memory, processor, disk } = data;
    assert.ok(memory.total > 0 && memory.available <= memory.total && memory.used <= memory.total);
    assert.ok(isPercent(memory.percentage));
    assert.ok(isPercent(processor.usage_percent));
    assert.equal(processor.logical_count, os.cpus().length);
    assert.ok(
      (processor.core_count ?? 0) >= 1 && (processor.core_count ?? 0) <= (processor.logical_count ?? 0),
    );
    assert.equal(processor.per_core_usage?.length, processor.logical_count);
    assert.ok(processor.per_core_usage?.every(isPercent));
    assert.ok((processor.frequency_current ?? -1) >= 0 && (processor.frequency_max ?? -1) >= 0);
    assert.ok(disk.total > 0 && disk.used + disk.free <= disk.total && isPercent(disk.percentage));
    assert.equal(disk.path, '/');
    const system = data.system ?? {};
    const expectedKeys = Object.keys(real.system ?? {}).filter((k) => k !== 'python_version');
    if (process.platform === 'linux') expectedKeys.push('processes');
    expectedKeys.push('boot_time');
    assert.deepEqual(Object.keys(system), expectedKeys);
    assert.equal(system.hostname, os.hostname());
    assert.equal(system.os_release, os.release());
    assert.match(String(system.boot_time), TIMESTAMP);
    assert.ok(os.uptime() > 0);
    if (process.platform === 'linux') {
      assert.equal(system.os_name, 'Linux');
      assert.ok((system.processes ?? 0) > 0);
    }
  });

  it('reports CPU usage over the time since the previous collection', async () => {
    const source = new SystemMetricsSource({ nvidiaSmi: false });
    await source.collect();
    const end = Date.now() + 150;
    while (Date.now() < end) {
      // Busy: one core at 100 % for 150 ms.
    }
    const busy = await source.collect();
    assert.ok(busy.processor.usage_percent > 0, `usage ${busy.processor.usage_percent}`);
    assert.ok(Math.max(...(busy.processor.per_core_usage ?? [])) > 0);
  });

  it('rejects when the disk path does not exist', async () => {
    const source = new SystemMetricsSource({ diskPath: path.join(tmp, 'missing'), nvidiaSmi: false });
    await assert.rejects(source.collect(), /ENOENT/);
  });

  it('validates its options', () => {
    assert.throws(() => new SystemMetricsSource({ gpuTimeout: 0 }), InvalidOptionError);
    assert.throws(() => new SystemMetricsSource({ diskPath: '' }), /invalid diskPath/);
    assert.throws(() => new SystemMetricsSource({ nvidiaSmi: '' }), /invalid nvidiaSmi/);
  });
});

describe('SystemMetricsSource with chosen /proc and /sys', () => {
  it('reads memory, process count, boot time, cores and maximum frequency from them', async () => {
    const proc = path.join(tmp, 'proc');
    const sys = path.join(tmp, 'sys');
    mkdirSync(proc);
    // The fixture's memory: used = total - free - buffers - (cached + reclaimable).
    writeFileSync(
      path.join(proc, 'meminfo'),
      [
        'MemTotal:       24684092 kB',
        'MemFree:        24434960 kB',
        'MemAvailable:   24385828 kB',
        'Buffers:            1012 kB',
        'Cached:            99740 kB',
        'SwapCached:            0 kB',
        'SReclaimable:      20000 kB',
        'HugePages_Total:       0',
        '',
      ].join('\n'),
    );
    writeFileSync(path.join(proc, 'stat'), 'cpu  1 2 3 4\nbtime 1795628885\nprocesses 9\n');
    for (const pid of ['1', '42', '4242', 'self', 'net']) mkdirSync(path.join(proc, pid));
    const cpuDir = path.join(sys, 'devices', 'system', 'cpu');
    ['0-1', '0-1', '2-3', '2-3'].forEach((siblings, i) => {
      mkdirSync(path.join(cpuDir, `cpu${i}`, 'topology'), { recursive: true });
      writeFileSync(path.join(cpuDir, `cpu${i}`, 'topology', 'core_cpus_list'), `${siblings}\n`);
    });
    mkdirSync(path.join(cpuDir, 'cpu0', 'cpufreq'));
    writeFileSync(path.join(cpuDir, 'cpu0', 'cpufreq', 'scaling_max_freq'), '3500000\n');

    const data = await new SystemMetricsSource({ procPath: proc, sysPath: sys, nvidiaSmi: false }).collect();
    assert.deepEqual(data.memory, real.memory);
    assert.equal(data.system?.processes, 3);
    // btime is epoch seconds; boot_time is that instant in local time.
    const boot = new Date(1795628885 * 1000);
    const p = (n: number) => String(n).padStart(2, '0');
    assert.equal(
      data.system?.boot_time,
      `${boot.getFullYear()}-${p(boot.getMonth() + 1)}-${p(boot.getDate())}` +
        `T${p(boot.getHours())}:${p(boot.getMinutes())}:${p(boot.getSeconds())}.000000`,
    );
    assert.equal(data.processor.core_count, 2);
    assert.equal(data.processor.frequency_max, 3500);
  });

  it('falls back to os where /proc is not readable', async () => {
    const data = await new SystemMetricsSource({
      procPath: path.join(tmp, 'no-proc'),
      sysPath: path.join(tmp, 'no-sys'),
      nvidiaSmi: false,
    }).collect();
    assert.ok(data.memory.total > 0);
    assert.equal(data.memory.used, data.memory.total - data.memory.available);
    assert.equal(data.system?.processes, undefined);
    assert.equal(data.processor.core_count, os.cpus().length);
    assert.equal(data.processor.frequency_max, 0);
    assert.match(String(data.system?.boot_time), TIMESTAMP);
  });
});

describe('SystemMetricsSource and nvidia-smi', () => {
  it('reports the first GPU in the units of the real server', async () => {
    const smi = script('nvidia-smi-ok', `echo "${NVIDIA_LINE}"\necho "Second GPU, 1, 2, 3, 4, 5, 6, 7, 8"`);
    const source = new SystemMetricsSource({ nvidiaSmi: smi.file });
    const data = await source.collect();
    assert.deepEqual(data.gpu, gpuFixture);
    assert.deepEqual(Object.keys(data), ['memory', 'processor', 'disk', 'system', 'gpu']);
    await source.collect();
    assert.equal(smi.runs(), 2);
  });

  it('looks for an absent nvidia-smi once, never again', async () => {
    const missing = path.join(tmp, 'nvidia-smi-later');
    const source = new SystemMetricsSource({ nvidiaSmi: missing });
    assert.equal((await source.collect()).gpu, undefined);
    // Installing it now changes nothing: the source does not spawn again.
    writeFileSync(missing, `#!/bin/sh\necho run >> "${missing}.runs"\necho "${NVIDIA_LINE}"\n`);
    chmodSync(missing, 0o755);
    assert.equal((await source.collect()).gpu, undefined);
    assert.equal(existsSync(`${missing}.runs`), false);
  });

  it('stops asking after three failures in a row, with one warning', async () => {
    const smi = script('nvidia-smi-fails', 'echo "No devices were found"\nexit 6');
    const logger = recordingLogger();
    const source = new SystemMetricsSource({ nvidiaSmi: smi.file, logger });
    for (let i = 0; i < 5; i += 1) assert.equal((await source.collect()).gpu, undefined);
    assert.equal(smi.runs(), 3);
    assert.equal(logger.lines.filter((l) => l.startsWith('warn no GPU metrics')).length, 1);
  });

  it('leaves the GPU out of a collection when nvidia-smi overruns its timeout', async () => {
    const smi = script('nvidia-smi-hangs', 'exec sleep 5');
    const source = new SystemMetricsSource({ nvidiaSmi: smi.file, gpuTimeout: 0.1 });
    const started = Date.now();
    const data = await source.collect();
    assert.equal(data.gpu, undefined);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    assert.ok(data.memory.total > 0);
  });
});

describe('metric computations', () => {
  const times = (user: number, sys: number, idle: number) => ({ user, nice: 0, sys, idle, irq: 0 });

  it('cpuUsage: busy share of the elapsed time, overall and per core, one decimal', () => {
    const before = [times(100, 100, 800), times(0, 0, 1000)];
    const now = [times(400, 200, 1400), times(10, 0, 1990)];
    // Core 0: 400 busy of 1000; core 1: 10 of 1000; overall 410 of 2000.
    assert.deepEqual(cpuUsage(before, now), { usagePercent: 20.5, perCore: [40, 1] });
    assert.equal(cpuUsagePercent(times(1, 1, 1), times(1, 1, 1)), 0);
    assert.deepEqual(cpuUsage(before, [...now, times(0, 0, 0)]), { usagePercent: 0, perCore: [0, 0, 0] });
    assert.equal(cpuUsagePercent(times(0, 0, 0), times(2, 0, 1)), 66.7);
  });

  it('memory: psutil definitions, and fallbacks', () => {
    const fields = parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 100 kB\nCached: 300 kB\n');
    assert.equal(fields.get('MemTotal'), 1024000);
    // No MemAvailable (kernel < 3.14): free + buffers + cached.
    assert.deepEqual(memoryFromMeminfo(fields), {
      total: 1024000,
      available: 512000,
      used: 512000,
      percentage: 50,
    });
    // More cache than used memory: used falls back to total - free.
    const odd = parseMeminfo('MemTotal: 1000 kB\nMemFree: 500 kB\nMemAvailable: 900 kB\nCached: 800 kB\n');
    assert.equal(memoryFromMeminfo(odd)?.used, 512000);
    assert.equal(memoryFromMeminfo(parseMeminfo('garbage')), undefined);
    assert.deepEqual(memoryFromOs(1000, 250), { total: 1000, available: 250, used: 750, percentage: 75 });
  });

  it('disk: psutil definitions from statfs blocks', () => {
    const stats = { bsize: 4096, blocks: 66053021, bfree: 60324113, bavail: 20868820 };
    assert.deepEqual(diskFromStatfs(stats, '/'), real.disk);
    assert.equal(diskFromStatfs({ bsize: 4096, blocks: 0, bfree: 0, bavail: 0 }, '/x').percentage, 0);
  });

  it('cpuinfo: mean frequency and physical cores', () => {
    const cpuinfo = [
      'processor\t: 0\ncpu MHz\t\t: 2596.122\nphysical id\t: 0\ncore id\t\t: 0',
      'processor\t: 1\ncpu MHz\t\t: 2596.122\nphysical id\t: 0\ncore id\t\t: 0',
      'processor\t: 2\ncpu MHz\t\t: 1000.000\nphysical id\t: 0\ncore id\t\t: 1',
    ].join('\n\n');
    assert.equal(cpuinfoMeanMhz(cpuinfo), 2064.081);
    assert.equal(cpuinfoPhysicalCores(cpuinfo), 2);
    assert.equal(cpuinfoMeanMhz('processor : 0\n'), undefined);
    assert.equal(cpuinfoPhysicalCores('processor : 0\n'), 0);
  });

  it('parseNvidiaSmi: the fixture GPU, missing values, and garbage', () => {
    assert.deepEqual(parseNvidiaSmi(`${NVIDIA_LINE}\n`), gpuFixture);
    assert.deepEqual(
      parseNvidiaSmi('Tesla T4, 535.1, 15360, [N/A], 15000, [Not Supported], 40, 27.5, 70.00'),
      {
        name: 'Tesla T4',
        driver_version: '535.1',
        memory_total: 15360 * 1024 * 1024,
        memory_free: 15000 * 1024 * 1024,
        temperature: 40,
        power_draw: 27.5,
        power_limit: 70,
      },
    );
    assert.equal(parseNvidiaSmi(''), undefined);
    assert.equal(
      parseNvidiaSmi('NVIDIA-SMI has failed because it could not communicate with the driver'),
      undefined,
    );
  });
});
