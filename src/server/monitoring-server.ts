/**
 * A monitoring server that speaks the real dialect of the protocol (what the Python
 * monitoring-websocket-server sends), for the demo, the tests and anyone without the Python
 * server. It differs from the Python server where that one misbehaves:
 * - JSON that is not an object gets `{"type":"error","message":"Invalid message"}` instead
 *   of closing the connection with 1011;
 * - a client that does not read is disconnected once its unsent data passes a bound, so it
 *   never delays the others nor grows the server's memory;
 * - it collects only while a client is connected: an idle server costs nothing;
 * - it can be exposed: a token, TLS, browsers refused unless their origin is allowed, and
 *   bounds on what any client may cost (handshake time, pending handshakes, connections per
 *   address, incoming messages), refusals logged as one summary line per period.
 *
 * Lifecycle: idle → starting → listening → stopping → stopped; a stopped server stays stopped.
 *
 * A connection, from accept to served:
 *
 *   TCP accept ─▶ HandshakeGuard (pending cap, per-address cap, handshake timeout)
 *     ─▶ [TLS] ─▶ HTTP upgrade request ─▶ Origin allowed? (403) ─▶ token right? (401)
 *     ─▶ WebSocket 101 ─▶ maxClients? (close 1008) ─▶ served: messages rate- and size-limited
 */

import { promises as fs } from 'node:fs';
import { createServer, type Server as HttpServer, type IncomingMessage, STATUS_CODES } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
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
import { checkAlerts } from './alerts.js';
import { BearerToken } from './bearer-token.js';
import { exposureWarning } from './exposure.js';
import { HandshakeGuard, peerAddress } from './handshake-guard.js';
import { type MetricsSource, SystemMetricsSource } from './metrics-source.js';
import { openFileLimit } from './open-file-limit.js';
import { OriginPolicy } from './origin-policy.js';
import { type RefusalCounts, type RefusalReason, RefusalSummary } from './refusal-summary.js';
import {
  type MonitoringServerOptions,
  resolveServerOptions,
  type ServerSettings,
  tlsOption,
} from './server-options.js';
import { formatLocalTimestamp } from './timestamp.js';
import type { TlsCredentials } from './tls-credentials.js';
import { TokenBucket } from './token-bucket.js';

// The options and their defaults live in server-options.ts; these were always importable from here.
export {
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_LOG_SUMMARY_INTERVAL,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_CLIENTS,
  DEFAULT_MAX_CLIENTS_PER_ADDRESS,
  DEFAULT_MAX_MESSAGE_BURST,
  DEFAULT_MAX_MESSAGE_RATE,
  DEFAULT_MAX_PENDING_HANDSHAKES,
  DEFAULT_SERVER_HOST,
  DEFAULT_SERVER_INTERVAL,
  DEFAULT_SERVER_PORT,
  MAX_CLIENT_PAYLOAD,
  type MonitoringServerOptions,
  type NumberRule,
  SERVER_NUMBER_RULES,
  satisfiesRule,
} from './server-options.js';

/** Text of the `connection` message, as the Python server sends it. */
export const CONNECTED_MESSAGE_TEXT = 'Connected to monitoring server';
/** Close code sent to every client by `stop()`. */
export const CLOSE_GOING_AWAY = 1001;
/** Reason sent with {@link CLOSE_GOING_AWAY}. */
export const SERVER_SHUTDOWN_REASON = 'Server shutting down';
/** Close code for a client over its message rate (policy violation). */
export const CLOSE_POLICY_VIOLATION = 1008;
/** Reason sent to a client over its message rate. */
export const MESSAGE_RATE_REASON = 'Too many messages';

/** Where a started server listens. */
export interface ServerAddress {
  /** Address bound, e.g. `127.0.0.1` or `::1`. */
  host: string;
  /** Port bound: the one chosen by the system when `port` was 0. */
  port: number;
  /** `ws://host:port` to give to a client. */
  url: string;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
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

/**
 * File descriptors kept for the process besides its connections: stdio, libuv's own, the
 * files and the nvidia-smi pipes of the metrics (Node alone opens some 20).
 */
const SPARE_FILE_DESCRIPTORS = 64;

type ServerState = 'idle' | 'starting' | 'listening' | 'stopping' | 'stopped';

/** What the server keeps about a client it serves. */
interface Client {
  peer: string;
  address: string;
  messages: TokenBucket;
}

export class MonitoringServer {
  readonly #settings: ServerSettings;
  readonly #source: MetricsSource;
  /** The path to check at start when the source is ours; undefined with an injected source. */
  readonly #diskPathToCheck: string | undefined;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #token: BearerToken | undefined;
  #tls: TlsCredentials | undefined;
  readonly #origins: OriginPolicy;
  readonly #summary: RefusalSummary;
  readonly #guard: HandshakeGuard;
  /** The open-file limit when known: connections are kept below it. */
  readonly #fileLimit: number | undefined;

  #state: ServerState = 'idle';
  #http: HttpServer | undefined;
  #wss: WebSocketServer | undefined;
  #address: ServerAddress | undefined;
  #starting: Promise<ServerAddress> | undefined;
  #stopping: Promise<void> | undefined;
  /** Every open socket, refused ones included, so that stop() can close them all. */
  readonly #sockets = new Set<WebSocket>();
  /** The clients being served. */
  readonly #clients = new Map<WebSocket, Client>();
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
    const settings = resolveServerOptions(options);
    this.#settings = settings;
    this.#logger = settings.logger ?? silentLogger;
    this.#clock = settings.clock ?? systemClock;
    this.#token = settings.token === undefined ? undefined : new BearerToken(settings.token);
    this.#tls = settings.tls;
    this.#origins = new OriginPolicy(settings.allowedOrigins);
    if (settings.metricsSource !== undefined) {
      this.#source = settings.metricsSource;
      this.#diskPathToCheck = undefined;
    } else {
      this.#source = new SystemMetricsSource({ diskPath: settings.diskPath, logger: this.#logger });
      this.#diskPathToCheck = settings.diskPath;
    }
    this.#summary = new RefusalSummary({
      clock: this.#clock,
      periodMs: settings.logSummaryIntervalMs,
      report: (line) => this.#logger.warn(line),
    });
    this.#fileLimit = openFileLimit();
    const fileLimit = this.#fileLimit;
    this.#guard = new HandshakeGuard({
      clock: this.#clock,
      handshakeTimeoutMs: settings.handshakeTimeoutMs,
      maxPending: settings.maxPendingHandshakes,
      maxPerAddress: settings.maxClientsPerAddress,
      maxConnections: fileLimit === undefined ? Number.POSITIVE_INFINITY : fileLimit - SPARE_FILE_DESCRIPTORS,
      onRefused: (reason, address) => this.#summary.count(reason, address),
    });
  }

  /** `ws://host:port` (or `wss://`) while listening, else undefined. */
  get url(): string | undefined {
    return this.#state === 'listening' ? this.#address?.url : undefined;
  }

  /** Clients being served (refused ones are not counted). */
  get clientCount(): number {
    return this.#clients.size;
  }

  /** Connections accepted whose TLS or WebSocket handshake is not complete. */
  get pendingHandshakes(): number {
    return this.#guard.pending;
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

  /** Connections refused and clients cut off since the start, by reason (what the summary lines add up to). */
  get refusals(): Readonly<RefusalCounts> {
    return { ...this.#summary.totals };
  }

  /**
   * Replaces the TLS certificate and key (a renewal) without a restart: connections made
   * from now on get the new ones, open ones keep theirs.
   * @throws InvalidOptionError (option `tls`) when they are not a valid pair, or the server
   *   was not created with `tls`; the current ones are kept.
   */
  reloadTls(credentials: TlsCredentials): void {
    if (this.#tls === undefined) {
      throw new InvalidOptionError('tls', '[certificate and key]', 'a server created with the tls option');
    }
    const checked = tlsOption(credentials);
    this.#tls = checked;
    if (this.#http && 'setSecureContext' in this.#http) {
      (this.#http as unknown as { setSecureContext(o: TlsCredentials): void }).setSecureContext(checked);
    }
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
    const http: HttpServer = this.#tls
      ? (createHttpsServer({ cert: this.#tls.cert, key: this.#tls.key }) as unknown as HttpServer)
      : createServer();
    http.on('request', (_request, response) => {
      // A browser or curl: say what this port is rather than hang up, and free the connection.
      response.writeHead(426, {
        'content-type': 'text/plain; charset=utf-8',
        upgrade: 'websocket',
        connection: 'close',
      });
      response.end('This is a WebSocket monitoring server: connect with a WebSocket client.\n');
    });
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.#settings.maxMessageSize,
      clientTracking: false,
      perMessageDeflate: false,
    });
    // ws would answer a malformed upgrade with 400 by itself; listening lets us count it.
    wss.on('wsClientError', (_error, socket) => this.#refuseHandshake(socket as Socket, 400, 'badHandshake'));
    this.#http = http;
    this.#wss = wss;
    // Before TLS and HTTP: a connection is bounded from its first moment.
    http.on('connection', (socket: Socket) => {
      if (this.#state === 'listening') this.#guard.accept(socket);
      else socket.destroy();
    });
    http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#onUpgrade(request, socket as Socket, head),
    );
    http.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
      // Not HTTP, headers too large, ...; a reset is the peer leaving, no refusal.
      if (error.code !== 'ECONNRESET' && socket.writable) {
        const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
        this.#refuseHandshake(socket as Socket, status, 'badHandshake');
      } else {
        socket.destroy();
      }
    });
    http.on('tlsClientError', (error: NodeJS.ErrnoException, socket: Socket) => {
      // A failed TLS handshake (plain HTTP on the TLS port, an unknown CA at the client...).
      if (error.code !== 'ECONNRESET') this.#summary.count('badHandshake', peerAddress(socket));
    });
    // Errors after listen(): without a listener they would crash the process.
    http.on('error', (error: Error) => {
      if (this.#state === 'listening') this.#logger.error(`server error: ${error.message}`);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen({ host: this.#settings.host, port: this.#settings.port }, () => {
          http.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = (code && LISTEN_ERRORS[code]) || (error as Error).message;
      throw new MonitoringError(
        'LISTEN_FAILED',
        `cannot listen on ${this.#settings.host}:${this.#settings.port}: ${reason}${code ? ` (${code})` : ''}`,
        { cause: error },
      );
    }
    const bound = http.address() as AddressInfo;
    const urlHost =
      bound.family === 'IPv6' || bound.address.includes(':') ? `[${bound.address}]` : bound.address;
    const scheme = this.#tls ? 'wss' : 'ws';
    this.#address = { host: bound.address, port: bound.port, url: `${scheme}://${urlHost}:${bound.port}` };
    if (this.#state !== 'starting') throw new StoppedError('the server was stopped while starting');
    this.#state = 'listening';
    this.#logger.debug(`listening on ${this.#address.url}`);
    this.#warnAtStart(bound.address);
    return this.#address;
  }

  /** Says what is exposed, and whether the open-file limit lets the configured clients in. */
  #warnAtStart(address: string): void {
    const exposure = exposureWarning(address, {
      token: this.#token !== undefined,
      tls: this.#tls !== undefined,
    });
    if (exposure) this.#logger.warn(exposure);
    const limit = this.#fileLimit;
    const needed = this.#settings.maxClients + this.#settings.maxPendingHandshakes + SPARE_FILE_DESCRIPTORS;
    if (limit !== undefined && limit < needed) {
      this.#logger.warn(
        `the open-file limit (ulimit -n) is ${limit}: at most ${Math.max(0, limit - SPARE_FILE_DESCRIPTORS)} ` +
          `connections, fewer than the ${this.#settings.maxClients} clients and ${this.#settings.maxPendingHandshakes} pending ` +
          `handshakes allowed; raise it (ulimit -n ${needed}) or lower the client limit`,
      );
    }
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
      this.#guard.close();
      for (const ws of this.#sockets) ws.close(CLOSE_GOING_AWAY, SERVER_SHUTDOWN_REASON);
      await this.#waitForSockets(this.#settings.closeTimeoutMs);
      for (const ws of this.#sockets) ws.terminate();
      this.#wss?.close();
      http.closeAllConnections();
      await httpClosed;
    }
    this.#clients.clear();
    this.#summary.flush();
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
    for (const ws of this.#clients.keys()) this.#sendTo(ws, text);
  }

  // ---- connections ------------------------------------------------------------------------

  /** An HTTP upgrade request: refused with a status, or handed to ws for the 101. */
  #onUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    if (this.#state !== 'listening') {
      socket.destroy();
      return;
    }
    // Browsers only: version 8 of the protocol named it Sec-WebSocket-Origin.
    const origin = request.headers.origin ?? firstHeader(request.headers['sec-websocket-origin']);
    if (!this.#origins.allows(origin)) {
      this.#refuseHandshake(socket, 403, 'forbiddenOrigin');
      return;
    }
    if (this.#token && this.#token.check(request.headers.authorization) !== 'ok') {
      // The status says no more than "no": which of missing or wrong is the client's to know.
      this.#refuseHandshake(socket, 401, 'unauthorized', { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    this.#wss?.handleUpgrade(request, socket, head, (ws) => this.#onConnection(ws, request));
  }

  /** Answers a handshake with an HTTP error and closes the connection; counted in the summary. */
  #refuseHandshake(
    socket: Socket,
    status: number,
    reason: RefusalReason,
    headers: Record<string, string> = {},
  ): void {
    this.#summary.count(reason, peerAddress(socket));
    this.#guard.refused(socket);
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const body = `${STATUS_CODES[status] ?? 'Refused'}\n`;
    const lines = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Refused'}`,
      'Connection: close',
      'Content-Type: text/plain; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    // Destroyed once written: a client that never reads cannot keep it (nor can one that never closes).
    socket.once('finish', () => socket.destroy());
    socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  }

  #onConnection(ws: WebSocket, request: IncomingMessage): void {
    const socket = request.socket;
    const address = peerAddress(socket);
    const peer = `${address}:${socket.remotePort ?? '?'}`;
    this.#guard.served(socket);
    this.#sockets.add(ws);
    ws.on('error', (error: Error & { code?: string }) => {
      // ws closes the connection itself (1009 for a message too large, 1002 for a bad frame).
      if (this.#clients.has(ws)) {
        this.#summary.count(
          error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'messageSize' : 'protocolError',
          address,
        );
        this.#removeClient(ws);
      }
      this.#logger.debug(`client ${peer}: ${error.message}`);
    });
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
    if (this.#clients.size >= this.#settings.maxClients) {
      this.#summary.count('atCapacity', address);
      this.#closeWithin(ws, CLOSE_SERVER_AT_CAPACITY, SERVER_AT_CAPACITY_REASON);
      return;
    }
    const client: Client = {
      peer,
      address,
      messages: new TokenBucket(
        this.#settings.maxMessageRate,
        this.#settings.maxMessageBurst,
        this.#clock.now(),
      ),
    };
    this.#clients.set(ws, client);
    this.#logger.info(`client ${peer} connected; ${this.#clients.size} connected`);
    ws.on('message', (data, isBinary) => {
      if (this.#admit(ws, client)) this.#onMessage(ws, data, isBinary);
    });
    // Pings cost a pong each: they count as messages.
    ws.on('ping', () => this.#admit(ws, client));
    const hello: ConnectionMessage = {
      type: 'connection',
      status: 'connected',
      timestamp: this.#timestamp(),
      message: CONNECTED_MESSAGE_TEXT,
    };
    this.#sendTo(ws, JSON.stringify(hello));
    if (this.#clients.size === 1) this.#startLoop();
  }

  /**
   * True when a client's incoming message is within its rate. Past it the client is cut off
   * at once (close 1008) and no longer read, so a flood costs the others nothing more.
   */
  #admit(ws: WebSocket, client: Client): boolean {
    if (!this.#clients.has(ws)) return false;
    if (client.messages.take(this.#clock.now())) return true;
    this.#summary.count('messageRate', client.address);
    this.#removeClient(ws);
    this.#logger.debug(`client ${client.peer} cut off: over ${this.#settings.maxMessageRate} messages/s`);
    this.#closeWithin(ws, CLOSE_POLICY_VIOLATION, MESSAGE_RATE_REASON);
    // Not read any more: its close frame is not awaited, closeTimeout ends it.
    ws.pause();
    return false;
  }

  /** Sends a close frame, and cuts the connection if it is still open after `closeTimeout`. */
  #closeWithin(ws: WebSocket, code: number, reason: string): void {
    ws.close(code, reason);
    const timer = this.#clock.setTimeout(() => ws.terminate(), this.#settings.closeTimeoutMs);
    ws.once('close', () => this.#clock.clearTimeout(timer));
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
    if (ws.bufferedAmount > this.#settings.maxBufferedBytes) {
      this.#clientsDropped += 1;
      this.#summary.count('slowReader', this.#clients.get(ws)?.address);
      this.#logger.debug(
        `dropped a client that does not read: ${ws.bufferedAmount} bytes unsent (limit ${this.#settings.maxBufferedBytes})`,
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
    this.#nextTickAt = this.#clock.now() + this.#settings.intervalMs;
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
    this.#nextTickAt += this.#settings.intervalMs;
    // A collection slower than the interval skips the ticks it overran rather than bunching them.
    if (this.#nextTickAt <= now) this.#nextTickAt = now + this.#settings.intervalMs;
    this.#schedule(generation);
  }

  #broadcastData(data: RealMonitoringData): void {
    const timestamp = this.#timestamp();
    const message: MonitoringDataMessage = { type: 'monitoring_data', timestamp, data };
    const alerts = checkAlerts(data, this.#settings.thresholds, timestamp);
    if (alerts.length > 0) message.alerts = alerts;
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch (error) {
      this.#logger.warn(`metrics not serializable, nothing sent: ${(error as Error).message}`);
      return;
    }
    this.#messagesSent += 1;
    for (const ws of this.#clients.keys()) this.#sendTo(ws, text);
  }
}
