/**
 * The metrics a recording keeps, one column each, and how each is read from a normalized
 * snapshot. The schema, the recorder and the query all take their column lists from here, so
 * a metric is added in one place (plus a migration).
 */
import type { MonitoringSnapshot } from '../protocol/snapshot.js';

export type MetricKind =
  /** A number: can be aggregated over `every` buckets. */
  | 'number'
  /** Text (a host name, a mount point): shown as recorded. */
  | 'text'
  /** A list of numbers kept as JSON text (per-core usage). */
  | 'list';

export interface RecordedMetric {
  /** Column name, and the name `--metric` takes. */
  readonly name: string;
  readonly kind: MetricKind;
  /** SQLite column type. */
  readonly sqlType: 'REAL' | 'INTEGER' | 'TEXT';
  /** `%`, `bytes`, `°C`, `W`, or empty. */
  readonly unit: string;
  readonly description: string;
  /** The value to store; null when the server did not send a usable one. */
  read(snapshot: MonitoringSnapshot): number | string | null;
}

function metric(
  name: string,
  kind: MetricKind,
  sqlType: RecordedMetric['sqlType'],
  unit: string,
  description: string,
  read: (snapshot: MonitoringSnapshot) => number | string | null | undefined,
): RecordedMetric {
  return { name, kind, sqlType, unit, description, read: (snapshot) => read(snapshot) ?? null };
}

/** Every recorded metric, in column order. */
export const RECORDED_METRICS: readonly RecordedMetric[] = [
  metric('cpu', 'number', 'REAL', '%', 'CPU usage', (s) => s.cpu.usagePercent),
  metric('cpu_cores', 'list', 'TEXT', '%', 'usage of each logical core', (s) =>
    // JSON turns a core without a usable value (undefined) into null.
    s.cpu.perCoreUsagePercent === undefined ? null : JSON.stringify(s.cpu.perCoreUsagePercent),
  ),
  metric('cpu_temp', 'number', 'REAL', '°C', 'CPU temperature', (s) => s.cpu.temperatureCelsius),
  metric('memory', 'number', 'REAL', '%', 'memory usage', (s) => s.memory.usagePercent),
  metric('memory_used', 'number', 'INTEGER', 'bytes', 'memory used', (s) => s.memory.usedBytes),
  metric('memory_total', 'number', 'INTEGER', 'bytes', 'memory installed', (s) => s.memory.totalBytes),
  metric('disk', 'number', 'REAL', '%', 'disk usage', (s) => s.disk.usagePercent),
  metric('disk_used', 'number', 'INTEGER', 'bytes', 'disk space used', (s) => s.disk.usedBytes),
  metric('disk_total', 'number', 'INTEGER', 'bytes', 'disk size', (s) => s.disk.totalBytes),
  metric('disk_path', 'text', 'TEXT', '', 'mount point measured', (s) => s.disk.path),
  metric('gpu', 'number', 'REAL', '%', 'GPU usage', (s) => s.gpu?.usagePercent),
  metric('gpu_memory', 'number', 'REAL', '%', 'GPU memory usage', (s) => s.gpu?.memoryPercent),
  metric('gpu_temp', 'number', 'REAL', '°C', 'GPU temperature', (s) => s.gpu?.temperatureCelsius),
  metric('gpu_power', 'number', 'REAL', 'W', 'GPU power draw', (s) => s.gpu?.powerDrawWatts),
  metric(
    'hostname',
    'text',
    'TEXT',
    '',
    'host name the server reports',
    (s) => s.hostname ?? s.system?.hostname,
  ),
];

/** The metrics kept as numbers, in column order. */
export const NUMBER_METRICS: readonly RecordedMetric[] = RECORDED_METRICS.filter((m) => m.kind === 'number');
/** The metrics kept as text (text and lists), in column order. */
export const TEXT_METRICS: readonly RecordedMetric[] = RECORDED_METRICS.filter((m) => m.kind !== 'number');

/**
 * The recorder's hot path: writes the snapshot's number metrics to `numbers` from index `at`
 * (NaN for a value the server did not send: the normalizer never lets NaN through) and pushes
 * its text metrics to `texts`, in the order of {@link NUMBER_METRICS} and {@link TEXT_METRICS}.
 * Written out rather than calling each `read`; a test keeps the two equal.
 */
export function writeMetrics(
  snapshot: MonitoringSnapshot,
  numbers: Float64Array,
  at: number,
  texts: (string | null)[],
): void {
  const { cpu, memory, disk, gpu } = snapshot;
  numbers[at] = cpu.usagePercent ?? Number.NaN;
  numbers[at + 1] = cpu.temperatureCelsius ?? Number.NaN;
  numbers[at + 2] = memory.usagePercent ?? Number.NaN;
  numbers[at + 3] = memory.usedBytes ?? Number.NaN;
  numbers[at + 4] = memory.totalBytes ?? Number.NaN;
  numbers[at + 5] = disk.usagePercent ?? Number.NaN;
  numbers[at + 6] = disk.usedBytes ?? Number.NaN;
  numbers[at + 7] = disk.totalBytes ?? Number.NaN;
  numbers[at + 8] = gpu?.usagePercent ?? Number.NaN;
  numbers[at + 9] = gpu?.memoryPercent ?? Number.NaN;
  numbers[at + 10] = gpu?.temperatureCelsius ?? Number.NaN;
  numbers[at + 11] = gpu?.powerDrawWatts ?? Number.NaN;
  const cores = cpu.perCoreUsagePercent;
  texts.push(
    cores === undefined ? null : JSON.stringify(cores),
    disk.path ?? null,
    snapshot.hostname ?? snapshot.system?.hostname ?? null,
  );
}

const BY_NAME = new Map(RECORDED_METRICS.map((m) => [m.name, m]));

/** The metric called `name`, or undefined. */
export function recordedMetric(name: string): RecordedMetric | undefined {
  return BY_NAME.get(name);
}

/** The metrics a query shows when none is named. */
export const DEFAULT_QUERY_METRICS: readonly string[] = ['cpu', 'memory', 'disk'];
