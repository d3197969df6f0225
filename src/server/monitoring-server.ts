/**
 * A monitoring server that speaks the real dialect of the protocol (what the Python
 * monitoring-websocket-server sends), for the demo, the tests and anyone without the Python
 * server. It differs from the Python server where that one misbehaves:
 * - JSON that is not an object gets `{"type":"error","message":"Invalid message"}` instead
 *   of closing the connection with 1011;
 * - a client that does not read is disconnected once its unsent data passes a bound, so it
 *   never delays the others nor grows the server's memory;
 * - it collects only while a client is connected: an idle server costs nothing.
 *
 * Lifecycle: idle → starting → listening → stopping → stopped; a stopped server stays stopped.
 */

import { promises as fs } from 'node:fs';
import { createServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { InvalidOptionError, MonitoringError, StoppedError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { messageType, parseFrame } from '../protocol/frame.js';
import {
  CLOSE_SERVER_AT_CAPACITY,
  type ConnectionMessage,
  type ErrorMessage,
  INVALID_MESSAGE_TEXT,
  type MonitoringDataMessage,
  type PongMessage,
  type RealMonitoringData,
  SERVER_AT_CAPACITY_REASON,
  type StatusMessage,
} from '../protocol/messages.js';
import { type Clock, systemClock, type TimerHandle } from '../transport/clock.js';
import { type AlertThresholds, checkAlerts, resolveThresholds } from './alerts.js';
import { type MetricsSource, SystemMetricsSource } from './metrics-source.js';
import { formatLocalTimestamp } from './timestamp.js';

/** Interface the server listens on by default: this machine only. */
export const DEFAULT_SERVER_HOST = '127.0.0.1';
/** Port of the Python server, and the client's default. */
export const DEFAULT_SERVER_PORT = 8765;
/** Seconds between two `monitoring_data` messages by default. */
export const DEFAULT_SERVER_INTERVAL = 1;
/** Clients served at once by default, as the Python server. */
export const DEFAULT_MAX_CLIENTS = 1000;
/** Unsent bytes a client may accumulate by default before it is dropped (1 MiB, some 700 messages). */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;
/** Seconds `stop()` waits by default for clients to answer the close frame. */
export const DEFAULT_CLOSE_TIMEOUT = 1;
/** Largest frame accepted from a client (64 KiB): clients send only tiny requests. */
export const MAX_CLIENT_PAYLOAD = 64 * 1024;
/** Text of the `connection` message, as the Python server sends it. */
export const CONNECTED_MESSAGE_TEXT = 'Connected to monitoring server';
/** Close code sent to every client by `stop()`. */
export const CLOSE_GOING_AWAY = 1001;
/** Reason sent with {@link CLOSE_GOING_AWAY}. */
export const SERVER_SHUTDOWN_REASON = 'Server shutting down';

export interface MonitoringServerOptions {
  /**
   * Interface to listen on. Default `'127.0.0.1'`, this machine only; `'0.0.0.0'` or `'::'`
   * lets anyone who reaches the machine read its metrics.
   */
  host?: string;
  /** TCP port, 0 to 65535. Default 8765; 0 picks a free port (see `start()`'s result or `url`). */
  port?: number;
  /** Seconds between two `monitoring_data` messages, from 0.01 to 86400. Default 1. */
  interval?: number;
  /** Path whose disk usage the default metrics source reports. Default `'/'`; ignored with `metricsSource`. */
  diskPath?: string;
  /** Clients served at once, at least 1; the next ones are closed with 1008 "Server at capacity". Default 1000. */
  maxClients?: number;
  /** Alert thresholds in %; each one left out keeps its default (memory 80/90, disk 85/95). */
  thresholds?: Partial<AlertThresholds>;
  /** Where the metrics come from. Default: a {@link SystemMetricsSource} for `diskPath`. */
  metricsSource?: MetricsSource;
  /** Where connections, refusals, drops and collection failures are reported. Default: silent. */
  logger?: Logger;
  /**
   * Bytes a client may leave unsent (in the socket's buffers) before it is disconnected
   * instead of sent more, at least 1024. Default 1 MiB. A client that does not read thus
   * costs at most this much memory and never delays the others.
   */
  maxBufferedBytes?: number;
  /** Seconds `stop()` waits for clients to answer its close frame before cutting them off, 0 to 60. Default 1. */
  closeTimeout?: number;
  /** Time of the interval's timers and of the timestamps. Default: the system clock. */
  clock?: Clock;
}

/** Where a started server listens. */
export interface ServerAddress {
  /** Address bound, e.g. `127.0.0.1` or `::1`. */
  host: string;
  /** Port bound: the one chosen by the system when `port` was 0. */
  port: number;
  /** `ws://host:port` to give to a client. */
  url: string;
}

/** Range of a numeric option, shared with the CLI so both say the same thing. */
export interface NumberRule {
  integer: boolean;
  min: number;
  max: number;
  /** What is allowed, as error messages say it. */
  allowed: string;
}

/** The numeric options' ranges. */
export const SERVER_NUMBER_RULES = {
  port: { integer: true, min: 0, max: 65535, allowed: 'an integer from 0 to 65535, 0 for any free port' },
  interval: { integer: false, min: 0.01, max: 86400, allowed: 'a number of seconds from 0.01 to 86400' },
  maxClients: { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER, allowed: 'an integer of at least 1' },
  maxBufferedBytes: {
    integer: true,
    min: 1024,
    max: Number.MAX_SAFE_INTEGER,
    allowed: 'an integer number of bytes of at least 1024',
  },
  closeTimeout: { integer: false, min: 0, max: 60, allowed: 'a number of seconds from 0 to 60' },
} as const satisfies Record<string, NumberRule>;

/** True when `value` is a number that `rule` allows. */
export function satisfiesRule(rule: NumberRule, value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    value >= rule.min &&
    value <= rule.max
  );
}

function numberOption(name: keyof typeof SERVER_NUMBER_RULES, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const rule = SERVER_NUMBER_RULES[name];
  if (!satisfiesRule(rule, value)) throw new InvalidOptionError(name, value, rule.allowed);
  return value;
}

function stringOption(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.trim() === '')
    throw new InvalidOptionError(name, value, 'a non-empty string');
  return value;
}

function hasMethods(value: unknown, methods: readonly string[]): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function')
  );
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** Plain words for the usual reasons a port cannot be bound. */
const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'this machine has no such address',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be resolved',
};

type ServerState = 'idle' | 'starting' | 'listening' | 'stopping' | 'stopped';

export class MonitoringServer {
  readonly #host: string;
  readonly #port: number;
  readonly #intervalMs: number;
  readonly #maxClients: number;
  readonly #maxBufferedBytes: number;
  readonly #closeTimeoutMs: number;
  readonly #thresholds: AlertThresholds;
  readonly #source: MetricsSource;
  /** The path to check at start when the source is ours; undefined with an injected source. */
  readonly #diskPathToCheck: string | undefined;
  readonly #logger: Logger;
  readonly #clock: Clock;

  #state: ServerState = 'idle';
  #http: HttpServer | undefined;
  #wss: WebSocketServer | undefined;
  #address: ServerAddress | undefined;
  #starting: Promise<ServerAddress> | undefined;
  #stopping: Promise<void> | undefined;
  /** Every open socket, refused ones included, so that stop() can close them all. */
  readonly #sockets = new Set<WebSocket>();
  /** The clients being served. */
  readonly #clients = new Set<WebSocket>();
  #socketGone: (() => void) | undefined;

  #loopActive = false;
  /** Bumped when the loop stops, so a collection still running from before is discarded. */
  #loopGeneration = 0;
  #timer: TimerHandle | undefined;
  #nextTickAt = 0;
  #collectionFailing = false;

  #messagesSent = 0;
  #framesSent = 0;
  #clientsDropped = 0;

  /** @throws InvalidOptionError naming the first option that is not allowed. */
  constructor(options: MonitoringServerOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidOptionError('options', options, 'an object');
    }
    this.#host = stringOption('host', options.host, DEFAULT_SERVER_HOST);
    this.#port = numberOption('port', options.port, DEFAULT_SERVER_PORT);
    this.#intervalMs = numberOption('interval', options.interval, DEFAULT_SERVER_INTERVAL) * 1000;
    const diskPath = stringOption('diskPath', options.diskPath, '/');
    this.#maxClients = numberOption('maxClients', options.maxClients, DEFAULT_MAX_CLIENTS);
    this.#maxBufferedBytes = numberOption(
      'maxBufferedBytes',
      options.maxBufferedBytes,
      DEFAULT_MAX_BUFFERED_BYTES,
    );
    this.#closeTimeoutMs = numberOption('closeTimeout', options.closeTimeout, DEFAULT_CLOSE_TIMEOUT) * 1000;
    this.#thresholds = resolveThresholds(options.thresholds);
    if (options.logger !== undefined && !hasMethods(options.logger, ['debug', 'info', 'warn', 'error'])) {
      throw new InvalidOptionError(
        'logger',
        options.logger,
        'an object with debug, info, warn and error methods',
      );
    }
    this.#logger = options.logger ?? silentLogger;
    if (options.clock !== undefined && !hasMethods(options.clock, ['now', 'setTimeout', 'clearTimeout'])) {
      throw new InvalidOptionError('clock', options.clock, 'a Clock (now, setTimeout, clearTimeout)');
    }
    this.#clock = options.clock ?? systemClock;
    if (options.metricsSource !== undefined) {
      if (!hasMethods(options.metricsSource, ['collect'])) {
        throw new InvalidOptionError(
          'metricsSource',
          options.metricsSource,
          'an object with a collect() method',
        );
      }
      this.#source = options.metricsSource;
      this.#diskPathToCheck = undefined;
    } else {
      this.#source = new SystemMetricsSource({ diskPath, logger: this.#logger });
      this.#diskPathToCheck = diskPath;
    }
  }

  /** `ws://host:port` while listening, else undefined. */
  get url(): string | undefined {
    return this.#state === 'listening' ? this.#address?.url : undefined;
  }

  /** Clients being served (refused ones are not counted). */
  get clientCount(): number {
    return this.#clients.size;
  }

  /** `monitoring_data` messages broadcast by the collection loop (one per collection, whatever the client count). */
  get messagesSent(): number {
    return this.#messagesSent;
  }

  /** Text frames sent to single clients, all types together (a broadcast to 3 clients counts 3). */
  get framesSent(): number {
    return this.#framesSent;
  }

  /** Clients disconnected because their unsent data passed `maxBufferedBytes`. */
  get clientsDropped(): number {
    return this.#clientsDropped;
  }

  /**
   * Listens. Calling it again while starting or listening returns the same address; a
   * server that failed to start is stopped.
   * @throws InvalidOptionError when the default source's `diskPath` does not exist.
   * @throws MonitoringError (code `LISTEN_FAILED`) when the port cannot be bound; `cause` is the system error.
   * @throws StoppedError once `stop()` was called.
   */
  start(): Promise<ServerAddress> {
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      return Promise.reject(new StoppedError('the server was stopped'));
    }
    this.#starting ??= this.#listen().catch((error: unknown) => {
      // A server that failed to start is stopped: create a new one to try again.
      if (this.#state === 'starting') this.#state = 'stopped';
      throw error;
    });
    return this.#starting;
  }

  async #listen(): Promise<ServerAddress> {
    this.#state = 'starting';
    if (this.#diskPathToCheck !== undefined) {
      try {
        await fs.statfs(this.#diskPathToCheck);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
        throw new InvalidOptionError(
          'diskPath',
          this.#diskPathToCheck,
          `an existing path; statfs failed with ${code}`,
        );
      }
    }
    if (this.#state !== 'starting') throw new StoppedError('the server was stopped while starting');
    const http = createServer((_request, response) => {
      // A browser or curl: say what this port is rather than hang up.
      response.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' });
      response.end('This is a WebSocket monitoring server: connect with a WebSocket client.\n');
    });
    const wss = new WebSocketServer({
      server: http,
      maxPayload: MAX_CLIENT_PAYLOAD,
      clientTracking: false,
      perMessageDeflate: false,
    });
    this.#http = http;
    this.#wss = wss;
    // ws re-emits the HTTP server's errors; without a listener they would crash the process.
    wss.on('error', (error) => {
      // Errors of listen() are start()'s to report.
      if (this.#state === 'listening') this.#logger.error(`server error: ${error.message}`);
    });
    wss.on('connection', (ws, request) => this.#onConnection(ws, request));
    try {
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen({ host: this.#host, port: this.#port }, () => {
          http.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = (code && LISTEN_ERRORS[code]) || (error as Error).message;
      throw new MonitoringError(
        'LISTEN_FAILED',
        `cannot listen on ${this.#host}:${this.#port}: ${reason}${code ? ` (${code})` : ''}`,
        { cause: error },
      );
    }
    const bound = http.address() as AddressInfo;
    const urlHost =
      bound.family === 'IPv6' || bound.address.includes(':') ? `[${bound.address}]` : bound.address;
    this.#address = { host: bound.address, port: bound.port, url: `ws://${urlHost}:${bound.port}` };
    if (this.#state !== 'starting') throw new StoppedError('the server was stopped while starting');
    this.#state = 'listening';
    this.#logger.debug(`listening on ${this.#address.url}`);
    return this.#address;
  }

  /**
   * Stops: no more connections, the collection loop ends, every client gets close 1001
   * "Server shutting down" (and is cut off after `closeTimeout`). Idempotent: every call
   * returns the same promise. Never rejects.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    const wasStarting = this.#state === 'starting';
    this.#state = 'stopping';
    if (wasStarting) await this.#starting?.catch(() => undefined);
    this.#stopLoop();
    const http = this.#http;
    if (http) {
      const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
      for (const ws of this.#sockets) ws.close(CLOSE_GOING_AWAY, SERVER_SHUTDOWN_REASON);
      await this.#waitForSockets(this.#closeTimeoutMs);
      for (const ws of this.#sockets) ws.terminate();
      this.#wss?.close();
      http.closeAllConnections();
      await httpClosed;
    }
    this.#clients.clear();
    this.#state = 'stopped';
  }

  /** Resolves when every socket has closed, or after `timeoutMs`. */
  #waitForSockets(timeoutMs: number): Promise<void> {
    if (this.#sockets.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.#socketGone = undefined;
        resolve();
      };
      // A real timer, not the injected clock: this bounds a shutdown, it is no protocol timing.
      const timer = setTimeout(finish, timeoutMs);
      this.#socketGone = () => {
        if (this.#sockets.size === 0) finish();
      };
    });
  }

  /**
   * Sends one message to every client: an object is serialized once, a string is sent as
   * the text frame as is (to test clients with chosen, even invalid, frames). Clients over
   * `maxBufferedBytes` are dropped instead. Does nothing when no client is connected.
   */
  broadcast(message: object | string): void {
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    for (const ws of this.#clients) this.#sendTo(ws, text);
  }

  // ---- connections ------------------------------------------------------------------------

  #onConnection(ws: WebSocket, request: IncomingMessage): void {
    const peer = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? '?'}`;
    this.#sockets.add(ws);
    ws.on('error', (error) => this.#logger.debug(`client ${peer}: ${error.message}`));
    ws.on('close', (code) => {
      this.#sockets.delete(ws);
      if (this.#removeClient(ws)) {
        this.#logger.info(`client ${peer} disconnected (${code}); ${this.#clients.size} connected`);
      }
      this.#socketGone?.();
    });
    if (this.#state !== 'listening') {
      ws.close(CLOSE_GOING_AWAY, SERVER_SHUTDOWN_REASON);
      return;
    }
    if (this.#clients.size >= this.#maxClients) {
      this.#logger.warn(`refused client ${peer}: ${this.#maxClients} clients already connected`);
      ws.close(CLOSE_SERVER_AT_CAPACITY, SERVER_AT_CAPACITY_REASON);
      return;
    }
    this.#clients.add(ws);
    this.#logger.info(`client ${peer} connected; ${this.#clients.size} connected`);
    ws.on('message', (data, isBinary) => this.#onMessage(ws, data, isBinary));
    const hello: ConnectionMessage = {
      type: 'connection',
      status: 'connected',
      timestamp: this.#timestamp(),
      message: CONNECTED_MESSAGE_TEXT,
    };
    this.#sendTo(ws, JSON.stringify(hello));
    if (this.#clients.size === 1) this.#startLoop();
  }

  /** Forgets a client; true when it was one. The loop stops with the last client. */
  #removeClient(ws: WebSocket): boolean {
    if (!this.#clients.delete(ws)) return false;
    if (this.#clients.size === 0) this.#stopLoop();
    return true;
  }

  /**
   * Answers a client's frame. Unknown types are ignored, as the Python server does, so that
   * a newer client may ask what this server does not know without an error in return.
   */
  #onMessage(ws: WebSocket, data: RawData, isBinary: boolean): void {
    const frame = parseFrame(toBuffer(data), isBinary, this.#clock.now());
    if (!frame.message) {
      // Not JSON, not an object, or binary: the protocol is JSON objects in text frames.
      const error: ErrorMessage = { type: 'error', message: INVALID_MESSAGE_TEXT };
      this.#sendTo(ws, JSON.stringify(error));
      return;
    }
    const type = messageType(frame.message);
    if (type === 'ping') {
      const pong: PongMessage = { type: 'pong', timestamp: this.#timestamp() };
      this.#sendTo(ws, JSON.stringify(pong));
    } else if (type === 'get_status') {
      const status: StatusMessage = {
        type: 'status',
        connected_clients: this.#clients.size,
        monitoring_active: this.#loopActive,
        timestamp: this.#timestamp(),
      };
      this.#sendTo(ws, JSON.stringify(status));
    } else {
      this.#logger.debug(`ignored a client message of type ${JSON.stringify(type ?? null)}`);
    }
  }

  /** Sends unless the client is over its buffer bound, in which case it is dropped. */
  #sendTo(ws: WebSocket, text: string): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > this.#maxBufferedBytes) {
      this.#clientsDropped += 1;
      this.#logger.warn(
        `dropped a client that does not read: ${ws.bufferedAmount} bytes unsent (limit ${this.#maxBufferedBytes})`,
      );
      this.#removeClient(ws);
      // terminate, not close: a close frame would only queue behind what it does not read.
      ws.terminate();
      return;
    }
    ws.send(text);
    this.#framesSent += 1;
  }

  // ---- the collection loop ----------------------------------------------------------------

  #timestamp(): string {
    return formatLocalTimestamp(this.#clock.now());
  }

  #startLoop(): void {
    if (this.#loopActive || this.#state !== 'listening') return;
    this.#loopActive = true;
    this.#source.resetBaseline?.();
    this.#nextTickAt = this.#clock.now() + this.#intervalMs;
    this.#schedule(this.#loopGeneration);
  }

  #stopLoop(): void {
    if (!this.#loopActive) return;
    this.#loopActive = false;
    this.#loopGeneration += 1;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(generation: number): void {
    const delay = Math.max(0, this.#nextTickAt - this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => void this.#tick(generation), delay);
  }

  /** One collection, one serialization, one send per client; the next tick is scheduled after it. */
  async #tick(generation: number): Promise<void> {
    this.#timer = undefined;
    let data: RealMonitoringData | undefined;
    try {
      data = await this.#source.collect();
      if (data === null || typeof data !== 'object')
        throw new TypeError(`collect() returned ${String(data)}`);
      if (this.#collectionFailing) this.#logger.info('metrics collection works again');
      this.#collectionFailing = false;
    } catch (error) {
      // Warn once per failing streak, not every interval.
      const log = this.#collectionFailing ? this.#logger.debug : this.#logger.warn;
      log.call(
        this.#logger,
        `metrics collection failed, nothing sent: ${(error as Error)?.message ?? error}`,
      );
      this.#collectionFailing = true;
      data = undefined;
    }
    if (generation !== this.#loopGeneration) return;
    if (data !== undefined) this.#broadcastData(data);
    // The broadcast may have dropped the last client, which ends this loop.
    if (generation !== this.#loopGeneration) return;
    const now = this.#clock.now();
    this.#nextTickAt += this.#intervalMs;
    // A collection slower than the interval skips the ticks it overran rather than bunching them.
    if (this.#nextTickAt <= now) this.#nextTickAt = now + this.#intervalMs;
    this.#schedule(generation);
  }

  #broadcastData(data: RealMonitoringData): void {
    const timestamp = this.#timestamp();
    const message: MonitoringDataMessage = { type: 'monitoring_data', timestamp, data };
    const alerts = checkAlerts(data, this.#thresholds, timestamp);
    if (alerts.length > 0) message.alerts = alerts;
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch (error) {
      this.#logger.warn(`metrics not serializable, nothing sent: ${(error as Error).message}`);
      return;
    }
    this.#messagesSent += 1;
    for (const ws of this.#clients) this.#sendTo(ws, text);
  }
}
