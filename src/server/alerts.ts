/**
 * Threshold alerts, in the shape the Python server puts in a `monitoring_data` message's
 * top-level `alerts` list (see the fixture `monitoring_data_alerts.json`).
 */
import { InvalidOptionError } from '../errors.js';
import type { RealMonitoringData, WireAlert, WireTimestamp } from '../protocol/messages.js';

/** Usage percentages (0..100) from which an alert is raised; a value equal to a threshold crosses it. */
export interface AlertThresholds {
  /** Memory usage % for a WARNING alert. Default 80. */
  memoryWarning: number;
  /** Memory usage % for a CRITICAL alert. Default 90. */
  memoryCritical: number;
  /** Disk usage % for a WARNING alert. Default 85. */
  diskWarning: number;
  /** Disk usage % for a CRITICAL alert. Default 95. */
  diskCritical: number;
}

/** The Python server's thresholds. */
export const DEFAULT_ALERT_THRESHOLDS: Readonly<AlertThresholds> = Object.freeze({
  memoryWarning: 80,
  memoryCritical: 90,
  diskWarning: 85,
  diskCritical: 95,
});

const THRESHOLD_KEYS = ['memoryWarning', 'memoryCritical', 'diskWarning', 'diskCritical'] as const;

/** The name each threshold has in error messages; the CLI passes its flag names. */
export type ThresholdNames = Record<keyof AlertThresholds, string>;

const OPTION_NAMES: ThresholdNames = {
  memoryWarning: 'thresholds.memoryWarning',
  memoryCritical: 'thresholds.memoryCritical',
  diskWarning: 'thresholds.diskWarning',
  diskCritical: 'thresholds.diskCritical',
};

/**
 * Fills the missing thresholds with the defaults and checks them: each a percentage from
 * 0 to 100, and each warning at most its critical.
 * @throws InvalidOptionError naming the threshold (as `names` spells it), its value and what is allowed.
 */
export function resolveThresholds(
  partial: Partial<AlertThresholds> = {},
  names: ThresholdNames = OPTION_NAMES,
): AlertThresholds {
  if (partial === null || typeof partial !== 'object') {
    throw new InvalidOptionError('thresholds', partial, 'an object of percentages');
  }
  const resolved = { ...DEFAULT_ALERT_THRESHOLDS };
  for (const key of THRESHOLD_KEYS) {
    const value = partial[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
      throw new InvalidOptionError(names[key], value, 'a percentage from 0 to 100');
    }
    resolved[key] = value;
  }
  for (const [warning, critical] of [
    ['memoryWarning', 'memoryCritical'],
    ['diskWarning', 'diskCritical'],
  ] as const) {
    if (resolved[warning] > resolved[critical]) {
      // Name the one the caller set, so the message points at what to change.
      const blamed = partial[warning] !== undefined ? warning : critical;
      const allowed =
        blamed === warning
          ? `a percentage no higher than ${names[critical]}, ${resolved[critical]}`
          : `a percentage no lower than ${names[warning]}, ${resolved[warning]}`;
      throw new InvalidOptionError(names[blamed], resolved[blamed], allowed);
    }
  }
  return resolved;
}

/** Writes a percentage as Python writes a float: `90.0`, `91.3`, `85.25`. */
function formatPercent(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

function check(
  component: 'memory' | 'disk',
  value: unknown,
  warning: number,
  critical: number,
  timestamp: WireTimestamp,
): WireAlert | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const level = value >= critical ? 'CRITICAL' : value >= warning ? 'WARNING' : undefined;
  if (level === undefined) return undefined;
  const threshold = level === 'CRITICAL' ? critical : warning;
  const adjective = level === 'CRITICAL' ? 'Critical' : 'High';
  return {
    timestamp,
    component,
    metric: 'usage_percent',
    value,
    threshold,
    level,
    message: `${adjective} ${component} usage: ${formatPercent(value)}% (threshold: ${formatPercent(threshold)}%)`,
  };
}

/**
 * The alerts for one collection: at most one per component (the higher level wins), memory
 * first, then disk. Empty when nothing crosses a threshold; a missing or non-finite
 * percentage raises nothing.
 * @param timestamp the message's timestamp, repeated in each alert as the Python server does.
 */
export function checkAlerts(
  data: RealMonitoringData,
  thresholds: AlertThresholds,
  timestamp: WireTimestamp,
): WireAlert[] {
  const alerts: WireAlert[] = [];
  const memory = check(
    'memory',
    data.memory?.percentage,
    thresholds.memoryWarning,
    thresholds.memoryCritical,
    timestamp,
  );
  if (memory) alerts.push(memory);
  const disk = check(
    'disk',
    data.disk?.percentage,
    thresholds.diskWarning,
    thresholds.diskCritical,
    timestamp,
  );
  if (disk) alerts.push(disk);
  return alerts;
}
