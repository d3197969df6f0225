/**
 * One typed model of a `monitoring_data` message, whichever dialect it came in. Every
 * metric is optional: `undefined` means the server did not send a usable value, and is
 * shown as missing (never as 0). Amounts are in bytes, frequencies in MHz, temperatures
 * in °C, power in W, percentages in 0..100.
 */

export type Dialect = 'real' | 'documented' | 'mixed' | 'unknown';

export interface CpuSnapshot {
  usagePercent?: number;
  physicalCores?: number;
  logicalCores?: number;
  frequencyCurrentMhz?: number;
  frequencyMaxMhz?: number;
  /** Per logical core; an entry is `undefined` when the server sent no usable value for it. */
  perCoreUsagePercent?: (number | undefined)[];
  temperatureCelsius?: number;
}

export interface MemorySnapshot {
  usagePercent?: number;
  totalBytes?: number;
  usedBytes?: number;
  availableBytes?: number;
}

export interface DiskSnapshot {
  usagePercent?: number;
  totalBytes?: number;
  usedBytes?: number;
  freeBytes?: number;
  /** Mount point, e.g. "/". */
  path?: string;
}

export interface GpuSnapshot {
  usagePercent?: number;
  memoryPercent?: number;
  memoryTotalBytes?: number;
  memoryUsedBytes?: number;
  memoryFreeBytes?: number;
  temperatureCelsius?: number;
  name?: string;
  driverVersion?: string;
  powerDrawWatts?: number;
  powerLimitWatts?: number;
}

export interface SystemSnapshot {
  osName?: string;
  osVersion?: string;
  osRelease?: string;
  architecture?: string;
  platform?: string;
  machine?: string;
  processor?: string;
  pythonVersion?: string;
  hostname?: string;
  processes?: number;
  /** As the server sent it (ISO string or epoch seconds), display-safe. */
  bootTime?: string | number;
}

export interface AlertSnapshot {
  timestamp?: string;
  component?: string;
  metric?: string;
  value?: number;
  threshold?: number;
  /** Upper-case level as sent, e.g. "WARNING", "CRITICAL". */
  level?: string;
  message?: string;
}

/** A value that was present but not usable, or a required value that was missing. */
export interface DataQualityWarning {
  /** Dotted path in the message, e.g. `data.memory.percentage`. */
  field: string;
  reason: 'missing' | 'null' | 'wrong_type' | 'not_finite' | 'out_of_range';
}

export interface MonitoringSnapshot {
  /**
   * Which server this came from: a label the application chose, or the server's URI. Set by
   * the client, so that one process can watch several servers.
   */
  source?: string;
  /** The server's timestamp as sent (display-safe), when it sent one. */
  timestamp?: string;
  /** Milliseconds since the epoch at which the client received the message. */
  receivedAt: number;
  dialect: Dialect;
  /** Host name of the monitored machine, when the server says it. */
  hostname?: string;
  cpu: CpuSnapshot;
  memory: MemorySnapshot;
  disk: DiskSnapshot;
  /** Absent when the server has no GPU. */
  gpu?: GpuSnapshot;
  system?: SystemSnapshot;
  /** The server's alerts (empty when none). */
  alerts: AlertSnapshot[];
  /** Values the normalizer could not use. */
  warnings: DataQualityWarning[];
}
