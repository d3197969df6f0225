/**
 * The CLI's logger: timestamped, levelled lines on stderr (`--verbose` or
 * MONITORING_LOG_LEVEL) and/or in a rotated file (`--log-file`). Every line passes through
 * the secret redactor. Saved data never goes through here.
 */
import type { Writable } from 'node:stream';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import type { LogLevel } from '../config.js';
import type { Logger } from '../logger.js';
import { sanitizeForTerminal } from '../protocol/sanitize.js';

const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };
/** Size at which the log file rotates, and files kept. */
const LOG_FILE_SIZE = '10M';
const LOG_FILE_KEEP = 5;

export interface CliLoggerOptions {
  /** Lowest level written to stderr; undefined writes nothing there. */
  stderrLevel?: LogLevel;
  stderr: Writable | NodeJS.WritableStream;
  /** Log file path and its lowest level. */
  file?: { path: string; level: LogLevel };
  redact: (text: string) => string;
}

export interface CliLogger extends Logger {
  close(): Promise<void>;
}

export function createCliLogger(options: CliLoggerOptions): CliLogger {
  const stderrRank = options.stderrLevel ? RANK[options.stderrLevel] : Number.POSITIVE_INFINITY;
  let file: RotatingFileStream | undefined;
  let fileRank = Number.POSITIVE_INFINITY;
  if (options.file) {
    const { path, level } = options.file;
    const slash = path.lastIndexOf('/');
    file = createStream(slash >= 0 ? path.slice(slash + 1) : path, {
      path: slash >= 0 ? path.slice(0, slash + 1) : '.',
      size: LOG_FILE_SIZE,
      maxFiles: LOG_FILE_KEEP,
    });
    file.on('error', (error: Error) => {
      options.stderr.write(`monitoring-websocket-client: log file ${path}: ${error.message}\n`);
      file = undefined;
    });
    fileRank = RANK[level];
  }
  const minRank = Math.min(stderrRank, fileRank);

  const log = (level: LogLevel, message: string, args: unknown[]): void => {
    const rank = RANK[level];
    if (rank < minRank) return;
    const extra = args.length > 0 ? ` ${args.map(describe).join(' ')}` : '';
    const line = `${new Date().toISOString()} ${level} ${options.redact(sanitizeForTerminal(message + extra))}\n`;
    if (rank >= stderrRank) options.stderr.write(line);
    if (file && rank >= fileRank) file.write(line);
  };

  return {
    debug: (message, ...args) => log('DEBUG', message, args),
    info: (message, ...args) => log('INFO', message, args),
    warn: (message, ...args) => log('WARNING', message, args),
    error: (message, ...args) => log('ERROR', message, args),
    close: () =>
      new Promise<void>((resolve) => {
        if (!file) return resolve();
        file.end(() => resolve());
      }),
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
