/**
 * The high-level client: one connection, one way through.
 *
 *   WebSocketClient ─frame─▶ normalize (monitoring_data) ─▶ handlers ─▶ formatter ─▶ output
 *                                                         (history, save-data, yours)
 *
 * Connection notices (connected, reconnecting, server errors, alerts) go to `notices`, data
 * records to `output`, so that a script can read the data alone.
 */
import type { Writable } from 'node:stream';
import {
  DEFAULT_FORMAT_TYPE,
  DEFAULT_WEBSOCKET_URI,
  FORMAT_TYPES,
  type FormatType,
  LOG_ROTATION_KEEP,
  LOG_ROTATION_SIZE,
  MAX_HISTORY_SIZE,
} from '../config.js';
import { InvalidOptionError, type MonitoringError } from '../errors.js';
import { BaseFormatter } from '../formatters/base-formatter.js';
import { createFormatter } from '../formatters/create-formatter.js';
import type { IncomingMessage, MessageHandler } from '../handlers/handler.js';
import { LoggingHandler } from '../handlers/logging-handler.js';
import { MonitoringHandler, type MonitoringRecord } from '../handlers/monitoring-handler.js';
import { type Logger, silentLogger } from '../logger.js';
import { shouldUseColor } from '../output/color-support.js';
import { LineWriter } from '../output/line-writer.js';
import { messageType, type ParsedMessage, type ReceivedFrame } from '../protocol/frame.js';
import { normalizeMonitoringData } from '../protocol/normalize.js';
import type { AlertSnapshot, MonitoringSnapshot } from '../protocol/snapshot.js';
import type { EventHandler, WildcardHandler } from '../transport/events.js';
import type { ConnectionStatistics } from '../transport/statistics.js';
import { WebSocketClient, type WebSocketClientOptions } from '../transport/websocket-client.js';

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
   * A label for this server, shown before each record when `showSource` is on, and set as
   * `snapshot.source`. @default the URI
   */
  source?: string;
  /** Prefix each record with `[source]`, for watching several servers in one stream. @default false */
  showSource?: boolean;
  /** Where formatted records go; `null` for nowhere. @default process.stdout */
  output?: Writable | NodeJS.WritableStream | null;
  /** Where connection notices, server errors and alerts go; `null` for nowhere. @default process.stderr */
  notices?: Writable | NodeJS.WritableStream | null;
  /** Any object with debug/info/warn/error (console, pino, winston). @default silent */
  logger?: Logger;
  /** Called for each monitoring message, with the message as received and its normalized snapshot. */
  onMessage?: (message: ParsedMessage, snapshot: MonitoringSnapshot) => void | Promise<void>;
  /** Called for each failure: a connection error, giving up, a save-data write error. */
  onError?: (error: Error) => void;
  /** Called each time a connection is established. */
  onConnect?: (info: { uri: string; attempt: number }) => void;
  /** Called each time an established connection closes. */
  onDisconnect?: (info: { code: number; reason: string; willReconnect: boolean }) => void;
}

/** Statistics of a {@link MonitoringClient}: the connection's, plus the client's own. */
export interface MonitoringClientStatistics extends ConnectionStatistics {
  /** Monitoring records shown (after the filter). */
  recordsDisplayed: number;
  /** Values the normalizer could not use, over the run. */
  dataQualityWarnings: number;
  /** Errors thrown by `onMessage`, `onError`, `onConnect`, `onDisconnect` or a custom handler. */
  callbackErrors: number;
  /** Save-data statistics, or null without `saveData`. */
  logging: ReturnType<LoggingHandler['getStats']> | null;
  /** Records kept in memory, or null without `storeHistory`. */
  history: { size: number; capacity: number } | null;
}

const CALLBACK_NAMES = ['onMessage', 'onError', 'onConnect', 'onDisconnect', 'filter'] as const;

export class MonitoringClient {
  readonly #ws: WebSocketClient;
  readonly #logger: Logger;
  readonly #options: MonitoringClientOptions;
  readonly #monitoringHandler: MonitoringHandler;
  readonly #loggingHandler: LoggingHandler | null;
  readonly #handlers: MessageHandler[];
  readonly #output: LineWriter | null;
  /** The formatter's header is still to be written, before the next record. */
  #headerPending = true;
  readonly #notices: LineWriter | null;
  readonly #source: string;
  #formatter: BaseFormatter;
  #dataQualityWarnings = 0;
  #callbackErrors = 0;
  #lastAlertKey = '';
  #stopping: Promise<void> | undefined;
  readonly #unsubscribe: () => void;

  constructor(options: MonitoringClientOptions | string = {}) {
    const opts: MonitoringClientOptions = typeof options === 'string' ? { uri: options } : { ...options };
    this.#options = opts;
    validateClientOptions(opts);
    this.#logger = opts.logger ?? silentLogger;
    const uri = opts.uri ?? DEFAULT_WEBSOCKET_URI;
    this.#source = opts.source ?? uri;

    const { uri: _uri, logger: _logger, ...transportOptions } = opts;
    this.#ws = new WebSocketClient(uri, { ...transportOptions, logger: this.#logger });

    const output = opts.output === undefined ? process.stdout : opts.output;
    const notices = opts.notices === undefined ? process.stderr : opts.notices;
    this.#output = output ? LineWriter.for(output) : null;
    this.#notices = notices ? LineWriter.for(notices) : null;
    const unsubscribeOutput = this.#output?.onError((error) => this.#outputFailed('output', error));
    const unsubscribeNotices = this.#notices?.onError((error) => this.#outputFailed('notices', error));
    // Backpressure: while the output cannot keep up, stop reading from the server.
    const unsubscribeCongestion = this.#output?.onCongestion((congested) =>
      congested ? this.#ws.pauseReading() : this.#ws.resumeReading(),
    );
    this.#unsubscribe = () => {
      unsubscribeOutput?.();
      unsubscribeNotices?.();
      unsubscribeCongestion?.();
    };

    this.#formatter =
      opts.formatter ??
      createFormatter(opts.formatType ?? DEFAULT_FORMAT_TYPE, {
        color: shouldUseColor({ stream: output as { isTTY?: boolean } | null, requested: opts.color }),
        showSource: opts.showSource ?? false,
      });

    this.#monitoringHandler = new MonitoringHandler({
      storeHistory: opts.storeHistory ?? false,
      maxHistorySize: opts.maxHistorySize ?? MAX_HISTORY_SIZE,
      ...(opts.filter ? { filter: this.#guardFilter(opts.filter) } : {}),
      onRecord: this.#onRecord,
    });
    this.#loggingHandler = opts.saveData
      ? new LoggingHandler({
          path: opts.saveData,
          maxSize: opts.saveDataMaxSize ?? LOG_ROTATION_SIZE,
          maxFiles: opts.saveDataMaxFiles ?? LOG_ROTATION_KEEP,
          logger: this.#logger,
          onError: (error) => this.#reportError(error),
        })
      : null;
    this.#handlers = this.#loggingHandler
      ? [this.#loggingHandler, this.#monitoringHandler]
      : [this.#monitoringHandler];

    this.#ws.on('frame', this.#onFrame);
    this.#ws.on('connected', (info) => {
      this.#notice(this.#formatter.formatNotice(`connected to ${info.uri}`));
      this.#callback('onConnect', () => opts.onConnect?.(info));
    });
    this.#ws.on('disconnected', (info) => {
      const reason = info.reason ? ` (${info.reason})` : '';
      this.#notice(this.#formatter.formatNotice(`disconnected: code ${info.code}${reason}`));
      this.#callback('onDisconnect', () => opts.onDisconnect?.(info));
    });
    this.#ws.on('reconnecting', (info) => {
      const of = info.maxAttempts === null ? '' : `/${info.maxAttempts}`;
      const seconds = Math.round(info.delayMs / 100) / 10;
      this.#notice(
        this.#formatter.formatNotice(`reconnecting in ${seconds} s (attempt ${info.attempt}${of})`),
      );
    });
    this.#ws.on('connection_error', (error) => this.#reportError(error));
    this.#ws.on('give_up', (error) => {
      this.#notice(this.#formatter.formatError(error));
      this.#callback('onError', () => opts.onError?.(error));
    });
    this.#ws.on('invalid_frame', (frame) => {
      this.#logger.warn(`invalid frame from server (${frame.invalidReason}, ${frame.size} bytes)`);
    });
  }

  // ---- lifecycle --------------------------------------------------------------------------

  /**
   * Connects. Resolves once connected; rejects with a GaveUpError when the client gives up.
   * May be called without `await` (callback style): failures then reach `onError` only and
   * never become unhandled rejections.
   */
  start(): Promise<void> {
    const started = this.#ws.start();
    // Marks the promise handled, so a caller that does not await it gets no unhandled
    // rejection; a caller that awaits it still sees the error.
    started.catch(() => {});
    return started;
  }

  /** Closes the connection, writes out every pending record and saved frame. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    try {
      await this.#ws.stop();
    } finally {
      for (const handler of this.#handlers) {
        try {
          await handler.close();
        } catch (error) {
          this.#logger.error(`closing a handler failed: ${String(error)}`);
        }
      }
      this.#output?.flush();
      this.#notices?.flush();
      this.#unsubscribe();
    }
  }

  /** `await using client = new MonitoringClient(...)` stops the client at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  // ---- data -------------------------------------------------------------------------------

  /** Sends a message to the server as JSON. */
  send(data: unknown): Promise<void> {
    return this.#ws.send(data);
  }

  isConnected(): boolean {
    return this.#ws.isConnected();
  }

  /** Monitoring records kept in memory, oldest first. @throws HistoryDisabledError without `storeHistory`. */
  getHistory(): MonitoringRecord[] {
    return this.#monitoringHandler.getHistory();
  }

  /** The last monitoring message as received, or null before the first. */
  getLastData(): ParsedMessage | null {
    return this.#monitoringHandler.lastData ?? null;
  }

  /** The last normalized snapshot, or null before the first. */
  getLastSnapshot(): MonitoringSnapshot | null {
    return this.#monitoringHandler.lastSnapshot ?? null;
  }

  getStatistics(): MonitoringClientStatistics {
    const handlerStats = this.#monitoringHandler.getStats();
    return {
      ...this.#ws.getStatistics(),
      recordsDisplayed: handlerStats.recordsAccepted,
      dataQualityWarnings: this.#dataQualityWarnings,
      callbackErrors: this.#callbackErrors,
      logging: this.#loggingHandler ? this.#loggingHandler.getStats() : null,
      history: this.#monitoringHandler.historyEnabled
        ? { size: handlerStats.historySize, capacity: handlerStats.historyCapacity }
        : null,
    };
  }

  /**
   * Changes the output format while running.
   * @throws InvalidOptionError for an unknown format, naming the valid ones.
   */
  setFormatter(format: FormatType | BaseFormatter, color?: boolean): void {
    this.#headerPending = true;
    if (format instanceof BaseFormatter) {
      this.#formatter = format;
      return;
    }
    const useColor = color ?? this.#formatter.color;
    this.#formatter = createFormatter(format, {
      color: useColor,
      showSource: this.#options.showSource ?? false,
    });
  }

  /** The formatter in use. */
  get formatter(): BaseFormatter {
    return this.#formatter;
  }

  // ---- handlers ---------------------------------------------------------------------------

  get monitoringHandler(): MonitoringHandler {
    return this.#monitoringHandler;
  }

  /** The save-data handler, or null without `saveData`. */
  get loggingHandler(): LoggingHandler | null {
    return this.#loggingHandler;
  }

  /** The low-level connection, for events and controls beyond this class. */
  get wsClient(): WebSocketClient {
    return this.#ws;
  }

  /** Calls `handler` for each message of `type` (`'*'`: every event), as the documentation's `add_custom_handler`. */
  addCustomHandler<E extends string>(
    type: E,
    handler: E extends '*' ? WildcardHandler : EventHandler<E>,
  ): void {
    (this.#ws.on as (event: string, handler: unknown) => void)(type, handler);
  }

  /** Adds a handler that receives every frame after the built-in ones (a store, an exporter, alert rules). */
  addHandler(handler: MessageHandler): void {
    this.#handlers.push(handler);
  }

  // ---- the path of one frame ----------------------------------------------------------------

  readonly #onFrame = (frame: ReceivedFrame): void => {
    const message = frame.message;
    const type = message ? messageType(message) : undefined;
    let snapshot: MonitoringSnapshot | undefined;
    if (type === 'monitoring_data' && message) {
      snapshot = normalizeMonitoringData(message, frame.receivedAt, this.#source);
      this.#dataQualityWarnings += snapshot.warnings.length;
    }
    const incoming: IncomingMessage = { frame, message, type, snapshot };
    for (const handler of this.#handlers) {
      try {
        handler.handleMessage(incoming);
      } catch (error) {
        this.#callbackErrors++;
        this.#logger.error(`a message handler threw: ${String(error)}`);
      }
    }
    if (type !== undefined && type !== 'monitoring_data' && message) this.#onServerNotice(type, message);
  };

  readonly #onRecord = (record: MonitoringRecord): void => {
    if (this.#output) {
      const { frame } = record;
      // The text as received, when it is the message's own JSON (not repaired from NaN).
      const raw = frame.repairedJson === undefined ? frame.raw : undefined;
      if (this.#headerPending) {
        // The format's header (csv column names) goes once, before its first record.
        this.#headerPending = false;
        const header = this.#formatter.header();
        if (header !== undefined) this.#output.writeLine(header);
      }
      this.#output.writeLine(this.#formatter.formatMonitoringData(record.snapshot, record.message, raw));
    }
    const { alerts } = record.snapshot;
    const shown = this.#output !== null && this.#formatter.recordsShowAlerts;
    if (!shown && (alerts.length > 0 || this.#lastAlertKey !== '')) this.#onAlerts(alerts);
    const onMessage = this.#options.onMessage;
    if (onMessage) {
      this.#callback('onMessage', () => onMessage(record.message, record.snapshot));
    }
  };

  /** Server alerts go to the notices when they change, not on every message while they last. */
  #onAlerts(alerts: AlertSnapshot[]): void {
    let key = '';
    for (const alert of alerts) key += `${alert.component}:${alert.level};`;
    if (key === this.#lastAlertKey) return;
    this.#lastAlertKey = key;
    if (alerts.length > 0) this.#notice(this.#formatter.formatAlerts(alerts));
  }

  #onServerNotice(type: string, message: ParsedMessage): void {
    switch (type) {
      case 'connection':
      case 'connection_message':
        if (typeof message.message === 'string') {
          this.#notice(
            this.#formatter.formatConnectionMessage(message.message, stringOrUndefined(message.timestamp)),
          );
        }
        break;
      case 'error':
        this.#notice(this.#formatter.formatError(String(message.message ?? 'error without a message')));
        break;
      case 'error_message':
        this.#notice(
          this.#formatter.formatError(
            String(message.error ?? 'error without a message'),
            stringOrUndefined(message.severity),
          ),
        );
        break;
      default:
        this.#logger.debug(`message of type ${JSON.stringify(type)} received`);
    }
  }

  // ---- reporting ----------------------------------------------------------------------------

  #notice(text: string): void {
    if (text !== '') this.#notices?.writeLine(text);
  }

  #reportError(error: Error | MonitoringError): void {
    this.#logger.warn(error.message);
    this.#notice(this.#formatter.formatError(error));
    this.#callback('onError', () => this.#options.onError?.(error));
  }

  #outputFailed(which: string, error: Error): void {
    this.#logger.error(`writing to ${which} failed: ${error.message}`);
    if (which === 'output') this.#callback('onError', () => this.#options.onError?.(error));
  }

  /** Runs a user callback so that neither a throw nor a rejection escapes into the client. */
  #callback(name: string, run: () => unknown): void {
    try {
      const result = run();
      if (result instanceof Promise) result.catch((error: unknown) => this.#callbackFailed(name, error));
    } catch (error) {
      this.#callbackFailed(name, error);
    }
  }

  #callbackFailed(name: string, error: unknown): void {
    this.#callbackErrors++;
    this.#logger.error(`${name} callback failed: ${error instanceof Error ? error.message : String(error)}`);
  }

  #guardFilter(filter: (record: MonitoringRecord) => boolean): (record: MonitoringRecord) => boolean {
    return (record) => {
      try {
        return filter(record);
      } catch (error) {
        this.#callbackFailed('filter', error);
        return false;
      }
    };
  }
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Checks the options this class owns; the transport checks its own. */
function validateClientOptions(opts: MonitoringClientOptions): void {
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
  if (opts.source !== undefined && typeof opts.source !== 'string') {
    throw new InvalidOptionError('source', opts.source, 'a string');
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
}
