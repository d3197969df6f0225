/**
 * The high-level client: one server, the one-target case of MonitoringFleet, with the
 * documented sinks assembled in order:
 *
 *   WebSocketClient ─▶ Pipeline ─▶ save-data (every frame) ─▶ history ─▶ display ─▶ callbacks
 *                                  ─▶ your sinks and handlers
 *
 * Connection notices (connected, reconnecting, server errors, alerts) go to `notices`, data
 * records to `output`, so that a script can read the data alone.
 */
import {
  DEFAULT_FORMAT_TYPE,
  DEFAULT_WEBSOCKET_URI,
  type FormatType,
  LOG_ROTATION_KEEP,
  LOG_ROTATION_SIZE,
  MAX_HISTORY_SIZE,
} from '../config.js';
import { InvalidOptionError, SendError } from '../errors.js';
import { type FleetState, MonitoringFleet } from '../fleet/monitoring-fleet.js';
import { BaseFormatter } from '../formatters/base-formatter.js';
import { createFormatter } from '../formatters/create-formatter.js';
import type { MessageHandler } from '../handlers/handler.js';
import { LoggingHandler } from '../handlers/logging-handler.js';
import { MonitoringHandler, type MonitoringRecord } from '../handlers/monitoring-handler.js';
import { type Logger, silentLogger } from '../logger.js';
import { shouldUseColor } from '../output/color-support.js';
import type { Sink, SinkStatistics } from '../pipeline/sink.js';
import type { ParsedMessage } from '../protocol/frame.js';
import type { MonitoringSnapshot } from '../protocol/snapshot.js';
import { CallbacksSink } from '../sinks/callbacks-sink.js';
import { DisplaySink } from '../sinks/display-sink.js';
import { HandlerSink } from '../sinks/handler-sink.js';
import type { EventHandler, WildcardHandler } from '../transport/events.js';
import type { ConnectionStatistics } from '../transport/statistics.js';
import type { WebSocketClient } from '../transport/websocket-client.js';
import { type MonitoringClientOptions, validateClientOptions } from './client-options.js';

export type { MonitoringClientOptions } from './client-options.js';

/** Statistics of a {@link MonitoringClient}: the connection's, plus the client's own. */
export interface MonitoringClientStatistics extends ConnectionStatistics {
  /** Monitoring records shown (after the filter). */
  recordsDisplayed: number;
  /** Values the normalizer could not use, over the run. */
  dataQualityWarnings: number;
  /** Errors thrown by `onMessage`, `onConnect`, `onDisconnect`, `filter` or a handler added with `addHandler`. */
  callbackErrors: number;
  /** Save-data statistics, or null without `saveData`. */
  logging: ReturnType<LoggingHandler['getStats']> | null;
  /** Records kept in memory, or null without `storeHistory`. */
  history: { size: number; capacity: number } | null;
  /** Each sink's failures and counters, in call order. */
  sinks: SinkStatistics[];
}

export class MonitoringClient {
  readonly #fleet: MonitoringFleet;
  readonly #name: string;
  readonly #ws: WebSocketClient;
  readonly #logger: Logger;
  readonly #options: MonitoringClientOptions;
  readonly #monitoringHandler: MonitoringHandler;
  readonly #loggingHandler: LoggingHandler | null;
  readonly #display: DisplaySink;
  readonly #callbacks: CallbacksSink;
  readonly #handlerSinks: HandlerSink[] = [];

  constructor(options: MonitoringClientOptions | string = {}) {
    const opts: MonitoringClientOptions = typeof options === 'string' ? { uri: options } : { ...options };
    validateClientOptions(opts);
    this.#options = opts;
    this.#logger = opts.logger ?? silentLogger;
    const uri = opts.uri ?? DEFAULT_WEBSOCKET_URI;
    this.#name = opts.source ?? uri;

    const output = opts.output === undefined ? process.stdout : opts.output;
    const notices = opts.notices === undefined ? process.stderr : opts.notices;
    this.#display = new DisplaySink({
      formatter:
        opts.formatter ??
        createFormatter(opts.formatType ?? DEFAULT_FORMAT_TYPE, {
          color: shouldUseColor({ stream: output as { isTTY?: boolean } | null, requested: opts.color }),
          showSource: opts.showSource ?? false,
        }),
      output,
      notices,
      onOutputError: (error) => this.#reportError(error, 'writing to the output failed'),
    });
    this.#monitoringHandler = new MonitoringHandler({
      storeHistory: opts.storeHistory ?? false,
      maxHistorySize: opts.maxHistorySize ?? MAX_HISTORY_SIZE,
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
    this.#callbacks = new CallbacksSink(opts, this.#logger);

    const {
      uri: _uri,
      logger: _logger,
      formatType: _formatType,
      formatter: _formatter,
      color: _color,
      saveData: _saveData,
      saveDataMaxSize: _saveDataMaxSize,
      saveDataMaxFiles: _saveDataMaxFiles,
      storeHistory: _storeHistory,
      maxHistorySize: _maxHistorySize,
      filter,
      source: _source,
      showSource: _showSource,
      output: _output,
      notices: _notices,
      sinks,
      staleAfter,
      onMessage: _onMessage,
      onError: _onError,
      onConnect: _onConnect,
      onDisconnect: _onDisconnect,
      ...connection
    } = opts;
    const builtIn: Sink[] = [this.#monitoringHandler, this.#display, this.#callbacks];
    if (this.#loggingHandler) builtIn.unshift(this.#loggingHandler);
    this.#fleet = new MonitoringFleet({
      ...connection,
      targets: [{ name: this.#name, uri }],
      // One target: no handshakes to bound.
      maxConnecting: null,
      sinks: [...builtIn, ...(sinks ?? [])],
      ...(filter ? { filter } : {}),
      ...(staleAfter !== undefined ? { staleAfter } : {}),
      logger: this.#logger,
    });
    this.#ws = this.#fleet.connection(this.#name)!;
    this.#fleet.on('sink_error', ({ sink, error }) => {
      // Callbacks and handlers count as callback errors; a failing sink of ours is an error to report.
      if (sink === 'filter') return;
      this.#callbacks.call('onError', () => opts.onError?.(error));
    });
    this.#ws.on('connection_error', (error) => {
      this.#logger.warn(error.message);
      this.#callbacks.call('onError', () => opts.onError?.(error));
    });
    this.#ws.on('give_up', (error) => this.#callbacks.call('onError', () => opts.onError?.(error)));
  }

  // ---- lifecycle --------------------------------------------------------------------------

  /**
   * idle → starting → running → stopping → stopped, and from stopped back to starting:
   * `start()` after `stop()` opens a fresh connection.
   */
  get state(): FleetState {
    return this.#fleet.state;
  }

  /**
   * Connects. Resolves once connected; rejects with a GaveUpError when the client gives up
   * (or a StoppedError when `stop()` comes first). May be called without `await` (callback
   * style): failures then reach `onError` only and never become unhandled rejections.
   */
  start(): Promise<void> {
    const started = this.#fleet.start().then(() => this.#fleet.whenConnected(this.#name));
    // Marks the promise handled, so a caller that does not await it gets no unhandled
    // rejection; a caller that awaits it still sees the error.
    started.catch(() => {});
    return started;
  }

  /**
   * Closes the connection, writes out every pending record and saved frame. Idempotent:
   * a second call, or one during `start()`, resolves when that stop is complete.
   */
  stop(): Promise<void> {
    return this.#fleet.stop();
  }

  /** `await using client = new MonitoringClient(...)` stops the client at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  // ---- data -------------------------------------------------------------------------------

  /** Sends a message to the server as JSON. Rejects with a SendError unless the client is running. */
  send(data: unknown): Promise<void> {
    if (this.#fleet.state !== 'running') {
      return Promise.reject(
        new SendError('NOT_CONNECTED', `cannot send: the client is ${this.#fleet.state}`),
      );
    }
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
    const sinks = this.#fleet.getStatistics().sinks;
    let handlerErrors = 0;
    for (const sink of sinks) {
      if (this.#handlerSinks.some((h) => h.name === sink.name)) handlerErrors += sink.errors;
    }
    return {
      ...this.#ws.getStatistics(),
      recordsDisplayed: this.#display.recordsDisplayed,
      dataQualityWarnings: this.#fleet.pipeline.dataQualityWarnings(this.#name),
      callbackErrors: this.#callbacks.errors + this.#fleet.pipeline.counts().filterErrors + handlerErrors,
      logging: this.#loggingHandler ? this.#loggingHandler.getStats() : null,
      history: this.#monitoringHandler.historyEnabled
        ? { size: handlerStats.historySize, capacity: handlerStats.historyCapacity }
        : null,
      sinks,
    };
  }

  /**
   * Changes the output format while running.
   * @throws InvalidOptionError for an unknown format, naming the valid ones.
   */
  setFormatter(format: FormatType | BaseFormatter, color?: boolean): void {
    if (format instanceof BaseFormatter) {
      this.#display.formatter = format;
      return;
    }
    const useColor = color ?? this.#display.formatter.color;
    this.#display.formatter = createFormatter(format, {
      color: useColor,
      showSource: this.#options.showSource ?? false,
    });
  }

  /** The formatter in use. */
  get formatter(): BaseFormatter {
    return this.#display.formatter;
  }

  // ---- parts ------------------------------------------------------------------------------

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

  /** The fleet of one behind this client: its rows, records iterator and sinks. */
  get fleet(): MonitoringFleet {
    return this.#fleet;
  }

  /** Calls `handler` for each message of `type` (`'*'`: every event), as the documentation's `add_custom_handler`. */
  addCustomHandler<E extends string>(
    type: E,
    handler: E extends '*' ? WildcardHandler : EventHandler<E>,
  ): void {
    (this.#ws.on as (event: string, handler: unknown) => void)(type, handler);
  }

  /**
   * Adds a consumer after the built-in ones: a `MessageHandler` (every frame, as documented)
   * or a `Sink`. Its failures are counted and reported, never fatal.
   */
  addHandler(handler: MessageHandler | Sink): void {
    let sink: Sink;
    if (typeof (handler as MessageHandler).handleMessage === 'function') {
      const adapted = new HandlerSink(handler as MessageHandler);
      this.#handlerSinks.push(adapted);
      sink = adapted;
    } else if (
      handler !== null &&
      typeof handler === 'object' &&
      typeof (handler as Sink).name === 'string'
    ) {
      sink = handler as Sink;
    } else {
      throw new InvalidOptionError('handler', handler, 'a MessageHandler or a Sink');
    }
    this.#fleet.addSink(sink).catch(() => {});
  }

  // ---- reporting ----------------------------------------------------------------------------

  #reportError(error: Error, context?: string): void {
    this.#logger.error(context ? `${context}: ${error.message}` : error.message);
    if (context === undefined) this.#display.error(error);
    this.#callbacks.call('onError', () => this.#options.onError?.(error));
  }
}
