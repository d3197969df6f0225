/**
 * Documented defaults of the monitoring client, and the one reader of the documented
 * environment variables. Times are in seconds, like the documentation and the CLI.
 */
import { InvalidOptionError } from './errors.js';
import { redactUri } from './redact.js';

/** Server the client connects to when none is given. */
export const DEFAULT_WEBSOCKET_URI = 'ws://localhost:8765';
/** Seconds between reconnection attempts. */
export const RECONNECT_INTERVAL = 5.0;
/** Seconds between WebSocket ping frames. */
export const PING_INTERVAL = 30.0;
/** Seconds to wait for a pong before the link is declared dead. */
export const PING_TIMEOUT = 10.0;
/** Reconnection attempts before giving up; `null` means unlimited. */
export const MAX_RECONNECT_ATTEMPTS: number | null = null;
/** Seconds allowed for the TCP + TLS + WebSocket handshake. */
export const CONNECT_TIMEOUT = 5.0;
/** Handshakes a fleet has in flight at once; the other targets wait their turn. */
export const MAX_CONNECTING = 100;
/**
 * Seconds after which a handshake still in flight stops counting against MAX_CONNECTING, so
 * that hosts that swallow packets do not hold up the others until their connect timeout.
 */
export const CONNECT_SLOT_HOLD_LIMIT = 1.0;

/** The output formats, by name. */
export const FORMAT_TYPES = ['simple', 'detailed', 'compact', 'json', 'jsonl', 'csv', 'influx'] as const;
export type FormatType = (typeof FORMAT_TYPES)[number];
export const DEFAULT_FORMAT_TYPE: FormatType = 'simple';

/** Usage percentage from which a value is shown as a warning. */
export const THRESHOLD_WARNING = 80.0;
/** Usage percentage from which a value is shown as critical. */
export const THRESHOLD_CRITICAL = 90.0;
/** Characters in a progress bar of the detailed format. */
export const PROGRESS_BAR_LENGTH = 20;
/** strftime-style pattern of the time shown by the formats (HH:MM:SS). */
export const TIME_FORMAT = '%H:%M:%S';
/** Indentation of the `json` format. */
export const JSON_INDENT_LEVEL = 2;

/** Messages kept in memory when history is on; the oldest is dropped first. */
export const MAX_HISTORY_SIZE = 1000;
/** Size in bytes at which the save-data file is rotated (10 MiB). */
export const LOG_ROTATION_SIZE = 10 * 1024 * 1024;
/** Rotated save-data files kept beside the current one. */
export const LOG_ROTATION_KEEP = 5;
/** Errors kept in the statistics' `errorHistory`. */
export const ERROR_HISTORY_LIMIT = 5;

/** Seconds allowed for a graceful operation such as `stop()` before it is forced. */
export const OPERATION_TIMEOUT = 5.0;
/** Seconds allowed for one `send()` to be flushed to the socket. */
export const SEND_TIMEOUT = 5.0;
/**
 * Largest frame accepted, in bytes (1 MiB). A monitoring message is 1-2 KB; a bigger frame
 * comes from a broken server and is refused before it can exhaust memory.
 */
export const MAX_PAYLOAD = 1024 * 1024;

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What the documented environment variables set; each is absent when its variable is unset or empty. */
export interface EnvironmentConfig {
  /** From `MONITORING_WEBSOCKET_URI`. */
  uri?: string;
  /** From `MONITORING_FORMAT`. */
  format?: FormatType;
  /** From `MONITORING_LOG_LEVEL` (`WARN` is read as `WARNING`). */
  logLevel?: LogLevel;
  /** From `MONITORING_LOG_FILE`. */
  logFile?: string;
}

/** True when `uri` is an absolute `ws://` or `wss://` URL with a host. */
export function isWebSocketUri(uri: string): boolean {
  try {
    const url = new URL(uri);
    return (url.protocol === 'ws:' || url.protocol === 'wss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * Reads the documented environment variables, validated.
 * @throws InvalidOptionError naming the variable, its value and what is allowed.
 */
export function readEnvironmentConfig(env: NodeJS.ProcessEnv = process.env): EnvironmentConfig {
  const config: EnvironmentConfig = {};
  const uri = env.MONITORING_WEBSOCKET_URI?.trim();
  if (uri) {
    if (!isWebSocketUri(uri)) {
      throw new InvalidOptionError('MONITORING_WEBSOCKET_URI', redactUri(uri), 'a ws:// or wss:// URI');
    }
    config.uri = uri;
  }
  const format = env.MONITORING_FORMAT?.trim().toLowerCase();
  if (format) {
    if (!(FORMAT_TYPES as readonly string[]).includes(format)) {
      throw new InvalidOptionError('MONITORING_FORMAT', format, `one of ${FORMAT_TYPES.join(', ')}`);
    }
    config.format = format as FormatType;
  }
  const level = env.MONITORING_LOG_LEVEL?.trim().toUpperCase();
  if (level) {
    const normalized = level === 'WARN' ? 'WARNING' : level;
    if (!(LOG_LEVELS as readonly string[]).includes(normalized)) {
      throw new InvalidOptionError('MONITORING_LOG_LEVEL', level, `one of ${LOG_LEVELS.join(', ')}`);
    }
    config.logLevel = normalized as LogLevel;
  }
  const logFile = env.MONITORING_LOG_FILE?.trim();
  if (logFile) config.logFile = logFile;
  return config;
}
