/**
 * Snapshots for the formatter tests, built by hand (not through the normalizer, so that a
 * formatter test fails only for a formatter bug): the documentation's example values, and
 * the real-server fixtures mapped field by field.
 */
import { readFileSync } from 'node:fs';
import type { ParsedMessage } from '../../src/protocol/frame.js';
import type { MonitoringSnapshot } from '../../src/protocol/snapshot.js';

export const GIB = 1024 ** 3;
export const MIB = 1024 ** 2;

/** Hostile text: clear screen, set the window title, a C1 CSI and a bidi override. */
export const HOSTILE = 'ok\u001b[2J\u001b]0;pwned\u0007\u009b31m\u202eevil';
/** The pieces of {@link HOSTILE} that must never reach a terminal. */
export const HOSTILE_PIECES = ['\u001b', '\u0007', '\u009b', '\u202e', ']0;pwned'];

export function fixture(dialect: 'documented' | 'real-server', name: string): ParsedMessage {
  const url = new URL(`../fixtures/${dialect}/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as ParsedMessage;
}

/** The values of the documentation's examples (section "Formats de Sortie"), amounts in bytes. */
export function documentedSnapshot(overrides: Partial<MonitoringSnapshot> = {}): MonitoringSnapshot {
  return {
    timestamp: '2025-01-03T14:30:25.123456',
    receivedAt: Date.UTC(2025, 0, 3, 14, 30, 25),
    dialect: 'documented',
    cpu: { usagePercent: 45.2, temperatureCelsius: 65.0, frequencyCurrentMhz: 2400 },
    memory: { usagePercent: 62.8, usedBytes: 8.2 * GIB, totalBytes: 13.1 * GIB, availableBytes: 4.9 * GIB },
    disk: { usagePercent: 28.5, usedBytes: 142.5 * GIB, totalBytes: 500 * GIB, freeBytes: 357.5 * GIB },
    gpu: {
      usagePercent: 15.0,
      memoryPercent: 45.0,
      temperatureCelsius: 52.0,
      memoryUsedBytes: 2048 * MIB,
      memoryTotalBytes: 4096 * MIB,
    },
    alerts: [],
    warnings: [],
    ...overrides,
  };
}

interface RealData {
  memory: { total: number; available: number; used: number; percentage: number };
  processor: {
    usage_percent: number;
    core_count: number;
    logical_count: number;
    frequency_current: number;
    frequency_max: number;
    per_core_usage: number[];
  };
  disk: { total: number; used: number; free: number; percentage: number; path: string };
  system: { os_name: string; os_release: string; os_version: string; architecture: string; hostname: string };
  gpu?: {
    name: string;
    driver_version: string;
    memory_total: number;
    memory_used: number;
    memory_free: number;
    memory_percentage: number;
    gpu_usage_percent: number;
    temperature: number | null;
    power_draw: number | null;
    power_limit: number | null;
  };
}

interface RealAlert {
  timestamp: string;
  component: string;
  metric: string;
  value: number;
  threshold: number;
  level: string;
  message: string;
}

/** A real-server fixture (`monitoring_data`, `monitoring_data_gpu`, `monitoring_data_alerts`) and its snapshot. */
export function realServer(name: string): { message: ParsedMessage; snapshot: MonitoringSnapshot } {
  const message = fixture('real-server', name);
  const data = message.data as RealData;
  const { processor, memory, disk, system, gpu } = data;
  const snapshot: MonitoringSnapshot = {
    timestamp: message.timestamp as string,
    receivedAt: 0,
    dialect: 'real',
    hostname: system.hostname,
    cpu: {
      usagePercent: processor.usage_percent,
      physicalCores: processor.core_count,
      logicalCores: processor.logical_count,
      frequencyCurrentMhz: processor.frequency_current,
      // The real server sends 0.0 for "unknown".
      frequencyMaxMhz: processor.frequency_max === 0 ? undefined : processor.frequency_max,
      perCoreUsagePercent: processor.per_core_usage,
    },
    memory: {
      usagePercent: memory.percentage,
      totalBytes: memory.total,
      usedBytes: memory.used,
      availableBytes: memory.available,
    },
    disk: {
      usagePercent: disk.percentage,
      totalBytes: disk.total,
      usedBytes: disk.used,
      freeBytes: disk.free,
      path: disk.path,
    },
    system: {
      osName: system.os_name,
      osRelease: system.os_release,
      osVersion: system.os_version,
      architecture: system.architecture,
      hostname: system.hostname,
    },
    alerts: ((message.alerts as RealAlert[] | undefined) ?? []).map((alert) => ({ ...alert })),
    warnings: [],
  };
  if (gpu !== undefined) {
    snapshot.gpu = {
      name: gpu.name,
      driverVersion: gpu.driver_version,
      memoryTotalBytes: gpu.memory_total,
      memoryUsedBytes: gpu.memory_used,
      memoryFreeBytes: gpu.memory_free,
      memoryPercent: gpu.memory_percentage,
      usagePercent: gpu.gpu_usage_percent,
      temperatureCelsius: gpu.temperature ?? undefined,
      powerDrawWatts: gpu.power_draw ?? undefined,
      powerLimitWatts: gpu.power_limit ?? undefined,
    };
  }
  return { message, snapshot };
}

/** A snapshot in which the server sent no usable value at all. */
export function emptySnapshot(overrides: Partial<MonitoringSnapshot> = {}): MonitoringSnapshot {
  return {
    receivedAt: new Date(2026, 10, 25, 8, 5, 9).getTime(),
    dialect: 'unknown',
    cpu: {},
    memory: {},
    disk: {},
    alerts: [],
    warnings: [],
    ...overrides,
  };
}
