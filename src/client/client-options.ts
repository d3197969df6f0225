/**
 * The options of MonitoringClient, documented once at their type, and their one check.
 * Times are in seconds in every public option; the transport checks its own options.
 */
import type { Writable } from 'node:stream';
import { FORMAT_TYPES, type FormatType } from '../config.js';
import { InvalidOptionError } from '../errors.js';
import { BaseFormatter } from '../formatters/base-formatter.js';
import type { Logger } from '../logger.js';
import type { MonitoringRecord } from '../pipeline/record.js';
import type { Sink } from '../pipeline/sink.js';
import type { ParsedMessage } from '../protocol/frame.js';
import type { MonitoringSnapshot } from '../protocol/snapshot.js';
import type { WebSocketClientOptions } from '../transport/websocket-client.js';

/** Options of {@link MonitoringClient}. Times are in seconds. */
export interface MonitoringClientOptions extends Omit<WebSocketClientOptions, 'logger'> {
  /** Server to connect to. @default 'ws://localhost:8765' */
  uri?: string;
  /** Output format. @default 'simple' */
  formatType?: FormatType;
  /** A formatter of your own; takes precedence over `formatType`. */
  formatter?: BaseFormatter;
  /**
   * Colour the output. @default undefined: colour when `output` is a terminal, unless
   * `NO_COLOR` is set (or `FORCE_COLOR` asks for it).
   */
  color?: boolean;
  /** Save every frame received to this file, as JSON Lines (see LoggingHandler). */
  saveData?: string;
  /** Size at which the save-data file rotates, in bytes. @default 10 MiB */
  saveDataMaxSize?: number;
  /** Rotated save-data files kept. @default 5 */
  saveDataMaxFiles?: number;
  /** Keep the last `maxHistorySize` monitoring records in memory. @default false */
  storeHistory?: boolean;
  /** Records kept when `storeHistory` is on. @default 1000 */
  maxHistorySize?: number;
  /** Monitoring records this rejects are neither displayed, stored nor passed to `onMessage`. */
  filter?: (record: MonitoringRecord) => boolean;
  /**
   * A label for this server: the target's name, shown before each record when `showSource`
   * is on, and set as `snapshot.source`. @default the URI
   */
  source?: string;
  /** Prefix each record with `[source]`, for watching several servers in one stream. @default false */
  showSource?: boolean;
  /** Where formatted records go; `null` for nowhere. @default process.stdout */
  output?: Writable | NodeJS.WritableStream | null;
  /** Where connection notices, server errors and alerts go; `null` for nowhere. @default process.stderr */
  notices?: Writable | NodeJS.WritableStream | null;
  /** More consumers of the records, after the built-in ones (see `Sink`). */
  sinks?: Sink[];
  /** Seconds without valid data after which the server counts as stale. @default 15 */
  staleAfter?: number;
  /** Any object with debug/info/warn/error (console, pino, winston). @default silent */
  logger?: Logger;
  /** Called for each monitoring message, with the message as received and its normalized snapshot. */
  onMessage?: (message: ParsedMessage, snapshot: MonitoringSnapshot) => void | Promise<void>;
  /** Called for each failure: a connection error, giving up, a save-data write error, a sink that failed. */
  onError?: (error: Error) => void;
  /** Called each time a connection is established. */
  onConnect?: (info: { uri: string; attempt: number }) => void;
  /** Called each time an established connection closes. */
  onDisconnect?: (info: { code: number; reason: string; willReconnect: boolean }) => void;
}

const CALLBACK_NAMES = ['onMessage', 'onError', 'onConnect', 'onDisconnect', 'filter'] as const;

/** Checks the options the client owns; the transport checks its own. @throws InvalidOptionError */
export function validateClientOptions(opts: MonitoringClientOptions): void {
  if (opts.formatType !== undefined && !(FORMAT_TYPES as readonly string[]).includes(opts.formatType)) {
    throw new InvalidOptionError('formatType', opts.formatType, `one of ${FORMAT_TYPES.join(', ')}`);
  }
  if (opts.formatter !== undefined && !(opts.formatter instanceof BaseFormatter)) {
    throw new InvalidOptionError('formatter', opts.formatter, 'an instance of a BaseFormatter subclass');
  }
  for (const name of ['color', 'storeHistory', 'showSource'] as const) {
    if (opts[name] !== undefined && typeof opts[name] !== 'boolean') {
      throw new InvalidOptionError(name, opts[name], 'true or false');
    }
  }
  if (opts.saveData !== undefined && (typeof opts.saveData !== 'string' || opts.saveData === '')) {
    throw new InvalidOptionError('saveData', opts.saveData, 'a file path');
  }
  for (const name of ['maxHistorySize', 'saveDataMaxSize', 'saveDataMaxFiles'] as const) {
    const value = opts[name];
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new InvalidOptionError(name, value, 'a positive integer');
    }
  }
  if (opts.source !== undefined && (typeof opts.source !== 'string' || opts.source === '')) {
    throw new InvalidOptionError('source', opts.source, 'a non-empty string');
  }
  for (const name of CALLBACK_NAMES) {
    if (opts[name] !== undefined && typeof opts[name] !== 'function') {
      throw new InvalidOptionError(name, opts[name], 'a function');
    }
  }
  for (const name of ['output', 'notices'] as const) {
    const stream = opts[name];
    if (stream != null && typeof (stream as { write?: unknown }).write !== 'function') {
      throw new InvalidOptionError(name, stream, 'a writable stream or null');
    }
  }
  if (opts.sinks !== undefined && !Array.isArray(opts.sinks)) {
    throw new InvalidOptionError('sinks', opts.sinks, 'an array of sinks');
  }
}
