/**
 * The metrics a rule may test, and how each is read from a normalized snapshot. A metric the
 * server did not send (no GPU, no temperature sensor) reads as `undefined`: no observation,
 * which neither fires nor resolves a rule.
 */
import type { MonitoringSnapshot } from '../protocol/snapshot.js';

export const ALERT_METRICS = [
  'cpu',
  'memory',
  'disk',
  'gpu',
  'gpu_memory',
  'gpu_temperature',
  'cpu_temperature',
] as const;

export type AlertMetric = (typeof ALERT_METRICS)[number];

export function isAlertMetric(name: string): name is AlertMetric {
  return (ALERT_METRICS as readonly string[]).includes(name);
}

/** The unit of a metric, as shown in alert texts: percentages or degrees Celsius. */
export function metricUnit(metric: AlertMetric): '%' | '°C' {
  return metric === 'gpu_temperature' || metric === 'cpu_temperature' ? '°C' : '%';
}

/** The lowest and highest value a metric can take (what the normalizer lets through). */
export function metricRange(metric: AlertMetric): { min: number; max: number } {
  return metricUnit(metric) === '%' ? { min: 0, max: 100 } : { min: -273.15, max: 1000 };
}

/** The value of `metric` in `snapshot`, or undefined when the server did not send a usable one. */
export function metricValue(snapshot: MonitoringSnapshot, metric: AlertMetric): number | undefined {
  switch (metric) {
    case 'cpu':
      return snapshot.cpu.usagePercent;
    case 'memory':
      return snapshot.memory.usagePercent;
    case 'disk':
      return snapshot.disk.usagePercent;
    case 'gpu':
      return snapshot.gpu?.usagePercent;
    case 'gpu_memory':
      return snapshot.gpu?.memoryPercent;
    case 'gpu_temperature':
      return snapshot.gpu?.temperatureCelsius;
    case 'cpu_temperature':
      return snapshot.cpu.temperatureCelsius;
  }
}

/** The position of `metric` in {@link ALERT_METRICS}, and in what {@link readMetrics} fills. */
export function metricIndex(metric: AlertMetric): number {
  return ALERT_METRICS.indexOf(metric);
}

/**
 * Every metric of `snapshot` at once, into `into` in the order of {@link ALERT_METRICS}, NaN
 * for a metric not sent (the normalizer never lets NaN through as a value): the alert sink
 * reads each value once per record, however many rules test it, into numbers that need no
 * allocation.
 */
export function readMetrics(snapshot: MonitoringSnapshot, into: Float64Array): void {
  const gpu = snapshot.gpu;
  into[0] = snapshot.cpu.usagePercent ?? Number.NaN;
  into[1] = snapshot.memory.usagePercent ?? Number.NaN;
  into[2] = snapshot.disk.usagePercent ?? Number.NaN;
  into[3] = gpu?.usagePercent ?? Number.NaN;
  into[4] = gpu?.memoryPercent ?? Number.NaN;
  into[5] = gpu?.temperatureCelsius ?? Number.NaN;
  into[6] = snapshot.cpu.temperatureCelsius ?? Number.NaN;
}
