/**
 * The numbers of a snapshot as flat, named columns, in one fixed order: what the `csv` and
 * `influx` formats write. The names carry the unit (`_percent` in 0..100, `_bytes`, `_mhz`,
 * `_celsius`, `_watts`), the order never depends on the message, and a value the server did
 * not send is `undefined` (an empty cell, a missing field), never 0.
 */
import type { MonitoringSnapshot } from '../protocol/snapshot.js';

export interface NumericField {
  readonly name: string;
  /** `integer`: a count or an amount of bytes (written as a whole number); `float`: anything else. */
  readonly kind: 'integer' | 'float';
  readonly read: (snapshot: MonitoringSnapshot) => number | undefined;
}

export const NUMERIC_FIELDS: readonly NumericField[] = [
  { name: 'cpu_usage_percent', kind: 'float', read: (s) => s.cpu.usagePercent },
  { name: 'cpu_frequency_mhz', kind: 'float', read: (s) => s.cpu.frequencyCurrentMhz },
  { name: 'cpu_temperature_celsius', kind: 'float', read: (s) => s.cpu.temperatureCelsius },
  { name: 'memory_usage_percent', kind: 'float', read: (s) => s.memory.usagePercent },
  { name: 'memory_used_bytes', kind: 'integer', read: (s) => s.memory.usedBytes },
  { name: 'memory_total_bytes', kind: 'integer', read: (s) => s.memory.totalBytes },
  { name: 'memory_available_bytes', kind: 'integer', read: (s) => s.memory.availableBytes },
  { name: 'disk_usage_percent', kind: 'float', read: (s) => s.disk.usagePercent },
  { name: 'disk_used_bytes', kind: 'integer', read: (s) => s.disk.usedBytes },
  { name: 'disk_total_bytes', kind: 'integer', read: (s) => s.disk.totalBytes },
  { name: 'disk_free_bytes', kind: 'integer', read: (s) => s.disk.freeBytes },
  { name: 'gpu_usage_percent', kind: 'float', read: (s) => s.gpu?.usagePercent },
  { name: 'gpu_memory_percent', kind: 'float', read: (s) => s.gpu?.memoryPercent },
  { name: 'gpu_memory_used_bytes', kind: 'integer', read: (s) => s.gpu?.memoryUsedBytes },
  { name: 'gpu_memory_total_bytes', kind: 'integer', read: (s) => s.gpu?.memoryTotalBytes },
  { name: 'gpu_temperature_celsius', kind: 'float', read: (s) => s.gpu?.temperatureCelsius },
  { name: 'gpu_power_watts', kind: 'float', read: (s) => s.gpu?.powerDrawWatts },
];

/**
 * The value of `field` as text: a whole number for an integer field (amounts of the
 * documented dialect, read from GB, may have a fraction of a byte), else JavaScript's
 * shortest exact form. `undefined` when missing, not finite, or an integer beyond 2^53 (it
 * could not be written exactly).
 */
export function fieldText(field: NumericField, value: number | undefined): string | undefined {
  if (value === undefined || !Number.isFinite(value)) return undefined;
  if (field.kind === 'float') return String(value);
  const whole = Math.round(value);
  return Number.isSafeInteger(whole) ? String(whole) : undefined;
}
