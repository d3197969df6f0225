/**
 * The low-level client: one WebSocket connection to a monitoring server, kept alive by
 * reconnection and a ping heartbeat, with every received frame parsed once and dispatched as
 * typed events. States and their transitions are drawn in client-state.ts.
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { createRequire } from 'node:module';
import type { ClientOptions, default as WebSocketClass } from 'ws';
import {
  CONNECT_TIMEOUT,
  isWebSocketUri,
  MAX_PAYLOAD,
  MAX_RECONNECT_ATTEMPTS,
  OPERATION_TIMEOUT,
  PING_INTERVAL,
  PING_TIMEOUT,
  RECONNECT_INTERVAL,
  SEND_TIMEOUT,
} from '../config.js';
import { ConnectionError, GaveUpError, InvalidOptionError, SendError, StoppedError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { messageType, parseFrame, type ReceivedFrame } from '../protocol/frame.js';
import { isSensitiveHeader, REDACTED } from '../redact.js';
import { ClientState } from './client-state.js';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import { type ConnectSlot, ConnectSlots } from './connect-slots.js';
import type { ConnectionEvents, EventHandler, WildcardHandler } from './events.js';
import {
  credentialsSentInClear,
  isReservedHandshakeHeader,
  RESERVED_HANDSHAKE_HEADERS,
} from './handshake-headers.js';
import { Heartbeat } from './heartbeat.js';
import { MAX_JITTER, type ReconnectPolicy, reconnectDelay } from './reconnect-policy.js';
import { type ConnectionStatistics, StatisticsAccumulator } from './statistics.js';
import { TypedEmitter } from './typed-emitter.js';

// ws loaded as CommonJS: its ESM entry (wrapper.mjs) re-imports each of its eight files
// through the ESM loader, which adds about 40 ms to every start of the process (measured with
// bench/, Node 20). It is the same class either way: an ESM `import 'ws'` elsewhere in the
// application gets this very module from the require cache.
const WebSocket = createRequire(import.meta.url)('ws') as typeof WebSocketClass;
type WebSocket = WebSocketClass;

/** Seconds a connection must stay up to count as healthy when no valid message proves it first. */
export const DEFAULT_MIN_UPTIME = 5;
/** Default cap, in seconds, of a growing reconnection interval (raised to `reconnectInterval` if that is longer). */
export const DEFAULT_MAX_RECONNECT_INTERVAL = 60;
/** Default fraction by which a reconnection wait is randomly shortened. */
export const DEFAULT_RECONNECT_JITTER = 0.1;

/** Growth of the wait between reconnection attempts. By default the wait is fixed. */
export interface ReconnectBackoffOptions {
  /** Factor applied to the wait after each failed attempt; 1 keeps it fixed. At least 1. Default 1. */
  multiplier?: number;
  /** Longest wait, in seconds. At least `reconnectInterval`. Default 60 (or `reconnectInterval` if longer). */
  maxInterval?: number;
  /**
   * Fraction (0 to 0.2) by which each wait is randomly shortened, so that many clients do not
   * all retry at the same instant. A wait is never lengthened. Default 0.1.
   */
  jitter?: number;
}

/** Options of {@link WebSocketClient}. Times are in seconds, like the documentation and the CLI. */
export interface WebSocketClientOptions {
  /** Where the client logs: any object with debug/info/warn/error (console, pino, winston). Default {@link silentLogger}. */
  logger?: Logger;
  /** Reconnect after a failed attempt or a lost connection. Default true. */
  reconnect?: boolean;
  /** Seconds between reconnection attempts (the first wait when `reconnectBackoff` grows it). Default 5. */
  reconnectInterval?: number;
  /**
   * Reconnection attempts in a row before giving up; counted since the last healthy connection.
   * `null` = unlimited, `0` = never retry. Default null.
   */
  maxReconnectAttempts?: number | null;
  /** Growth, cap and jitter of the reconnection wait. Default: fixed `reconnectInterval`, jitter 0.1. */
  reconnectBackoff?: ReconnectBackoffOptions;
  /**
   * Seconds a connection must stay up before it counts as healthy and the attempt counter is
   * reset, unless a valid message arrives first. A server that accepts and then drops every
   * connection therefore still exhausts `maxReconnectAttempts`. Default 5.
   */
  minUptime?: number;
  /** Seconds between WebSocket ping frames; 0 disables the heartbeat. Default 30. */
  pingInterval?: number;
  /** Seconds a ping may stay unanswered before the link is declared dead. Default 10. */
  pingTimeout?: number;
  /** Seconds allowed for the TCP + TLS + WebSocket handshake. Default 5. */
  connectTimeout?: number;
  /** Seconds `stop()` waits for the server to answer the close before cutting the socket. Default 5. */
  closeTimeout?: number;
  /** Seconds one `send()` may take to be flushed to the socket. Default 5. */
  sendTimeout?: number;
  /** Extra HTTP headers of the handshake (e.g. `Authorization`), sent on every (re)connection. Default none. */
  headers?: Record<string, string>;
  /** `wss://`: certificate authorities to trust instead of the system's (PEM). Default: the system's. */
  ca?: string | Buffer | (string | Buffer)[];
  /** `wss://`: client certificate (PEM), for servers that require one. Default none. */
  cert?: string | Buffer;
  /** `wss://`: private key of `cert` (PEM). Default none. */
  key?: string | Buffer;
  /** `wss://`: refuse a server whose certificate is not trusted. Default true. */
  rejectUnauthorized?: boolean;
  /**
   * Largest frame accepted, in bytes. A bigger frame is reported as an invalid frame
   * (`too_large`), the connection is closed with 1009 and reconnection follows. Default 1 MiB.
   */
  maxPayload?: number;
  /** Offer permessage-deflate compression. Off by default: it costs about 20x in receive throughput. */
  perMessageDeflate?: boolean;
  /** Source of time and timers; tests inject a fake one. Default {@link systemClock}. */
  clock?: Clock;
  /**
   * Slots shared with other clients that bound the handshakes in flight: each attempt waits
   * for one, and `connectTimeout` counts from then. A fleet gives its clients one. Default none.
   */
  connectSlots?: ConnectSlots;
}

/** Event names of the client itself: a server message with one of these types is not re-emitted under it. */
const CONNECTION_EVENT_NAMES: Record<keyof ConnectionEvents | '*', true> = {
  state_change: true,
  connected: true,
  disconnected: true,
  reconnecting: true,
  connection_error: true,
  give_up: true,
  frame: true,
  invalid_frame: true,
  heartbeat: true,
  handler_error: true,
  '*': true,
};
const RESERVED_EVENTS: ReadonlySet<string> = new Set(Object.keys(CONNECTION_EVENT_NAMES));

/** setTimeout's largest delay (2^31 - 1 ms), in whole seconds: longer delays would fire at once. */
const MAX_TIMER_SECONDS = 2_147_483;

/** OpenSSL verification codes that do not contain "CERT". */
const TLS_ERROR_CODES: ReadonlySet<string> = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'EPROTO']);
const DNS_ERROR_CODES: ReadonlySet<string> = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_NODATA',
  'EAI_FAIL',
]);

interface Settings {
  reconnect: boolean;
  maxReconnectAttempts: number | null;
  policy: ReconnectPolicy;
  minUptimeMs: number;
  connectTimeoutMs: number;
  closeTimeoutMs: number;
  sendTimeoutMs: number;
}

/** One connection attempt and, once open, the connection. */
interface Attempt {
  readonly socket: WebSocket;
  opened: boolean;
  /** Clock time of the open. */
  openedAt: number;
  /** Why the attempt failed or the connection died; the first cause wins. */
  error: ConnectionError | undefined;
  /** An error ws reported on the open connection (protocol violation, write failure): the close's cause. */
  cause: Error | undefined;
  /**
   * The code ws closed with after a protocol violation. The close event says 1006 then, since
   * ws stops reading and never sees the peer's answer.
   */
  violationCode: number | undefined;
  connectTimer: TimerHandle | undefined;
  closeTimer: TimerHandle | undefined;
  /** The connect slot, held until the handshake ends (see ConnectSlots). */
  slot: ConnectSlot | undefined;
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

interface PendingSend extends Waiter {
  timer: TimerHandle | undefined;
}

/**
 * A connection to a monitoring server that stays up: it reconnects after failures, detects a
 * dead link with pings, and emits every received message as an event named after its `type`.
 *
 * ```ts
 * const client = new WebSocketClient('ws://localhost:8765', { maxReconnectAttempts: 10 });
 * client.on('monitoring_data', (message) => console.log(message.data));
 * client.on('give_up', (error) => console.error(error.message));
 * await client.start();
 * ```
 */
export class WebSocketClient {
  /** The server's URI, as given. */
  readonly uri: string;
  /** The URI without credentials, for messages and logs. */
  readonly #displayUri: string;
  readonly #secure: boolean;
  readonly #settings: Settings;
  readonly #wsOptions: ClientOptions & { closeTimeout: number };
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #emitter: TypedEmitter;
  readonly #stats = new StatisticsAccumulator();
  readonly #heartbeat: Heartbeat | undefined;
  readonly #connectSlots: ConnectSlots | undefined;
  /** The next attempt's place in the queue of `connectSlots`, while it waits for a slot. */
  #queued: ConnectSlot | undefined;

  #state: ClientState = ClientState.DISCONNECTED;
  /** The attempt or connection in use; events of any other socket are stale and ignored. */
  #current: Attempt | undefined;
  /** The connection stop() is closing. */
  #closing: Attempt | undefined;
  /** Every socket not yet closed, current or retired: stop() waits for all of them. */
  readonly #sockets = new Set<WebSocket>();
  #retryTimer: TimerHandle | undefined;
  /** True from start() until stop() or giving up. */
  #active = false;
  /**
   * Bumped by every control action (start, stop, reconnect, a new socket). A sequence of
   * emits checks it after each one and gives up the rest if a handler took control meanwhile.
   */
  #epoch = 0;
  /** Retries since the last healthy connection. */
  #retries = 0;
  /** Connection attempts since the last healthy connection. */
  #attemptsMade = 0;
  /** The current connection proved healthy (a valid message, or minUptime). */
  #healthy = false;
  #waiters: Waiter[] = [];
  readonly #pendingSends = new Set<PendingSend>();
  #stopping: { promise: Promise<void>; resolve(): void } | undefined;
  /** Reading is paused by pauseReading() (backpressure from a slow consumer). */
  #readingPaused = false;

  /**
   * @param uri `ws://` or `wss://` URI of the server, e.g. `ws://localhost:8765`.
   * @throws InvalidOptionError naming the option and the values allowed.
   */
  constructor(uri: string, options: WebSocketClientOptions = {}) {
    if (typeof uri !== 'string' || !isWebSocketUri(uri) || new URL(uri).hash !== '') {
      throw new InvalidOptionError('uri', uri, 'a ws:// or wss:// URI with a host and no #fragment');
    }
    if (options === null || typeof options !== 'object') {
      throw new InvalidOptionError('options', options, 'an object');
    }
    this.uri = uri;
    const url = new URL(uri);
    this.#secure = url.protocol === 'wss:';
    if (url.username !== '' || url.password !== '') {
      url.username = '';
      url.password = '';
      this.#displayUri = url.href;
    } else {
      this.#displayUri = uri;
    }

    this.#logger = readLogger(options.logger);
    this.#clock = readClock(options.clock);
    if (options.connectSlots !== undefined && !(options.connectSlots instanceof ConnectSlots)) {
      throw new InvalidOptionError('connectSlots', options.connectSlots, 'a ConnectSlots or nothing');
    }
    this.#connectSlots = options.connectSlots;
    const reconnectInterval = readSeconds(
      options.reconnectInterval,
      'reconnectInterval',
      RECONNECT_INTERVAL,
      false,
    );
    const backoff = options.reconnectBackoff ?? {};
    if (backoff === null || typeof backoff !== 'object') {
      throw new InvalidOptionError(
        'reconnectBackoff',
        backoff,
        'an object with multiplier, maxInterval, jitter',
      );
    }
    const multiplier = backoff.multiplier ?? 1;
    if (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 1) {
      throw new InvalidOptionError('reconnectBackoff.multiplier', multiplier, 'a finite number >= 1');
    }
    const maxInterval = readSeconds(
      backoff.maxInterval,
      'reconnectBackoff.maxInterval',
      Math.max(DEFAULT_MAX_RECONNECT_INTERVAL, reconnectInterval),
      false,
    );
    if (maxInterval < reconnectInterval) {
      throw new InvalidOptionError(
        'reconnectBackoff.maxInterval',
        maxInterval,
        `a number of seconds >= reconnectInterval (${reconnectInterval})`,
      );
    }
    const jitter = backoff.jitter ?? DEFAULT_RECONNECT_JITTER;
    if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= MAX_JITTER)) {
      throw new InvalidOptionError('reconnectBackoff.jitter', jitter, `a fraction from 0 to ${MAX_JITTER}`);
    }
    const maxAttempts =
      options.maxReconnectAttempts === undefined ? MAX_RECONNECT_ATTEMPTS : options.maxReconnectAttempts;
    if (maxAttempts !== null && !(Number.isSafeInteger(maxAttempts) && maxAttempts >= 0)) {
      throw new InvalidOptionError(
        'maxReconnectAttempts',
        maxAttempts,
        'null (unlimited) or an integer >= 0',
      );
    }
    const pingInterval = readSeconds(options.pingInterval, 'pingInterval', PING_INTERVAL, true);
    const pingTimeout = readSeconds(options.pingTimeout, 'pingTimeout', PING_TIMEOUT, false);
    this.#settings = {
      reconnect: readBoolean(options.reconnect, 'reconnect', true),
      maxReconnectAttempts: maxAttempts,
      policy: { baseMs: reconnectInterval * 1000, multiplier, maxMs: maxInterval * 1000, jitter },
      minUptimeMs: readSeconds(options.minUptime, 'minUptime', DEFAULT_MIN_UPTIME, true) * 1000,
      connectTimeoutMs: readSeconds(options.connectTimeout, 'connectTimeout', CONNECT_TIMEOUT, false) * 1000,
      closeTimeoutMs: readSeconds(options.closeTimeout, 'closeTimeout', OPERATION_TIMEOUT, false) * 1000,
      sendTimeoutMs: readSeconds(options.sendTimeout, 'sendTimeout', SEND_TIMEOUT, false) * 1000,
    };
    const maxPayload = options.maxPayload ?? MAX_PAYLOAD;
    if (!(Number.isSafeInteger(maxPayload) && maxPayload >= 1)) {
      throw new InvalidOptionError('maxPayload', maxPayload, 'a whole number of bytes >= 1');
    }
    this.#wsOptions = {
      headers: readHeaders(options.headers),
      maxPayload,
      perMessageDeflate: readBoolean(options.perMessageDeflate, 'perMessageDeflate', false),
      rejectUnauthorized: readBoolean(options.rejectUnauthorized, 'rejectUnauthorized', true),
      followRedirects: false,
      // ws's own bound on a close it starts itself (e.g. 1009 after a frame too large).
      closeTimeout: this.#settings.closeTimeoutMs,
    };
    const inClear = credentialsSentInClear(uri, this.#wsOptions.headers ?? {});
    if (inClear.length > 0) {
      this.#logger.warn(
        `${inClear.join(', ')} will be sent unencrypted to ${url.host} (ws://): use wss:// to protect them`,
      );
    }
    if (options.ca !== undefined) this.#wsOptions.ca = readPem(options.ca, 'ca', true);
    if (options.cert !== undefined)
      this.#wsOptions.cert = readPem(options.cert, 'cert', false) as string | Buffer;
    if (options.key !== undefined)
      this.#wsOptions.key = readPem(options.key, 'key', false) as string | Buffer;

    this.#emitter = new TypedEmitter(this.#logger);
    if (pingInterval > 0) {
      this.#heartbeat = new Heartbeat(
        {
          sendPing: () => this.#sendPing(),
          onRoundTrip: (rttMs) => this.#onRoundTrip(rttMs),
          onDead: () => this.#onDeadLink(pingTimeout),
        },
        this.#clock,
        pingInterval * 1000,
        pingTimeout * 1000,
      );
    }
  }

  /** The connection's state; see the diagram in client-state.ts. */
  get state(): ClientState {
    return this.#state;
  }

  isConnected(): boolean {
    return this.#state === ClientState.CONNECTED;
  }

  /**
   * Adds an event handler; its argument's type follows from the event name. `'*'` handlers
   * receive `(eventType, data)` for every event. A handler may be async; one that throws or
   * rejects is logged, counted and reported as `handler_error`, and the others still run.
   */
  on(event: '*', handler: WildcardHandler): this;
  on<E extends string>(event: E, handler: EventHandler<E>): this;
  on(event: string, handler: EventHandler<string> | WildcardHandler): this {
    this.#emitter.on(event, handler as EventHandler<string>);
    return this;
  }

  /** Removes a handler added with on(). */
  off(event: '*', handler: WildcardHandler): this;
  off<E extends string>(event: E, handler: EventHandler<E>): this;
  off(event: string, handler: EventHandler<string> | WildcardHandler): this {
    this.#emitter.off(event, handler as EventHandler<string>);
    return this;
  }

  /** Alias of off(). */
  removeHandler(event: '*', handler: WildcardHandler): this;
  removeHandler<E extends string>(event: E, handler: EventHandler<E>): this;
  removeHandler(event: string, handler: EventHandler<string> | WildcardHandler): this {
    this.#emitter.off(event, handler as EventHandler<string>);
    return this;
  }

  /**
   * Connects. Resolves once connected; retries per the reconnection options meanwhile.
   * @throws GaveUpError (rejection) when it gives up; `cause` is the last ConnectionError.
   * @throws StoppedError (rejection) when stop() is called first.
   */
  start(): Promise<void> {
    if (this.#stopping) return this.#stopping.promise.then(() => this.start());
    if (this.#state === ClientState.CONNECTED) return Promise.resolve();
    if (this.#state === ClientState.CONNECTING || this.#state === ClientState.RECONNECTING) {
      return this.#waitForConnection();
    }
    // DISCONNECTED or ERROR: a new run.
    this.#active = true;
    this.#retries = 0;
    this.#attemptsMade = 0;
    const connected = this.#waitForConnection();
    this.#openSocket();
    this.#setState(ClientState.CONNECTING);
    return connected;
  }

  /**
   * Closes the connection gracefully (code 1000) and cancels every timer and pending
   * operation. Resolves once every socket is closed; a server that does not answer the close
   * within `closeTimeout` has its socket cut. Idempotent.
   */
  stop(): Promise<void> {
    if (this.#stopping) return this.#stopping.promise;
    this.#epoch++;
    this.#active = false;
    this.#cancelRetry();
    this.#leaveQueue();
    this.#heartbeat?.stop();
    this.#stats.connectionEnded(this.#clock.now());
    const stopped = new StoppedError();
    for (const waiter of this.#takeWaiters()) waiter.reject(stopped);
    this.#failPendingSends(stopped);

    const attempt = this.#current;
    this.#current = undefined;
    if (attempt !== undefined) {
      this.#closing = attempt;
      this.#clearConnectTimer(attempt);
      if (attempt.opened) {
        attempt.socket.close(1000, 'client stopped');
        this.#armCloseBound(attempt);
      } else {
        attempt.socket.terminate();
      }
    }
    // Sockets retired by reconnect() are still closing: no need to wait for their peer.
    for (const socket of this.#sockets) {
      if (socket !== attempt?.socket) socket.terminate();
    }

    let done: Promise<void>;
    if (this.#sockets.size === 0) {
      done = Promise.resolve();
    } else {
      let resolve!: () => void;
      done = new Promise<void>((r) => {
        resolve = r;
      });
      this.#stopping = { promise: done, resolve };
    }
    if (this.#state !== ClientState.DISCONNECTED) {
      this.#logger.info(`stopping the connection to ${this.#displayUri}`);
      this.#setState(ClientState.DISCONNECTED);
    }
    return done;
  }

  /**
   * Replaces the connection with a new one (or connects now instead of waiting for the retry
   * timer). Resolves when connected again; rejects like start().
   */
  reconnect(): Promise<void> {
    if (this.#stopping) return this.start();
    switch (this.#state) {
      case ClientState.DISCONNECTED:
      case ClientState.ERROR:
        return this.start();
      case ClientState.CONNECTING:
        return this.#waitForConnection();
      case ClientState.RECONNECTING: {
        const connected = this.#waitForConnection();
        this.#cancelRetry();
        this.#openSocket();
        this.#setState(ClientState.CONNECTING);
        return connected;
      }
      case ClientState.CONNECTED: {
        const connected = this.#waitForConnection();
        const reason = 'reconnect requested';
        const old = this.#current;
        this.#current = undefined;
        if (old !== undefined) this.#retire(old, reason);
        this.#openSocket();
        const epoch = this.#epoch;
        this.#setState(ClientState.RECONNECTING);
        if (epoch !== this.#epoch) return connected;
        this.#emitter.emit('disconnected', { code: 1000, reason, willReconnect: true });
        if (epoch !== this.#epoch) return connected;
        this.#setState(ClientState.CONNECTING);
        return connected;
      }
    }
  }

  /**
   * Sends `data` as one JSON text frame. Resolves once it is flushed to the socket.
   * @throws SendError (rejection): `NOT_CONNECTED`, `NOT_SERIALIZABLE`, `SEND_TIMEOUT` (not
   *   flushed within `sendTimeout`), `SEND_FAILED` (the connection failed first).
   * @throws StoppedError (rejection) when stop() is called before the flush.
   */
  send(data: unknown): Promise<void> {
    const attempt = this.#current;
    if (this.#state !== ClientState.CONNECTED || attempt === undefined || !attempt.opened) {
      return Promise.reject(new SendError('NOT_CONNECTED', `cannot send: the client is ${this.#state}`));
    }
    let text: string | undefined;
    try {
      text = JSON.stringify(data);
    } catch (error) {
      return Promise.reject(
        new SendError('NOT_SERIALIZABLE', 'cannot send: the data is not serializable to JSON', {
          cause: error,
        }),
      );
    }
    if (typeof text !== 'string') {
      return Promise.reject(
        new SendError('NOT_SERIALIZABLE', `cannot send: JSON has no form for ${typeof data}`),
      );
    }
    const payload = text;
    return new Promise<void>((resolve, reject) => {
      const pending: PendingSend = { resolve, reject, timer: undefined };
      pending.timer = this.#clock.setTimeout(() => {
        if (!this.#pendingSends.delete(pending)) return;
        reject(
          new SendError(
            'SEND_TIMEOUT',
            `the message was not flushed within ${this.#settings.sendTimeoutMs / 1000} s`,
          ),
        );
      }, this.#settings.sendTimeoutMs);
      this.#pendingSends.add(pending);
      attempt.socket.send(payload, (error) => {
        if (!error) {
          this.#stats.messagesSent++;
          this.#stats.bytesSent += Buffer.byteLength(payload);
        }
        if (!this.#pendingSends.delete(pending)) return;
        if (pending.timer !== undefined) this.#clock.clearTimeout(pending.timer);
        if (error)
          reject(
            new SendError('SEND_FAILED', `the message could not be sent: ${error.message}`, { cause: error }),
          );
        else resolve();
      });
    });
  }

  /**
   * Stops reading from the server until resumeReading(): for a consumer slower than the
   * server; TCP then slows the server down. The heartbeat is suspended meanwhile (pongs are
   * not read either).
   */
  pauseReading(): void {
    if (this.#readingPaused) return;
    this.#readingPaused = true;
    this.#heartbeat?.stop();
    this.#current?.socket.pause();
  }

  /** Reads from the server again after pauseReading(). */
  resumeReading(): void {
    if (!this.#readingPaused) return;
    this.#readingPaused = false;
    const attempt = this.#current;
    attempt?.socket.resume();
    if (attempt?.opened) this.#heartbeat?.start();
  }

  /** A snapshot of the statistics, over the whole life of the client. */
  getStatistics(): ConnectionStatistics {
    return this.#stats.snapshot(this.#clock.now(), this.#state, this.#emitter.handlerErrors);
  }

  // ---- the one place where the state changes ----------------------------------------------

  #setState(newState: ClientState): void {
    const oldState = this.#state;
    if (oldState === newState) return;
    this.#state = newState;
    this.#logger.debug(`state ${oldState} -> ${newState}`);
    this.#emitter.emit('state_change', { oldState, newState });
  }

  // ---- connection attempts ----------------------------------------------------------------

  #openSocket(): void {
    this.#epoch++;
    this.#attemptsMade++;
    this.#healthy = false;
    const previous = this.#current;
    this.#current = undefined;
    if (previous !== undefined) this.#retire(previous, 'superseded');
    // This attempt takes the place of one still waiting for a slot.
    this.#leaveQueue();
    const slots = this.#connectSlots;
    if (slots === undefined) {
      this.#connect(undefined);
      return;
    }
    // stop() gives the place up, so an admission always finds the client active.
    let admitted = false;
    const place = slots.acquire((slot) => {
      admitted = true;
      this.#queued = undefined;
      this.#connect(slot);
    });
    if (!admitted) this.#queued = place;
  }

  /** Frees the attempt's slot and forgets it: a fleet keeps one attempt per target. */
  #releaseSlot(attempt: Attempt): void {
    attempt.slot?.release();
    attempt.slot = undefined;
  }

  #leaveQueue(): void {
    this.#queued?.release();
    this.#queued = undefined;
  }

  #connect(slot: ConnectSlot | undefined): void {
    this.#logger.debug(`connecting to ${this.#displayUri}`);
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.uri, this.#wsOptions);
    } catch (error) {
      slot?.release();
      // Options are validated up front, so this is unexpected; fail like any attempt, asynchronously.
      const epoch = this.#epoch;
      const failure = classifyError(error, this.#secure, this.#displayUri);
      queueMicrotask(() => {
        if (epoch === this.#epoch && this.#active) this.#handleFailure(failure, undefined);
      });
      return;
    }
    const attempt: Attempt = {
      socket,
      opened: false,
      openedAt: 0,
      error: undefined,
      cause: undefined,
      violationCode: undefined,
      connectTimer: undefined,
      closeTimer: undefined,
      slot,
    };
    this.#current = attempt;
    this.#sockets.add(socket);
    attempt.connectTimer = this.#clock.setTimeout(() => {
      attempt.connectTimer = undefined;
      if (attempt.opened) return;
      attempt.error ??= new ConnectionError(
        'CONNECT_TIMEOUT',
        `no connection to ${this.#displayUri} within ${this.#settings.connectTimeoutMs / 1000} s`,
      );
      socket.terminate();
    }, this.#settings.connectTimeoutMs);

    // ws would abort with a generic error; listening here gives us the HTTP status.
    socket.on('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      attempt.error ??= new ConnectionError(
        'HANDSHAKE_REJECTED',
        `${this.#displayUri} refused the WebSocket handshake with HTTP ${status}${
          response.statusMessage ? ` ${response.statusMessage}` : ''
        }`,
        { status },
      );
      response.resume();
      socket.terminate();
    });
    socket.on('open', () => this.#onOpen(attempt));
    socket.on('message', (data, isBinary) => {
      if (attempt === this.#current) this.#onFrame(data as Buffer, isBinary);
    });
    socket.on('pong', () => {
      if (attempt === this.#current) this.#heartbeat?.pongReceived();
    });
    socket.on('ping', () => {
      // ws cuts the connection (no close frame: 1006) when pongs pile up unsent; it says
      // nothing, so the reason is given here.
      if (
        attempt === this.#current &&
        socket.readyState === WebSocket.CLOSING &&
        attempt.cause === undefined
      ) {
        attempt.violationCode ??= 1006;
        attempt.cause = new Error('ping flood: the server sent pings faster than they could be answered');
      }
    });
    socket.on('error', (error) => this.#onSocketError(attempt, error));
    socket.on('close', (code, reason) => this.#onSocketClose(attempt, code, reason.toString()));
  }

  #onOpen(attempt: Attempt): void {
    this.#releaseSlot(attempt);
    this.#clearConnectTimer(attempt);
    if (attempt !== this.#current) {
      attempt.socket.terminate();
      return;
    }
    const now = this.#clock.now();
    attempt.opened = true;
    attempt.openedAt = now;
    this.#stats.connectionOpened(now);
    if (this.#readingPaused) attempt.socket.pause();
    else this.#heartbeat?.start();
    for (const waiter of this.#takeWaiters()) waiter.resolve();
    this.#logger.info(`connected to ${this.#displayUri}`);
    const epoch = this.#epoch;
    this.#setState(ClientState.CONNECTED);
    if (epoch !== this.#epoch) return;
    // The URI without credentials: handlers commonly log this event.
    this.#emitter.emit('connected', { uri: this.#displayUri, attempt: this.#retries });
  }

  #onSocketError(attempt: Attempt, error: Error): void {
    if (attempt !== this.#current) return;
    if (attempt.opened) {
      // A protocol violation or a write failure: ws closes the connection, and the close
      // reports the loss with the error as its cause.
      const code = errorCodeOf(error);
      if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.#onFrameTooLarge();
      attempt.violationCode ??= violationCloseCode(error, code);
      attempt.cause ??= error;
      this.#armCloseBound(attempt);
      return;
    }
    attempt.error ??= classifyError(error, this.#secure, this.#displayUri);
  }

  #onSocketClose(attempt: Attempt, code: number, reason: string): void {
    this.#releaseSlot(attempt);
    this.#sockets.delete(attempt.socket);
    this.#clearConnectTimer(attempt);
    if (attempt.closeTimer !== undefined) this.#clock.clearTimeout(attempt.closeTimer);
    attempt.closeTimer = undefined;
    if (attempt === this.#current) {
      this.#current = undefined;
      this.#heartbeat?.stop();
      this.#onAttemptEnded(attempt, code, reason);
    } else if (attempt === this.#closing) {
      this.#closing = undefined;
      if (attempt.opened) this.#emitter.emit('disconnected', { code, reason, willReconnect: false });
    }
    if (this.#stopping !== undefined && this.#sockets.size === 0) {
      const { resolve } = this.#stopping;
      this.#stopping = undefined;
      resolve();
    }
  }

  /** The current attempt failed, or the current connection was lost. */
  #onAttemptEnded(attempt: Attempt, closeCode: number, closeReason: string): void {
    const now = this.#clock.now();
    const code = attempt.violationCode ?? closeCode;
    const reason = closeReason || (attempt.violationCode === undefined ? '' : (attempt.cause?.message ?? ''));
    if (!attempt.opened) {
      const error =
        attempt.error ??
        new ConnectionError(
          'NETWORK_ERROR',
          `connection to ${this.#displayUri} failed (close code ${code})`,
          {
            closeCode: code,
          },
        );
      this.#handleFailure(error, undefined);
      return;
    }
    this.#stats.connectionEnded(now);
    this.#stats.totalDisconnections++;
    if (!this.#healthy && now - attempt.openedAt >= this.#settings.minUptimeMs) this.#markHealthy();
    this.#failPendingSends(
      new SendError('SEND_FAILED', 'the connection was lost before the message was sent'),
    );
    const error =
      attempt.error ??
      new ConnectionError(
        'CONNECTION_CLOSED',
        `connection to ${this.#displayUri} closed (code ${code}${reason ? `: ${reason}` : ''})`,
        { closeCode: code, cause: attempt.cause },
      );
    this.#handleFailure(error, { code, reason });
  }

  /**
   * After a failure: retry after the policy's delay, or give up. Every decision is taken and
   * every timer set before the first event is emitted, so a handler that calls stop() or
   * reconnect() finds a consistent client. Events, in order: state_change, connection_error,
   * disconnected (if a connection was open), then reconnecting or give_up.
   */
  #handleFailure(error: ConnectionError, lost: { code: number; reason: string } | undefined): void {
    const now = this.#clock.now();
    this.#stats.recordError(now, error.message, error.code);
    this.#logger.warn(error.message);
    const max = this.#settings.maxReconnectAttempts;
    const willRetry = this.#settings.reconnect && (max === null || this.#retries < max);
    let delayMs = 0;
    let gaveUp: GaveUpError | undefined;
    if (willRetry) {
      this.#retries++;
      delayMs = reconnectDelay(this.#retries, this.#settings.policy);
      this.#retryTimer = this.#clock.setTimeout(this.#onRetryTimer, delayMs);
      this.#logger.info(
        `reconnecting in ${(delayMs / 1000).toFixed(1)} s (attempt ${this.#retries}${max === null ? '' : `/${max}`})`,
      );
    } else {
      this.#active = false;
      gaveUp = new GaveUpError(this.#attemptsMade, error);
      for (const waiter of this.#takeWaiters()) waiter.reject(gaveUp);
      // Sockets retired by reconnect() must not outlive the run.
      for (const socket of this.#sockets) socket.terminate();
      this.#logger.error(gaveUp.message);
    }

    const epoch = this.#epoch;
    this.#setState(willRetry ? ClientState.RECONNECTING : ClientState.ERROR);
    // What happened is always reported; what comes next only if no handler took control meanwhile.
    this.#emitter.emit('connection_error', error);
    if (lost !== undefined) {
      this.#emitter.emit('disconnected', { code: lost.code, reason: lost.reason, willReconnect: willRetry });
    }
    if (epoch !== this.#epoch) return;
    if (gaveUp !== undefined) {
      this.#emitter.emit('give_up', gaveUp);
    } else {
      this.#emitter.emit('reconnecting', {
        attempt: this.#retries,
        delayMs,
        maxAttempts: max,
        lastError: error,
      });
    }
  }

  readonly #onRetryTimer = (): void => {
    this.#retryTimer = undefined;
    if (!this.#active) return;
    this.#stats.reconnectAttempts++;
    this.#openSocket();
    this.#setState(ClientState.CONNECTING);
  };

  #markHealthy(): void {
    this.#healthy = true;
    this.#retries = 0;
    this.#attemptsMade = 0;
  }

  /** Closes a connection that is being replaced; its events are ignored from now on. */
  #retire(attempt: Attempt, reason: string): void {
    // An abandoned handshake frees its slot now rather than when its socket has closed.
    this.#releaseSlot(attempt);
    this.#clearConnectTimer(attempt);
    this.#heartbeat?.stop();
    if (attempt.opened) {
      this.#stats.connectionEnded(this.#clock.now());
      // Bounded by ws's closeTimeout; stop() cuts it at once.
      attempt.socket.close(1000, reason);
    } else {
      attempt.socket.terminate();
    }
  }

  // ---- the receive path (hot: no closures, no Date, one parse per frame) -------------------

  #onFrame(data: Buffer, isBinary: boolean): void {
    const now = this.#clock.now();
    const frame = parseFrame(data, isBinary, now);
    const stats = this.#stats;
    stats.messagesReceived++;
    stats.bytesReceived += frame.size;
    stats.lastMessageAt = now;
    const emitter = this.#emitter;
    const message = frame.message;
    if (message === undefined) {
      stats.invalidMessages++;
      emitter.emit('frame', frame);
      emitter.emit('invalid_frame', frame);
      return;
    }
    if (!this.#healthy) this.#markHealthy();
    emitter.emit('frame', frame);
    const type = messageType(message);
    // A server must not be able to impersonate the client's own events.
    if (type !== undefined && !RESERVED_EVENTS.has(type)) emitter.emit(type, message);
  }

  #onFrameTooLarge(): void {
    const now = this.#clock.now();
    this.#stats.messagesReceived++;
    this.#stats.invalidMessages++;
    this.#stats.lastMessageAt = now;
    const frame: ReceivedFrame = { raw: '', size: 0, receivedAt: now, invalidReason: 'too_large' };
    this.#logger.warn(`a frame over maxPayload (${this.#wsOptions.maxPayload} bytes) was refused`);
    this.#emitter.emit('frame', frame);
    this.#emitter.emit('invalid_frame', frame);
  }

  // ---- heartbeat ----------------------------------------------------------------------------

  #sendPing(): void {
    const attempt = this.#current;
    if (attempt === undefined || !attempt.opened) return;
    try {
      attempt.socket.ping();
    } catch (error) {
      // Only thrown while CONNECTING, which an opened attempt is not; the heartbeat's timeout still applies.
      this.#logger.debug('ping failed', error);
    }
  }

  #onRoundTrip(rttMs: number): void {
    this.#stats.lastPingRttMs = rttMs;
    if (this.#emitter.hasHandlers('heartbeat')) this.#emitter.emit('heartbeat', { rttMs });
  }

  #onDeadLink(pingTimeoutSeconds: number): void {
    const attempt = this.#current;
    if (attempt === undefined) return;
    attempt.error ??= new ConnectionError(
      'PING_TIMEOUT',
      `no pong from ${this.#displayUri} within ${pingTimeoutSeconds} s: the link is dead`,
    );
    // No close handshake with a dead peer: cut the socket; its close event drives reconnection.
    attempt.socket.terminate();
  }

  // ---- helpers -------------------------------------------------------------------------------

  #waitForConnection(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  #takeWaiters(): Waiter[] {
    const waiters = this.#waiters;
    this.#waiters = [];
    return waiters;
  }

  #failPendingSends(error: Error): void {
    for (const pending of this.#pendingSends) {
      if (pending.timer !== undefined) this.#clock.clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pendingSends.clear();
  }

  #cancelRetry(): void {
    if (this.#retryTimer !== undefined) this.#clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #clearConnectTimer(attempt: Attempt): void {
    if (attempt.connectTimer !== undefined) this.#clock.clearTimeout(attempt.connectTimer);
    attempt.connectTimer = undefined;
  }

  /** Cuts the socket if its close handshake has not completed within closeTimeout. */
  #armCloseBound(attempt: Attempt): void {
    if (attempt.closeTimer !== undefined) return;
    attempt.closeTimer = this.#clock.setTimeout(() => {
      attempt.closeTimer = undefined;
      attempt.socket.terminate();
    }, this.#settings.closeTimeoutMs);
  }
}

// ---- error classification ----------------------------------------------------------------------

/** Close codes ws sends for the violations it reports (see ws's receiver), when the error does not say. */
const VIOLATION_CLOSE_CODES: Readonly<Record<string, number>> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1009,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: 1009,
  WS_ERR_TOO_MANY_BUFFERED_PARTS: 1008,
  WS_ERR_INVALID_UTF8: 1007,
};

/**
 * The close code ws sent for a protocol violation: the one it records on the error (under a
 * symbol of its own, `status-code`), else the one its error code implies.
 */
function violationCloseCode(error: Error, code: string | undefined): number | undefined {
  for (const symbol of Object.getOwnPropertySymbols(error)) {
    const value = (error as unknown as Record<symbol, unknown>)[symbol];
    if (symbol.description === 'status-code' && typeof value === 'number') return value;
  }
  if (code === undefined) return undefined;
  return VIOLATION_CLOSE_CODES[code] ?? (code.startsWith('WS_ERR_') ? 1002 : undefined);
}

function errorCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  // Happy eyeballs (several addresses tried) reports an AggregateError.
  const errors = (error as { errors?: unknown } | null)?.errors;
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const innerCode = errorCodeOf(inner);
      if (innerCode !== undefined) return innerCode;
    }
  }
  return undefined;
}

/** Maps a failure of the handshake to a stable {@link ConnectionError} code. */
function classifyError(error: unknown, secure: boolean, displayUri: string): ConnectionError {
  const code = errorCodeOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  const options = { cause: error };
  if (code === 'ECONNREFUSED') {
    return new ConnectionError(
      'CONNECTION_REFUSED',
      `connection to ${displayUri} refused: nothing listens there`,
      options,
    );
  }
  if (code !== undefined && DNS_ERROR_CODES.has(code)) {
    return new ConnectionError('DNS_FAILURE', `cannot resolve the host of ${displayUri} (${code})`, options);
  }
  if (
    code !== undefined &&
    (code.startsWith('ERR_TLS_') ||
      code.startsWith('ERR_SSL_') ||
      code.includes('CERT') ||
      (secure && TLS_ERROR_CODES.has(code)))
  ) {
    return new ConnectionError('TLS_FAILURE', `TLS handshake with ${displayUri} failed: ${detail}`, options);
  }
  return new ConnectionError('NETWORK_ERROR', `network error on ${displayUri}: ${detail}`, options);
}

// ---- option readers ------------------------------------------------------------------------------

function readSeconds(value: unknown, name: string, fallback: number, allowZero: boolean): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (value === 0 && !allowZero) ||
    value > MAX_TIMER_SECONDS
  ) {
    throw new InvalidOptionError(
      name,
      value,
      `a number of seconds ${allowZero ? '>= 0' : '> 0'} and <= ${MAX_TIMER_SECONDS}`,
    );
  }
  return value;
}

function readBoolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidOptionError(name, value, 'true or false');
  return value;
}

function readLogger(value: unknown): Logger {
  if (value === undefined) return silentLogger;
  const logger = value as Partial<Logger> | null;
  if (
    logger === null ||
    typeof logger !== 'object' ||
    typeof logger.debug !== 'function' ||
    typeof logger.info !== 'function' ||
    typeof logger.warn !== 'function' ||
    typeof logger.error !== 'function'
  ) {
    throw new InvalidOptionError('logger', value, 'an object with debug, info, warn and error methods');
  }
  return logger as Logger;
}

function readClock(value: unknown): Clock {
  if (value === undefined) return systemClock;
  const clock = value as Partial<Clock> | null;
  if (
    clock === null ||
    typeof clock !== 'object' ||
    typeof clock.now !== 'function' ||
    typeof clock.setTimeout !== 'function' ||
    typeof clock.clearTimeout !== 'function'
  ) {
    throw new InvalidOptionError('clock', value, 'an object with now, setTimeout and clearTimeout methods');
  }
  return clock as Clock;
}

function readHeaders(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  const allowed = 'an object of HTTP header names to string values';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError('headers', value, allowed);
  }
  const headers: Record<string, string> = {};
  for (const [name, headerValue] of Object.entries(value)) {
    if (isReservedHandshakeHeader(name)) {
      throw new InvalidOptionError(
        `headers.${name}`,
        isSensitiveHeader(name) ? REDACTED : headerValue,
        `no value: the handshake sets ${RESERVED_HANDSHAKE_HEADERS} itself`,
      );
    }
    try {
      if (typeof headerValue !== 'string') throw new TypeError('not a string');
      validateHeaderName(name);
      validateHeaderValue(name, headerValue);
    } catch {
      // A credential is never repeated in a message, even a wrong one.
      throw new InvalidOptionError(
        `headers.${name}`,
        isSensitiveHeader(name) ? REDACTED : headerValue,
        `${allowed.replace('an object of', 'a valid')} (no control character, nothing beyond Latin-1)`,
      );
    }
    headers[name] = headerValue;
  }
  return headers;
}

function readPem(value: unknown, name: string, allowList: boolean): string | Buffer | (string | Buffer)[] {
  const isPem = (v: unknown): v is string | Buffer => typeof v === 'string' || Buffer.isBuffer(v);
  if (isPem(value)) return value;
  if (allowList && Array.isArray(value) && value.every(isPem)) return value;
  throw new InvalidOptionError(
    name,
    value,
    allowList ? 'a PEM string or Buffer, or a list of them' : 'a PEM string or Buffer',
  );
}
