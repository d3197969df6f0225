/**
 * The CLI's logger: timestamped, levelled lines on stderr (`--verbose` or
 * MONITORING_LOG_LEVEL) and/or in a rotated file (`--log-file`). Every line passes through
 * the secret redactor. Saved data never goes through here.
 */
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import type { LogLevel } from '../config.js';
import { type Logger, silentLogger } from '../logger.js';
import { sanitizeForTerminal } from '../protocol/sanitize.js';
import { RotatingWriter } from '../save-data/rotating-writer.js';
import { systemClock } from '../transport/clock.js';

const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };
/** Size at which the log file rotates (10 MiB), and rotated files kept (`FILE.1` to `FILE.5`). */
const LOG_FILE_SIZE = 10 * 1024 * 1024;
const LOG_FILE_KEEP = 5;
/** Log lines waiting for a slow disk beyond which new ones are dropped (counted, then said). */
const LOG_FILE_MAX_PENDING = 4 * 1024 * 1024;
/** stderr lines kept while they are held (see `holdStderr`). */
export const MAX_HELD_LINES = 1000;

export interface CliLoggerOptions {
  /** Lowest level written to stderr; undefined writes nothing there. */
  stderrLevel?: LogLevel;
  stderr: Writable | NodeJS.WritableStream;
  /** Log file path and its lowest level. */
  file?: { path: string; level: LogLevel };
  redact: (text: string) => string;
  /**
   * Hold the stderr lines instead of writing them, and write them at `close()`: while the
   * terminal dashboard owns the screen, a line on stderr would be drawn over it. At most
   * {@link MAX_HELD_LINES} are kept (the newest), the others counted.
   */
  holdStderr?: boolean;
}

export interface CliLogger extends Logger {
  close(): Promise<void>;
}

export function createCliLogger(options: CliLoggerOptions): CliLogger {
  const stderrRank = options.stderrLevel ? RANK[options.stderrLevel] : Number.POSITIVE_INFINITY;
  let file: RotatingWriter | undefined;
  let fileRank = Number.POSITIVE_INFINITY;
  let dropped = 0;
  if (options.file) {
    const { path, level } = options.file;
    // The same writer as save-data: created 0600, never through another user's symbolic link.
    file = new RotatingWriter({
      path: resolve(path),
      maxSize: LOG_FILE_SIZE,
      maxFiles: LOG_FILE_KEEP,
      clock: systemClock,
      logger: silentLogger,
      label: 'log file',
      errorOf: (reason) => new Error(`log file ${path}: ${reason}`),
      onError: (error) => options.stderr.write(`monitoring-websocket-client: ${error.message}\n`),
      retryDelay: 5000,
      checkInterval: 0,
      maxPendingBytes: LOG_FILE_MAX_PENDING,
    });
    fileRank = RANK[level];
  }
  const minRank = Math.min(stderrRank, fileRank);
  const held: string[] = [];
  let heldDropped = 0;
  const toStderr = (line: string): void => {
    if (!options.holdStderr) {
      options.stderr.write(line);
      return;
    }
    if (held.length === MAX_HELD_LINES) {
      held.shift();
      heldDropped++;
    }
    held.push(line);
  };

  const toFile = (line: string): void => {
    if (file === undefined) return;
    // Logs never hold the data back: while the disk is behind, lines are dropped and counted.
    if (file.congested) {
      dropped++;
      return;
    }
    if (dropped > 0) {
      file.write(
        `${new Date().toISOString()} WARNING ${dropped} log lines dropped: the disk was behind\n`,
        'event',
      );
      dropped = 0;
    }
    file.write(line, 'frame');
  };

  const log = (level: LogLevel, message: string, args: unknown[]): void => {
    const rank = RANK[level];
    if (rank < minRank) return;
    const extra = args.length > 0 ? ` ${args.map(describe).join(' ')}` : '';
    const line = `${new Date().toISOString()} ${level} ${options.redact(sanitizeForTerminal(message + extra))}\n`;
    if (rank >= stderrRank) toStderr(line);
    if (rank >= fileRank) toFile(line);
  };

  return {
    debug: (message, ...args) => log('DEBUG', message, args),
    info: (message, ...args) => log('INFO', message, args),
    warn: (message, ...args) => log('WARNING', message, args),
    error: (message, ...args) => log('ERROR', message, args),
    close: () => {
      if (heldDropped > 0) {
        options.stderr.write(`(${heldDropped} earlier log lines were dropped while the dashboard was on)\n`);
      }
      for (const line of held.splice(0)) options.stderr.write(line);
      heldDropped = 0;
      return file?.close() ?? Promise.resolve();
    },
  };
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
