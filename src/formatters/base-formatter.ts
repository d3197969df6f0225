/**
 * What every output format shares: the abstract {@link BaseFormatter}, and the small helpers
 * the formats build their records from (bytes, durations, percentages, progress bars,
 * colour by threshold). The helpers are also exported as plain functions.
 *
 * Formatters run once per message, so they build strings by concatenation and allocate no
 * regex, colour function or closure per call.
 */
import { PROGRESS_BAR_LENGTH, THRESHOLD_CRITICAL, THRESHOLD_WARNING } from '../config.js';
import type { ParsedMessage } from '../protocol/frame.js';
import { sanitizeForTerminal, sanitizeNotice } from '../protocol/sanitize.js';
import type { AlertSnapshot, MonitoringSnapshot } from '../protocol/snapshot.js';
import { type Paint, type Palette, palette } from './colors.js';

export interface FormatterOptions {
  /** Colour the output with ANSI escape codes. The CLI and the client decide when. @default false */
  color?: boolean;
  /**
   * Prefix each record with `[source] ` when the snapshot has a `source`, to tell apart the
   * servers of a process that watches several. @default false
   */
  showSource?: boolean;
}

/** How a usage percentage compares with {@link THRESHOLD_WARNING} and {@link THRESHOLD_CRITICAL}. */
export type UsageStatus = 'Normal' | 'Warning' | 'Critical' | 'n/a';

/** What every format prints for a value the server did not send. */
export const MISSING = 'n/a';

// ---- plain helpers ------------------------------------------------------------------------

// Binary multiples under the names the documentation uses ("8.2/13.1 GB" for 8.2 GiB),
// like the original client.
const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'] as const;

function isNumber(value: number | undefined): value is number {
  return value !== undefined && !Number.isNaN(value);
}

/** Index in {@link BYTE_UNITS} of the unit `bytes` is shown in. */
function byteUnitIndex(bytes: number): number {
  let index = 0;
  let value = bytes;
  while (value >= 1024 && index < BYTE_UNITS.length - 1) {
    value /= 1024;
    index++;
  }
  // 1023.96 KB would print as "1024 KB": show it in the next unit instead.
  if (index > 0 && index < BYTE_UNITS.length - 1 && Math.round(value * 10) >= 10240) index++;
  return index;
}

/** One decimal, without a trailing ".0" ("8.2", "500"). */
function oneDecimal(value: number): string {
  const text = value.toFixed(1);
  return text.endsWith('.0') ? text.slice(0, -2) : text;
}

function scaled(bytes: number, unitIndex: number): string {
  return unitIndex === 0 ? String(Math.round(bytes)) : oneDecimal(bytes / 1024 ** unitIndex);
}

/**
 * A byte count in binary multiples with at most one decimal: `512 B`, `1.5 KB`, `8.2 GB`
 * (1 GB = 1024³ bytes, as in the documentation). `n/a` when missing or negative.
 */
export function formatBytes(bytes: number | undefined): string {
  if (!isNumber(bytes) || bytes < 0 || bytes === Number.POSITIVE_INFINITY) return MISSING;
  const index = byteUnitIndex(bytes);
  return `${scaled(bytes, index)} ${BYTE_UNITS[index]}`;
}

/**
 * `used/total` sharing one unit when both print in it (`8.2/13.1 GB`, as in the
 * documentation), else each with its own (`125.4 MB/23.5 GB`). `undefined` when both are
 * missing; a single missing side prints `n/a` (`n/a / 13.1 GB`).
 */
export function formatBytePair(used: number | undefined, total: number | undefined): string | undefined {
  const hasUsed = isNumber(used) && used >= 0;
  const hasTotal = isNumber(total) && total >= 0;
  if (!hasUsed && !hasTotal) return undefined;
  if (!hasUsed || !hasTotal) return `${formatBytes(used)} / ${formatBytes(total)}`;
  const unit = byteUnitIndex(total);
  if (byteUnitIndex(used) !== unit) return `${formatBytes(used)}/${formatBytes(total)}`;
  return `${scaled(used, unit)}/${scaled(total, unit)} ${BYTE_UNITS[unit]}`;
}

/**
 * A duration, exact to the second from one minute on: `0s`, `0.5s`, `45s`, `1m 30s`,
 * `1h 0m 0s`, `1h 1m 1s`, `2d 3h 0m 5s`. Below a minute, tenths are kept (`12.3s`).
 * `n/a` when missing or negative.
 */
export function formatDuration(seconds: number | undefined): string {
  if (!isNumber(seconds) || seconds < 0 || seconds === Number.POSITIVE_INFINITY) return MISSING;
  const tenths = Math.round(seconds * 10);
  // An integer divided by ten prints with at most one decimal.
  if (tenths < 600) return `${tenths / 10}s`;
  let rest = Math.round(seconds);
  const days = Math.floor(rest / 86400);
  rest -= days * 86400;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const secs = rest - minutes * 60;
  if (days > 0) return `${days}d ${hours}h ${minutes}m ${secs}s`;
  if (hours > 0) return `${hours}h ${minutes}m ${secs}s`;
  return `${minutes}m ${secs}s`;
}

/** `45.2%` with `digits` decimals; `n/a` when missing. */
export function formatPercent(value: number | undefined, digits = 1): string {
  return isNumber(value) ? `${value.toFixed(digits)}%` : MISSING;
}

const BAR_FILLED = '█';
const BAR_EMPTY = '▒';
// Every bar of the default length, built once: a record then only indexes this table.
const DEFAULT_BARS: readonly string[] = Array.from(
  { length: PROGRESS_BAR_LENGTH + 1 },
  (_, filled) => BAR_FILLED.repeat(filled) + BAR_EMPTY.repeat(PROGRESS_BAR_LENGTH - filled),
);
const DEFAULT_UNKNOWN_BAR = ' '.repeat(PROGRESS_BAR_LENGTH);

/**
 * A bar of `length` characters, `round(percent / 100 × length)` of them filled (`█`), the
 * rest empty (`▒`). The percentage is clamped to 0..100. A missing value gives a bar of
 * spaces, so that it never reads as 0 %.
 */
export function progressBar(percent: number | undefined, length: number = PROGRESS_BAR_LENGTH): string {
  const size = length === PROGRESS_BAR_LENGTH ? length : Math.max(0, Math.floor(length) || 0);
  if (!isNumber(percent)) return size === PROGRESS_BAR_LENGTH ? DEFAULT_UNKNOWN_BAR : ' '.repeat(size);
  const clamped = percent < 0 ? 0 : percent > 100 ? 100 : percent;
  const filled = Math.round((clamped / 100) * size);
  if (size === PROGRESS_BAR_LENGTH) return DEFAULT_BARS[filled]!;
  return BAR_FILLED.repeat(filled) + BAR_EMPTY.repeat(size - filled);
}

/** `Normal` below {@link THRESHOLD_WARNING}, `Critical` from {@link THRESHOLD_CRITICAL}, `Warning` between. */
export function usageStatus(percent: number | undefined): UsageStatus {
  if (!isNumber(percent)) return MISSING;
  if (percent >= THRESHOLD_CRITICAL) return 'Critical';
  if (percent >= THRESHOLD_WARNING) return 'Warning';
  return 'Normal';
}

const ISO_LIKE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}/;
const CLOCK_LIKE = /^\d{2}:\d{2}:\d{2}/;

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/** `HH:MM:SS` of `epochMs` in local time. */
export function localClockTime(epochMs: number): string {
  const date = new Date(epochMs);
  return `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
}

/**
 * `HH:MM:SS` taken from the characters of an ISO-like timestamp (`2025-01-03T14:30:25...`)
 * or of a clock time, without any time-zone conversion, so the output is deterministic.
 * `undefined` for anything else.
 */
export function clockTimeOf(timestamp: string | undefined): string | undefined {
  if (timestamp === undefined) return undefined;
  if (ISO_LIKE.test(timestamp)) return timestamp.slice(11, 19);
  if (CLOCK_LIKE.test(timestamp)) return timestamp.slice(0, 8);
  return undefined;
}

/** `YYYY-MM-DD HH:MM:SS` of `date` in local time. */
function localDateTime(date: Date): string {
  if (Number.isNaN(date.getTime())) return MISSING;
  return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())} ${localClockTime(date.getTime())}`;
}

/** The text of an error given as a string, an Error, or (from JavaScript) anything else. */
export function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

// ---- statistics ------------------------------------------------------------------------------

type StatKind = 'count' | 'bytes' | 'duration' | 'time' | 'ms' | 'text' | 'error' | 'errors';

interface StatField {
  /** Accepted names, camelCase (snake_case keys are matched after conversion). */
  keys: readonly string[];
  label: string;
  kind: StatKind;
}

/** The fields of MonitoringClientStatistics (ConnectionStatistics and the client's own), in print order. */
const CONNECTION_FIELDS: readonly StatField[] = [
  { keys: ['currentState'], label: 'State', kind: 'text' },
  { keys: ['messagesReceived'], label: 'Messages received', kind: 'count' },
  { keys: ['messagesSent'], label: 'Messages sent', kind: 'count' },
  { keys: ['bytesReceived'], label: 'Bytes received', kind: 'bytes' },
  { keys: ['bytesSent'], label: 'Bytes sent', kind: 'bytes' },
  { keys: ['invalidMessages'], label: 'Invalid messages', kind: 'count' },
  { keys: ['connectionStart'], label: 'First connected', kind: 'time' },
  { keys: ['uptimeSeconds'], label: 'Uptime', kind: 'duration' },
  { keys: ['reconnectAttempts'], label: 'Reconnect attempts', kind: 'count' },
  { keys: ['totalDisconnections'], label: 'Disconnections', kind: 'count' },
  { keys: ['lastMessageAt'], label: 'Last message', kind: 'time' },
  { keys: ['lastPingRttMs'], label: 'Last ping RTT', kind: 'ms' },
  { keys: ['errorCount'], label: 'Errors', kind: 'count' },
  { keys: ['lastError'], label: 'Last error', kind: 'error' },
  { keys: ['errorHistory'], label: 'Error history', kind: 'errors' },
  { keys: ['handlerErrors'], label: 'Handler errors', kind: 'count' },
  { keys: ['recordsDisplayed'], label: 'Records displayed', kind: 'count' },
  { keys: ['dataQualityWarnings'], label: 'Data quality warnings', kind: 'count' },
  { keys: ['callbackErrors'], label: 'Callback errors', kind: 'count' },
];

/** The fields of the save-data statistics (SaveDataStats), in print order. */
const LOGGING_FIELDS: readonly StatField[] = [
  { keys: ['messagesWritten'], label: 'Messages written', kind: 'count' },
  { keys: ['messagesLost'], label: 'Messages lost', kind: 'count' },
  { keys: ['messageCount'], label: 'Messages taken', kind: 'count' },
  { keys: ['bytesWritten'], label: 'Bytes written', kind: 'bytes' },
  { keys: ['pendingBytes'], label: 'Pending', kind: 'bytes' },
  { keys: ['logFile'], label: 'File', kind: 'text' },
  { keys: ['rotations'], label: 'Rotations', kind: 'count' },
  { keys: ['writeErrors'], label: 'Write errors', kind: 'count' },
  { keys: ['lastError'], label: 'Last write error', kind: 'error' },
];

const SNAKE_PART = /_([a-z0-9])/g;
const CAMEL_HUMP = /([a-z0-9])([A-Z])/g;

function upperSecond(_match: string, letter: string): string {
  return letter.toUpperCase();
}

/** Statistics keyed in camelCase, whichever case they came in. */
function camelEntries(stats: Record<string, unknown>): Map<string, unknown> {
  const entries = new Map<string, unknown>();
  for (const key of Object.keys(stats)) {
    entries.set(key.includes('_') ? key.replace(SNAKE_PART, upperSecond) : key, stats[key]);
  }
  return entries;
}

/** `lastWriteAt` → `Last write at`, for statistics this file does not know. */
function humanize(key: string): string {
  const words = key.replace(CAMEL_HUMP, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function displayTime(value: unknown): string {
  if (value === null || value === undefined) return 'never';
  if (value instanceof Date) return localDateTime(value);
  if (typeof value === 'number') return localDateTime(new Date(value));
  // The statistics give ISO 8601 strings (UTC): shown in local time like the rest.
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return localDateTime(new Date(value));
  return displayValue(value);
}

function displayError(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    const text = sanitizeForTerminal(value.message || value.name);
    return typeof code === 'string' ? `${text} [${sanitizeForTerminal(code)}]` : text;
  }
  if (typeof value === 'object') {
    const { error, type } = value as { error?: unknown; type?: unknown };
    if (error !== undefined) {
      const text = error instanceof Error ? displayError(error) : displayValue(error);
      return typeof type === 'string' && type !== '' ? `${sanitizeForTerminal(type)}: ${text}` : text;
    }
  }
  return displayValue(value);
}

function displayValue(value: unknown): string {
  if (value === null || value === undefined) return MISSING;
  if (typeof value === 'string') return sanitizeForTerminal(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value instanceof Date) return localDateTime(value);
  if (value instanceof Error) return displayError(value);
  try {
    return sanitizeForTerminal(JSON.stringify(value) ?? typeof value);
  } catch {
    return typeof value;
  }
}

function displayStat(kind: StatKind, value: unknown): string {
  switch (kind) {
    case 'count':
      return displayValue(value);
    case 'bytes':
      return typeof value === 'number' ? formatBytes(value) : displayValue(value);
    case 'duration':
      return typeof value === 'number' ? formatDuration(value) : displayValue(value);
    case 'time':
      return displayTime(value);
    case 'ms':
      return typeof value === 'number' && Number.isFinite(value)
        ? `${value.toFixed(1)} ms`
        : displayValue(value);
    case 'error':
      return displayError(value);
    default:
      return displayValue(value);
  }
}

/** Appends `label: value` lines for the known fields, then for any other entry. */
function statLines(
  lines: string[],
  entries: Map<string, unknown>,
  fields: readonly StatField[],
  indent: string,
): void {
  for (const field of fields) {
    let found = false;
    let value: unknown;
    for (const key of field.keys) {
      if (!found && entries.has(key)) {
        found = true;
        value = entries.get(key);
      }
      entries.delete(key);
    }
    if (!found) continue;
    if (field.kind === 'errors') {
      const history = Array.isArray(value) ? value : [];
      if (history.length === 0) {
        lines.push(`${indent}${field.label}: none`);
        continue;
      }
      lines.push(`${indent}${field.label}:`);
      for (const entry of history) {
        const at =
          entry !== null && typeof entry === 'object' && 'timestamp' in entry
            ? `${displayTime((entry as { timestamp: unknown }).timestamp)} `
            : '';
        lines.push(`${indent}  - ${at}${displayError(entry)}`);
      }
      continue;
    }
    lines.push(`${indent}${field.label}: ${displayStat(field.kind, value)}`);
  }
  for (const [key, value] of entries) {
    lines.push(`${indent}${sanitizeForTerminal(humanize(key))}: ${displayValue(value)}`);
  }
}

// ---- the base class ---------------------------------------------------------------------------

/**
 * Base of every output format. A subclass implements {@link formatMonitoringData}; the
 * other methods have readable defaults that a subclass may override. Every string that may
 * come from a server goes through `sanitizeForTerminal` before it is returned.
 *
 * @example
 * class CpuOnly extends BaseFormatter {
 *   formatMonitoringData(snapshot: MonitoringSnapshot): string {
 *     return `${this.timeOf(snapshot)} ${this.colorByThreshold(this.formatPercent(snapshot.cpu.usagePercent), snapshot.cpu.usagePercent)}`;
 *   }
 * }
 */
export abstract class BaseFormatter {
  /** Whether the output holds ANSI colour codes. */
  readonly color: boolean;
  /** Whether records are prefixed with `[source] `. */
  readonly showSource: boolean;
  /**
   * Whether each record already shows the server's alerts; the client then does not repeat
   * them as a notice.
   */
  readonly recordsShowAlerts: boolean = false;
  /** Colour functions, chosen once; identity functions when {@link color} is off. */
  protected readonly palette: Palette;
  #lastSource: string | undefined;
  #lastPrefix = '';

  constructor(options: FormatterOptions = {}) {
    this.color = options.color === true;
    this.showSource = options.showSource === true;
    this.palette = palette(this.color);
  }

  /**
   * One record for one `monitoring_data` message, without a trailing newline (several lines
   * for some formats). `message` is the message as received, for formats that print it;
   * `raw`, when given, is its text exactly as received (valid JSON of `message`).
   */
  abstract formatMonitoringData(snapshot: MonitoringSnapshot, message: ParsedMessage, raw?: string): string;

  /**
   * A line written once, before the first record (the column names of `csv`); `undefined`
   * for the formats that have none. Whoever writes the records writes it.
   */
  header(): string | undefined {
    return undefined;
  }

  /** A connection notice from the server, e.g. `[16:46:29] ✓ Connected to monitoring server`. */
  formatConnectionMessage(message: string, timestamp?: string, source?: string): string {
    const time = clockTimeOf(timestamp);
    const text = `✓ ${sanitizeNotice(message)}`;
    return `${this.sourcePrefix(source)}${time === undefined ? '' : `[${time}] `}${this.palette.green(text)}`;
  }

  /**
   * An error, from the server or the client: `✗ Error: ...`, or `⚠ Warning: ...` when
   * `severity` is `warning`. The severity, when given, names the line.
   */
  formatError(error: string | Error, severity?: string, source?: string): string {
    const text = sanitizeNotice(errorText(error));
    const level = severity === undefined || severity === '' ? 'error' : sanitizeForTerminal(severity);
    const label = level.charAt(0).toUpperCase() + level.slice(1).toLowerCase();
    const isWarning = label === 'Warning' || label === 'Warn';
    const line = isWarning ? `⚠ ${label}: ${text}` : `✗ ${label}: ${text}`;
    return this.sourcePrefix(source) + (isWarning ? this.palette.yellow(line) : this.palette.red(line));
  }

  /**
   * The client's statistics as a readable block: `=== Statistics ===`, then one
   * `Label: value` line per entry (known entries first, in a fixed order), then the
   * save-data statistics found under `logging`. Accepts camelCase or snake_case keys, and
   * any object (a statistics interface need not declare an index signature).
   */
  formatStatistics(stats: object): string {
    const entries = camelEntries(stats as Record<string, unknown>);
    const logging = entries.get('logging');
    entries.delete('logging');
    const history = entries.get('history') as { size?: unknown; capacity?: unknown } | null | undefined;
    if (history !== null && typeof history === 'object') {
      entries.set('history', `${displayValue(history.size)}/${displayValue(history.capacity)} records`);
    } else {
      entries.delete('history');
    }
    const lines: string[] = [this.palette.bold('=== Statistics ===')];
    statLines(lines, entries, CONNECTION_FIELDS, '');
    if (logging !== null && typeof logging === 'object' && !Array.isArray(logging)) {
      lines.push('Saved data:');
      statLines(lines, camelEntries(logging as Record<string, unknown>), LOGGING_FIELDS, '  ');
    } else if (logging !== undefined && logging !== null) {
      lines.push(`Saved data: ${displayValue(logging)}`);
    }
    return lines.join('\n');
  }

  /** The server's alerts, one line each (`⚠ [CRITICAL] memory: ...`); `''` when there are none. */
  formatAlerts(alerts: readonly AlertSnapshot[], source?: string): string {
    if (alerts.length === 0) return '';
    const prefix = this.sourcePrefix(source);
    let out = '';
    for (let i = 0; i < alerts.length; i++) {
      if (i > 0) out += '\n';
      out += `${prefix}⚠ ${this.formatAlert(alerts[i]!)}`;
    }
    return out;
  }

  /** A notice of the client itself, e.g. `» reconnecting in 5 s (attempt 2)`. */
  formatNotice(text: string, source?: string): string {
    return this.sourcePrefix(source) + this.palette.cyan(`» ${sanitizeNotice(text)}`);
  }

  // ---- helpers for subclasses ----------------------------------------------------------------

  /** See {@link formatBytes}. */
  protected formatBytes(bytes: number | undefined): string {
    return formatBytes(bytes);
  }

  /** See {@link formatDuration}. */
  protected formatDuration(seconds: number | undefined): string {
    return formatDuration(seconds);
  }

  /** See {@link formatPercent}. */
  protected formatPercent(value: number | undefined, digits = 1): string {
    return formatPercent(value, digits);
  }

  /** See {@link progressBar}. */
  protected progressBar(percent: number | undefined, length: number = PROGRESS_BAR_LENGTH): string {
    return progressBar(percent, length);
  }

  /**
   * `text` in green below {@link THRESHOLD_WARNING}, yellow below {@link THRESHOLD_CRITICAL},
   * red from it; unchanged when colour is off or the value is missing.
   */
  protected colorByThreshold(text: string, percent: number | undefined): string {
    if (!this.color || !isNumber(percent)) return text;
    return this.thresholdPaint(percent)(text);
  }

  /** The colour function for `percent` (identity when colour is off). */
  protected thresholdPaint(percent: number): Paint {
    const colors = this.palette;
    if (percent >= THRESHOLD_CRITICAL) return colors.red;
    if (percent >= THRESHOLD_WARNING) return colors.yellow;
    return colors.green;
  }

  /** See {@link usageStatus}. */
  protected statusWord(percent: number | undefined): UsageStatus {
    return usageStatus(percent);
  }

  /**
   * `HH:MM:SS` of the record: from the server's timestamp when it is ISO-like (its
   * characters, no time-zone conversion), else the local time of receipt.
   */
  protected timeOf(snapshot: MonitoringSnapshot): string {
    return clockTimeOf(snapshot.timestamp) ?? localClockTime(snapshot.receivedAt);
  }

  /** `[source] ` when {@link showSource} is on and a source is given, else `''`. */
  protected sourcePrefix(source: string | undefined): string {
    if (!this.showSource || source === undefined || source === '') return '';
    // Records of one server follow each other: remember the last prefix built.
    if (source !== this.#lastSource) {
      this.#lastSource = source;
      this.#lastPrefix = `${this.palette.cyan(`[${sanitizeForTerminal(source)}]`)} `;
    }
    return this.#lastPrefix;
  }

  /** One alert without decoration: `[CRITICAL] memory: Critical memory usage: 91.3% ...`. */
  protected formatAlert(alert: AlertSnapshot): string {
    const level = alert.level === undefined ? 'ALERT' : sanitizeForTerminal(alert.level);
    const upper = level.toUpperCase();
    const tag =
      upper === 'CRITICAL'
        ? this.palette.red(`[${level}]`)
        : upper === 'WARNING'
          ? this.palette.yellow(`[${level}]`)
          : `[${level}]`;
    const component = alert.component === undefined ? '' : `${sanitizeForTerminal(alert.component)}: `;
    let text: string;
    if (alert.message !== undefined && alert.message !== '') {
      text = sanitizeForTerminal(alert.message);
    } else {
      const metric = alert.metric === undefined ? 'value' : sanitizeForTerminal(alert.metric);
      const value = alert.value === undefined ? MISSING : String(alert.value);
      const threshold = alert.threshold === undefined ? MISSING : String(alert.threshold);
      text = `${metric} ${value} (threshold: ${threshold})`;
    }
    return `${tag} ${component}${text}`;
  }
}
