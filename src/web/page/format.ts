/**
 * How the page writes values: the same units and "n/a" as the line formats and the terminal
 * dashboard, and the same thresholds for colour (warning from 80 %, critical from 90 %).
 */

export const THRESHOLD_WARNING = 80;
export const THRESHOLD_CRITICAL = 90;

export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? 'n/a' : `${value.toFixed(1)}%`;
}

export function celsius(value: number | null | undefined): string {
  return value === null || value === undefined ? 'n/a' : `${value.toFixed(1)}°C`;
}

export function milliseconds(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'n/a';
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}

/** `5s`, `2m 05s`, `3h 07m`, `2d 04h`. */
export function age(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return 'n/a';
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d ${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}

/** Binary multiples, as the line formats: 1 GB = 1024³ bytes. */
export function bytes(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'n/a';
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let amount = value;
  let unit = 0;
  while (amount >= 1024 && unit < units.length - 1) {
    amount /= 1024;
    unit++;
  }
  return `${unit === 0 ? amount : amount.toFixed(1)} ${units[unit]}`;
}

/** CSS class of a usage level. */
export function levelClass(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'lvl-none';
  if (value >= THRESHOLD_CRITICAL) return 'lvl-crit';
  if (value >= THRESHOLD_WARNING) return 'lvl-warn';
  return 'lvl-ok';
}

const BARS = '▁▂▃▄▅▆▇█';

/** A text sparkline of percentages: one block per value, a space where a value is missing. */
export function sparkline(values: readonly (number | null)[], width: number): string {
  let out = '';
  for (let i = Math.max(0, values.length - width); i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) out += ' ';
    else out += BARS[Math.min(BARS.length - 1, Math.max(0, Math.floor((value / 100) * BARS.length)))];
  }
  return out;
}
