/**
 * The text of one value as the dashboard shows it, the same in every view: `n/a` for a
 * value the server did not send (as in the line formats), never 0. Pure.
 */
import { formatDuration, formatPercent, MISSING } from '../formatters/base-formatter.js';
import type { TargetRow, TargetStatus } from '../pipeline/target-row.js';
import { sanitizeForTerminal } from '../protocol/sanitize.js';

// Shared with the web page, in the one module it bundles.
export { STATUS_MARK } from './sort.js';

/** Short words for the fleet table. */
export const STATUS_SHORT: Readonly<Record<TargetStatus, string>> = {
  up: 'up',
  connecting: 'conn',
  stale: 'stale',
  reconnecting: 'reconn',
  down: 'down',
};

export function percentText(value: number | undefined): string {
  return formatPercent(value);
}

/** `41°C`, `n/a`. */
export function celsiusText(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? MISSING : `${Math.round(value)}°C`;
}

/** `0.4 ms`, `12 ms`, `1.2 s`: at most 6 characters; `n/a` before the first answered ping. */
export function rttText(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return MISSING;
  if (ms < 9.95) return `${ms.toFixed(1)} ms`;
  if (ms < 999.5) return `${Math.round(ms)} ms`;
  return ms < 99_950 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** `0.4s`, `1m 30s`; `n/a` before the first data. */
export function ageText(seconds: number | null): string {
  return seconds === null ? MISSING : formatDuration(seconds);
}

/** `45 W`, `n/a`. */
export function wattsText(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? MISSING : `${value.toFixed(1)} W`;
}

/** The hottest temperature a target sent (CPU or GPU). */
export function hottest(row: TargetRow): number | undefined {
  const cpu = row.snapshot?.cpu.temperatureCelsius;
  const gpu = row.snapshot?.gpu?.temperatureCelsius;
  if (cpu === undefined) return gpu;
  if (gpu === undefined) return cpu;
  return Math.max(cpu, gpu);
}

/** Alerts on a target now: the server's own, and our rules' that fire. */
export function alertCount(row: TargetRow): number {
  return row.serverAlerts.length + row.firingAlerts.length;
}

/** The most severe level among a target's alerts: `CRITICAL`, `WARNING`, or undefined. */
export function alertLevel(row: TargetRow): 'CRITICAL' | 'WARNING' | undefined {
  let level: 'CRITICAL' | 'WARNING' | undefined;
  for (const alert of row.serverAlerts) {
    const upper = alert.level?.toUpperCase();
    if (upper === 'CRITICAL') return 'CRITICAL';
    if (upper === 'WARNING') level = 'WARNING';
  }
  for (const alert of row.firingAlerts) {
    if (alert.severity === 'critical') return 'CRITICAL';
    level = 'WARNING';
  }
  return level;
}

/** The host a target reports, display-safe; `n/a` before it said. */
export function hostText(row: TargetRow): string {
  return row.host === undefined || row.host === '' ? MISSING : sanitizeForTerminal(row.host);
}

/** `Linux 6.18.44 (x86_64)`, or `n/a`. */
export function osText(row: TargetRow): string {
  const system = row.snapshot?.system;
  if (system === undefined) return MISSING;
  let os = system.osName ?? '';
  if (system.osRelease) os += os === '' ? system.osRelease : ` ${system.osRelease}`;
  if (system.architecture) os += os === '' ? system.architecture : ` (${system.architecture})`;
  return os === '' ? MISSING : sanitizeForTerminal(os);
}

/**
 * `text` cut or padded with spaces to exactly `width` code points; a cut ends with `…`.
 * For text of known, narrow characters (numbers, units, marks); names and host names go
 * through ink's own width-aware truncation instead.
 */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  const chars = Array.from(text);
  if (chars.length > width) return `${chars.slice(0, width - 1).join('')}…`;
  const pad = ' '.repeat(width - chars.length);
  return align === 'left' ? text + pad : pad + text;
}
