/**
 * A recording served as a monitoring WebSocket server in the real dialect, so that any
 * client (ours, the Python one) can watch a recorded session: each connection gets the
 * `connection` greeting, then the target's recorded `monitoring_data` frames, byte for byte,
 * at the recorded pace times `speed` from the moment it connected (or as fast as it reads
 * them with `'max'`), then a close with 1000 "end of recording". Pings and status requests
 * are answered as the live server does.
 *
 * A recording of several targets serves each at its own path, `/<target name>` (URL-encoded);
 * `/` serves `defaultTarget` (the first recorded one by default).
 *
 * Safety: bound to 127.0.0.1 by default; any other address needs a token, which every
 * connection must then present as `Authorization: Bearer <token>` (401 otherwise). Browser
 * connections (an `Origin` header) are refused (403): no web page can read a recording
 * through the user's browser, DNS rebinding included.
 */
import { createServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { InvalidOptionError, MonitoringError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { messageType, parseFrame } from '../protocol/frame.js';
import {
  type ConnectionMessage,
  type ErrorMessage,
  INVALID_MESSAGE_TEXT,
  type PongMessage,
  type StatusMessage,
} from '../protocol/messages.js';
import { BearerToken, isValidToken, TOKEN_ALLOWED } from '../server/bearer-token.js';
import { isLoopbackAddress } from '../server/exposure.js';
import { CONNECTED_MESSAGE_TEXT } from '../server/monitoring-server.js';
import { OriginPolicy } from '../server/origin-policy.js';
import { DEFAULT_SERVER_HOST, MAX_CLIENT_PAYLOAD } from '../server/server-options.js';
import { formatLocalTimestamp } from '../server/timestamp.js';
import { type Clock, systemClock, type TimerHandle } from '../transport/clock.js';
import { openRecordingReader, type RecordedTarget, type RecordingReaderOptions } from './recording-reader.js';
import type { ReplaySpeed } from './replay-clock.js';

export interface ReplayServerOptions {
  /** The recording: a SQLite recording or a save-data file. */
  path: string;
  /** Interface to listen on. Default `127.0.0.1`; any other needs `token`. */
  host?: string;
  /** TCP port; 0 picks a free one. Default 8765. */
  port?: number;
  /** Recorded time per real time, or `'max'`. Default 1. */
  speed?: ReplaySpeed;
  /** Required of every client as `Authorization: Bearer <token>`; required to listen beyond loopback. */
  token?: string;
  /** Target served at `/`. Default: the first one recorded. */
  defaultTarget?: string;
  /** Name of a save-data file's target. Default: the file's name without extension. */
  targetName?: string;
  /** Unsent bytes to a client above which a full-speed replay waits for it. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** The pace's clock. Default: the system clock. */
  clock?: Clock;
  logger?: Logger;
}

export interface ReplayServerAddress {
  host: string;
  port: number;
  /** `ws://host:port` (the default target). */
  url: string;
  /** Each target and the URL that serves it. */
  targets: { name: string; url: string }[];
}

/** Close code and reason once a connection has received the whole recording. */
export const END_OF_RECORDING_CODE = 1000;
export const END_OF_RECORDING_REASON = 'end of recording';

/** True for an address, or the name `localhost`, that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host.toLowerCase() === 'localhost' || isLoopbackAddress(host.replace(/^\[(.*)\]$/, '$1'));
}

export class ReplayServer {
  readonly #path: string;
  readonly #host: string;
  readonly #port: number;
  readonly #speed: ReplaySpeed;
  readonly #token: BearerToken | undefined;
  /** No origin is allowed: a recording is for clients, never for web pages. */
  readonly #origins = new OriginPolicy([]);
  readonly #defaultTarget: string | undefined;
  readonly #readerOptions: RecordingReaderOptions;
  readonly #maxBuffered: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #targets: readonly RecordedTarget[] = [];
  #http: HttpServer | undefined;
  #wss: WebSocketServer | undefined;
  readonly #connections = new Map<WebSocket, AbortController>();
  #stopping: Promise<void> | undefined;
  #playbacksCompleted = 0;

  /** @throws InvalidOptionError for a bad option, or a non-loopback host without a token. */
  constructor(options: ReplayServerOptions) {
    if (typeof options?.path !== 'string' || options.path === '') {
      throw new InvalidOptionError('path', options?.path, 'the path of a recording');
    }
    this.#path = options.path;
    this.#host = options.host ?? DEFAULT_SERVER_HOST;
    const port = options.port ?? 8765;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new InvalidOptionError('port', port, 'an integer from 0 to 65535, 0 for any free port');
    }
    this.#port = port;
    const speed = options.speed ?? 1;
    if (speed !== 'max' && !(Number.isFinite(speed) && speed > 0)) {
      throw new InvalidOptionError('speed', speed, "a positive number, or 'max'");
    }
    this.#speed = speed;
    if (options.token !== undefined && !isValidToken(options.token)) {
      throw new InvalidOptionError('token', '[redacted]', TOKEN_ALLOWED);
    }
    if (options.token === undefined && !isLoopbackHost(this.#host)) {
      throw new InvalidOptionError(
        'host',
        this.#host,
        'a loopback address (127.0.0.1, ::1, localhost) unless a token is given: anyone who reaches the port could read the recording',
      );
    }
    this.#token = options.token === undefined ? undefined : new BearerToken(options.token);
    this.#defaultTarget = options.defaultTarget;
    this.#readerOptions = options.targetName === undefined ? {} : { targetName: options.targetName };
    this.#maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Connections whose playback reached the end of the recording. */
  get playbacksCompleted(): number {
    return this.#playbacksCompleted;
  }

  get clientCount(): number {
    return this.#connections.size;
  }

  /**
   * Checks the recording and listens.
   * @throws RecordingError when the file is not a recording; MonitoringError `LISTEN_FAILED`.
   */
  async start(): Promise<ReplayServerAddress> {
    const reader = await openRecordingReader(this.#path, this.#readerOptions);
    this.#targets = reader.targets;
    reader.close();
    if (this.#defaultTarget !== undefined && !this.#targets.some((t) => t.name === this.#defaultTarget)) {
      throw new InvalidOptionError(
        'defaultTarget',
        this.#defaultTarget,
        `a target of the recording (${this.#targets.map((t) => t.name).join(', ') || 'it has none'})`,
      );
    }
    const http = createServer((_request, response) => {
      response.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' });
      response.end(
        'This is a WebSocket monitoring server replaying a recording: connect with a WebSocket client.\n',
      );
    });
    const wss = new WebSocketServer({
      server: http,
      maxPayload: MAX_CLIENT_PAYLOAD,
      perMessageDeflate: false,
      clientTracking: false,
      verifyClient: (info, done) => {
        const refusal = this.#refusal(info.req);
        if (refusal === undefined) done(true);
        else done(false, refusal.status, refusal.text);
      },
    });
    wss.on('error', (error) => this.#logger.error(`replay server: ${error.message}`));
    wss.on('connection', (ws, request) => this.#onConnection(ws, request));
    this.#http = http;
    this.#wss = wss;
    try {
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen({ host: this.#host, port: this.#port }, () => {
          http.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      throw new MonitoringError(
        'LISTEN_FAILED',
        `cannot listen on ${this.#host}:${this.#port}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const bound = http.address() as AddressInfo;
    const host = bound.address.includes(':') ? `[${bound.address}]` : bound.address;
    const url = `ws://${host}:${bound.port}`;
    return {
      host: bound.address,
      port: bound.port,
      url,
      targets: this.#targets.map((t) => ({ name: t.name, url: `${url}/${encodeURIComponent(t.name)}` })),
    };
  }

  /** Closes every connection (1001) and the port. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    for (const [ws, playback] of this.#connections) {
      playback.abort();
      ws.close(1001, 'Server shutting down');
    }
    const http = this.#http;
    if (http === undefined) return;
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      // Clients that do not answer the close are cut after a moment.
      setTimeout(() => {
        for (const ws of this.#connections.keys()) ws.terminate();
        http.closeAllConnections();
      }, 500).unref();
    });
    this.#wss?.close();
  }

  /** Why a handshake is refused, or undefined to accept it. */
  #refusal(request: IncomingMessage): { status: number; text: string } | undefined {
    if (!this.#origins.allows(request.headers.origin)) return { status: 403, text: 'Forbidden' };
    if (this.#token !== undefined && this.#token.check(request.headers.authorization) !== 'ok') {
      return { status: 401, text: 'Unauthorized' };
    }
    if (this.#targetOf(request) === undefined) return { status: 404, text: 'Not Found' };
    return undefined;
  }

  #targetOf(request: IncomingMessage): string | undefined {
    const path = new URL(request.url ?? '/', 'ws://replay').pathname;
    if (path === '/' || path === '') return this.#defaultTarget ?? this.#targets[0]?.name;
    let name: string;
    try {
      name = decodeURIComponent(path.slice(1));
    } catch {
      return undefined;
    }
    return this.#targets.some((t) => t.name === name) ? name : undefined;
  }

  #onConnection(ws: WebSocket, request: IncomingMessage): void {
    const target = this.#targetOf(request);
    const playback = new AbortController();
    this.#connections.set(ws, playback);
    ws.on('error', (error) => this.#logger.debug(`replay client: ${error.message}`));
    ws.on('close', () => {
      playback.abort();
      this.#connections.delete(ws);
    });
    ws.on('message', (data, isBinary) => this.#answer(ws, data, isBinary));
    const hello: ConnectionMessage = {
      type: 'connection',
      status: 'connected',
      timestamp: formatLocalTimestamp(this.#clock.now()),
      message: CONNECTED_MESSAGE_TEXT,
    };
    ws.send(JSON.stringify(hello));
    if (target === undefined || this.#stopping !== undefined) return;
    this.#play(ws, target, playback.signal).then(
      (complete) => {
        if (!complete) return;
        this.#playbacksCompleted++;
        ws.close(END_OF_RECORDING_CODE, END_OF_RECORDING_REASON);
      },
      (error: unknown) => {
        this.#logger.error(`replay of ${target} failed: ${(error as Error)?.message ?? error}`);
        ws.close(1011, 'replay failed');
      },
    );
  }

  /** Sends the target's frames at their pace; true once all were sent. */
  async #play(ws: WebSocket, target: string, signal: AbortSignal): Promise<boolean> {
    const reader = await openRecordingReader(this.#path, { ...this.#readerOptions, targets: [target] });
    try {
      const origin = reader.firstAt;
      const start = this.#clock.now();
      for await (const page of reader.pages()) {
        for (const item of page) {
          if (signal.aborted) return false;
          if (item.kind !== 'frame' || item.binary || item.tooLarge !== undefined) continue;
          // A save-data file holds every frame received (greetings, pongs, ...): only data is replayed.
          if (reader.format === 'save-data' && !isMonitoringData(item.raw)) continue;
          if (this.#speed === 'max') {
            if (ws.bufferedAmount > this.#maxBuffered && !(await this.#drained(ws, signal))) return false;
          } else {
            const due = start + (item.at - (origin ?? item.at)) / this.#speed;
            const delay = due - this.#clock.now();
            if (delay > 0 && !(await this.#sleep(delay, signal))) return false;
          }
          if (ws.readyState !== ws.OPEN) return false;
          ws.send(item.raw);
        }
      }
      return !signal.aborted && ws.readyState === ws.OPEN;
    } finally {
      reader.close();
    }
  }

  /** Resolves true once what is queued on `ws` is written, false when the playback ends first. */
  #drained(ws: WebSocket, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve(false);
      // A ping frame goes out after everything queued; its callback says the queue is written.
      ws.ping(undefined, undefined, (error) => resolve(error === undefined || error === null));
    });
  }

  #sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const onAbort = () => {
        if (timer !== undefined) this.#clock.clearTimeout(timer);
        resolve(false);
      };
      timer = this.#clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Answers a client's frame as the live server does. */
  #answer(ws: WebSocket, data: RawData, isBinary: boolean): void {
    const bytes = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    const frame = parseFrame(bytes, isBinary, this.#clock.now());
    const timestamp = formatLocalTimestamp(this.#clock.now());
    if (frame.message === undefined) {
      const error: ErrorMessage = { type: 'error', message: INVALID_MESSAGE_TEXT };
      ws.send(JSON.stringify(error));
      return;
    }
    const type = messageType(frame.message);
    if (type === 'ping') {
      const pong: PongMessage = { type: 'pong', timestamp };
      ws.send(JSON.stringify(pong));
    } else if (type === 'get_status') {
      const status: StatusMessage = {
        type: 'status',
        connected_clients: this.#connections.size,
        monitoring_active: true,
        timestamp,
      };
      ws.send(JSON.stringify(status));
    }
  }
}

function isMonitoringData(raw: string): boolean {
  const message = parseFrame(raw, false, 0).message;
  return message !== undefined && messageType(message) === 'monitoring_data';
}
